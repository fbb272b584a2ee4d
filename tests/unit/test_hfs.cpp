// HFS+ reader: the real dmgs of MANIFEST.md §2 and §9 (names, CNIDs, sizes, SHA-256s from there,
// from 7zz and fshfsinfo), images from samples/gen/make_hfs.py checked file by file against 7zz and
// fshfsinfo, the CLI, and malformed copies (one case per validation rule, exact messages).
#include <algorithm>
#include <map>
#include <regex>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "hfs/extract.hpp"
#include "hfs/locate.hpp"
#include "hfs/structs.hpp"
#include "hfs/volume.hpp"
#include "inspect/hash.hpp"
#include "test_support.hpp"

using namespace upscope;
using namespace upscope::hfs;
namespace fs = std::filesystem;

namespace {

std::shared_ptr<const Volume> open_path(const fs::path& p, Diagnostics* d = nullptr) {
  Diagnostics local;
  auto v = open_image(p.string(), d ? d : &local);
  if (!v) FAIL(v.error().message());
  return v->volume;
}

std::shared_ptr<const Volume> open_bytes(std::vector<uint8_t> b, const std::string& name = "mut.hfs") {
  auto v = Volume::open(std::make_shared<MemorySource>(std::move(b), name));
  if (!v) FAIL(v.error().message());
  return *v;
}

std::string open_error(std::vector<uint8_t> b) {
  auto v = Volume::open(std::make_shared<MemorySource>(std::move(b), "mut.hfs"));
  if (v) return "opened";
  return v.error().message();
}

CatalogEntry at(const Volume& v, const std::string& path) {
  auto e = v.lookup(path);
  if (!e) FAIL(e.error().message());
  return *e;
}

std::string content(const Volume& v, const std::string& path) {
  auto src = v.open_data(at(v, path), path);
  if (!src) FAIL(src.error().message());
  auto b = (*src)->read_vector(0, (*src)->size());
  REQUIRE(b);
  return std::string(b->begin(), b->end());
}

std::string sha256(const Volume& v, const std::string& path) {
  auto src = v.open_data(at(v, path), path);
  if (!src) FAIL(src.error().message());
  auto h = hash_source(HashKind::kSha256, **src);
  if (!h) FAIL(h.error().message());
  return *h;
}

std::map<std::string, FileEntry> walk_all(const Volume& v, const std::string& path = "/") {
  std::map<std::string, FileEntry> out;
  Diagnostics d;
  auto st = v.walk(path, [&](const FileEntry& e) {
    out[e.path] = e;
    return true;
  }, d);
  if (!st) FAIL(st.error().message());
  for (const auto& i : d.items()) INFO(i.text());
  CHECK(d.empty());
  return out;
}

bool have_tool(const std::string& t) { return test::run_shell("command -v " + t + " >/dev/null 2>&1").exit_code == 0; }

// make_hfs.py into the scratch dir; returns the image path.
fs::path generate(const fs::path& dir, const std::string& name, const std::string& args) {
  fs::path out = dir / name;
  auto r = test::run_shell(fmt::format("python3 {} {} {} 2>&1", test::shell_quote((test::source_dir() / "samples/gen/make_hfs.py").string()),
                                       test::shell_quote(out.string()), args));
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  return out;
}

uint32_t be32(const std::vector<uint8_t>& b, size_t off) { return load_u32be(b.data() + off); }
void put_be32(std::vector<uint8_t>& b, size_t off, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[off + i] = static_cast<uint8_t>(v >> (24 - 8 * i));
}
void put_be16(std::vector<uint8_t>& b, size_t off, uint16_t v) {
  b[off] = static_cast<uint8_t>(v >> 8);
  b[off + 1] = static_cast<uint8_t>(v);
}

// Geometry of the catalog of a generated image (one extent, as make_hfs.py writes it).
struct CatalogGeo {
  uint32_t block_size, total_blocks, start_block, blocks;
  uint64_t file_off;  // catalog file in the image
  uint16_t node_size;
  uint32_t root, first_leaf, depth;
};
CatalogGeo catalog_geo(const std::vector<uint8_t>& b) {
  CatalogGeo g{};
  g.block_size = be32(b, 1024 + 40);
  g.total_blocks = be32(b, 1024 + 44);
  g.start_block = be32(b, 1024 + 272 + 16);
  g.blocks = be32(b, 1024 + 272 + 20);
  g.file_off = uint64_t(g.start_block) * g.block_size;
  g.depth = load_u16be(b.data() + g.file_off + 14);
  g.root = be32(b, g.file_off + 16);
  g.first_leaf = be32(b, g.file_off + 24);
  g.node_size = load_u16be(b.data() + g.file_off + 32);
  return g;
}

}  // namespace

TEST_CASE("hfs: dfvfs_hfsplus_zlib.dmg names, CNIDs, sizes and SHA-256s", "[hfs]") {
  UPSCOPE_REQUIRE_SAMPLE(path, "dfvfs_hfsplus_zlib.dmg");
  Diagnostics d;
  auto opened = open_image(path.string(), &d);
  if (!opened) FAIL(opened.error().message());
  CHECK(opened->located.how == "udif image, gpt partition 1");
  const Volume& v = *opened->volume;
  CHECK(v.info().name == "hfsplus_test");
  CHECK(v.info().header.signature == kHFSPlusSigWord);
  CHECK(v.info().header.block_size == 4096);
  CHECK_FALSE(v.info().case_sensitive);
  // CNIDs: MANIFEST §2 (passwords.txt 23, another_file 21) and fshfsinfo -F for the rest.
  struct Want { const char* path; uint32_t cnid; uint64_t size; const char* sha; };
  const Want want[] = {
      {"/passwords.txt", 23, 116, "02a2a6af2f1ecf4720d7d49d640f0d0a269a7ec733e41973bdd34f09dad0e252"},
      {"/a_directory/another_file", 21, 22, "c7fbc0e821c0871805a99584c6a384533909f68a6bbe9a2a687d28d9f3b10c16"},
      {"/a_directory/a_file", 19, 53, "4a49638d0e1055fd9e4c17fef7fdf4d6ccf892b6d9c2f64164203c4bfb0ec92d"},
      {"/a_directory/a_resourcefork", 20, 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
  };
  for (const auto& w : want) {
    INFO(w.path);
    auto e = at(v, w.path);
    CHECK(e.id == w.cnid);
    CHECK(e.data.logical_size == w.size);
    CHECK(sha256(v, w.path) == w.sha);
    CHECK(e.owner_id == 501);
    CHECK(e.group_id == 20);
    CHECK(e.effective_mode() == 0100644);
  }
  CHECK(content(v, "/a_directory/another_file") == "This is another file.\n");
  auto link = at(v, "/a_link");
  CHECK(link.id == 22);
  CHECK(link.is_symlink());
  CHECK(link.data.logical_size == 24);
  auto target = v.symlink_target(link);
  REQUIRE(target);
  CHECK(*target == "a_directory/another_file");
  CHECK(at(v, "/a_directory").id == 18);
  CHECK(at(v, "/A_DIRECTORY/A_FILE").id == 19);  // HFS+ compares names case-insensitively
  // Resource fork and xattr, against 7zz's a_resourcefork:rsrc and a_file:myxattr streams.
  auto rf = v.open_fork(at(v, "/a_directory/a_resourcefork"), true);
  REQUIRE(rf);
  auto rb = (*rf)->read_vector(0, (*rf)->size());
  REQUIRE(rb);
  CHECK(std::string(rb->begin(), rb->end()) == "My resource fork\n");
  auto xs = v.xattrs(19);
  REQUIRE(xs);
  REQUIRE(xs->size() == 1);
  CHECK((*xs)[0].name == "myxattr");
  auto xsrc = v.open_xattr(at(v, "/a_directory/a_file"), (*xs)[0]);
  REQUIRE(xsrc);
  auto xb = (*xsrc)->read_vector(0, (*xsrc)->size());
  REQUIRE(xb);
  CHECK(std::string(xb->begin(), xb->end()) == "My extended attribute");
  // The whole tree, as 7zz lists it (the private metadata folders left out).
  auto all = walk_all(v);
  std::vector<std::string> paths;
  for (const auto& [p, e] : all) paths.push_back(p);
  CHECK(paths == std::vector<std::string>{"/", "/a_directory", "/a_directory/a_file", "/a_directory/a_resourcefork",
                                          "/a_directory/another_file", "/a_link", "/passwords.txt"});
}

TEST_CASE("hfs: radare2 src dmgs hold swapped Hello and World", "[hfs]") {
  for (const char* name : {"r2/src.dmg", "r2/src-compressed.dmg", "r2/src-ro.dmg"}) {
    INFO(name);
    UPSCOPE_REQUIRE_SAMPLE(path, name);
    auto v = open_path(path);
    CHECK(v->info().name == "src");
    CHECK(v->info().journaled);  // noted, not replayed
    // MANIFEST §9: Hello holds "World\n", World holds "Hello\n"; CNIDs from fshfsinfo.
    CHECK(content(*v, "/Hello") == "World\n");
    CHECK(sha256(*v, "/Hello") == "aa1db5c660d3d1f3f4f9361b9848694300929be94b74c84452a87420c59e5df9");
    CHECK(sha256(*v, "/World") == "66a045b452102c59d840ec097d59d9467e13a3f34f6494e539ffd32c1bb35f18");
    CHECK(at(*v, "/Hello").id == 21);
    CHECK(at(*v, "/World").id == 22);
    CHECK(at(*v, "/.journal").data.logical_size == 524288);
    CHECK(at(*v, "/.journal").id == 24);
    if (std::string(name) == "r2/src.dmg")  // each image has its own journal; this one's per 7zz x
      CHECK(sha256(*v, "/.journal") == "099d28e8ce2ab52f9b0b30d6e023e98494bd55fc586819150e86db77c21a6077");
  }
  UPSCOPE_REQUIRE_SAMPLE(enc, "r2/src-aes-256.dmg");
  Diagnostics d;
  auto r = open_image(enc.string(), &d);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::kUnsupported);
}

namespace {

// Every file of a generated image against 7zz x (content) and fshfsinfo -F (CNID, size).
void check_against_independent_readers(const fs::path& img, const fs::path& dir, const std::string& volname,
                                       bool fshfs) {
  auto v = open_path(img);
  CHECK(v->info().name == volname);
  const bool have7z = have_tool("7zz");
  fs::path x = dir / (img.filename().string() + ".7z");
  if (have7z) {
    auto r = test::run_shell(fmt::format("7zz x -y -snld -o{} {} >/dev/null 2>&1", test::shell_quote(x.string()),
                                         test::shell_quote(img.string())));
    (void)r;  // 7zz refuses the dangling '../' symlink and says so in its exit code
  } else {
    WARN("SKIPPED: 7zz not installed; generated image checked against fshfsinfo only");
  }
  const bool have_fshfs = fshfs && have_tool("fshfsinfo");
  if (fshfs && !have_fshfs) WARN("SKIPPED: fshfsinfo (libfshfs-utils) not installed");
  auto all = walk_all(*v);
  size_t compared = 0;
  for (const auto& [path, e] : all) {
    INFO(path);
    const CatalogEntry& t = e.target;
    if (!t.is_file() || t.is_symlink()) continue;
    std::string ours = sha256(*v, path);
    if (have7z) {
      // 7zz does not follow hard links: compare those with its copy of the iNode file instead.
      fs::path f = e.entry.is_hard_link() ? x / volname / "[HFS+ Private Data]" / t.name : x / volname / path.substr(1);
      REQUIRE(fs::exists(f));
      auto bytes = test::read_bytes(f);
      CHECK(ours == sha256_hex(bytes));
      ++compared;
    }
    if (have_fshfs) {
      auto r = test::run_shell(fmt::format("fshfsinfo -F {} {} 2>/dev/null", test::shell_quote(path),
                                           test::shell_quote(img.string())));
      std::smatch m;
      REQUIRE(std::regex_search(r.out, m, std::regex("Identifier\\s*: (\\d+)")));
      CHECK(std::stoul(m[1]) == t.id);  // fshfsinfo resolves hard links to the iNode file too
      REQUIRE(std::regex_search(r.out, m, std::regex("Size\\s*: (\\d+)")));
      auto size = v->file_size(e.entry);
      REQUIRE(size);
      CHECK(std::stoull(m[1]) == *size);
    }
  }
  if (have7z) CHECK(compared == 13);  // the fixture's regular files, hard links included
}

}  // namespace

TEST_CASE("hfs: generated HFS+ image agrees with 7zz and fshfsinfo", "[hfs]") {
  auto dir = test::scratch_dir("hfs-gen");
  auto img = generate(dir, "fx.hfs", "--manifest " + (dir / "fx.json").string());
  check_against_independent_readers(img, dir, "hfs_fixture", true);
  auto v = open_path(img);
  // The writer's own expectations too (sizes, hard links, decmpfs types, extents).
  auto manifest = nlohmann::json::parse(test::read_file(dir / "fx.json"));
  for (const auto& f : manifest["files"]) {
    const std::string p = f["path"];
    INFO(p);
    auto e = at(*v, p);
    CHECK(e.id == f["cnid"].get<uint32_t>());
    if (f["kind"] == "folder") continue;
    if (f["kind"] == "symlink") {
      auto t = v->symlink_target(e);
      REQUIRE(t);
      CHECK(*t == f["target"].get<std::string>());
      continue;
    }
    CHECK(sha256(*v, p) == f["sha256"].get<std::string>());
    if (f.contains("decmpfs_type")) {
      auto c = v->compression(e);
      REQUIRE(c);
      REQUIRE(*c);
      CHECK((*c)->type == f["decmpfs_type"].get<uint32_t>());
      CHECK((*c)->method == "zlib");
    }
  }
  // Fragmented file: 20 extents, 12 of them from extents-overflow records.
  auto frag = at(*v, "/fragmented.bin");
  CHECK(frag.data.extents[7].block_count != 0);
  auto hard_a = at(*v, "/hardlink_a"), hard_b = at(*v, "/docs/hardlink_b");
  CHECK(hard_a.is_hard_link());
  auto ta = v->resolve_link(hard_a), tb = v->resolve_link(hard_b);
  REQUIRE(ta);
  REQUIRE(tb);
  CHECK(ta->id == tb->id);
  CHECK(content(*v, "/docs/hardlink_b") == "shared by two hard links\n");
  auto xs = v->xattrs(at(*v, "/xattrs.txt").id);
  REQUIRE(xs);
  REQUIRE(xs->size() == 2);
  CHECK((*xs)[0].name == "com.example.large");
  CHECK((*xs)[0].record_type == kHFSPlusAttrForkData);
  CHECK((*xs)[0].size() == 10000);
  CHECK((*xs)[1].name == "user.small");
  CHECK((*xs)[1].inline_data == std::vector<uint8_t>{'t', 'i', 'n', 'y', ' ', 'v', 'a', 'l', 'u', 'e'});
  if (have_tool("7zz")) {
    auto large = v->open_xattr(at(*v, "/xattrs.txt"), (*xs)[0]);
    REQUIRE(large);
    auto h = hash_source(HashKind::kSha256, **large);
    REQUIRE(h);
    CHECK(*h == sha256_hex(test::read_bytes(dir / "fx.hfs.7z/hfs_fixture/xattrs.txt:com.example.large")));
  }
  CHECK(at(*v, "/mixedcase.txt").id == at(*v, "/MixedCase.TXT").id);
  CHECK(content(*v, "/caf\u00e9.txt") == "accent\n");  // stored decomposed (NFD), typed precomposed
}

TEST_CASE("hfs: generated HFSX, GPT-wrapped and HFS-wrapped images", "[hfs]") {
  auto dir = test::scratch_dir("hfs-genx");
  auto hfsx = generate(dir, "x.hfs", "--hfsx");
  check_against_independent_readers(hfsx, dir, "hfsx_fixture", true);
  auto v = open_path(hfsx);
  CHECK(v->info().case_sensitive);
  CHECK(v->info().header.signature == kHFSXSigWord);
  CHECK(v->lookup("/MixedCase.TXT"));
  auto miss = v->lookup("/mixedcase.txt");
  REQUIRE_FALSE(miss);
  CHECK(miss.error().message() == "x.hfs[hfsx 'hfsx_fixture']: /mixedcase.txt: no such file or directory");

  auto gpt = generate(dir, "gpt.img", "--gpt");
  Diagnostics d;
  auto g = open_image(gpt.string(), &d);
  if (!g) FAIL(g.error().message());
  CHECK(g->located.how == "gpt partition 1");
  CHECK(sha256(*g->volume, "/fragmented.bin") == sha256(*open_path(generate(dir, "plain.hfs", "")), "/fragmented.bin"));
  check_against_independent_readers(gpt, dir, "hfs_fixture", false);

  auto wrapped = generate(dir, "wrapped.hfs", "--wrapper");
  auto w = open_path(wrapped);
  CHECK(w->info().how == "hfs+ in an hfs wrapper");
  CHECK(w->info().offset == 4096);
  check_against_independent_readers(wrapped, dir, "hfs_fixture", false);
  CHECK(content(*w, "/hello.txt") == "Hello, HFS+!\n");
  CHECK(content(*w, "/docs/hardlink_b") == "shared by two hard links\n");
}

TEST_CASE("hfs: CLI ls, cat, extract and inspect", "[hfs]") {
  UPSCOPE_REQUIRE_SAMPLE(dmg, "dfvfs_hfsplus_zlib.dmg");
  auto r = test::run_upscope({"ls", "--json", "--hash", "sha256", dmg.string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto j = nlohmann::json::parse(r.out);
  CHECK(j["schema"] == "upscope/hfs-ls/1");
  CHECK(j["located"] == "udif image, gpt partition 1");
  const auto& vol = j["volumes"][0];
  CHECK(vol["name"] == "hfsplus_test");
  std::map<std::string, nlohmann::json> files;
  for (const auto& f : vol["files"]) files[f["path"]] = f;
  CHECK(files["/passwords.txt"]["inode"] == 23);
  CHECK(files["/passwords.txt"]["size"] == 116);
  CHECK(files["/passwords.txt"]["sha256"] == "02a2a6af2f1ecf4720d7d49d640f0d0a269a7ec733e41973bdd34f09dad0e252");
  CHECK(files["/a_link"]["type"] == "symlink");
  CHECK(files["/a_link"]["symlink_target"] == "a_directory/another_file");
  CHECK(files["/a_directory/a_file"]["xattrs"][0]["name"] == "myxattr");
  CHECK(files["/a_directory/a_file"]["xattrs"][0]["size"] == 21);

  auto cat = test::run_upscope({"cat", dmg.string() + ":/a_directory/another_file"});
  CHECK(cat.exit_code == 0);
  CHECK(cat.out == "This is another file.\n");
  auto rsrc = test::run_upscope({"cat", "--xattr", "com.apple.ResourceFork", dmg.string() + ":/a_directory/a_resourcefork"});
  CHECK(rsrc.out == "My resource fork\n");
  auto missing = test::run_upscope({"cat", dmg.string() + ":/nope"});
  CHECK(missing.exit_code == 2);
  CHECK(missing.err.find("/nope: no such file or directory") != std::string::npos);

  auto dir = test::scratch_dir("hfs-cli");
  auto ex = test::run_upscope({"extract", dmg.string() + ":/", "-o", (dir / "out").string()});
  INFO(ex.err);
  CHECK(ex.exit_code == 0);
  CHECK(test::read_file(dir / "out/passwords.txt").size() == 116);
  CHECK(test::read_file(dir / "out/a_directory/another_file") == "This is another file.\n");
  CHECK(fs::is_symlink(dir / "out/a_link"));
  CHECK(fs::read_symlink(dir / "out/a_link") == "a_directory/another_file");
  auto one = test::run_upscope({"extract", dmg.string() + ":/a_directory/a_file", "-o", (dir / "one").string()});
  CHECK(one.exit_code == 0);
  CHECK(test::read_file(dir / "one/a_file").size() == 53);

  auto img = generate(dir, "fx.hfs", "");
  auto ins = test::run_upscope({"inspect", img.string()});
  INFO(ins.err);
  CHECK(ins.exit_code == 0);
  CHECK(ins.out.find("HFS+ volume 'hfs_fixture' (hfs+), version 4") != std::string::npos);
  CHECK(ins.out.find("2 hard links, 2 symlinks, 2 compressed") != std::string::npos);
  auto ls = test::run_upscope({"ls", img.string() + ":/docs"});
  CHECK(ls.exit_code == 0);
  CHECK(ls.out.find("/docs/hardlink_b") != std::string::npos);
  CHECK(ls.out.find("/docs/dangling -> ../no/such/file") != std::string::npos);
  // A symlink pointing outside is created as a link, and nothing is ever written through it.
  auto ex2 = test::run_upscope({"extract", img.string() + ":/", "-o", (dir / "fx").string()});
  CHECK(ex2.exit_code == 0);
  CHECK(fs::is_symlink(dir / "fx/docs/dangling"));
  CHECK(test::read_file(dir / "fx/compressed4.txt").size() == 200000);
  CHECK(test::read_file(dir / "fx/hardlink_a") == "shared by two hard links\n");
}

TEST_CASE("hfs malformed: catalog extent past the volume", "[hfs]") {
  auto dir = test::scratch_dir("hfs-mal1");
  auto b = test::read_bytes(generate(dir, "fx.hfs", ""));
  auto g = catalog_geo(b);
  put_be32(b, 1024 + 272 + 16, g.total_blocks - 1);
  CHECK(open_error(b) == fmt::format("mut.hfs: catalog file at {}: extent 0 (blocks {}+{}) lies past the end of the "
                                     "volume ({} blocks)",
                                     hex_offset(uint64_t(g.total_blocks - 1) * g.block_size), g.total_blocks - 1,
                                     g.blocks, g.total_blocks));
}

TEST_CASE("hfs malformed: catalog node past the tree", "[hfs]") {
  auto dir = test::scratch_dir("hfs-mal2");
  auto b = test::read_bytes(generate(dir, "fx.hfs", ""));
  auto g = catalog_geo(b);
  const uint32_t total_nodes = be32(b, g.file_off + 14 + 22);
  put_be32(b, g.file_off + 14 + 2, total_nodes + 5);  // rootNode
  CHECK(open_error(b) == fmt::format("mut.hfs: catalog B-tree node 0 (header) at {}: root node {} or first leaf {} is "
                                     "past the tree's {} nodes",
                                     hex_offset(g.file_off + 14), total_nodes + 5, g.first_leaf, total_nodes));
}

TEST_CASE("hfs malformed: file extent overlapping the volume header", "[hfs]") {
  auto dir = test::scratch_dir("hfs-mal3");
  auto b = test::read_bytes(generate(dir, "fx.hfs", ""));
  uint64_t rec;
  {
    auto v = open_bytes(b);
    rec = at(*v, "/hello.txt").record_offset;
  }
  const uint64_t data = rec + 2 + load_u16be(b.data() + rec);
  put_be32(b, data + 88 + 16, 0);  // data fork extent 0 starts at block 0
  auto v = open_bytes(b);
  auto src = v->open_data(at(*v, "/hello.txt"), "/hello.txt");
  REQUIRE_FALSE(src);
  CHECK(src.error().message() ==
        "mut.hfs[hfs+ 'hfs_fixture']:/hello.txt (data fork) at 0x0: extent 0 (blocks 0+1) overlaps the volume header");
}

TEST_CASE("hfs malformed: B-tree depth bomb, index cycle and leaf-chain cycle", "[hfs]") {
  auto dir = test::scratch_dir("hfs-mal4");
  const auto orig = test::read_bytes(generate(dir, "fx.hfs", ""));
  auto g = catalog_geo(orig);
  REQUIRE(g.depth == 2);  // the fixture's catalog has an index level
  {
    auto b = orig;
    put_be16(b, g.file_off + 14, 200);
    CHECK(open_error(b) == fmt::format("mut.hfs: catalog B-tree node 0 (header) at {}: tree depth 200 exceeds the limit of 16",
                                       hex_offset(g.file_off + 14)));
  }
  {
    // The root index node's first child pointer names the root itself.
    auto b = orig;
    const uint64_t node = g.file_off + uint64_t(g.root) * g.node_size;
    const uint16_t r0 = load_u16be(b.data() + node + g.node_size - 2);
    const uint16_t klen = load_u16be(b.data() + node + r0);
    put_be32(b, node + r0 + 2 + klen, g.root);
    CHECK(open_error(b) == fmt::format("mut.hfs: catalog B-tree node {}: index descent returns to a node already on its "
                                       "path (cycle)",
                                       g.root));
  }
  {
    // The last leaf links back to the first: the full catalog scan must stop.
    auto b = orig;
    uint32_t n = g.first_leaf, last = n;
    for (int i = 0; i < 100 && n; ++i) {
      last = n;
      n = be32(b, g.file_off + uint64_t(n) * g.node_size);
    }
    put_be32(b, g.file_off + uint64_t(last) * g.node_size, g.first_leaf);
    auto v = open_bytes(b);
    auto c = v->count_records();
    REQUIRE_FALSE(c);
    CHECK(c.error().message() ==
          fmt::format("mut.hfs: catalog B-tree node {}: the leaf chain returns to this node (cycle)", g.first_leaf));
  }
}

TEST_CASE("hfs malformed: catalog name length past the record", "[hfs]") {
  auto dir = test::scratch_dir("hfs-mal5");
  auto b = test::read_bytes(generate(dir, "fx.hfs", ""));
  uint64_t rec;
  {
    auto v = open_bytes(b);
    rec = at(*v, "/hello.txt").record_offset;
  }
  const uint16_t klen = load_u16be(b.data() + rec);
  put_be16(b, rec + 6, 200);
  auto v = open_bytes(b);
  auto e = v->lookup("/hello.txt");
  REQUIRE_FALSE(e);
  CHECK(e.error().message() == fmt::format("mut.hfs[hfs+ 'hfs_fixture']: catalog record at {}: name length 200 runs past "
                                           "the record (key of {} bytes)",
                                           hex_offset(rec), klen + 2));
  // The walk keeps going past the bad record: the other files are still listed.
  Diagnostics d;
  size_t n = 0;
  REQUIRE(v->walk("/", [&](const FileEntry&) { return ++n, true; }, d));
  CHECK(d.count(Severity::kError) == 1);
  CHECK(n > 10);
}

TEST_CASE("hfs malformed: not a volume, truncated image", "[hfs]") {
  CHECK(open_error(std::vector<uint8_t>(4096, 0)) ==
        "mut.hfs: volume header at 0x400: signature 0x0000 is neither 'H+' nor 'HX'");
  CHECK(open_error(std::vector<uint8_t>(100, 0)) == "mut.hfs: 100 bytes is too small for an HFS+ volume");
  auto dir = test::scratch_dir("hfs-mal6");
  auto b = test::read_bytes(generate(dir, "fx.hfs", ""));
  auto g = catalog_geo(b);
  b.resize(g.file_off + 4096);  // the catalog's header node survives, its other nodes do not
  auto r = Volume::open(std::make_shared<MemorySource>(b, "cut.hfs"));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::kTruncated);
}
