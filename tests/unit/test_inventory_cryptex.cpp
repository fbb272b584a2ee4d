// Cryptex disk images inside a build tree are expanded file by file, placed under their graft
// point; an unreadable cryptex makes the verdict undetermined. Real APFS images stand in for the
// cryptexes: r2/apfs.img holds a real macOS /bin/ls, dfvfs_apfs.raw only data files.
#include <catch2/catch.hpp>

#include <map>

#include <nlohmann/json.hpp>

#include "test_support.hpp"

using namespace upscope::test;
namespace fs = std::filesystem;

namespace {

const char* kOsDmg = "System/Volumes/Preboot/0A1B2C3D/cryptex1/current/os.dmg";

void put(const fs::path& root, const std::string& rel, const fs::path& from) {
  fs::create_directories((root / rel).parent_path());
  fs::copy_file(from, root / rel, fs::copy_options::overwrite_existing);
}

const nlohmann::json* find_component(const nlohmann::json& comps, const std::string& id) {
  for (const auto& c : comps)
    if (c["id"] == id) return &c;
  return nullptr;
}

}  // namespace

TEST_CASE("inventory expands a cryptex dmg into components under its graft point", "[inventory][cryptex][samples]") {
  UPSCOPE_REQUIRE_SAMPLE(img, "r2/apfs.img");
  auto dir = scratch_dir("cryptex-inv");
  put(dir / "a", kOsDmg, img);
  auto r = run_upscope({"inventory", "--json", (dir / "a").string()});
  REQUIRE(r.exit_code == 0);
  auto doc = nlohmann::json::parse(r.out);
  const auto& comps = doc["build"]["components"];
  // The real /bin/ls inside the image: a Mach-O known by its install path, in the OS cryptex.
  const auto* ls = find_component(comps, "/bin/ls");
  REQUIRE(ls);
  CHECK((*ls)["location"] == "cryptex-os");
  CHECK((*ls)["space"] == "user");
  CHECK((*ls)["kind"] == "macho");
  CHECK((*ls)["hashes"]["sha256"] == "3e54e76b7a79a5f8b7b489b793323f51317fab085bec58fc574fa0e549c33632");
  CHECK((*ls)["path"] == std::string("/") + kOsDmg + ":/bin/ls");
  // Plain files keep their grafted path.
  const auto* hello = find_component(comps, "/System/Cryptexes/OS/hello.txt");
  REQUIRE(hello);
  CHECK((*hello)["size"] == 12);
  CHECK((*hello)["location"] == "cryptex-os");
  // The image itself is still a component.
  const auto* dmg = find_component(comps, std::string("/") + kOsDmg);
  REQUIRE(dmg);
  CHECK((*dmg)["kind"] == "cryptex-image");
  CHECK(doc["build"]["not_analysed"].empty());
}

TEST_CASE("verdict: a changed cryptex image is eligible, an unreadable one undetermined", "[verdict][cryptex][samples]") {
  UPSCOPE_REQUIRE_SAMPLE(img, "r2/apfs.img");
  UPSCOPE_REQUIRE_SAMPLE(other, "dfvfs_apfs.raw");
  auto dir = scratch_dir("cryptex-verdict");
  put(dir / "old", kOsDmg, img);
  put(dir / "new", kOsDmg, other);
  auto v = run_upscope({"verdict", "--json", (dir / "old").string(), (dir / "new").string()});
  CHECK(v.exit_code == 0);
  auto doc = nlohmann::json::parse(v.out);
  CHECK(doc["verdict"]["rsr_eligible"] == "yes");
  bool saw_ls_removed = false;
  for (const auto& c : doc["diff"]["changes"]) {
    CHECK(c["location"] == "cryptex-os");
    if (c["id"] == "/bin/ls") saw_ls_removed = c["change"] == "removed";
  }
  CHECK(saw_ls_removed);

  // The first 64 KiB of a real image: identified as a GPT disk, but its APFS container is cut off.
  auto bytes = read_bytes(img);
  bytes.resize(64 * 1024);
  fs::create_directories((dir / "cut" / kOsDmg).parent_path());
  write_bytes(dir / "cut" / kOsDmg, bytes);
  auto u = run_upscope({"verdict", "--json", (dir / "old").string(), (dir / "cut").string()});
  CHECK(u.exit_code == 3);
  auto udoc = nlohmann::json::parse(u.out);
  CHECK(udoc["verdict"]["rsr_eligible"] == "undetermined");
  bool named = false;
  for (const auto& n : udoc["diff"]["not_analysed"])
    named |= n["path"] == std::string("/") + kOsDmg && n["reason"].get<std::string>().find("cryptex image unreadable") == 0;
  CHECK(named);
}

namespace {

RunResult gen(const std::string& script, const std::string& args) {
  return run_shell("python3 " + shell_quote((source_dir() / "samples/gen" / script).string()) + " " + args + " 2>&1");
}

std::map<std::string, std::string> dyld_image_hashes(const nlohmann::json& comps, const std::string& location) {
  std::map<std::string, std::string> out;
  for (const auto& c : comps)
    if (c["kind"] == "dyld-cache-image" && c["location"] == location) out[c["id"]] = c["code_hash"];
  return out;
}

}  // namespace

// Since macOS 13 the split dyld cache lives in the OS cryptex: its subcaches (.01 ...) and .symbols
// sit next to the main file inside the dmg's APFS volume and must be opened from there.
TEST_CASE("inventory reads a split dyld cache inside a cryptex dmg, subcaches and all", "[inventory][cryptex][dyld]") {
  auto dir = scratch_dir("cryptex-dsc");
  auto r = gen("make_dyld_cache.py", shell_quote((dir / "cache").string()) + " --images 6 --subcaches 2");
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  REQUIRE(fs::exists(dir / "cache" / "dyld_shared_cache_arm64e.01"));
  fs::remove(dir / "cache" / "MANIFEST.json");
  const auto dmg = dir / "dmg" / kOsDmg;
  fs::create_directories(dmg.parent_path());
  r = gen("make_apfs.py", shell_quote((dir / "os.img").string()) + " --cryptex os --add-tree /System/Library/dyld=" +
                              shell_quote((dir / "cache").string()) + " --udif " + shell_quote(dmg.string()));
  INFO(r.out);
  REQUIRE(r.exit_code == 0);

  auto a = run_upscope({"inventory", "--json", (dir / "dmg").string()});
  INFO(a.err);
  REQUIRE(a.exit_code == 0);
  auto doc = nlohmann::json::parse(a.out);
  CHECK(doc["build"]["not_analysed"].empty());
  auto in_dmg = dyld_image_hashes(doc["build"]["components"], "cryptex-os");
  CHECK(in_dmg.size() == 6);

  // The cache files are read through spans filled on demand (docs/lazy-map.md); read as whole copies
  // instead, the inventory is the same.
  ::setenv("UPSCOPE_NO_LAZY_MAP", "1", 1);
  auto copied = run_upscope({"inventory", "--json", (dir / "dmg").string()});
  ::unsetenv("UPSCOPE_NO_LAZY_MAP");
  REQUIRE(copied.exit_code == 0);
  CHECK(nlohmann::json::parse(copied.out)["build"] == doc["build"]);

  // The same cache as files of a tree gives the same images with the same code hashes.
  fs::create_directories(dir / "tree/System/Cryptexes/OS/System/Library");
  fs::copy(dir / "cache", dir / "tree/System/Cryptexes/OS/System/Library/dyld", fs::copy_options::recursive);
  auto t = run_upscope({"inventory", "--json", (dir / "tree").string()});
  REQUIRE(t.exit_code == 0);
  auto tdoc = nlohmann::json::parse(t.out);
  CHECK(tdoc["build"]["not_analysed"].empty());
  CHECK(dyld_image_hashes(tdoc["build"]["components"], "cryptex-os") == in_dmg);
  // Each cache file's SHA-256, taken in the dmg from the bytes decoded for its images (the main file's
  // reader hashes the subcaches too), is the file's own, as hashed from disk in the tree.
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(dir / "cache")) {
    const std::string id = "/System/Cryptexes/OS/System/Library/dyld/" + e.path().filename().string();
    const auto* in_image = find_component(doc["build"]["components"], id);
    const auto* on_disk = find_component(tdoc["build"]["components"], id);
    REQUIRE(in_image);
    REQUIRE(on_disk);
    CHECK((*in_image)["hashes"]["sha256"] == (*on_disk)["hashes"]["sha256"]);
    CHECK((*in_image)["hashes"]["sha256"].get<std::string>().size() == 64);
    ++files;
  }
  CHECK(files == 4);  // main, .01, .02, .symbols

  // Without its subcache the cache is read as far as it can be, and what is missing is named.
  fs::remove(dir / "cache" / "dyld_shared_cache_arm64e.01");
  const auto dmg2 = dir / "dmg2" / kOsDmg;
  fs::create_directories(dmg2.parent_path());
  r = gen("make_apfs.py", shell_quote((dir / "os2.img").string()) + " --cryptex os --add-tree /System/Library/dyld=" +
                              shell_quote((dir / "cache").string()) + " --udif " + shell_quote(dmg2.string()));
  REQUIRE(r.exit_code == 0);
  auto m = run_upscope({"inventory", "--json", (dir / "dmg2").string()});
  auto mdoc = nlohmann::json::parse(m.out);
  bool named = false;
  for (const auto& n : mdoc["build"]["not_analysed"])
    named |= n["reason"].get<std::string>().find("dyld_shared_cache_arm64e.01") != std::string::npos;
  CHECK(named);
}
