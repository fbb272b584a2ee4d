// The --max-memory budget (inspect/limits.hpp): size parsing, the exact error, the readers that
// consult it (codec buffers, complzss, pbz* chunks, zip members, UDIF chunks) and the CLI: a
// generated input that needs more than a small --max-memory fails with exit 2 and the message, and
// succeeds without it (output checked against the generator's own decoded bytes).
#include <filesystem>
#include <string>
#include <vector>
#include <zlib.h>

#include <fmt/format.h>

#include "compress/codec.hpp"
#include "kc/prelink.hpp"
#include "inspect/limits.hpp"
#include "test_support.hpp"

using namespace upscope;
using upscope::test::run_shell;
using upscope::test::shell_quote;
namespace fs = std::filesystem;

namespace {

// Restores "no limit" even when a CHECK fails mid-test (tests share the process).
struct LimitGuard {
  explicit LimitGuard(uint64_t bytes) { set_memory_limit(bytes); }
  ~LimitGuard() { set_memory_limit(0); }
};

}  // namespace

TEST_CASE("limits: sizes parse with binary units", "[limits]") {
  CHECK(*parse_byte_size("512M") == 512ull << 20);
  CHECK(*parse_byte_size("2G") == 2ull << 30);
  CHECK(*parse_byte_size("64k") == 64ull << 10);
  CHECK(*parse_byte_size("1.5G") == 3ull << 29);
  CHECK(*parse_byte_size("4MiB") == 4ull << 20);
  CHECK(*parse_byte_size("1048576") == 1048576);
  CHECK(*parse_byte_size("1T") == 1ull << 40);
  for (const char* bad : {"", "M", "12Q", "1.2.3G", "-5M", "0", "5MBB", "99999999999T"}) {
    INFO(bad);
    auto r = parse_byte_size(bad);
    REQUIRE(!r);
    CHECK(r.error().rule == "\"" + std::string(bad) + "\" is not a size like 512M, 2G or 1048576");
  }
}

TEST_CASE("limits: check_memory names the structure and the limit", "[limits]") {
  CHECK(memory_limit() == kNoMemoryLimit);
  CHECK(check_memory(uint64_t{1} << 40, "x"));
  LimitGuard g(1 << 20);
  CHECK(check_memory(1 << 20, "x"));
  auto st = check_memory(3 << 20, "pbzx chunk 2", 0x40);
  REQUIRE(!st);
  CHECK(st.error().code == ErrorCode::kLimit);
  CHECK(st.error().message() == "pbzx chunk 2 at 0x40: needs 3.0 MiB of memory, over the --max-memory limit of 1.0 MiB");
}

TEST_CASE("limits: decode_to_vector stops at the memory limit, not the reader's cap", "[limits]") {
  std::vector<uint8_t> raw(4 << 20, 'a');
  uLongf n = compressBound(static_cast<uLong>(raw.size()));
  std::vector<uint8_t> z(n);
  REQUIRE(compress2(z.data(), &n, raw.data(), static_cast<uLong>(raw.size()), 9) == Z_OK);
  z.resize(n);
  {
    LimitGuard g(1 << 20);
    auto r = compress::decode_to_vector(compress::Codec::kZlib, z, 64 << 20);
    REQUIRE(!r);
    CHECK(r.error().code == ErrorCode::kLimit);
    CHECK(r.error().message() == "zlib stream: needs more than the --max-memory limit of 1.0 MiB of memory");
    // The reader's own cap, when lower, is still the one reported.
    auto capped = compress::decode_to_vector(compress::Codec::kZlib, z, 512 << 10);
    REQUIRE(!capped);
    CHECK(capped.error().rule == "decoded data exceeds the limit of 524288 bytes (decompression bomb guard)");
  }
  auto ok = compress::decode_to_vector(compress::Codec::kZlib, z, 64 << 20);
  REQUIRE(ok);
  CHECK(*ok == raw);
}

TEST_CASE("limits: the CLI option is validated and documented", "[limits]") {
  auto help = test::run_upscope({"--help"});
  CHECK(help.out.find("--max-memory") != std::string::npos);
  auto bad = test::run_upscope({"--max-memory", "lots", "identify", "/dev/null"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("\"lots\" is not a size like 512M, 2G or 1048576") != std::string::npos);
}

TEST_CASE("limits: decompress of a pbzx stream with 1 MiB chunks under --max-memory", "[limits]") {
  const fs::path dir = test::scratch_dir("limits-pbzx");
  const fs::path in = dir / "in.pbzx", raw = dir / "raw", out = dir / "out";
  auto g = run_shell("python3 " + test::writer_script("make_pbzx.py") + " " + shell_quote(in.string()) + " --size 3000000 --raw " +
                     shell_quote(raw.string()) + " 2>&1");
  INFO(g.out);
  REQUIRE(g.exit_code == 0);
  auto r = test::run_upscope({"--max-memory", "512K", "decompress", in.string(), "-o", out.string()});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("pbzx chunk 0 at 0xc: needs 1.0 MiB of memory, over the --max-memory limit of 512.0 KiB") !=
        std::string::npos);
  INFO(r.err);
  CHECK(!fs::exists(out));
  // 2 MiB holds one chunk at a time: decoding goes on with fewer chunks in flight.
  for (const char* limit : {"2M", ""}) {
    fs::remove(out);
    std::vector<std::string> args = {"decompress", in.string(), "-o", out.string(), "-j", "2"};
    if (*limit) args.insert(args.begin(), {"--max-memory", limit});
    auto ok = test::run_upscope(args);
    INFO(limit << ": " << ok.err);
    CHECK(ok.exit_code == 0);
    CHECK(test::read_bytes(out) == test::read_bytes(raw));
  }
}

TEST_CASE("limits: extract of a zlib UDIF image with 1 MiB chunks under --max-memory", "[limits]") {
  const fs::path dir = test::scratch_dir("limits-udif");
  const fs::path dmg = dir / "in.dmg", raw = dir / "raw.img", out = dir / "out.img";
  auto g = run_shell("python3 " + test::writer_script("make_udif.py") + " " + shell_quote(dmg.string()) +
                     " --size 2M --codec zlib --layout none --raw-out " + shell_quote(raw.string()) + " 2>&1");
  INFO(g.out);
  REQUIRE(g.exit_code == 0);
  auto r = test::run_upscope({"--max-memory", "256K", "extract", dmg.string(), "-o", out.string()});
  INFO(r.err);
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("needs 1.0 MiB of memory, over the --max-memory limit of 256.0 KiB") != std::string::npos);
  CHECK(r.err.find("mish block 0: chunk 0") != std::string::npos);
  fs::remove(out);
  auto ok = test::run_upscope({"extract", dmg.string(), "-o", out.string()});
  INFO(ok.err);
  CHECK(ok.exit_code == 0);
  CHECK(test::read_bytes(out) == test::read_bytes(raw));
}

TEST_CASE("limits: PRELINK_INFO ID/IDREF expansion stops at the memory limit", "[limits][kc]") {
  // Each level holds two copies of the one before: 12 levels expand a 1 KiB plist past 64 KiB.
  std::string xml = "<dict><key>k0</key><array ID=\"0\"><string>0123456789abcdef</string></array>";
  for (int i = 1; i <= 12; ++i)
    xml += fmt::format("<key>k{}</key><array ID=\"{}\"><array IDREF=\"{}\"/><array IDREF=\"{}\"/></array>", i, i, i - 1,
                       i - 1);
  xml += "</dict>";
  auto resolve = [&] {
    kc::ResolveLimits lim;
    return kc::resolve_idrefs(ByteReader(Bytes(reinterpret_cast<const uint8_t*>(xml.data()), xml.size()), 0x100),
                              nullptr, lim);
  };
  REQUIRE(resolve());  // within the reader's own 256 MiB cap
  CHECK(resolve()->size() > (64u << 10));
  LimitGuard g(64 << 10);
  auto r = resolve();
  REQUIRE(!r);
  CHECK(r.error().code == ErrorCode::kLimit);
  CHECK(r.error().message() ==
        "PRELINK_INFO plist ID/IDREF expansion at 0x3e6: needs more than the --max-memory limit of 64.0 KiB of memory");
}
