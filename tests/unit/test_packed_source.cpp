// PackedSource: bytes kept LZ4-packed in blocks, read back exactly, alone and through a lazy span.
#include <vector>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "compress/packed_source.hpp"
#include "inspect/lazy_map.hpp"
#include "pattern_source.hpp"

using namespace upscope;
using compress::PackedSource;

namespace {

// Three kinds of block, as in a kernelcache: zeros (padding), repeated text, and bytes LZ4 cannot
// shrink (stored as they are); the last block is partial.
std::vector<uint8_t> mixed() {
  const uint64_t B = PackedSource::kBlock;
  std::vector<uint8_t> v(4 * B + 4321, 0);
  for (uint64_t i = B; i < 2 * B; ++i) v[i] = static_cast<uint8_t>("_kext_start\0__TEXT"[i % 18]);
  for (uint64_t i = 2 * B; i < v.size(); ++i) v[i] = test::pattern(i);
  return v;
}

}  // namespace

TEST_CASE("PackedSource gives back every byte, at any offset and length, and holds less", "[packed_source]") {
  const auto v = mixed();
  PackedSource p(Bytes(v), "kernelcache");
  REQUIRE(p.size() == v.size());
  CHECK(p.packed_size() < v.size() - 2 * PackedSource::kBlock);  // zeros and text shrink; noise is stored
  std::vector<uint8_t> all(v.size());
  REQUIRE(p.read_at(0, all));
  CHECK(all == v);
  // Reads inside one block, across two and three blocks, and the partial last one.
  const uint64_t B = PackedSource::kBlock;
  for (auto [off, n] : std::vector<std::pair<uint64_t, uint64_t>>{
           {7, 100}, {B - 3, 10}, {B / 2, 2 * B}, {4 * B, 4321}, {v.size() - 1, 1}, {B, B}}) {
    std::vector<uint8_t> part(n);
    REQUIRE(p.read_at(off, part));
    CHECK(std::equal(part.begin(), part.end(), v.begin() + static_cast<long>(off)));
  }
  std::vector<uint8_t> past(2);
  auto st = p.read_at(v.size() - 1, past);
  REQUIRE(!st);
  CHECK(st.error().message().find("2 bytes at " + fmt::format("{:#x}", v.size() - 1) + " lie outside the " +
                                  std::to_string(v.size()) + "-byte source") != std::string::npos);
  PackedSource empty(Bytes(), "empty");
  CHECK(empty.size() == 0);
  CHECK(empty.packed_size() == 0);
}

TEST_CASE("A lazy span over a PackedSource is the original bytes, page by page", "[packed_source][lazy_map]") {
  const auto v = mixed();
  auto p = std::make_shared<const PackedSource>(Bytes(v), "kernelcache");
  auto span = LazyMapSource::make(p);
  if (!span) {
    WARN("SKIPPED: " << span.error().message());
    return;
  }
  auto bytes = (*span)->contiguous();
  REQUIRE(bytes);
  CHECK(std::equal(bytes->begin(), bytes->end(), v.begin(), v.end()));
  (*span)->release(0, (*span)->size());
  CHECK((*bytes)[2 * PackedSource::kBlock + 5] == v[2 * PackedSource::kBlock + 5]);  // filled again
  CHECK(!(*span)->error());
}
