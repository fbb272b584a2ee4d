// `upscope extract` refuses an input in no disk-image format instead of copying it unchanged as if it
// were the decoded disk: a real dmg cut before its koly trailer, a truncated raw-chunk dmg whose head
// is a GPT disk, a plist. --raw asks for the plain copy; real images and raw disks still extract.
#include <nlohmann/json.hpp>

#include "test_support.hpp"

using namespace upscope::test;
namespace fs = std::filesystem;

namespace {
fs::path cut_copy(const fs::path& src, const fs::path& dir, size_t drop) {
  auto bytes = read_bytes(src);
  REQUIRE(bytes.size() > drop);
  bytes.resize(bytes.size() - drop);
  const fs::path out = dir / ("cut-" + src.filename().string());
  write_bytes(out, bytes);
  return out;
}
constexpr const char* kHint = " (--raw copies the input as it is)";
}  // namespace

TEST_CASE("extract: a real dmg cut before its trailer is an error naming what is missing, --raw copies it",
          "[extract][samples]") {
  UPSCOPE_REQUIRE_SAMPLE(dmg, "real/ota-26.2/AppleDiagnostics.dmg");
  const fs::path dir = scratch_dir("extract-raw");
  const fs::path cut = cut_copy(dmg, dir, 4096);
  const fs::path out = dir / "disk.img";
  auto r = run_upscope({"-o", out.string(), "extract", cut.string()});
  CHECK(r.exit_code == 2);
  CHECK(r.err == "upscope: error: " + cut.string() +
                     ": disk image: no UDIF trailer (koly), sparse image header, partition map or file system: "
                     "truncated or not a disk image" + kHint + "\n");
  CHECK_FALSE(fs::exists(out));
  auto raw = run_upscope({"-q", "-o", out.string(), "extract", "--raw", cut.string()});
  CHECK(raw.exit_code == 0);
  CHECK(read_bytes(out) == read_bytes(cut));
  // the whole image still decodes
  auto whole = run_upscope({"--overwrite", "-q", "-o", out.string(), "extract", dmg.string()});
  CHECK(whole.exit_code == 0);
  CHECK(fs::file_size(out) == 24643ull * 512);
}

TEST_CASE("extract: a GPT disk cut short (a raw-chunk dmg cut before its trailer looks like one) is refused",
          "[extract]") {
  const fs::path dir = scratch_dir("extract-raw-gpt");
  const fs::path disk = dir / "gpt.img";
  REQUIRE(run_writer("make_hfs.py", "--gpt " + shell_quote(disk.string())).exit_code == 0);
  const fs::path cut = cut_copy(disk, dir, fs::file_size(disk) / 2);
  auto id = run_upscope({"identify", cut.string()});
  CHECK(id.out.find(": gpt:") != std::string::npos);
  auto r = run_upscope({"-o", (dir / "disk.img").string(), "extract", cut.string()});
  CHECK(r.exit_code == 2);
  CHECK(r.err == "upscope: error: " + cut.string() + ": disk image: no UDIF trailer (koly), and the partition map "
                 "does not fit the input (" + std::to_string(fs::file_size(cut)) + " bytes): at 0x400: GPT entry 1: "
                 "LBA 40..1215 extends past the end of the disk (624 sectors): a truncated disk or disk image" +
                 kHint + "\n");
  CHECK_FALSE(fs::exists(dir / "disk.img"));
  // The whole disk still extracts, byte for byte.
  auto whole = run_upscope({"-q", "-o", (dir / "disk.img").string(), "extract", disk.string()});
  CHECK(whole.exit_code == 0);
  CHECK(read_bytes(dir / "disk.img") == read_bytes(disk));
}

TEST_CASE("extract: another format is named, raw disks and file systems still extract", "[extract][samples]") {
  UPSCOPE_REQUIRE_SAMPLE(apfs, "dfvfs_apfs.raw");
  const fs::path dir = scratch_dir("extract-raw-other");
  const fs::path plist = dir / "Info.plist";
  const std::string xml = "<?xml version=\"1.0\"?>\n<plist version=\"1.0\"><dict/></plist>\n";
  write_bytes(plist, std::vector<uint8_t>(xml.begin(), xml.end()));
  auto r = run_upscope({"-o", (dir / "x").string(), "extract", plist.string()});
  CHECK(r.exit_code == 2);
  CHECK(r.err == "upscope: error: " + plist.string() +
                     ": disk image: no UDIF trailer (koly): the input is a plist-xml (XML property list), not a disk "
                     "image" + kHint + "\n");
  auto ok = run_upscope({"-q", "-o", (dir / "apfs.img").string(), "extract", apfs.string()});
  CHECK(ok.exit_code == 0);
  CHECK(read_bytes(dir / "apfs.img") == read_bytes(apfs));
  auto help = run_upscope({"extract", "--help"});
  CHECK(help.out.find("--raw") != std::string::npos);
}
