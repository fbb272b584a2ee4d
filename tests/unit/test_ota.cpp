// OTA / RSR update packages: synthetic packages from samples/gen/make_ota.py (built from the notes;
// no real package is available), checked against python's zipfile + hashlib as the independent
// reader; one case per zip validation rule with its exact message; the CLI (inspect, ls, verdict)
// with the JSON validated against reports/schemas/.
#include <fmt/format.h>

#include <map>

#include <nlohmann/json.hpp>

#include "analysis/update_changes.hpp"
#include "analysis/verdict.hpp"
#include "reports/model.hpp"
#include "ota/ota.hpp"
#include "test_support.hpp"
#include "zip/archive.hpp"

using namespace upscope;
using namespace upscope::test;
namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace {

// Generated once per process: the zips, two extracted trees (by python's zipfile) and the oracle.
struct Fixtures {
  fs::path dir;
  Json oracle;  // {zip name: {member: {sha256, size, header: hex of the first 128 bytes}}}
};

const Fixtures& fixtures() {
  static const Fixtures f = [] {
    Fixtures x;
    x.dir = scratch_dir("ota");
    auto gen = run_shell("python3 " + shell_quote((source_dir() / "samples/gen/make_ota.py").string()) + " all " +
                         shell_quote(x.dir.string()));
    REQUIRE(gen.exit_code == 0);
    const char* script = R"PY(
import hashlib, json, os, sys, zipfile
d = sys.argv[1]
out = {}
for z in ["full.zip", "delta.zip", "rsr.zip", "rsr-zip64.zip", "full-zip64.zip"]:
    with zipfile.ZipFile(os.path.join(d, z)) as zf:
        out[z] = {i.filename: {"sha256": hashlib.sha256(zf.read(i)).hexdigest(), "size": i.file_size,
                               "header": zf.read(i)[:128].hex()} for i in zf.infolist()}
for z in ["full", "delta", "rsr"]:
    with zipfile.ZipFile(os.path.join(d, z + ".zip")) as zf:
        zf.extractall(os.path.join(d, z + "-dir"))
print(json.dumps(out))
)PY";
    auto py = x.dir / "oracle.py";
    write_bytes(py, std::vector<uint8_t>(script, script + std::char_traits<char>::length(script)));
    auto r = run_shell("python3 " + shell_quote(py.string()) + " " + shell_quote(x.dir.string()));
    REQUIRE(r.exit_code == 0);
    x.oracle = Json::parse(r.out);
    return x;
  }();
  return f;
}

fs::path pkg(const std::string& name) { return fixtures().dir / name; }

ota::Package read(const fs::path& p) {
  auto r = ota::read_package(p.string());
  if (!r) FAIL(r.error().message());
  return std::move(*r);
}

const ota::Item* item(const ota::Package& p, const std::string& path) {
  for (const auto& i : p.items)
    if (i.path == path) return &i;
  return nullptr;
}

std::map<std::string, const PlacedPath*> by_path(const std::vector<PlacedPath>& t) {
  std::map<std::string, const PlacedPath*> m;
  for (const auto& x : t) m[x.path] = &x;
  return m;
}

// Every item's size and sha256 equal python's zipfile + hashlib.
void check_against_oracle(const ota::Package& p, const std::string& zip_name) {
  const Json& o = fixtures().oracle.at(zip_name);
  CHECK(p.items.size() == o.size());
  for (const auto& it : p.items) {
    INFO(zip_name << " " << it.path);
    REQUIRE(o.contains(it.path));
    CHECK(it.size == o[it.path]["size"].get<uint64_t>());
    CHECK(it.sha256 == o[it.path]["sha256"].get<std::string>());
    CHECK(!it.error);
  }
}

std::string oracle_header(const std::string& zip_name, const std::string& member) {
  return fixtures().oracle.at(zip_name).at(member).at("header").get<std::string>();
}

uint64_t hex_u64le(const std::string& hex, size_t byte_off) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | std::stoul(hex.substr((byte_off + i) * 2, 2), nullptr, 16);
  return v;
}

// Validates a JSON document (a file) against reports/schemas/<schema>.schema.json, as
// tests/schema/check_schemas.py does.
void validate(const std::string& doc, const std::string& schema) {
  auto dir = fixtures().dir;
  auto docf = dir / ("doc-" + schema + ".json");
  write_bytes(docf, std::vector<uint8_t>(doc.begin(), doc.end()));
  const char* script = R"PY(
import glob, json, os, sys, jsonschema
schemas, name, docf = sys.argv[1], sys.argv[2], sys.argv[3]
store = {}
for p in glob.glob(os.path.join(schemas, "*.schema.json")):
    s = json.load(open(p))
    if "://" not in s.get("$id", ""):  # a bare $id (patch.schema.json) cannot serve as a base URI
        s["$id"] = "https://upscope.invalid/schemas/" + os.path.basename(p)
    store[s["$id"]] = s; store[os.path.basename(p)] = s
schema = store[name + ".schema.json"]
v = jsonschema.Draft202012Validator(schema, resolver=jsonschema.RefResolver(base_uri=schema["$id"], referrer=schema, store=store))
errs = list(v.iter_errors(json.load(open(docf))))
for e in errs[:5]: print("/".join(map(str, e.path)), e.message[:300])
sys.exit(1 if errs else 0)
)PY";
  auto py = dir / "validate.py";
  write_bytes(py, std::vector<uint8_t>(script, script + std::char_traits<char>::length(script)));
  auto r = run_shell("/usr/bin/python3 -W ignore " + shell_quote(py.string()) + " " +
                     shell_quote((source_dir() / "reports/schemas").string()) + " " + schema + " " +
                     shell_quote(docf.string()));
  INFO(r.out);
  CHECK(r.exit_code == 0);
}

// ---- zip mutation helpers (our writer: no archive comment, so the end record is the last 22 bytes)
uint32_t u32(const std::vector<uint8_t>& b, size_t o) { return b[o] | b[o + 1] << 8 | b[o + 2] << 16 | uint32_t(b[o + 3]) << 24; }
uint16_t u16(const std::vector<uint8_t>& b, size_t o) { return uint16_t(b[o] | b[o + 1] << 8); }
void put32(std::vector<uint8_t>& b, size_t o, uint32_t v) { for (int i = 0; i < 4; ++i) b[o + i] = uint8_t(v >> (8 * i)); }
void put16(std::vector<uint8_t>& b, size_t o, uint16_t v) { b[o] = uint8_t(v); b[o + 1] = uint8_t(v >> 8); }
void put64(std::vector<uint8_t>& b, size_t o, uint64_t v) { for (int i = 0; i < 8; ++i) b[o + i] = uint8_t(v >> (8 * i)); }

struct CdEntry { size_t offset; std::string name; uint16_t method; };
std::vector<CdEntry> walk_cd(const std::vector<uint8_t>& b, size_t cd_off, size_t n) {
  std::vector<CdEntry> out;
  size_t o = cd_off;
  for (size_t i = 0; i < n; ++i) {
    uint16_t nl = u16(b, o + 28), el = u16(b, o + 30), cl = u16(b, o + 32);
    out.push_back({o, std::string(b.begin() + o + 46, b.begin() + o + 46 + nl), u16(b, o + 10)});
    o += 46 + nl + el + cl;
  }
  return out;
}

Result<zip::Archive> open_bytes(std::vector<uint8_t> b) {
  return zip::open(std::make_shared<MemorySource>(std::move(b), "t.zip"));
}

std::string open_error(std::vector<uint8_t> b) {
  auto a = open_bytes(std::move(b));
  REQUIRE_FALSE(a);
  return a.error().message();
}

}  // namespace

TEST_CASE("RSR zip: classification, metadata, paired image patches, touched cryptex images", "[ota]") {
  auto p = read(pkg("rsr.zip"));
  CHECK_FALSE(p.directory);
  CHECK_FALSE(p.zip64);
  CHECK(p.kind == ota::Kind::kRsr);
  REQUIRE(p.reasons.size() >= 3);
  CHECK(p.reasons[0] == "SplatOnly is true: Apple marks Rapid Security Responses (\"splat\") this way");
  CHECK(p.reasons[1] == "AssetType com.apple.MobileAsset.MacSplatSoftwareUpdate is a Splat (RSR) asset type");
  CHECK(p.reasons[2] == "ProductVersionExtra (a) is the RSR letter");
  const auto& m = p.metadata;
  CHECK(m.asset_info);
  CHECK(m.update_info);
  CHECK(m.splat_only == std::optional<bool>(true));
  CHECK(m.asset_type == "com.apple.MobileAsset.MacSplatSoftwareUpdate");
  CHECK(m.product_version == "13.3.1");
  CHECK(m.product_version_extra == "(a)");
  CHECK(m.build == "22E772610a");
  CHECK(m.prerequisite_build == "22E261");
  CHECK(m.os_version == "13.3.1");
  CHECK(m.restore_version == "22.5.772610.0.0,0");
  CHECK(m.product_type == "Mac14,5");
  CHECK(m.package_version == "2.0");
  CHECK(m.supported_devices == std::vector<std::string>{"J314sAP"});
  check_against_oracle(p, "rsr.zip");

  const auto* app = item(p, "AssetData/payloadv2/image_patches/cryptex-app");
  const auto* app_rev = item(p, "AssetData/payloadv2/image_patches/cryptex-app-rev");
  const auto* os = item(p, "AssetData/payloadv2/image_patches/cryptex-system-arm64e");
  REQUIRE(app);
  REQUIRE(app_rev);
  REQUIRE(os);
  CHECK(app->role == ota::Role::kImagePatch);
  CHECK(app->format == "ridiff10");
  CHECK(app->partner == app_rev->path);
  CHECK(app_rev->role == ota::Role::kReverseImagePatch);
  CHECK(app_rev->partner == app->path);
  CHECK(app->variants == std::optional<uint16_t>(1));
  CHECK(app->patched_size == std::optional<uint64_t>(1 << 20));  // make_ridiff10's image_size
  CHECK(item(p, "AssetData/boot/os.dmg.trustcache")->role == ota::Role::kBoot);
  CHECK(p.payloads.empty());
  CHECK(p.not_analysed.empty());

  auto t = placed_touched_paths(p);
  REQUIRE(t.size() == 2);
  CHECK(t[0].path == "/System/Volumes/Preboot/<volume-group>/cryptex1/current/app.dmg");
  CHECK(t[0].action == ota::Action::kPatchImage);
  CHECK(t[0].placement.location == Location::kCryptexApp);
  CHECK(t[0].source == "AssetData/payloadv2/image_patches/cryptex-app");
  CHECK(t[1].path == "/System/Volumes/Preboot/<volume-group>/cryptex1/current/os.dmg");
  CHECK(t[1].placement.location == Location::kCryptexOs);
  CHECK(t[1].placement.kind == ComponentKind::kCryptexImage);
  Verdict v = decide_rsr(update_changes(p, t));
  CHECK(v.rsr_eligible == Eligibility::kYes);
}

TEST_CASE("full OTA zip: payload archives listed, kernel and kernel collection touched", "[ota]") {
  auto p = read(pkg("full.zip"));
  CHECK(p.kind == ota::Kind::kFullOta);
  REQUIRE(p.reasons.size() >= 2);
  CHECK(p.reasons[0] == "no PrerequisiteBuild: the update does not depend on an installed build");
  CHECK(p.reasons[1] == "2 payload archives write whole files, no per-file patches");
  CHECK(p.metadata.splat_only == std::optional<bool>(false));
  CHECK(p.metadata.os_version == "13.3.1");  // "9.9." prefix stripped
  CHECK(p.metadata.supported_devices == std::vector<std::string>{"J314sAP", "J316sAP"});
  CHECK(p.metadata.restore_version == "22.5.261.0.0,0");
  check_against_oracle(p, "full.zip");
  CHECK(item(p, "AssetData/payloadv2/payload.000")->format == "pbzx");
  CHECK(item(p, "AssetData/payloadv2/payload.000")->role == ota::Role::kPayload);
  REQUIRE(p.payloads.size() == 2);
  CHECK(p.payloads[0].item == "AssetData/payloadv2/payload.000");
  CHECK(p.payloads[0].container == "pbzx");
  CHECK(p.payloads[0].entries.size() == 6);
  CHECK(p.payloads[0].files == 3);
  CHECK(p.payloads[0].directories == 3);
  CHECK(p.payloads[1].files == 2);
  CHECK(p.payloads[1].symlinks == 1);
  CHECK(!p.payloads[0].error);

  auto t = placed_touched_paths(p);
  auto m = by_path(t);
  REQUIRE(m.count("/System/Library/KernelCollections/BootKernelExtensions.kc"));
  auto* kc = m["/System/Library/KernelCollections/BootKernelExtensions.kc"];
  CHECK(kc->action == ota::Action::kWrite);
  CHECK(kc->size == 40004);
  CHECK(kc->source == "AssetData/payloadv2/payload.000");
  CHECK(kc->placement.location == Location::kBootKc);
  CHECK(kc->placement.space == Space::kKernel);
  REQUIRE(m.count("/System/Library/Caches/com.apple.kernelcaches/kernelcache.release.mac14j"));
  CHECK(m["/System/Library/Caches/com.apple.kernelcaches/kernelcache.release.mac14j"]->placement.location == Location::kKernelcache);
  REQUIRE(m.count("/System/Library/Kernels/kernel.release.t6000"));
  CHECK(m["/System/Library/Kernels/kernel.release.t6000"]->placement.space == Space::kKernel);
  REQUIRE(m.count("/System/Volumes/Preboot/<volume-group>/boot/Firmware/all_flash/iBoot.j314s.RELEASE.im4p"));
  CHECK(m["/System/Volumes/Preboot/<volume-group>/boot/Firmware/all_flash/iBoot.j314s.RELEASE.im4p"]->placement.space == Space::kBoot);
  REQUIRE(m.count("/usr/lib/libupscope_demo.1.dylib"));  // the symlink
  CHECK(m["/usr/lib/libupscope_demo.dylib"]->placement.location == Location::kSystemVolume);
  CHECK(m.count("/System") == 0);  // directories are not written files
  CHECK(t.size() == 10);  // 5 payload files + 1 symlink + kernelcache + firmware + 2 cryptex images
  Verdict v = decide_rsr(update_changes(p, t));
  CHECK(v.rsr_eligible == Eligibility::kNo);
  CHECK(v.rule.rfind("kernel-space code changed", 0) == 0);
}

TEST_CASE("delta OTA zip: per-file BXDIFF50 patches with their targets, AEA named, removals", "[ota]") {
  auto p = read(pkg("delta.zip"));
  CHECK(p.kind == ota::Kind::kDeltaOta);
  REQUIRE(p.reasons.size() == 3);
  CHECK(p.reasons[0] == "PrerequisiteBuild 22E252 is set: the update applies only on top of that build");
  CHECK(p.reasons[1] == "2 BXDIFF50 per-file patches (patches/)");
  CHECK(p.metadata.prerequisite_os_version == "13.3");
  check_against_oracle(p, "delta.zip");

  const std::string kc_patch = "AssetData/payloadv2/patches/System/Library/KernelCollections/BootKernelExtensions.kc";
  const auto* kc = item(p, kc_patch);
  REQUIRE(kc);
  CHECK(kc->role == ota::Role::kFilePatch);
  CHECK(kc->format == "bxdiff50");
  CHECK(kc->target == "/System/Library/KernelCollections/BootKernelExtensions.kc");
  // Header fields as python reads them (BXDIFF50: patched size at 16, result SHA-1 at 40, target SHA-1 at 68).
  std::string hdr = oracle_header("delta.zip", kc_patch);
  CHECK(kc->patched_size == std::optional<uint64_t>(hex_u64le(hdr, 16)));
  CHECK(kc->patched_size == std::optional<uint64_t>(20010));
  CHECK(kc->output_sha1 == hdr.substr(80, 40));
  CHECK(kc->input_sha1 == hdr.substr(136, 40));

  const auto* aea = item(p, "AssetData/boot/090-00001-001.dmg.aea");
  REQUIRE(aea);
  CHECK(aea->format == "aea");
  CHECK(aea->role == ota::Role::kEncrypted);
  REQUIRE(p.not_analysed.size() == 1);
  CHECK(p.not_analysed[0].path == "AssetData/boot/090-00001-001.dmg.aea");
  CHECK(p.not_analysed[0].reason ==
        "encrypted (Apple Encrypted Archive, AEA1): what it writes cannot be read without the key");

  auto t = placed_touched_paths(p);
  auto m = by_path(t);
  REQUIRE(m.count("/System/Library/Frameworks/WebKit.framework/Versions/A/WebKit"));
  auto* wk = m["/System/Library/Frameworks/WebKit.framework/Versions/A/WebKit"];
  CHECK(wk->action == ota::Action::kPatch);
  CHECK(wk->placement.location == Location::kSystemVolume);
  CHECK(wk->output_sha1.size() == 40);
  REQUIRE(m.count("/System/Library/KernelCollections/BootKernelExtensions.kc"));
  CHECK(m["/System/Library/KernelCollections/BootKernelExtensions.kc"]->placement.space == Space::kKernel);
  REQUIRE(m.count("/usr/lib/libobsolete.dylib"));
  CHECK(m["/usr/lib/libobsolete.dylib"]->action == ota::Action::kRemove);
  REQUIRE(m.count("/usr/share/upscope/new.txt"));
  CHECK(t.size() == 4);
  CHECK(decide_rsr(update_changes(p, t)).rsr_eligible == Eligibility::kNo);
}

TEST_CASE("the generated zips pass 7-Zip's test, the zip64 variants are zip64 to 7-Zip", "[ota]") {
  if (run_shell("command -v 7zz").exit_code != 0) {
    WARN("SKIPPED: 7zz is not installed (independent zip reader)");
    return;
  }
  for (std::string k : {"full.zip", "delta.zip", "rsr.zip", "rsr-zip64.zip", "full-zip64.zip"}) {
    INFO(k);
    auto t = run_shell("7zz t " + shell_quote(pkg(k).string()));
    CHECK(t.exit_code == 0);
    CHECK(t.out.find("Everything is Ok") != std::string::npos);
    auto l = run_shell("7zz l -slt " + shell_quote(pkg(k).string()));
    CHECK((l.out.find("Characteristics = Zip64") != std::string::npos) == (k.find("zip64") != std::string::npos));
  }
}

TEST_CASE("the extracted directory reads like the zip, zip64 like classic zip", "[ota]") {
  for (std::string k : {"full", "delta", "rsr"}) {
    INFO(k);
    auto z = read(pkg(k + ".zip"));
    auto d = read(pkg(k + "-dir"));
    CHECK(d.directory);
    auto jz = ota::to_json(z), jd = ota::to_json(d);
    for (auto* j : {&jz, &jd}) {
      j->erase("source");
      j->erase("container");
      for (auto& i : (*j)["items"]) {
        i.erase("compression");
        i.erase("stored_size");
      }
    }
    CHECK(jz.dump() == jd.dump());
    auto tz = placed_touched_paths(z), td = placed_touched_paths(d);
    REQUIRE(tz.size() == td.size());
    for (size_t i = 0; i < tz.size(); ++i) CHECK(reports::to_json(tz[i]).dump() == reports::to_json(td[i]).dump());
  }
  for (std::string k : {"rsr", "full"}) {
    INFO(k);
    auto z64 = read(pkg(k + "-zip64.zip"));
    CHECK(z64.zip64);
    check_against_oracle(z64, k + "-zip64.zip");
    auto a = ota::to_json(read(pkg(k + ".zip"))), b = ota::to_json(z64);
    a.erase("source");
    b.erase("source");
    CHECK(b["container"] == "zip64");
    a.erase("container");
    b.erase("container");
    CHECK(a.dump() == b.dump());
  }
}

TEST_CASE("zip reader: one case per validation rule, exact messages", "[ota]") {
  const auto good = read_bytes(pkg("rsr.zip"));
  const size_t eocd = good.size() - 22;
  REQUIRE(u32(good, eocd) == 0x06054b50);
  const size_t cd_off = u32(good, eocd + 16);
  const size_t n = u16(good, eocd + 10);
  auto cd = walk_cd(good, cd_off, n);
  REQUIRE(cd[0].name == "Info.plist");
  REQUIRE(cd[0].method == 8);
  const CdEntry* stored = nullptr;
  for (const auto& e : cd)
    if (e.method == 0 && !stored) stored = &e;
  REQUIRE(stored);
  const std::string size_s = std::to_string(good.size());

  SECTION("smaller than an end record") {
    CHECK(open_error(std::vector<uint8_t>(good.begin(), good.begin() + 10)) ==
          "t.zip: end of central directory: file is 10 bytes, smaller than the 22-byte end record");
  }
  SECTION("no end record") {
    auto b = good;
    b.resize(b.size() - 22);
    CHECK(open_error(b) == fmt::format("t.zip: end of central directory: record not found in the last {} bytes: not a "
                                       "zip archive, or truncated", b.size()));
  }
  SECTION("multi-disk") {
    auto b = good;
    put16(b, eocd + 4, 1);
    CHECK(open_error(b) == fmt::format("t.zip: end of central directory at {}: multi-disk archives are not supported "
                                       "(disk 1, central directory on disk 0)", hex_offset(eocd)));
  }
  SECTION("saturated offset without zip64") {
    auto b = good;
    put32(b, eocd + 16, 0xffffffff);
    CHECK(open_error(b) == fmt::format("t.zip: end of central directory at {}: size or offset is 0xffffffff but there "
                                       "is no zip64 locator", hex_offset(eocd)));
  }
  SECTION("central directory past the end") {
    auto b = good;
    put32(b, eocd + 16, uint32_t(good.size() - 10));
    CHECK(open_error(b) == fmt::format("t.zip: central directory at {}: {} bytes extend past the end of the file ({} bytes)",
                                       hex_offset(good.size() - 10), u32(good, eocd + 12), size_s));
  }
  SECTION("entry count the directory cannot hold") {
    auto b = good;
    put16(b, eocd + 8, 60000);
    put16(b, eocd + 10, 60000);
    CHECK(open_error(b) == fmt::format("t.zip: central directory at {}: 60000 entries cannot fit in {} bytes",
                                       hex_offset(cd_off), u32(good, eocd + 12)));
  }
  SECTION("central directory entry signature") {
    auto b = good;
    b[cd[1].offset] = 'X';
    CHECK(open_error(b) == fmt::format("t.zip: central directory entry 1 at {}: bad signature (expected PK\\1\\2)",
                                       hex_offset(cd[1].offset)));
  }
  SECTION("central directory entry name past the directory") {
    auto b = good;
    put16(b, cd.back().offset + 28, 0xfff0);
    CHECK(open_error(b) == fmt::format("t.zip: central directory entry {} at {}: file name, extra field and comment "
                                       "extend past the central directory", n - 1, hex_offset(cd.back().offset)));
  }
  SECTION("local header signature: the member is marked, the others stay readable") {
    auto b = good;
    b[0] = 'X';
    auto a = open_bytes(b);
    REQUIRE(a);
    const std::string msg = "t.zip: local header of 'Info.plist' at 0x0: bad signature (expected PK\\3\\4)";
    REQUIRE(a->members[0].error);
    CHECK(a->members[0].error->message() == msg);
    REQUIRE(a->diagnostics.items().size() == 1);
    CHECK(a->diagnostics.items()[0].message == "bad signature (expected PK\\3\\4)");
    auto m0 = zip::open_member(*a, a->members[0], 1 << 20);
    REQUIRE_FALSE(m0);
    CHECK(m0.error().message() == msg);
    CHECK(zip::open_member(*a, a->members[1], 1 << 20));
  }
  SECTION("member data past the end") {
    auto b = good;
    put32(b, stored->offset + 20, 0x7fffffff);
    put32(b, stored->offset + 24, 0x7fffffff);
    auto a = open_bytes(b);
    REQUIRE(a);
    const auto* m = a->find(stored->name);
    REQUIRE(m->error);
    CHECK(m->error->message() ==
          fmt::format("t.zip: local header of '{}' at {}: data (2147483647 bytes at {}) extends past the end of the file ({} bytes)",
                      stored->name, hex_offset(m->local_header_offset), hex_offset(m->data_offset), size_s));
  }
  SECTION("stored sizes disagree") {
    auto b = good;
    put32(b, stored->offset + 24, 1);
    auto a = open_bytes(b);
    REQUIRE(a);
    const auto* m = a->find(stored->name);
    REQUIRE(m->error);
    CHECK(m->error->message() == fmt::format("t.zip: local header of '{}' at {}: stored member has compressed size {} but "
                                             "uncompressed size 1", stored->name, hex_offset(m->local_header_offset),
                                             m->compressed_size));
  }
  SECTION("unsupported compression method") {
    auto b = good;
    put16(b, cd[0].offset + 10, 12);
    auto a = open_bytes(b);
    REQUIRE(a);
    auto r = zip::open_member(*a, a->members[0], 1 << 20);
    REQUIRE_FALSE(r);
    CHECK(r.error().message() ==
          "t.zip: member 'Info.plist' at 0x0: compression method 12 is not supported (stored and deflate only)");
  }
  SECTION("encrypted member") {
    auto b = good;
    put16(b, cd[0].offset + 8, 1);
    auto a = open_bytes(b);
    REQUIRE(a);
    auto r = zip::open_member(*a, a->members[0], 1 << 20);
    REQUIRE_FALSE(r);
    CHECK(r.error().message() == "t.zip: member 'Info.plist' at 0x0: encrypted (zip encryption is not supported)");
  }
  SECTION("inflate limit") {
    auto a = open_bytes(good);
    REQUIRE(a);
    auto r = zip::open_member(*a, a->members[0], 10);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::kLimit);
    CHECK(r.error().message() == fmt::format("t.zip: member 'Info.plist' at 0x0: uncompressed size {} exceeds the inflate "
                                             "limit of 10 bytes", a->members[0].uncompressed_size));
  }
  SECTION("CRC-32 of a deflated member") {
    auto b = good;
    const uint32_t crc = u32(good, cd[0].offset + 16);
    put32(b, cd[0].offset + 16, crc ^ 1);
    auto a = open_bytes(b);
    REQUIRE(a);
    auto r = zip::open_member(*a, a->members[0], 1 << 20);
    REQUIRE_FALSE(r);
    CHECK(r.error().message() == fmt::format("t.zip: member 'Info.plist' at {}: CRC-32 {:08x} does not match the central "
                                             "directory's {:08x}", hex_offset(a->members[0].data_offset), crc, crc ^ 1));
  }
  SECTION("CRC-32 of a stored member, checked while hashing") {
    auto b = good;
    const uint32_t crc = u32(good, stored->offset + 16);
    put32(b, stored->offset + 16, crc ^ 1);
    auto path = fixtures().dir / "bad-crc.zip";
    write_bytes(path, b);
    auto p = read(path);
    bool found = false;
    for (const auto& d : p.diagnostics.items())
      if (d.structure == fmt::format("member '{}'", stored->name) &&
          d.message == fmt::format("CRC-32 {:08x} does not match the central directory's {:08x}", crc, crc ^ 1))
        found = d.severity == Severity::kError;
    CHECK(found);
  }
}

TEST_CASE("zip64 records: one case per rule", "[ota]") {
  const auto good = read_bytes(pkg("rsr-zip64.zip"));
  const size_t eocd = good.size() - 22, loc = eocd - 20;
  REQUIRE(u32(good, loc) == 0x07064b50);
  const size_t z64 = size_t(u32(good, loc + 8));
  REQUIRE(u32(good, z64) == 0x06064b50);
  const size_t cd_off = size_t(u32(good, z64 + 48));
  SECTION("locator points past the end") {
    auto b = good;
    put64(b, loc + 8, good.size());
    CHECK(open_error(b) == fmt::format("t.zip: zip64 end of central directory at {}: record at {} extends past the end "
                                       "of the file ({} bytes)", hex_offset(loc), hex_offset(good.size()), good.size()));
  }
  SECTION("zip64 end record signature") {
    auto b = good;
    b[z64] = 'X';
    CHECK(open_error(b) == fmt::format("t.zip: zip64 end of central directory at {}: bad signature (expected PK\\6\\6)",
                                       hex_offset(z64)));
  }
  SECTION("saturated size without a zip64 extra field") {
    auto b = good;
    const size_t nl = u16(good, cd_off + 28);
    put16(b, cd_off + 46 + nl, 0x9999);  // the extra field's id: no longer zip64
    CHECK(open_error(b) == fmt::format("t.zip: central directory entry 0 ('Info.plist') at {}: the uncompressed size is "
                                       "0xffffffff but there is no zip64 extra field", hex_offset(cd_off)));
  }
  SECTION("zip64 extra field too short") {
    auto b = good;
    const size_t nl = u16(good, cd_off + 28);
    put16(b, cd_off + 46 + nl + 2, 8);  // only the uncompressed size left in the zip64 record
    CHECK(open_error(b) == fmt::format("t.zip: central directory entry 0 ('Info.plist') at {}: zip64 extra field lacks "
                                       "the compressed size", hex_offset(cd_off)));
  }
}

TEST_CASE("packages without update metadata and unreadable metadata", "[ota]") {
  auto dir = fixtures().dir / "plain";
  fs::create_directories(dir / "sub");
  write_bytes(dir / "sub/file.txt", {'h', 'i'});
  auto r = ota::read_package(dir.string());
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::kUnsupported);
  CHECK(r.error().message() == dir.string() + ": not an OTA/RSR update package: no AssetData/Info.plist, and no "
                                              "Info.plist beside an AssetData/ tree");
  CHECK_FALSE(ota::is_update_package(dir.string()));
  CHECK(ota::is_update_package(pkg("rsr-dir").string()));
  CHECK(ota::is_update_package(pkg("rsr.zip").string()));

  // A broken Info.plist: the package is still read, the metadata is not analysed.
  auto bad = fixtures().dir / "badplist";
  fs::copy(pkg("rsr-dir"), bad, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  write_bytes(bad / "Info.plist", {'n', 'o', 't', ' ', 'a', ' ', 'p', 'l', 'i', 's', 't'});
  auto p = read(bad);
  REQUIRE(!p.not_analysed.empty());
  CHECK(p.not_analysed[0].path == "Info.plist");
  CHECK(p.not_analysed[0].reason == "Info.plist: property list: not a valid XML or binary plist");
  CHECK(p.kind == ota::Kind::kUnknown);  // SplatOnly came from that plist: never guessed
  CHECK(decide_rsr(update_changes(p, placed_touched_paths(p))).rsr_eligible == Eligibility::kUndetermined);
}

TEST_CASE("upscope verdict / inspect / ls on update packages", "[ota][cli]") {
  auto rsr = run_upscope({"verdict", pkg("rsr.zip").string()});
  INFO(rsr.out << rsr.err);
  CHECK(rsr.exit_code == 0);
  CHECK(rsr.out.find("RSR-eligible: yes") != std::string::npos);
  auto full = run_upscope({"verdict", pkg("full.zip").string()});
  CHECK(full.exit_code == 1);
  CHECK(full.out.find("RSR-eligible: no") != std::string::npos);
  CHECK(run_upscope({"verdict", pkg("delta.zip").string()}).exit_code == 1);
  CHECK(run_upscope({"verdict", pkg("rsr-dir").string()}).exit_code == 0);

  auto vj = run_upscope({"verdict", "--json", pkg("rsr.zip").string()});
  CHECK(vj.exit_code == 0);
  validate(vj.out, "verdict");
  auto vdoc = Json::parse(vj.out);
  CHECK(vdoc["verdict"]["rsr_eligible"] == "yes");
  CHECK(vdoc["update"]["kind"] == "rsr");
  CHECK(vdoc["builds"]["new"]["version_extra"] == "(a)");
  auto vf = run_upscope({"verdict", "--json", pkg("full.zip").string()});
  validate(vf.out, "verdict");

  for (std::string k : {"rsr.zip", "full.zip", "delta-dir", "full-zip64.zip"}) {
    INFO(k);
    auto ij = run_upscope({"inspect", "--json", pkg(k).string()});
    CHECK(ij.exit_code == 0);
    validate(ij.out, "inspect");
    auto doc = Json::parse(ij.out);
    validate(doc["inputs"][0]["report"].dump(), "update-package");
    auto lj = run_upscope({"ls", "--json", "--hash", "sha256", pkg(k).string()});
    CHECK(lj.exit_code == 0);
    validate(lj.out, "update-ls");
  }
  auto ls = run_upscope({"ls", "--hash", "sha256", pkg("full.zip").string()});
  CHECK(ls.exit_code == 0);
  // The written file's hash is the SH2 of its data, as python's hashlib computes it for the writer.
  auto lsj = Json::parse(run_upscope({"ls", "--json", "--hash", "sha256", pkg("full.zip").string() + ":/usr"}).out);
  REQUIRE(lsj["files"].size() == 2);
  CHECK(lsj["files"][0]["path"] == "/usr/lib/libupscope_demo.1.dylib");
  CHECK(lsj["files"][1]["hash"].get<std::string>().size() == 64);

  auto plain = fixtures().dir / "plain2";
  fs::create_directories(plain);
  auto bad = run_upscope({"ls", plain.string()});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("'upscope ls' cannot list directories other than extracted update packages") != std::string::npos);

  auto text = run_upscope({"inspect", pkg("rsr.zip").string()});
  CHECK(text.exit_code == 0);
  CHECK(text.out.find("kind: rsr") != std::string::npos);
}

TEST_CASE("upscope patch records (and its alias info)", "[ota][cli]") {
  const std::string patch = pkg("delta-dir").string() +
                            "/AssetData/payloadv2/patches/System/Library/KernelCollections/BootKernelExtensions.kc";
  auto r = run_upscope({"patch", "records", "--json", patch});
  CHECK(r.exit_code == 0);
  auto doc = Json::parse(r.out);
  CHECK(doc["report"]["control"]["triples"].size() == doc["report"]["control"]["triple_count"].get<size_t>());
  CHECK(doc["report"]["header"]["patched_size"] == 20010);
  validate(r.out, "patch");
  auto alias = run_upscope({"patch", "info", "--json", patch});
  CHECK(alias.exit_code == 0);
  CHECK(alias.out == r.out);
}
