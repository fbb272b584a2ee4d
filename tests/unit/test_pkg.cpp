// Installer packages (formats/pkg): xar archives from our writer (samples/gen/make_pkg.py), read by
// libarchive, with gzip-cpio and pbzx-cpio payloads; 7-Zip (7zz) is the independent reader of the xar
// and of the cpio payloads. Malformed xar headers and payloads with their exact messages, and an OTA
// whose Scripts file is listed as installer scripts.
#include <filesystem>
#include <map>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "inspect/source.hpp"
#include "pkg/pkg.hpp"
#include "test_support.hpp"

using namespace upscope;
namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace {

fs::path make_pkg(const fs::path& dir, const std::string& name, const std::string& args) {
  const auto out = dir / name;
  auto r = test::run_shell("python3 " + test::writer_script("make_pkg.py") + " " + args + " " + test::shell_quote(out.string()));
  REQUIRE(r.exit_code == 0);
  return out;
}

bool have_7zz() { return test::run_shell("command -v 7zz >/dev/null 2>&1").exit_code == 0; }

// 7-Zip's listing of an archive: the Path of each item (-slt technical listing).
std::set<std::string> paths_7zz(const std::string& args) {
  auto r = test::run_shell("7zz l -slt " + args + " 2>/dev/null");
  std::set<std::string> out;
  size_t pos = r.out.find("----------");  // items follow the archive's own properties
  while ((pos = r.out.find("\nPath = ", pos)) != std::string::npos) {
    pos += 8;
    out.insert(r.out.substr(pos, r.out.find('\n', pos) - pos));
  }
  return out;
}

}  // namespace

TEST_CASE("pkg: a component package: the Bom's paths, the gzip-cpio Payload, the Scripts", "[bom][pkg]") {
  auto dir = test::scratch_dir("pkg-component");
  const auto pkgf = make_pkg(dir, "hello.pkg", "component");
  auto id = test::run_upscope({"identify", "--json", pkgf.string()});
  CHECK(Json::parse(id.out)["inputs"][0]["format"] == "pkg");

  auto src = FileSource::open(pkgf.string());
  REQUIRE(src);
  auto p = pkg::read(**src);
  REQUIRE(p);
  CHECK(p->kind == pkg::Kind::kComponent);
  REQUIRE(p->components.size() == 1);
  CHECK(p->components[0].bom == "Bom");
  CHECK(p->components[0].payload == "Payload");
  CHECK(p->components[0].scripts == "Scripts");
  std::set<std::string> members;
  for (const auto& m : p->members) members.insert(m.path);
  CHECK(members == std::set<std::string>{"Bom", "PackageInfo", "Payload", "Scripts"});

  // The Bom and the Payload describe the same files.
  auto bom_doc = Json::parse(test::run_upscope({"ls", "--json", "--payload", pkgf.string()}).out);
  CHECK(bom_doc["schema"] == "upscope/pkg-ls/1");
  CHECK(bom_doc["kind"] == "component");
  REQUIRE(bom_doc["components"].size() == 1);
  const Json& c = bom_doc["components"][0];
  CHECK(c["payload"]["container"] == "gzip-cpio");
  std::map<std::string, Json> from_bom, from_payload;
  for (const auto& f : c["bom"]["files"]) from_bom[f["path"]] = f;
  for (const auto& f : c["payload"]["files"]) from_payload[f["path"]] = f;
  REQUIRE(from_bom.size() == 14);
  REQUIRE(from_payload.size() == from_bom.size());
  for (const auto& [path, b] : from_bom) {
    INFO("path " << path);
    REQUIRE(from_payload.count(path));
    const Json& x = from_payload[path];
    CHECK(x["mode"] == b["mode"]);
    CHECK(x["uid"] == b["uid"]);
    CHECK(x["gid"] == b["gid"]);
    if (b["type"] == "file") CHECK(x["size"] == b["size"]);
    if (b["type"] == "symlink") CHECK(x["link_target"] == b["link_target"]);
  }
  CHECK(from_payload["./Library/Documentation/hello.txt"]["size"] == 75000);

  // The writer's manifest matches the Bom listing.
  auto man = Json::parse(test::run_shell("python3 " + test::writer_script("make_pkg.py") + " manifest").out);
  for (const auto& w : man) {
    INFO("path " << w["path"]);
    for (const auto& [k, v] : w.items()) CHECK(from_bom[w["path"]][k] == v);
  }

  // Without --payload the text listing is the Bom's table alone.
  auto text = test::run_upscope({"ls", pkgf.string() + ":/usr"});
  REQUIRE(text.exit_code == 0);
  // The symlink's checksum is cksum(1)'s CRC of its target.
  auto crc = test::run_shell("printf /Applications/Hello.app/Contents/MacOS/Hello | cksum | cut -d' ' -f1");
  REQUIRE(crc.exit_code == 0);
  CHECK(crc.out == "1805669871\n");
  CHECK(text.out ==
        "TYPE       MODE    UID  GID  SIZE    CHECKSUM  PATH\n"
        "directory  040755    0    0     -           -  ./usr\n"
        "directory  040755    0    0     -           -  ./usr/local\n"
        "directory  040755    0    0     -           -  ./usr/local/bin\n"
        "symlink    120755    0    0    44  1805669871  ./usr/local/bin/hello -> /Applications/Hello.app/Contents/MacOS/Hello\n");

  auto in = test::run_upscope({"inspect", pkgf.string()});
  REQUIRE(in.exit_code == 0);
  CHECK(in.out.find("(top level): Bom lists 14 paths") != std::string::npos);
  CHECK(in.out.find("(top level): Scripts (gzip-cpio): ./postinstall, ./preinstall") != std::string::npos);

  if (!have_7zz()) {
    WARN("SKIPPED: 7zz (Debian 7zip) is not installed: no independent reading of the xar and cpio");
    return;
  }
  // 7-Zip reads the same members, checks their SHA-1s, and lists the same cpio entries.
  CHECK(paths_7zz("-txar " + test::shell_quote(pkgf.string())) ==
        std::set<std::string>{"Bom", "PackageInfo", "Payload", "Scripts", "[TOC].xml"});
  CHECK(test::run_shell("7zz t -txar " + test::shell_quote(pkgf.string()) + " >/dev/null 2>&1").exit_code == 0);
  REQUIRE(test::run_shell("cd " + test::shell_quote(dir.string()) + " && 7zz x -txar -y hello.pkg Payload >/dev/null 2>&1 && "
                          "7zz x -tgzip -so Payload > payload.cpio 2>/dev/null")
              .exit_code == 0);
  std::set<std::string> want;
  for (const auto& [path, x] : from_payload) want.insert(path);
  CHECK(paths_7zz("-tcpio " + test::shell_quote((dir / "payload.cpio").string())) == want);
}

TEST_CASE("pkg: a pbzx-wrapped Payload, and a package without a Bom", "[bom][pkg]") {
  auto dir = test::scratch_dir("pkg-pbzx");
  const auto pbzx = make_pkg(dir, "pbzx.pkg", "component --payload pbzx");
  auto r = test::run_upscope({"ls", "--json", "--payload", pbzx.string()});
  REQUIRE(r.exit_code == 0);
  auto doc = Json::parse(r.out);
  const Json& pl = doc["components"][0]["payload"];
  CHECK(pl["container"] == "pbzx-cpio");
  CHECK(pl["count"] == 14);
  bool found = false;
  for (const auto& f : pl["files"])
    if (f["path"] == "./Library/Documentation/hello.txt") {
      found = true;
      CHECK(f["size"] == 75000);
      CHECK(f["mode"] == "100644");
    }
  CHECK(found);

  // No Bom: the Payload is what there is to list, even without --payload.
  const auto nobom = make_pkg(dir, "nobom.pkg", "component --no-bom --payload pbzx");
  auto t = test::run_upscope({"ls", nobom.string() + ":/Applications/Hello.app/Contents/MacOS"});
  REQUIRE(t.exit_code == 0);
  CHECK(t.out ==
        "TYPE  MODE    UID  GID  SIZE  PATH\n"
        "D     040755    0   80     -  ./Applications/Hello.app/Contents/MacOS\n"
        "F     100755    0   80   204  ./Applications/Hello.app/Contents/MacOS/Hello\n");
}

TEST_CASE("pkg: a product archive with two components", "[bom][pkg]") {
  auto dir = test::scratch_dir("pkg-product");
  const auto prod = make_pkg(dir, "product.pkg", "product");
  auto src = FileSource::open(prod.string());
  REQUIRE(src);
  auto p = pkg::read(**src);
  REQUIRE(p);
  CHECK(p->kind == pkg::Kind::kProduct);
  CHECK(p->distribution);
  REQUIRE(p->components.size() == 2);
  CHECK(p->components[0].name == "Hello.pkg");
  CHECK(p->components[1].name == "Tools.pkg");
  CHECK(p->components[1].scripts.empty());
  auto doc = Json::parse(test::run_upscope({"ls", "--json", "--payload", prod.string()}).out);
  REQUIRE(doc["components"].size() == 2);
  CHECK(doc["components"][0]["bom"]["count"] == 14);
  CHECK(doc["components"][1]["bom"]["count"] == 5);
  CHECK(doc["components"][1]["payload"]["container"] == "pbzx-cpio");
  auto text = test::run_upscope({"ls", prod.string() + ":/usr/local/bin"});
  REQUIRE(text.exit_code == 0);
  CHECK(text.out.find("Hello.pkg/Bom:\n") == 0);
  CHECK(text.out.find("\nTools.pkg/Bom:\n") != std::string::npos);
  CHECK(text.out.find("./usr/local/bin/hello-tool") != std::string::npos);
}

TEST_CASE("pkg: a xar that is not an installer package", "[bom][pkg]") {
  auto dir = test::scratch_dir("pkg-other");
  const auto x = make_pkg(dir, "other.xar", "other");
  auto id = Json::parse(test::run_upscope({"identify", "--json", x.string()}).out);
  CHECK(id["inputs"][0]["format"] == "xar");
  auto in = test::run_upscope({"inspect", x.string()});
  CHECK(in.exit_code == 0);
  CHECK(in.out.find("Content") != std::string::npos);
  auto ls = test::run_upscope({"ls", x.string()});
  CHECK(ls.exit_code == 2);
}

TEST_CASE("pkg: malformed xar headers and payloads, exact messages", "[bom][pkg]") {
  auto dir = test::scratch_dir("pkg-broken");
  const auto good = test::read_bytes(make_pkg(dir, "good.pkg", "component --payload pbzx"));
  auto put_be = [](std::vector<uint8_t>& b, size_t off, uint64_t v, int n) {
    for (int i = n - 1; i >= 0; --i, v >>= 8) b[off + static_cast<size_t>(i)] = static_cast<uint8_t>(v);
  };
  auto toc_error = [](const std::vector<uint8_t>& b) {
    MemorySource src(b, "broken.pkg");
    auto p = pkg::read(src);
    REQUIRE(!p);
    return p.error().message();
  };
  {
    auto b = good;
    put_be(b, 4, 20, 2);
    CHECK(toc_error(b) == "broken.pkg: xar header at 0x4: header size 20 is smaller than 28");
  }
  {
    auto b = good;
    put_be(b, 8, b.size(), 8);
    CHECK(toc_error(b) == fmt::format("broken.pkg: xar TOC at 0x1c: {} compressed bytes run past the end of the file ({} bytes)",
                                      b.size(), b.size()));
  }
  {
    auto b = good;
    put_be(b, 16, uint64_t{1} << 40, 8);
    CHECK(toc_error(b) == "broken.pkg: xar TOC at 0x1c: declares 1099511627776 bytes, over the limit of 67108864");
  }
  {
    auto b = good;
    put_be(b, 16, 100, 8);  // the TOC inflates to more than it declares
    CHECK(toc_error(b) == "broken.pkg: xar TOC at 0x1c: inflates to more than the 100 bytes the header declares");
  }
  {
    std::vector<uint8_t> b(good.begin(), good.begin() + 20);
    CHECK(toc_error(b) == "broken.pkg: xar header at 0x0: needs 28 bytes, the file has 20");
  }
  // A Payload that is no cpio archive, and a pbzx chunk that runs past the end of the member.
  const auto pl = make_pkg(dir, "scripts.gz", "scripts");
  {
    std::vector<uint8_t> b = {'n', 'o', 't', ' ', 'c', 'p', 'i', 'o'};
    MemorySource src(b, "Payload");
    auto l = pkg::list_archive(src);
    REQUIRE(!l);
    CHECK(l.error().message() == "Payload: starts with 'not cp': not a cpio archive (plain, gzip, bzip2, xz or pbzx)");
  }
  {
    std::vector<uint8_t> b = {'p', 'b', 'z', 'x', 0, 0, 0, 0, 0, 0x10, 0, 0,  // block size 1 MiB
                              0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0x01, 0, 'x'};  // 256 stored bytes promised, 1 there
    MemorySource src(b, "Payload");
    auto l = pkg::list_archive(src);
    REQUIRE(!l);
    CHECK(l.error().message() == "Payload: pbzx chunk 0 at 0xc: stored size 256 runs past the end of the stream (1 bytes left)");
  }
  {
    auto src = FileSource::open(pl.string());
    REQUIRE(src);
    auto l = pkg::list_archive(**src);
    REQUIRE(l);
    CHECK(l->container == "gzip-cpio");
    CHECK(l->count == 3);
  }
}

TEST_CASE("pkg: an OTA's Scripts file is read as installer scripts", "[bom][pkg][ota]") {
  auto dir = test::scratch_dir("pkg-ota-scripts");
  const auto tree = dir / "tree";
  REQUIRE(test::run_shell("python3 " + test::writer_script("make_ota.py") + " delta " + test::shell_quote((dir / "delta.zip").string()) +
                          " --dir " + test::shell_quote(tree.string()) + " >/dev/null")
              .exit_code == 0);
  REQUIRE(test::run_shell("python3 " + test::writer_script("make_pkg.py") + " scripts " +
                          test::shell_quote((tree / "AssetData/Scripts").string()))
              .exit_code == 0);
  auto r = test::run_upscope({"inspect", "--json", tree.string()});
  auto doc = Json::parse(r.out);
  std::string reason;
  for (const auto& n : doc["inputs"][0]["report"]["not_analysed"])
    if (n["path"] == "AssetData/Scripts") reason = n["reason"];
  CHECK(reason ==
        "installer scripts (gzip-cpio: ./postinstall, ./preinstall): they run during the install; what they change is "
        "not analysed");
}

// libarchive is opened when a package is read, not linked: other commands do not load it, nor the
// libxml2, ICU and shared libstdc++ it pulls in (about 4 ms of every start of upscope).
TEST_CASE("pkg: libarchive is not loaded at start-up", "[pkg]") {
  CHECK(test::run_shell("ldd " + test::shell_quote(test::upscope_binary()) + " | grep -c libarchive").out == "0\n");
}
