// Apple Archive: a hand-computed entry (no Debian tool reads AA, so the bytes below were worked
// out from the field table in docs/formats/ota.md §6 and compared with our writer), the writer's
// fixtures (plain, pbzx, pbzz, YAA1), extraction, path traversal and one case per rule.
#include <unistd.h>
#include <filesystem>
#include <tuple>

#include "aa/aa.hpp"
#include "inspect/hash.hpp"
#include "test_support.hpp"

using namespace upscope;
using namespace upscope::test;
namespace fs = std::filesystem;

namespace {

// "AA01", header_size 26, TYP1 'F', PATP len 3 "a/b", DATA len 2; then the blob "hi".
const std::vector<uint8_t> kTiny = {0x41, 0x41, 0x30, 0x31, 0x1a, 0x00, 'T', 'Y', 'P', '1', 'F', 'P', 'A', 'T',
                                    'P',  0x03, 0x00, 'a',  '/',  'b',  'D', 'A', 'T', 'A', 0x02, 0x00, 'h', 'i'};

std::filesystem::path make(const std::string& args, const std::string& name) {
  static const auto dir = upscope::test::scratch_dir("aa-fixtures");  // one per process, removed at exit
  auto out = dir / name;
  auto r = run_shell("python3 " + shell_quote((source_dir() / "samples/gen/make_aa.py").string()) + " " + args + " " +
                     shell_quote(out.string()));
  REQUIRE(r.exit_code == 0);
  return out;
}

Result<aa::Listing> list(const std::vector<uint8_t>& b) { return aa::list(b); }

}  // namespace

TEST_CASE("hand-computed AA01 entry", "[aa]") {
  auto l = list(kTiny);
  REQUIRE(l);
  CHECK(l->diagnostics.empty());
  REQUIRE(l->entries.size() == 1);
  const auto& e = l->entries[0];
  CHECK(e.magic == "AA01");
  CHECK(e.header_size == 26);
  CHECK(*e.type() == 'F');
  CHECK(*e.path() == "a/b");
  REQUIRE(e.find("DAT"));
  CHECK(e.find("DAT")->uint_value == 2);
  CHECK(e.find("DAT")->blob_offset == 26);
  CHECK(e.payload_size == 2);
  // The writer produces exactly these bytes.
  CHECK(read_bytes(make("tiny", "tiny.aa")) == kTiny);
}

TEST_CASE("writer fixture: every field type, plain and pbz*-wrapped", "[aa]") {
  ThreadPool pool(2);
  aa::ReadOptions ro;
  ro.pool = &pool;
  for (auto [args, container, magic] : {std::tuple{"sample", "raw", "AA01"},
                                        std::tuple{"sample --wrap pbzx --block-size 65536", "pbzx", "AA01"},
                                        std::tuple{"sample --wrap pbzz --magic YAA1", "pbzz", "YAA1"}}) {
    INFO(args);
    auto bytes = read_bytes(make(args, "s.aa"));
    auto l = aa::list(bytes, ro);
    REQUIRE(l);
    CHECK(l->diagnostics.empty());
    CHECK(l->info.container == container);
    REQUIRE(l->entries.size() == 6);
    CHECK(l->entries[0].magic == magic);
    const auto& f = l->entries[2];
    CHECK(*f.path() == "docs/readme.txt");
    CHECK(*f.type() == 'F');
    CHECK(*f.uint("UID") == 501);
    CHECK(*f.uint("GID") == 20);
    CHECK(*f.uint("MOD") == 0644);
    CHECK(*f.uint("FLG") == 0x20);
    CHECK(*f.uint("SIZ") == 90);
    CHECK(f.find("MTM")->kind == aa::FieldKind::kTimeT);
    CHECK(f.find("MTM")->uint_value == 1700000001);
    CHECK(f.find("MTM")->nsec == 5);
    CHECK(f.find("CTM")->kind == aa::FieldKind::kTimeS);
    CHECK(f.find("CTM")->uint_value == 1600000000);
    CHECK(f.find("UIN")->text == "mobile");
    CHECK(f.find("ZZF")->kind == aa::FieldKind::kFlag);
    CHECK(f.find("CKS")->digest.size() == 4);
    CHECK(f.find("SH3")->digest.size() == 48);
    CHECK(f.find("SH5")->digest.size() == 64);
    std::string readme;
    for (int i = 0; i < 3; ++i) readme += "upscope Apple Archive fixture\n";
    CHECK(to_json(f)["hashes"]["SH2"] == sha256_hex({reinterpret_cast<const uint8_t*>(readme.data()), readme.size()}));
    CHECK(f.find("XAT")->uint_value == 4 + 21 + 15);
    CHECK(f.payload_size == 90 + 40);
    CHECK(*l->entries[3].link() == "readme.txt");
    CHECK(l->entries[4].find("DAT")->subtype == 'C');
    CHECK(l->entries[4].find("DAT")->uint_value == 3 * 1024 * 1024 + 17);
  }
}

TEST_CASE("extract: contents, modes, symlinks, digests", "[aa]") {
  auto arch = make("sample --wrap pbzx --block-size 65536", "x.pbzx");
  auto dir = scratch_dir("aa-extract");
  auto r = run_upscope({"aa", "extract", arch.string(), "-o", (dir / "out").string()});
  CHECK(r.exit_code == 0);
  CHECK(r.out == (dir / "out").string() + ": 3 files (3145835 bytes), 2 directories, 1 symlinks extracted; 0 skipped\n");
  CHECK(read_file(dir / "out/docs/readme.txt").size() == 90);
  CHECK(fs::is_symlink(dir / "out/docs/link"));
  CHECK(fs::read_symlink(dir / "out/docs/link") == "readme.txt");
  CHECK((fs::status(dir / "out/big.bin").permissions() & fs::perms::all) == fs::perms(0600));
  CHECK(fs::file_size(dir / "out/big.bin") == 3 * 1024 * 1024 + 17);
  // A second extraction into the same directory overwrites nothing unless asked.
  write_bytes(dir / "out/docs/readme.txt", {'m', 'i', 'n', 'e'});
  auto again = run_upscope({"aa", "extract", arch.string(), "-o", (dir / "out").string()});
  CHECK(again.exit_code == 2);
  CHECK(again.err.find("entry 2: 'docs/readme.txt' already exists in the target; not overwritten") != std::string::npos);
  CHECK(read_file(dir / "out/docs/readme.txt") == "mine");
  // The symlink entry follows the same rule: the one already there (from the first run) stays.
  CHECK(again.err.find("symlink: '" + (dir / "out/docs/link").string() + "' already exists in the target; not overwritten") !=
        std::string::npos);
  // With --overwrite a file in a symlink's place is replaced by the link; an empty directory is not removed.
  fs::remove(dir / "out/docs/link");
  write_bytes(dir / "out/docs/link", {'x'});
  fs::remove(dir / "out/big.bin");
  fs::create_directory(dir / "out/big.bin");
  auto forced = run_upscope({"aa", "extract", "--overwrite", arch.string(), "-o", (dir / "out").string()});
  CHECK(forced.exit_code == 2);
  CHECK(forced.err.find("cannot create 'big.bin'") != std::string::npos);
  CHECK(fs::is_directory(dir / "out/big.bin"));
  CHECK(read_file(dir / "out/docs/readme.txt").size() == 90);
  CHECK(fs::is_symlink(dir / "out/docs/link"));
  CHECK(fs::read_symlink(dir / "out/docs/link") == "readme.txt");
  auto ls = run_upscope({"aa", "list", "--json", arch.string()});
  CHECK(ls.exit_code == 0);
  CHECK(ls.out.find("\"schema\": \"upscope/apple-archive/1\"") != std::string::npos);
  CHECK(ls.out.find("\"entry_count\": 6") != std::string::npos);
}

TEST_CASE("extract refuses path traversal and reports each entry", "[aa]") {
  auto arch = make("traversal", "t.aa");
  auto dir = scratch_dir("aa-trav");
  auto r = run_upscope({"aa", "extract", arch.string(), "-o", (dir / "out").string()});
  CHECK(r.exit_code == 2);
  std::string a = arch.string();
  CHECK(r.err == a + ": error: at 0x0: entry 0: path '../evil' rejected: '..' component\n" +
                     a + ": error: at 0x22: entry 1: path '/abs/evil' rejected: absolute path\n" +
                     a + ": error: at 0x46: entry 2: path 'a/../../evil' rejected: '..' component\n" +
                     a + ": error: at 0x6d: entry 3: path 'nul\\x00evil' rejected: NUL byte in path\n");
  CHECK(read_file(dir / "out/ok/file") == "fine\n");
  CHECK(!fs::exists(dir / "evil"));
  CHECK(!fs::exists("/abs/evil"));
  // Nothing but ok/file was written.
  size_t n = 0;
  for (auto& p : fs::recursive_directory_iterator(dir)) n += p.is_regular_file();
  CHECK(n == 1);
}

TEST_CASE("malformed Apple Archive: one case per rule", "[aa]") {
  SECTION("header_size <= 5") {
    auto b = kTiny;
    b[4] = 5;
    auto l = list(b);
    REQUIRE(l);
    CHECK(texts(l->diagnostics) == std::vector<std::string>{"at 0x0: entry 0: header_size 5 is not above 5"});
  }
  SECTION("field value runs past the header") {
    auto b = kTiny;
    b[4] = 25;  // header ends one byte into DATA's u16 size
    auto l = list(b);
    REQUIRE(l);
    CHECK(texts(l->diagnostics) == std::vector<std::string>{"at 0x14: entry 0 field DATA: value needs 2 bytes, the header has 1 left"});
  }
  SECTION("string runs past the header") {
    auto b = kTiny;
    b[15] = 0x30;  // PAT length 48
    auto l = list(b);
    REQUIRE(l);
    CHECK(texts(l->diagnostics) == std::vector<std::string>{"at 0xb: entry 0 field PATP: string of 48 bytes runs past the header (9 bytes left)"});
  }
  SECTION("tag cut by the header end") {
    auto b = kTiny;
    b[4] = 22;  // "DA" then the header ends
    auto l = list(b);
    REQUIRE(l);
    CHECK(texts(l->diagnostics) == std::vector<std::string>{"at 0x14: entry 0 field: tag needs 4 bytes, the header has 2 left"});
  }
  SECTION("unknown subtype") {
    auto b = kTiny;
    b[9] = 'Z';
    auto l = list(b);
    REQUIRE(l);
    CHECK(texts(l->diagnostics) == std::vector<std::string>{"at 0x6: entry 0 field TYPZ: unknown subtype 'Z'"});
  }
  SECTION("payload past the end of the archive") {
    auto b = kTiny;
    b[24] = 9;
    auto l = list(b);
    REQUIRE(l);
    CHECK(texts(l->diagnostics) == std::vector<std::string>{"at 0x0: entry 0: payload of 9 bytes runs past the end of the archive (28 bytes)"});
  }
  SECTION("bad magic in a later entry keeps the earlier ones") {
    auto b = kTiny;
    b.insert(b.end(), {'X', 'A', '0', '1', 6, 0});
    auto l = list(b);
    REQUIRE(l);
    CHECK(l->entries.size() == 1);
    CHECK(texts(l->diagnostics) == std::vector<std::string>{"at 0x1c: entry 1: magic XA01 is not AA01 or YAA1"});
  }
  SECTION("truncated prefix") {
    auto b = kTiny;
    b.insert(b.end(), {'A', 'A', '0'});
    auto l = list(b);
    REQUIRE(l);
    CHECK(texts(l->diagnostics) == std::vector<std::string>{"at 0x1c: entry 1: truncated: the 6-byte prefix has only 3 bytes"});
  }
  SECTION("not an archive") {
    std::vector<uint8_t> b = {'h', 'e', 'l', 'l', 'o'};
    auto l = list(b);
    REQUIRE(!l);
    CHECK(l.error().message() == "Apple Archive at 0x0: starts with hell, not AA01, YAA1 or a pbz* stream");
  }
  SECTION("unsafe paths are flagged in listings") {
    auto l = aa::list(read_bytes(make("traversal", "t2.aa")));
    REQUIRE(l);
    CHECK(l->entries[0].unsafe_path_reason() == "'..' component");
    CHECK(l->entries[1].unsafe_path_reason() == "absolute path");
    CHECK(l->entries[3].unsafe_path_reason() == "NUL byte in path");
    CHECK(l->entries[4].unsafe_path_reason().empty());
  }
}

TEST_CASE("inspect: Apple Archive summary and AEA reported as encrypted", "[aa]") {
  auto dir = scratch_dir("aa-inspect");
  // An AEA1 header of profile 1 (symmetric encryption), no auth data, a zeroed prologue (tests/unit/test_aea.cpp
  // has the real thing).
  std::vector<uint8_t> aea = {'A', 'E', 'A', '1', 1, 0, 0, 0};
  aea.resize(12 + 176, 0);
  write_bytes(dir / "x.aea", aea);
  auto r = run_upscope({"inspect", (dir / "x.aea").string()});
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("  contents: encrypted; reading them needs the 32-byte symmetric archive key; give it with --key "
                   "BASE64 or --key-file PATH\n") != std::string::npos);
  auto t = run_upscope({"inspect", make("traversal", "t3.aa").string()});
  CHECK(t.exit_code == 0);
  CHECK(t.out.find("5 entries: 5 files, 0 directories, 0 symlinks, 4 UNSAFE paths") != std::string::npos);
}
