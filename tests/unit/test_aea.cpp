// AEA-encrypted assets (issue #9: "AEA-encrypted assets are named as encrypted"): a whole AEA1 file
// given to identify / inspect / ls, and an .aea member of an update package (zip and extracted
// directory, samples/gen/make_ota.py delta) given to inspect / ls. The AEA files are generated:
// the magic and profile word followed by noise (nothing of the payload can be read anyway).
#include <nlohmann/json.hpp>

#include "test_support.hpp"

using namespace upscope;
using namespace upscope::test;

namespace {

std::filesystem::path write_aea(const std::filesystem::path& dir, const std::string& name) {
  std::vector<uint8_t> b = {'A', 'E', 'A', '1', 1, 0, 0, 0};  // profile 1 (little-endian u24 + u8)
  for (int i = 0; i < 500; ++i) b.push_back(static_cast<uint8_t>(i * 37 + 11));
  auto p = dir / name;
  write_bytes(p, b);
  return p;
}

const char* kMember = "AssetData/boot/090-00001-001.dmg.aea";
const char* kMemberReason = "encrypted (Apple Encrypted Archive, AEA1): what it writes cannot be read without the key";

}  // namespace

TEST_CASE("aea: a whole AEA1 file is named encrypted by identify, inspect and ls", "[aea]") {
  auto dir = scratch_dir("aea-file");
  // Named by content, not by extension.
  auto p = write_aea(dir, "asset.bin");

  auto id = run_upscope({"identify", p.string()});
  CHECK(id.exit_code == 0);
  CHECK(id.out == p.string() + ": aea: Apple Encrypted Archive (AEA1): encrypted, contents not readable without the key\n");
  auto idj = run_upscope({"--json", "identify", p.string()});
  REQUIRE(idj.exit_code == 0);
  auto jd = nlohmann::json::parse(idj.out);
  CHECK(jd["inputs"][0]["format"] == "aea");
  CHECK(jd["inputs"][0]["details"]["profile"] == 1);

  auto in = run_upscope({"inspect", p.string()});
  CHECK(in.exit_code == 0);
  CHECK(in.out.find("encrypted (AEA1): contents cannot be read without the key (ArchiveDecryptionKey)") != std::string::npos);
  auto inj = run_upscope({"--json", "inspect", p.string()});
  REQUIRE(inj.exit_code == 0);
  auto ji = nlohmann::json::parse(inj.out);
  CHECK(ji["inputs"][0]["report"]["encrypted"] == true);
  CHECK(ji["inputs"][0]["report"]["format"] == "aea");

  // Nothing to list without the key: an error that says why (exit 2), not "cannot list this format".
  auto ls = run_upscope({"ls", p.string()});
  CHECK(ls.exit_code == 2);
  CHECK(ls.out.empty());
  CHECK(ls.err == "upscope: error: " + p.string() +
                      ": AEA1 header: encrypted (Apple Encrypted Archive, profile 1): its entries cannot be "
                      "listed without the archive key\n");
}

TEST_CASE("aea: an .aea member of an update zip or directory is named encrypted", "[aea]") {
  auto dir = scratch_dir("aea-ota");
  auto zip = dir / "delta.zip", tree = dir / "delta-dir";
  auto gen = run_shell("python3 " + shell_quote((source_dir() / "samples/gen/make_ota.py").string()) + " delta " +
                       shell_quote(zip.string()) + " --dir " + shell_quote(tree.string()) + " >/dev/null 2>&1");
  REQUIRE(gen.exit_code == 0);
  for (const auto& in : {zip, tree}) {
    INFO(in);
    auto r = run_upscope({"inspect", in.string()});
    CHECK(r.exit_code == 0);
    CHECK(r.out.find(std::string("not analysed: ") + kMember + ": " + kMemberReason) != std::string::npos);
    auto j = run_upscope({"--json", "inspect", in.string()});
    REQUIRE(j.exit_code == 0);
    auto doc = nlohmann::json::parse(j.out);
    bool found = false;
    for (const auto& it : doc["inputs"][0]["report"]["items"])
      if (it["path"] == kMember) {
        found = true;
        CHECK(it["role"] == "encrypted");
        CHECK(it["format"] == "aea");
      }
    CHECK(found);

    // ls lists what can be read and names the encrypted member (not an error: the rest is complete).
    auto l = run_upscope({"ls", in.string()});
    CHECK(l.exit_code == 0);
    CHECK(l.out.find(std::string("not analysed: ") + kMember + ": " + kMemberReason + "\n") != std::string::npos);
    auto lj = run_upscope({"--json", "ls", in.string()});
    REQUIRE(lj.exit_code == 0);
    auto ld = nlohmann::json::parse(lj.out);
    REQUIRE(ld["not_analysed"].size() == 1);
    CHECK(ld["not_analysed"][0]["path"] == kMember);
    CHECK(ld["not_analysed"][0]["reason"] == kMemberReason);
  }
}
