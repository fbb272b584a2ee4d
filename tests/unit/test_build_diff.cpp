// inventory / diff / verdict end to end on system trees assembled from real Mach-O samples.
#include <catch2/catch.hpp>

#include <map>

#include <nlohmann/json.hpp>

#include "test_support.hpp"

using namespace upscope::test;
namespace fs = std::filesystem;

namespace {

const char* kWebKit = "System/Cryptexes/OS/System/Library/Frameworks/WebKit.framework/WebKit";
const char* kSafari = "System/Cryptexes/App/System/Applications/Safari.app/Contents/MacOS/Safari";
const char* kKernel = "System/Library/Kernels/kernel";
const char* kLib = "usr/lib/libhello.dylib";

void put(const fs::path& root, const std::string& rel, const fs::path& from) {
  fs::create_directories((root / rel).parent_path());
  fs::copy_file(from, root / rel, fs::copy_options::overwrite_existing);
}

void put_text(const fs::path& root, const std::string& rel, const std::string& text) {
  fs::create_directories((root / rel).parent_path());
  write_bytes(root / rel, std::vector<uint8_t>(text.begin(), text.end()));
}

std::string system_version(const std::string& version, const std::string& build, const std::string& extra = "") {
  std::string s =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plist version=\"1.0\"><dict>"
      "<key>ProductName</key><string>macOS</string><key>ProductVersion</key><string>" + version +
      "</string><key>ProductBuildVersion</key><string>" + build + "</string>";
  if (!extra.empty()) s += "<key>ProductVersionExtra</key><string>" + extra + "</string>";
  return s + "</dict></plist>\n";
}

}  // namespace

TEST_CASE("verdict on assembled builds: cryptex-only, kernel, system volume, nothing", "[verdict][cli][samples]") {
  UPSCOPE_REQUIRE_SAMPLE(r2, "r2");
  auto dir = scratch_dir("build-diff");
  const fs::path a = dir / "13.3.1", rsr = dir / "13.3.1a", kern = dir / "13.4", ssv = dir / "ssv";
  put(a, kWebKit, r2 / "TestMacOS-arm64e");
  put(a, kSafari, r2 / "hello-macos-arm64-chained");
  put(a, kKernel, r2 / "xnu-kernelcache-oobread");
  put(a, kLib, r2 / "cat-macos-arm64");
  put_text(a, "System/Library/CoreServices/SystemVersion.plist", system_version("13.3.1", "22E261"));
  fs::copy(a, rsr, fs::copy_options::recursive);
  put(rsr, kWebKit, r2 / "TestRTTI-arm64e");
  put_text(rsr, "System/Cryptexes/OS/System/Library/CoreServices/SystemVersion.plist",
           system_version("13.3.1", "22E772610a", "(a)"));
  fs::copy(rsr, kern, fs::copy_options::recursive);
  put(kern, kKernel, r2 / "TestMacOS-arm64e");
  fs::copy(a, ssv, fs::copy_options::recursive);
  put_text(ssv, "usr/share/new.txt", "new file on the sealed volume\n");

  auto inv = run_upscope({"inventory", "--json", a.string()});
  REQUIRE(inv.exit_code == 0);
  auto j = nlohmann::json::parse(inv.out);
  CHECK(j["build"]["version"] == "13.3.1");
  CHECK(j["build"]["build"] == "22E261");
  std::map<std::string, nlohmann::json> by_id;
  for (auto& c : j["build"]["components"]) by_id[c["id"]] = c;
  REQUIRE(by_id.count("/System/Library/Frameworks/WebKit.framework/WebKit"));
  auto webkit = by_id["/System/Library/Frameworks/WebKit.framework/WebKit"];
  CHECK(webkit["location"] == "cryptex-os");
  CHECK(webkit["space"] == "user");
  CHECK(webkit["uuid"] == "095E5185-362C-3D5F-AA4E-665792B2356D");
  CHECK(by_id["/System/Applications/Safari.app/Contents/MacOS/Safari"]["location"] == "cryptex-app");
  CHECK(by_id.count("/System/Library/CoreServices/SystemVersion.plist") == 1);
  CHECK(by_id["/System/Library/Kernels/kernel"]["space"] == "kernel");
  CHECK(by_id["/System/Library/Kernels/kernel"]["kind"] == "kernel");
  CHECK(by_id["/usr/lib/libhello.dylib"]["location"] == "system-volume");
  CHECK(by_id["/usr/lib/libhello.dylib"]["uuid"].get<std::string>().rfind("x86_64:", 0) == 0);

  auto yes = run_upscope({"verdict", a.string(), rsr.string()});
  CHECK(yes.exit_code == 0);
  CHECK(yes.out.find("RSR-eligible: yes") != std::string::npos);
  CHECK(yes.out.find("macOS 13.3.1 (a) (22E772610a)") != std::string::npos);
  auto yes_json = nlohmann::json::parse(run_upscope({"verdict", "--json", a.string(), rsr.string()}).out);
  CHECK(yes_json["verdict"]["rsr_eligible"] == "yes");
  REQUIRE(yes_json["diff"]["changes"].size() == 2);  // WebKit, and the cryptex's SystemVersion.plist

  auto no = run_upscope({"verdict", "--json", a.string(), kern.string()});
  CHECK(no.exit_code == 1);
  auto nj = nlohmann::json::parse(no.out);
  CHECK(nj["verdict"]["rsr_eligible"] == "no");
  CHECK(nj["verdict"]["deciding"] == nlohmann::json::array({"/System/Library/Kernels/kernel"}));

  auto sealed = run_upscope({"verdict", a.string(), ssv.string()});
  CHECK(sealed.exit_code == 1);
  CHECK(sealed.out.find("files on the sealed system volume changed") != std::string::npos);

  auto same = run_upscope({"diff", a.string(), a.string()});
  CHECK(same.exit_code == 0);
  CHECK(same.out.find(": 0 changes") != std::string::npos);
  auto d = run_upscope({"diff", "--json", a.string(), kern.string()});
  CHECK(d.exit_code == 1);
  auto dj = nlohmann::json::parse(d.out);
  CHECK(dj["diff"]["summary"]["kernel_space"] == 1);

  CHECK(run_upscope({"verdict", a.string(), (dir / "missing").string()}).exit_code == 2);
}

TEST_CASE("an unreadable Mach-O is not analysed, so the verdict is undetermined", "[verdict][cli]") {
  auto dir = scratch_dir("build-undetermined");
  const fs::path a = dir / "a", b = dir / "b";
  put_text(a, "System/Cryptexes/OS/usr/lib/libx.dylib", "v1");
  fs::copy(a, b, fs::copy_options::recursive);
  put_text(b, "System/Cryptexes/OS/usr/lib/libx.dylib", "v2");
  CHECK(run_upscope({"verdict", a.string(), b.string()}).exit_code == 0);
  // A Mach-O whose header is cut short cannot be analysed: never a silent yes.
  std::vector<uint8_t> broken = {0xCF, 0xFA, 0xED, 0xFE, 0x0C, 0x00, 0x00, 0x01, 0, 0, 0, 0};
  fs::create_directories(b / "System/Cryptexes/OS/usr/lib");
  write_bytes(b / "System/Cryptexes/OS/usr/lib/libbroken.dylib", broken);
  auto r = run_upscope({"verdict", "--json", a.string(), b.string()});
  CHECK(r.exit_code == 3);
  auto j = nlohmann::json::parse(r.out);
  CHECK(j["verdict"]["rsr_eligible"] == "undetermined");
  CHECK(j["diff"]["not_analysed"][0]["path"] == "/System/Cryptexes/OS/usr/lib/libbroken.dylib");
}
