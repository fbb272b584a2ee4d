// Kernel collections: the Boot/System/Aux KCs, legacy kernelcache and IM4P wrappers written by
// samples/gen/make_kc.py (values checked against what the generator computed with hashlib/zlib),
// llvm-objdump-16 on the generated files, the real PyIMG4 IM4P sample, the __PRELINK_INFO
// ID/IDREF dialect, one malformed input per rule (tests/malformed/{macho,kc}) with its exact message,
// radare2's fuzzer-found inputs, the CLI (ls / inspect) and the build inventory.
#include <filesystem>
#include <map>

#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include "analysis/image_facts.hpp"
#include "analysis/inventory.hpp"
#include "img4/im4p.hpp"
#include "inspect/source.hpp"
#include "kc/kc.hpp"
#include "kc/prelink.hpp"
#include "macho/macho.hpp"
#include "plist/parse.hpp"
#include "test_support.hpp"

using namespace upscope;
using upscope::test::run_shell;
using upscope::test::shell_quote;
using upscope::test::texts;
using upscope::test::joined;
namespace fs = std::filesystem;

namespace {

const fs::path& kc_dir() {
  static fs::path dir = [] {
    auto d = upscope::test::scratch_dir("kc-gen");
    auto r = run_shell("python3 " + shell_quote((upscope::test::source_dir() / "samples/gen/make_kc.py").string()) + " " +
                       shell_quote(d.string()) + " 2>&1");
    INFO(r.out);
    REQUIRE(r.exit_code == 0);
    return d;
  }();
  return dir;
}

nlohmann::json manifest() { return nlohmann::json::parse(upscope::test::read_file(kc_dir() / "MANIFEST.json")); }

Result<kc::KernelCollection> open_path(const fs::path& p, Diagnostics& d, kc::OpenOptions opt = {}) {
  auto src = FileSource::open(p.string());
  REQUIRE(src);
  return kc::open(*src, d, opt);
}

const kc::Entry* find(const kc::KernelCollection& kc, const std::string& id) {
  for (const auto& e : kc.entries)
    if (e.id == id) return &e;
  return nullptr;
}

// Every fileset entry the generator wrote, compared field by field.
void check_entries(const kc::KernelCollection& kc, const nlohmann::json& facts, bool content) {
  for (const auto& want : facts["entries"]) {
    const std::string id = want["entry_id"];
    INFO("entry " << id);
    const kc::Entry* e = find(kc, id);
    REQUIRE(e);
    CHECK_FALSE(e->error);
    CHECK(e->fileoff == want["fileoff"].get<uint64_t>());
    CHECK(e->vmaddr == want["vmaddr"].get<uint64_t>());
    CHECK(e->uuid == want["uuid"].get<std::string>());
    CHECK(e->code_sha256 == want["code_sha256"].get<std::string>());
    CHECK(e->code_bytes == want["code_bytes"].get<uint64_t>());
    CHECK(e->size == want["size"].get<uint64_t>());
    if (content) CHECK(e->content_hash == want["content_sha256"].get<std::string>());
    CHECK(e->is_kernel == (id == "com.apple.kernel"));
    if (!e->is_kernel) {
      CHECK(e->version == want["version"].get<std::string>());
      CHECK(e->short_version == want["version"].get<std::string>());
      CHECK(e->load_addr == want["vmaddr"].get<uint64_t>());
      CHECK(e->bundle_path.rfind("/System/Library/Extensions/", 0) == 0);
      CHECK(e->executable_path.rfind("Contents/MacOS/", 0) == 0);
    }
  }
}

}  // namespace

TEST_CASE("kc: generated Boot, System and Aux KCs", "[kc]") {
  auto man = manifest();
  Diagnostics db, ds, da;
  auto boot = open_path(kc_dir() / "boot.kc", db);
  REQUIRE(boot);
  INFO(joined(db));
  CHECK(db.empty());
  CHECK(boot->kind == kc::Kind::kBootKc);
  CHECK(boot->layers.empty());
  CHECK(boot->uuid == man["boot.kc"]["uuid"].get<std::string>());
  CHECK(boot->kc_id == boot->uuid);
  CHECK(boot->boot_kc_id.empty());
  CHECK(boot->kernel_version == man["darwin"].get<std::string>());
  CHECK(boot->top.arch == "arm64e");
  // kernel + 4 kexts + 2 codeless kexts from the plist only
  REQUIRE(boot->entries.size() == 7);
  CHECK(boot->kext_count() == 6);
  CHECK(boot->entries[0].id == "com.apple.kernel");
  CHECK(boot->entries[0].image->filetype == 2);
  check_entries(*boot, man["boot.kc"], true);
  const kc::Entry* codeless = find(*boot, "com.apple.kpi.bsd");
  REQUIRE(codeless);
  CHECK(codeless->codeless);
  CHECK(codeless->version == "23.0.0");
  CHECK_FALSE(codeless->image);
  REQUIRE(boot->prelink);
  CHECK(boot->prelink->kexts.size() == 6);
  // Versions, "Root", the shared personality dict ... are IDREFs after their first use.
  CHECK(boot->prelink->references_resolved > 10);

  auto system = open_path(kc_dir() / "system.kc", ds);
  REQUIRE(system);
  INFO(joined(ds));
  CHECK(ds.empty());
  CHECK(system->kind == kc::Kind::kSystemKc);
  CHECK(system->kind_reason == "_BootKCID and only com.apple.* kexts");
  CHECK(system->kernel_version.empty());
  CHECK(system->boot_kc_id == man["system.kc"]["boot_kc_id"].get<std::string>());
  CHECK(system->boot_kc_id == boot->uuid);
  CHECK(kc::check_boot_link(*system, *boot).empty());
  check_entries(*system, man["system.kc"], true);

  auto aux = open_path(kc_dir() / "aux.kc", da);
  REQUIRE(aux);
  CHECK(da.empty());
  CHECK(aux->kind == kc::Kind::kAuxKc);
  CHECK(aux->kind_reason == "_PageableKCID links it to a System KC");
  CHECK(aux->pageable_kc_id == system->uuid);
  CHECK(kc::check_boot_link(*aux, *boot).empty());
  CHECK(kc::check_boot_link(*aux, *system) ==
        std::string("system.kc is a system-kc, not a Boot KC"));
  CHECK(kc::check_boot_link(*boot, *boot) == std::string("boot.kc has no _BootKCID"));
  check_entries(*aux, man["aux.kc"], true);

  // Without a content hash the rest is unchanged.
  kc::OpenOptions no_hash;
  no_hash.content_hash.reset();
  no_hash.jobs = 1;
  Diagnostics dn;
  auto plain = open_path(kc_dir() / "boot.kc", dn, no_hash);
  REQUIRE(plain);
  check_entries(*plain, man["boot.kc"], false);
  CHECK(plain->entries[1].content_hash.empty());
}

TEST_CASE("kc: legacy kernelcache, IM4P with LZSS and with LZFSE", "[kc]") {
  auto man = manifest();
  const auto& lf = man["kernelcache"];
  auto check_legacy = [&](const kc::KernelCollection& kc) {
    CHECK(kc.kind == kc::Kind::kKernelcache);
    CHECK(kc.kernel_version == man["darwin"].get<std::string>());
    CHECK(kc.uuid == lf["uuid"].get<std::string>());
    REQUIRE(kc.entries.size() == 5);  // kernel, 3 kexts, 1 codeless
    CHECK(kc.entries[0].is_kernel);
    CHECK(kc.entries[0].id == "com.apple.kernel");
    CHECK(kc.entries[0].code_sha256 == lf["kernel_code_sha256"].get<std::string>());
    for (const auto& k : lf["kexts"]) {
      const kc::Entry* e = find(kc, k["bundle_id"]);
      REQUIRE(e);
      CHECK(e->fileoff == k["fileoff"].get<uint64_t>());
      CHECK(e->vmaddr == k["vmaddr"].get<uint64_t>());
      CHECK(e->uuid == k["uuid"].get<std::string>());
      CHECK(e->version == k["version"].get<std::string>());
      CHECK(e->code_sha256 == k["code_sha256"].get<std::string>());
    }
    CHECK(find(kc, "com.apple.kpi.bsd")->codeless);
  };
  {
    Diagnostics d;
    auto kc = open_path(kc_dir() / "kernelcache", d);
    REQUIRE(kc);
    INFO(joined(d));
    CHECK(d.empty());
    CHECK(kc->layers.empty());
    check_legacy(*kc);
  }
  {
    Diagnostics d;
    auto kc = open_path(kc_dir() / "kernelcache.im4p", d);
    REQUIRE(kc);
    INFO(joined(d));
    CHECK(d.empty());
    CHECK(kc->layers == std::vector<std::string>{"im4p krnl", "lzss"});
    CHECK(kc->macho.size() == lf["size"].get<uint64_t>());
    check_legacy(*kc);
  }
  {
    Diagnostics d;
    auto kc = open_path(kc_dir() / "boot.im4p", d);
    REQUIRE(kc);
    CHECK(d.empty());
    CHECK(kc->layers == std::vector<std::string>{"im4p krnl", "lzfse"});
    CHECK(kc->kind == kc::Kind::kBootKc);
    check_entries(*kc, man["boot.kc"], true);
  }
  {  // a wrong Adler-32 in the complzss header is an error diagnostic, the bytes are still read
    auto b = upscope::test::read_bytes(kc_dir() / "kernelcache.im4p");
    auto src = FileSource::open((kc_dir() / "kernelcache.im4p").string());
    auto p = img4::parse_im4p(ByteReader(Bytes(b)));
    REQUIRE(p);
    const uint64_t at = p->payload.base() + 8;
    b[at] ^= 0xff;
    Diagnostics d;
    auto kc = kc::read(ByteReader(Bytes(b)), "k.im4p", d);
    REQUIRE(kc);
    REQUIRE(d.items().size() == 1);
    CHECK(d.items()[0].text().find(fmt::format("at {:#x}: complzss header: Adler-32 of the decoded data is", at)) == 0);
  }
}

TEST_CASE("kc: the real PyIMG4 IM4P sample", "[kc][samples]") {
  UPSCOPE_REQUIRE_SAMPLE(p, "pyimg4_IM4P");
  auto bytes = upscope::test::read_bytes(p);
  REQUIRE(bytes.size() == 49466);
  auto im = img4::parse_im4p(ByteReader(Bytes(bytes)));
  REQUIRE(im);
  // MANIFEST §6: fourcc "test", description "Test Image4 payload.", payload 49424 bytes, uncompressed.
  CHECK(im->type == "test");
  CHECK(im->description == "Test Image4 payload.");
  CHECK(im->payload.size() == 49424);
  CHECK(im->payload_kind() == "raw");
  CHECK_FALSE(im->has_keybag);
  CHECK_FALSE(im->compression);
  Diagnostics d;
  auto kc = open_path(p, d);
  REQUIRE(kc);
  CHECK(kc->layers == std::vector<std::string>{"im4p test"});
  CHECK(kc->kind == kc::Kind::kMachO);
  CHECK(kc->top.arch == "x86_64");
  CHECK(kc->macho.size() == 49424);
  REQUIRE(kc->entries.size() == 1);
  auto r = upscope::test::run_upscope({"ls", "--json", p.string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto doc = nlohmann::json::parse(r.out);
  CHECK(doc["schema"] == "upscope/kc-ls/1");
  CHECK(doc["layers"][0] == "im4p test");
  // Truncated anywhere: a clean error, never a crash.
  for (size_t cut : {size_t{1}, size_t{2}, size_t{6}, size_t{40}, size_t{100}, bytes.size() - 1}) {
    Diagnostics dc;
    auto t = kc::read(ByteReader(Bytes(bytes.data(), cut)), "cut", dc);
    CHECK_FALSE(t);
  }
}

// Our IOKit-XML reader against libplist on every generated collection's real PRELINK_INFO text.
TEST_CASE("kc: PRELINK_INFO of the generated collections reads as libplist reads it", "[kc][plist]") {
  for (const char* f : {"boot.kc", "system.kc", "aux.kc", "kernelcache"}) {
    INFO(f);
    Diagnostics d;
    auto kc = open_path(kc_dir() / f, d);
    REQUIRE(kc);
    REQUIRE(kc->prelink);
    const macho::Segment* seg = kc->top.segment("__PRELINK_INFO");
    REQUIRE(seg);
    auto xml = kc->macho.sub(seg->fileoff, seg->filesize, "__PRELINK_INFO");
    REQUIRE(xml);
    uint64_t refs = 0;
    auto text = kc::resolve_idrefs(*xml, &refs);
    REQUIRE(text);
    CHECK(refs == kc->prelink->references_resolved);
    auto root = plist::parse(Bytes(reinterpret_cast<const uint8_t*>(text->data()), text->size()), "x", plist::Syntax::kXml);
    REQUIRE(root);
    REQUIRE(plist::get(*root));
    plist_t arr = plist_dict_get_item(plist::get(*root), "_PrelinkInfoDictionary");
    REQUIRE(arr);
    REQUIRE(kc->prelink->kexts.size() == plist_array_get_size(arr));
    for (uint32_t i = 0; i < plist_array_get_size(arr); ++i) {
      plist_t k = plist_array_get_item(arr, i);
      const auto& x = kc->prelink->kexts[i];
      INFO(x.bundle_id);
      CHECK(x.bundle_id == plist::string_item(k, "CFBundleIdentifier"));
      CHECK(x.version == plist::string_item(k, "CFBundleVersion"));
      CHECK(x.short_version == plist::string_item(k, "CFBundleShortVersionString"));
      CHECK(x.bundle_path == plist::string_item(k, "_PrelinkBundlePath"));
      CHECK(x.executable_path == plist::string_item(k, "_PrelinkExecutableRelativePath"));
      CHECK(x.executable == plist::string_item(k, "CFBundleExecutable"));
      plist_t a = plist_dict_get_item(k, "_PrelinkExecutableLoadAddr");
      CHECK(x.load_addr.has_value() == (a != nullptr));
      if (a) {
        uint64_t v = 0;
        plist_get_uint_val(a, &v);
        CHECK(x.load_addr == v);
      }
    }
    plist_t id = plist_dict_get_item(plist::get(*root), "_PrelinkKCID");
    CHECK(kc->prelink->kc_id.has_value() == (id != nullptr));
    if (id) {
      uint64_t len = 0;
      const char* p = plist_get_data_ptr(id, &len);
      REQUIRE(len == 16);
      CHECK(std::equal(kc->prelink->kc_id->begin(), kc->prelink->kc_id->end(), reinterpret_cast<const uint8_t*>(p)));
    }
  }
}

TEST_CASE("kc: __PRELINK_INFO ID/IDREF resolution", "[kc]") {
  auto resolve = [](const std::string& xml, kc::ResolveLimits lim = {}) {
    return kc::resolve_idrefs(ByteReader(Bytes(reinterpret_cast<const uint8_t*>(xml.data()), xml.size()), 0x100), nullptr, lim);
  };
  auto r = resolve("<dict><key>a</key><string ID=\"1\">x</string><key>b</key><string IDREF=\"1\"/>"
                   "<key>c</key><integer size=\"64\" ID=\"2\">0x10</integer><key>d</key><integer IDREF=\"2\"/>"
                   "<key>e</key><set ID=\"3\"><true/></set><key>f</key><array IDREF=\"3\"></array></dict>");
  REQUIRE(r);
  CHECK(*r == "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plist version=\"1.0\"><dict><key>a</key><string>x</string>"
              "<key>b</key><string>x</string><key>c</key><integer>0x10</integer><key>d</key><integer>0x10</integer>"
              "<key>e</key><array><true/></array><key>f</key><array><true/></array></dict></plist>\n");
  CHECK(resolve("<dict><key>a</key><string IDREF=\"9\"/></dict>").error().message() ==
        "PRELINK_INFO plist at 0x112: IDREF=\"9\" refers to no earlier ID");
  CHECK(resolve("<dict ID=\"1\"><key>a</key><dict IDREF=\"1\"/></dict>").error().message() ==
        "PRELINK_INFO plist at 0x119: IDREF=\"1\" refers to an element that contains it (cycle)");
  CHECK(resolve("<dict><key>a</key></array>").error().message() ==
        "PRELINK_INFO plist at 0x112: end tag </array> does not close <dict> (opened at 0x100)");
  CHECK(resolve("<dict><key>a</key>").error().message() ==
        "PRELINK_INFO plist at 0x100: <dict> is not closed before the end of the text");
  // Billion laughs: every level doubles the previous one.
  std::string bomb = "<array ID=\"0\"><string>aaaaaaaaaaaaaaaa</string></array>";
  for (int i = 1; i < 40; ++i) bomb += fmt::format("<array ID=\"{}\"><array IDREF=\"{}\"/><array IDREF=\"{}\"/></array>", i, i - 1, i - 1);
  kc::ResolveLimits lim;
  lim.max_output = 1 << 20;
  auto b = resolve("<array>" + bomb + "</array>", lim);
  REQUIRE_FALSE(b);
  CHECK(b.error().code == ErrorCode::kLimit);
  CHECK(b.error().rule == "ID/IDREF expansion exceeds 1048576 bytes");
  std::string deep;
  for (int i = 0; i < 300; ++i) deep += "<array>";
  CHECK(resolve(deep).error().rule == "nesting deeper than 256 elements");
}

TEST_CASE("kc: malformed inputs, one rule each, exact messages", "[kc]") {
  const fs::path dir = upscope::test::source_dir() / "tests/malformed";
  // Mach-O rules: read by the plain reader (macho::parse), which kc::open uses for every image.
  const std::map<std::string, std::string> macho_rules = {
      {"cmdsize-0", "at 0x20: load command 0 (LC_SEGMENT_64): cmdsize 0 is smaller than 8: the remaining commands "
                    "cannot be located"},
      {"cmdsize-past-sizeofcmds", "at 0x68: load command 1 (LC_SEGMENT_64): cmdsize 4096 extends past the end of the "
                                  "load commands"},
      {"segment-past-end", "at 0x68: load command 1 (LC_SEGMENT_64 __DATA): fileoff+filesize 0x200+0x10000 extends "
                           "past the end of the file (0x400 bytes)"},
      {"overlapping-segments", "at 0x68: load command 1 (LC_SEGMENT_64 __DATA): fileoff+filesize 0x100..0x300 overlaps "
                               "segment __TEXT (load command 0) 0x0..0x200"},
  };
  for (const auto& [name, want] : macho_rules) {
    INFO("rule " << name);
    Diagnostics d;
    auto kc = open_path(dir / "macho" / (name + ".bin"), d);
    REQUIRE(kc);
    CHECK(kc->kind == kc::Kind::kMachO);
    auto t = texts(d);
    CHECK(std::find(t.begin(), t.end(), want) != t.end());
    if (std::find(t.begin(), t.end(), want) == t.end()) FAIL_CHECK(joined(d));
  }
  {
    Diagnostics d;
    auto kc = open_path(dir / "kc/fileset-entry-outside-file.bin", d);
    REQUIRE(kc);
    INFO(joined(d));
    CHECK(texts(d) == std::vector<std::string>{
                          "at 0x160: load command 4 (LC_FILESET_ENTRY com.example.tiny): fileoff 0x10000 puts the entry's "
                          "header past the end of the file",
                          "fileset entry com.example.tiny: header offset 0x10000 is past the end of the collection "
                          "(0x800 bytes)"});
    REQUIRE(kc->entries.size() == 1);
    CHECK(kc->entries[0].error);
  }
  {
    Diagnostics d;
    auto kc = open_path(dir / "kc/prelink-info-not-dict.bin", d);
    REQUIRE(kc);
    CHECK(texts(d) == std::vector<std::string>{"at 0x600: PRELINK_INFO plist: the root is a <array>, not a <dict>"});
    CHECK_FALSE(kc->prelink);
    CHECK(kc->entries.size() == 1);
    CHECK(kc->kind == kc::Kind::kFileset);
  }
  {
    Diagnostics d;
    auto kc = open_path(dir / "kc/prelink-idref-unknown.bin", d);
    REQUIRE(kc);
    CHECK(texts(d) == std::vector<std::string>{"at 0x651: PRELINK_INFO plist: IDREF=\"7\" refers to no earlier ID"});
  }
  {
    Diagnostics d;
    auto kc = open_path(dir / "kc/im4p-payload-past-end.bin", d);
    REQUIRE_FALSE(kc);
    CHECK(kc.error().message() == "im4p-payload-past-end.bin: IM4P at 0x0: the SEQUENCE declares 0x54 content bytes but "
                                  "only 0x44 follow its header");
    // The same payload inside a SEQUENCE whose length is right: the OCTET STRING is what overflows.
    auto b = upscope::test::read_bytes(dir / "kc/im4p-payload-past-end.bin");
    b[1] = static_cast<uint8_t>(b.size() - 2);
    auto p = img4::parse_im4p(ByteReader(Bytes(b)));
    REQUIRE_FALSE(p);
    CHECK(p.error().message() == "IM4P payload at 0x14: OCTET STRING length 0x40 extends past the end of the IM4P "
                                 "SEQUENCE (0x30 bytes remain)");
  }
}

TEST_CASE("kc: radare2 fuzzer-found inputs give clean results", "[kc][samples]") {
  UPSCOPE_REQUIRE_SAMPLE(dir, "r2");
  for (const char* f : {"xnu-kernelcache-oobread", "crash-macho", "macho-negativesymcount", "dyldcache_read4",
                        "dyldcache_read8"}) {
    INFO(f);
    Diagnostics d;
    auto kc = open_path(dir / f, d);
    if (std::string(f).rfind("dyldcache", 0) == 0) {
      REQUIRE_FALSE(kc);
      CHECK(kc.error().message().find("mach_header") != std::string::npos);
    } else {
      REQUIRE(kc);
      CHECK_FALSE(d.empty());  // every one of them breaks some rule
    }
  }
  Diagnostics d;
  auto kc = open_path(dir / "xnu-kernelcache-oobread", d);
  REQUIRE(kc);
  CHECK(kc->top.filetype == 2);
}

TEST_CASE("kc: llvm-objdump-16 reads generated KCs and every extracted entry", "[kc]") {
  if (run_shell("command -v llvm-objdump-16 >/dev/null 2>&1").exit_code != 0) {
    WARN("SKIPPED: llvm-objdump-16 is not installed (Debian package llvm-16)");
    return;
  }
  auto man = manifest();
  const std::string gen = (upscope::test::source_dir() / "samples/gen/make_kc.py").string();
  for (const char* f : {"boot.kc", "system.kc", "aux.kc", "kernelcache"}) {
    INFO(f);
    auto r = run_shell("llvm-objdump-16 --macho --private-headers " + shell_quote((kc_dir() / f).string()) + " 2>&1");
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("error") == std::string::npos);
    CHECK(r.out.find("truncated or malformed") == std::string::npos);
    if (std::string(f) != "kernelcache") CHECK(r.out.find("FILESET") != std::string::npos);
  }
  for (const char* f : {"boot.kc", "system.kc", "aux.kc"}) {
    for (const auto& e : man[f]["entries"]) {
      const std::string id = e["entry_id"];
      INFO(f << " entry " << id);
      const auto out = kc_dir() / (std::string(f) + "." + id);
      auto x = run_shell("python3 " + shell_quote(gen) + " --extract " + shell_quote((kc_dir() / f).string()) + " " +
                         shell_quote(id) + " " + shell_quote(out.string()) + " 2>&1");
      REQUIRE(x.exit_code == 0);
      auto r = run_shell("llvm-objdump-16 --macho --private-headers " + shell_quote(out.string()) + " 2>&1");
      CHECK(r.exit_code == 0);
      CHECK(r.out.find("error") == std::string::npos);
      CHECK(r.out.find(id == "com.apple.kernel" ? "EXECUTE" : "KEXTBUNDLE") != std::string::npos);
      CHECK(r.out.find(e["uuid"].get<std::string>()) != std::string::npos);
    }
  }
}

TEST_CASE("kc: each entry's symbols and function starts, as the generator and llvm-objdump-16 see them", "[kc]") {
  auto man = manifest();
  Diagnostics d;
  kc::OpenOptions opt;
  opt.symbols = true;
  auto kc = open_path(kc_dir() / "boot.kc", d, opt);
  REQUIRE(kc);
  const bool have_llvm = run_shell("command -v llvm-objdump-16 >/dev/null 2>&1").exit_code == 0;
  if (!have_llvm) WARN("SKIPPED: the llvm-objdump-16 half (Debian package llvm-16)");
  const std::string gen = (upscope::test::source_dir() / "samples/gen/make_kc.py").string();
  for (const auto& want : man["boot.kc"]["entries"]) {
    const std::string id = want["entry_id"];
    INFO("entry " << id);
    const kc::Entry* e = find(*kc, id);
    REQUIRE(e);
    REQUIRE(e->image);
    std::vector<std::string> names;
    for (const auto& s : e->image->symbols) names.push_back(s.name);
    CHECK(names == want["functions"].get<std::vector<std::string>>());
    REQUIRE(e->image->function_starts.size() == names.size());
    for (size_t k = 0; k < names.size(); ++k) CHECK(e->image->function_starts[k] == e->image->symbols[k].value);
    if (!have_llvm) continue;
    // llvm-objdump's symbol table of the entry copied out: the same names at the same addresses.
    const auto out = kc_dir() / ("syms." + id);
    REQUIRE(run_shell("python3 " + shell_quote(gen) + " --extract " + shell_quote((kc_dir() / "boot.kc").string()) +
                      " " + shell_quote(id) + " " + shell_quote(out.string())).exit_code == 0);
    auto r = run_shell("llvm-objdump-16 --macho --syms " + shell_quote(out.string()));
    REQUIRE(r.exit_code == 0);
    for (const auto& s : e->image->symbols)
      CHECK(r.out.find(fmt::format("{:016x} g     F __TEXT_EXEC,__text {}\n", s.value, s.name)) != std::string::npos);
  }
}

TEST_CASE("kc: CLI ls and inspect", "[kc]") {
  auto man = manifest();
  const std::string boot = (kc_dir() / "boot.kc").string(), system = (kc_dir() / "system.kc").string();
  auto r = upscope::test::run_upscope({"ls", boot});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("boot-kc (holds the kernel (fileset entry com.apple.kernel)), arm64e, 7 entries (6 kexts)") !=
        std::string::npos);
  CHECK(r.out.find("kernel: " + man["darwin"].get<std::string>()) != std::string::npos);
  CHECK(r.out.find("com.apple.driver.Kext0001  2.1.1") != std::string::npos);
  CHECK(r.out.find(man["boot.kc"]["entries"][1]["code_sha256"].get<std::string>()) != std::string::npos);

  r = upscope::test::run_upscope({"ls", "--json", "--hash", "sha256", boot});
  REQUIRE(r.exit_code == 0);
  auto doc = nlohmann::json::parse(r.out);
  CHECK(doc["schema"] == "upscope/kc-ls/1");
  CHECK(doc["kind"] == "boot-kc");
  CHECK(doc["entry_count"] == 7);
  CHECK(doc["kernel_version"] == man["darwin"]);
  CHECK(doc["entries"][2]["bundle_id"] == "com.apple.driver.Kext0001");
  CHECK(doc["entries"][2]["content_hash"] == man["boot.kc"]["entries"][2]["content_sha256"]);
  CHECK(doc["entries"][2]["load_address"] == man["boot.kc"]["entries"][2]["vmaddr"]);
  {  // ls writes its rows straight to text: they must be the library's kc::to_json, member for member
    upscope::Diagnostics d;
    auto src = upscope::FileSource::open(boot);
    REQUIRE(src);
    auto k = upscope::kc::open(*src, d);  // default options: code hash and SHA-256 content hash, as above
    REQUIRE(k);
    const auto lib = nlohmann::json::parse(upscope::kc::to_json(*k).dump());
    CHECK(doc["entries"] == lib["entries"]);
    for (auto it = lib.begin(); it != lib.end(); ++it) CHECK(doc[it.key()] == it.value());
  }

  r = upscope::test::run_upscope({"ls", "--json", boot + ":/com.apple.driver.Kext0002"});
  REQUIRE(r.exit_code == 0);
  doc = nlohmann::json::parse(r.out);
  REQUIRE(doc["entries"].size() == 1);
  CHECK(doc["entries"][0]["uuid"] == man["boot.kc"]["entries"][3]["uuid"]);

  r = upscope::test::run_upscope({"ls", "--json", system + ":" + boot});
  REQUIRE(r.exit_code == 0);
  doc = nlohmann::json::parse(r.out);
  CHECK(doc["boot_kc"]["linked"] == true);
  CHECK(doc["boot_kc_id"] == man["boot.kc"]["uuid"]);
  r = upscope::test::run_upscope({"ls", system + ":" + system});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("is a system-kc, not a Boot KC") != std::string::npos);

  r = upscope::test::run_upscope({"ls", (kc_dir() / "kernelcache.im4p").string()});
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("kernelcache (MH_EXECUTE with a __PRELINK_INFO segment), arm64e, 5 entries (4 kexts), unwrapped "
                   "from im4p krnl > lzss") != std::string::npos);

  r = upscope::test::run_upscope({"inspect", boot});
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("  collection: boot-kc (holds the kernel (fileset entry com.apple.kernel))") != std::string::npos);
  CHECK(r.out.find("  kernel version: " + man["darwin"].get<std::string>()) != std::string::npos);
  CHECK(r.out.find("  entries: 7 (6 kexts, 6 in __PRELINK_INFO)") != std::string::npos);
  r = upscope::test::run_upscope({"inspect", "--json", (kc_dir() / "kernelcache.im4p").string()});
  REQUIRE(r.exit_code == 0);
  doc = nlohmann::json::parse(r.out);
  CHECK(doc["inputs"][0]["report"]["type"] == "krnl");
  CHECK(doc["inputs"][0]["report"]["payload_compression"] == "lzss");
  CHECK(doc["inputs"][0]["report"]["kernel_collection"]["kind"] == "kernelcache");
  CHECK(doc["inputs"][0]["report"]["kernel_collection"]["entry_count"] == 5);
}

TEST_CASE("kc: build inventory uses PRELINK_INFO bundle ids and versions", "[kc]") {
  auto man = manifest();
  auto root = upscope::test::scratch_dir("kc-inventory");
  fs::create_directories(root / "System/Library/KernelCollections");
  fs::copy_file(kc_dir() / "boot.kc", root / "System/Library/KernelCollections/BootKernelExtensions.kc");
  fs::copy_file(kc_dir() / "system.kc", root / "System/Library/KernelCollections/SystemKernelExtensions.kc");
  Diagnostics d;
  build::InventoryOptions opt;
  auto inv = build::make_inventory(root.string(), opt, d);
  REQUIRE(inv);
  const Component* k = inv->find("com.apple.driver.Kext0001");
  REQUIRE(k);
  CHECK(k->kind == ComponentKind::kKext);
  CHECK(k->space == Space::kKernel);
  CHECK(k->location == Location::kBootKc);
  CHECK(k->version == "2.1.1");
  CHECK(k->uuid == man["boot.kc"]["entries"][2]["uuid"].get<std::string>());
  // Byte truth: the entry's own bytes (its segments without the shared LINKEDIT), as make_kc.py hashed them.
  CHECK(k->hashes.at("sha256") == man["boot.kc"]["entries"][2]["content_sha256"].get<std::string>());
  CHECK(k->code_hash.size() == 32);  // the symbolic code hash (XXH3-128)
  const Component* kern = inv->find("com.apple.kernel");
  REQUIRE(kern);
  CHECK(kern->kind == ComponentKind::kKernel);
  CHECK(kern->version == man["darwin"].get<std::string>());
  const Component* s = inv->find("com.apple.system.driver.Kext0003");
  REQUIRE(s);
  CHECK(s->location == Location::kSystemKc);
  CHECK(s->version == "4.3.0");
  const Component* cl = inv->find("com.apple.kpi.bsd");
  REQUIRE(cl);
  CHECK(cl->version == "23.0.0");
}

// A kext that only moved inside its collection (the kernel before it grew by whole pages) has new
// B/BL and ADRP immediates and nothing else: its code hash must stay; any other instruction change
// must show.
TEST_CASE("kc: entry code hash ignores the immediates a move changes, not other instructions", "[kc]") {
  const auto bytes = upscope::test::read_bytes(kc_dir() / "boot.kc");
  const std::string id = manifest()["boot.kc"]["entries"][1]["entry_id"];
  uint64_t text_off = 0;
  {
    Diagnostics d;
    auto kc = open_path(kc_dir() / "boot.kc", d);
    REQUIRE(kc);
    const kc::Entry* e = find(*kc, id);
    REQUIRE(e);
    REQUIRE(e->image);
    for (const auto& seg : e->image->segments)
      for (const auto& s : seg.sections)
        if (s.sectname == "__text") text_off = s.offset;
  }
  REQUIRE(text_off != 0);
  auto hash_with = [&](std::vector<uint32_t> words) {
    auto copy = bytes;
    for (size_t i = 0; i < words.size(); ++i)
      for (int k = 0; k < 4; ++k) copy[text_off + 4 * i + k] = uint8_t(words[i] >> (8 * k));
    Diagnostics d;
    auto kc = kc::open(std::make_shared<MemorySource>(std::move(copy), "boot.kc"), d);
    REQUIRE(kc);
    const kc::Entry* e = find(*kc, id);
    REQUIRE(e);
    return e->code_sha256;
  };
  // bl +0x100; adrp x0, +1 page; add x0, x0, #0x10   vs the same after a move: other immediates.
  const std::string before = hash_with({0x94000040, 0x90000000 | (1u << 29), 0x91004000});
  CHECK(hash_with({0x94000840, 0x90000000 | (3u << 29) | (2u << 5), 0x91004000}) == before);
  CHECK(hash_with({0x97fffff0, 0x90000000 | (5u << 5), 0x91004000}) == before);  // bl backwards; other page
  // A different page offset, register or instruction is a code change.
  CHECK(hash_with({0x94000040, 0x90000000 | (1u << 29), 0x91008000}) != before);
  CHECK(hash_with({0x94000040, 0x90000001 | (1u << 29), 0x91004000}) != before);
  CHECK(hash_with({0xd503201f, 0x90000000 | (1u << 29), 0x91004000}) != before);
}

// Per-function hashes (build diffs) read arm64_32 as AArch64 too, and name a call by the function it
// reaches (symbolic normalisation, docs/diff.md §2): a call to another function is a change.
TEST_CASE("kc: function hashes name callees on arm64 and arm64_32, and keep bytes on other CPUs", "[kc][build]") {
  const auto bytes = upscope::test::read_bytes(kc_dir() / "boot.kc");
  const std::string id = manifest()["boot.kc"]["entries"][1]["entry_id"];
  kc::OpenOptions opt;
  opt.symbols = true;
  auto open_with = [&](uint32_t first_word) {
    Diagnostics d;
    auto kc = open_path(kc_dir() / "boot.kc", d, opt);
    REQUIRE(kc);
    const kc::Entry* e = find(*kc, id);
    REQUIRE(e);
    REQUIRE(e->image);
    uint64_t text_off = 0;
    for (const auto& seg : e->image->segments)
      for (const auto& s : seg.sections)
        if (s.sectname == "__text") text_off = s.offset;
    REQUIRE(text_off != 0);
    auto copy = bytes;
    for (int k = 0; k < 4; ++k) copy[text_off + k] = uint8_t(first_word >> (8 * k));
    Diagnostics d2;
    auto patched = kc::open(std::make_shared<MemorySource>(std::move(copy), "boot.kc"), d2, opt);
    REQUIRE(patched);
    return std::move(*patched);
  };
  auto before = open_with(0x94000040), after = open_with(0x94000080);  // bl to the 2nd function; to the 3rd
  auto hashes = [&](const kc::KernelCollection& kc, uint32_t cputype) {
    macho::MachO m = *find(kc, id)->image;
    m.cputype = cputype;
    return build::image_facts(build::file_image(m, kc.macho, "x", nullptr), true).functions;
  };
  for (uint32_t cpu : {0x0100000Cu, 0x0200000Cu}) {  // CPU_TYPE_ARM64, CPU_TYPE_ARM64_32
    INFO("cputype " << cpu);
    auto a = hashes(before, cpu);
    REQUIRE(a.size() > 2);
    CHECK(a != hashes(after, cpu));  // another callee
  }
  CHECK(hashes(before, 0x0100000Cu) == hashes(before, 0x0200000Cu));  // the same reading for both
  CHECK(hashes(before, 18) != hashes(before, 0x0100000Cu));  // CPU_TYPE_POWERPC: bytes as they are
}
