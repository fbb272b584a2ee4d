// APFS reader against images written at test time by samples/gen/make_apfs.py: multi-level fs trees,
// hard links, symlinks, sparse and multi-extent files, inline and dstream xattrs, every decmpfs type
// (1, 3, 4, 7, 8, 11, 12), sealed volumes (hashed fs tree, FEXT tree, integrity meta), a cryptex-like
// volume in a GPT disk and a UDIF dmg, and one malformed variant per validation rule.
// The writer is ours, so every listing is also checked by independent readers: python3-fsapfs
// (libfsapfs), fsapfsinfo and 7zz, each where it supports the feature; what none of them decodes
// (decmpfs 1/11/12 in libfsapfs 20201107, 1/11/12 in 7-Zip) is checked against the writer's plaintext.
#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "inspect/hash.hpp"
#include "test_support.hpp"

namespace test = upscope::test;
using nlohmann::json;

namespace {

struct Generated {
  std::filesystem::path image;
  json manifest;
};

// Runs make_apfs.py into `dir`; REQUIREs success.
Generated generate(const std::filesystem::path& dir, const std::string& name, const std::string& args) {
  Generated g;
  g.image = dir / (name + ".img");
  auto man = dir / (name + ".json");
  auto r = test::run_shell("python3 " + test::shell_quote((test::source_dir() / "samples/gen/make_apfs.py").string()) +
                           " " + test::shell_quote(g.image.string()) + " --manifest " + test::shell_quote(man.string()) +
                           " " + args + " 2>&1");
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  g.manifest = json::parse(test::read_file(man));
  return g;
}

// A per-process scratch directory, removed when the test case ends (images are a few MB each).
struct Scratch {
  std::filesystem::path path;
  explicit Scratch(const std::string& name) : path(test::scratch_dir(name)) {}
  ~Scratch() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

bool have_pyfsapfs() { return test::run_shell("/usr/bin/python3 -c 'import pyfsapfs' 2>/dev/null").exit_code == 0; }
bool have_tool(const char* t) { return test::run_shell(std::string("command -v ") + t + " >/dev/null 2>&1").exit_code == 0; }

// path -> file object of upscope's `ls --json --hash sha256` for volume `vol`.
std::map<std::string, json> upscope_listing(const std::string& input, size_t vol = 0) {
  auto r = test::run_upscope({"ls", input, "--json", "--hash", "sha256"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto doc = json::parse(r.out);
  REQUIRE(doc["volumes"].size() > vol);
  std::map<std::string, json> out;
  for (const auto& f : doc["volumes"][vol]["files"]) out[f["path"].get<std::string>()] = f;
  return out;
}

// Every manifest entry of volume `vol` must appear in `ours` with the same type, size, SHA-256,
// inode and link target, and nothing else may appear.
void check_against_manifest(const json& manifest, const std::map<std::string, json>& ours, size_t vol = 0) {
  const auto& files = manifest["volumes"][vol]["files"];
  CHECK(ours.size() == files.size());
  for (const auto& m : files) {
    const std::string path = m["path"];
    INFO(path);
    auto it = ours.find(path);
    REQUIRE(it != ours.end());
    const json& f = it->second;
    CHECK(f["type"] == m["type"]);
    CHECK(f["inode"] == m["inode"]);
    if (m["type"] == "file") {
      CHECK(f["size"] == m["size"]);
      CHECK(f["sha256"] == m["sha256"]);
      if (m.contains("nlink")) CHECK(f["nlink"] == m["nlink"]);
      if (m.contains("decmpfs_type")) {
        REQUIRE(f["compression"].is_object());
        CHECK(f["compression"]["type"] == m["decmpfs_type"]);
      } else {
        CHECK(f["compression"].is_null());
      }
      for (auto [name, size] : m["xattrs"].items()) {
        bool found = false;
        for (const auto& x : f["xattrs"])
          if (x["name"] == name) {
            found = true;
            CHECK(x["size"] == size);
          }
        CHECK(found);
      }
    }
    if (m["type"] == "symlink") CHECK(f["symlink_target"] == m["target"]);
  }
}

const json* manifest_entry(const json& manifest, const std::string& path, size_t vol = 0) {
  for (const auto& m : manifest["volumes"][vol]["files"])
    if (m["path"] == path) return &m;
  return nullptr;
}

}  // namespace

TEST_CASE("apfs-gen: multi-level fs tree read like python3-fsapfs, fsapfsinfo and the manifest", "[apfs-gen]") {
  Scratch scratch("apfs-gen-main");
  const auto& dir = scratch.path;
  // fill 0.4: many small nodes, so the fs tree has index levels with only ~400 files.
  auto g = generate(dir, "main", "--files 400 --total-size 2M --fill 0.4 --seed 11");
  REQUIRE(g.manifest["volumes"][0]["fs_tree_levels"].get<int>() >= 2);
  auto ours = upscope_listing(g.image.string());
  check_against_manifest(g.manifest, ours);
  {
    // The same listing with the SHA-256 lanes turned off (OpenSSL, one file at a time): identical.
    const std::string ls = test::shell_quote(test::upscope_binary()) + " ls --json --hash sha256 " +
                           test::shell_quote(g.image.string()) + " 2>/dev/null";
    auto lanes = test::run_shell(ls);
    auto openssl = test::run_shell("UPSCOPE_SHA256_LANES=0 " + ls);
    REQUIRE(lanes.exit_code == 0);
    REQUIRE(openssl.exit_code == 0);
    CHECK(lanes.out == openssl.out);
    // An object cache of 4 blocks is full at every lookup: it keeps its index nodes or, when they
    // fill half of it, starts again (formats/apfs/container.cpp). Nothing changes but the time.
    auto tiny = test::run_shell("UPSCOPE_APFS_OBJECT_CACHE=4 " + ls);
    REQUIRE(tiny.exit_code == 0);
    CHECK(tiny.out == lanes.out);
  }

  if (!have_pyfsapfs()) {
    WARN("SKIPPED: python3-fsapfs is not installed (apt-get install python3-fsapfs)");
  } else {
    auto r = test::run_shell("/usr/bin/python3 " +
                             test::shell_quote((test::source_dir() / "samples/gen/apfs_reference_list.py").string()) +
                             " --json " + test::shell_quote(g.image.string()));
    REQUIRE(r.exit_code == 0);
    auto theirs = json::parse(r.out)[0]["files"];
    CHECK(theirs.size() == ours.size());
    size_t compared = 0, unsupported = 0;
    for (const auto& t : theirs) {
      const std::string path = t["path"];
      INFO(path);
      auto it = ours.find(path);
      REQUIRE(it != ours.end());
      const json& f = it->second;
      CHECK(f["type"] == t["type"]);
      CHECK(f["inode"] == t["inode"]);
      if (t["type"] == "symlink") CHECK(f["symlink_target"] == t["target"]);
      if (t["type"] != "file") continue;
      CHECK(f["size"] == t["size"]);
      const std::string h = t["sha256"];
      const json* m = manifest_entry(g.manifest, path);
      REQUIRE(m);
      if (h.rfind("error", 0) == 0) {
        // libfsapfs 20201107 decodes decmpfs 3/4/7/8 only; 1, 11 and 12 are checked against the
        // writer's plaintext (check_against_manifest above).
        REQUIRE(m->contains("decmpfs_type"));
        int type = (*m)["decmpfs_type"];
        CHECK((type == 1 || type == 11 || type == 12));
        ++unsupported;
        continue;
      }
      CHECK(f["sha256"] == h);
      ++compared;
      for (auto [name, size] : t["xattrs"].items()) {
        if (name.rfind("com.apple.", 0) == 0) continue;
        bool found = false;
        for (const auto& x : f["xattrs"])
          if (x["name"] == name) {
            found = true;
            CHECK(x["size"] == size);
          }
        CHECK(found);
      }
    }
    CHECK(compared >= 400);
    CHECK(unsupported == 4);  // type1.txt, type11.txt, type11-lzvn.txt, type12.bin
  }

  if (!have_tool("fsapfsinfo")) {
    WARN("SKIPPED: fsapfsinfo is not installed (apt-get install libfsapfs-utils)");
  } else {
    auto r = test::run_shell("fsapfsinfo -H " + test::shell_quote(g.image.string()));
    REQUIRE(r.exit_code == 0);
    std::set<std::string> theirs;
    std::istringstream in(r.out);
    for (std::string line; std::getline(in, line);) {
      auto p = line.find("}/");
      if (line.rfind("/{", 0) == 0 && p != std::string::npos && p + 2 < line.size()) theirs.insert(line.substr(p + 1));
    }
    std::set<std::string> mine;
    for (const auto& [p, f] : ours) mine.insert(p);
    CHECK(theirs == mine);
  }
}

TEST_CASE("apfs-gen: 7zz extracts the same content", "[apfs-gen]") {
  if (!have_tool("7zz")) {
    WARN("SKIPPED: 7zz is not installed (apt-get install 7zip)");
    return;
  }
  Scratch scratch("apfs-gen-7z");
  const auto& dir = scratch.path;
  auto g = generate(dir, "main", "--files 60 --total-size 1M --seed 12");
  auto out = dir / "x";
  // 7-Zip 26.02 reports decmpfs 1/11/12 as unsupported (exit 2) but extracts the rest.
  test::run_shell("7zz x -y -o" + test::shell_quote(out.string()) + " " + test::shell_quote(g.image.string()) +
                  " >/dev/null 2>&1");
  size_t compared = 0;
  for (const auto& m : g.manifest["volumes"][0]["files"]) {
    if (m["type"] != "file") continue;
    const std::string path = m["path"];
    if (path == "/special/sparse.bin") continue;  // 7-Zip fills holes with container bytes (known bug)
    if (m.contains("decmpfs_type")) {
      int t = m["decmpfs_type"];
      if (t == 1 || t == 11 || t == 12) continue;  // not implemented in 7-Zip's APFS handler
    }
    INFO(path);
    auto p = out / path.substr(1);
    REQUIRE(std::filesystem::exists(p));
    auto bytes = test::read_bytes(p);
    CHECK(upscope::sha256_hex(bytes) == m["sha256"]);
    ++compared;
  }
  CHECK(compared >= 60);
}

TEST_CASE("apfs-gen: every decmpfs type through upscope cat", "[apfs-gen]") {
  Scratch scratch("apfs-gen-decmpfs");
  const auto& dir = scratch.path;
  auto g = generate(dir, "main", "--files 0 --seed 13");
  std::set<int> types;
  for (const auto& m : g.manifest["volumes"][0]["files"]) {
    if (!m.contains("decmpfs_type")) continue;
    const std::string path = m["path"];
    INFO(path);
    auto r = test::run_upscope({"cat", g.image.string() + ":" + path});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.size() == m["size"].get<size_t>());
    CHECK(upscope::sha256_hex(upscope::Bytes(reinterpret_cast<const uint8_t*>(r.out.data()), r.out.size())) ==
          m["sha256"]);
    types.insert(m["decmpfs_type"].get<int>());
  }
  CHECK(types == std::set<int>{1, 3, 4, 7, 8, 11, 12});
  // The text types decode to the writer's known plaintext (TEXT % (i * 7 + salt)).
  auto r = test::run_upscope({"cat", g.image.string() + ":/compressed/type1.txt"});
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.rfind("The quick brown fox jumps over the lazy dog. APFS decmpfs test text, line 3.\n", 0) == 0);
  r = test::run_upscope({"cat", g.image.string() + ":/compressed/type11-lzvn.txt"});
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.rfind("The quick brown fox jumps over the lazy dog. APFS decmpfs test text, line 1.\n"
                    "The quick brown fox jumps over the lazy dog. APFS decmpfs test text, line 8.\n", 0) == 0);
  // ls names the method and type.
  auto ours = upscope_listing(g.image.string());
  CHECK(ours["/compressed/type1.txt"]["compression"]["method"] == "none");
  CHECK(ours["/compressed/type4.bin"]["compression"]["method"] == "zlib");
  CHECK(ours["/compressed/type8.bin"]["compression"]["method"] == "lzvn");
  CHECK(ours["/compressed/type12.bin"]["compression"]["method"] == "lzfse");
}

TEST_CASE("apfs-gen: case-insensitive volume and a second volume", "[apfs-gen]") {
  Scratch scratch("apfs-gen-ci");
  const auto& dir = scratch.path;
  auto g = generate(dir, "ci", "--files 30 --case-insensitive --second-volume --seed 14");
  auto ours = upscope_listing(g.image.string(), 0);
  check_against_manifest(g.manifest, ours, 0);
  auto extra = upscope_listing(g.image.string(), 1);
  check_against_manifest(g.manifest, extra, 1);
  // Path lookup ignores case on a case-insensitive volume.
  auto r = test::run_upscope({"cat", g.image.string() + ":/SPECIAL/mixedcase.txt", "--volume", "Data"});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out == "mixed case\n");
  auto ins = test::run_upscope({"inspect", "--json", g.image.string()});
  REQUIRE(ins.exit_code == 0);
  auto doc = json::parse(ins.out);
  auto vols = doc["inputs"][0]["report"]["volumes"];
  REQUIRE(vols.size() == 2);
  CHECK(vols[0]["case_sensitive"] == false);
  CHECK(vols[1]["name"] == "Extra");
  CHECK(vols[1]["role"] == "user");
}

TEST_CASE("apfs-gen: sealed volume: seal in inspect, extents from the FEXT tree", "[apfs-gen]") {
  Scratch scratch("apfs-gen-sealed");
  const auto& dir = scratch.path;
  auto g = generate(dir, "sealed", "--files 300 --fill 0.4 --sealed --seed 15");
  REQUIRE(g.manifest["volumes"][0]["fs_tree_levels"].get<int>() >= 2);
  auto ours = upscope_listing(g.image.string());
  check_against_manifest(g.manifest, ours);
  auto r = test::run_upscope({"inspect", g.image.string()});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  const std::string root_hash = g.manifest["volumes"][0]["root_hash"];
  CHECK(r.out.find("[case-sensitive, sealed]") != std::string::npos);
  CHECK(r.out.find("seal: sha256 root hash " + root_hash) != std::string::npos);
  // 7-Zip checks the root hash, every index node's child hash and the FILE_INFO data hashes.
  if (have_tool("7zz")) {
    auto clean = generate(dir, "sealed-clean", "--files 50 --no-specials --sealed --fill 0.4 --seed 16");
    auto t = test::run_shell("7zz t " + test::shell_quote(clean.image.string()) + " 2>&1");
    INFO(t.out);
    CHECK(t.exit_code == 0);
    CHECK(t.out.find("Everything is Ok") != std::string::npos);
    check_against_manifest(clean.manifest, upscope_listing(clean.image.string()));
  } else {
    WARN("SKIPPED: 7zz is not installed; sealed image not checked by an independent reader");
  }
}

TEST_CASE("apfs-gen: cryptex-like sealed volume in a GPT disk and a UDIF dmg", "[apfs-gen]") {
  Scratch scratch("apfs-gen-cryptex");
  const auto& dir = scratch.path;
  auto dmg = dir / "os.dmg";
  auto gpt = dir / "os.gpt";
  auto g = generate(dir, "os", "--cryptex os --udif " + test::shell_quote(dmg.string()) + " --gpt " +
                                   test::shell_quote(gpt.string()) + " --seed 17");
  for (const auto& input : {g.image, gpt, dmg}) {
    INFO(input.string());
    check_against_manifest(g.manifest, upscope_listing(input.string()));
  }
  {
    // Blocks copied out of the dmg go through the same eviction as mapped ones, here at every lookup.
    const std::string ls = test::shell_quote(test::upscope_binary()) + " ls --json --hash sha256 " +
                           test::shell_quote(dmg.string()) + " 2>/dev/null";
    auto normal = test::run_shell(ls);
    auto tiny = test::run_shell("UPSCOPE_APFS_OBJECT_CACHE=4 " + ls);
    REQUIRE(normal.exit_code == 0);
    REQUIRE(tiny.exit_code == 0);
    CHECK(tiny.out == normal.out);
  }
  auto r = test::run_upscope({"inspect", "--json", g.image.string()});
  REQUIRE(r.exit_code == 0);
  auto doc = json::parse(r.out);
  auto vols = doc["inputs"][0]["report"]["volumes"];
  REQUIRE(vols.size() == 1);
  CHECK(vols[0]["name"] == "Cryptex1,SystemOS");
  CHECK(vols[0]["role"] == "system");
  CHECK(vols[0]["sealed"] == true);
  CHECK(vols[0]["cryptex_role"] == "os");
  auto c = test::run_upscope({"cat", dmg.string() + ":/System/Library/CoreServices/SystemVersion.plist"});
  REQUIRE(c.exit_code == 0);
  CHECK(c.out.find("<key>ProductVersionExtra</key><string>(a)</string>") != std::string::npos);
  if (have_tool("7zz")) {  // independent: DMG -> GPT -> APFS (sealed) in 7-Zip
    auto l = test::run_shell("7zz l " + test::shell_quote(dmg.string()) + " 2>&1");
    INFO(l.out);
    CHECK(l.exit_code == 0);
    CHECK(l.out.find("dyld_shared_cache_arm64e") != std::string::npos);
  }
}

TEST_CASE("apfs-gen malformed: one generated variant per rule", "[apfs-gen]") {
  Scratch scratch("apfs-gen-bad");
  const auto& dir = scratch.path;
  SECTION("bad Fletcher-64 checksum on the fs-tree root") {
    auto g = generate(dir, "cksum", "--files 100 --corrupt checksum --seed 18");
    const auto& c = g.manifest["corrupt"];
    auto r = test::run_upscope({"ls", g.image.string()});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find(fmt::format("fs tree of volume 'Data' node at block {}: bad Fletcher-64 checksum: object oid {} "
                                 "xid 5 stores {}, computed {}",
                                 c["paddr"].get<uint64_t>(), c["oid"].get<uint64_t>(), c["stored"].get<std::string>(),
                                 c["computed"].get<std::string>())) != std::string::npos);
  }
  SECTION("B-tree index node pointing at itself") {
    auto g = generate(dir, "cycle", "--files 100 --corrupt cycle --seed 19");
    const auto& c = g.manifest["corrupt"];
    auto r = test::run_upscope({"ls", g.image.string()});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find(fmt::format("fs tree of volume 'Data' node at block {}: child oid {} (block {}) has level {} under "
                                 "a level {} node: cycle or corrupt tree",
                                 c["paddr"].get<uint64_t>(), c["oid"].get<uint64_t>(), c["paddr"].get<uint64_t>(),
                                 c["level"].get<int>(), c["level"].get<int>())) != std::string::npos);
  }
  SECTION("file extent past the container end") {
    auto g = generate(dir, "extent", "--files 20 --corrupt extent-past-end --seed 20");
    const auto& c = g.manifest["corrupt"];
    auto r = test::run_upscope({"cat", g.image.string() + ":/bad/far-extent.bin"});
    CHECK(r.exit_code == 2);
    CHECK(r.out.empty());
    CHECK(r.err.find(fmt::format("volume 'Data' data stream {}: extent at block 1099511627776 (8192 bytes) runs past "
                                 "the container ({} blocks)",
                                 c["inode"].get<uint64_t>(), g.manifest["container"]["block_count"].get<uint64_t>())) !=
          std::string::npos);
    // The other files still list and hash.
    auto ls = test::run_upscope({"ls", g.image.string() + ":/special", "--hash", "sha256"});
    CHECK(ls.exit_code == 0);
  }
  SECTION("decmpfs headers claiming 2^50 bytes are capped (no huge allocation)") {
    auto g = generate(dir, "huge", "--files 0 --corrupt decmpfs-huge --seed 21");
    const std::string img = g.image.string();
    // 1 GiB of address space is plenty for a capped reader and far below 2^50. ASan reserves far more
    // address space than that for itself, so under ASan its allocator enforces the same 1 GiB instead.
#if defined(__SANITIZE_ADDRESS__)
    const std::string limit = "ASAN_OPTIONS=\"${ASAN_OPTIONS:+$ASAN_OPTIONS:}max_allocation_size_mb=1024\" ";
#else
    const std::string limit = "ulimit -v 1048576; ";
#endif
    auto cat = [&](const std::string& path) {
      return test::run_shell(limit + test::shell_quote(test::upscope_binary()) + " cat " +
                             test::shell_quote(img + ":" + path) + " 2>&1 >/dev/null");
    };
    auto r = cat("/bad/zlib-inline-huge.txt");
    CHECK(r.exit_code == 2);
    CHECK(r.out.find("/bad/zlib-inline-huge.txt: com.apple.decmpfs: inline payload claims 1125899906842624 bytes, "
                     "over the 67108864-byte cap") != std::string::npos);
    for (const char* p : {"/bad/lzvn-rsrc-huge.bin", "/bad/zlib-rsrc-huge.bin"}) {
      INFO(p);
      const json* m = manifest_entry(g.manifest, p);
      REQUIRE(m);
      r = cat(p);
      CHECK(r.exit_code == 2);
      CHECK(r.out.find(fmt::format("{}: com.apple.ResourceFork: 1125899906842624 bytes need 17179869184 chunks, more "
                                   "than the {}-byte fork can hold",
                                   p, (*m)["rsrc_size"].get<uint64_t>())) != std::string::npos);
    }
    // ls reports the claimed size and the error per file, and keeps going.
    auto ls = test::run_upscope({"ls", img + ":/bad", "--json", "--hash", "sha256"});
    CHECK(ls.exit_code == 2);
    auto doc = json::parse(ls.out);
    size_t errors = 0;
    for (const auto& f : doc["volumes"][0]["files"])
      if (f["type"] == "file") {
        CHECK(f["size"] == 1125899906842624ull);
        errors += f.contains("error");
      }
    CHECK(errors == 3);
  }
}
