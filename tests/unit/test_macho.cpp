// Mach-O reader: real binaries (radare2-testbins, MANIFEST §9), cross-checks with llvm-objdump and a
// python cdhash, the synthetic thin/fat/fileset fixtures of samples/gen/make_macho.py, fuzzer
// crashers, and one malformed case per validation rule with its exact message.
#include <algorithm>
#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>

#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include "inspect/hash.hpp"
#include "inspect/source.hpp"
#include "inspect/text.hpp"
#include "macho/json.hpp"
#include "macho/macho.hpp"
#include "macho/structs.hpp"
#include "test_support.hpp"

using namespace upscope;
using namespace upscope::macho;
using upscope::test::run_shell;
using upscope::test::shell_quote;
using upscope::test::texts;

namespace {

// Generated fixtures, written once per test run.
const std::filesystem::path& gen_dir() {
  static std::filesystem::path dir = [] {
    auto d = upscope::test::scratch_dir("macho-gen");
    auto r = run_shell("python3 " + shell_quote((upscope::test::source_dir() / "samples/gen/make_macho.py").string()) +
                       " " + shell_quote(d.string()) + " 2>&1");
    INFO(r.out);
    REQUIRE(r.exit_code == 0);
    return d;
  }();
  return dir;
}

nlohmann::json gen_manifest() { return nlohmann::json::parse(upscope::test::read_file(gen_dir() / "MANIFEST.json")); }

bool has(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

std::string uuid_of(const MachO& m) { return m.uuid ? uuid_string(Bytes(m.uuid->data(), 16)) : ""; }

Result<FatFile> read_path(const std::filesystem::path& p, Diagnostics& d) {
  auto src = FileSource::open(p.string());
  REQUIRE(src);
  return parse_file(**src, d);
}

void put32(std::vector<uint8_t>& b, size_t off, uint32_t v) { std::memcpy(b.data() + off, &v, 4); }
void put32be(std::vector<uint8_t>& b, size_t off, uint32_t v) {
  b[off] = uint8_t(v >> 24); b[off + 1] = uint8_t(v >> 16); b[off + 2] = uint8_t(v >> 8); b[off + 3] = uint8_t(v);
}
void put64(std::vector<uint8_t>& b, size_t off, uint64_t v) { std::memcpy(b.data() + off, &v, 8); }

// Offset of load command `index` in a thin 64-bit image.
size_t cmd_at(const std::vector<uint8_t>& b, uint32_t index) {
  size_t off = 32;
  for (uint32_t i = 0; i < index; ++i) {
    uint32_t sz;
    std::memcpy(&sz, b.data() + off + 4, 4);
    off += sz;
  }
  return off;
}

struct Parsed {
  Result<MachO> m;
  std::vector<std::string> diags;
};
Parsed parse_bytes(const std::vector<uint8_t>& b) {
  Diagnostics d;
  auto m = parse(ByteReader(Bytes(b)), d);
  return {std::move(m), texts(d)};
}

// llvm-objdump (16 preferred) or nullopt: tests that compare with it skip visibly without it.
std::optional<std::string> objdump() {
  for (const char* t : {"llvm-objdump-16", "llvm-objdump-15", "llvm-objdump-14", "llvm-objdump"})
    if (run_shell(std::string("command -v ") + t + " >/dev/null 2>&1").exit_code == 0) return std::string(t);
  WARN("SKIPPED: llvm-objdump is not installed (apt-get install llvm-16)");
  return std::nullopt;
}

// "segname X" / "sectname Y" / "uuid Z" lines of `llvm-objdump --macho --private-headers`, in order.
std::vector<std::string> objdump_layout(const std::string& tool, const std::filesystem::path& p, const std::string& arch = "") {
  auto r = run_shell(tool + " --macho --private-headers " + (arch.empty() ? "" : "--arch=" + arch + " ") +
                     shell_quote(p.string()) + " 2>/dev/null");
  std::vector<std::string> out;
  std::istringstream in(r.out);
  std::string line;
  static const std::regex re(R"(^\s*(segname|sectname|uuid)\s+(\S+)\s*$)");
  bool in_section = false;
  while (std::getline(in, line)) {
    if (line == "Section") in_section = true;
    if (line.rfind("Load command", 0) == 0) in_section = false;
    std::smatch m;
    if (!std::regex_match(line, m, re)) continue;
    if (m[1] == "segname" && in_section) continue;  // a section's own segname line
    out.push_back(std::string(m[1]) + " " + std::string(m[2]));
  }
  return out;
}

std::vector<std::string> our_layout(const MachO& m) {
  std::vector<std::string> out;
  // llvm prints in load-command order; LC_UUID sits between segments in some files.
  std::vector<std::pair<uint32_t, std::vector<std::string>>> items;
  for (const auto& s : m.segments) {
    std::vector<std::string> v{"segname " + s.segname};
    for (const auto& x : s.sections) v.push_back("sectname " + x.sectname);
    items.push_back({s.command_index, v});
  }
  for (const auto& c : m.commands)
    if (c.cmd == LC_UUID && m.uuid) items.push_back({c.index, {"uuid " + uuid_of(m)}});
  std::sort(items.begin(), items.end(), [](auto& a, auto& b) { return a.first < b.first; });
  for (auto& [i, v] : items) out.insert(out.end(), v.begin(), v.end());
  return out;
}

size_t count_lines(const std::string& s, const std::string& pattern) {
  std::istringstream in(s);
  std::string line;
  size_t n = 0;
  std::regex re(pattern);
  while (std::getline(in, line))
    if (std::regex_search(line, re)) ++n;
  return n;
}

// Independent cdhash: python3 stdlib walks the SuperBlob and hashes the first CodeDirectory.
std::string python_cdhash(const std::filesystem::path& p) {
  const char* script = R"PY(
import hashlib, struct, sys
d = open(sys.argv[1], 'rb').read()
ncmds, = struct.unpack_from('<I', d, 16); off = 32
for _ in range(ncmds):
    c, s = struct.unpack_from('<II', d, off)
    if c == 0x1d:
        so, ss = struct.unpack_from('<II', d, off + 8)
    off += s
sb = d[so:so + ss]
n, = struct.unpack_from('>I', sb, 8)
for i in range(n):
    t, o = struct.unpack_from('>II', sb, 12 + 8 * i)
    if t == 0 or 0x1000 <= t < 0x1005:
        l, = struct.unpack_from('>I', sb, o + 4)
        if sb[o + 37] == 2:  # hashType SHA-256: the cdhash AMFI uses
            print(hashlib.sha256(sb[o:o + l]).hexdigest()[:40])
            break
)PY";
  auto py = upscope::test::scratch_dir("macho-py") / "cdhash.py";
  std::ofstream(py) << script;
  auto r = run_shell("python3 " + shell_quote(py.string()) + " " + shell_quote(p.string()));
  std::string s = r.out;
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

}  // namespace

// ---- real binaries -----------------------------------------------------------------------------

TEST_CASE("macho: TestMacOS-arm64e header, UUID, arm64e ptrauth, linkedit", "[macho]") {
  UPSCOPE_REQUIRE_SAMPLE(p, "r2/TestMacOS-arm64e");
  Diagnostics d;
  auto ff = read_path(p, d);
  REQUIRE(ff);
  CHECK(texts(d).empty());
  REQUIRE(ff->slices.size() == 1);
  CHECK_FALSE(ff->fat);
  CHECK(ff->sha256 == "9422912dadab9e5acf06527954f71e7a4ba7a352c0d842cc3675e74812ace04f");
  const MachO& m = *ff->slices[0].image;
  CHECK(uuid_of(m) == "095E5185-362C-3D5F-AA4E-665792B2356D");
  CHECK(m.arch == "arm64e");
  CHECK(m.cpusubtype == 0x80000002);
  CHECK(m.ptrauth_abi);
  CHECK(m.ptrauth_abi_version == 0);
  CHECK(m.ncmds == 22);
  CHECK(m.commands.size() == 22);
  CHECK(m.segments.size() == 5);
  CHECK(m.dylibs.size() == 4);
  CHECK(m.dylibs[1].name == "/usr/lib/libobjc.A.dylib");
  REQUIRE(m.build_version);
  CHECK(m.build_version->platform == 1);
  CHECK(version_string(m.build_version->minos) == "12.0.0");
  REQUIRE(m.chained_fixups);
  CHECK(m.chained_fixups->imports_count == 10);
  CHECK(m.chained_fixups->import_names.size() == 10);
  REQUIRE(m.code_signature);
  REQUIRE(m.code_signature->primary());
  CHECK(m.code_signature->primary()->identifier == "com.supermorte.TestMacos");
  CHECK(m.code_signature->primary()->team_id == "7JJ26R4EJS");
  CHECK(m.code_signature->primary()->page_size == 4096);
  CHECK(m.code_signature->primary()->cdhash == python_cdhash(p));
  CHECK(m.code_signature->has_cms);
  CHECK(m.rpaths == std::vector<std::string>{"@executable_path/../Frameworks"});
}

TEST_CASE("macho: TestRTTI-arm64e (iOS, LC_DYLD_INFO_ONLY, encryption info)", "[macho]") {
  UPSCOPE_REQUIRE_SAMPLE(p, "r2/TestRTTI-arm64e");
  Diagnostics d;
  auto ff = read_path(p, d);
  REQUIRE(ff);
  CHECK(texts(d).empty());
  const MachO& m = *ff->slices[0].image;
  CHECK(uuid_of(m) == "9E68B610-F2F3-396B-AD88-2B3B786A5566");
  CHECK(m.arch == "arm64e");
  CHECK_FALSE(m.ptrauth_abi);  // cpusubtype 2 without the versioned-ABI bit
  REQUIRE(m.version_mins.size() == 1);
  CHECK(m.version_mins[0].cmd == LC_VERSION_MIN_IPHONEOS);
  CHECK(version_string(m.version_mins[0].version) == "9.0.0");
  REQUIRE(m.encryption.size() == 1);
  CHECK(m.encryption[0].cryptid == 0);
  REQUIRE(m.dyld_info);
  CHECK(m.code_signature->primary()->cdhash == python_cdhash(p));
}

TEST_CASE("macho: hello-macos-arm64-chained", "[macho]") {
  UPSCOPE_REQUIRE_SAMPLE(p, "r2/hello-macos-arm64-chained");
  Diagnostics d;
  auto ff = read_path(p, d);
  REQUIRE(ff);
  CHECK(texts(d).empty());
  const MachO& m = *ff->slices[0].image;
  CHECK(uuid_of(m) == "8F44BF95-7EA1-3791-9349-49EF9CEF8135");
  CHECK(m.arch == "arm64");
  REQUIRE(m.chained_fixups);
  CHECK(m.chained_fixups->imports_count == 9);
  CHECK_FALSE(m.code_signature->has_cms);  // ad-hoc, linker-signed
  CHECK(m.code_signature->primary()->identifier == "hello-macos-arm64-chained");
  CHECK(m.code_signature->primary()->cdhash == python_cdhash(p));
}

TEST_CASE("macho: cat-macos-arm64 fat file", "[macho]") {
  UPSCOPE_REQUIRE_SAMPLE(p, "r2/cat-macos-arm64");
  Diagnostics d;
  auto ff = read_path(p, d);
  REQUIRE(ff);
  CHECK(texts(d).empty());
  CHECK(ff->fat);
  REQUIRE(ff->slices.size() == 2);
  CHECK(ff->slices[0].arch == "x86_64");
  CHECK(ff->slices[0].offset == 16384);
  CHECK(ff->slices[0].size == 56784);
  CHECK(ff->slices[1].arch == "arm64e");
  CHECK(ff->slices[1].offset == 81920);
  // MANIFEST §9 calls EEA7FBFF the arm64 slice's UUID; llvm-objdump and we both find it in the x86_64 slice.
  CHECK(uuid_of(*ff->slices[0].image) == "EEA7FBFF-D8F1-3FD0-B455-779FE301D47E");
  CHECK(uuid_of(*ff->slices[1].image) == "8F0FB349-EA1A-3AEE-AA7A-194B81E41A7D");
  CHECK(ff->slices[1].image->ptrauth_abi);
}

TEST_CASE("macho: segments, sections, UUID and LINKEDIT counts match llvm-objdump", "[macho]") {
  auto tool = objdump();
  if (!tool) return;
  auto samples = upscope::test::samples_dir();
  std::vector<std::filesystem::path> files{gen_dir() / "thin-arm64", gen_dir() / "thin-x86_64"};
  if (samples)
    for (const char* f : {"r2/TestMacOS-arm64e", "r2/TestRTTI-arm64e", "r2/hello-macos-arm64-chained"})
      files.push_back(*samples / f);
  else
    WARN("SKIPPED part: UPSCOPE_SAMPLES unset, real binaries not compared");
  for (const auto& f : files) {
    INFO(f.string());
    Diagnostics d;
    auto ff = read_path(f, d);
    REQUIRE(ff);
    const MachO& m = *ff->slices[0].image;
    auto theirs = objdump_layout(*tool, f);
    REQUIRE_FALSE(theirs.empty());
    CHECK(our_layout(m) == theirs);
    auto syms = run_shell(*tool + " --macho --syms " + shell_quote(f.string()));
    CHECK(count_lines(syms.out, "^[0-9a-f]{16} ") == m.symbol_count);
    auto fs = run_shell(*tool + " --macho --function-starts " + shell_quote(f.string()));
    CHECK(count_lines(fs.out, "^[0-9a-f]{16}$") == m.function_starts.size());
    if (!m.function_starts.empty()) CHECK(fs.out.find(fmt::format("{:016x}", m.function_starts.back())) != std::string::npos);
    if (m.dyld_info || std::any_of(m.linkedit.begin(), m.linkedit.end(), [](auto& l) { return l.cmd == LC_DYLD_EXPORTS_TRIE; })) {
      auto ex = run_shell(*tool + " --macho --exports-trie " + shell_quote(f.string()));
      CHECK(count_lines(ex.out, "^0x[0-9A-Fa-f]+ ") == m.exports.size());
    }
  }
  if (samples) {  // both slices of the fat file
    auto f = *samples / "r2/cat-macos-arm64";
    Diagnostics d;
    auto ff = read_path(f, d);
    REQUIRE(ff);
    CHECK(our_layout(*ff->slices[0].image) == objdump_layout(*tool, f, "x86_64"));
    CHECK(our_layout(*ff->slices[1].image) == objdump_layout(*tool, f, "arm64e"));
  }
}

TEST_CASE("macho: real npm binary (@esbuild/darwin-arm64) matches llvm-objdump", "[macho][network]") {
  auto tool = objdump();
  if (!tool) return;
  auto found = upscope::test::npm_package_file("@esbuild/darwin-arm64", "bin/esbuild");
  if (!found) return;
  const auto bin = *found;
  Diagnostics d;
  auto ff = read_path(bin, d);
  REQUIRE(ff);
  CHECK(texts(d).empty());
  const MachO& m = *ff->slices[0].image;
  CHECK(m.arch == "arm64");
  CHECK(our_layout(m) == objdump_layout(*tool, bin));
  auto syms = run_shell(*tool + " --macho --syms " + shell_quote(bin.string()));
  CHECK(count_lines(syms.out, "^[0-9a-f]{16} ") == m.symbol_count);
  REQUIRE(m.code_signature);
  CHECK(m.code_signature->primary()->cdhash == python_cdhash(bin));
}

// ---- fuzzer crashers ---------------------------------------------------------------------------

TEST_CASE("macho: fuzzer crashers give partial results with exact diagnostics", "[macho]") {
  UPSCOPE_REQUIRE_SAMPLE(dir, "r2");
  {
    Diagnostics d;
    auto ff = read_path(dir / "crash-macho", d);
    REQUIRE(ff);
    const MachO& m = *ff->slices[0].image;
    CHECK_FALSE(m.is64);
    CHECK(m.arch == "arm");
    CHECK(uuid_of(m) == "5B9FD5D9-3BFB-395A-8650-A59DC90FB740");
    CHECK(texts(d) == std::vector<std::string>{
                          "at 0x438: load command 3 (LC_SEGMENT __LINKEDIT): fileoff+filesize 0x3000+0x1850 extends "
                          "past the end of the file (0x32c0 bytes)",
                          "at 0x570: load command 10 (LC_0x726f7765): cmdsize 1227846507 extends past the end of the "
                          "load commands",
                          "load command 5 (LC_DYSYMTAB): iundefsym+nundefsym (10+4294967295) exceeds the 21 symbols "
                          "of LC_SYMTAB"});
  }
  {
    Diagnostics d;
    auto ff = read_path(dir / "macho-negativesymcount", d);
    REQUIRE(ff);
    auto t = texts(d);
    CHECK(has(t, "at 0x1f8: load command 1 (LC_SEGMENT_64 __DATA): fileoff+filesize 0x1000..0x2000 overlaps segment "
                 "__TEXT (load command 0) 0xe..0x100e"));
    CHECK(has(t, "at 0x370: load command 5 (LC_DYSYMTAB): local relocation entries 0x0+0x540000000 extends past the "
                 "end of the file (0x3557 bytes)"));
    CHECK(has(t, "at 0x3c0: load command 6 (LC_0x4000020): cmdsize 0 is smaller than 8: the remaining commands "
                 "cannot be located"));
    CHECK(has(t, "load command 5 (LC_DYSYMTAB): ilocalsym+nlocalsym (0+4294967295) exceeds the 153 symbols of LC_SYMTAB"));
    CHECK(ff->slices[0].image->symbol_count == 153);
  }
  {
    Diagnostics d;
    auto ff = read_path(dir / "xnu-kernelcache-oobread", d);
    REQUIRE(ff);
    const MachO& m = *ff->slices[0].image;
    CHECK(m.filetype == MH_EXECUTE);
    CHECK(m.ncmds == 25);
    auto t = texts(d);
    CHECK(has(t, "at 0x20: load command 0 (LC_0x2000019): unknown load command 0x2000019 (632 bytes): kept as raw bytes"));
    CHECK(has(t, "at 0x510: load command 2 (LC_SEGMENT_64 __TEXT_EXEC): fileoff+filesize 0xb4c000+0x1ed4000 extends "
                 "past the end of the file (0x10461 bytes)"));
    CHECK(m.commands[0].raw.size() == 632);
  }
  for (const char* f : {"dyldcache_read4", "dyldcache_read8"}) {
    Diagnostics d;
    CHECK_FALSE(read_path(dir / f, d));  // not Mach-O at all: a clean error
  }
}

// ---- synthetic fixtures ------------------------------------------------------------------------

TEST_CASE("macho: generated thin, fat and fileset fixtures", "[macho]") {
  auto man = gen_manifest();
  {
    Diagnostics d;
    auto ff = read_path(gen_dir() / "thin-arm64", d);
    REQUIRE(ff);
    CHECK(texts(d).empty());
    const MachO& m = *ff->slices[0].image;
    const auto& t = man["thin-arm64"];
    CHECK(uuid_of(m) == t["uuid"].get<std::string>());
    CHECK(m.symbol_count == t["nsyms"].get<uint64_t>());
    CHECK(m.exports.size() == t["exports"].get<size_t>());
    CHECK(m.function_starts == std::vector<uint64_t>{0x100001000, 0x100001010, 0x100001020});
    REQUIRE(m.exports.size() == 3);
    CHECK(m.exports[0].name == "_func_00001");
    CHECK(m.exports[0].address == 0x1010);
    CHECK(m.exports[2].name == "_main");
    CHECK(m.code_signature->primary()->cdhash == t["cdhash"].get<std::string>());
    CHECK(m.code_signature->primary()->code_limit == t["code_limit"].get<uint64_t>());
    CHECK(m.code_signature->primary()->identifier == "com.example.hello");
    CHECK(m.code_sha256 == t["code_sha256"].get<std::string>());
    CHECK(m.code_bytes == t["code_bytes"].get<uint64_t>());
    CHECK(source_version_string(*m.source_version) == "1.2.3.0.0");
    CHECK(m.symbols[3].name == "dyld_stub_binder");
  }
  {
    Diagnostics d;
    auto ff = read_path(gen_dir() / "fat", d);
    REQUIRE(ff);
    CHECK(texts(d).empty());
    REQUIRE(ff->slices.size() == 2);
    CHECK(ff->slices[0].offset == man["fat"]["slices"][0]["offset"].get<uint64_t>());
    CHECK(uuid_of(*ff->slices[0].image) == man["thin-x86_64"]["uuid"].get<std::string>());
    CHECK(uuid_of(*ff->slices[1].image) == man["thin-arm64"]["uuid"].get<std::string>());
    // a slice is the thin file byte for byte
    CHECK(ff->slices[1].sha256 == sha256_hex(Bytes(upscope::test::read_bytes(gen_dir() / "thin-arm64"))));
  }
  {
    Diagnostics d;
    auto ff = read_path(gen_dir() / "fileset", d);
    REQUIRE(ff);
    CHECK(texts(d).empty());
    const MachO& kc = *ff->slices[0].image;
    CHECK(kc.filetype == MH_FILESET);
    CHECK(kc.ptrauth_abi);
    REQUIRE(kc.fileset_entries.size() == 3);
    auto bytes = upscope::test::read_bytes(gen_dir() / "fileset");
    ByteReader whole{Bytes(bytes)};
    for (size_t i = 0; i < 3; ++i) {
      const auto& want = man["fileset"]["entries"][i];
      const auto& e = kc.fileset_entries[i];
      CHECK(e.entry_id == want["entry_id"].get<std::string>());
      CHECK(e.fileoff == want["fileoff"].get<uint64_t>());
      CHECK(e.vmaddr == want["vmaddr"].get<uint64_t>());
      // The entry's load commands use KC-relative offsets: read it in place with offsets_base.
      ParseOptions opt;
      opt.offsets_base = whole;
      Diagnostics di;
      auto inner = parse(*whole.sub(e.fileoff, whole.size() - e.fileoff), di, opt);
      REQUIRE(inner);
      CHECK(texts(di).empty());
      CHECK(inner->header_offset == e.fileoff);
      CHECK(uuid_of(*inner) == want["uuid"].get<std::string>());
      CHECK(inner->filetype == want["filetype"].get<uint32_t>());
      CHECK(inner->code_sha256 == want["code_sha256"].get<std::string>());
      CHECK(inner->text_vmaddr() == e.vmaddr);
    }
    // Without offsets_base the same entry's offsets point past its sub-view.
    Diagnostics dn;
    auto wrong = parse(*whole.sub(0xc000, whole.size() - 0xc000), dn);
    REQUIRE(wrong);
    CHECK(has(texts(dn), "at 0xc020: load command 0 (LC_SEGMENT_64 __TEXT): fileoff+filesize 0xc000+0x4000 extends "
                         "past the end of the file (0x5000 bytes)"));
    // a view that is not inside the base is refused
    std::vector<uint8_t> other(bytes.begin(), bytes.begin() + 0x100);
    ParseOptions bad;
    bad.offsets_base = whole;
    Diagnostics db;
    CHECK_FALSE(parse(ByteReader(Bytes(other)), db, bad));
  }
}

// An x86_64 image that only moved has new call/jump targets and RIP-relative displacements and
// nothing else: its code hash must stay; any other instruction change must show.
TEST_CASE("macho: x86_64 code hash ignores what a move changes, not other instructions", "[macho]") {
  const auto bytes = upscope::test::read_bytes(gen_dir() / "thin-x86_64");
  uint64_t text_off = 0, text_size = 0;
  {
    Diagnostics d;
    auto ff = read_path(gen_dir() / "thin-x86_64", d);
    REQUIRE(ff);
    REQUIRE(ff->slices[0].image);
    for (const auto& seg : ff->slices[0].image->segments)
      for (const auto& s : seg.sections)
        if (s.sectname == "__text") text_off = s.offset, text_size = s.size;
  }
  REQUIRE(text_off != 0);
  auto hash_with = [&](std::vector<uint8_t> code) {
    REQUIRE(code.size() <= text_size);
    auto copy = bytes;
    std::copy(code.begin(), code.end(), copy.begin() + static_cast<std::ptrdiff_t>(text_off));
    Diagnostics d;
    auto m = parse(ByteReader(Bytes(copy)), d);
    REQUIRE(m);
    return m->code_sha256;
  };
  // call rel32; lea rax, [rip+disp32]; jmp rel32; mov eax, imm32
  auto code = [](uint32_t call, uint32_t lea, uint32_t jmp, uint32_t imm, uint8_t reg = 0x05) {
    std::vector<uint8_t> c{0xE8};
    for (int k = 0; k < 4; ++k) c.push_back(uint8_t(call >> (8 * k)));
    c.insert(c.end(), {0x48, 0x8D, reg});
    for (int k = 0; k < 4; ++k) c.push_back(uint8_t(lea >> (8 * k)));
    c.push_back(0xE9);
    for (int k = 0; k < 4; ++k) c.push_back(uint8_t(jmp >> (8 * k)));
    c.push_back(0xB8);
    for (int k = 0; k < 4; ++k) c.push_back(uint8_t(imm >> (8 * k)));
    return c;
  };
  const std::string before = hash_with(code(0x100, 0x2000, 0x40, 7));
  CHECK(hash_with(code(0x1100, 0x3000, 0x1040, 7)) == before);        // the same code, moved
  CHECK(hash_with(code(0xfffff000, 0x10, 0x7fffff00, 7)) == before);
  CHECK(hash_with(code(0x100, 0x2000, 0x40, 8)) != before);            // another immediate
  CHECK(hash_with(code(0x100, 0x2000, 0x40, 7, 0x0D)) != before);      // lea rcx instead of rax
}

TEST_CASE("macho: CLI inspect text and JSON", "[macho]") {
  auto r = upscope::test::run_upscope({"inspect", "--json", (gen_dir() / "fileset").string()});
  REQUIRE(r.exit_code == 0);
  auto doc = nlohmann::json::parse(r.out);
  const auto& item = doc["inputs"][0];
  CHECK(item["format"] == "macho-fileset");
  CHECK(item["report"]["fileset_entries"].size() == 3);
  CHECK(item["report"]["fileset_entries"][0]["entry_id"] == "com.apple.kernel");
  CHECK(item["report"]["fileset_entries"][0]["image"]["uuid"] == "10101010-1010-1010-1010-101010101010");
  CHECK(item["report"]["slices"][0]["image"]["header"]["filetype"] == "fileset");

  r = upscope::test::run_upscope({"inspect", (gen_dir() / "fat").string()});
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("slice 1: arm64 at 0xc000+0x41e0") != std::string::npos);
  CHECK(r.out.find("uuid: 00010203-0405-0607-0809-0A0B0C0D0E0F") != std::string::npos);
  CHECK(r.out.find("symbols: 4, exports: 3, function starts: 3") != std::string::npos);

  r = upscope::test::run_upscope({"inspect", "--json", (gen_dir() / "thin-arm64").string()});
  REQUIRE(r.exit_code == 0);
  doc = nlohmann::json::parse(r.out);
  const auto& img = doc["inputs"][0]["report"]["slices"][0]["image"];
  CHECK(img["code_signature"]["cdhash"] == gen_manifest()["thin-arm64"]["cdhash"]);
  CHECK(img["build_version"]["platform"] == "macos");
  CHECK(img["build_version"]["sdk"] == "14.2.0");
  CHECK(img["counts"]["function_starts"] == 3);
}

// ---- one case per validation rule (mutations of thin-arm64; layout in MANIFEST.json) -----------
// thin-arm64 load commands: 0 __PAGEZERO @0x20, 1 __TEXT @0x68 (section @0xb0), 2 __LINKEDIT @0x100,
// 3 LC_DYLD_EXPORTS_TRIE @0x148, 4 LC_SYMTAB @0x158, 5 LC_DYSYMTAB @0x170, 6 LC_LOAD_DYLINKER @0x1c0,
// 7 LC_UUID @0x1e0, 8 LC_BUILD_VERSION @0x1f8, 9 LC_SOURCE_VERSION @0x218, 10 LC_MAIN @0x228,
// 11 LC_LOAD_DYLIB @0x240, 12 LC_FUNCTION_STARTS @0x278, 13 LC_CODE_SIGNATURE @0x288.
// LINKEDIT: function starts 0x4000+8, exports trie 0x4008+48, symtab 0x4038+64, strtab 0x4078+64,
// signature 0x40c0+288; file 0x41e0 bytes.

TEST_CASE("macho: malformed images, one rule each, exact messages", "[macho]") {
  const auto base = upscope::test::read_bytes(gen_dir() / "thin-arm64");
  REQUIRE(base.size() == 0x41e0);
  REQUIRE(cmd_at(base, 4) == 0x158);
  REQUIRE(cmd_at(base, 13) == 0x288);

  struct Case {
    const char* rule;
    std::function<void(std::vector<uint8_t>&)> mutate;
    std::string expected;  // a diagnostic, or "ERROR: <message>" for a fatal error
  };
  const std::vector<Case> cases = {
      {"bad magic", [](auto& b) { put32(b, 0, 0x12345678); }, "ERROR: mach_header at 0x0: bad magic 0x12345678: not a Mach-O image"},
      {"big-endian", [](auto& b) { put32be(b, 0, 0xfeedfacf); },
       "ERROR: mach_header at 0x0: big-endian Mach-O images (PowerPC era) are not supported"},
      {"truncated header", [](auto& b) { b.resize(20); },
       "ERROR: mach_header at 0x0: the image is 20 bytes, shorter than the 32-byte header"},
      {"sizeofcmds past the end", [](auto& b) { b.resize(0x200); },
       "at 0x0: mach_header: sizeofcmds 632 extends past the end of the file (480 bytes after the header)"},
      {"ncmds beyond sizeofcmds", [](auto& b) { put32(b, 16, 15); },
       "at 0x298: load command 14: starts past the end of the load commands (ncmds 15, sizeofcmds 632)"},
      {"cmdsize below 8", [](auto& b) { put32(b, 0x1e0 + 4, 4); },
       "at 0x1e0: load command 7 (LC_UUID): cmdsize 4 is smaller than 8: the remaining commands cannot be located"},
      {"cmdsize past the load commands", [](auto& b) { put32(b, 0x288 + 4, 0x100); },
       "at 0x288: load command 13 (LC_CODE_SIGNATURE): cmdsize 256 extends past the end of the load commands"},
      {"cmdsize not aligned", [](auto& b) { put32(b, 0x1e0 + 4, 20); put32(b, 0x1f8 - 4, 0x1b); },
       "at 0x1e0: load command 7 (LC_UUID): cmdsize 20 is not a multiple of 8"},
      {"cmdsize smaller than the command", [](auto& b) { put32(b, 0x228, 0x1b); put32(b, 0x228 + 4, 8); put32(b, 0x230, 0x1b); put32(b, 0x234, 16); },
       "at 0x228: load command 10 (LC_UUID): cmdsize 8 is smaller than the 24-byte command"},
      {"segment past the end of the file", [](auto& b) { put64(b, 0x100 + 48, 0x10000); },
       "at 0x100: load command 2 (LC_SEGMENT_64 __LINKEDIT): fileoff+filesize 0x4000+0x10000 extends past the end of "
       "the file (0x41e0 bytes)"},
      {"segments overlap", [](auto& b) { put64(b, 0x100 + 40, 0x3000); put64(b, 0x100 + 48, 0x11e0); },
       "at 0x100: load command 2 (LC_SEGMENT_64 __LINKEDIT): fileoff+filesize 0x3000..0x41e0 overlaps segment __TEXT "
       "(load command 1) 0x0..0x4000"},
      {"nsects beyond cmdsize", [](auto& b) { put32(b, 0x68 + 64, 3); },
       "at 0x68: load command 1 (LC_SEGMENT_64 __TEXT): nsects 3 needs 312 bytes but cmdsize is 152: reading 1 sections"},
      {"section past the end of the file", [](auto& b) { put32(b, 0xb0 + 48, 0x4100); put64(b, 0xb0 + 40, 0x1000); },
       "at 0xb0: load command 1 (LC_SEGMENT_64 __TEXT) section 0 (__TEXT,__text): offset+size 0x4100+0x1000 extends "
       "past the end of the file (0x41e0 bytes)"},
      {"section outside its segment", [](auto& b) { put32(b, 0xb0 + 48, 0x4100); },
       "at 0xb0: load command 1 (LC_SEGMENT_64 __TEXT) section 0 (__TEXT,__text): offset+size 0x4100+0x30 lies outside "
       "its segment's file range 0x0+0x4000"},
      {"section overlaps the load commands", [](auto& b) { put32(b, 0xb0 + 48, 0x100); },
       "at 0xb0: load command 1 (LC_SEGMENT_64 __TEXT) section 0 (__TEXT,__text): offset+size 0x100..0x130 overlaps the "
       "Mach-O header and load commands 0x0..0x298"},
      {"symbol table past the end", [](auto& b) { put32(b, 0x158 + 12, 0x1000); },
       "at 0x158: load command 4 (LC_SYMTAB): symbol table 0x4038+0x10000 extends past the end of the file (0x41e0 bytes)"},
      {"symbol count overflows", [](auto& b) { put32(b, 0x158 + 12, 0xffffffff); },
       "at 0x158: load command 4 (LC_SYMTAB): symbol table 0x4038+0xffffffff0 extends past the end of the file (0x41e0 bytes)"},
      {"string table overlaps another table", [](auto& b) { put32(b, 0x158 + 16, 0x4000); },
       "at 0x158: load command 4 (LC_SYMTAB): string table 0x4000..0x4040 overlaps LC_DYLD_EXPORTS_TRIE data (load "
       "command 3) 0x4008..0x4038"},
      {"function starts overlap the string table", [](auto& b) { put32(b, 0x158 + 16, 0x4000); },
       "at 0x278: load command 12 (LC_FUNCTION_STARTS): data 0x4000..0x4008 overlaps LC_SYMTAB string table (load "
       "command 4) 0x4000..0x4040"},
      {"symbol name outside the string table", [](auto& b) { put32(b, 0x4038 + 16, 0x500); },
       "at 0x4048: load command 4 (LC_SYMTAB): 1 symbols (first: symbol 1) have names outside the string table"},
      {"dysymtab index beyond nsyms", [](auto& b) { put32(b, 0x170 + 24, 9); },
       "load command 5 (LC_DYSYMTAB): iundefsym+nundefsym (9+1) exceeds the 4 symbols of LC_SYMTAB"},
      {"linkedit blob past the end", [](auto& b) { put32(b, 0x278 + 8, 0x41e0); },
       "at 0x278: load command 12 (LC_FUNCTION_STARTS): data 0x41e0+0x8 extends past the end of the file (0x41e0 bytes)"},
      {"string offset outside its command", [](auto& b) { put32(b, 0x240 + 8, 200); },
       "at 0x240: load command 11 (LC_LOAD_DYLIB): dylib name offset 200 is outside the command (fixed part 24, cmdsize 56)"},
      {"unknown load command", [](auto& b) { put32(b, 0x218, 0x77); },
       "at 0x218: load command 9 (LC_0x77): unknown load command 0x77 (16 bytes): kept as raw bytes"},
      {"second LC_UUID", [](auto& b) { put32(b, 0x228, 0x1b); put32(b, 0x228 + 4, 24); },
       "at 0x228: load command 10 (LC_UUID): a second LC_UUID: keeping the first"},
      {"build version tools beyond cmdsize", [](auto& b) { put32(b, 0x1f8 + 20, 5); },
       "at 0x1f8: load command 8 (LC_BUILD_VERSION): ntools 5 does not fit in cmdsize 32"},
      {"export trie child past the end", [](auto& b) { b[0x4008 + 4] = 0x7f; },
       "at 0x4008: load command 3 (LC_DYLD_EXPORTS_TRIE): export trie node at +0x0: edge '_' points past the end of "
       "the trie (+0x7f)"},
      {"export trie cycle", [](auto& b) { b[0x4008 + 4] = 0x00; },
       "at 0x4008: load command 3 (LC_DYLD_EXPORTS_TRIE): export trie node at +0x0 is reached twice (cycle)"},
      {"function starts bad ULEB128", [](auto& b) { std::fill(b.begin() + 0x4000, b.begin() + 0x4008, 0xff); },
       "at 0x4000: load command 12 (LC_FUNCTION_STARTS): function start 0 is a bad ULEB128: needs 1 bytes at +0x8 but "
       "only 0 remain"},
      {"code signature bad magic", [](auto& b) { put32be(b, 0x40c0, 0xdeadbeef); },
       "at 0x40c0: load command 13 (LC_CODE_SIGNATURE): SuperBlob magic is 0xdeadbeef, expected 0xfade0cc0"},
      {"code signature index beyond the blob", [](auto& b) { put32be(b, 0x40c0 + 8, 1000); },
       "at 0x40c0: load command 13 (LC_CODE_SIGNATURE): SuperBlob index of 1000 entries runs past its 286 bytes"},
      {"CodeDirectory string outside the blob", [](auto& b) { put32be(b, 0x40c0 + 20 + 20, 0x7000); },
       "at 0x40d4: load command 13 (LC_CODE_SIGNATURE) blob 0 (slot 0x0): identifier at +0x7000 is not a string inside "
       "the CodeDirectory"},
  };
  for (const auto& c : cases) {
    INFO("rule: " << c.rule);
    auto b = base;
    c.mutate(b);
    auto p = parse_bytes(b);
    if (c.expected.rfind("ERROR: ", 0) == 0) {
      REQUIRE_FALSE(p.m);
      CHECK("ERROR: " + p.m.error().message() == c.expected);
      continue;
    }
    REQUIRE(p.m);
    INFO("diagnostics:\n" << [&] { std::string s; for (auto& t : p.diags) s += t + "\n"; return s; }());
    CHECK(has(p.diags, c.expected));
  }
  // The unmodified fixture is clean, so every message above comes from its mutation.
  CHECK(parse_bytes(base).diags.empty());
}

TEST_CASE("macho: malformed fat files and fileset entries", "[macho]") {
  auto fat = upscope::test::read_bytes(gen_dir() / "fat");
  auto run = [](const std::vector<uint8_t>& b, std::vector<std::string>& out) {
    MemorySource src(b, "fat");
    Diagnostics d;
    auto r = parse_file(src, d);
    out = texts(d);
    return r;
  };
  std::vector<std::string> t;
  {  // slice past the end of the file
    auto b = fat;
    put32be(b, 8 + 20 + 12, 0x100000);
    auto r = run(b, t);
    REQUIRE(r);
    CHECK(has(t, "at 0x1c: fat slice 1 (arm64): offset+size 0xc000+0x100000 extends past the end of the file (0x101e0 bytes)"));
    CHECK(r->slices[0].image);
    CHECK_FALSE(r->slices[1].image);
  }
  {  // overlapping slices
    auto b = fat;
    put32be(b, 8 + 20 + 8, 0x4000);
    auto r = run(b, t);
    REQUIRE(r);
    CHECK(has(t, "at 0x1c: fat slice 1 (arm64): offset+size 0x4000+0x41e0 overlaps fat slice 0 (x86_64)"));
  }
  {  // slice inside the fat header
    auto b = fat;
    put32be(b, 8 + 8, 0x10);
    auto r = run(b, t);
    REQUIRE(r);
    CHECK(has(t, "at 0x8: fat slice 0 (x86_64): offset 0x10 lies inside the fat header (which ends at 0x30)"));
  }
  {  // nfat_arch 0
    auto b = fat;
    put32be(b, 4, 0);
    auto r = run(b, t);
    REQUIRE_FALSE(r);
    CHECK(r.error().message() == "fat_header at 0x0: nfat_arch 0 is not between 1 and 1024");
  }
  {  // arch table past the end
    auto b = fat;
    put32be(b, 4, 1000);
    b.resize(0x100);
    auto r = run(b, t);
    REQUIRE_FALSE(r);
    CHECK(r.error().message() ==
          "fat_header at 0x0: 1000 fat_arch entries end at 0x4e28, past the end of the file (0x100 bytes)");
  }
  {  // inner diagnostics name their slice
    auto b = fat;
    put32(b, 0xc000 + 0x218, 0x77);
    auto r = run(b, t);
    REQUIRE(r);
    CHECK(has(t, "at 0xc218: fat slice 1 (arm64): load command 9 (LC_0x77): unknown load command 0x77 (16 bytes): kept "
                 "as raw bytes"));
  }
  {  // fileset entry whose header lies past the end
    auto kc = upscope::test::read_bytes(gen_dir() / "fileset");
    size_t at = cmd_at(kc, 5);  // first LC_FILESET_ENTRY
    put64(kc, at + 16, 0x20000);
    auto p = parse_bytes(kc);
    REQUIRE(p.m);
    CHECK(has(p.diags, fmt::format("at {:#x}: load command 5 (LC_FILESET_ENTRY com.apple.kernel): fileoff 0x20000 puts "
                                   "the entry's header past the end of the file", at)));
  }
}

TEST_CASE("macho: random byte mutations never crash or hang", "[macho]") {
  // Deterministic xorshift: flips bytes in the header/load-command area and in LINKEDIT of the
  // generated fixtures, then reads each result as a thin image and as a file (fat or thin).
  uint64_t state = 0x9e3779b97f4a7c15ull;
  auto next = [&] { state ^= state << 13; state ^= state >> 7; state ^= state << 17; return state; };
  for (const char* name : {"thin-arm64", "fat", "fileset"}) {
    const auto base = upscope::test::read_bytes(gen_dir() / name);
    for (int iter = 0; iter < 300; ++iter) {
      auto b = base;
      const int flips = 1 + int(next() % 8);
      for (int k = 0; k < flips; ++k) {
        const uint64_t r = next();
        const size_t region = (r & 1) ? 0x300 : b.size();  // favour the load commands
        b[size_t(next() % std::min<size_t>(region, b.size()))] = uint8_t(r >> 8);
      }
      Diagnostics d1, d2;
      auto thin = parse(ByteReader(Bytes(b)), d1);
      MemorySource src(b, name);
      auto file = parse_file(src, d2);
      if (thin) CHECK(thin->commands.size() <= thin->ncmds);
      (void)file;
    }
  }
}
