// Byte truth and change classes (docs/diff.md): every component whose bytes differ is a change, the
// verdict is decided on bytes, and the classes say which bytes. Builds are assembled from the real
// shared samples and from our writers (make_program.py, make_kc.py, make_dyld_cache.py); each case
// below was answered wrongly before (0 changes, or "RSR-eligible: yes").
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "analysis/image_facts.hpp"
#include "inspect/source.hpp"
#include "inspect/text.hpp"
#include "macho/macho.hpp"
#include "test_support.hpp"

using namespace upscope;
using namespace upscope::test;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const char* kHello = "usr/bin/hello";
const char* kSafari = "System/Cryptexes/App/System/Applications/Safari.app/Contents/MacOS/Safari";
const char* kKc = "System/Library/KernelCollections/BootKernelExtensions.kc";
const char* kDyld = "System/Cryptexes/OS/System/Library/dyld";

void put(const fs::path& root, const std::string& rel, const std::vector<uint8_t>& bytes) {
  fs::create_directories((root / rel).parent_path());
  write_bytes(root / rel, bytes);
}

// make_program.py OUT ARGS: the program image, read back.
std::vector<uint8_t> program(const fs::path& dir, const std::string& name, const std::string& args = "") {
  const fs::path out = dir / name;
  auto r = run_writer("make_program.py", shell_quote(out.string()) + " " + args);
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  return read_bytes(out);
}

struct SectionAt {
  uint64_t offset = 0, addr = 0, size = 0;
};

// Where a section lies in a thin Mach-O, by our reader (the file offsets are what the tests edit).
SectionAt section_of(const std::vector<uint8_t>& bytes, const std::string& seg, const std::string& sect) {
  MemorySource src(bytes, "image");
  Diagnostics d;
  auto f = macho::parse_file(src, d);
  REQUIRE(f);
  REQUIRE(f->slices.size() == 1);
  for (const auto& s : f->slices[0].image->segments)
    for (const auto& x : s.sections)
      if (x.segname == seg && x.sectname == sect) return {x.offset, x.addr, x.size};
  FAIL("no section " << seg << "," << sect);
  return {};
}

json run_json(const std::vector<std::string>& args, int want_exit) {
  auto r = run_upscope(args);
  INFO(r.err);
  REQUIRE(r.exit_code == want_exit);
  return json::parse(r.out);
}

const json& change_of(const json& doc, const std::string& id) {
  for (const auto& c : doc["diff"]["changes"])
    if (c["id"] == id) return c;
  FAIL("no change for " << id << " in " << doc["diff"]["changes"].dump(1));
  static json none;
  return none;
}

const json* function_of(const json& change, const std::string& name) {
  for (const auto& f : change["functions"])
    if (f["name"] == name || f["id"] == name) return &f;
  return nullptr;
}

bool has_line(const json& lines, const std::string& text) {
  return std::any_of(lines.begin(), lines.end(), [&](const json& l) { return l.get<std::string>() == text; });
}

}  // namespace

TEST_CASE("a one-byte __cstring change on the sealed system volume is a data change, and never a yes",
          "[diff][classes][verdict][samples]") {
  UPSCOPE_REQUIRE_SAMPLE(hello_src, "r2/hello-macos-arm64-chained");
  auto dir = scratch_dir("classes-cstring");
  const fs::path a = dir / "old", b = dir / "new";
  auto hello = read_bytes(hello_src);
  put(a, kHello, hello);
  put(a, kSafari, program(dir, "safari-a"));
  // One byte of a string literal on the SSV, and a code change (another callee) in the App cryptex.
  auto cstr = section_of(hello, "__TEXT", "__cstring");
  REQUIRE(cstr.size > 8);
  hello[cstr.offset + 4] ^= 0x20;
  put(b, kHello, hello);
  put(b, kSafari, program(dir, "safari-b", "--call _strlcpy"));

  auto d = run_json({"diff", "--json", a.string(), b.string()}, 1);
  const auto& h = change_of(d, "/usr/bin/hello");
  CHECK(h["change"] == "modified");
  CHECK(h["classes"] == json::array({"data"}));
  // The string's own section first; then the CFString constants whose pointers reach it (their bytes
  // are the same, what they point to is not).
  REQUIRE(h["details"].size() == 2);
  CHECK(h["details"][0]["what"] == "__TEXT,__cstring");
  CHECK(h["details"][0]["note"] == "1 byte");
  CHECK(h["details"][1]["what"] == "__DATA_CONST,__cfstring");
  CHECK(h["details"][1]["note"] == "same bytes; what its pointers point to changed");
  CHECK(h["summary"].get<std::string>().rfind("data changed (__TEXT,__cstring, 1 byte; ", 0) == 0);
  const auto& s = change_of(d, "/System/Applications/Safari.app/Contents/MacOS/Safari");
  CHECK(s["classes"] == json::array({"code"}));
  const json* main = function_of(s, "_main");
  REQUIRE(main);
  CHECK((*main)["change"] == "modified");
  CHECK((*main)["changed_instructions"] == 1);
  CHECK((*main)["calls_added"] == json::array({"_strlcpy"}));
  CHECK((*main)["calls_removed"] == json::array({"_strcpy"}));

  auto v = run_json({"verdict", "--json", a.string(), b.string()}, 1);
  CHECK(v["verdict"]["rsr_eligible"] == "no");
  CHECK(v["verdict"]["deciding"] == json::array({"/usr/bin/hello"}));
  REQUIRE(v["verdict"]["evidence"].size() == 1);
  const std::string ev = v["verdict"]["evidence"][0];
  CHECK(ev.rfind("/usr/bin/hello: data changed (__TEXT,__cstring, 1 byte; ", 0) == 0);
  CHECK(ev.size() > 30);
  CHECK(ev.substr(ev.size() - 29) == ") on the sealed system volume");
  auto text = run_upscope({"verdict", a.string(), b.string()});
  CHECK(text.exit_code == 1);
  CHECK(text.out.find("RSR-eligible: no") != std::string::npos);
  CHECK(text.out.find("evidence: /usr/bin/hello: data changed (__TEXT,__cstring, 1 byte") != std::string::npos);
  // The App cryptex change alone is what an RSR can ship.
  fs::copy_file(a / kHello, b / kHello, fs::copy_options::overwrite_existing);
  auto yes = run_json({"verdict", "--json", a.string(), b.string()}, 0);
  CHECK(yes["verdict"]["rsr_eligible"] == "yes");
  CHECK(has_line(yes["verdict"]["evidence"],
                 "/System/Applications/Safari.app/Contents/MacOS/Safari: code changed (1 function changed) in the App "
                 "cryptex"));
}

TEST_CASE("a bl retargeted to another stub is a code change naming the function and both callees",
          "[diff][classes][samples]") {
  UPSCOPE_REQUIRE_SAMPLE(hello_src, "r2/hello-macos-arm64-chained");
  auto dir = scratch_dir("classes-bl");
  auto hello = read_bytes(hello_src);
  put(dir / "old", kHello, hello);
  // The first BL to the first stub (_NSLog) now calls the fifth (_objc_msgSend): only the imm26 differs.
  auto text = section_of(hello, "__TEXT", "__text");
  auto stubs = section_of(hello, "__TEXT", "__stubs");
  bool done = false;
  for (uint64_t i = 0; i + 4 <= text.size && !done; i += 4) {
    const uint64_t at = text.offset + i, pc = text.addr + i;
    const uint32_t w = load_u32le(hello.data() + at);
    if ((w & 0xFC000000) != 0x94000000) continue;
    const int64_t imm = static_cast<int32_t>(w << 6) >> 6;
    if (pc + static_cast<uint64_t>(imm * 4) != stubs.addr) continue;
    const int64_t to = static_cast<int64_t>(stubs.addr + 4 * 12) - static_cast<int64_t>(pc);
    const uint32_t nw = 0x94000000 | (static_cast<uint32_t>(to / 4) & 0x3FFFFFF);
    for (int k = 0; k < 4; ++k) hello[at + k] = static_cast<uint8_t>(nw >> (8 * k));
    done = true;
  }
  REQUIRE(done);
  put(dir / "new", kHello, hello);

  auto d = run_json({"diff", "--json", (dir / "old").string(), (dir / "new").string()}, 1);
  const auto& h = change_of(d, "/usr/bin/hello");
  CHECK(h["classes"] == json::array({"code"}));
  const json* f = function_of(h, "+[Test someStaticMethod]");
  REQUIRE(f);
  CHECK((*f)["change"] == "modified");
  CHECK((*f)["changed_instructions"] == 1);
  CHECK((*f)["calls_added"] == json::array({"_objc_msgSend"}));
  CHECK((*f)["calls_removed"] == json::array({"_NSLog"}));
  CHECK(h["functions"].size() == 1);
  auto t = run_upscope({"diff", (dir / "old").string(), (dir / "new").string()});
  CHECK(t.exit_code == 1);
  CHECK(t.out.find("function +[Test someStaticMethod]: 1 instruction changed; calls _objc_msgSend instead of _NSLog") !=
        std::string::npos);
}

TEST_CASE("the same program at another layout is a relink: folded in text, listed in JSON, still a no on the SSV",
          "[diff][classes][verdict]") {
  auto dir = scratch_dir("classes-relink");
  for (const std::string arch : {"arm64", "x86_64"}) {
    INFO(arch);
    const fs::path a = dir / (arch + "-old"), b = dir / (arch + "-new");
    put(a, "usr/bin/prog", program(dir, arch + "-a", "--arch " + arch));
    put(b, "usr/bin/prog",
        program(dir, arch + "-b", "--arch " + arch + " --shift-pages 1 --uuid 00112233445566778899aabbccddeeff"));
    auto d = run_json({"diff", "--json", a.string(), b.string()}, 1);
    const auto& c = change_of(d, "/usr/bin/prog");
    CHECK(c["classes"] == json::array({"relink"}));
    CHECK(c["summary"] == "relink only (layout noise: the same code and data at another layout)");
    CHECK(d["diff"]["summary"]["relink_only"] == 1);
    bool uuid = false;
    for (const auto& e : c["evidence"]) uuid |= e["field"] == "uuid";
    CHECK(uuid);
    auto text = run_upscope({"diff", a.string(), b.string()});
    CHECK(text.exit_code == 1);
    CHECK(text.out.find("1 relink-only change folded") != std::string::npos);
    CHECK(text.out.find("/usr/bin/prog") == std::string::npos);
    auto all = run_upscope({"diff", "--all", a.string(), b.string()});
    CHECK(all.out.find("/usr/bin/prog") != std::string::npos);
    auto v = run_json({"verdict", "--json", a.string(), b.string()}, 1);
    CHECK(v["verdict"]["rsr_eligible"] == "no");
    CHECK(has_line(v["verdict"]["evidence"], "/usr/bin/prog: relink only (layout noise: the same code and data at "
                                             "another layout) on the sealed system volume"));
  }
}

TEST_CASE("an entitlement added or changed is a signature change listing the keys", "[diff][classes][entitlements]") {
  auto dir = scratch_dir("classes-entitlements");
  const fs::path a = dir / "old", b = dir / "new", c = dir / "newer";
  put(a, kSafari, program(dir, "p1", "--entitlements '{\"com.apple.security.app-sandbox\": true}'"));
  put(b, kSafari,
      program(dir, "p2", "--entitlements '{\"com.apple.security.app-sandbox\": true, "
                         "\"com.apple.private.tcc.allow\": [\"kTCCServiceCamera\"]}'"));
  put(c, kSafari, program(dir, "p3", "--entitlements '{\"com.apple.security.app-sandbox\": false}'"));
  auto d = run_json({"diff", "--json", a.string(), b.string()}, 1);
  const auto& x = change_of(d, "/System/Applications/Safari.app/Contents/MacOS/Safari");
  CHECK(x["classes"] == json::array({"signature"}));
  CHECK(x["entitlements"]["added"] == json::array({"com.apple.private.tcc.allow"}));
  CHECK(x["entitlements"]["removed"].empty());
  CHECK(x["entitlements"]["changed"].empty());
  auto e = run_json({"diff", "--json", a.string(), c.string()}, 1);
  const auto& y = change_of(e, "/System/Applications/Safari.app/Contents/MacOS/Safari");
  CHECK(y["classes"] == json::array({"signature"}));
  CHECK(y["entitlements"]["changed"] == json::array({"com.apple.security.app-sandbox"}));
  auto t = run_upscope({"diff", a.string(), c.string()});
  CHECK(t.out.find("signature: entitlement com.apple.security.app-sandbox: true -> false") != std::string::npos);
}

TEST_CASE("entitlements are read from the DER blob when there is no XML one", "[diff][entitlements]") {
  auto dir = scratch_dir("entitlements-der");
  auto bytes = program(dir, "p", "--entitlements '{\"com.apple.developer.team-identifier\": \"ABCDE12345\", "
                                 "\"get-task-allow\": true, \"keychain-access-groups\": [\"a\", \"b\"], \"n\": 7}'");
  MemorySource src(bytes, "p");
  Diagnostics diags;
  auto f = macho::parse_file(src, diags);
  REQUIRE(f);
  const auto& m = *f->slices[0].image;
  REQUIRE(m.code_signature);
  const ByteReader file(Bytes(bytes.data(), bytes.size()), 0, "p");
  auto sig = file.sub(m.code_signature->dataoff, m.code_signature->datasize);
  REQUIRE(sig);
  auto xml = build::entitlements(*m.code_signature, *sig);
  auto only_der = *m.code_signature;
  only_der.blobs.erase(std::remove_if(only_der.blobs.begin(), only_der.blobs.end(),
                                      [](const auto& b) { return b.type == 5; }),
                       only_der.blobs.end());
  auto der = build::entitlements(only_der, *sig);
  CHECK(der == xml);
  REQUIRE(der.size() == 4);
  CHECK(der["get-task-allow"] == "true");
  CHECK(der["keychain-access-groups"] == "[\"a\",\"b\"]");
  CHECK(der["n"] == "7");
  CHECK(der["com.apple.developer.team-identifier"] == "\"ABCDE12345\"");
}

TEST_CASE("identical builds have no changes, two writes of the same build neither", "[diff][classes][samples]") {
  UPSCOPE_REQUIRE_SAMPLE(hello_src, "r2/hello-macos-arm64-chained");
  auto dir = scratch_dir("classes-same");
  for (const char* side : {"a", "b"}) {
    const fs::path root = dir / side;
    put(root, kHello, read_bytes(hello_src));
    put(root, kSafari, program(dir, std::string("p-") + side));
    fs::create_directories(root / kKc);
    fs::remove(root / kKc);
    auto r = run_writer("make_kc.py", "--single " + shell_quote((root / kKc).string()) + " --kexts 2");
    REQUIRE(r.exit_code == 0);
  }
  auto same = run_upscope({"diff", (dir / "a").string(), (dir / "b").string()});
  INFO(same.out << same.err);
  CHECK(same.exit_code == 0);
  CHECK(same.out.find(": 0 changes") != std::string::npos);
  CHECK(run_upscope({"diff", (dir / "a").string(), (dir / "a").string()}).exit_code == 0);
}

TEST_CASE("kernel collection entries: a rebuilt kext is a code change, moved kexts are relinks, both a no",
          "[diff][classes][kc]") {
  auto dir = scratch_dir("classes-kc");
  auto kc = [&](const std::string& side, const std::string& args) {
    const fs::path p = dir / side / kKc;
    fs::create_directories(p.parent_path());
    auto r = run_writer("make_kc.py", "--single " + shell_quote(p.string()) + " --kexts 3 " + args);
    INFO(r.out);
    REQUIRE(r.exit_code == 0);
    return (dir / side).string();
  };
  const std::string a = kc("a", ""), b = kc("b", "--change com.apple.driver.Kext0001"), c = kc("c", "--shift-pages 1");
  auto d = run_json({"diff", "--json", a, b}, 1);
  const auto& k = change_of(d, "com.apple.driver.Kext0001");
  CHECK(k["classes"] == json::array({"code"}));
  CHECK(k["space"] == "kernel");
  CHECK(!k["functions"].empty());
  CHECK(function_of(k, "_kext0001_f0"));
  const auto& file = change_of(d, "/System/Library/KernelCollections/BootKernelExtensions.kc");
  CHECK(file["classes"] == json::array({"content"}));
  for (const auto& ch : d["diff"]["changes"]) {
    CHECK(ch["id"] != "com.apple.driver.Kext0000");  // byte-identical entries are not changes
    CHECK(ch["id"] != "com.apple.kernel");
  }
  auto v = run_json({"verdict", "--json", a, b}, 1);
  CHECK(v["verdict"]["rsr_eligible"] == "no");

  auto moved = run_json({"diff", "--json", a, c}, 1);
  size_t relinks = 0;
  for (const auto& ch : moved["diff"]["changes"])
    if (ch["space"] == "kernel" && ch["kind"] != "file") {
      CHECK(ch["classes"] == json::array({"relink"}));
      ++relinks;
    }
  CHECK(relinks == 4);  // the kernel and three kexts, each at another address
  auto vm = run_json({"verdict", "--json", a, c}, 1);
  CHECK(vm["verdict"]["rsr_eligible"] == "no");
  CHECK(vm["verdict"]["rule"].get<std::string>().rfind("kernel-space code changed", 0) == 0);
}

// A kernelcache decoded into memory (IM4P, LZFSE) is kept LZ4-packed after it is read, and a diff's
// drill-down reads its entries back through a lazy span (kc_components.cpp): the changed kext's
// functions must come out as they do from the plain collection on disk.
TEST_CASE("a kernelcache's drill-down reads its packed copy: the same functions as the plain collection",
          "[diff][classes][kc]") {
  auto dir = scratch_dir("classes-kc-packed");
  auto side = [&](const std::string& name, const std::string& args) {
    const fs::path kc = dir / (name + ".kc");
    auto r = run_writer("make_kc.py", "--single " + shell_quote(kc.string()) + " --kexts 3 --size-mb 3 " + args);
    INFO(r.out);
    REQUIRE(r.exit_code == 0);
    fs::create_directories(dir / name / "plain" / fs::path(kKc).parent_path());
    fs::copy_file(kc, dir / name / "plain" / kKc);
    fs::create_directories(dir / name / "im4p");
    auto w = run_shell("python3 -c " +
                       shell_quote("import os, sys\nsys.path.insert(0, os.path.dirname(sys.argv[1]))\n"
                                   "import make_kc, lzfse_fse\n"
                                   "data = open(sys.argv[2], 'rb').read()\n"
                                   "open(sys.argv[3], 'wb').write(make_kc.im4p('krnl', 'test', lzfse_fse.encode(data)))") +
                       " " + writer_script("make_kc.py") + " " + shell_quote(kc.string()) + " " +
                       shell_quote((dir / name / "im4p" / "kernelcache.release.test").string()));
    INFO(w.out);
    REQUIRE(w.exit_code == 0);
    return dir / name;
  };
  const fs::path a = side("a", ""), b = side("b", "--change com.apple.driver.Kext0001");
  auto functions = [&](const std::string& kind) {
    auto d = run_json({"diff", "--json", (a / kind).string(), (b / kind).string()}, 1);
    const auto& k = change_of(d, "com.apple.driver.Kext0001");
    CHECK(k["classes"] == json::array({"code"}));
    CHECK(function_of(k, "_kext0001_f0"));
    return k.at("functions");
  };
  const json plain = functions("plain"), packed = functions("im4p");
  CHECK(!packed.empty());
  CHECK(packed == plain);
}

TEST_CASE("dyld cache images: a changed image is a code change, moved images are relinks", "[diff][classes][dyld]") {
  auto dir = scratch_dir("classes-dyld");
  auto cache = [&](const std::string& side, const std::string& args) {
    const fs::path p = dir / side / kDyld;
    auto r = run_writer("make_dyld_cache.py", shell_quote(p.string()) + " --images 4 " + args);
    INFO(r.out);
    REQUIRE(r.exit_code == 0);
    fs::remove(p / "MANIFEST.json");
    return (dir / side).string();
  };
  const std::string a = cache("a", ""), b = cache("b", "--variant code"), c = cache("c", "--shift-pages 1");
  auto d = run_json({"diff", "--json", a, b}, 1);
  size_t code = 0;
  for (const auto& ch : d["diff"]["changes"]) {
    if (ch["kind"] != "dyld-cache-image") continue;
    CHECK(ch["classes"] == json::array({"code"}));
    CHECK(ch["id"] == "/usr/lib/libsynth0001.dylib");
    REQUIRE(ch["functions"].size() == 1);
    CHECK(ch["functions"][0]["name"] == "_s0001_f0");  // make_dyld_cache.py's variant changes image 1's f0
    CHECK(ch["functions"][0]["changed_instructions"] == 1);
    ++code;
  }
  CHECK(code == 1);
  auto v = run_json({"verdict", "--json", a, b}, 0);  // the cache lives in the OS cryptex
  CHECK(v["verdict"]["rsr_eligible"] == "yes");

  auto moved = run_json({"diff", "--json", a, c}, 1);
  size_t relinks = 0;
  for (const auto& ch : moved["diff"]["changes"])
    if (ch["kind"] == "dyld-cache-image") {
      CHECK(ch["classes"] == json::array({"relink"}));
      ++relinks;
    }
  CHECK(relinks == 4);
}

TEST_CASE("diff --advisory places each entry on the changed components it names", "[diff][advisory]") {
  auto dir = scratch_dir("classes-advisory");
  const char* webkit = "System/Cryptexes/OS/System/Library/Frameworks/WebKit.framework/Versions/A/WebKit";
  const fs::path a = dir / "old", b = dir / "new";
  put(a, webkit, program(dir, "w1"));
  put(b, webkit, program(dir, "w2", "--call _strlcpy"));
  const auto adv = (source_dir() / "tests/advisories/macos-13.3.1.txt").string();
  auto d = run_json({"diff", "--json", "--advisory", adv, a.string(), b.string()}, 1);
  const auto& links = d["diff"]["advisory"];
  REQUIRE(links.size() == 2);
  CHECK(links[0]["component"] == "IOSurfaceAccelerator");
  CHECK(links[0]["cves"] == json::array({"CVE-2023-28206"}));
  CHECK(links[0]["change_found"] == false);
  CHECK(links[1]["component"] == "WebKit");
  CHECK(links[1]["changes"] == json::array({"/System/Library/Frameworks/WebKit.framework/Versions/A/WebKit"}));
  CHECK(links[1]["placement"].get<std::string>().rfind("cryptex-os", 0) == 0);
  auto t = run_upscope({"diff", "--advisory", adv, a.string(), b.string()});
  CHECK(t.out.find("  IOSurfaceAccelerator (CVE-2023-28206): no change found\n") != std::string::npos);
  CHECK(t.out.find("    /System/Library/Frameworks/WebKit.framework/Versions/A/WebKit: code changed (1 function changed)\n"
                   "      function _main\n") != std::string::npos);
  auto html = run_upscope({"report", "--advisory", adv, a.string(), b.string()});
  CHECK(html.exit_code == 0);  // WebKit in the OS cryptex: an RSR could ship it
  CHECK(html.out.find("<h2 id=\"advisory\">Advisory entries</h2>") != std::string::npos);
  // A file that is not an advisory is an error, not an empty join.
  CHECK(run_upscope({"diff", "--advisory", (a / webkit).string(), a.string(), b.string()}).exit_code == 2);
}

TEST_CASE("C++ names are demangled as people read them, other names are left alone", "[diff]") {
  CHECK(demangle("__Z11addHdcpInfoP12AtiHdcpProxyP12OSDictionary") == "addHdcpInfo(AtiHdcpProxy*, OSDictionary*)");
  CHECK(demangle("_ZN11OSMetaClass21_RESERVEDOSMetaClass0Ev") == "OSMetaClass::_RESERVEDOSMetaClass0()");
  CHECK(demangle("_main").empty());
  CHECK(demangle("+[Test someStaticMethod]").empty());
  CHECK(demangle("__Zgarbage").empty());
}
