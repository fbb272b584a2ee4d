// Kext bundles on a file system (libinspect/analysis/src/kext_bundles.hpp): named by CFBundleIdentifier like
// their kernel-collection entries, one component when a kext is in both. On the real AppleUSBCDC.kext
// (MANIFEST.md §10) and a Boot KC made by make_kc.py holding the same bundle id.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "test_support.hpp"

using namespace upscope::test;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const json* find(const json& comps, const std::string& id) {
  for (const auto& c : comps)
    if (c["id"] == id) return &c;
  return nullptr;
}

json inventory(const fs::path& root) {
  auto r = run_upscope({"inventory", "--json", root.string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  return json::parse(r.out)["build"];
}

}  // namespace

TEST_CASE("a kext bundle is one component named by its bundle id, with each slice's UUID", "[kext][samples]") {
  UPSCOPE_REQUIRE_SAMPLE(kext, "real/kexts/AppleUSBCDC.kext");
  for (const fs::path& root : {kext, kext.parent_path()}) {
    INFO(root.string());
    auto inv = inventory(root);
    const json* c = find(inv["components"], "com.apple.driver.usb.cdc");
    REQUIRE(c);
    CHECK((*c)["kind"] == "kext");
    CHECK((*c)["space"] == "kernel");
    CHECK((*c)["version"] == "5.0.0");
    CHECK((*c)["uuid"] == "x86_64:AE46072F-2246-32F4-AA26-F4EB9473C31A arm64e:F170C1C6-467D-3BB3-BB4A-39B9943EA065");
    CHECK((*c)["path"].get<std::string>().size() > std::string("/Contents/MacOS/AppleUSBCDC").size() - 1);
  }
}

TEST_CASE("a kext in a kernel collection and on the system volume is one component, either copy changing is a change",
          "[kext][kc][samples]") {
  UPSCOPE_REQUIRE_SAMPLE(kext, "real/kexts/AppleUSBCDC.kext");
  auto dir = scratch_dir("kext-both");
  const std::string bundle = "System/Library/Extensions/AppleUSBCDC.kext";
  for (const char* side : {"a", "b"}) {
    fs::create_directories(dir / side / bundle);
    fs::copy(kext, dir / side / bundle, fs::copy_options::recursive);
    const fs::path kc = dir / side / "System/Library/KernelCollections/BootKernelExtensions.kc";
    fs::create_directories(kc.parent_path());
    auto r = run_writer("make_kc.py", "--single " + shell_quote(kc.string()) + " --kext-ids com.apple.driver.usb.cdc");
    INFO(r.out);
    REQUIRE(r.exit_code == 0);
  }
  auto inv = inventory(dir / "a");
  const json* c = find(inv["components"], "com.apple.driver.usb.cdc");
  REQUIRE(c);
  CHECK((*c)["location"] == "boot-kc");  // the entry is what loads
  REQUIRE((*c)["also_at"].size() == 1);
  CHECK((*c)["also_at"][0]["location"] == "system-volume");
  CHECK((*c)["also_at"][0]["path"] == "/" + bundle + "/Contents/MacOS/AppleUSBCDC");
  CHECK((*c)["also_at"][0]["sha256"].get<std::string>().rfind("9cd78a4710010025", 0) == 0);  // MANIFEST §10
  for (const auto& x : inv["components"]) CHECK(x["id"] != "com.apple.driver.usb.cdc#2");

  // One byte of the bundle's executable on the system volume: the kext changed, kernel space.
  const fs::path exe = dir / "b" / bundle / "Contents/MacOS/AppleUSBCDC";
  auto bytes = read_bytes(exe);
  bytes[bytes.size() / 2] ^= 0xFF;
  write_bytes(exe, bytes);
  auto d = run_upscope({"diff", "--json", (dir / "a").string(), (dir / "b").string()});
  REQUIRE(d.exit_code == 1);
  auto dj = json::parse(d.out);
  const json* ch = nullptr;
  for (const auto& x : dj["diff"]["changes"])
    if (x["id"] == "com.apple.driver.usb.cdc") ch = &x;
  REQUIRE(ch);
  bool evidence = false;
  for (const auto& e : (*ch)["evidence"])
    evidence |= e["field"] == "sha256 /" + bundle + "/Contents/MacOS/AppleUSBCDC";
  CHECK(evidence);
  CHECK(!(*ch)["classes"].empty());
  auto v = run_upscope({"verdict", "--json", (dir / "a").string(), (dir / "b").string()});
  CHECK(v.exit_code == 1);
  CHECK(json::parse(v.out)["verdict"]["rsr_eligible"] == "no");
}
