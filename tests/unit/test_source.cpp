#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <numeric>

#include "inspect/source.hpp"
#include "test_support.hpp"

using namespace upscope;

namespace {
SourcePtr memory(size_t n) {
  std::vector<uint8_t> v(n);
  std::iota(v.begin(), v.end(), uint8_t{0});
  return std::make_shared<MemorySource>(std::move(v), "mem");
}

// A Source that is not contiguous, as a decoded disk image is: forces the copying paths.
class OddSource final : public Source {
 public:
  uint64_t size() const override { return 1000; }
  std::string name() const override { return "odd"; }
  Status read_at(uint64_t off, std::span<uint8_t> out) const override {
    if (!range_fits(off, out.size(), size())) return fail(read_error(off, out.size()));
    for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<uint8_t>((off + i) * 3);
    return {};
  }
};
}  // namespace

TEST_CASE("slices stack and translate offsets to the root", "[core][source]") {
  SourcePtr root = memory(256);
  auto part = SliceSource::make(root, 16, 128, "mem[partition 1]");
  REQUIRE(part);
  auto file = SliceSource::make(*part, 32, 8, "mem[partition 1]:/f");
  REQUIRE(file);
  CHECK((*file)->size() == 8);
  std::vector<uint8_t> buf(8);
  REQUIRE((*file)->read_at(0, buf));
  CHECK(buf[0] == 48);
  CHECK(buf[7] == 55);
  CHECK((*file)->root_offset(2) == 50);
  REQUIRE((*file)->contiguous());
  CHECK((*file)->contiguous()->size() == 8);
  CHECK((*(*file)->contiguous())[0] == 48);

  std::vector<uint8_t> too_big(9);
  auto e = (*file)->read_at(0, too_big);
  REQUIRE_FALSE(e);
  CHECK(e.error().message() == "mem[partition 1]:/f: read at 0x0: 9 bytes at 0x0 lie outside the 8-byte source");
  CHECK_FALSE(SliceSource::make(*part, 100, 29, "x"));
  CHECK(SliceSource::make(*part, 100, 28, "x"));
  CHECK_FALSE(SliceSource::make(*part, UINT64_MAX, 2, "x"));
}

TEST_CASE("view() is zero-copy when contiguous and copies otherwise", "[core][source]") {
  SourcePtr m = memory(64);
  std::vector<uint8_t> scratch;
  auto v = m->view(10, 4, scratch, "hdr");
  REQUIRE(v);
  CHECK(scratch.empty());
  CHECK(*v->u8(0) == 10);
  CHECK(v->base() == 10);

  auto odd = std::make_shared<OddSource>();
  auto slice = SliceSource::make(odd, 100, 50, "odd[1]");
  REQUIRE(slice);
  CHECK_FALSE((*slice)->contiguous());
  auto w = (*slice)->view(1, 4, scratch, "hdr");
  REQUIRE(w);
  CHECK(scratch.size() == 4);
  CHECK(*w->u8(0) == static_cast<uint8_t>(101 * 3));
  CHECK_FALSE((*slice)->view(48, 4, scratch));
  auto vec = (*slice)->read_vector(0, 50);
  REQUIRE(vec);
  CHECK(vec->size() == 50);
  CHECK_FALSE((*slice)->read_vector(1, 50));
}

TEST_CASE("mapped files: empty, missing and directories", "[core][source]") {
  auto dir = test::scratch_dir("source");
  auto empty = dir / "empty";
  test::write_bytes(empty, {});
  auto e = FileSource::open(empty.string());
  REQUIRE(e);
  CHECK((*e)->size() == 0);
  std::vector<uint8_t> scratch;
  CHECK((*e)->view(0, 0, scratch));
  CHECK_FALSE((*e)->view(0, 1, scratch));

  auto missing = FileSource::open((dir / "nope").string());
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == ErrorCode::kIo);
  CHECK(missing.error().message() == (dir / "nope").string() + ": cannot open: No such file or directory");

  auto d = FileSource::open(dir.string());
  REQUIRE_FALSE(d);
  CHECK(d.error().message() == dir.string() + ": is a directory, not a file");

  auto f = dir / "data";
  test::write_bytes(f, {1, 2, 3});
  auto fs = FileSource::open(f.string());
  REQUIRE(fs);
  CHECK((*fs)->name() == "data");
  std::vector<uint8_t> out(3);
  REQUIRE((*fs)->read_at(0, out));
  CHECK(out == std::vector<uint8_t>{1, 2, 3});
}

TEST_CASE("large mapped files serve large reads by pread, the same bytes as the mapping", "[core][source]") {
  auto dir = test::scratch_dir("source-pread");
  // A sparse file just over the threshold, with bytes written near both ends.
  auto big = dir / "big";
  const uint64_t size = MappedFile::kByCall + 12345;
  test::write_bytes(big, {});
  std::filesystem::resize_file(big, size);
  std::vector<uint8_t> head(100000), tail(70000);
  for (size_t i = 0; i < head.size(); ++i) head[i] = static_cast<uint8_t>(i * 7 + 1);
  for (size_t i = 0; i < tail.size(); ++i) tail[i] = static_cast<uint8_t>(i * 13 + 5);
  {
    FILE* f = std::fopen(big.string().c_str(), "r+b");
    REQUIRE(f);
    std::fwrite(head.data(), 1, head.size(), f);
    std::fseek(f, static_cast<long>(size - tail.size()), SEEK_SET);
    std::fwrite(tail.data(), 1, tail.size(), f);
    std::fclose(f);
  }
  auto src = FileSource::open(big.string());
  REQUIRE(src);
  const auto& fs = static_cast<const FileSource&>(**src);
  std::vector<uint8_t> out(head.size());
  CHECK(fs.file().read_by_call(0, out));
  CHECK(out == head);
  out.assign(tail.size(), 0);
  REQUIRE(fs.read_at(size - tail.size(), out));
  CHECK(out == tail);
  // The mapping agrees, past the end is refused, a read ending at the last byte is served.
  auto mapped = fs.contiguous();
  REQUIRE(mapped);
  CHECK(std::equal(tail.begin(), tail.end(), mapped->begin() + static_cast<ptrdiff_t>(size - tail.size())));
  std::vector<uint8_t> over(2);
  CHECK_FALSE(fs.file().read_by_call(size - 1, over));
  CHECK_FALSE(fs.read_at(size - 1, over));
  CHECK(fs.file().read_by_call(size - 2, over));

  // A small file keeps no descriptor: its reads come from memory.
  auto small = dir / "small";
  test::write_bytes(small, std::vector<uint8_t>(5u << 20, 9));
  auto s = FileSource::open(small.string());
  REQUIRE(s);
  std::vector<uint8_t> part(1u << 20);
  CHECK_FALSE(static_cast<const FileSource&>(**s).file().read_by_call(0, part));
  REQUIRE((*s)->read_at(0, part));
  CHECK(part == std::vector<uint8_t>(1u << 20, 9));
}
