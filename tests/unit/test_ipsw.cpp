// Builds given as an IPSW or as an image list. The IPSWs are written at test time by
// samples/gen/make_ipsw.py and checked with independent readers (python3 zipfile + plistlib, 7zz,
// sha256sum) before upscope reads them; then the inventory's placement of every member, the three
// verdicts (App cryptex only -> eligible, kernelcache -> not eligible, unreadable cryptex ->
// undetermined), and the image list's equivalence with the IPSW holding the same images.
#include <catch2/catch.hpp>

#include <set>

#include <nlohmann/json.hpp>

#include "test_support.hpp"

using namespace upscope::test;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const char* kOsDmg = "090-10002-001.dmg";
const char* kAppDmg = "090-10003-001.dmg";
const char* kSafari = "/System/Applications/Safari.app/Contents/MacOS/Safari";
const char* kWebKit = "/System/Library/Frameworks/WebKit.framework/Versions/A/WebKit";

fs::path make_ipsw(const fs::path& dir, const std::string& name, const std::string& args) {
  fs::path out = dir / name;
  auto r = run_shell("python3 " + shell_quote((source_dir() / "samples/gen/make_ipsw.py").string()) + " " + args +
                     " " + shell_quote(out.string()));
  REQUIRE(r.exit_code == 0);
  return out;
}

const json* find_comp(const json& comps, const std::string& id) {
  for (const auto& c : comps)
    if (c["id"] == id) return &c;
  return nullptr;
}

json run_json(const std::vector<std::string>& args, int expect_exit) {
  auto r = run_upscope(args);
  INFO(r.err);
  REQUIRE(r.exit_code == expect_exit);
  return json::parse(r.out);
}

std::string sha256_of(const fs::path& p) {
  auto r = run_shell("sha256sum " + shell_quote(p.string()) + " | cut -c1-64");
  REQUIRE(r.exit_code == 0);
  return r.out.substr(0, 64);
}

}  // namespace

TEST_CASE("make_ipsw.py writes a zip and a BuildManifest that independent readers accept", "[ipsw]") {
  auto dir = scratch_dir("ipsw-gen");
  auto ipsw = make_ipsw(dir, "a.ipsw", "");
  // python3's zipfile: every CRC checks, and the manifest names each member it points at.
  auto py = run_shell("python3 -c " + shell_quote(
                                          "import sys, zipfile, plistlib\n"
                                          "z = zipfile.ZipFile(sys.argv[1])\n"
                                          "assert z.testzip() is None\n"
                                          "m = plistlib.loads(z.read('BuildManifest.plist'))\n"
                                          "names = set(z.namelist())\n"
                                          "paths = {e['Info']['Path'] for i in m['BuildIdentities'] for e in i['Manifest'].values()}\n"
                                          "assert paths <= names, paths - names\n"
                                          "print(m['ProductVersion'], m['ProductBuildVersion'], m['SupportedProductTypes'][0], len(names))\n") +
                      " " + shell_quote(ipsw.string()));
  REQUIRE(py.exit_code == 0);
  CHECK(py.out == "13.3.1 22E261 Mac14,6 14\n");
  // 7-Zip lists the same 14 members.
  auto z = run_shell("7zz l -ba " + shell_quote(ipsw.string()) + " | wc -l");
  REQUIRE(z.exit_code == 0);
  CHECK(std::stoi(z.out) == 14);
}

TEST_CASE("IPSW inventory places every member by its BuildManifest role", "[ipsw]") {
  auto dir = scratch_dir("ipsw-inv");
  auto ipsw = make_ipsw(dir, "a.ipsw", "--images-dir " + shell_quote((dir / "imgs").string()));
  auto doc = run_json({"inventory", "--json", ipsw.string()}, 0);
  const auto& b = doc["build"];
  CHECK(b["product"] == "macOS");
  CHECK(b["version"] == "13.3.1");
  CHECK(b["build"] == "22E261");
  CHECK(b["platform"] == "macos");
  CHECK(b["not_analysed"].empty());
  const auto& comps = b["components"];
  struct Want {
    const char* id;
    const char* kind;
    const char* space;
    const char* location;
  };
  const Want wants[] = {
      {"com.apple.kernel", "kernel", "kernel", "kernelcache"},
      {"com.apple.iokit.IOSurfaceAccelerator", "kext", "kernel", "kernelcache"},
      {"com.apple.driver.AppleAVD", "kext", "kernel", "kernelcache"},
      {"OS", "file", "data", "system-volume"},
      {"/usr/lib/libSystem.B.dylib", "macho", "user", "system-volume"},
      {"/usr/bin/true", "macho", "user", "system-volume"},
      {"/System/Library/CoreServices/SystemVersion.plist", "file", "data", "system-volume"},
      {"Cryptex1,SystemOS", "cryptex-image", "user", "cryptex-os"},
      {kWebKit, "macho", "user", "cryptex-os"},
      {"Cryptex1,AppOS", "cryptex-image", "user", "cryptex-app"},
      {kSafari, "macho", "user", "cryptex-app"},
      {"Firmware/090-10001-001.dmg.root_hash", "file", "data", "system-volume"},
      {"Firmware/090-10002-001.dmg.trustcache", "trust-cache", "data", "cryptex-os"},
      {"Firmware/090-10003-001.dmg.trustcache", "trust-cache", "data", "cryptex-app"},
      {"Firmware/090-10001-001.dmg.trustcache", "trust-cache", "data", "system-volume"},
      {"Firmware/090-10003-001.dmg.root_hash", "file", "data", "cryptex-app"},
      {"Firmware/all_flash/iBoot.j414c.RELEASE.im4p", "firmware", "boot", "preboot"},
      {"090-10009-001.dmg", "firmware", "boot", "unknown"},
  };
  for (const auto& w : wants) {
    INFO(w.id);
    const json* c = find_comp(comps, w.id);
    REQUIRE(c);
    CHECK((*c)["kind"] == w.kind);
    CHECK((*c)["space"] == w.space);
    CHECK((*c)["location"] == w.location);
  }
  // The OS cryptex's copy of SystemVersion.plist keeps its grafted path.
  const json* cv = find_comp(comps, "/System/Cryptexes/OS/System/Library/CoreServices/SystemVersion.plist");
  REQUIRE(cv);
  CHECK((*cv)["location"] == "cryptex-os");
  // Hashes agree with independent readers: sha256sum of the member, and of Safari as 7-Zip extracts it.
  CHECK((*find_comp(comps, "Cryptex1,AppOS"))["hashes"]["sha256"] == sha256_of(dir / "imgs" / kAppDmg));
  auto x = run_shell("cd " + shell_quote(dir.string()) + " && 7zz e -y -oseven " +
                     shell_quote((dir / "imgs" / kAppDmg).string()) + " Safari -r >/dev/null 2>&1; sha256sum seven/Safari | cut -c1-64");
  REQUIRE(x.exit_code == 0);
  CHECK((*find_comp(comps, kSafari))["hashes"]["sha256"] == x.out.substr(0, 64));
  CHECK((*find_comp(comps, kSafari))["path"] == std::string(kAppDmg) + ":" + kSafari);
  // Neither the manifest nor Restore.plist is a component: they describe the build.
  CHECK(!find_comp(comps, "BuildManifest.plist"));
  CHECK(!find_comp(comps, "Restore.plist"));
}

namespace {

// A diff document without what only a drill-down into the bytes gives (instruction counts, calls
// and references of each function).
json without_drill_down(json diff) {
  for (auto& ch : diff["changes"])
    for (auto& f : ch["functions"])
      for (const char* k : {"instructions", "changed_instructions", "calls_added", "calls_removed", "refs_added",
                            "refs_removed"})
        f.erase(k);
  return diff;
}

}  // namespace

TEST_CASE("IPSW pairs: App cryptex only -> eligible, kernelcache -> not, unreadable cryptex -> undetermined", "[ipsw]") {
  auto dir = scratch_dir("ipsw-verdict");
  auto base = make_ipsw(dir, "base.ipsw", "");

  SECTION("identical builds: no differences") {
    auto same = make_ipsw(dir, "same.ipsw", "");
    CHECK(run_upscope({"diff", base.string(), same.string()}).exit_code == 0);
  }
  SECTION("(a) only the App cryptex changed") {
    auto app = make_ipsw(dir, "app.ipsw", "--app-seed 2");
    auto d = run_json({"diff", "--json", base.string(), app.string()}, 1);
    bool safari = false;
    for (const auto& c : d["diff"]["changes"]) {
      INFO(c["id"]);
      CHECK(c["location"] == "cryptex-app");
      safari |= c["id"] == kSafari && c["change"] == "modified";
    }
    CHECK(safari);
    // The App cryptex's trust cache changed with it: the old Safari's cdhash removed, the new one's
    // added, as sha256sum of the Safari 7-Zip extracts from each dmg says (make_ipsw.py lists each
    // file by the first 20 bytes of its SHA-256).
    auto safari_cdhash = [&](const fs::path& ipsw) {
      const fs::path out = dir / (ipsw.stem().string() + "-x");
      auto x = run_shell("cd " + shell_quote(dir.string()) + " && 7zz e -y -o" + shell_quote(out.string()) + " " +
                         shell_quote(ipsw.string()) + " " + kAppDmg + " >/dev/null && cd " + shell_quote(out.string()) +
                         " && 7zz e -y " + kAppDmg + " Safari -r >/dev/null 2>&1; sha256sum Safari | cut -c1-40");
      REQUIRE(x.exit_code == 0);
      return x.out.substr(0, 40);
    };
    const json* tc = find_comp(d["diff"]["changes"], std::string("Firmware/") + kAppDmg + ".trustcache");
    REQUIRE(tc);
    CHECK((*tc)["kind"] == "trust-cache");
    CHECK((*tc)["classes"] == json::array({"content"}));
    std::set<std::string> added, removed;
    for (const auto& det : (*tc)["details"])
      if (det["class"] == "content") (det["change"] == "added" ? added : removed).insert(det["what"].get<std::string>());
    CHECK(added == std::set<std::string>{"cdhash " + safari_cdhash(app)});
    CHECK(removed == std::set<std::string>{"cdhash " + safari_cdhash(base)});
    auto v = run_json({"verdict", "--json", base.string(), app.string()}, 0);
    CHECK(v["verdict"]["rsr_eligible"] == "yes");
    for (const auto& e : v["verdict"]["evidence"]) CHECK(e.get<std::string>().find("trust cache did not") == std::string::npos);
  }
  SECTION("(a') the App cryptex changed but its trust cache did not: flagged in the evidence") {
    auto stale = make_ipsw(dir, "stale.ipsw", "--app-seed 2 --stale-app-trust-cache");
    auto v = run_json({"verdict", "--json", base.string(), stale.string()}, 0);
    CHECK(v["verdict"]["rsr_eligible"] == "yes");  // the flag informs; the locations decide
    std::vector<std::string> warnings;
    for (const auto& e : v["verdict"]["evidence"])
      if (e.get<std::string>().rfind("warning: ", 0) == 0) warnings.push_back(e);
    REQUIRE(warnings.size() == 1);
    CHECK(warnings[0].rfind("warning: the App cryptex changed (", 0) == 0);
    CHECK(warnings[0].find("but its trust cache did not (Firmware/090-10003-001.dmg.trustcache)") != std::string::npos);
    // The text verdict shows it too.
    auto t = run_upscope({"verdict", base.string(), stale.string()});
    CHECK(t.out.find("but its trust cache did not") != std::string::npos);
    // From a catalogue the same: its diff leaves out what is stored once for both builds, but not
    // the unchanged trust cache the warning is about.
    const auto db = (dir / "stale-catalog.db").string();
    REQUIRE(run_upscope({"-q", "catalog", "add", "--db", db, base.string(), stale.string()}).exit_code == 0);
    auto c = run_json({"catalog", "verdict", "--json", "--db", db, base.string(), stale.string()}, 0);
    CHECK(c["verdict"] == v["verdict"]);
    // Except the drill-down: read from the images, Safari's added functions are disassembled (the
    // file is opened again from its volume); a catalogue keeps no bytes to disassemble.
    CHECK(without_drill_down(c["diff"]) == without_drill_down(v["diff"]));
    bool disassembled = false;
    for (const auto& ch : v["diff"]["changes"])
      if (ch["id"] == "/System/Applications/Safari.app/Contents/MacOS/Safari")
        for (const auto& f : ch["functions"]) disassembled |= f["instructions"].get<int>() > 0;
    CHECK(disassembled);
    CHECK(c["builds"]["old"]["components"] == v["builds"]["old"]["components"]);
    CHECK(c["builds"]["new"]["components"] == v["builds"]["new"]["components"]);
  }
  SECTION("(b) the kernel in the kernelcache changed") {
    auto kernel = make_ipsw(dir, "kernel.ipsw", "--kernel-changed");
    auto v = run_json({"verdict", "--json", base.string(), kernel.string()}, 1);
    CHECK(v["verdict"]["rsr_eligible"] == "no");
    // The kernel, and the kernelcache file whose bytes changed with it (byte truth: the container counts).
    CHECK(v["verdict"]["deciding"] == json::array({"com.apple.kernel", "kernelcache.release.mac14g"}));
    CHECK(v["verdict"]["rule"].get<std::string>().rfind("kernel-space code changed", 0) == 0);
    // The one instruction replaced lies in the kernel's first function (make_kc.py names it): the
    // drill-down names it, through the IM4P and LZSS layers.
    const json* k = nullptr;
    for (const auto& c : v["diff"]["changes"])
      if (c["id"] == "com.apple.kernel") k = &c;
    REQUIRE(k);
    CHECK((*k)["functions_changed"] == json::array({"_kernel_f0"}));
    CHECK((*k)["functions_added"].empty());
    auto t = run_upscope({"verdict", base.string(), kernel.string()});
    CHECK(t.exit_code == 1);
    CHECK(t.out.find("com.apple.kernel") != std::string::npos);
  }
  SECTION("(c) the App cryptex dmg is cut in half") {
    auto corrupt = make_ipsw(dir, "corrupt.ipsw", "--corrupt-cryptex app");
    auto v = run_json({"verdict", "--json", base.string(), corrupt.string()}, 3);
    CHECK(v["verdict"]["rsr_eligible"] == "undetermined");
    bool named = false;
    for (const auto& n : v["diff"]["not_analysed"])
      named |= n["path"] == kAppDmg && n["reason"].get<std::string>().rfind("cryptex image unreadable: ", 0) == 0;
    CHECK(named);
  }
}

TEST_CASE("an image list gives the same inventory as the IPSW holding the same images", "[ipsw]") {
  auto dir = scratch_dir("ipsw-list");
  auto ipsw = make_ipsw(dir, "a.ipsw", "--images-dir " + shell_quote((dir / "imgs").string()));
  auto from_ipsw = run_json({"inventory", "--json", ipsw.string()}, 0)["build"];
  auto from_list = run_json({"inventory", "--json", (dir / "imgs" / "images.txt").string()}, 0)["build"];
  CHECK(from_list["source"] == (dir / "imgs" / "images.txt").string());
  from_ipsw.erase("source");
  from_list.erase("source");
  CHECK(from_list == from_ipsw);
  REQUIRE(from_list["components"].size() > 20);

  // Without the header line, a list is recognised when every line names an existing file; the roles
  // come from the words after the paths, else from the file names.
  std::string short_list = "kernelcache.release.mac14g\n090-10003-001.dmg cryptex-app\n";
  write_bytes(dir / "imgs" / "short.txt", std::vector<uint8_t>(short_list.begin(), short_list.end()));
  auto s = run_json({"inventory", "--json", (dir / "imgs" / "short.txt").string()}, 0)["build"];
  CHECK((*find_comp(s["components"], "com.apple.kernel"))["location"] == "kernelcache");
  CHECK((*find_comp(s["components"], kSafari))["location"] == "cryptex-app");
  CHECK(!find_comp(s["components"], kWebKit));

  // A disk image without a role is not guessed at.
  std::string noisy = "090-10002-001.dmg\n";
  write_bytes(dir / "imgs" / "norole.txt", std::vector<uint8_t>(noisy.begin(), noisy.end()));
  auto n = run_json({"inventory", "--json", (dir / "imgs" / "norole.txt").string()}, 0)["build"];
  REQUIRE(n["not_analysed"].size() == 1);
  CHECK(n["not_analysed"][0]["path"] == kOsDmg);
  CHECK(n["not_analysed"][0]["reason"].get<std::string>().find("without a role: give it one of system-volume") !=
        std::string::npos);

  // Text naming a file that does not exist is not a list: it stays one plain file.
  std::string other = "090-10002-001.dmg cryptex-os\nno-such-image.dmg\n";
  write_bytes(dir / "imgs" / "other.txt", std::vector<uint8_t>(other.begin(), other.end()));
  auto o = run_json({"inventory", "--json", (dir / "imgs" / "other.txt").string()}, 0)["build"];
  REQUIRE(o["components"].size() == 1);
  CHECK(o["components"][0]["id"] == "/other.txt");
  // With the header it is a list, and the missing image is reported.
  std::string marked = "# upscope image list\n" + other;
  write_bytes(dir / "imgs" / "marked.txt", std::vector<uint8_t>(marked.begin(), marked.end()));
  auto m = run_json({"inventory", "--json", (dir / "imgs" / "marked.txt").string()}, 0)["build"];
  REQUIRE(m["not_analysed"].size() == 1);
  CHECK(m["not_analysed"][0]["path"] == "no-such-image.dmg");
  CHECK(find_comp(m["components"], kWebKit));
}

TEST_CASE("a zip without BuildManifest.plist is not an IPSW", "[ipsw]") {
  auto dir = scratch_dir("ipsw-notipsw");
  auto r = run_shell("cd " + shell_quote(dir.string()) +
                     " && python3 -c \"import zipfile; zipfile.ZipFile('x.zip','w').writestr('AssetData/boot/BuildManifest.plist', b'<plist/>')\"");
  REQUIRE(r.exit_code == 0);
  auto b = run_json({"inventory", "--json", (dir / "x.zip").string()}, 0)["build"];
  REQUIRE(b["components"].size() == 1);
  CHECK(b["components"][0]["id"] == "/x.zip");
}

TEST_CASE("IPSW diff, verdict and inventory JSON validate against the schemas", "[ipsw][schema]") {
  auto dir = scratch_dir("ipsw-schema");
  auto a = make_ipsw(dir, "old.ipsw", "--images-dir " + shell_quote((dir / "imgs").string()));
  auto b = make_ipsw(dir, "new.ipsw", "--kernel-changed --app-seed 1");
  make_ipsw(dir, "bad.ipsw", "--corrupt-cryptex os");
  // check_schemas.py with a commands file of our own: a scratch "source tree" whose reports/ is the real one.
  fs::create_directories(dir / "src" / "tests" / "schema");
  fs::create_directory_symlink(source_dir() / "reports", dir / "src" / "reports");
  std::string cmds = "diff --json " + a.string() + " " + b.string() + "\nverdict --json " + a.string() + " " +
                     b.string() + "\nverdict --json " + a.string() + " " + (dir / "bad.ipsw").string() +
                     "\ninventory --json " + a.string() + "\ninventory --json " + (dir / "imgs" / "images.txt").string() +
                     "\ndiff --json " + (dir / "imgs" / "images.txt").string() + " " + b.string() + "\n";
  write_bytes(dir / "src" / "tests" / "schema" / "commands.txt", std::vector<uint8_t>(cmds.begin(), cmds.end()));
  auto r = run_shell("/usr/bin/python3 " + shell_quote((source_dir() / "tests/schema/check_schemas.py").string()) + " " +
                     shell_quote(upscope_binary()) + " " + shell_quote((dir / "src").string()) + " ''");
  INFO(r.out);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("6 passed, 0 failed") != std::string::npos);
}

TEST_CASE("an IPSW whose BuildManifest.plist is unreadable is still read, by member paths", "[ipsw]") {
  auto dir = scratch_dir("ipsw-badmanifest");
  auto good = make_ipsw(dir, "good.ipsw", "");
  // Same members, but the manifest is not a property list.
  auto r = run_shell("cd " + shell_quote(dir.string()) + " && python3 -c " +
                     shell_quote("import zipfile\n"
                                 "src = zipfile.ZipFile('good.ipsw')\n"
                                 "out = zipfile.ZipFile('bad.ipsw', 'w')\n"
                                 "for i in src.infolist():\n"
                                 "    data = b'not a plist' if i.filename == 'BuildManifest.plist' else src.read(i)\n"
                                 "    out.writestr(i, data)\n"
                                 "out.close()\n"));
  REQUIRE(r.exit_code == 0);
  auto b = run_json({"inventory", "--json", (dir / "bad.ipsw").string()}, 0)["build"];
  std::map<std::string, std::string> na;
  for (const auto& n : b["not_analysed"]) na[n["path"]] = n["reason"];
  CHECK(na["BuildManifest.plist"] == "BuildManifest.plist: not a property list dictionary");
  // The dmgs have no role without the manifest; the kernelcache and firmware are known by name.
  CHECK(na[kOsDmg].find("without a role") != std::string::npos);
  CHECK((*find_comp(b["components"], "com.apple.kernel"))["location"] == "kernelcache");
  CHECK((*find_comp(b["components"], "Firmware/all_flash/iBoot.j414c.RELEASE.im4p"))["space"] == "boot");
  CHECK(b["version"] == "");
}

TEST_CASE("an IPSW for several devices keeps each kernelcache's kernel and kexts apart", "[ipsw]") {
  auto dir = scratch_dir("ipsw-devices");
  auto one = make_ipsw(dir, "one.ipsw", "--devices 2");
  auto two = make_ipsw(dir, "two.ipsw", "--devices 2 --kernel-changed");
  auto b = run_json({"inventory", "--json", one.string()}, 0)["build"];
  for (const char* id : {"com.apple.kernel@kernelcache.release.mac14g", "com.apple.kernel@kernelcache.release.mac14h",
                         "com.apple.driver.AppleAVD@kernelcache.release.mac14h"}) {
    INFO(id);
    const json* c = find_comp(b["components"], id);
    REQUIRE(c);
    CHECK((*c)["location"] == "kernelcache");
    CHECK((*c)["path"].get<std::string>().rfind(std::string(id).substr(std::string(id).find('@') + 1) + ":", 0) == 0);
  }
  CHECK(!find_comp(b["components"], "com.apple.kernel"));
  auto v = run_json({"verdict", "--json", one.string(), two.string()}, 1);
  CHECK(v["verdict"]["deciding"] == json::array({"com.apple.kernel@kernelcache.release.mac14g",
                                                 "com.apple.kernel@kernelcache.release.mac14h",
                                                 "kernelcache.release.mac14g", "kernelcache.release.mac14h"}));
}

TEST_CASE("IPSW members are inflated only within the memory limit", "[ipsw]") {
  auto dir = scratch_dir("ipsw-memory");
  auto ipsw = make_ipsw(dir, "a.ipsw", "--images-dir " + shell_quote((dir / "imgs").string()));
  auto b = run_json({"--max-memory", "10K", "inventory", "--json", ipsw.string()}, 0)["build"];
  std::map<std::string, std::string> na;
  for (const auto& n : b["not_analysed"]) na[n["path"]] = n["reason"];
  // The deflated kernelcache (13,970 bytes) is refused before any allocation, naming its local header
  // (offset from python's zipfile). The manifest's 9,163 bytes of XML would fit, but not the tree of
  // its 255 elements that libplist builds (bounded at 128 bytes a node, plus the text).
  auto off = run_shell("python3 -c " + shell_quote("import sys, zipfile\n"
                                                   "print(hex(zipfile.ZipFile(sys.argv[1]).getinfo("
                                                   "'kernelcache.release.mac14g').header_offset))") +
                       " " + shell_quote(ipsw.string()));
  REQUIRE(off.exit_code == 0);
  CHECK(na["kernelcache.release.mac14g"] == "a.ipsw: member 'kernelcache.release.mac14g' at " +
                                                off.out.substr(0, off.out.size() - 1) +
                                                ": uncompressed size 13970 exceeds the inflate limit of 10240 bytes");
  CHECK(na["BuildManifest.plist"] == "BuildManifest.plist: needs 40.8 KiB of memory, over the --max-memory limit of 10.0 KiB");
  // With 48 KiB the manifest is read. The stored dmgs are windows of the archive: hashed without
  // inflating, and their UDIF chunks, over the limit, say so (not "no APFS container found").
  b = run_json({"--max-memory", "48K", "inventory", "--json", ipsw.string()}, 0)["build"];
  na.clear();
  for (const auto& n : b["not_analysed"]) na[n["path"]] = n["reason"];
  CHECK(na.count("BuildManifest.plist") == 0);
  CHECK(b["version"] == "13.3.1");
  const json* app = find_comp(b["components"], "Cryptex1,AppOS");
  REQUIRE(app);
  CHECK((*app)["hashes"]["sha256"] == sha256_of(dir / "imgs" / kAppDmg));
  const std::string chunk_error =
      std::string(kAppDmg) + ": mish block 4: chunk 0 at 0xd2: needs 1.0 MiB of memory, over the --max-memory limit of 48.0 KiB";
  CHECK(na[kAppDmg] == "cryptex image unreadable: " + chunk_error);
  // `inspect` of that dmg under the same limit: the partition map is read, its APFS partition's start is not.
  const std::string dmg = (dir / "imgs" / kAppDmg).string();
  auto doc = run_json({"--max-memory", "48K", "inspect", "--json", dmg}, 0);
  const auto& part = doc["inputs"][0]["report"]["partition_map"]["partitions"][0];
  CHECK(part["filesystem"] == "");
  CHECK(part["filesystem_error"] == chunk_error);
  auto text = run_upscope({"--max-memory", "48K", "inspect", dmg});
  CHECK(text.out.find("2048  1.0 MiB  unreadable") != std::string::npos);
  CHECK(text.err.find("needs 1.0 MiB of memory, over the --max-memory limit of 48.0 KiB") != std::string::npos);
}

TEST_CASE("IPSW whose OS cryptex ships as .dmg.aea: read with its key, undetermined without", "[ipsw][aea]") {
  auto dir = scratch_dir("ipsw-aea");
  const std::string hex(64, '4');  // the key: 32 bytes of 0x44
  const std::string b64 = "REREREREREREREREREREREREREREREREREREREREREQ=";
  auto base = make_ipsw(dir, "base.ipsw", "--aea-os-key " + hex);
  auto app = make_ipsw(dir, "app.ipsw", "--aea-os-key " + hex + " --app-seed 2");
  auto plain = make_ipsw(dir, "plain.ipsw", "");

  // With the key, the OS cryptex is read through the archive: its files are components, with the
  // same bytes as in the IPSW that ships the dmg plainly.
  auto inv = run_json({"inventory", "--json", "--key", b64, base.string()}, 0)["build"];
  CHECK(inv["not_analysed"].empty());
  const json* webkit = find_comp(inv["components"], kWebKit);
  REQUIRE(webkit);
  CHECK((*webkit)["location"] == "cryptex-os");
  CHECK((*webkit)["path"] == std::string(kOsDmg) + ".aea:" + kWebKit);
  auto plain_inv = run_json({"inventory", "--json", plain.string()}, 0)["build"];
  CHECK((*webkit)["hashes"] == (*find_comp(plain_inv["components"], kWebKit))["hashes"]);
  const json* tc = find_comp(inv["components"], std::string("Firmware/") + kOsDmg + ".aea.trustcache");
  REQUIRE(tc);
  CHECK((*tc)["kind"] == "trust-cache");

  // Without it: the cryptex is not analysed, so the verdict cannot be yes; the reason says how to give it.
  auto v = run_json({"verdict", "--json", base.string(), app.string()}, 3);
  CHECK(v["verdict"]["rsr_eligible"] == "undetermined");
  bool named = false;
  for (const auto& n : v["diff"]["not_analysed"]) {
    const std::string reason = n["reason"];
    named |= n["path"] == std::string(kOsDmg) + ".aea" && reason.find("not decrypted: ") != std::string::npos &&
             reason.find("--aea-keys FILE") != std::string::npos;
  }
  CHECK(named);

  // With the keys by file name (--aea-keys), the App cryptex change is eligible again.
  const auto keys = dir / "keys.json";
  const std::string doc = "{\"" + std::string(kOsDmg) + ".aea\": \"" + b64 + "\"}";
  write_bytes(keys, std::vector<uint8_t>(doc.begin(), doc.end()));
  auto yes = run_json({"verdict", "--json", "--aea-keys", keys.string(), base.string(), app.string()}, 0);
  CHECK(yes["verdict"]["rsr_eligible"] == "yes");
  CHECK(yes["diff"]["not_analysed"].empty());

  // A wrong key is an error the reason names, never a silent skip.
  auto wrong = run_json({"verdict", "--json", "--key", "QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkI=", base.string(),
                         app.string()},
                        3);
  CHECK(wrong["verdict"]["rsr_eligible"] == "undetermined");
}

TEST_CASE("make_big_ipsw.py writes a small pair that upscope reads end to end: zip64 with ULFO and AEA cryptexes", "[ipsw][aea]") {
  // The generator of the real-size benchmark pair (bench/bench_ipsw_pair.sh), at a size a test
  // affords, with python's own LZFSE encoder (the benchmark uses the reference's).
  auto dir = scratch_dir("ipsw-big-small");
  const std::string hex(64, '5');
  const std::string b64 = "VVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVU=";
  auto gen = run_shell("python3 " + shell_quote((source_dir() / "samples/gen/make_big_ipsw.py").string()) + " " +
                       shell_quote(dir.string()) +
                       " --files 200 --volume-size 4M --images 4 --subcaches 2 --text-kb 4 --kexts 6 --kc-mb 2"
                       " --app-size 256K --aea-key " + hex + " 2>&1");
  INFO(gen.out);
  REQUIRE(gen.exit_code == 0);
  const auto old_ipsw = dir / "old.ipsw", new_ipsw = dir / "new.ipsw";

  // Independent readers: python3's zipfile checks every CRC through the zip64 records; 7-Zip reads
  // the plain OS cryptex dmg, ULFO chunks and APFS, and finds its dyld cache.
  auto zip = run_shell("python3 -c " + shell_quote("import sys, zipfile\n"
                                                   "z = zipfile.ZipFile(sys.argv[1])\n"
                                                   "assert z.testzip() is None\n"
                                                   "print(len(z.namelist()))\n") +
                       " " + shell_quote(old_ipsw.string()));
  INFO(zip.out);
  REQUIRE(zip.exit_code == 0);
  CHECK(zip.out == "14\n");
  auto ulfo = run_shell("7zz l " + shell_quote((dir / "old-os.dmg").string()) + " 2>&1");
  INFO(ulfo.out);
  CHECK(ulfo.exit_code == 0);
  CHECK(ulfo.out.find("dyld_shared_cache_arm64e.01") != std::string::npos);

  // upscope, as a user runs it: every image analysed, the changes the generator made and no others.
  auto d = run_json({"diff", "--json", "--key", b64, old_ipsw.string(), new_ipsw.string()}, 1);
  CHECK(d["diff"]["not_analysed"].empty());
  std::set<std::string> modified;
  for (const auto& c : d["diff"]["changes"]) {
    INFO(c["id"]);
    CHECK(c["change"] == "modified");
    modified.insert(c["id"].get<std::string>());
  }
  for (const char* id : {"/System/Library/CoreServices/SystemVersion.plist", "/usr/libexec/upscope-bench",
                         "/usr/lib/libsynth0001.dylib", kSafari, "com.apple.driver.Kext0003",
                         "kernelcache.release.mac14g", "Cryptex1,SystemOS", "Cryptex1,AppOS", "OS"}) {
    INFO(id);
    CHECK(modified.count(id) == 1);
  }
  for (const auto& id : modified) {  // none of the 200 shaped system-volume files (the same on both sides)
    INFO(id);
    CHECK(id.find("/System/Library/Frameworks/F") != 0);
  }
  auto v = run_json({"verdict", "--json", "--key", b64, old_ipsw.string(), new_ipsw.string()}, 1);
  CHECK(v["verdict"]["rsr_eligible"] == "no");

  // The progress bar (forced on, as on a terminal): one per build, drawn as it reads its images.
  auto bar = run_upscope({"verdict", "--progress", "always", "--key", b64, old_ipsw.string(), new_ipsw.string()});
  CHECK(bar.exit_code == 1);
  for (const std::string label : {"inventory old.ipsw [", "inventory new.ipsw ["}) {
    INFO(label);
    const size_t at = bar.err.find(label);
    REQUIRE(at != std::string::npos);
    CHECK(bar.err.substr(at + label.size() + 37, 1) == "%");  // after the 30 cells, "] " and the percentage
  }
}
