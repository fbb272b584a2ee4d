// The semantic plist readers (formats/manifest/) against the real plists of MANIFEST.md §10 (every
// value it gives), plists written by samples/gen/make_plists.py (Restore.plist, SystemVersion, an app,
// fields of unexpected types), and `upscope inspect` showing the facts first, the tree with --all.
#include <nlohmann/json.hpp>

#include "manifest/build_manifest.hpp"
#include "manifest/bundle_info.hpp"
#include "manifest/ota_info.hpp"
#include "manifest/restore_plist.hpp"
#include "manifest/semantic.hpp"
#include "manifest/system_version.hpp"
#include "manifest/zip_metadata.hpp"
#include "test_support.hpp"

using namespace upscope;
using namespace upscope::test;
namespace fs = std::filesystem;

namespace {

fs::path generated() {
  static const fs::path dir = [] {
    fs::path d = scratch_dir("manifest");
    auto r = run_shell("python3 " + shell_quote((source_dir() / "samples/gen/make_plists.py").string()) + " " +
                       shell_quote(d.string()) + " 2>&1");
    REQUIRE(r.exit_code == 0);
    return d;
  }();
  return dir;
}

plist::Value root_of(const fs::path& p) {
  const auto bytes = read_bytes(p);
  auto doc = plist::read(Bytes(bytes), p.filename().string());
  REQUIRE(doc);
  return std::move(doc->root);
}

std::vector<std::string> keys_of(const manifest::BuildIdentity& id) {
  std::vector<std::string> k;
  for (const auto& e : id.entries) k.push_back(e.key);
  return k;
}

}  // namespace

TEST_CASE("BuildManifest: the real vma2macosap manifest of 26.2, its AEA-encrypted OS cryptex", "[plist][samples]") {
  UPSCOPE_REQUIRE_SAMPLE(path, "real/ota-26.2/BuildManifest-25C56-vma2macosap.plist");
  const auto bytes = read_bytes(path);
  auto m = manifest::read_build_manifest(Bytes(bytes));
  REQUIRE(m);
  CHECK(m->diagnostics.empty());
  CHECK(m->product_version == "26.2");
  CHECK(m->product_build_version == "25C56");
  CHECK(m->manifest_version == 0);
  REQUIRE(m->identities.size() == 2);
  const auto& id = m->identities[0];
  CHECK(id.device_class == "vma2macosap");
  CHECK(id.variant == "macOS Customer Software Update");
  CHECK(id.restore_behavior == "Update");
  CHECK(m->identities[1].device_class == "vma2macosap");
  CHECK(m->identities[1].variant == "Customer Software Update");
  auto path_of = [&](const char* key) {
    const auto* e = id.find(key);
    return e ? e->path : std::string("(absent)");
  };
  CHECK(path_of("Cryptex1,SystemOS") == "043-90204-068.dmg.aea");
  CHECK(path_of("Cryptex1,AppOS") == "043-90248-070.dmg");
  CHECK(path_of("Cryptex1,SystemTrustCache") == "Firmware/043-90204-068.dmg.aea.trustcache");
  CHECK(path_of("Cryptex1,AppTrustCache") == "Firmware/043-90248-070.dmg.trustcache");
  CHECK(path_of("Cryptex1,SystemVolume") == "Firmware/043-90204-068.dmg.aea.root_hash");
  CHECK(path_of("Cryptex1,AppVolume") == "Firmware/043-90248-070.dmg.root_hash");
  CHECK(path_of("KernelCache") == "kernelcache.release.vma2");
  CHECK(id.find("Cryptex1,SystemOS")->aea);
  CHECK(id.find("Cryptex1,SystemOS")->cryptex);
  CHECK_FALSE(id.find("Cryptex1,SystemTrustCache")->aea);  // named after the image, not encrypted itself
  CHECK_FALSE(id.find("KernelCache")->cryptex);
  REQUIRE(id.cryptexes.size() == 2);
  CHECK(id.cryptexes[0].name == "App");  // document order: Cryptex1,AppOS comes first
  CHECK_FALSE(id.cryptexes[0].encrypted);
  CHECK(id.cryptexes[1].name == "System");
  CHECK(id.cryptexes[1].image == "043-90204-068.dmg.aea");
  CHECK(id.cryptexes[1].trust_cache == "Firmware/043-90204-068.dmg.aea.trustcache");
  CHECK(id.cryptexes[1].volume == "Firmware/043-90204-068.dmg.aea.root_hash");
  CHECK(id.cryptexes[1].encrypted);
  CHECK(id.entries.size() == 22);
  CHECK(m->identities[1].cryptexes.empty());  // the second identity names no cryptex
}

TEST_CASE("BuildManifest: the real x86legacyap manifest: 3 identities, an unencrypted OS cryptex", "[plist][samples]") {
  UPSCOPE_REQUIRE_SAMPLE(path, "real/ota-26.2/BuildManifest-25C56-x86legacyap-Mac-27AD2F918AE68F61.plist");
  const auto bytes = read_bytes(path);
  auto m = manifest::read_build_manifest(Bytes(bytes));
  REQUIRE(m);
  REQUIRE(m->identities.size() == 3);
  const char* variants[] = {"CustomerInstall", "CustomerFirmwareUpdate", "RecoveryBoot"};
  for (size_t i = 0; i < 3; ++i) {
    INFO("identity " << i);
    const auto& id = m->identities[i];
    CHECK(id.device_class == "x86legacyap");
    CHECK(id.variant == variants[i]);
    CHECK(id.restore_behavior == "Erase");
    REQUIRE(id.find("Cryptex1,SystemOS"));
    CHECK(id.find("Cryptex1,SystemOS")->path == "043-90276-068.dmg");
    CHECK_FALSE(id.find("Cryptex1,SystemOS")->aea);
    CHECK(id.find("Cryptex1,AppOS")->path == "043-90248-070.dmg");
    REQUIRE(id.cryptexes.size() == 2);
    for (const auto& c : id.cryptexes) CHECK_FALSE(c.encrypted);
  }
  CHECK(m->identities[0].find("x86,MacKernelCache")->path == "System/Library/KernelCollections/BootKernelExtensions.kc");
  CHECK(keys_of(m->identities[2]).back() == "x86,MacKernelCache");
}

TEST_CASE("BuildManifest: the real Bootability manifest", "[plist][samples]") {
  UPSCOPE_REQUIRE_SAMPLE(path, "real/ota-26.2/Bootability-BuildManifest.plist");
  const plist::Value root = root_of(path);
  CHECK(manifest::detect(root) == manifest::Kind::kBuildManifest);
  auto m = manifest::read_build_manifest(root);
  REQUIRE(m);
  CHECK(m->product_build_version == "25C56");
  CHECK(m->supported_product_types == std::vector<std::string>{"iSim1,1"});
  REQUIRE(m->identities.size() == 1);
  CHECK(m->identities[0].device_class == "bootabilityap");
  CHECK(m->identities[0].variant == "Bootability");
  CHECK(m->identities[0].restore_behavior.empty());
  REQUIRE(m->identities[0].entries.size() == 1);
  CHECK(m->identities[0].entries[0].key == "Ap,BootabilityBrainTrustCache");
  CHECK(m->identities[0].entries[0].path == "Firmware/Bootability.dmg.trustcache");
}

TEST_CASE("OTA Info.plist and ZipMetadata: the real ones of macOS 26.2", "[plist][samples]") {
  UPSCOPE_REQUIRE_SAMPLE(info_path, "real/ota-26.2/Info.plist");
  UPSCOPE_REQUIRE_SAMPLE(zip_path, "real/ota-26.2/ZipMetadata.plist");
  const plist::Value info_root = root_of(info_path);
  CHECK(manifest::detect(info_root) == manifest::Kind::kOtaInfo);
  auto info = manifest::read_ota_info(info_root);
  REQUIRE(info);
  CHECK(info->build == "25C56");
  CHECK(info->product_version == "26.2");
  CHECK(info->product_type == "MacPro7,1");
  CHECK(info->hardware_model == "J160AP");
  CHECK(info->device_class == "MacPro");
  CHECK(info->contains_sfr_content == true);
  REQUIRE(info->cryptex_sizes.size() == 3);
  CHECK(info->cryptex_sizes[0].tag == "cryptex-app");
  CHECK(info->cryptex_sizes[0].size_mb == 50);
  CHECK(info->cryptex_sizes[1].tag == "cryptex-system-x86_64");
  CHECK(info->cryptex_sizes[1].size_mb == 2274);
  CHECK(info->cryptex_sizes[2].tag == "cryptex-system-arm64e");
  CHECK(info->cryptex_sizes[2].size_mb == 6340);

  const auto bytes = read_bytes(zip_path);
  auto doc = plist::read(Bytes(bytes), "ZipMetadata.plist");
  REQUIRE(doc);
  CHECK(doc->encoding == plist::Encoding::kBinary);
  CHECK(manifest::detect(doc->root) == manifest::Kind::kZipMetadata);
  auto z = manifest::read_zip_metadata(Bytes(bytes));
  REQUIRE(z);
  CHECK(z->record_count == 2712);
  CHECK(z->total_uncompressed_bytes == 17993721663LL);
  CHECK(z->standard_file_perms == -32348);  // a negative 8-byte integer, as plistlib reads it
  CHECK(manifest::to_text(*z).find("StandardFilePerms -32348 (mode 100644)") != std::string::npos);
}

TEST_CASE("bundle Info.plist: the real AppleUSBCDC kext", "[plist][samples]") {
  UPSCOPE_REQUIRE_SAMPLE(path, "real/kexts/AppleUSBCDC.kext/Contents/Info.plist");
  const auto bytes = read_bytes(path);
  auto b = manifest::read_bundle_info(Bytes(bytes));
  REQUIRE(b);
  CHECK(b->identifier == "com.apple.driver.usb.cdc");
  CHECK(b->version == "5.0.0");
  CHECK(b->short_version == "5.0.0");
  CHECK(b->kext);
  CHECK(b->package_type == "KEXT");
  CHECK(b->os_bundle_required == "Root");
  CHECK(b->personalities == 4);
  REQUIRE(b->libraries.size() == 7);
  CHECK(b->libraries[0] == std::pair<std::string, std::string>{"com.apple.driver.usb.AppleUSBHostCompositeDevice", "1.0"});
  CHECK(b->libraries[6] == std::pair<std::string, std::string>{"com.apple.kpi.mach", "14.0.0"});
}

TEST_CASE("Restore.plist, SystemVersion and an app's Info.plist, XML and binary", "[plist]") {
  for (const char* name : {"Restore.plist", "Restore.bplist"}) {
    INFO(name);
    const plist::Value root = root_of(generated() / name);
    CHECK(manifest::detect(root) == manifest::Kind::kRestorePlist);
    auto r = manifest::read_restore_plist(root);
    REQUIRE(r);
    CHECK(r->product_version == "13.3.1");
    CHECK(r->product_build_version == "22E261");
    CHECK(r->product_type == "Mac14,6");
    CHECK(r->device_class == "j414cap");
    CHECK(r->supported_product_types == std::vector<std::string>{"Mac14,6", "Mac14,10"});
    REQUIRE(r->device_map.size() == 2);
    CHECK(r->device_map[1].board_config == "j416cap");
    CHECK(r->device_map[1].bdid == 0x2A);
    CHECK(r->device_map[1].cpid == 0x6020);
    CHECK(r->system_restore_images == manifest::RestorePlist::Pairs{{"090-10001-001.dmg", "APFS"}});
    CHECK(r->restore_ramdisks == manifest::RestorePlist::Pairs{{"Update", "090-10008-001.dmg"}, {"User", "090-10009-001.dmg"}});
    CHECK(r->restore_kernel_caches == manifest::RestorePlist::Pairs{{"Release", "kernelcache.release.mac14g"}});
  }
  for (const char* name : {"SystemVersion.plist", "SystemVersion.bplist"}) {
    INFO(name);
    const plist::Value root = root_of(generated() / name);
    CHECK(manifest::detect(root) == manifest::Kind::kSystemVersion);
    auto s = manifest::read_system_version(root);
    REQUIRE(s);
    CHECK(s->product_name == "macOS");
    CHECK(s->product_version == "13.3.1");
    CHECK(s->product_version_extra == "(a)");
    CHECK(s->product_build_version == "22E772610a");
    CHECK(manifest::to_text(*s).rfind("  SystemVersion: macOS 13.3.1 (a) (22E772610a)\n", 0) == 0);
  }
  const plist::Value app = root_of(generated() / "App-Info.plist");
  CHECK(manifest::detect(app) == manifest::Kind::kBundleInfo);
  auto b = manifest::read_bundle_info(app);
  REQUIRE(b);
  CHECK(b->identifier == "com.apple.calculator");
  CHECK_FALSE(b->kext);
  CHECK(b->libraries.empty());
  // a plist none of the readers knows
  CHECK_FALSE(manifest::detect(root_of(generated() / "types.plist")));
}

TEST_CASE("semantic readers: fields of unexpected types are warnings naming the field, no BuildIdentities array is an error",
          "[plist][malformed]") {
  auto m = manifest::read_build_manifest(root_of(generated() / "odd-types.plist"), "odd-types.plist");
  REQUIRE(m);
  std::vector<std::string> got;
  for (const auto& d : m->diagnostics.items()) got.push_back(d.text());
  CHECK(got == std::vector<std::string>{
                   "odd-types.plist: SupportedProductTypes[1] is an integer, not a string",
                   "odd-types.plist: BuildIdentities[0].Info.DeviceClass is an integer, not a string",
                   "odd-types.plist: BuildIdentities[0].Manifest.OS is a string, not a dict",
                   "odd-types.plist: BuildIdentities[0].Manifest.Cryptex1,SystemOS.Info.Path is an array, not a string",
                   "odd-types.plist: BuildIdentities[1] is a string, not a dict",
               });
  REQUIRE(m->identities.size() == 1);
  CHECK(m->identities[0].entries.size() == 3);  // kept, with the paths that could be read
  CHECK(m->identities[0].find("KernelCache")->path == "kernelcache.release.mac14g");
  CHECK(m->identities[0].find("OS")->path.empty());

  auto none = manifest::read_build_manifest(root_of(generated() / "no-identities.plist"), "no-identities.plist");
  REQUIRE_FALSE(none);
  CHECK(none.error().message() == "no-identities.plist: BuildIdentities is a dict, not an array");
  plist::Value array;
  array.type = plist::Type::kArray;
  auto not_dict = manifest::read_bundle_info(array, "Info.plist");
  REQUIRE_FALSE(not_dict);
  CHECK(not_dict.error().message() == "Info.plist: the root is an array, not a dictionary");
  plist::Value empty;
  auto missing = manifest::read_build_manifest(empty, "BuildManifest.plist");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message() == "BuildManifest.plist: no BuildIdentities array: not a build manifest");
}

TEST_CASE("upscope inspect: a plist's facts first, the tree with --all, both in JSON", "[plist][cli][samples]") {
  UPSCOPE_REQUIRE_SAMPLE(bm, "real/ota-26.2/BuildManifest-25C56-vma2macosap.plist");
  UPSCOPE_REQUIRE_SAMPLE(kext, "real/kexts/AppleUSBCDC.kext/Contents/Info.plist");
  UPSCOPE_REQUIRE_SAMPLE(info, "real/ota-26.2/Info.plist");
  UPSCOPE_REQUIRE_SAMPLE(zip, "real/ota-26.2/ZipMetadata.plist");
  auto r = run_upscope({"inspect", bm.string()});
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("  BuildManifest: ProductVersion 26.2, ProductBuildVersion 25C56, 2 build identities\n") !=
        std::string::npos);
  CHECK(r.out.find("  identity 0: DeviceClass vma2macosap, Variant \"macOS Customer Software Update\", "
                   "RestoreBehavior Update\n    cryptex App: 043-90248-070.dmg\n"
                   "    cryptex System: 043-90204-068.dmg.aea (AEA-encrypted)\n") != std::string::npos);
  CHECK(r.out.find("      Cryptex1,SystemOS                 043-90204-068.dmg.aea  (AEA)\n") != std::string::npos);
  CHECK(r.out.find("  (the whole tree: --all)\n") != std::string::npos);
  CHECK(r.out.find("\"BuildIdentities\" =>") == std::string::npos);
  auto all = run_upscope({"inspect", "--all", bm.string()});
  REQUIRE(all.exit_code == 0);
  CHECK(all.out.find("  BuildManifest: ProductVersion 26.2") < all.out.find("    \"BuildIdentities\" => [\n"));
  CHECK(all.out.find("\"Digest\" => {length = 48, bytes = 0x") != std::string::npos);

  auto k = run_upscope({"inspect", kext.string(), info.string(), zip.string()});
  REQUIRE(k.exit_code == 0);
  CHECK(k.out.find("  bundle (kext): com.apple.driver.usb.cdc version 5.0.0 (short 5.0.0)\n") != std::string::npos);
  CHECK(k.out.find("  OSBundleLibraries (7):\n    com.apple.driver.usb.AppleUSBHostCompositeDevice  1.0\n") !=
        std::string::npos);
  CHECK(k.out.find("  OTA Info.plist: Build 25C56, ProductVersion 26.2, ProductType MacPro7,1, HardwareModel J160AP, "
                   "DeviceClass MacPro\n") != std::string::npos);
  CHECK(k.out.find("    cryptex-system-arm64e  6340\n") != std::string::npos);
  CHECK(k.out.find("  zip metadata: RecordCount 2712, TotalUncompressedBytes 17993721663, Version 2\n") !=
        std::string::npos);

  auto j = run_upscope({"inspect", "--json", bm.string(), kext.string(), zip.string()});
  REQUIRE(j.exit_code == 0);
  auto doc = nlohmann::json::parse(j.out);
  const auto& m = doc["inputs"][0]["report"];
  CHECK(m["kind"] == "build-manifest");
  CHECK(m["facts"]["build_identities"][0]["cryptexes"][1] ==
        nlohmann::json({{"name", "System"}, {"image", "043-90204-068.dmg.aea"},
                        {"trust_cache", "Firmware/043-90204-068.dmg.aea.trustcache"},
                        {"volume", "Firmware/043-90204-068.dmg.aea.root_hash"}, {"encrypted", true}}));
  CHECK(m["tree"]["ProductBuildVersion"] == "25C56");
  CHECK(m["tree"]["BuildIdentities"][0]["Manifest"]["KernelCache"]["Digest"]["$type"] == "data");
  CHECK(doc["inputs"][1]["report"]["facts"]["libraries"].size() == 7);
  CHECK(doc["inputs"][2]["report"]["facts"]["record_count"] == 2712);
  CHECK(doc["inputs"][2]["report"]["encoding"] == "binary");
}

TEST_CASE("upscope inspect: a plist with fields of unexpected types reports them on stderr", "[plist][cli]") {
  const fs::path odd = generated() / "odd-types.plist";
  auto r = run_upscope({"inspect", odd.string()});
  CHECK(r.exit_code == 0);
  CHECK(r.err.find(odd.string() + ": warning: property list: BuildIdentities[1] is a string, not a dict") !=
        std::string::npos);
  auto strict = run_upscope({"--strict", "inspect", odd.string()});
  CHECK(strict.exit_code == 2);
}
