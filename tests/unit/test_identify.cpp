// identify on every real sample (MANIFEST.md) and on hostile odds and ends.
#include <catch2/catch.hpp>

#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <string>

using namespace std::string_literals;

#include "identify/identify.hpp"
#include "inspect/source.hpp"
#include "test_support.hpp"

using namespace upscope;
namespace fs = std::filesystem;

namespace {

Identification identify_path(const fs::path& p) {
  auto src = FileSource::open(p.string());
  REQUIRE(src);
  auto id = identify(**src);
  REQUIRE(id);
  return *id;
}

Identification identify_bytes(std::vector<uint8_t> data) {
  MemorySource src(std::move(data), "mem");
  auto id = identify(src);
  REQUIRE(id);
  return *id;
}

// Expected format of every file under ../shared/samples (MANIFEST.md §1-§10).
const std::map<std::string, std::string> kExpected = {
    {"MANIFEST.md", "unknown"},
    {"bxdiff50_sharingd.patch", "bxdiff50"},
    {"dfvfs_apfs.raw", "apfs"},
    {"dfvfs_hfsplus_zlib.dmg", "udif"},
    {"imhex_dmg.hexpat.dmg", "udif"},
    {"jb_license.dmg", "udif"},
    {"jb_test-encrypted-aes256.dmg", "udif-encrypted"},
    {"jb_test-readonly.dmg", "udif"},
    {"jb_test-signed.dmg", "udif"},
    {"jb_test.dmg", "udif"},
    {"lzfse/apfs.lzfse", "lzfse"},
    {"lzfse/random.lzfse", "lzfse"},
    {"lzfse/small.lzfse", "lzfse"},
    {"lzfse/text.lzfse", "lzfse"},
    {"pyimg4_IM4M", "im4m"},
    {"pyimg4_IM4P", "im4p"},
    {"pyimg4_IM4R", "im4r"},
    {"pyimg4_IMG4", "img4"},
    {"r2/TestMacOS-arm64e", "macho"},
    {"r2/TestRTTI-arm64e", "macho"},
    {"r2/apfs.img", "gpt"},
    {"r2/cat-macos-arm64", "macho-fat"},
    {"r2/crash-macho", "macho"},
    {"r2/dyld_shared_cache_arm64-macOS", "dyld-cache"},
    {"r2/dyldcache_read4", "unknown"},  // "dyld_stu...": a fuzzer's mangled magic, not dyld_v1
    {"r2/dyldcache_read8", "unknown"},  // 4 bytes "dyld"
    {"r2/hello-macos-arm64-chained", "macho"},
    {"r2/macho-negativesymcount", "macho"},
    {"r2/src-aes-256.dmg", "udif-encrypted"},
    {"r2/src-compressed.dmg", "udif"},
    {"r2/src-ro.dmg", "udif"},
    {"r2/src.dmg", "udif"},
    {"r2/xnu-kernelcache-oobread", "macho"},
    // §10: Apple-made files of a real macOS 26.2 update, real kexts, a real AEA, advisory pages.
    {"real/advisories-md/120889.md", "advisory"},
    {"real/advisories-md/126604.md", "advisory"},
    {"real/advisories-md/HT213758.md", "advisory"},
    {"real/advisories-md/HT213823.md", "advisory"},
    {"real/advisories-md/HT213825.md", "advisory"},
    {"real/aea/contactVerificationTest.shortcut", "aea"},
    {"real/kexts/AppleUSBCDC.kext/Contents/Info.plist", "plist-xml"},
    {"real/kexts/AppleUSBCDC.kext/Contents/MacOS/AppleUSBCDC", "macho-fat"},
    {"real/kexts/AppleUSBCDC.kext/Contents/_CodeSignature/CodeResources", "plist-xml"},
    {"real/kexts/AppleUSBCDC.kext/Contents/version.plist", "plist-xml"},
    {"real/kexts/nfrestore_service", "macho-fat"},
    {"real/ota-26.2/AppleDiagnostics.chunklist", "chunklist"},
    {"real/ota-26.2/AppleDiagnostics.dmg", "udif"},
    {"real/ota-26.2/BaseSystem.chunklist", "chunklist"},
    {"real/ota-26.2/Bootability-BuildManifest.plist", "plist-xml"},
    {"real/ota-26.2/Bootability.dmg.trustcache", "img4"},
    {"real/ota-26.2/BuildManifest-25C56-vma2macosap.plist", "plist-xml"},
    {"real/ota-26.2/BuildManifest-25C56-x86legacyap-Mac-27AD2F918AE68F61.plist", "plist-xml"},
    {"real/ota-26.2/Info.plist", "plist-xml"},
    {"real/ota-26.2/ZipMetadata.plist", "plist-binary"},
    {"real/ota-26.2/payload.bom", "bom"},
    {"real/ota-26.2/pre.bom", "bom"},
    {"sr_apfs_content.bin", "apfs"},
    {"sr_apfs_fstree.bin", "apfs"},
    {"sr_apfs_nxsb_head.bin", "apfs"},
};

}  // namespace

TEST_CASE("identify names every real sample as MANIFEST.md says", "[identify][samples]") {
  auto dir = test::samples_dir();
  if (!dir) {
    WARN("SKIPPED: UPSCOPE_SAMPLES is not set; identify is not checked against the real samples");
    return;
  }
  size_t seen = 0;
  for (const auto& e : fs::recursive_directory_iterator(*dir)) {
    if (!e.is_regular_file()) continue;
    std::string rel = fs::relative(e.path(), *dir).generic_string();
    INFO("sample " << rel);
    auto it = kExpected.find(rel);
    REQUIRE(it != kExpected.end());  // a new sample needs an expectation here
    CHECK(identify_path(e.path()).format == it->second);
    ++seen;
  }
  CHECK(seen == kExpected.size());
}

TEST_CASE("identify reads the facts MANIFEST.md gives", "[identify][samples]") {
  UPSCOPE_REQUIRE_SAMPLE(signed_dmg, "jb_test-signed.dmg");
  auto s = identify_path(signed_dmg);
  CHECK(s.details["code_signature_offset"] == 0x446b);
  CHECK(s.details["code_signature_length"] == 0x14dc);
  CHECK(s.details["version"] == 4);

  auto hfs = identify_path(signed_dmg.parent_path() / "dfvfs_hfsplus_zlib.dmg");
  CHECK(hfs.details["sector_count"] == 3817);
  CHECK(hfs.details["xml_offset"] == 0x2ED0);
  CHECK(hfs.details["xml_length"] == 0x1D88);

  auto apfs = identify_path(signed_dmg.parent_path() / "dfvfs_apfs.raw");
  CHECK(apfs.details["container_uuid"] == "D08A9FA0-D5A5-458B-813E-EBF9BF5D5338");
  CHECK(apfs.details["block_count"] == 1014);
  CHECK(apfs.warnings.empty());

  auto head = identify_path(signed_dmg.parent_path() / "sr_apfs_nxsb_head.bin");
  CHECK(head.details["container_uuid"] == "40115033-9523-4496-96A2-0EDADEECA565");
  REQUIRE(head.warnings.size() == 1);
  CHECK(head.warnings[0] == "container declares 128.0 MiB but the input holds 68.0 KiB");

  auto dsc = identify_path(signed_dmg.parent_path() / "r2/dyld_shared_cache_arm64-macOS");
  CHECK(dsc.details["arch"] == "arm64");
  CHECK(dsc.details["header_size"] == 0x140);
  CHECK(dsc.details["mapping_count"] == 3);
  CHECK(dsc.details["image_count"] == 2);
  CHECK(dsc.details["uuid"] == "857BCE1A-017E-3464-9909-D58EE21CF8DC");

  auto arm64e = identify_path(signed_dmg.parent_path() / "r2/TestMacOS-arm64e");
  CHECK(arm64e.details["arch"] == "arm64e");
  CHECK(arm64e.details["filetype"] == "execute");
  CHECK(identify_path(signed_dmg.parent_path() / "r2/hello-macos-arm64-chained").details["arch"] == "arm64");

  auto fat = identify_path(signed_dmg.parent_path() / "r2/cat-macos-arm64");
  REQUIRE(fat.details["slices"].size() == 2);
  CHECK(fat.details["slices"][0]["arch"] == "x86_64");
  CHECK(fat.details["slices"][1]["arch"] == "arm64e");

  auto gpt = identify_path(signed_dmg.parent_path() / "r2/apfs.img");
  REQUIRE(gpt.details["partitions"].size() == 1);
  CHECK(gpt.details["partitions"][0]["type"] == "Apple_APFS");
  CHECK(gpt.details["partitions"][0]["first_lba"] == 40);
  CHECK(gpt.details["partitions"][0]["last_lba"] == 4055);

  auto im4p = identify_path(signed_dmg.parent_path() / "pyimg4_IM4P");
  CHECK(im4p.details["type"] == "test");
  CHECK(im4p.details["description"] == "Test Image4 payload.");
  CHECK(im4p.details["payload_length"] == 49424);

  auto bx = identify_path(signed_dmg.parent_path() / "bxdiff50_sharingd.patch");
  CHECK(bx.details["patched_size"] == 4833600);
  CHECK(bx.details["output_sha1"] == "39f32b1d9dd5f9f270c492120b15107c8d0398ae");
  CHECK(bx.details["input_sha1"] == "67ea5bc2c3fef7bd1bf1920354fd33a62109f538");
  CHECK(bx.warnings.empty());

  CHECK(identify_path(signed_dmg.parent_path() / "lzfse/small.lzfse").details["first_block"] == "bvxn");
  CHECK(identify_path(signed_dmg.parent_path() / "lzfse/text.lzfse").details["first_block"] == "bvx2");
}

TEST_CASE("identify reads the facts MANIFEST.md §10 gives for the real update files", "[identify][samples]") {
  UPSCOPE_REQUIRE_SAMPLE(ota, "real/ota-26.2");
  auto cl = identify_path(ota / "AppleDiagnostics.chunklist");
  CHECK(cl.details["version"] == 1);
  CHECK(cl.details["chunk_count"] == 1);
  CHECK(identify_path(ota / "BaseSystem.chunklist").details["chunk_count"] == 138);
  CHECK(identify_path(ota / "payload.bom").details["version"] == 1);

  // The trust cache inside the IMG4 (an IM4P of type trbb, payload at 0x1d), on its own.
  auto img4 = test::read_bytes(ota / "Bootability.dmg.trustcache");
  REQUIRE(img4.size() > 0x1d + 46);
  auto tc = identify_bytes(std::vector<uint8_t>(img4.begin() + 0x1d, img4.begin() + 0x1d + 46));
  CHECK(tc.format == "trustcache");
  CHECK(tc.details["version"] == 1);
  CHECK(tc.details["uuid"] == "1BAA5F41-F064-4885-A671-9A71FC66843B");
  CHECK(tc.details["entry_count"] == 1);
  // One byte more or less is no trust cache: the size must be exactly header + entries.
  CHECK(identify_bytes(std::vector<uint8_t>(img4.begin() + 0x1d, img4.begin() + 0x1d + 45)).format == "unknown");
  CHECK(identify_bytes(std::vector<uint8_t>(img4.begin() + 0x1d, img4.begin() + 0x1d + 47)).format == "unknown");
}

TEST_CASE("identify by content: magics of formats without a real sample", "[identify]") {
  auto with = [](std::string magic, size_t size = 64) {
    std::vector<uint8_t> v(std::max(size, magic.size()), 0);
    std::copy(magic.begin(), magic.end(), v.begin());
    return v;
  };
  CHECK(identify_bytes(with("pbzx\0\0\0\0\0\x10\0\0"s)).format == "pbzx");
  CHECK(identify_bytes(with("pbze")).format == "pbze");
  CHECK(identify_bytes(with("pbz4")).format == "pbz4");
  CHECK(identify_bytes(with("pbzz")).format == "pbzz");
  auto pbzm = identify_bytes(with("pbzm"));
  CHECK(pbzm.format == "pbzm");
  CHECK(pbzm.description.find("unsupported codec lzraven") != std::string::npos);
  CHECK(identify_bytes(with("pbzb")).format == "pbzb");
  CHECK(identify_bytes(with("AA01\x40\0"s)).format == "apple-archive");
  CHECK(identify_bytes(with("YAA1\x40\0"s)).format == "apple-archive");
  CHECK(identify_bytes(with("AEA1")).format == "aea");
  CHECK(identify_bytes(with("RIDIFF10\x01\0"s)).format == "ridiff10");
  CHECK(identify_bytes(with("BXDIFF41")).format == "bxdiff4x");
  CHECK(identify_bytes(with("PK\x03\x04"s)).format == "zip");
  CHECK(identify_bytes(with("bplist00")).format == "plist-binary");
  CHECK(identify_bytes(with("BOMStore\0\0\0\1\0\0\0\5"s)).format == "bom");
  CHECK(identify_bytes(with("BOMStore\0\0\0\2\0\0\0\5"s)).format == "unknown");  // only version 1 exists
  CHECK(identify_bytes(with("CNKL\x24\0\0\0\1\1\1\0\2\0\0\0"s)).format == "chunklist");
  CHECK(identify_bytes(with("CNKL\x20\0\0\0\1\1\1\0\2\0\0\0"s)).format == "unknown");  // header size 32
  // A v2 trust cache of two entries (24 + 2 * 24 bytes) with its version and count.
  auto tc2 = std::vector<uint8_t>(72, 0xAB);
  tc2[0] = 2, tc2[1] = tc2[2] = tc2[3] = 0;
  tc2[20] = 2, tc2[21] = tc2[22] = tc2[23] = 0;
  CHECK(identify_bytes(tc2).format == "trustcache");
  tc2[0] = 3;
  CHECK(identify_bytes(tc2).format == "unknown");
  CHECK(identify_bytes(with("<?xml version=\"1.0\"?>\n<!DOCTYPE plist PUBLIC>\n<plist version=\"1.0\">")).format ==
        "plist-xml");
  CHECK(identify_bytes(with("<?xml version=\"1.0\"?>\n<html>")).format == "unknown");
  CHECK(identify_bytes(with("complzss")).format == "lzss");
  CHECK(identify_bytes(with("sprs\0\0\0\3"s)).format == "sparseimage");
  CHECK(identify_bytes(with("\xFD" "7zXZ\0"s)).format == "xz");
  CHECK(identify_bytes(with("\x28\xB5\x2F\xFD"s)).format == "zstd");
  CHECK(identify_bytes(with("BZh91AY&SY")).format == "bzip2");
  CHECK(identify_bytes(with("BZh9xxxxxx")).format == "unknown");

  // cdsaencr at the very end: v1 encrypted image
  auto v1 = std::vector<uint8_t>(600, 0);
  std::string tail = "cdsaencr";
  std::copy(tail.begin(), tail.end(), v1.end() - 8);
  CHECK(identify_bytes(v1).format == "udif-encrypted");

  // HFS+ / HFSX at 1024
  auto hfs = std::vector<uint8_t>(4096, 0);
  hfs[1024] = 'H'; hfs[1025] = '+'; hfs[1027] = 4;
  CHECK(identify_bytes(hfs).format == "hfsplus");
  hfs[1025] = 'X'; hfs[1027] = 5;
  CHECK(identify_bytes(hfs).format == "hfsx");

  // APM: ER at 0, PM at 512
  auto apm = std::vector<uint8_t>(2048, 0);
  apm[0] = 'E'; apm[1] = 'R'; apm[512] = 'P'; apm[513] = 'M'; apm[519] = 2;
  CHECK(identify_bytes(apm).format == "apm");

  // MBR with one partition; and a boot sector with garbage status bytes is not an MBR
  auto mbr = std::vector<uint8_t>(512, 0);
  mbr[510] = 0x55; mbr[511] = 0xAA; mbr[446 + 4] = 0x07; mbr[446 + 12] = 0x10;
  CHECK(identify_bytes(mbr).format == "mbr");
  mbr[446] = 0x13;
  CHECK(identify_bytes(mbr).format == "unknown");

  // A Java class file shares 0xcafebabe with fat Mach-O
  auto java = with("\xCA\xFE\xBA\xBE\x00\x00\x00\x34"s);
  CHECK(identify_bytes(java).format == "unknown");

  // MH_FILESET: a kernel collection
  auto kc = with("\xCF\xFA\xED\xFE\x0C\x00\x00\x01\x02\x00\x00\x80\x0C\x00\x00\x00"s, 4096);
  auto kcid = identify_bytes(kc);
  CHECK(kcid.format == "macho-fileset");
  CHECK(kcid.details["arch"] == "arm64e");
}

TEST_CASE("identify never fails on hostile odds and ends", "[identify]") {
  CHECK(identify_bytes({}).format == "unknown");
  CHECK(identify_bytes({}).description == "unknown (empty file)");
  CHECK(identify_bytes({'k'}).format == "unknown");
  // Truncated headers of every magic: the probe must neither crash nor read out of bounds.
  for (std::string magic : {"koly", "encrcdsa", "sprs", "AA01", "AEA1", "pbzx", "bvx2", "complzss", "BXDIFF50",
                            "RIDIFF10", "dyld_v1", "\xCF\xFA\xED\xFE", "\xCA\xFE\xBA\xBE", "\x30\x82", "PK\x03\x04",
                            "bplist00", "EFI PART", "BOMStore", "CNKL", "xar!"}) {
    for (size_t n = 1; n <= magic.size() + 12; ++n) {
      std::vector<uint8_t> v(n, 0);
      std::copy_n(magic.begin(), std::min(n, magic.size()), v.begin());
      INFO("magic " << magic << " truncated to " << n);
      MemorySource src(v, "mem");
      CHECK(identify(src));
    }
  }
  // A truncated Mach-O header is still named, with a warning
  auto macho = identify_bytes({0xCF, 0xFA, 0xED, 0xFE, 0x0C, 0x00, 0x00, 0x01});
  CHECK(macho.format == "macho");
  REQUIRE(macho.warnings.size() == 1);
  CHECK(macho.warnings[0] == "the file ends at 8 bytes, inside the Mach-O header");
  // Random bytes, many seeds: never an error.
  std::mt19937 rng(1234);
  for (int i = 0; i < 200; ++i) {
    std::vector<uint8_t> v(rng() % 5000);
    for (auto& b : v) b = static_cast<uint8_t>(rng());
    MemorySource src(v, "random");
    CHECK(identify(src));
  }
}

TEST_CASE("known_formats lists every id the probes can return", "[identify]") {
  std::set<std::string> ids;
  for (const auto& f : known_formats()) ids.insert(f.id);
  for (const auto& [rel, fmt] : kExpected) CHECK(ids.count(fmt) == 1);
  CHECK(ids.count("unknown") == 1);
}
