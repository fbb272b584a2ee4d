#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include "inspect/diagnostics.hpp"
#include "inspect/result.hpp"

using namespace upscope;

namespace {
Result<int> parse_positive(int v) {
  if (v <= 0) return fail(ErrorCode::kMalformed, "header", "value must be positive", 16);
  return v;
}
Result<int> doubled(int v) {
  UPSCOPE_TRY(int x, parse_positive(v));
  return x * 2;
}
Status check_both(int a, int b) {
  UPSCOPE_CHECK(parse_positive(a));
  UPSCOPE_CHECK(parse_positive(b));
  return {};
}
}  // namespace

TEST_CASE("Result holds a value or an error", "[core][result]") {
  auto ok = parse_positive(3);
  REQUIRE(ok.has_value());
  CHECK(*ok == 3);
  CHECK(ok.value_or(7) == 3);
  auto bad = parse_positive(-1);
  REQUIRE_FALSE(bad);
  CHECK(bad.value_or(7) == 7);
  CHECK(bad.error().code == ErrorCode::kMalformed);
  CHECK(bad.error().message() == "header at 0x10: value must be positive");
  CHECK(bad.error().in_file("os.dmg").message() == "os.dmg: header at 0x10: value must be positive");
  CHECK(bad.error().shifted(0x100).offset == 0x110u);
}

TEST_CASE("UPSCOPE_TRY and UPSCOPE_CHECK propagate the first error", "[core][result]") {
  CHECK(*doubled(4) == 8);
  CHECK_FALSE(doubled(0));
  CHECK(doubled(0).error().rule == "value must be positive");
  CHECK(check_both(1, 2));
  CHECK_FALSE(check_both(1, -2));
}

TEST_CASE("Result works with move-only types", "[core][result]") {
  Result<std::unique_ptr<int>> r(std::make_unique<int>(5));
  REQUIRE(r);
  std::unique_ptr<int> p = std::move(r).value();
  CHECK(*p == 5);
}

TEST_CASE("error messages without structure or offset stay readable", "[core][result]") {
  Error e = make_error(ErrorCode::kIo, "", "cannot open: No such file or directory");
  e.file = "x.dmg";
  CHECK(e.message() == "x.dmg: cannot open: No such file or directory");
  Error f = make_error(ErrorCode::kTruncated, "", "ends early", 0x2f10);
  CHECK(f.message() == "at 0x2f10: ends early");
}

TEST_CASE("Diagnostics collect, count and cap", "[core][diagnostics]") {
  Diagnostics d;
  d.warning(0x2f10, "mish block 3", "chunk 17 extends past the data fork");
  d.note(std::nullopt, "koly", "no code signature");
  d.add(make_error(ErrorCode::kMalformed, "blkx 2", "CRC mismatch", 0x40));
  CHECK(d.count(Severity::kWarning) == 1);
  CHECK(d.count(Severity::kNote) == 1);
  CHECK(d.has_errors());
  CHECK(d.items()[0].text() == "at 0x2f10: mish block 3: chunk 17 extends past the data fork");
  Diagnostics many;
  for (size_t i = 0; i < Diagnostics::kMaxItems + 5; ++i) many.warning(i, "x", "y");
  CHECK(many.items().size() == Diagnostics::kMaxItems);
  CHECK(many.dropped() == 5);
}
