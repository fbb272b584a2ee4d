// Fixups (formats/macho/fixups.cpp, docs/formats/macho-fixups.md): every pointer of real images as
// llvm-objdump-16 reads them (chained fixups of an arm64 and an x86-64 binary, dyld-info opcodes of
// another x86-64 one, our make_program.py writer), then one malformed input per rule with its message.
#include <catch2/catch.hpp>

#include <map>
#include <sstream>

#include <fmt/format.h>

#include "inspect/source.hpp"
#include "macho/fixups.hpp"
#include "macho/macho.hpp"
#include "macho/structs.hpp"
#include "test_support.hpp"

using namespace upscope;
using namespace upscope::test;
namespace fs = std::filesystem;

namespace {

bool have_objdump() {
  if (run_shell("command -v llvm-objdump-16 >/dev/null 2>&1").exit_code == 0) return true;
  WARN("SKIPPED: llvm-objdump-16 is not installed (apt-get install llvm-16); fixups are not checked against it");
  return false;
}

// address -> "bind SYMBOL" or "rebase 0xTARGET", as our reader gives them.
std::map<uint64_t, std::string> ours(const macho::Fixups& f) {
  std::map<uint64_t, std::string> out;
  for (const auto& x : f.items)
    out[x.address] = x.import != macho::Fixup::kRebase ? "bind " + f.imports[x.import]
                                                       : "rebase " + fmt::format("{:#x}", x.target);
  return out;
}

// The same from `llvm-objdump-16 --macho --dyld-info` (chained fixups).
std::map<uint64_t, std::string> objdump_dyld_info(const fs::path& file, const std::string& arch) {
  auto r = run_shell("llvm-objdump-16 --macho --arch=" + arch + " --dyld-info " + shell_quote(file.string()));
  REQUIRE(r.exit_code == 0);
  std::map<uint64_t, std::string> out;
  std::istringstream in(r.out);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream l(line);
    std::string seg, sect, addr, ptr, type;
    if (!(l >> seg >> sect >> addr >> ptr >> type) || addr.rfind("0x", 0) != 0) continue;
    const uint64_t a = std::stoull(addr, nullptr, 16);
    if (type == "bind") {
      std::string addend, dylib, sym;
      l >> addend >> dylib >> sym;
      out[a] = "bind " + sym;
    } else if (type == "rebase") {
      std::string target;
      l >> target;
      out[a] = fmt::format("rebase {:#x}", std::stoull(target, nullptr, 16));
    }
  }
  return out;
}

// The same from --rebase, --bind and --lazy-bind (dyld-info opcodes).
std::map<uint64_t, std::string> objdump_opcodes(const fs::path& file, const std::string& arch,
                                               const std::vector<uint8_t>& slice, const macho::MachO& m) {
  std::map<uint64_t, std::string> out;
  for (const char* table : {"--rebase", "--bind", "--lazy-bind"}) {
    auto r = run_shell("llvm-objdump-16 --macho --arch=" + arch + " " + table + " " + shell_quote(file.string()));
    REQUIRE(r.exit_code == 0);
    std::istringstream in(r.out);
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream l(line);
      std::string seg, sect, addr;
      if (!(l >> seg >> sect >> addr) || addr.rfind("0x", 0) != 0) continue;
      const uint64_t a = std::stoull(addr, nullptr, 16);
      std::vector<std::string> rest;
      for (std::string w; l >> w;) rest.push_back(w);
      if (std::string(table) == "--rebase") {
        // The pointer holds its unslid target: read it where the segment maps `a`.
        for (const auto& s : m.segments)
          if (a >= s.vmaddr && a - s.vmaddr + 8 <= s.filesize)
            out[a] = fmt::format("rebase {:#x}", load_u64le(slice.data() + s.fileoff + (a - s.vmaddr)));
      } else if (!rest.empty()) {
        out[a] = "bind " + rest.back();
      }
    }
  }
  return out;
}

struct Slice {
  std::vector<uint8_t> bytes;
  macho::MachO m;
};

Slice slice_of(const fs::path& p, const std::string& arch) {
  auto bytes = read_bytes(p);
  MemorySource src(bytes, p.filename().string());
  Diagnostics d;
  auto f = macho::parse_file(src, d);
  REQUIRE(f);
  for (const auto& s : f->slices)
    if (s.arch == arch || f->slices.size() == 1) {
      REQUIRE(s.image);
      return {std::vector<uint8_t>(bytes.begin() + static_cast<long>(s.offset),
                                   bytes.begin() + static_cast<long>(s.offset + s.size)),
              *s.image};
    }
  FAIL("no slice " << arch);
  return {};
}

macho::Fixups read(const Slice& s, Diagnostics& d) {
  return macho::read_fixups(s.m, ByteReader(Bytes(s.bytes.data(), s.bytes.size()), 0, "image"), s.m.text_vmaddr(), d);
}

}  // namespace

TEST_CASE("chained fixups read as llvm-objdump-16 reads them, on real binaries and our writer", "[macho][fixups][samples]") {
  if (!have_objdump()) return;
  UPSCOPE_REQUIRE_SAMPLE(samples, ".");
  auto dir = scratch_dir("fixups");
  std::vector<std::pair<fs::path, std::string>> inputs = {
      {samples / "r2/hello-macos-arm64-chained", "arm64"},
      {samples / "real/kexts/nfrestore_service", "x86_64"},
  };
  for (const char* arch : {"arm64", "x86_64"}) {
    const fs::path p = dir / (std::string("program-") + arch);
    REQUIRE(run_writer("make_program.py", shell_quote(p.string()) + " --arch " + arch).exit_code == 0);
    inputs.emplace_back(p, arch);
  }
  for (const auto& [path, arch] : inputs) {
    INFO(path.filename().string() << " " << arch);
    auto s = slice_of(path, arch);
    Diagnostics d;
    auto f = read(s, d);
    INFO(joined(d));
    CHECK(d.items().empty());
    CHECK(f.source.rfind("chained fixups", 0) == 0);
    auto theirs = objdump_dyld_info(path, arch);
    REQUIRE(theirs.size() > 5);
    const auto mine = ours(f);
    for (const auto& [a, what] : theirs) {
      INFO(fmt::format("{:#x}", a));
      CHECK(mine.count(a) == 1);
      if (mine.count(a)) CHECK(mine.at(a) == what);
    }
    CHECK(mine.size() == theirs.size());
  }
}

TEST_CASE("dyld-info opcodes read as llvm-objdump-16 reads them (real x86-64 cat)", "[macho][fixups][samples]") {
  if (!have_objdump()) return;
  UPSCOPE_REQUIRE_SAMPLE(cat, "r2/cat-macos-arm64");
  auto s = slice_of(cat, "x86_64");
  Diagnostics d;
  auto f = read(s, d);
  INFO(joined(d));
  CHECK(d.items().empty());
  CHECK(f.source == "dyld info opcodes");
  auto theirs = objdump_opcodes(cat, "x86_64", s.bytes, s.m);
  REQUIRE(theirs.size() > 20);
  const auto mine = ours(f);
  for (const auto& [a, what] : theirs) {
    INFO(fmt::format("{:#x}", a));
    CHECK(mine.count(a) == 1);
    if (mine.count(a)) CHECK(mine.at(a) == what);
  }
  CHECK(mine.size() == theirs.size());
}

TEST_CASE("an x86-64 kext's relocations bind its data to kernel symbols", "[macho][fixups][samples]") {
  UPSCOPE_REQUIRE_SAMPLE(kext, "real/kexts/AppleUSBCDC.kext/Contents/MacOS/AppleUSBCDC");
  auto s = slice_of(kext, "x86_64");
  Diagnostics d;
  auto f = read(s, d);
  CHECK(f.source == "relocations");
  // llvm-objdump -r: 665 external relocations, the first at 0x2a50 (from __TEXT at 0) naming
  // OSMetaClass's first reserved slot.
  auto first = f.at(0x2a50);
  REQUIRE(first);
  REQUIRE(first->import != macho::Fixup::kRebase);
  CHECK(f.imports[first->import] == "__ZN11OSMetaClass21_RESERVEDOSMetaClass0Ev");
  size_t binds = 0;
  for (const auto& x : f.items) binds += x.import != macho::Fixup::kRebase;
  CHECK(binds == 665);
}

namespace {

// A hand-built image for the malformed cases: __TEXT at 0 (one page), __DATA at 0x4000 (one page,
// file offset 0x4000), __LINKEDIT at 0x8000 (file offset 0x8000) holding the blob under test.
struct Fake {
  std::vector<uint8_t> file = std::vector<uint8_t>(0x9000, 0);
  macho::MachO m;
  Fake() {
    m.is64 = true;
    m.cputype = macho::CPU_TYPE_ARM64;
    auto seg = [&](const char* name, uint64_t vm, uint64_t off, uint64_t size, uint32_t prot) {
      macho::Segment s;
      s.segname = name;
      s.vmaddr = vm;
      s.vmsize = size;
      s.fileoff = off;
      s.filesize = size;
      s.initprot = s.maxprot = prot;
      m.segments.push_back(s);
    };
    seg("__TEXT", 0, 0, 0x4000, 5);
    seg("__DATA", 0x4000, 0x4000, 0x4000, 3);
    seg("__LINKEDIT", 0x8000, 0x8000, 0x1000, 1);
  }
  void put16(uint64_t at, uint16_t v) { file[at] = uint8_t(v), file[at + 1] = uint8_t(v >> 8); }
  void put32(uint64_t at, uint32_t v) { for (int k = 0; k < 4; ++k) file[at + k] = uint8_t(v >> (8 * k)); }
  void put64(uint64_t at, uint64_t v) { for (int k = 0; k < 8; ++k) file[at + k] = uint8_t(v >> (8 * k)); }
  // Chained fixups: one starts record for `segment`, pointer format `format`, page_size `page`,
  // first fixup at `start` in page 0.
  void chained(uint32_t segment, uint16_t format, uint16_t page, uint16_t start, uint32_t seg_count = 3) {
    const uint64_t b = 0x8000;
    put32(b + 4, 32);   // starts_offset
    put32(b + 8, 200);  // imports_offset
    put32(b + 12, 210); // symbols_offset
    put32(b + 16, 0);   // imports_count
    put32(b + 20, 1);   // imports_format
    put32(b + 32, seg_count);
    put32(b + 36 + 4 * segment, 4 + 4 * seg_count);  // seg_info_offset, after the table
    const uint64_t st = b + 32 + 4 + 4 * seg_count;
    put32(st, 24);
    put16(st + 4, page);
    put16(st + 6, format);
    put64(st + 8, 0x4000);
    put16(st + 20, 1);
    put16(st + 22, start);
    macho::ChainedFixups cf;
    cf.starts_offset = 32;
    cf.imports_offset = 200;
    cf.symbols_offset = 210;
    cf.imports_format = 1;
    cf.seg_count = seg_count;
    macho::ChainedFixups::SegmentStarts s;
    s.segment_index = segment;
    s.page_size = page;
    s.pointer_format = format;
    s.segment_offset = 0x4000;
    s.page_count = 1;
    cf.segments.push_back(s);
    m.chained_fixups = cf;
    m.linkedit.push_back({0, macho::LC_DYLD_CHAINED_FIXUPS, 0x8000, 0x100});
  }
  void opcodes(std::vector<uint8_t> rebase, std::vector<uint8_t> bind) {
    std::copy(rebase.begin(), rebase.end(), file.begin() + 0x8000);
    std::copy(bind.begin(), bind.end(), file.begin() + 0x8800);
    macho::DyldInfo di;
    di.rebase_off = 0x8000;
    di.rebase_size = static_cast<uint32_t>(rebase.size());
    di.bind_off = 0x8800;
    di.bind_size = static_cast<uint32_t>(bind.size());
    m.dyld_info = di;
  }
  std::vector<std::string> messages() {
    Diagnostics d;
    (void)macho::read_fixups(m, ByteReader(Bytes(file.data(), file.size()), 0, "fake"), 0, d);
    return texts(d);
  }
};

}  // namespace

TEST_CASE("malformed fixups: one input per rule, each with its message", "[macho][fixups]") {
  {
    Fake f;
    f.chained(7, 6, 0x4000, 0, 8);
    f.m.chained_fixups->segments[0].segment_index = 7;
    CHECK(f.messages() == std::vector<std::string>{
                              "at 0x8000: LC_DYLD_CHAINED_FIXUPS: starts for segment 7 name no segment (the image has 3)"});
  }
  {
    Fake f;
    f.chained(1, 13, 0x4000, 0);
    CHECK(f.messages() == std::vector<std::string>{"at 0x8000: LC_DYLD_CHAINED_FIXUPS: segment __DATA: unknown pointer format 13"});
  }
  {
    Fake f;
    f.chained(1, 6, 0, 0);
    CHECK(f.messages() == std::vector<std::string>{"at 0x8000: LC_DYLD_CHAINED_FIXUPS: segment __DATA: page size 0"});
  }
  {
    Fake f;
    f.chained(1, 6, 0x4000, 0x3FFC);  // the first pointer would straddle the segment's end
    CHECK(f.messages() == std::vector<std::string>{
                              "at 0x7ffc: LC_DYLD_CHAINED_FIXUPS: segment __DATA: chain reaches +0x3ffc, past its 16384 file bytes"});
  }
  {
    Fake f;
    f.chained(1, 6, 0x1000, 0);
    f.put64(0x4000, uint64_t{0xFFF} << 51);  // next = 0xfff strides of 4: out of the 4 KiB page
    CHECK(f.messages() == std::vector<std::string>{"at 0x4000: LC_DYLD_CHAINED_FIXUPS: segment __DATA: chain of page 0 leaves the page"});
  }
  {
    Fake f;
    f.chained(1, 3, 0x4000, 0);  // DYLD_CHAINED_PTR_32: a note, its pointers compared as bytes
    auto m = f.messages();
    REQUIRE(m.size() == 1);
    CHECK(m[0] == "at 0x8046: LC_DYLD_CHAINED_FIXUPS: segment __DATA: 32-bit chained pointers (format 3) are not "
                  "decoded: its pointers are compared as bytes");
  }
  {
    Fake f;
    f.opcodes({0x21, 0xF0, 0xFF, 0x03, 0x51, 0x00}, {0x00});  // segment 1, offset 0xfff0 + 8 > its size; rebase once
    CHECK(f.messages() == std::vector<std::string>{"at 0x8004: rebase info: location __DATA+0xfff0 is outside its segment"});
  }
  {
    Fake f;
    f.opcodes({0xE0}, {0x00});
    CHECK(f.messages() == std::vector<std::string>{"at 0x8000: rebase info: unknown rebase opcode 0xe0"});
  }
  {
    Fake f;
    f.opcodes({0x21, 0x80}, {0x00});  // ULEB offset cut off by the end of the stream
    CHECK(f.messages() == std::vector<std::string>{"at 0x8002: rebase info: rebase opcodes run past the end of their stream"});
  }
  {
    Fake f;
    f.opcodes({0x00}, {0x71, 0x00, 0x90, 0x00});  // segment 1 offset 0, bind with no symbol named
    CHECK(f.messages() == std::vector<std::string>{"at 0x8802: bind info: bind before any symbol was named"});
  }
  {
    Fake f;
    f.opcodes({0x00}, {0x40, '_', 'x'});  // the name runs past the stream: no NUL
    CHECK(f.messages() == std::vector<std::string>{"at 0x8800: bind info: symbol name runs past the end of the stream"});
  }
  {
    Fake f;
    f.opcodes({0x00}, {0xE0});
    CHECK(f.messages() == std::vector<std::string>{"at 0x8800: bind info: unknown bind opcode 0xe0"});
  }
  {
    Fake f;
    f.opcodes({0x00}, {0x40, '_', 'x', 0, 0x71, 0x80});
    CHECK(f.messages() == std::vector<std::string>{"at 0x8806: bind info: bind opcodes run past the end of their stream"});
  }
  {
    Fake f;
    f.opcodes({0x00}, {0xD0});
    CHECK(f.messages() == std::vector<std::string>{
                              "at 0x8800: bind info: threaded binds are not decoded: those pointers are compared as bytes"});
  }
  {
    // A rebase stream that would repeat forever is cut at what the segments can hold.
    Fake f;
    f.opcodes({0x21, 0x00, 0x60, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F}, {0x00});
    auto m = f.messages();
    REQUIRE(m.size() == 1);
    CHECK(m[0] == "at 0x8002: rebase info: location __DATA+0x4000 is outside its segment");
  }
}
