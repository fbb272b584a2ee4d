// dyld shared cache reader: the real radare2 cache (MANIFEST §9, every value, exports cross-checked with
// llvm-objdump on a carved copy), the fuzzer crashers, the synthetic split cache of
// samples/gen/make_dyld_cache.py (main + .01 + .symbols; our own writer, so its facts are checked
// against its MANIFEST.json and, for the per-image Mach-O parts, against llvm-objdump), code-hash
// stability across builds, and one malformed case per validation rule with its exact message.
#include <algorithm>
#include <cstring>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "dyld_cache/cache.hpp"
#include "dyld_cache/structs.hpp"
#include "inspect/text.hpp"
#include "test_support.hpp"

using namespace upscope;
using namespace upscope::dyld_cache;
using upscope::test::run_shell;
using upscope::test::shell_quote;
using upscope::test::texts;
using upscope::test::joined;
namespace fs = std::filesystem;

namespace {

const char* kMain = "dyld_shared_cache_arm64e";

fs::path generate(const std::string& tag, const std::string& args) {
  auto d = upscope::test::scratch_dir("dsc-" + tag);
  auto r = run_shell("python3 " + shell_quote((upscope::test::source_dir() / "samples/gen/make_dyld_cache.py").string()) +
                     " " + shell_quote(d.string()) + " " + args + " 2>&1");
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  return d;
}

// Generated once per run and never modified (mutations work on copies).
const fs::path& base_dir() {
  static fs::path d = generate("base", "");
  return d;
}

nlohmann::json manifest(const fs::path& d) { return nlohmann::json::parse(upscope::test::read_file(d / "MANIFEST.json")); }

uint64_t hex(const nlohmann::json& j) { return std::stoull(j.get<std::string>(), nullptr, 16); }

bool has(const Diagnostics& d, const std::string& s) {
  auto v = texts(d);
  return std::find(v.begin(), v.end(), s) != v.end();
}

std::string uuid_of(const std::optional<Uuid>& u) { return u ? uuid_string(Bytes(u->data(), 16)) : ""; }

// A copy of the base cache with `mutate(file suffix, bytes)` applied to each file.
fs::path mutated(const std::string& tag, const std::function<void(const std::string&, std::vector<uint8_t>&)>& mutate) {
  auto d = upscope::test::scratch_dir("dsc-mut-" + tag);
  for (std::string suffix : {"", ".01", ".symbols"}) {
    auto b = upscope::test::read_bytes(base_dir() / (kMain + suffix));
    mutate(suffix, b);
    upscope::test::write_bytes(d / (kMain + suffix), b);
  }
  return d;
}

void put32(std::vector<uint8_t>& b, size_t off, uint32_t v) { std::memcpy(b.data() + off, &v, 4); }
void put64(std::vector<uint8_t>& b, size_t off, uint64_t v) { std::memcpy(b.data() + off, &v, 8); }
uint32_t get32(const std::vector<uint8_t>& b, size_t off) { uint32_t v; std::memcpy(&v, b.data() + off, 4); return v; }
uint64_t get64(const std::vector<uint8_t>& b, size_t off) { uint64_t v; std::memcpy(&v, b.data() + off, 8); return v; }

std::string main_path(const fs::path& d) { return (d / kMain).string(); }

// Runs llvm-objdump (any installed version) on a copy of `file` whose first bytes are replaced by the
// Mach-O header + load commands found at header_off in `header_file`: load-command offsets are
// relative to `file`, so llvm reads the cached image's LINKEDIT in place. nullopt without llvm.
std::optional<std::string> llvm_exports(const fs::path& header_file, uint64_t header_off, const fs::path& file) {
  auto which = run_shell("command -v llvm-objdump-16 || command -v llvm-objdump-14 || command -v llvm-objdump");
  if (which.exit_code != 0 || which.out.empty()) return std::nullopt;
  std::string tool = which.out.substr(0, which.out.find('\n'));
  auto h = upscope::test::read_bytes(header_file);
  auto b = upscope::test::read_bytes(file);
  const uint32_t sizeofcmds = get32(h, header_off + 20);
  std::copy(h.begin() + header_off, h.begin() + header_off + 32 + sizeofcmds, b.begin());
  auto out = upscope::test::scratch_dir("dsc-carve") / "carved";
  upscope::test::write_bytes(out, b);
  auto r = run_shell(tool + " --macho --exports-trie --function-starts " + shell_quote(out.string()) + " 2>&1");
  return r.out;
}

}  // namespace

// ---- the real radare2 cache --------------------------------------------------------------------

TEST_CASE("dsc: radare2 macOS 11 cache header, mappings, slide info", "[dsc]") {
  UPSCOPE_REQUIRE_SAMPLE(p, "r2/dyld_shared_cache_arm64-macOS");
  Diagnostics d;
  auto c = open_cache(p.string(), d);
  REQUIRE(c);
  INFO(joined(d));
  CHECK(d.empty());
  const auto& m = c->main();
  CHECK(m.header.magic == std::string("dyld_v1   arm64\0", 16));
  CHECK(m.arch == "arm64");
  CHECK(m.header_size() == 0x140);
  CHECK(uuid_string(m.header.uuid) == "857BCE1A-017E-3464-9909-D58EE21CF8DC");
  CHECK(m.header.cache_type == 1u);
  CHECK(m.header.platform == 1u);
  CHECK(m.header.format_version_and_flags == 0x40au);
  CHECK(m.header.shared_region_start == 0x180000000u);
  // Read only by the reader (the mappings' slide info below): checked in the raw header.
  CHECK(m.bytes.read<dyld_cache_header>(0)->mappingWithSlideOffset == 0x1e8);
  CHECK(m.header.images_offset_old == 0x290);
  CHECK(m.header.images_count_old == 2);
  CHECK(m.header.images_text_offset == 0x2d0);
  CHECK(m.header.dylibs_trie_addr == 0x1840280f0);
  CHECK(m.header.dylibs_trie_size == 0x44);
  // Fields past mappingOffset 0x140 do not exist in this layout: absent, or zero.
  CHECK_FALSE(m.header.os_version);
  CHECK(m.header.subcache_array_count == 0);
  CHECK_FALSE(m.header.images_count);
  CHECK_FALSE(c->split());
  CHECK(c->files.size() == 1);
  REQUIRE(m.mappings.size() == 3);
  const uint64_t want[3][5] = {{0x180000000, 0x18000, 0, 5, 5}, {0x182018000, 0x4000, 0x18000, 3, 3},
                               {0x18401c000, 0x14000, 0x1c000, 1, 1}};
  for (int i = 0; i < 3; ++i) {
    CHECK(m.mappings[i].address == want[i][0]);
    CHECK(m.mappings[i].size == want[i][1]);
    CHECK(m.mappings[i].file_offset == want[i][2]);
    CHECK(m.mappings[i].max_prot == want[i][3]);
    CHECK(m.mappings[i].init_prot == want[i][4]);
  }
  CHECK(mapping_name(m.mappings[1]) == "__DATA");
  CHECK(mapping_name(m.mappings[2]) == "__LINKEDIT");
  CHECK_FALSE(m.mappings[0].slide);
  REQUIRE(m.mappings[1].slide);
  const auto& s = *m.mappings[1].slide;
  CHECK(m.mappings[1].slide_info_offset == 0x1c000);
  CHECK(s.version == 2);
  CHECK(s.page_size == 0x1000);
  CHECK(s.page_count == 4);
  for (uint64_t i = 0; i < 4; ++i) CHECK(*s.page_starts.u16le(i * 2) == 0x4000);
  CHECK(s.delta_mask == 0x00FFFF0000000000ULL);
  CHECK(s.value_add == 0);
  CHECK(c->slid_pointers(0x182018000, 0x4000, d).empty());  // every page is NO_REBASE
  CHECK(d.empty());
}

TEST_CASE("dsc: radare2 cache images, UUIDs, exports (llvm-objdump cross-check)", "[dsc]") {
  UPSCOPE_REQUIRE_SAMPLE(p, "r2/dyld_shared_cache_arm64-macOS");
  Diagnostics d;
  auto c = open_cache(p.string(), d);
  REQUIRE(c);
  REQUIRE(c->images.size() == 2);
  CHECK(c->images[0].path == "/usr/lib/liba-1.0.dylib");
  CHECK(c->images[0].address == 0x180001000);
  CHECK(uuid_of(c->images[0].uuid) == "CCBF29D4-5569-3A15-9231-4E14D41A542A");
  CHECK(c->images[1].path == "/usr/lib/libb-1.0.dylib");
  CHECK(c->images[1].address == 0x180005000);
  CHECK(uuid_of(c->images[1].uuid) == "60D2F3D6-44A2-3910-8750-3A56A3D8FF07");
  CHECK(c->image_at(0x180004f60) == &c->images[0]);
  CHECK(c->find_image("/usr/lib/libb-1.0.dylib") == &c->images[1]);

  std::map<std::string, std::vector<std::string>> want_exports = {{"/usr/lib/liba-1.0.dylib", {"_func_in_liba", "_what_is_cool"}},
                                                                  {"/usr/lib/libb-1.0.dylib", {"_func_in_libb"}}};
  for (const auto& img : c->images) {
    auto det = c->image_detail(img, d);
    REQUIRE(det);
    INFO(joined(d));
    CHECK(d.empty());
    REQUIRE(det->macho.uuid);
    CHECK(uuid_string(Bytes(det->macho.uuid->data(), 16)) == uuid_of(img.uuid));  // LC_UUID == imagesText uuid
    CHECK(det->macho.flags == (img.index == 0 ? 0x80100085u : det->macho.flags));
    CHECK(det->macho.id_dylib->name == img.path);
    std::vector<std::string> names;
    for (const auto& e : det->exports) names.push_back(e.name);
    CHECK(names == want_exports[img.path]);
    CHECK(det->function_starts.size() == det->exports.size());
    CHECK(!det->code.sha256.empty());
    // Independent: llvm-objdump decodes the same trie and function starts from a carved copy.
    auto llvm = llvm_exports(p, img.address - 0x180000000, p);
    if (!llvm) {
      WARN("SKIPPED: llvm-objdump not installed");
      continue;
    }
    INFO(*llvm);
    for (const auto& e : det->exports)
      CHECK(llvm->find(fmt::format("0x{:08X}  {}", e.address, e.name)) != std::string::npos);
    for (uint64_t a : det->function_starts) CHECK(llvm->find(fmt::format("{:016x}", a)) != std::string::npos);
  }
  CHECK(c->images.size() == 2);
}

TEST_CASE("dsc: fuzzer crashers give clean errors", "[dsc]") {
  UPSCOPE_REQUIRE_SAMPLE(p4, "r2/dyldcache_read8");  // 4 bytes: "dyld"
  UPSCOPE_REQUIRE_SAMPLE(p8, "r2/dyldcache_read4");  // 19 bytes: "dyld_stu" + NULs
  Diagnostics d;
  auto a = open_cache(p4.string(), d);
  REQUIRE_FALSE(a);
  CHECK(a.error().message() == "dyldcache_read8: dyld_cache_header: the file is 4 bytes, shorter than the 16-byte magic");
  auto b = open_cache(p8.string(), d);
  REQUIRE_FALSE(b);
  CHECK(b.error().message() ==
        "dyldcache_read4: dyld_cache_header at 0x0: magic \"dyld_stu\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\" does not start "
        "with \"dyld_v1\"");
  auto r = upscope::test::run_upscope({"dsc", "images", p8.string()});
  CHECK(r.exit_code == 2);
}

// ---- the synthetic split cache -----------------------------------------------------------------

TEST_CASE("dsc: synthetic split cache: files, subcache, images, VM map", "[dsc]") {
  auto dir = base_dir();
  auto man = manifest(dir);
  Diagnostics d;
  auto c = open_cache(main_path(dir), d);
  REQUIRE(c);
  INFO(joined(d));
  CHECK(d.empty());
  CHECK(c->main().header_size() == 0x200);
  CHECK(c->main().arch == "arm64e");
  CHECK(c->subcaches_v2());
  REQUIRE(c->subcaches.size() == 1);
  CHECK(c->subcaches[0].suffix == ".01");
  CHECK(c->subcaches[0].vm_offset == hex(man["files"][".01"]["vm_offset"]));
  REQUIRE(c->subcaches[0].file);
  CHECK(uuid_string(Bytes(c->subcaches[0].uuid.data(), 16)) == man["files"][".01"]["uuid"]);
  REQUIRE(c->files.size() == 3);
  CHECK(c->files[1].name == std::string(kMain) + ".01");
  REQUIRE(c->symbols_file);
  CHECK(c->files[*c->symbols_file].name == std::string(kMain) + ".symbols");
  CHECK(uuid_string(c->main().header.uuid) == man["files"]["main"]["uuid"]);
  REQUIRE(c->main().header.os_version);
  CHECK(*c->main().header.os_version == 0x000E0000);
  CHECK(os_version_string(*c->main().header.os_version) == "14.0.0");
  CHECK(c->vm_map.size() == 4);
  // Mappings of each file.
  for (const auto& [suffix, fi] : std::vector<std::pair<std::string, size_t>>{{"main", 0}, {".01", 1}}) {
    const auto& ms = man["mappings"][suffix];
    REQUIRE(c->files[fi].mappings.size() == ms.size());
    for (size_t i = 0; i < ms.size(); ++i) {
      CHECK(c->files[fi].mappings[i].address == hex(ms[i][0]));
      CHECK(c->files[fi].mappings[i].size == hex(ms[i][1]));
      CHECK(c->files[fi].mappings[i].file_offset == hex(ms[i][2]));
    }
  }
  REQUIRE(c->images.size() == man["images"].size());
  for (size_t i = 0; i < c->images.size(); ++i) {
    const auto& want = man["images"][i];
    const auto& img = c->images[i];
    INFO(img.path);
    CHECK(img.path == want["path"]);
    CHECK(img.address == hex(want["address"]));
    CHECK(uuid_of(img.uuid) == want["uuid"]);
    CHECK(img.text_size == hex(want["text_size"]));
    // VM -> (file, offset) across files: header in main or .01, __DATA_CONST always in main.
    auto l = c->locate(img.address);
    REQUIRE(l);
    CHECK(c->files[l->file].suffix == (want["file"] == "main" ? "" : want["file"].get<std::string>()));
    CHECK(l->offset == hex(want["header_offset"]));
    auto ld = c->locate(hex(want["data_const"]));
    REQUIRE(ld);
    CHECK(ld->file == 0);
    CHECK(ld->offset == hex(want["data_const_fileoff"]));
    CHECK(c->image_at(img.address + 0x800) == &img);
  }
  auto miss = c->locate(0x170000000);
  REQUIRE_FALSE(miss);
  CHECK(miss.error().message() == "dyld cache VM map: address 0x170000000 is in no mapping of the opened cache files");
  auto across = c->read(c->files[0].mappings[0].address + c->files[0].mappings[0].size - 8, 16);
  REQUIRE_FALSE(across);
  CHECK(across.error().rule.find("runs past the end of its mapping") != std::string::npos);
}

TEST_CASE("dsc: synthetic images: Mach-O view, exports, function starts, pointers, local symbols", "[dsc]") {
  for (int slide : {3, 2}) {
    auto dir = slide == 3 ? base_dir() : generate("v2", "--slide 2");
    auto man = manifest(dir);
    Diagnostics d;
    auto c = open_cache(main_path(dir), d);
    REQUIRE(c);
    REQUIRE(c->main().mappings[1].slide);
    CHECK(c->main().mappings[1].slide->version == uint32_t(slide));
    for (size_t i = 0; i < c->images.size(); ++i) {
      const auto& want = man["images"][i];
      INFO("slide v" << slide << " " << c->images[i].path);
      ImageOptions opt;
      opt.local_symbols = true;
      auto det = c->image_detail(c->images[i], d, opt);
      REQUIRE(det);
      INFO(joined(d));
      CHECK(d.empty());
      CHECK(det->header_file == (want["file"] == "main" ? 0u : 1u));
      CHECK(det->macho.flags == 0x80000085u);
      CHECK(det->macho.id_dylib->name == want["path"]);
      CHECK(macho::version_string(*det->current_version) == want["current_version"]);
      CHECK(macho::version_string(*det->compat_version) == want["compatibility_version"]);
      REQUIRE(det->macho.uuid);
      CHECK(uuid_string(Bytes(det->macho.uuid->data(), 16)) == want["uuid"]);
      std::map<std::string, uint64_t> ex;
      for (const auto& e : det->exports) ex[e.name] = det->macho.text_vmaddr() + e.address;
      std::map<std::string, uint64_t> want_ex;
      for (auto& [k, v] : want["exports"].items()) want_ex[k] = hex(v);
      CHECK(ex == want_ex);
      std::vector<uint64_t> fs_want;
      for (const auto& a : want["function_starts"]) fs_want.push_back(hex(a));
      CHECK(det->function_starts == fs_want);
      // Slide info decodes both pointers of __got (v3: one plain, one authenticated).
      auto ptrs = c->slid_pointers(hex(want["data_const"]), 0x1000, d);
      REQUIRE(ptrs.size() == want["pointers"].size());
      for (size_t k = 0; k < ptrs.size(); ++k) {
        CHECK(ptrs[k].address == hex(want["pointers"][k]["address"]));
        CHECK(ptrs[k].target == hex(want["pointers"][k]["target"]));
        CHECK(ptrs[k].auth == want["pointers"][k]["auth"].get<bool>());
      }
      CHECK(det->code.masked_instructions == (i == 0 ? 1u : 2u));  // ADRP (+ BL)
      REQUIRE(det->local_symbols);
      std::map<std::string, uint64_t> ls, want_ls;
      for (const auto& s : det->local_symbols->symbols) ls[s.name] = s.value;
      for (auto& [k, v] : want["local_symbols"].items()) want_ls[k] = hex(v);
      CHECK(ls == want_ls);
      // Independent: llvm-objdump on the image's header placed over the main file (which holds LINKEDIT).
      auto hf = dir / (kMain + std::string(det->header_file ? ".01" : ""));
      auto llvm = llvm_exports(hf, hex(want["header_offset"]), dir / kMain);
      if (!llvm) continue;
      INFO(*llvm);
      for (const auto& e : det->exports)
        CHECK(llvm->find(fmt::format("0x{:08X}  {}", e.address, e.name)) != std::string::npos);
      for (uint64_t a : det->function_starts) CHECK(llvm->find(fmt::format("{:016x}", a)) != std::string::npos);
    }
  }
}

TEST_CASE("dsc: code hash survives an earlier image growing and changes with the code", "[dsc]") {
  auto grow = generate("grow", "--variant grow");
  auto code = generate("code", "--variant code");
  Diagnostics d;
  auto base = open_cache(main_path(base_dir()), d);
  auto g = open_cache(main_path(grow), d);
  auto k = open_cache(main_path(code), d);
  REQUIRE(base);
  REQUIRE(g);
  REQUIRE(k);
  auto detail = [&](const Cache& c, size_t i) {
    auto r = c.image_detail(c.images[i], d);
    REQUIRE(r);
    return std::move(*r);
  };
  std::vector<ImageDetail> b, gr, co;
  for (size_t i = 0; i < 3; ++i) {
    b.push_back(detail(*base, i));
    gr.push_back(detail(*g, i));
    co.push_back(detail(*k, i));
  }
  INFO(joined(d));
  CHECK(d.empty());
  // libbeta grew by two pages: libgamma moved, its raw code and pointers changed ...
  CHECK(g->images[2].address == base->images[2].address + 0x2000);
  auto raw = [](const Cache& c, const ImageDetail& x) {
    const auto& s = x.macho.segments[0].sections[0];
    auto r = c.read(s.addr, s.size);
    REQUIRE(r);
    return std::vector<uint8_t>(r->data().begin(), r->data().end());
  };
  CHECK(raw(*base, b[2]) != raw(*g, gr[2]));
  auto cst = [](const Cache& c, const ImageDetail& x) {
    auto r = c.read(x.macho.segments[1].vmaddr, 0x1000);
    REQUIRE(r);
    return std::vector<uint8_t>(r->data().begin(), r->data().end());
  };
  CHECK(cst(*base, b[2]) != cst(*g, gr[2]));
  // ... but its code hash and const-data hash did not.
  CHECK(b[2].code.sha256 == gr[2].code.sha256);
  CHECK(b[2].code.const_sha256 == gr[2].code.const_sha256);
  CHECK(b[0].code.sha256 == gr[0].code.sha256);
  CHECK(b[1].code.sha256 != gr[1].code.sha256);  // the grown image itself changed
  // A one-instruction change only changes that image's hash.
  CHECK(b[1].code.sha256 != co[1].code.sha256);
  CHECK(b[0].code.sha256 == co[0].code.sha256);
  CHECK(b[2].code.sha256 == co[2].code.sha256);
  // Hashes of different images differ (the hash is not trivially constant).
  CHECK(b[0].code.sha256 != b[2].code.sha256);
}

TEST_CASE("dsc: image_details (code hashes side by side) equals image_detail image by image", "[dsc]") {
  for (const char* args : {"--slide 3", "--slide 2", "--arch x86_64"}) {
    INFO(args);
    auto dir = generate(std::string("batch") + (args + 2), std::string(args) + " --images 40");
    Diagnostics d;
    const bool x86 = std::string(args).find("x86_64") != std::string::npos;
    auto c = open_cache((dir / (x86 ? "dyld_shared_cache_x86_64" : kMain)).string(), d);
    REQUIRE(c);
    std::vector<const Image*> imgs;
    for (const auto& img : c->images) imgs.push_back(&img);
    std::vector<Diagnostics> diags(imgs.size());
    auto batch = c->image_details(imgs, diags);
    REQUIRE(batch.size() == imgs.size());
    for (size_t i = 0; i < imgs.size(); ++i) {
      INFO(imgs[i]->path);
      auto one = c->image_detail(*imgs[i], d);
      REQUIRE(one);
      REQUIRE(batch[i]);
      CHECK(batch[i]->code.sha256 == one->code.sha256);
      CHECK(batch[i]->code.sha256.size() == 64);
      CHECK(batch[i]->code.bytes == one->code.bytes);
      CHECK(batch[i]->code.masked_pointers == one->code.masked_pointers);
      CHECK(batch[i]->code.masked_instructions == one->code.masked_instructions);
      CHECK(batch[i]->code.const_sha256 == one->code.const_sha256);
      CHECK(diags[i].items().size() == 0);
    }
  }
}

TEST_CASE("dsc: missing and mismatched subcache / symbols files", "[dsc]") {
  const auto man = manifest(base_dir());
  SECTION("missing .01: precise error, main-file image still read") {
    auto dir = mutated("missing", [](const std::string&, std::vector<uint8_t>&) {});
    fs::remove(dir / (std::string(kMain) + ".01"));
    Diagnostics d;
    auto c = open_cache(main_path(dir), d);
    REQUIRE(c);
    auto t = texts(d);
    REQUIRE(t.size() == 1);
    CHECK(t[0].rfind("dyld_shared_cache_arm64e.01: subcache 0 of the main cache is missing: ", 0) == 0);
    CHECK(t[0].find((dir / (std::string(kMain) + ".01")).string()) != std::string::npos);
    CHECK_FALSE(c->subcaches[0].file);
    CHECK(c->images.size() == 3);
    Diagnostics d2;
    auto a = c->image_detail(c->images[0], d2);
    REQUIRE(a);
    CHECK(a->exports.size() == 3);
    auto b = c->image_detail(c->images[1], d2);
    REQUIRE_FALSE(b);
    CHECK(b.error().message() ==
          "/usr/lib/libbeta.dylib: address 0x180101000 is in no mapping of the opened cache files");
  }
  SECTION("mismatched .01 UUID") {
    auto dir = mutated("uuid", [](const std::string& s, std::vector<uint8_t>& b) {
      if (s == ".01") b[0x58] ^= 0xff;
    });
    Diagnostics d;
    auto c = open_cache(main_path(dir), d);
    REQUIRE(c);
    auto want_sub = man["files"][".01"]["uuid"].get<std::string>();
    auto sub = upscope::test::read_bytes(dir / (std::string(kMain) + ".01"));
    auto got_sub = uuid_string(Bytes(sub.data() + 0x58, 16));
    CHECK(got_sub != want_sub);
    CHECK(texts(d) == std::vector<std::string>{"dyld_shared_cache_arm64e.01: subcache UUID " + got_sub +
                                               " does not match the main cache's entry " + want_sub + " (subcache 0)"});
    CHECK_FALSE(c->subcaches[0].file);
    CHECK(c->files.size() == 2);  // main + .symbols
  }
  SECTION("mismatched .symbols UUID") {
    auto dir = mutated("symuuid", [](const std::string& s, std::vector<uint8_t>& b) {
      if (s == ".symbols") b[0x67] = 0;
    });
    Diagnostics d;
    auto c = open_cache(main_path(dir), d);
    REQUIRE(c);
    auto t = texts(d);
    REQUIRE(t.size() == 1);
    std::string want = man["files"][".symbols"]["uuid"];
    std::string got = want.substr(0, 34) + "00";
    CHECK(t[0] == "dyld_shared_cache_arm64e.symbols: symbols file UUID " + got +
                      " does not match the main cache's symbolFileUUID " + want);
    CHECK_FALSE(c->symbols_file);
  }
}

// ---- one case per validation rule --------------------------------------------------------------

namespace {

// Opens a mutated copy of the main file (siblings intact); returns the open result.
Result<Cache> open_mutated(const std::string& tag, const std::function<void(std::vector<uint8_t>&)>& f, Diagnostics& d) {
  auto dir = mutated(tag, [&](const std::string& s, std::vector<uint8_t>& b) {
    if (s.empty()) f(b);
  });
  return open_cache(main_path(dir), d);
}

}  // namespace

TEST_CASE("dsc: malformed headers are errors naming the rule", "[dsc]") {
  Diagnostics d;
  auto err = [&](const std::string& tag, const std::function<void(std::vector<uint8_t>&)>& f) {
    auto r = open_mutated(tag, f, d);
    REQUIRE_FALSE(r);
    return r.error().message();
  };
  CHECK(err("mapcount", [](auto& b) { put32(b, 0x14, 21); }) ==
        "dyld_shared_cache_arm64e: dyld_cache_header at 0x14: mappingCount 21 exceeds 20 (dyld's limit)");
  CHECK(err("mapoff-big", [](auto& b) { put32(b, 0x10, 0x500); }) ==
        "dyld_shared_cache_arm64e: dyld_cache_header at 0x10: mappingOffset 0x500 exceeds 0x400 (dyld's limit)");
  CHECK(err("mapoff-small", [](auto& b) { put32(b, 0x10, 0x10); }) ==
        "dyld_shared_cache_arm64e: dyld_cache_header at 0x10: mappingOffset 0x10 is inside the first 0x20 bytes (magic "
        "and table fields)");
  CHECK(err("short-header", [](auto& b) { b.resize(0x100); }) ==
        "dyld_shared_cache_arm64e: dyld_cache_header: the 0x200-byte header (mappingOffset) runs past the end of the file "
        "(0x100 bytes)");
  CHECK(err("maptable", [](auto& b) { put32(b, 0x14, 20); b.resize(0x300); }) ==
        "dyld_shared_cache_arm64e: dyld_cache_header: mapping table (20 × 32 bytes at 0x200) runs past the end of the file "
        "(0x300 bytes)");
  CHECK(err("short", [](auto& b) { b.resize(0x14); }) ==
        "dyld_shared_cache_arm64e: dyld_cache_header: the file is 20 bytes, too short for mappingOffset/mappingCount");
}

TEST_CASE("dsc: malformed tables are diagnostics with partial results", "[dsc]") {
  const auto man = manifest(base_dir());
  const uint64_t main_size = man["files"]["main"]["size"];
  const std::string sz = fmt::format("{:#x}", main_size);
  SECTION("mapping past the file") {
    Diagnostics d;
    auto c = open_mutated("mappast", [](auto& b) {
      put64(b, 0x200 + 2 * 32 + 8, 0x100000);              // mapping_info[2].size
      put64(b, 0x2a8 + 2 * 56 + 8, 0x100000);  // mapping_and_slide_info[2].size (table at 0x200 + 3 × 56)
    }, d);
    REQUIRE(c);
    CHECK(has(d, "at 0x240: dyld_shared_cache_arm64e: mapping 2: 0x" + fmt::format("{:x}", c->main().mappings[2].address) +
                     "+0x100000 at file offset " + fmt::format("{:#x}", c->main().mappings[2].file_offset) +
                     " runs past the end of the file (" + sz + " bytes)"));
    CHECK(d.items().size() == 1);
    CHECK_FALSE(c->main().mappings[2].usable);
    CHECK(c->images.size() == 3);  // still listed; their LINKEDIT is gone
    Diagnostics d2;
    auto det = c->image_detail(c->images[0], d2);
    REQUIRE(det);
    CHECK(det->exports.empty());
    CHECK(has(d2, fmt::format("/usr/lib/libalpha.dylib: segment __LINKEDIT: address {:#x} is in no mapping of the opened "
                              "cache files", c->main().mappings[2].address)));
  }
  SECTION("image path offset past the file") {
    Diagnostics d;
    auto c = open_mutated("pathoff", [](auto& b) {
      const uint32_t images = get32(b, 0x1c0);
      put32(b, images + 32 + 24, 0xffffff);  // image 1 pathFileOffset
    }, d);
    REQUIRE(c);
    CHECK(texts(d) == std::vector<std::string>{"at 0xffffff: dyld_shared_cache_arm64e: image 1: path offset 0xffffff is "
                                               "past the end of the main file (" + sz + " bytes)"});
    CHECK(c->images[1].path.empty());
    CHECK(c->images[2].path == man["images"][2]["path"]);
  }
  SECTION("image table past the file: images come from imagesText") {
    Diagnostics d;
    auto c = open_mutated("imagetable", [](auto& b) { put32(b, 0x1c4, 0x10000000); }, d);
    REQUIRE(c);
    const uint32_t off = get32(upscope::test::read_bytes(base_dir() / kMain), 0x1c0);
    CHECK(texts(d) == std::vector<std::string>{fmt::format("at {:#x}: dyld_shared_cache_arm64e: image table: 268435456 × 32 "
                                                           "bytes at {:#x} run past the end of the file ({} bytes)",
                                                           off, off, sz)});
    REQUIRE(c->images.size() == 3);
    CHECK(c->images[2].path == man["images"][2]["path"]);
  }
  SECTION("subcache array past the file") {
    Diagnostics d;
    auto c = open_mutated("subarray", [](auto& b) { put32(b, 0x188, 0x10000); }, d);
    REQUIRE(c);
    CHECK(texts(d) == std::vector<std::string>{"at 0x10000: dyld_shared_cache_arm64e: subcache array: 1 × 56 bytes at "
                                               "0x10000 run past the end of the file (" + sz + " bytes)"});
    CHECK(c->subcaches.empty());
  }
  SECTION("subcache fileSuffix with a path") {
    Diagnostics d;
    auto c = open_mutated("suffix", [](auto& b) {
      const uint32_t off = get32(b, 0x188);
      std::memcpy(b.data() + off + 24, "../x\0", 5);
    }, d);
    REQUIRE(c);
    const uint32_t off = get32(upscope::test::read_bytes(base_dir() / kMain), 0x188);
    CHECK(texts(d) == std::vector<std::string>{fmt::format("at {:#x}: dyld_shared_cache_arm64e: subcache 0: fileSuffix "
                                                           "\"../x\" is not a plain file suffix", off)});
  }
  SECTION("mappingWithSlideCount differs from mappingCount") {
    Diagnostics d;
    auto c = open_mutated("slidecount", [](auto& b) { put32(b, 0x13c, 2); }, d);
    REQUIRE(c);
    CHECK(texts(d) == std::vector<std::string>{"at 0x13c: dyld_shared_cache_arm64e: dyld_cache_header: "
                                               "mappingWithSlideCount 2 differs from mappingCount 3: slide info ignored"});
    CHECK_FALSE(c->main().mappings[1].slide);
  }
  SECTION("subcache mapping overlapping the main file's") {
    auto dir = mutated("overlap", [](const std::string& s, std::vector<uint8_t>& b) {
      if (s != ".01") return;
      put64(b, 0x200, 0x180000000);
      put64(b, 0x200 + 56, 0x180000000);
    });
    Diagnostics d;
    auto c = open_cache(main_path(dir), d);
    REQUIRE(c);
    const uint64_t sub_size = hex(man["mappings"][".01"][0][1]);
    CHECK(texts(d) == std::vector<std::string>{
                          fmt::format("at {:#x}: dyld_shared_cache_arm64e.01: first mapping at 0x180000000, but "
                                      "cacheVMOffset 0x100000 places the subcache at 0x180100000",
                                      get32(upscope::test::read_bytes(base_dir() / kMain), 0x188)),
                          fmt::format("dyld_shared_cache_arm64e.01: mapping 0: 0x180000000..{:#x} overlaps "
                                      "dyld_shared_cache_arm64e mapping 0 (0x180000000..{:#x}): ignored",
                                      0x180000000 + sub_size, 0x180000000 + hex(man["mappings"]["main"][0][1]))});
  }
}

TEST_CASE("dsc: malformed slide info", "[dsc]") {
  const auto man = manifest(base_dir());
  const uint64_t so = hex(man["slide_info"]["file_offset"]);
  const uint64_t ssize = man["slide_info"]["size"];
  auto run = [&](const std::string& tag, const std::function<void(std::vector<uint8_t>&)>& f) {
    Diagnostics d;
    auto c = open_mutated(tag, f, d);
    REQUIRE(c);
    return std::make_pair(std::move(*c), texts(d));
  };
  SECTION("page_starts beyond the mapping") {
    auto [c, t] = run("pages", [&](auto& b) { put32(b, so + 8, 4); });  // 3-page mapping
    CHECK(t == std::vector<std::string>{fmt::format("at {:#x}: dyld_shared_cache_arm64e: slide info of mapping 1: "
                                                    "page_starts_count 4 × page_size 0x1000 covers more than the "
                                                    "mapping's 0x3000 bytes", so)});
    REQUIRE(c.main().mappings[1].slide);
    CHECK(c.main().mappings[1].slide->page_count == 3);
  }
  SECTION("page_starts past the slide info") {
    auto [c, t] = run("starts", [&](auto& b) { put32(b, so + 8, 5); });
    CHECK(t == std::vector<std::string>{fmt::format("at {:#x}: dyld_shared_cache_arm64e: slide info of mapping 1: "
                                                    "page_starts (5 × 2 bytes at +0x18) run past the slide info "
                                                    "({:#x} bytes)", so, ssize)});
    CHECK_FALSE(c.main().mappings[1].slide);
  }
  SECTION("unsupported version") {
    auto [c, t] = run("version", [&](auto& b) { put32(b, so, 7); });
    CHECK(t == std::vector<std::string>{fmt::format("at {:#x}: dyld_shared_cache_arm64e: slide info of mapping 1: "
                                                    "version 7 is not supported (2, 3 and 5 are)", so)});
  }
  SECTION("bad page size") {
    auto [c, t] = run("pagesize", [&](auto& b) { put32(b, so + 4, 0x1234); });
    CHECK(t == std::vector<std::string>{fmt::format("at {:#x}: dyld_shared_cache_arm64e: slide info of mapping 1: "
                                                    "page_size 0x1234 is not a power of two in 0x400..0x10000", so + 4)});
  }
  SECTION("slide info past the file") {
    auto [c, t] = run("slidepast", [&](auto& b) { put64(b, 0x2a8 + 56 + 24, 0x10000000); });
    CHECK(t == std::vector<std::string>{fmt::format("at 0x10000000: dyld_shared_cache_arm64e: slide info of mapping 1: "
                                                    "0x10000000+{:#x} runs past the end of the file ({:#x} bytes)",
                                                    ssize, man["files"]["main"]["size"].get<uint64_t>())});
  }
  SECTION("rebase chain leaving the page") {
    const uint64_t ptr = hex(man["images"][0]["data_const_fileoff"]) + 0x18;  // alpha's second __got pointer
    auto [c, t] = run("chain", [&](auto& b) { put64(b, ptr, get64(b, ptr) | (0x7ffULL << 51)); });
    CHECK(t.empty());
    Diagnostics d;
    auto p = c.slid_pointers(hex(man["images"][0]["data_const"]), 0x1000, d);
    CHECK(p.size() == 2);
    CHECK(texts(d) == std::vector<std::string>{fmt::format("at {:#x}: dyld_shared_cache_arm64e: slide info of mapping 1, "
                                                           "page 0: rebase chain runs past the page at +0x4010",
                                                           ptr - 0x18 + 0x4010)});
  }
}

// ---- CLI -----------------------------------------------------------------------------------------

TEST_CASE("dsc: CLI images / image / addr / inspect", "[dsc]") {
  auto dir = base_dir();
  auto man = manifest(dir);
  auto r = upscope::test::run_upscope({"dsc", "images", main_path(dir), "--json"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto j = nlohmann::json::parse(r.out);
  CHECK(j["schema"] == "upscope/dyld-cache/1");
  REQUIRE(j["images"].size() == 3);
  CHECK(j["images"][1]["path"] == "/usr/lib/libbeta.dylib");
  CHECK(j["images"][1]["file"] == std::string(kMain) + ".01");
  CHECK(j["images"][1]["uuid"] == man["images"][1]["uuid"]);
  CHECK(j["images"][1]["current_version"] == "1.2.1");
  CHECK(j["images"][1]["exports"] == 3);
  CHECK(j["images"][1]["code_hash"].get<std::string>().size() == 64);
  CHECK(j["subcaches"][0]["opened"] == true);

  r = upscope::test::run_upscope({"dsc", "image", main_path(dir), "/usr/lib/libbeta.dylib"});
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("0x180101808 _beta_f1") != std::string::npos);
  CHECK(r.out.find("_beta_static0") != std::string::npos);
  CHECK(r.out.find("LC_DYLD_EXPORTS_TRIE") != std::string::npos);

  r = upscope::test::run_upscope({"dsc", "addr", main_path(dir), "0x180102808"});
  REQUIRE(r.exit_code == 0);
  CHECK(r.out == "0x180102808: dyld_shared_cache_arm64e.01 offset 0x2808, mapping 0 (__TEXT 0x180100000+0x3000), image "
                 "/System/Library/Frameworks/Gamma.framework/Versions/A/Gamma (+0x808)\n");
  r = upscope::test::run_upscope({"dsc", "addr", main_path(dir), "0x180003010"});
  REQUIRE(r.exit_code == 0);
  CHECK(r.out == "0x180003010: dyld_shared_cache_arm64e offset 0x3010, mapping 1 (__DATA_CONST 0x180002000+0x3000), "
                 "image /usr/lib/libbeta.dylib segment __DATA_CONST\n");
  r = upscope::test::run_upscope({"dsc", "addr", main_path(dir), "0x170000000"});
  CHECK(r.exit_code == 2);
  r = upscope::test::run_upscope({"dsc", "image", main_path(dir), "/nope"});
  CHECK(r.exit_code == 2);

  r = upscope::test::run_upscope({"inspect", "--json", main_path(dir)});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  j = nlohmann::json::parse(r.out);
  CHECK(j["inputs"][0]["format"] == "dyld-cache");
  CHECK(j["inputs"][0]["report"]["images"].size() == 3);
  CHECK(j["inputs"][0]["report"]["header"]["os_version"] == "14.0.0");
}
