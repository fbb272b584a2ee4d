// dyld shared cache tools: `upscope ls CACHE`, `upscope extract CACHE --image`, x86_64 code hashes,
// cache images in build inventories / diffs, and the subcache-array rules. Facts come from the
// generator's MANIFEST.json, the real radare2 cache (MANIFEST §9) and independent readers
// (python3 hashlib over the bytes the manifest locates; llvm-objdump-16 on extracted images).
#include <algorithm>
#include <cstring>
#include <map>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "analysis/inventory.hpp"
#include "dyld_cache/cache.hpp"
#include "analysis/diff.hpp"
#include "reports/model.hpp"
#include "dyld_cache/extract.hpp"
#include "inspect/text.hpp"
#include "test_support.hpp"

using namespace upscope;
using namespace upscope::dyld_cache;
using upscope::test::run_shell;
using upscope::test::shell_quote;
using upscope::test::joined;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

fs::path gen(const fs::path& dir, const std::string& args) {
  auto r = run_shell("python3 " + shell_quote((upscope::test::source_dir() / "samples/gen/make_dyld_cache.py").string()) +
                     " " + shell_quote(dir.string()) + " " + args + " 2>&1");
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  return dir;
}

fs::path generate(const std::string& tag, const std::string& args) {
  return gen(upscope::test::scratch_dir("dsct-" + tag), args);
}

json manifest(const fs::path& d) { return json::parse(upscope::test::read_file(d / "MANIFEST.json")); }
uint64_t hex(const json& j) { return std::stoull(j.get<std::string>(), nullptr, 16); }

std::optional<std::string> objdump16() {
  auto w = run_shell("command -v llvm-objdump-16");
  if (w.exit_code != 0 || w.out.empty()) return std::nullopt;
  return w.out.substr(0, w.out.find('\n'));
}

}  // namespace

// ---- ls ---------------------------------------------------------------------------------------

TEST_CASE("dsc ls: synthetic split cache rows match the manifest, content hash matches hashlib", "[dsc]") {
  auto dir = generate("ls", "");
  auto man = manifest(dir);
  const std::string cache = (dir / "dyld_shared_cache_arm64e").string();
  auto r = upscope::test::run_upscope({"ls", "--json", "--hash", "sha256", cache});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto j = json::parse(r.out);
  CHECK(j["schema"] == "upscope/dsc-ls/1");
  CHECK(j["arch"] == "arm64e");
  CHECK(j["uuid"] == man["files"]["main"]["uuid"]);
  CHECK(j["image_count"] == 3);
  CHECK(j["files"].size() == 3);
  REQUIRE(j["images"].size() == 3);
  Diagnostics d;
  auto c = open_cache(cache, d);
  REQUIRE(c);
  for (size_t i = 0; i < 3; ++i) {
    const auto& row = j["images"][i];
    const auto& want = man["images"][i];
    INFO(want["path"]);
    CHECK(row["path"] == want["path"]);
    CHECK(row["uuid"] == want["uuid"]);
    CHECK(row["current_version"] == want["current_version"]);
    CHECK(row["text_size"] == hex(want["text_size"]));
    CHECK(row["address"] == want["address"]);
    // The code hash is the library's layout-independent hash.
    auto det = c->image_detail(c->images[i], d);
    REQUIRE(det);
    CHECK(row["code_hash"] == det->code.sha256);
    // Content hash: every non-LINKEDIT segment (__TEXT then __DATA_CONST), computed by hashlib from
    // the file offsets the manifest gives.
    const std::string file = want["file"] == "main" ? "" : want["file"].get<std::string>();
    const std::string py = fmt::format(
        "import hashlib; h=hashlib.sha256(); "
        "a=open('{0}','rb').read(); m=open('{1}','rb').read(); "
        "h.update(a[{2}:{2}+{3}]); h.update(m[{4}:{4}+4096]); print(h.hexdigest())",
        cache + file, cache, hex(want["header_offset"]), hex(want["text_size"]), hex(want["data_const_fileoff"]));
    auto ph = run_shell("python3 -c " + shell_quote(py));
    REQUIRE(ph.exit_code == 0);
    CHECK(row["sha256"].get<std::string>() + "\n" == ph.out);
  }
  // Prefix filter and the fast listing.
  r = upscope::test::run_upscope({"ls", "--json", "--no-code-hash", cache + ":/System/Library/Frameworks"});
  REQUIRE(r.exit_code == 0);
  j = json::parse(r.out);
  REQUIRE(j["images"].size() == 1);
  CHECK(j["images"][0]["path"] == "/System/Library/Frameworks/Gamma.framework/Versions/A/Gamma");
  CHECK_FALSE(j["images"][0].contains("code_hash"));
  CHECK(j["code_hash"] == false);
  r = upscope::test::run_upscope({"ls", cache + ":/nope"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("no image install path is or starts with \"/nope\"") != std::string::npos);
  // Text rows.
  r = upscope::test::run_upscope({"ls", cache});
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("/usr/lib/libbeta.dylib") != std::string::npos);
  CHECK(r.out.find(man["images"][1]["uuid"].get<std::string>()) != std::string::npos);
}

TEST_CASE("dsc ls: the radare2 cache", "[dsc]") {
  UPSCOPE_REQUIRE_SAMPLE(p, "r2/dyld_shared_cache_arm64-macOS");
  auto r = upscope::test::run_upscope({"ls", "--json", p.string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto j = json::parse(r.out);
  CHECK(j["uuid"] == "857BCE1A-017E-3464-9909-D58EE21CF8DC");
  REQUIRE(j["images"].size() == 2);
  CHECK(j["images"][0]["path"] == "/usr/lib/liba-1.0.dylib");
  CHECK(j["images"][0]["uuid"] == "CCBF29D4-5569-3A15-9231-4E14D41A542A");
  CHECK(j["images"][0]["address"] == "0x180001000");
  CHECK(j["images"][1]["path"] == "/usr/lib/libb-1.0.dylib");
  CHECK(j["images"][1]["uuid"] == "60D2F3D6-44A2-3910-8750-3A56A3D8FF07");
  CHECK(j["images"][1]["code_hash"].get<std::string>().size() == 64);
}

// ---- extract ----------------------------------------------------------------------------------

TEST_CASE("dsc extract: standalone Mach-O accepted by llvm-objdump-16 with the same segments and UUID", "[dsc]") {
  auto dir = generate("extract", "");
  auto man = manifest(dir);
  const std::string cache = (dir / "dyld_shared_cache_arm64e").string();
  const auto& beta = man["images"][1];  // its __TEXT is in .01, __DATA_CONST and LINKEDIT in main
  const auto out = dir / "libbeta.dylib";
  auto r = upscope::test::run_upscope({"extract", cache, "--image", "/usr/lib/libbeta.dylib", "-o", out.string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto bytes = upscope::test::read_bytes(out);
  REQUIRE(bytes.size() > 0x4000);
  uint32_t magic, flags;
  std::memcpy(&magic, bytes.data(), 4);
  std::memcpy(&flags, bytes.data() + 24, 4);
  CHECK(magic == 0xfeedfacf);
  CHECK((flags & 0x80000000u) == 0);  // MH_DYLIB_IN_CACHE cleared
  // The code bytes are the cache's, at the new contiguous offset.
  auto sub = upscope::test::read_bytes(dir / "dyld_shared_cache_arm64e.01");
  const uint64_t ho = hex(beta["header_offset"]);
  CHECK(std::equal(sub.begin() + ho + 0x800, sub.begin() + ho + 0x800 + 28, bytes.begin() + 0x800));

  auto tool = objdump16();
  if (!tool) {
    WARN("SKIPPED: llvm-objdump-16 not installed");
    return;
  }
  auto od = run_shell(*tool + " --macho --private-headers " + shell_quote(out.string()) + " 2>&1");
  INFO(od.out);
  REQUIRE(od.exit_code == 0);
  CHECK(od.out.find("truncated or malformed") == std::string::npos);
  std::string u = beta["uuid"].get<std::string>();
  CHECK(od.out.find("uuid " + u) != std::string::npos);
  // Segments: same names and VM addresses as in the cache, contiguous file offsets.
  const uint64_t text_size = hex(beta["text_size"]);
  CHECK(od.out.find(fmt::format("  segname __TEXT\n   vmaddr {:#018x}\n   vmsize {:#018x}\n  fileoff 0\n filesize {}",
                                hex(beta["address"]), text_size, text_size)) != std::string::npos);
  CHECK(od.out.find(fmt::format("  segname __DATA_CONST\n   vmaddr {:#018x}\n   vmsize 0x0000000000001000\n  fileoff {}\n "
                                "filesize 4096", hex(beta["data_const"]), 0x4000)) != std::string::npos);
  CHECK(od.out.find("segname __LINKEDIT") != std::string::npos);
  CHECK(od.out.find("name /usr/lib/libbeta.dylib") != std::string::npos);
  // LINKEDIT: exports trie, function starts and the rebuilt symbol table (exports + .symbols locals).
  od = run_shell(*tool + " --macho --exports-trie --function-starts --syms " + shell_quote(out.string()) + " 2>&1");
  INFO(od.out);
  REQUIRE(od.exit_code == 0);
  for (auto& [name, addr] : beta["exports"].items()) {
    CHECK(od.out.find(fmt::format("0x{:08X}  {}", hex(addr), name)) != std::string::npos);
    CHECK(od.out.find(fmt::format("{:016x} g     F __TEXT,__text {}", hex(addr), name)) != std::string::npos);
  }
  for (auto& [name, addr] : beta["local_symbols"].items())
    CHECK(od.out.find(fmt::format("{:016x} l     F __TEXT,__text {}", hex(addr), name)) != std::string::npos);
  for (const auto& a : beta["function_starts"]) CHECK(od.out.find(fmt::format("{:016x}", hex(a))) != std::string::npos);
  CHECK(od.out.find("*UND* _alpha_f0") != std::string::npos);

  // Unknown image and missing -o.
  r = upscope::test::run_upscope({"extract", cache, "--image", "/nope", "-o", (dir / "x").string()});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("no image has install path \"/nope\"") != std::string::npos);
  r = upscope::test::run_upscope({"extract", cache, "--image", "/usr/lib/libbeta.dylib"});
  CHECK(r.exit_code == 2);
  r = upscope::test::run_upscope({"extract", "--help"});
  CHECK(r.out.find("does NOT rebuild") != std::string::npos);
}

TEST_CASE("dsc extract: radare2 cache image", "[dsc]") {
  UPSCOPE_REQUIRE_SAMPLE(p, "r2/dyld_shared_cache_arm64-macOS");
  auto dir = upscope::test::scratch_dir("dsct-r2x");
  auto out = dir / "liba.dylib";
  auto r = upscope::test::run_upscope({"extract", p.string(), "--image", "/usr/lib/liba-1.0.dylib", "-o", out.string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto tool = objdump16();
  if (!tool) {
    WARN("SKIPPED: llvm-objdump-16 not installed");
    return;
  }
  auto od = run_shell(*tool + " --macho --private-headers --exports-trie " + shell_quote(out.string()) + " 2>&1");
  INFO(od.out);
  REQUIRE(od.exit_code == 0);
  CHECK(od.out.find("uuid CCBF29D4-5569-3A15-9231-4E14D41A542A") != std::string::npos);
  CHECK(od.out.find("_func_in_liba") != std::string::npos);
  CHECK(od.out.find("_what_is_cool") != std::string::npos);
  CHECK(od.out.find("truncated or malformed") == std::string::npos);
}

// ---- x86_64 code hashes -----------------------------------------------------------------------

TEST_CASE("dsc: x86_64 code hash masks RIP-relative operands: moves keep it, one instruction changes it", "[dsc]") {
  auto base = generate("x86-base", "--arch x86_64");
  auto code = generate("x86-code", "--arch x86_64 --variant code");
  auto grow = generate("x86-grow", "--arch x86_64 --variant grow");
  auto shift = generate("x86-shift", "--arch x86_64 --shift-pages 3");
  auto open = [](const fs::path& d) {
    Diagnostics diags;
    auto c = open_cache((d / "dyld_shared_cache_x86_64").string(), diags);
    REQUIRE(c);
    INFO(joined(diags));
    CHECK(diags.empty());
    std::vector<CodeHash> h;
    for (const auto& img : c->images) {
      auto det = c->image_detail(img, diags);
      REQUIRE(det);
      CHECK(det->macho.cputype == 0x01000007u);
      h.push_back(det->code);
    }
    CHECK(diags.empty());
    return std::make_pair(std::move(*c), h);
  };
  auto [cb, hb] = open(base);
  auto [cc, hc] = open(code);
  auto [cg, hg] = open(grow);
  auto [cs, hs] = open(shift);
  CHECK(cb.main().arch == "x86_64");
  // RIP-relative GOT load in every image, rel32 call in images 1 and 2.
  CHECK(hb[0].masked_instructions == 1);
  CHECK(hb[1].masked_instructions == 2);
  // Every image moved by 3 pages: the raw code differs, the hashes do not.
  CHECK(cs.images[0].address == cb.images[0].address + 0x3000);
  auto raw = [](const Cache& c, size_t i) {
    auto r = c.read(c.images[i].address + 0x800, 28);
    REQUIRE(r);
    return std::vector<uint8_t>(r->data().begin(), r->data().end());
  };
  CHECK(raw(cb, 1) != raw(cs, 1));  // its call to image 0 (which moved)
  for (size_t i = 0; i < 3; ++i) CHECK(hb[i].sha256 == hs[i].sha256);
  // Image 1 grew: image 2 moved (different subcache offset) and keeps its hash.
  CHECK(cg.images[2].address != cb.images[2].address);
  CHECK(hb[2].sha256 == hg[2].sha256);
  CHECK(hb[0].sha256 == hg[0].sha256);
  // One changed immediate in image 1 changes only image 1.
  CHECK(hb[1].sha256 != hc[1].sha256);
  CHECK(hb[0].sha256 == hc[0].sha256);
  CHECK(hb[2].sha256 == hc[2].sha256);
  CHECK(hb[0].sha256 != hb[2].sha256);
}

// ---- build inventories / diff -----------------------------------------------------------------

namespace {

// A system tree with the cache under `dyld_dir` (relative to the root).
fs::path tree(const std::string& tag, const std::string& dyld_dir, const std::string& args) {
  auto root = upscope::test::scratch_dir("dsct-tree-" + tag);
  auto d = root / dyld_dir;
  fs::create_directories(d);
  gen(d, args);
  fs::rename(d / "MANIFEST.json", root.parent_path() / ("dsct-manifest-" + tag + "-" + std::to_string(::getpid()) + ".json"));
  return root;
}

}  // namespace

TEST_CASE("dsc: cache images are build components, diff sees the changed image and every moved one", "[dsc]") {
  const std::string sysdir = "System/Library/dyld";
  auto a = tree("a", sysdir, "");
  auto b = tree("b", sysdir, "--variant code");
  auto moved = tree("moved", sysdir, "--shift-pages 2");
  auto r = upscope::test::run_upscope({"inventory", "--json", a.string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto inv = json::parse(r.out)["build"];
  std::map<std::string, json> comps;
  for (const auto& c : inv["components"]) comps[c["id"].get<std::string>()] = c;
  REQUIRE(comps.count("/usr/lib/libbeta.dylib"));
  const auto& beta = comps["/usr/lib/libbeta.dylib"];
  CHECK(beta["kind"] == "dyld-cache-image");
  CHECK(beta["location"] == "system-volume");
  CHECK(beta["space"] == "user");
  CHECK(beta["version"] == "1.2.1");
  CHECK(beta["code_hash"].get<std::string>().size() == 32);  // XXH3-128 of the normalised code
  auto man = json::parse(upscope::test::read_file(a.parent_path() / ("dsct-manifest-a-" + std::to_string(::getpid()) + ".json")));
  CHECK(beta["uuid"] == man["images"][1]["uuid"]);
  CHECK(beta["symbol_count"] == 3);
  CHECK(beta["function_count"] == 3);
  // The cache files are components too (byte truth: their bytes outside the images count).
  size_t files = 0;
  for (const auto& [id, c] : comps)
    if (id.find("dyld_shared_cache") != std::string::npos) {
      CHECK(c["kind"] == "file");
      CHECK(c["hashes"]["sha256"].get<std::string>().size() == 64);
      ++files;
    }
  CHECK(files >= 2);
  CHECK(inv["not_analysed"].empty());

  r = upscope::test::run_upscope({"diff", "--json", a.string(), b.string()});
  INFO(r.out);
  REQUIRE(r.exit_code == 1);
  auto d = json::parse(r.out)["diff"];
  std::vector<json> images;
  for (const auto& c : d["changes"]) {
    if (c["kind"] == "dyld-cache-image") images.push_back(c);
    else CHECK(c["classes"] == json::array({"content"}));  // the cache files holding it
  }
  REQUIRE(images.size() == 1);
  CHECK(images[0]["id"] == "/usr/lib/libbeta.dylib");
  CHECK(images[0]["change"] == "modified");
  CHECK(images[0]["classes"] == json::array({"code"}));
  CHECK(images[0]["functions_changed"] == json::array({"_beta_f0"}));

  // Every image moved and none changed: each is a relink-only change (folded in text), not silence.
  r = upscope::test::run_upscope({"diff", "--json", a.string(), moved.string()});
  INFO(r.out);
  CHECK(r.exit_code == 1);
  size_t relinks = 0;
  const json md = json::parse(r.out);
  for (const auto& c : md["diff"]["changes"])
    if (c["kind"] == "dyld-cache-image") {
      CHECK(c["classes"] == json::array({"relink"}));
      ++relinks;
    }
  CHECK(relinks == man["images"].size());
}

TEST_CASE("dsc: deferred function hashes give the same diff, computed only for changed images", "[dsc][inventory]") {
  const std::string sysdir = "System/Library/dyld";
  auto a = tree("lazy-a", sysdir, "");
  auto b = tree("lazy-b", sysdir, "--variant code");
  auto inventory = [](const fs::path& root, bool lazy) {
    build::InventoryOptions opt;
    opt.lazy_functions = lazy;
    Diagnostics diags;
    auto inv = build::make_inventory(root.string(), opt, diags);
    REQUIRE(inv);
    return std::move(*inv);
  };
  auto eager_a = inventory(a, false), eager_b = inventory(b, false);
  auto lazy_a = inventory(a, true), lazy_b = inventory(b, true);
  size_t deferred = 0;
  for (const auto& c : lazy_a.components) {
    if (c.kind != ComponentKind::kDyldCacheImage) continue;
    CHECK(c.functions.empty());
    CHECK(c.detail_loader);
    if (!c.detail_loader) continue;
    ++deferred;
    // The loader computes exactly what the eager inventory stored.
    auto same = std::find_if(eager_a.components.begin(), eager_a.components.end(),
                             [&](const Component& e) { return e.id == c.id; });
    REQUIRE(same != eager_a.components.end());
    std::map<std::string, std::string> loaded;
    for (const auto& [k, f] : c.detail_loader().functions) loaded[k] = f.hash;
    CHECK(loaded == same->functions);
    CHECK(!same->functions.empty());
  }
  CHECK(deferred == 3);
  // The same changes either way; the lazy diff also has each function's instructions and callees.
  auto images = [](const json& d) {
    json out = json::array();
    for (const auto& c : d["changes"])
      if (c["kind"] == "dyld-cache-image") out.push_back({c["id"], c["classes"], c["functions_changed"]});
    return out;
  };
  const auto eager = reports::to_json(diff_builds(eager_a, eager_b));
  const auto lazy = reports::to_json(diff_builds(lazy_a, lazy_b));
  CHECK(images(lazy) == images(eager));
  REQUIRE(images(lazy).size() == 1);
  CHECK(images(lazy)[0][2] == json::array({"_beta_f0"}));
}

TEST_CASE("dsc: cache images in the OS cryptex are placed in cryptex-os", "[dsc]") {
  auto root = tree("cryptex", "System/Cryptexes/OS/System/Library/dyld", "");
  auto r = upscope::test::run_upscope({"inventory", "--json", root.string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto inv = json::parse(r.out)["build"];
  size_t n = 0;
  for (const auto& c : inv["components"]) {
    if (c["kind"] != "dyld-cache-image") continue;
    ++n;
    CHECK(c["location"] == "cryptex-os");
  }
  CHECK(n == 3);
}

// ---- malformed subcache arrays ----------------------------------------------------------------

TEST_CASE("dsc: malformed subcache arrays: absurd count, cycle, repeated entry", "[dsc]") {
  auto dir = generate("subarr", "--subcaches 2");
  const std::string cache = (dir / "dyld_shared_cache_arm64e").string();
  const auto orig = upscope::test::read_bytes(cache);
  uint32_t arr;
  std::memcpy(&arr, orig.data() + 0x188, 4);
  auto with = [&](const std::function<void(std::vector<uint8_t>&)>& f) {
    auto b = orig;
    f(b);
    upscope::test::write_bytes(cache, b);
    Diagnostics d;
    auto c = open_cache(cache, d);
    upscope::test::write_bytes(cache, orig);
    REQUIRE(c);
    std::vector<std::string> t;
    for (const auto& x : d.items()) t.push_back(x.text());
    return std::make_pair(std::move(*c), t);
  };
  {
    auto [c, t] = with([](auto& b) { uint32_t n = 100000; std::memcpy(b.data() + 0x18c, &n, 4); });
    CHECK(t == std::vector<std::string>{"at 0x18c: dyld_shared_cache_arm64e: dyld_cache_header: subCacheArrayCount 100000 "
                                        "exceeds 256 (no cache has that many files): subcaches not opened"});
    CHECK(c.subcaches.empty());
  }
  {
    auto [c, t] = with([&](auto& b) { std::memcpy(b.data() + arr + 56, b.data() + 0x58, 16); });  // entry 1 = main UUID
    const std::string u = uuid_string(Bytes(orig.data() + 0x58, 16));
    REQUIRE(t.size() == 1);
    CHECK(t[0] == fmt::format("at {:#x}: dyld_shared_cache_arm64e: subcache 1: subcache 1 has the main cache's own UUID {} "
                              "(a cycle): not opened", arr + 56, u));
    CHECK(c.subcaches[0].file);
    CHECK_FALSE(c.subcaches[1].file);
  }
  {
    auto [c, t] = with([&](auto& b) { std::memcpy(b.data() + arr + 56, b.data() + arr, 56); });  // entry 1 = entry 0
    REQUIRE(t.size() == 1);
    CHECK(t[0] == fmt::format("at {:#x}: dyld_shared_cache_arm64e: subcache 1: subcache 1 repeats subcache 0 (file suffix "
                              ".01): not opened", arr + 56));
  }
  {  // Two mappings of the main file claiming the same VM: the second is ignored, precisely.
    auto [c, t] = with([&](auto& b) {
      uint64_t a0;
      std::memcpy(&a0, b.data() + 0x200, 8);
      std::memcpy(b.data() + 0x200 + 32, &a0, 8);
      std::memcpy(b.data() + 0x2a8 + 56, &a0, 8);
    });
    REQUIRE(t.size() == 1);
    CHECK(t[0].find("dyld_shared_cache_arm64e: mapping 1: 0x180000000..") == 0);
    CHECK(t[0].find("overlaps dyld_shared_cache_arm64e mapping 0 (0x180000000..") != std::string::npos);
    CHECK(t[0].ends_with("): ignored"));
  }
}
