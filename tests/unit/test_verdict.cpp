// The component model, the generic diff, the path table and the RSR verdict rule (docs/placement.md).
#include <catch2/catch.hpp>

#include <algorithm>

#include "analysis/build_images.hpp"
#include "analysis/classify.hpp"
#include "analysis/diff.hpp"
#include "analysis/placement.hpp"
#include "analysis/verdict.hpp"

using namespace upscope;

namespace {
Component comp(std::string path, std::string sha, std::string code = "") {
  Placement pl = classify_path(path);
  Component c;
  c.id = strip_cryptex_prefix(path);
  c.path = path;
  c.location = pl.location;
  c.space = pl.space == Space::kData && pl.kind == ComponentKind::kFile ? Space::kUser : pl.space;
  c.kind = pl.kind;
  c.hashes["sha256"] = sha;
  c.code_hash = code;
  c.size = 100;
  return c;
}
BuildInventory inventory_of(std::vector<Component> cs) {
  BuildInventory b;
  b.components = std::move(cs);
  b.normalise();
  return b;
}
const char* kWebKit = "/System/Cryptexes/OS/System/Library/Frameworks/WebKit.framework/WebKit";
const char* kSafari = "/System/Cryptexes/App/System/Applications/Safari.app/Contents/MacOS/Safari";
const char* kKernel = "/System/Library/Kernels/kernel";
const char* kBootKc = "/System/Library/KernelCollections/BootKernelExtensions.kc";
const char* kLibc = "/usr/lib/libSystem.B.dylib";
}  // namespace

TEST_CASE("the path table places components", "[verdict][classify]") {
  auto check = [](const char* path, Location l, Space s) {
    INFO(path);
    auto p = classify_path(path);
    CHECK(to_string(p.location) == std::string(to_string(l)));
    CHECK(to_string(p.space) == std::string(to_string(s)));
  };
  check(kKernel, Location::kSystemVolume, Space::kKernel);
  check(kBootKc, Location::kBootKc, Space::kKernel);
  check("/System/Volumes/Preboot/ABCD/boot/1234/System/Library/KernelCollections/BootKernelExtensions.kc",
        Location::kBootKc, Space::kKernel);
  check("/System/Library/KernelCollections/SystemKernelExtensions.kc", Location::kSystemKc, Space::kKernel);
  check("/Library/KernelCollections/AuxiliaryKernelExtensions.kc", Location::kAuxKc, Space::kKernel);
  check("/kernelcache.release.iphone15", Location::kKernelcache, Space::kKernel);
  check("/System/Library/Extensions/IOSurface.kext/Contents/MacOS/IOSurface", Location::kSystemVolume, Space::kKernel);
  check("/System/Library/DriverExtensions/Foo.dext/Foo", Location::kSystemVolume, Space::kUser);
  check(kWebKit, Location::kCryptexOs, Space::kData);
  check(kSafari, Location::kCryptexApp, Space::kData);
  check("/System/Volumes/Preboot/Cryptexes/OS/System/Library/dyld/dyld_shared_cache_arm64e", Location::kCryptexOs,
        Space::kData);
  check("/System/Volumes/Preboot/UUID/cryptex1/current/os.dmg", Location::kCryptexOs, Space::kUser);
  check("/System/Volumes/Preboot/UUID/cryptex1/current/app.dmg", Location::kCryptexApp, Space::kUser);
  check("/System/Volumes/Preboot/UUID/boot/iBoot.img4", Location::kPreboot, Space::kBoot);
  check("/usr/standalone/firmware/iBoot.im4p", Location::kSystemVolume, Space::kBoot);
  check(kLibc, Location::kSystemVolume, Space::kData);
  check("/Users/me/notes.txt", Location::kDataVolume, Space::kData);
  check("/weird/place", Location::kUnknown, Space::kData);
  CHECK(strip_cryptex_prefix(kWebKit) == "/System/Library/Frameworks/WebKit.framework/WebKit");
  CHECK(strip_cryptex_prefix("/System/Cryptexes/OSX/x") == "/System/Cryptexes/OSX/x");
  CHECK(strip_cryptex_prefix(kLibc) == kLibc);
}

TEST_CASE("placement table: one pattern syntax, a reason on every row, every image role placed", "[verdict][classify]") {
  // '*' stays within a path component, '**' crosses them, '|' separates alternatives.
  CHECK(placement_match("/usr/**", "/usr/lib/a/b.dylib"));
  CHECK(placement_match("**/cryptex1/current/os.dmg", "/System/Volumes/Preboot/X/cryptex1/current/os.dmg"));
  CHECK(placement_match("Firmware/**|**.im4p", "Firmware/all_flash/iBoot.im4p"));
  CHECK(placement_match("Firmware/**|**.im4p", "a/b/c.im4p"));
  CHECK_FALSE(placement_match("/Library/*", "/Library/Extensions/x.kext"));
  CHECK(placement_match("/Library/*", "/Library/Extensions"));
  CHECK_FALSE(placement_match("kernelcache*|", "kernelcache.release/extra"));
  CHECK(placement_match("Restore*|*,Restore*", "Ap,RestoreTMU"));
  CHECK_FALSE(placement_match("WebKit", "webkit"));
  CHECK(placement_match("WebKit", "webkit", true));
  CHECK_FALSE(placement_match("WebKit", "WebKit2", true));

  size_t paths = 0, roles = 0, names = 0;
  for (const auto& r : placement_table()) {
    INFO(to_string(r.subject) << " " << r.pattern);
    CHECK(std::string(r.pattern).size() > 0);
    CHECK_FALSE(std::string(r.reason).empty());
    CHECK(r.inferred == (std::string(r.reason).rfind("inferred: ", 0) == 0));
    paths += r.subject == Subject::kPath;
    roles += r.subject == Subject::kImageRole;
    names += r.subject == Subject::kComponent;
  }
  CHECK(paths >= 30);
  CHECK(names >= 100);
  // Image roles say how an image is read; the table where it lives: one row each, nothing extra.
  CHECK(roles == build::image_roles().size());
  for (const auto& role : build::image_roles()) {
    INFO(role.name);
    const PlacementRow* row = find_placement(Subject::kImageRole, role.name);
    REQUIRE(row);
    CHECK(std::string(row->pattern) == role.name);
  }
  // Every root strip_cryptex_prefix removes is placed in its cryptex by the table.
  for (const char* root : {"/System/Volumes/Preboot/Cryptexes/", "/private/preboot/Cryptexes/", "/System/Cryptexes/",
                           "/Preboot/Cryptexes/"}) {
    for (auto [name, loc] : {std::pair{"OS", Location::kCryptexOs}, std::pair{"App", Location::kCryptexApp}}) {
      const std::string dir = std::string(root) + name;
      INFO(dir);
      CHECK(classify_path(dir + "/usr/lib/libz.dylib").location == loc);
      CHECK(classify_path(dir).location == loc);
      CHECK(strip_cryptex_prefix(dir + "/usr/lib/libz.dylib") == "/usr/lib/libz.dylib");
      CHECK(classify_path(dir + "X/usr/lib/libz.dylib").location != loc);
    }
  }
  // What update packages write beyond the installed OS: a recovery BaseSystem image is boot, a cryptex
  // image other than OS or App (Rosetta) is of unknown location, never an RSR-patchable cryptex.
  auto recovery = classify_path("/System/Volumes/Recovery/BaseSystem.dmg");
  CHECK(recovery.space == Space::kBoot);
  CHECK(recovery.location == Location::kUnknown);
  CHECK(recovery.rule == "recovery BaseSystem image (basesystem_patches/)");
  auto rosetta = classify_path("/System/Volumes/Preboot/<volume-group>/cryptex1/current/cryptex-rosetta.dmg");
  CHECK(rosetta.location == Location::kUnknown);
  CHECK(rosetta.kind == ComponentKind::kCryptexImage);
  CHECK(rosetta.rule == "cryptex image of a kind other than OS or App");
  CHECK(classify_path("/System/Volumes/Preboot/<volume-group>/cryptex1/current/os.dmg").location == Location::kCryptexOs);
  CHECK(classify_path("/usr/lib/libz.dylib").reason == "the sealed system volume, which an RSR cannot patch");
}

TEST_CASE("diff: added, removed, modified: bytes decide, classes explain", "[verdict][diff]") {
  auto a = inventory_of({comp(kLibc, "aa", "c1"), comp(kKernel, "k1"), comp("/usr/bin/gone", "g")});
  auto b = inventory_of({comp(kLibc, "ab", "c1"), comp(kKernel, "k2"), comp("/usr/bin/new", "n")});
  auto d = diff_builds(a, b);
  REQUIRE(d.changes.size() == 4);
  CHECK(d.changes[0].id == kKernel);
  CHECK(d.changes[0].kind == ChangeKind::kModified);
  REQUIRE(d.changes[0].evidence.size() == 1);
  CHECK(d.changes[0].evidence[0].field == "sha256");
  CHECK(d.changes[0].evidence[0].old_value == "k1");
  CHECK(d.changes[0].classes == std::vector<ChangeClass>{ChangeClass::kContent});
  CHECK(d.changes[1].id == "/usr/bin/gone");
  CHECK(d.changes[1].kind == ChangeKind::kRemoved);
  CHECK(d.changes[2].id == "/usr/bin/new");
  CHECK(d.changes[2].kind == ChangeKind::kAdded);
  // libSystem: the same code hash but other bytes. Byte truth: a change, of class relink (layout noise).
  CHECK(d.changes[3].id == kLibc);
  CHECK(d.changes[3].relink_only());
  CHECK(change_summary(d.changes[3]) == "relink only (layout noise: the same code and data at another layout)");

  auto c = inventory_of({comp(kLibc, "ac", "c2")});
  auto e = diff_builds(b, c);
  auto it = std::find_if(e.changes.begin(), e.changes.end(), [](const Change& ch) { return ch.id == kLibc; });
  REQUIRE(it != e.changes.end());
  CHECK(it->classes == std::vector<ChangeClass>{ChangeClass::kCode});

  // Facts name the class and what changed; equal content hashes are no change whatever else differs.
  Component f1 = comp(kLibc, "x", "c");
  f1.functions = {{"_a", "1"}, {"_b", "2"}};
  f1.symbols = {"_a", "_b"};
  f1.facts = {{"code/arm64 ", "c"}, {"data/arm64 __TEXT,__cstring", "s1 12"}, {"signature/arm64 entitlement k", "true"}};
  Component f2 = comp(kLibc, "y", "d");
  f2.functions = {{"_a", "1"}, {"_b", "3"}, {"_c", "4"}};
  f2.symbols = {"_a", "_c"};
  f2.facts = {{"code/arm64 ", "d"}, {"data/arm64 __TEXT,__cstring", "s2 12"}, {"signature/arm64 entitlement k", "false"},
              {"metadata/arm64 links /usr/lib/libz.1.dylib", "LC_LOAD_DYLIB current 1.2.12 compatibility 1.0.0"}};
  auto g = diff_builds(inventory_of({f1}), inventory_of({f2}));
  REQUIRE(g.changes.size() == 1);
  const Change& ch = g.changes[0];
  CHECK(ch.classes == std::vector<ChangeClass>{ChangeClass::kCode, ChangeClass::kData, ChangeClass::kSignature,
                                               ChangeClass::kMetadata});
  CHECK(ch.functions_changed == std::vector<std::string>{"_b"});
  CHECK(ch.functions_added == std::vector<std::string>{"_c"});
  CHECK(ch.symbols_added == std::vector<std::string>{"_c"});
  CHECK(ch.symbols_removed == std::vector<std::string>{"_b"});
  auto detail = [&](ChangeClass k, const std::string& what) {
    return std::find_if(ch.details.begin(), ch.details.end(),
                        [&](const ClassDetail& x) { return x.cls == k && x.what == what; }) != ch.details.end();
  };
  CHECK(detail(ChangeClass::kData, "__TEXT,__cstring"));
  CHECK(detail(ChangeClass::kSignature, "entitlement k"));
  CHECK(detail(ChangeClass::kMetadata, "links /usr/lib/libz.1.dylib"));
  Component same = f2;
  same.hashes["sha256"] = "x";  // the bytes of f1: nothing changed, whatever the facts say
  CHECK(diff_builds(inventory_of({f1}), inventory_of({same})).empty());
  CHECK(diff_builds(a, a).empty());
}

TEST_CASE("RSR verdict truth table", "[verdict]") {
  auto base = inventory_of({comp(kWebKit, "w1"), comp(kSafari, "s1"), comp(kKernel, "k1"), comp(kLibc, "l1"),
                     comp(kBootKc, "b1")});
  auto with = [&](std::vector<std::pair<const char*, const char*>> edits) {
    BuildInventory n = base;
    for (auto& c : n.components)
      for (auto& [path, sha] : edits)
        if (c.path == path) c.hashes["sha256"] = sha;
    return n;
  };
  // 13.3.1 (a): WebKit only (OS cryptex) -> yes
  auto webkit = decide_rsr(diff_builds(base, with({{kWebKit, "w2"}})));
  CHECK(webkit.rsr_eligible == Eligibility::kYes);
  CHECK(webkit.deciding == std::vector<std::string>{"/System/Library/Frameworks/WebKit.framework/WebKit"});
  CHECK(webkit.rule == "all 1 change lie in the OS or App cryptex, which an RSR can patch");
  // WebKit + Safari -> yes
  CHECK(decide_rsr(diff_builds(base, with({{kWebKit, "w2"}, {kSafari, "s2"}}))).rsr_eligible == Eligibility::kYes);
  // 13.3.1: kext/kernel + WebKit -> no
  auto kernel = decide_rsr(diff_builds(base, with({{kWebKit, "w2"}, {kBootKc, "b2"}})));
  CHECK(kernel.rsr_eligible == Eligibility::kNo);
  CHECK(kernel.deciding == std::vector<std::string>{kBootKc});
  CHECK(kernel.rule.rfind("kernel-space code changed", 0) == 0);
  // sealed system volume
  auto ssv = decide_rsr(diff_builds(base, with({{kLibc, "l2"}})));
  CHECK(ssv.rsr_eligible == Eligibility::kNo);
  CHECK(ssv.rule.rfind("files on the sealed system volume changed", 0) == 0);
  // nothing changed
  auto none = decide_rsr(diff_builds(base, base));
  CHECK(none.rsr_eligible == Eligibility::kNo);
  // something not analysed: never a silent yes ...
  auto partial = with({{kWebKit, "w2"}});
  partial.not_analysed.push_back({"/System/Cryptexes/OS/System/Library/dyld/dyld_shared_cache_arm64e.01",
                                  "subcache missing"});
  auto und = decide_rsr(diff_builds(base, partial));
  CHECK(und.rsr_eligible == Eligibility::kUndetermined);
  CHECK(und.deciding.back() == "/System/Cryptexes/OS/System/Library/dyld/dyld_shared_cache_arm64e.01");
  // ... but a kernel change decides "no" whatever was not analysed
  auto partial_kernel = with({{kKernel, "k2"}});
  partial_kernel.not_analysed.push_back({"x", "unreadable"});
  CHECK(decide_rsr(diff_builds(base, partial_kernel)).rsr_eligible == Eligibility::kNo);
  // a change whose location is unknown cannot be a yes
  auto odd = inventory_of({comp("/weird/place", "1")});
  CHECK(decide_rsr(diff_builds(inventory_of({}), odd)).rsr_eligible == Eligibility::kUndetermined);
}
