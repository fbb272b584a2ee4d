// BOM files (formats/bom): Apple's payload.bom and pre.bom from the macOS 26.2 OTA (MANIFEST §10),
// BOMs from our writer (samples/gen/make_bom.py) checked against the manifest it prints, both branch
// layouts, and one malformed copy per validation rule with its exact message. Debian has no BOM
// reader (no lsbom or mkbom), so the real files and cksum/SHA-1 of the OTA's Info.plist are the
// independent checks.
#include <filesystem>
#include <map>

#include <nlohmann/json.hpp>

#include "bom/bom.hpp"
#include "inspect/hash.hpp"
#include "test_support.hpp"

using namespace upscope;
namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace {

Result<bom::Bom> parse_file(const fs::path& p, std::vector<uint8_t>& keep) {
  keep = test::read_bytes(p);
  return bom::parse(ByteReader(Bytes(keep)), p.filename().string());
}

const bom::PathEntry* find(const bom::Bom& b, const std::string& path) {
  for (const auto& e : b.paths)
    if (e.path == path) return &e;
  return nullptr;
}

const bom::TreeStats* tree(const bom::Bom& b, const std::string& name) {
  for (const auto& t : b.trees)
    if (t.name == name) return &t;
  return nullptr;
}

}  // namespace

TEST_CASE("bom: Apple's payload.bom lists 2,709 paths, the first '.', './Info.plist', './Restore'", "[bom]") {
  UPSCOPE_REQUIRE_SAMPLE(path, "real/ota-26.2/payload.bom");
  std::vector<uint8_t> bytes;
  auto b = parse_file(path, bytes);
  REQUIRE(b);
  INFO(test::joined(b->diagnostics));
  CHECK(b->diagnostics.empty());
  CHECK(b->paths_complete);
  REQUIRE(b->paths.size() == 2709);
  CHECK(b->paths[0].path == ".");
  CHECK(b->paths[1].path == "./Info.plist");
  CHECK(b->paths[2].path == "./Restore");
  auto c = bom::count_types(*b);
  CHECK(c.files == 2438);
  CHECK(c.directories == 268);
  CHECK(c.symlinks == 3);

  // ./Info.plist is the OTA's Info.plist (MANIFEST §10): its size, POSIX cksum and SHA-1 match the file.
  const auto* info = find(*b, "./Info.plist");
  REQUIRE(info);
  UPSCOPE_REQUIRE_SAMPLE(plist, "real/ota-26.2/Info.plist");
  auto plist_bytes = test::read_bytes(plist);
  CHECK(info->type == 1);
  CHECK(info->size == plist_bytes.size());
  CHECK(bom::mode_octal(info->mode) == "100644");
  CHECK(info->uid == 0);
  CHECK(info->gid == 80);
  auto ck = test::run_shell("cksum " + test::shell_quote(plist.string()));
  REQUIRE(ck.exit_code == 0);
  REQUIRE(info->checksum);
  CHECK(ck.out.substr(0, ck.out.find(' ')) == std::to_string(*info->checksum));
  Hasher h(HashKind::kSha1);
  h.update(Bytes(plist_bytes));
  CHECK(info->digest == h.hex_digest());

  const auto* link = find(*b, "./Restore/BootabilityBundle/Restore/Bootability/BootabilityBrain.framework/BootabilityBrain");
  REQUIRE(link);
  CHECK(link->type == 3);
  CHECK(link->link_target == "Versions/Current/BootabilityBrain");
  const auto* exe = find(*b, "./Restore/BootabilityBundle/Restore/Bootability/BootabilityBrain.framework/Versions/A/BootabilityBrain");
  REQUIRE(exe);
  REQUIRE(exe->arches.size() == 1);
  CHECK(exe->arches[0].cpu_type == 0x0100000c);
  CHECK(exe->arches[0].bytes == exe->size);

  const auto* paths = tree(*b, "Paths");
  REQUIRE(paths);
  CHECK(paths->entries == 2709);
  CHECK(paths->declared_entries == 2709);
  CHECK(paths->leaf_nodes == 6);  // the root's 5 keyed children and its trailing right-most one
  CHECK(paths->branch_nodes == 1);
  CHECK(paths->depth == 2);
  REQUIRE(b->info);
  CHECK(b->info->path_count == 2710);
  CHECK(b->info->entries.size() == 3);
}

TEST_CASE("bom: Apple's pre.bom holds no path", "[bom]") {
  UPSCOPE_REQUIRE_SAMPLE(path, "real/ota-26.2/pre.bom");
  std::vector<uint8_t> bytes;
  auto b = parse_file(path, bytes);
  REQUIRE(b);
  CHECK(b->diagnostics.empty());
  CHECK(b->has_paths);
  CHECK(b->paths.empty());
  auto r = test::run_upscope({"ls", "--json", path.string()});
  CHECK(r.exit_code == 0);
  auto doc = Json::parse(r.out);
  CHECK(doc["count"] == 0);
  CHECK(doc["files"].empty());
}

TEST_CASE("bom: ls and inspect of payload.bom", "[bom]") {
  UPSCOPE_REQUIRE_SAMPLE(path, "real/ota-26.2/payload.bom");
  auto r = test::run_upscope({"ls", "--json", path.string()});
  REQUIRE(r.exit_code == 0);
  auto doc = Json::parse(r.out);
  CHECK(doc["schema"] == "upscope/bom-ls/1");
  REQUIRE(doc["files"].size() == 2709);
  CHECK(doc["files"][0]["path"] == ".");
  CHECK(doc["files"][1]["path"] == "./Info.plist");
  CHECK(doc["files"][1]["checksum"] == 1666091380);
  CHECK(doc["files"][2]["path"] == "./Restore");

  auto text = test::run_upscope({"ls", path.string() + ":/Restore/BootabilityBundle/Restore/Bootability/BootabilityBrain.framework/Versions"});
  REQUIRE(text.exit_code == 0);
  CHECK(text.out.find("TYPE       MODE    UID  GID") == 0);
  // A symlink's checksum is the POSIX cksum CRC of its target, as cksum(1) computes it.
  auto crc = test::run_shell("printf A | cksum | cut -d' ' -f1");
  REQUIRE(crc.exit_code == 0);
  CHECK(crc.out == "1751207896\n");
  CHECK(text.out.find("symlink    120755    0    0        1  1751207896  ./Restore/BootabilityBundle/Restore/"
                      "Bootability/BootabilityBrain.framework/Versions/Current -> A\n") != std::string::npos);
  CHECK(text.out.find("./Info.plist") == std::string::npos);

  auto in = test::run_upscope({"inspect", path.string()});
  REQUIRE(in.exit_code == 0);
  INFO(in.out);
  CHECK(in.out.find("BOMStore v1: 8143 blocks in use, block table of 10922 entries at 0x47856 (87440 bytes)") != std::string::npos);
  CHECK(in.out.find("    Paths         4096      2709       6         1      2\n") != std::string::npos);
  CHECK(in.out.find("2709 paths: 2438 files, 268 directories, 3 symlinks") != std::string::npos);
}

TEST_CASE("bom: a generated BOM reads back as its writer's manifest", "[bom]") {
  auto dir = test::scratch_dir("bom-sample");
  const auto out = dir / "sample.bom";
  const auto man = dir / "sample.json";
  REQUIRE(test::run_shell("python3 " + test::writer_script("make_bom.py") + " sample " + test::shell_quote(out.string()) + " --manifest " +
                          test::shell_quote(man.string()))
              .exit_code == 0);
  auto id = test::run_upscope({"identify", "--json", out.string()});
  CHECK(Json::parse(id.out)["inputs"][0]["format"] == "bom");
  auto r = test::run_upscope({"ls", "--json", out.string()});
  REQUIRE(r.exit_code == 0);
  auto doc = Json::parse(r.out);
  auto want = Json::parse(test::read_file(man));
  std::map<std::string, Json> got;
  for (const auto& f : doc["files"]) got[f["path"]] = f;
  REQUIRE(got.size() == want.size());
  for (const auto& w : want) {
    INFO("path " << w["path"]);
    REQUIRE(got.count(w["path"]));
    const Json& g = got[w["path"]];
    for (const auto& [k, v] : w.items()) CHECK(g[k] == v);
  }
  CHECK(got["./dev/hello0"]["device"] == 0x01000003);
  CHECK(got["./Applications/Hello.app/Contents/MacOS/Hello"]["arches"][0]["cpu"] == "arm64");
  // Key order: by parent id, then name.
  CHECK(doc["files"][0]["path"] == ".");
  CHECK(doc["files"][1]["path"] == "./Applications");
}

TEST_CASE("bom: trees with branch levels, in Apple's and in bomutils' branch layout", "[bom]") {
  auto dir = test::scratch_dir("bom-many");
  for (const std::string style : {"", " --keyed-branches"}) {
    INFO("branches:" << style);
    const auto out = dir / "many.bom";
    REQUIRE(test::run_shell("python3 " + test::writer_script("make_bom.py") + " many " + test::shell_quote(out.string()) +
                            " --count 200 --leaf-cap 4 --branch-cap 3" + style)
                .exit_code == 0);
    std::vector<uint8_t> bytes;
    auto b = parse_file(out, bytes);
    REQUIRE(b);
    INFO(test::joined(b->diagnostics));
    CHECK(b->diagnostics.empty());
    REQUIRE(b->paths.size() == 200);
    const auto* t = tree(*b, "Paths");
    REQUIRE(t);
    CHECK(t->leaf_nodes == 50);
    CHECK(t->branch_nodes == 17 + 6 + 2 + 1);
    CHECK(t->depth == 5);
    CHECK(find(*b, "./d02/s1/file00010.txt"));  // make_bom.py: file k goes in dirs[k % 40]
    // Sorted by (parent id, name): the chain order is the key order.
    for (size_t i = 1; i < b->paths.size(); ++i) {
      const auto& x = b->paths[i - 1];
      const auto& y = b->paths[i];
      CHECK((x.parent < y.parent || (x.parent == y.parent && x.name < y.name)));
    }
  }
  // The default node capacity: 3,000 paths in 6 leaves under one root.
  const auto out = dir / "big.bom";
  REQUIRE(test::run_shell("python3 " + test::writer_script("make_bom.py") + " many " + test::shell_quote(out.string()) + " --count 3000")
              .exit_code == 0);
  std::vector<uint8_t> bytes;
  auto b = parse_file(out, bytes);
  REQUIRE(b);
  CHECK(b->paths.size() == 3000);
  const auto* t = tree(*b, "Paths");
  REQUIRE(t);
  CHECK(t->leaf_nodes == 6);
  CHECK(t->depth == 2);
}

TEST_CASE("bom: malformed copies, one per validation rule, exact messages", "[bom]") {
  auto dir = test::scratch_dir("bom-broken");
  REQUIRE(test::run_shell("python3 " + test::writer_script("make_bom.py") + " broken " + test::shell_quote(dir.string())).exit_code == 0);
  // Fatal: the header, the block table or the variables cannot be trusted.
  const std::map<std::string, std::string> fatal = {
      {"short-header", "short-header.bom: BOM header at 0x0: needs 32 bytes, the file has 20"},
      {"bad-magic", "bad-magic.bom: BOM header at 0x0: magic 'BOMStorf' is not 'BOMStore'"},
      {"bad-version", "bad-version.bom: BOM header at 0x8: version 2 is not 1"},
      {"table-past-end",
       "table-past-end.bom: BOM header at 0x10: block table [0x3a0f, +600) runs past the end of the file (14871 bytes)"},
      {"variables-past-end",
       "variables-past-end.bom: BOM header at 0x18: variables [0x200, +1048576) runs past the end of the file (14871 bytes)"},
      {"table-count", "table-count.bom: block table at 0x37bf: 100000 entries need 800004 bytes, the table has 600"},
      {"variable-missing-block",
       "variable-missing-block.bom: variable 'Paths' at 0x210: block 60000 is not in the block table (72 entries)"},
  };
  // Survived: the list is partial and an error diagnostic says why.
  const std::map<std::string, std::string> survived = {
      {"tree-magic", "at 0x26f3: HLIndex tree header (block 62): magic 'TREE' is not 'tree'"},
      {"node-past-end", "at 0x39b3: block 59: Paths tree node of 4096 bytes runs past the end of the file (14871 bytes)"},
      {"node-count", "at 0x76de: Paths tree node (block 66): 600 entries need 4812 bytes, the block has 4096"},
      {"tree-cycle",
       "at 0x76de: Paths tree node (block 66): reached a second time from the root: the tree has a cycle or a shared node"},
      {"chain-cycle",
       "at 0x6de: Paths tree node (block 59): reached a second time along the leaf chain: the chain has a cycle"},
      {"parent-missing", "path 'Hello' (id 9): parent id 999 is not in the Paths tree"},
      {"parent-cycle", "path 'Hello' (id 9): its parent chain loops back to it"},
      {"info-truncated",
       "at 0x4fa: path info of 'readme.txt' (block 37): mode, owner, time and size at +4 runs past the end of the 20-byte "
       "block"},
      {"link-truncated",
       "at 0x453: path info of 'Current' (block 28): 4000-byte link target at +31 runs past the end of the 50-byte block"},
      {"name-unterminated", "at 0x625: path name (block 51): name is not NUL-terminated within the 8-byte block"},
      {"record-short", "at 0x64c: path record of 'bin' (block 53): 4 bytes, shorter than 8 (file id, path-info block)"},
  };
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    ++files;
    CHECK(fatal.count(e.path().stem().string()) + survived.count(e.path().stem().string()) == 1);
  }
  CHECK(files == fatal.size() + survived.size());
  for (const auto& [rule, want] : fatal) {
    INFO("rule " << rule);
    std::vector<uint8_t> bytes;
    auto b = parse_file(dir / (rule + ".bom"), bytes);
    REQUIRE(!b);
    CHECK(b.error().message() == want);
  }
  for (const auto& [rule, want] : survived) {
    INFO("rule " << rule);
    std::vector<uint8_t> bytes;
    auto b = parse_file(dir / (rule + ".bom"), bytes);
    REQUIRE(b);
    INFO(test::joined(b->diagnostics));
    REQUIRE(b->diagnostics.has_errors());
    std::string first_error;
    for (const auto& d : b->diagnostics.items())
      if (d.severity == Severity::kError) {
        first_error = d.text();
        break;
      }
    CHECK(first_error == want);
    // The CLI says the same on stderr and fails.
    auto r = test::run_upscope({"ls", (dir / (rule + ".bom")).string()});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find(want) != std::string::npos);
  }
}

TEST_CASE("bom: an OTA without its payloads is still placed from its payload.bom", "[bom][ota]") {
  UPSCOPE_REQUIRE_SAMPLE(bom_path, "real/ota-26.2/payload.bom");
  UPSCOPE_REQUIRE_SAMPLE(plist, "real/ota-26.2/Info.plist");
  // The OTA's own metadata and file list, nothing of AssetData/ but its Info.plist.
  auto dir = test::scratch_dir("bom-ota");
  fs::create_directories(dir / "AssetData");
  fs::copy_file(plist, dir / "Info.plist");
  fs::copy_file(plist, dir / "AssetData/Info.plist");
  fs::copy_file(bom_path, dir / "payload.bom");
  auto r = test::run_upscope({"ls", "--json", dir.string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto doc = Json::parse(r.out);
  std::map<std::string, Json> rows;
  for (const auto& f : doc["files"]) rows[f["path"]] = f;
  const Json& kc = rows["/System/Library/Caches/com.apple.kernelcaches/kernelcache.release.vma2"];
  CHECK(kc["action"] == "write");
  CHECK(kc["size"] == 22213930);
  CHECK(kc["source"] == "AssetData/boot/kernelcache.release.vma2");
  CHECK(rows["/System/Volumes/Recovery/arm64eBaseSystem.dmg"]["action"] == "patch");
  CHECK(rows["/System/Volumes/Preboot/<volume-group>/cryptex1/current/app.dmg"]["action"] == "patch-image");
  CHECK(rows.count("/System/Volumes/Preboot/<volume-group>/boot/Firmware/Manifests/FirmwareUpdate/Scripts/Tools/"
                   "AMDFirmware/GpuUtil.efi.j152fap.im4m") == 1);
  std::map<std::string, std::string> na;
  for (const auto& n : doc["not_analysed"]) na[n["path"]] = n["reason"];
  CHECK(na["AssetData/payloadv2/payload.000"] == "listed in payload.bom but not in the package (payload): what it holds is unknown");
  CHECK(na["AssetData/payloadv2/links.txt"] == "listed in payload.bom but not in the package (file-list): what it holds is unknown");
  // A kernel collection is written, so the package cannot be an RSR.
  auto v = test::run_upscope({"verdict", dir.string()});
  CHECK(v.exit_code == 1);
}
