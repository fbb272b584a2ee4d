// The build catalogue on both backends: exact round trips, re-adds skipped, catalogued
// diffs/verdicts/histories identical to `upscope diff`/`verdict` on the files across a generated
// series, crash and concurrency safety, and the exact errors for files and databases that are not
// (our) catalogues. Every CATALOG_TEST runs twice: on an SQLite file ("catalog: ...", [sqlite]) and on
// a database of the test PostgreSQL server ("catalog (postgres): ...", [postgres]). Python's stdlib
// sqlite3 and psql are the independent readers and the foreign writers.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "analysis/inventory.hpp"
#include "catalog/catalog.hpp"
#include "reports/model.hpp"
#include "pg_test_server.hpp"
#include "test_support.hpp"

using namespace upscope;
using namespace upscope::test;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// The series of make_series.py, written once per test process.
const fs::path& series_dir() {
  static const fs::path dir = [] {
    auto d = scratch_dir("catalog-series");
    auto r = run_shell("python3 " + shell_quote((source_dir() / "samples/gen/make_series.py").string()) + " " +
                       shell_quote(d.string()) + " 2>&1");
    INFO(r.out);
    REQUIRE(r.exit_code == 0);
    return d;
  }();
  return dir;
}

const std::vector<std::string> kBuildDirs = {"01-13.3", "02-13.3.1", "03-13.4", "04-13.4-a",
                                             "05-13.4.1", "06-13.5", "07-13.5.1"};
// How the catalogue is asked for each: versions, with the RSR by its letter.
const std::vector<std::string> kNames = {"13.3", "13.3.1", "13.4", "13.4 (a)", "13.4.1", "13.5", "13.5.1"};

std::string build_path(size_t i) { return (series_dir() / kBuildDirs[i]).string(); }

BuildInventory inventory_of(const std::string& path) {
  Diagnostics diags;
  build::InventoryOptions opt;
  auto inv = build::make_inventory(path, opt, diags);
  REQUIRE(inv);
  return std::move(*inv);
}

void check_equal(const BuildInventory& a, const BuildInventory& b) {
  CHECK(a.source == b.source);
  CHECK(a.product == b.product);
  CHECK(a.version == b.version);
  CHECK(a.build == b.build);
  CHECK(a.version_extra == b.version_extra);
  CHECK(a.platform == b.platform);
  CHECK(a.arch == b.arch);
  REQUIRE(a.components.size() == b.components.size());
  for (size_t i = 0; i < a.components.size(); ++i) {
    const Component& x = a.components[i];
    const Component& y = b.components[i];
    INFO("component " << i << " " << x.id);
    CHECK(x.id == y.id);
    CHECK(x.kind == y.kind);
    CHECK(x.space == y.space);
    CHECK(x.location == y.location);
    CHECK(x.path == y.path);
    CHECK(x.version == y.version);
    CHECK(x.uuid == y.uuid);
    CHECK(x.size == y.size);
    CHECK(x.hashes == y.hashes);
    CHECK(x.code_hash == y.code_hash);
    CHECK(x.symbols == y.symbols);
    CHECK(x.functions == y.functions);
    CHECK(x.facts == y.facts);
  }
  REQUIRE(a.not_analysed.size() == b.not_analysed.size());
  for (size_t i = 0; i < a.not_analysed.size(); ++i) {
    CHECK(a.not_analysed[i].path == b.not_analysed[i].path);
    CHECK(a.not_analysed[i].reason == b.not_analysed[i].reason);
  }
}

catalog::Catalog open_new(const std::string& db) {
  auto cat = catalog::Catalog::open(db, catalog::Catalog::Mode::kCreate);
  INFO((cat ? "" : cat.error().message()));
  REQUIRE(cat);
  return std::move(*cat);
}

std::vector<std::string> add_args(const std::string& db, const std::vector<size_t>& builds) {
  std::vector<std::string> args = {"-q", "catalog", "add", "--db", db};
  for (size_t i : builds) args.push_back(build_path(i));
  return args;
}

// Python's sqlite3 module runs `script` with the database path as sys.argv[1]; stdout back.
RunResult python_sqlite(const fs::path& db, const std::string& script) {
  return run_shell("python3 -c " + shell_quote("import sqlite3, sys\n" + script) + " " + shell_quote(db.string()) +
                   " 2>&1");
}

// A child process joined to the test by one pipe: its stdout or stderr read back (for killing it at
// a known point), or its stdin written to (psql reading commands). Its other outputs go to /dev/null.
enum class Pipe { kStdout, kStderr, kStdin };
struct Child {
  pid_t pid = -1;
  int fd = -1;  // the test's end of the pipe
};

Child spawn(const std::vector<std::string>& argv, Pipe pipe) {
  int p[2];
  REQUIRE(::pipe(p) == 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    FILE* null = std::fopen("/dev/null", "w");
    for (int fd : {1, 2})
      if (null) ::dup2(fileno(null), fd);
    if (pipe == Pipe::kStdin) ::dup2(p[0], 0);
    else ::dup2(p[1], pipe == Pipe::kStderr ? 2 : 1);
    ::close(p[0]);
    ::close(p[1]);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  const bool write_end = pipe == Pipe::kStdin;
  ::close(write_end ? p[0] : p[1]);
  return {pid, write_end ? p[1] : p[0]};
}

Child spawn(const std::vector<std::string>& argv, bool capture_stderr) {
  return spawn(argv, capture_stderr ? Pipe::kStderr : Pipe::kStdout);
}

std::string read_line(int fd) {
  std::string line;
  char c;
  while (::read(fd, &c, 1) == 1) {
    if (c == '\n') return line;
    line += c;
  }
  return line;
}

int wait_child(const Child& c) {
  int status = 0;
  ::waitpid(c.pid, &status, 0);
  ::close(c.fd);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

enum class Kind { kSqlite, kPostgres };

// A new, empty catalogue location for a test: a file in `dir`, or a new database on the test server.
std::string new_db(Kind kind, const fs::path& dir, const std::string& name) {
  if (kind == Kind::kSqlite) return (dir / (name + ".db")).string();
  return pg_uri(pg_new_database(name));
}

// The database name of a test catalogue URI (for psql).
std::string pg_name(const std::string& uri) {
  const size_t start = std::string("postgresql:///").size();
  return uri.substr(start, uri.find('?') - start);
}

json without_tool(json doc) {
  doc.erase("tool");  // the only field that could differ between two runs of the same binary
  return doc;
}

// A catalogue keeps every component's hashes, facts and function hashes, not its images: a diff from
// it has the same changes, classes, details and functions, without the drill-down that reads the
// images again (instructions per function, call differences, bytes changed in a section).
json without_drilldown(json doc) {
  doc = without_tool(std::move(doc));
  for (auto& c : doc["diff"]["changes"]) {
    c.erase("summary");
    for (auto& d : c["details"]) d.erase("note");
    for (auto& f : c["functions"]) f = json{{"id", f["id"]}, {"change", f["change"]}};
  }
  if (doc.contains("verdict")) doc["verdict"].erase("evidence");
  return doc;
}

// The table of a diff's text (header and one row per change), without the drill-down lines after it.
std::string table_of(const std::string& text) {
  std::string out;
  size_t at = 0;
  for (size_t n = 0; at < text.size(); ++n) {
    const size_t end = text.find('\n', at);
    const std::string line = text.substr(at, end == std::string::npos ? std::string::npos : end - at + 1);
    at = end == std::string::npos ? text.size() : end + 1;
    if (n == 0 || line.rfind("CHANGE ", 0) == 0 || line.rfind("modified ", 0) == 0 || line.rfind("added ", 0) == 0 ||
        line.rfind("removed ", 0) == 0 || line.find("relink-only change") != std::string::npos)
      out += line;
  }
  return out;
}

std::set<std::string> change_ids(const json& diff_doc) {
  std::set<std::string> ids;
  for (const auto& c : diff_doc["diff"]["changes"]) ids.insert(c["id"].get<std::string>());
  return ids;
}

}  // namespace

// A test run on both backends: `fn(Kind kind)` is its body.
#define CATALOG_TEST(title, tags, fn)                                  \
  static void fn(Kind kind);                                           \
  TEST_CASE("catalog: " title, tags "[sqlite]") { fn(Kind::kSqlite); } \
  TEST_CASE("catalog (postgres): " title, tags "[postgres]") {         \
    if (pg_available()) fn(Kind::kPostgres);                           \
  }                                                                    \
  static void fn(Kind kind)

// One build whose components share contents: the same binary at a second path (one details row,
// two component rows) and a component listed twice (one row, two members). Each loads back in place.
CATALOG_TEST("components sharing content within a build are stored once and load back in order", "[catalog]",
             shared_content) {
  auto dir = scratch_dir("catalog-shared");
  const std::string db = new_db(kind, dir, "c");
  auto cat = open_new(db);
  BuildInventory inv = inventory_of(build_path(0));
  REQUIRE(inv.components.size() >= 3);
  size_t binary = 0;
  while (binary < inv.components.size() && inv.components[binary].functions.empty()) ++binary;
  REQUIRE(binary < inv.components.size());
  Component moved = inv.components[binary];
  moved.id += "-copy";
  moved.path += "-copy";
  inv.components.insert(inv.components.begin() + 1, moved);
  inv.components.push_back(inv.components[2]);
  inv.components.push_back(moved);
  auto r = cat.add(inv);
  REQUIRE(r);
  CHECK(r->status == catalog::AddStatus::kAdded);
  auto back = cat.load(r->build.id);
  REQUIRE(back);
  check_equal(inv, *back);
  // Adding it again finds every row.
  inv.source += "-again";
  auto again = cat.add(inv);
  REQUIRE(again);
  CHECK(again->status == catalog::AddStatus::kAlreadyPresent);
}

CATALOG_TEST("a stored inventory loads back equal field by field", "[catalog]", roundtrip) {
  auto dir = scratch_dir("catalog-roundtrip");
  const std::string db = new_db(kind, dir, "c");
  auto cat = open_new(db);

  // Every build of the series, as make_inventory reads it (symbols, functions, hashes, KC entries).
  std::vector<int64_t> ids;
  for (size_t i = 0; i < kBuildDirs.size(); ++i) {
    BuildInventory inv = inventory_of(build_path(i));
    auto r = cat.add(inv);
    REQUIRE(r);
    CHECK(r->status == catalog::AddStatus::kAdded);
    CHECK(r->build.components == inv.components.size());
    auto back = cat.load(r->build.id);
    REQUIRE(back);
    check_equal(inv, *back);
    ids.push_back(r->build.id);
  }

  // load_for_diff leaves out lists that are the same on both sides: every diff is still the same.
  for (size_t i = 0; i < ids.size(); ++i)
    for (size_t j = 0; j < ids.size(); ++j) {
      INFO("builds " << i << " " << j);
      auto a = cat.load(ids[i]);
      auto b = cat.load(ids[j]);
      auto pair = cat.load_for_diff(ids[i], ids[j]);
      REQUIRE(a);
      REQUIRE(b);
      REQUIRE(pair);
      CHECK(reports::to_json(diff_builds(*a, *b)) == reports::to_json(diff_builds(pair->first, pair->second)));
      // Components stored as the same row in both are counted, not built; trust caches never.
      CHECK(pair->first.components.size() + pair->first.omitted_identical == a->components.size());
      CHECK(pair->second.components.size() + pair->second.omitted_identical == b->components.size());
      if (i == j) CHECK(pair->first.omitted_identical == 0);
      if (i != j) CHECK(pair->first.omitted_identical > 0);
    }

  // Everything a model can hold: odd bytes, empty strings, the largest size, not-analysed entries.
  BuildInventory odd;
  odd.source = "/tmp/odd\xff build";
  odd.product = "iOS";
  odd.version = "17.0";
  odd.build = "21A329";
  odd.platform = "ios";
  odd.arch = "arm64e";
  Component c;
  c.id = std::string("nul\0inside", 10);
  c.kind = ComponentKind::kFirmware;
  c.space = Space::kBoot;
  c.location = Location::kPreboot;
  c.path = "\xc3\x28 not utf-8";
  c.size = UINT64_MAX;
  c.hashes = {{"sha256", std::string(64, 'a')}, {"symlink", ""}};
  c.symbols = {"", "_a", std::string("_b\0c", 4)};
  c.functions = {{"", "00"}, {"_f", ""}};
  odd.components.push_back(c);
  Component empty;
  empty.id = "kernel";
  empty.kind = ComponentKind::kKernel;
  odd.components.push_back(empty);
  odd.not_analysed = {{"a/b", "reason one"}, {"", ""}};
  auto r = cat.add(odd);
  REQUIRE(r);
  auto back = cat.load(r->build.id);
  REQUIRE(back);
  check_equal(odd, *back);

  // What was loaded is the same build: adding it again is recognised.
  auto again = cat.add(*back);
  REQUIRE(again);
  CHECK(again->status == catalog::AddStatus::kAlreadyPresent);
  CHECK(again->build.id == r->build.id);

  // Each distinct component content is one row, each distinct binary's lists one details row, as
  // the database's own client counts them (python's sqlite3, psql).
  std::set<std::string> contents, lists;
  auto blob_of = [](const auto& m) {
    std::string k;
    for (const auto& [a, b] : m) k += a + '\0' + b + '\0';
    return k;
  };
  for (size_t i = 0; i <= kBuildDirs.size(); ++i) {
    const BuildInventory inv = i < kBuildDirs.size() ? inventory_of(build_path(i)) : odd;
    for (const auto& x : inv.components) {
      std::string syms;
      for (const auto& y : x.symbols) syms += y + '\0';
      const std::string l = syms + '\1' + blob_of(x.functions) + '\1' + blob_of(x.facts);
      lists.insert(l);
      contents.insert(x.id + '\1' + to_string(x.kind) + '\1' + to_string(x.space) + '\1' + to_string(x.location) +
                      '\1' + x.path + '\1' + x.version + '\1' + x.uuid + '\1' + std::to_string(x.size) + '\1' +
                      x.code_hash + '\1' + blob_of(x.hashes) + '\1' + l);
    }
  }
  const std::string want = fmt::format("3 8 {} {}\n", contents.size(), lists.size());
  if (kind == Kind::kSqlite) {
    auto py = python_sqlite(db,
                            "db = sqlite3.connect(sys.argv[1])\n"
                            "print(db.execute('PRAGMA user_version').fetchone()[0],"
                            " db.execute('SELECT count(*) FROM builds').fetchone()[0],"
                            " db.execute('SELECT count(*) FROM components').fetchone()[0],"
                            " db.execute('SELECT count(*) FROM details').fetchone()[0],"
                            " db.execute('PRAGMA journal_mode').fetchone()[0])");
    CHECK(py.out == want.substr(0, want.size() - 1) + " wal\n");
  } else {
    auto q = psql(pg_name(db), "SELECT (SELECT value FROM meta WHERE key = 'schema_version') || ' ' || "
                               "(SELECT count(*) FROM builds) || ' ' || (SELECT count(*) FROM components) || ' ' || "
                               "(SELECT count(*) FROM details)");
    CHECK(q.out == want);
  }
  CHECK(contents.size() < 11 * 7);  // the series repeats itself: far fewer rows than components added
}

CATALOG_TEST("adding the same build twice is recognised and skipped", "[catalog][cli]", readd) {
  auto dir = scratch_dir("catalog-readd");
  const std::string db = new_db(kind, dir, "c");
  auto first = run_upscope({"catalog", "add", "--db", db, build_path(0), build_path(1)});
  INFO(first.err);
  REQUIRE(first.exit_code == 0);
  CHECK(first.out == build_path(0) + ": added #1 macOS 13.3 (22E252): 11 components, 0 not analysed\n" +
                         build_path(1) + ": added #2 macOS 13.3.1 (22E261): 11 components, 0 not analysed\n");
  // progress per build on stderr
  CHECK(first.err.find("[1/2] " + build_path(0) + ": reading\n") != std::string::npos);
  CHECK(first.err.find("[2/2] " + build_path(1) + ": added #2") != std::string::npos);

  // The same content from another path is the same build.
  fs::copy(build_path(1), dir / "copy", fs::copy_options::recursive);
  auto second = run_upscope({"catalog", "add", "--json", "--db", db, build_path(0), (dir / "copy").string()});
  REQUIRE(second.exit_code == 0);
  auto doc = json::parse(second.out);
  CHECK(doc["schema"] == "upscope/catalog-add/1");
  REQUIRE(doc["results"].size() == 2);
  CHECK(doc["results"][0]["status"] == "already-present");
  CHECK(doc["results"][0]["build"]["id"] == 1);
  CHECK(doc["results"][1]["status"] == "already-present");
  CHECK(doc["results"][1]["build"]["id"] == 2);
  CHECK(doc["results"][1]["build"]["source"] == build_path(1));

  auto ls = run_upscope({"catalog", "ls", "--json", "--db", db});
  REQUIRE(ls.exit_code == 0);
  auto l = json::parse(ls.out);
  CHECK(l["schema"] == "upscope/catalog-ls/1");
  REQUIRE(l["builds"].size() == 2);
  CHECK(l["builds"][0]["label"] == "macOS 13.3 (22E252)");
  CHECK(l["builds"][1]["label"] == "macOS 13.3.1 (22E261)");

  // A build that cannot be read is reported, the others still added, and the exit code says so.
  auto bad = run_upscope({"catalog", "add", "--db", db, (dir / "no-such-build").string(), build_path(2)});
  CHECK(bad.exit_code == 2);
  CHECK(bad.out.rfind((dir / "no-such-build").string() + ": error: ", 0) == 0);
  CHECK(bad.out.find(build_path(2) + ": added #3 macOS 13.4 (22F66)") != std::string::npos);
}

CATALOG_TEST("diff verdict and history from the catalogue equal upscope diff and verdict on the files",
             "[catalog][cli]", series_diff) {
  auto dir = scratch_dir("catalog-series-diff");
  const std::string db = new_db(kind, dir, "c");
  std::vector<size_t> all(kBuildDirs.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = i;
  auto add = run_upscope(add_args(db, all));
  INFO(add.err);
  REQUIRE(add.exit_code == 0);

  // The known change of each step (make_series.py), beyond the SystemVersion.plist files.
  const std::string plist_sys = "/System/Library/CoreServices/SystemVersion.plist";
  const std::string plist_cx = "/System/Cryptexes/OS/System/Library/CoreServices/SystemVersion.plist";
  const std::string webkit = "/System/Library/Frameworks/WebKit.framework/Versions/A/WebKit";
  const std::string libexample = "/usr/lib/libexample.dylib";
  // The kernel's id is the inventory's to choose ("kernel" or its fileset entry id): ask it.
  std::string kernel;
  const json inv0 = json::parse(run_upscope({"inventory", "--json", build_path(0)}).out);
  for (const auto& c : inv0["build"]["components"])
    if (c["kind"] == "kernel") kernel = c["id"];
  REQUIRE(!kernel.empty());
  // Byte truth: the kernel collection file changes with the kernel or a kext in it.
  const std::string kc_file = "/System/Library/KernelCollections/BootKernelExtensions.kc";
  const std::vector<std::set<std::string>> expected = {
      {kernel, kc_file, plist_sys, plist_cx},    {"com.example.driver.A", kc_file, plist_sys, plist_cx},
      {webkit, plist_cx},                        {libexample, plist_sys, plist_cx},
      {libexample, plist_sys, plist_cx},         {plist_sys, plist_cx}};
  const std::vector<std::string> verdicts = {"no", "no", "yes", "no", "no", "no"};

  std::map<std::string, std::map<size_t, json>> direct_changes;  // component -> step -> change
  auto compare_pair = [&](size_t i, size_t j) {
    INFO("builds " << kNames[i] << " -> " << kNames[j]);
    auto direct = run_upscope({"diff", "--json", build_path(i), build_path(j)});
    auto cat = run_upscope({"catalog", "diff", "--json", "--db", db, kNames[i], kNames[j]});
    INFO(cat.err);
    CHECK(cat.exit_code == direct.exit_code);
    auto dj = json::parse(direct.out);
    CHECK(without_drilldown(json::parse(cat.out)) == without_drilldown(dj));
    auto direct_text = run_upscope({"diff", build_path(i), build_path(j)});
    auto cat_text = run_upscope({"catalog", "diff", "--db", db, kNames[i], kNames[j]});
    CHECK(table_of(cat_text.out) == table_of(direct_text.out));
    auto dv = run_upscope({"verdict", "--json", build_path(i), build_path(j)});
    auto cv = run_upscope({"catalog", "verdict", "--json", "--db", db, kNames[i], kNames[j]});
    CHECK(cv.exit_code == dv.exit_code);
    CHECK(without_drilldown(json::parse(cv.out)) == without_drilldown(json::parse(dv.out)));
    auto dvt = run_upscope({"verdict", build_path(i), build_path(j)});
    auto cvt = run_upscope({"catalog", "verdict", "--db", db, kNames[i], kNames[j]});
    auto head = [](const std::string& t) {  // title, headline, RSR-eligible and rule lines
      size_t at = 0;
      for (int k = 0; k < 4 && at != std::string::npos; ++k) at = t.find('\n', at == 0 ? 0 : at + 1);
      return t.substr(0, at);
    };
    CHECK(head(cvt.out) == head(dvt.out));
    CHECK(cvt.exit_code == dvt.exit_code);
    return std::make_pair(dj, json::parse(dv.out));
  };

  for (size_t i = 0; i + 1 < kBuildDirs.size(); ++i) {
    auto [dj, vj] = compare_pair(i, i + 1);
    INFO("step to " << kNames[i + 1]);
    CHECK(change_ids(dj) == expected[i]);
    CHECK(vj["verdict"]["rsr_eligible"] == verdicts[i]);
    for (const auto& c : dj["diff"]["changes"]) direct_changes[c["id"]][i + 1] = c;
  }
  compare_pair(0, 6);
  compare_pair(6, 0);

  // The WebKit change is one function, the kext change its UUID, libexample removed then back.
  CHECK(direct_changes[webkit][3]["functions_changed"] == json::array({"_func_00002"}));
  CHECK(direct_changes[libexample][4]["change"] == "removed");
  CHECK(direct_changes[libexample][5]["change"] == "added");
  std::set<std::string> kext_fields;
  for (const auto& e : direct_changes["com.example.driver.A"][2]["evidence"]) kext_fields.insert(e["field"]);
  CHECK(kext_fields.count("uuid") == 1);
  CHECK(kext_fields.count("code_hash") == 0);

  // Every component that changed anywhere: its history is exactly the direct diffs' records.
  for (const auto& [id, by_step] : direct_changes) {
    INFO("history of " << id);
    auto h = run_upscope({"history", "--json", "--db", db, id});
    INFO(h.err);
    REQUIRE(h.exit_code == 0);
    auto hj = json::parse(h.out);
    CHECK(hj["schema"] == "upscope/history/1");
    CHECK(hj["component"] == id);
    CHECK(hj["builds_catalogued"] == 7);
    REQUIRE(hj["entries"].size() == by_step.size() + 1);
    CHECK(hj["entries"][0]["change"] == "baseline");
    CHECK(hj["entries"][0]["build"]["label"] == "macOS 13.3 (22E252)");
    size_t k = 1;
    for (const auto& [step, change] : by_step) {
      const auto& e = hj["entries"][k++];
      CHECK(e["build"]["version"] == json::parse(run_upscope({"inventory", "--json", build_path(step)}).out)["build"]["version"]);
      CHECK(e["change"] == change["change"]);
      json wrapped = {{"diff", {{"changes", json::array({e["diff"]})}}}};
      json direct = {{"diff", {{"changes", json::array({change})}}}};
      CHECK(without_drilldown(wrapped) == without_drilldown(direct));
    }
  }

  // The text form names the builds in series order and the changed function.
  auto ht = run_upscope({"history", "--db", db, "WebKit"});
  REQUIRE(ht.exit_code == 0);
  CHECK(ht.out.rfind(webkit + ": changed in 2 of 7 catalogued builds\n", 0) == 0);
  CHECK(ht.out.find("#4 macOS 13.4 (a) (22F770820d)") != std::string::npos);
  CHECK(ht.out.find("~_func_00002") != std::string::npos);
  auto hl = json::parse(run_upscope({"history", "--json", "--db", db, libexample}).out);
  REQUIRE(hl["entries"].size() == 3);
  CHECK(hl["entries"][1]["change"] == "removed");
  CHECK(hl["entries"][1]["component"].is_null());
  CHECK(hl["entries"][2]["change"] == "added");
  CHECK(hl["entries"][2]["component"]["uuid"] == hl["entries"][0]["component"]["uuid"]);

  // `catalog ls` in series order, whatever order the builds were added in.
  auto ls = json::parse(run_upscope({"catalog", "ls", "--json", "--db", db}).out);
  REQUIRE(ls["builds"].size() == 7);
  for (size_t i = 0; i < 7; ++i) CHECK(ls["builds"][i]["source"] == build_path(i));
}

CATALOG_TEST("builds are named by version or letter or build or id or path and ambiguity lists the candidates",
             "[catalog][cli]", names) {
  auto dir = scratch_dir("catalog-names");
  const std::string db = new_db(kind, dir, "c");
  REQUIRE(run_upscope(add_args(db, {0, 2, 3})).exit_code == 0);
  // A second 13.3 22E252 with other content: the same name, another build.
  fs::copy(build_path(0), dir / "other", fs::copy_options::recursive);
  write_bytes(dir / "other/usr/lib/extra.txt", {'x', '\n'});
  REQUIRE(run_upscope({"-q", "catalog", "add", "--db", db, (dir / "other").string()}).exit_code == 0);
  // The two 13.3 builds are ordered by content digest: the same order in every catalogue.
  auto listed = json::parse(run_upscope({"catalog", "ls", "--json", "--db", db}).out)["builds"];
  REQUIRE(listed.size() == 4);
  CHECK(listed[2]["label"] == "macOS 13.4 (22F66)");
  CHECK(listed[3]["label"] == "macOS 13.4 (a) (22F770820d)");
  const bool base_first = listed[0]["source"] == build_path(0);
  CHECK(listed[base_first ? 1 : 0]["source"] == (dir / "other").string());
  CHECK((listed[0]["digest"].get<std::string>() < listed[1]["digest"].get<std::string>()));

  auto label_of = [&](const std::string& name) {
    auto r = run_upscope({"catalog", "diff", "--json", "--db", db, name, "#2"});
    INFO(name << ": " << r.err);
    if (r.exit_code == 2) return std::string("error");
    return json::parse(r.out)["builds"]["old"]["label"].get<std::string>();
  };
  CHECK(label_of("13.4") == "macOS 13.4 (22F66)");           // the one without a letter
  CHECK(label_of("13.4 (a)") == "macOS 13.4 (a) (22F770820d)");
  CHECK(label_of("22F770820d") == "macOS 13.4 (a) (22F770820d)");
  CHECK(label_of("13.4 22F66") == "macOS 13.4 (22F66)");
  CHECK(label_of("#4") == "macOS 13.4 (a) (22F770820d)");
  CHECK(label_of("#3") == "macOS 13.4 (22F66)");
  CHECK(label_of(build_path(3)) == "macOS 13.4 (a) (22F770820d)");
  CHECK(label_of("macOS 13.4 (a) (22F770820d)") == "macOS 13.4 (a) (22F770820d)");

  auto amb = run_upscope({"catalog", "diff", "--db", db, "13.3", "13.4"});
  CHECK(amb.exit_code == 2);
  CHECK(amb.out.empty());
  const std::string base_line = "(added from " + build_path(0) + ")\n";
  const std::string other_line = "(added from " + (dir / "other").string() + ")\n";
  CHECK(amb.err == "upscope: error: " + db +
                       ": \"13.3\" names 2 builds; name one by its catalogue id:\n"
                       "  #1 macOS 13.3 (22E252) " + (base_first ? base_line : other_line) +
                       "  #2 macOS 13.3 (22E252) " + (base_first ? other_line : base_line));
  auto none = run_upscope({"catalog", "verdict", "--db", db, "13.9", "13.4"});
  CHECK(none.exit_code == 2);
  CHECK(none.err == "upscope: error: " + db +
                        ": no build named \"13.9\" among the 4 catalogued (see `upscope catalog ls`)\n");
  auto nocomp = run_upscope({"history", "--db", db, "NoSuchThing"});
  CHECK(nocomp.exit_code == 2);
  CHECK(nocomp.err == "upscope: error: " + db + ": no component \"NoSuchThing\" in any catalogued build\n");
  auto ambcomp = run_upscope({"history", "--db", db, "SystemVersion.plist"});
  CHECK(ambcomp.exit_code == 2);
  CHECK(ambcomp.err.find("\"SystemVersion.plist\" matches 2 components; name one by its full id:\n") !=
        std::string::npos);
}

TEST_CASE("catalog: the default database is under XDG_DATA_HOME", "[catalog][cli][sqlite]") {
  auto dir = scratch_dir("catalog-xdg");
  auto r = run_shell("XDG_DATA_HOME=" + shell_quote(dir.string()) + " " + shell_quote(upscope_binary()) +
                     " -q catalog add " + shell_quote(build_path(0)) + " 2>&1");
  INFO(r.out);
  CHECK(r.exit_code == 0);
  CHECK(fs::exists(dir / "upscope/catalog.db"));
  auto ls = run_shell("XDG_DATA_HOME=" + shell_quote(dir.string()) + " " + shell_quote(upscope_binary()) +
                      " catalog ls 2>&1");
  CHECK(ls.out.rfind((dir / "upscope/catalog.db").string() + ": 1 build\n", 0) == 0);
}

TEST_CASE("catalog: a writer killed mid-transaction leaves the earlier builds intact and the file usable",
          "[catalog][cli][sqlite]") {
  auto dir = scratch_dir("catalog-kill");
  const auto db = dir / "c.db";
  std::vector<BuildInventory> invs;
  for (size_t i = 0; i < kBuildDirs.size(); ++i) invs.push_back(inventory_of(build_path(i)));
  {
    auto cat = open_new(db.string());
    REQUIRE(cat.add(invs[0]));
    REQUIRE(cat.add(invs[1]));
  }

  // (1) A writer holding the write transaction, with uncommitted pages spilled into the WAL, is killed.
  Child writer = spawn({"python3", "-c",
                        "import sqlite3, sys, os\n"
                        "db = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
                        "db.execute('PRAGMA cache_size = 1')\n"
                        "db.execute('BEGIN IMMEDIATE')\n"
                        "db.execute(\"INSERT INTO builds VALUES (99, 'half', 'macOS', '13.9', 'X', '', '', '', 'half',"
                        " 'now', 100000, 0, x'', x'00')\")\n"
                        "for i in range(30000):\n"
                        "    db.execute(\"INSERT INTO components VALUES (NULL, ?, ?, 'file', 'data', 'unknown', '', '',"
                        " '', 0, '', x'00', 1)\", (str(i).encode(), 'id%d' % i))\n"
                        "print('ready', os.path.getsize(sys.argv[1] + '-wal'), flush=True)\n"
                        "import time; time.sleep(60)\n",
                        db.string()},
                       false);
  std::string ready = read_line(writer.fd);
  INFO(ready);
  REQUIRE(ready.rfind("ready ", 0) == 0);
  CHECK(std::stoll(ready.substr(6)) > 100000);  // the half-written build really reached the WAL file
  ::kill(writer.pid, SIGKILL);
  CHECK(wait_child(writer) == 128 + SIGKILL);
  {
    auto cat = catalog::Catalog::open(db.string(), catalog::Catalog::Mode::kCreate);
    REQUIRE(cat);
    auto list = cat->list();
    REQUIRE(list);
    REQUIRE(list->size() == 2);
    for (size_t i = 0; i < 2; ++i) {
      auto back = cat->load((*list)[i].id);
      REQUIRE(back);
      check_equal(invs[i], *back);
    }
    REQUIRE(cat->add(invs[2]));
  }

  // (2) `upscope catalog add` itself killed once its first build is in: whatever it was doing then.
  Child add = spawn({upscope_binary(), "catalog", "add", "--db", db.string(), build_path(3), build_path(4),
                     build_path(5), build_path(6)},
                    true);
  std::string line;
  while ((line = read_line(add.fd)).find("added #") == std::string::npos && !line.empty()) {
  }
  ::kill(add.pid, SIGKILL);
  wait_child(add);
  auto cat = catalog::Catalog::open(db.string(), catalog::Catalog::Mode::kCreate);
  REQUIRE(cat);
  auto list = cat->list();
  REQUIRE(list);
  REQUIRE(list->size() >= 4);
  for (const auto& b : *list) {
    auto back = cat->load(b.id);
    REQUIRE(back);
    size_t i = std::find(kBuildDirs.begin(), kBuildDirs.end(), fs::path(b.source).filename().string()) -
               kBuildDirs.begin();
    REQUIRE(i < invs.size());
    check_equal(invs[i], *back);
  }
  auto rest = run_upscope(add_args(db.string(), {3, 4, 5, 6}));
  CHECK(rest.exit_code == 0);
  auto all = cat->list();
  REQUIRE(all);
  CHECK(all->size() == 7);
  auto check = python_sqlite(db, "print(sqlite3.connect(sys.argv[1]).execute('PRAGMA integrity_check').fetchone()[0])");
  CHECK(check.out == "ok\n");
}

CATALOG_TEST("three processes adding at once all succeed", "[catalog][cli]", concurrent) {
  auto dir = scratch_dir("catalog-concurrent");
  const std::string db = new_db(kind, dir, "c");  // none finds a schema: they race to create it too
  auto a = spawn({upscope_binary(), "catalog", "add", "--db", db, build_path(0), build_path(2), build_path(4),
                  build_path(6), build_path(3)},
                 false);
  auto b = spawn({upscope_binary(), "catalog", "add", "--db", db, build_path(1), build_path(3), build_path(5),
                  build_path(0)},
                 false);
  auto c = spawn({upscope_binary(), "catalog", "add", "--db", db, build_path(3), build_path(0), build_path(6)}, false);
  CHECK(wait_child(a) == 0);
  CHECK(wait_child(b) == 0);
  CHECK(wait_child(c) == 0);
  auto cat = catalog::Catalog::open(db, catalog::Catalog::Mode::kExisting);
  REQUIRE(cat);
  auto list = cat->list();
  REQUIRE(list);
  REQUIRE(list->size() == 7);  // builds 0, 3 and 6 were added by two or three: stored once
  for (size_t i = 0; i < 7; ++i) {
    CHECK((*list)[i].source == build_path(i));
    auto back = cat->load((*list)[i].id);
    REQUIRE(back);
    check_equal(inventory_of(build_path(i)), *back);
  }
}

TEST_CASE("catalog: files that are not our catalogue give exact errors naming the file", "[catalog][cli][sqlite]") {
  auto dir = scratch_dir("catalog-errors");
  auto err_of = [](const fs::path& db) {
    auto r = run_upscope({"catalog", "ls", "--db", db.string()});
    CHECK(r.exit_code == 2);
    CHECK(r.out.empty());
    return r.err;
  };
  auto add_err = [](const fs::path& db) {
    auto r = run_upscope({"catalog", "add", "--db", db.string(), build_path(0)});
    CHECK(r.exit_code == 2);
    return r.err;
  };
  const std::string E = "upscope: error: ";

  const auto text = dir / "notes.txt";
  write_bytes(text, {'h', 'e', 'l', 'l', 'o', '\n'});
  CHECK(err_of(text) == E + text.string() + ": not an SQLite database: it does not start with \"SQLite format 3\"\n");
  CHECK(add_err(text) == E + text.string() + ": not an SQLite database: it does not start with \"SQLite format 3\"\n");
  CHECK(read_file(text) == "hello\n");  // untouched

  const auto missing = dir / "missing.db";
  CHECK(err_of(missing) == E + missing.string() +
                               ": no catalogue here (add builds with `upscope catalog add BUILD... --db FILE`)\n");
  CHECK(!fs::exists(missing));
  CHECK(err_of(dir) == E + dir.string() + ": not a regular file\n");

  // A database URI is a database, never a file name (it used to become a directory "postgresql:"):
  // with no server behind it the error is libpq's, and nothing is created here.
  const std::string url = "postgresql:///upscope?host=" + dir.string();
  const fs::path cwd = dir / "cwd";
  fs::create_directories(cwd);
  auto u = run_shell("cd " + shell_quote(cwd.string()) + " && " + shell_quote(upscope_binary()) +
                     " catalog add --db " + shell_quote(url) + " " + shell_quote(build_path(0)) + " 2>&1");
  CHECK(u.exit_code == 2);
  CHECK(u.out == E + url + ": connecting: PostgreSQL: connection to server on socket \"" + dir.string() +
                     "/.s.PGSQL.5432\" failed: No such file or directory Is the server running locally and accepting "
                     "connections on that socket?\n");
  CHECK(fs::is_empty(cwd));

  const auto foreign = dir / "foreign.db";
  REQUIRE(python_sqlite(foreign, "db = sqlite3.connect(sys.argv[1]); db.execute('CREATE TABLE songs(title)');"
                                 " db.execute('CREATE TABLE albums(name)'); db.commit()")
              .exit_code == 0);
  const std::string foreign_msg = E + foreign.string() +
                                  ": not an upscope catalogue: an SQLite database of another application "
                                  "(application_id 0x00000000, tables: albums, songs)\n";
  CHECK(err_of(foreign) == foreign_msg);
  CHECK(add_err(foreign) == foreign_msg);
  CHECK(python_sqlite(foreign, "print(sqlite3.connect(sys.argv[1]).execute('PRAGMA journal_mode').fetchone()[0])").out ==
        "delete\n");  // not switched to WAL: we changed nothing

  // A catalogue from a newer upscope, and one older than any migration.
  const auto newer = dir / "newer.db";
  REQUIRE(run_upscope(add_args(newer.string(), {0})).exit_code == 0);
  REQUIRE(python_sqlite(newer, "db = sqlite3.connect(sys.argv[1]); db.execute('PRAGMA user_version = 4'); db.commit()")
              .exit_code == 0);
  const std::string newer_msg = E + newer.string() +
                                ": catalogue schema version 4 is newer than this upscope supports (3): use a newer "
                                "upscope\n";
  CHECK(err_of(newer) == newer_msg);
  CHECK(add_err(newer) == newer_msg);
  // Schema 2 and schema 1 catalogues (as catalog_schema2.py writes them from ours) are migrated to 3
  // when opened: the same builds, sources and dates, the same diffs (schema 1 had no facts: its
  // diffs fall back to content and code hashes, and still find the changes).
  for (const std::string version : {"2", "1"}) {
    INFO("schema " << version);
    const auto older = dir / ("schema" + version + ".db");
    REQUIRE(run_upscope(add_args(older.string(), {0, 1, 3})).exit_code == 0);
    auto ls_before = run_upscope({"catalog", "ls", "--json", "--db", older.string()});
    auto diff_before = run_upscope({"catalog", "diff", "--json", "--db", older.string(), kNames[0], kNames[3]});
    auto w = run_writer("catalog_schema2.py", shell_quote(older.string()) + " " + version);
    INFO(w.out);
    REQUIRE(w.exit_code == 0);
    REQUIRE(python_sqlite(older, "print(sqlite3.connect(sys.argv[1]).execute('SELECT count(*) FROM components')"
                                 ".fetchone()[0])").out == "33\n");  // one row per build and component
    auto migrated = run_upscope({"catalog", "diff", "--json", "--db", older.string(), kNames[0], kNames[3]});
    INFO(migrated.err);
    CHECK(migrated.exit_code == 1);
    CHECK(python_sqlite(older, "print(sqlite3.connect(sys.argv[1]).execute('PRAGMA user_version').fetchone()[0])")
              .out == "3\n");
    auto ls_after = run_upscope({"catalog", "ls", "--json", "--db", older.string()});
    if (version == "2") {
      CHECK(ls_after.out == ls_before.out);
      CHECK(migrated.out == diff_before.out);
    } else {
      // Schema 1 kept no facts: its builds' contents, hence their digests, are not the ones read
      // from the files; everything else is the same.
      auto strip = [](const std::string& doc) {
        auto j = json::parse(doc);
        for (auto& b : j["builds"]) b.erase("digest");
        return j.dump();
      };
      CHECK(strip(ls_after.out) == strip(ls_before.out));
      CHECK(json::parse(ls_after.out)["builds"][0]["digest"] != json::parse(ls_before.out)["builds"][0]["digest"]);
    }
    CHECK(!json::parse(migrated.out)["diff"]["changes"].empty());
  }
  REQUIRE(python_sqlite(newer, "db = sqlite3.connect(sys.argv[1]); db.execute('PRAGMA user_version = 0'); db.commit()")
              .exit_code == 0);
  CHECK(err_of(newer) == E + newer.string() +
                             ": catalogue schema version 0 is older than any this upscope can migrate (oldest: 1)\n");

  // A catalogue whose schema page is overwritten, and one cut short.
  const auto corrupt = dir / "corrupt.db";
  REQUIRE(run_upscope(add_args(corrupt.string(), {0, 1, 2})).exit_code == 0);
  REQUIRE(!fs::exists(dir / "corrupt.db-wal"));  // checkpointed on close: the data is in the main file
  auto bytes = read_bytes(corrupt);
  REQUIRE(bytes.size() > 8192);
  auto broken = bytes;
  for (size_t i = 100; i < 4096; ++i) broken[i] = static_cast<uint8_t>(0xA5 ^ i);
  write_bytes(corrupt, broken);
  const std::string corrupt_msg =
      E + corrupt.string() + ": reading the schema: the catalogue is corrupted (SQLite: database disk image is malformed)\n";
  CHECK(err_of(corrupt) == corrupt_msg);
  CHECK(add_err(corrupt) == corrupt_msg);

  const auto cut = dir / "cut.db";
  write_bytes(cut, std::vector<uint8_t>(bytes.begin(), bytes.begin() + 4096));
  auto r = run_upscope({"catalog", "diff", "--db", cut.string(), "13.3", "13.4"});
  CHECK(r.exit_code == 2);
  CHECK(r.err == E + cut.string() +
                     ": reading the schema: the catalogue is corrupted (SQLite: database disk image is malformed)\n");
}

TEST_CASE("catalog: the make_series.py WebKit change is one function as llvm-objdump reads it", "[catalog]") {
  auto which = run_shell("command -v llvm-objdump");
  if (which.exit_code != 0) {
    WARN("SKIPPED: llvm-objdump is not installed");
    return;
  }
  auto dis = [&](size_t i) {
    return run_shell("llvm-objdump -d --macho " +
                     shell_quote(build_path(i) +
                                 "/System/Cryptexes/OS/System/Library/Frameworks/WebKit.framework/Versions/A/WebKit") +
                     " 2>&1")
        .out;
  };
  auto before = dis(2), after = dis(3);
  auto body = [](const std::string& d, const std::string& fn) {
    auto at = d.find(fn + ":\n");
    REQUIRE(at != std::string::npos);
    return d.substr(at, d.find(":\n", at + fn.size() + 2) - at);
  };
  CHECK(body(before, "_func_00002").find("ret") != std::string::npos);
  CHECK(body(after, "_func_00002").find("nop") != std::string::npos);
  CHECK(body(after, "_func_00001") == body(before, "_func_00001"));
}

TEST_CASE("catalog: --db takes a file path or a PostgreSQL URI, and messages never show a password", "[catalog]") {
  using catalog::DbLocation;
  auto kind_of = [](const std::string& db) {
    auto l = catalog::parse_db_location(db);
    return l ? (l->kind == DbLocation::Kind::kPostgres ? "postgres" : "file") : "error: " + l.error().message();
  };
  CHECK(kind_of("postgresql:///upscope?host=/run/pg") == "postgres");
  CHECK(kind_of("postgres://team@db.example/upscope") == "postgres");
  CHECK(kind_of("postgresql://") == "postgres");  // libpq's defaults, environment and service file
  CHECK(kind_of("catalog.db") == "file");
  CHECK(kind_of("/tmp/a:b/c.db") == "file");
  CHECK(kind_of("c:catalog.db") == "file");       // a scheme, but no "//" after it
  CHECK(kind_of("./postgresql://x") == "file");
  CHECK(kind_of("sqlite:///tmp/c.db") ==
        "error: sqlite:///tmp/c.db: \"sqlite:\" URIs are not catalogues: --db takes a file path or a PostgreSQL URI "
        "(postgresql://... or postgres://...)");
  CHECK(kind_of("file:///tmp/c.db").rfind("error: file:///tmp/c.db: \"file:\" URIs are not catalogues", 0) == 0);
  CHECK(kind_of("POSTGRESQL://h/db").rfind("error: ", 0) == 0);  // libpq knows its prefixes in lower case only
  CHECK(kind_of("mysql://me:hunter22@h/db").rfind("error: mysql://me:***@h/db: ", 0) == 0);
  CHECK(kind_of("") == "error: no catalogue named: --db needs a file or a URI");

  auto shown = [](const std::string& uri) { return catalog::parse_db_location(uri)->shown; };
  CHECK(shown("postgresql://me:hunter22@h:5432/db") == "postgresql://me:***@h:5432/db");
  CHECK(shown("postgresql://me:p@ss@h/db") == "postgresql://me:***@h/db");  // the last '@' ends the user-info
  CHECK(shown("postgresql://me@h/db?sslmode=require&password=hunter22&connect_timeout=5") ==
        "postgresql://me@h/db?sslmode=require&password=***&connect_timeout=5");
  CHECK(shown("postgres://h/db?PASSWORD=x") == "postgres://h/db?PASSWORD=***");
  CHECK(shown("postgresql:///db?host=/run/pg") == "postgresql:///db?host=/run/pg");
  CHECK(shown("postgresql://me:pw@[::1]:5432/db") == "postgresql://me:***@[::1]:5432/db");
  CHECK(shown("catalog.db") == "catalog.db");

  // libpq is opened when a PostgreSQL catalogue is, not linked: other commands do not load it and the
  // ~20 libraries it needs (~14 ms of every process's start-up).
  CHECK(run_shell("ldd " + shell_quote(upscope_binary()) + " | grep -c libpq").out == "0\n");

  // Through the CLI: an error, and no directory named after the scheme.
  auto dir = scratch_dir("catalog-uri");
  auto r = run_shell("cd " + shell_quote(dir.string()) + " && " + shell_quote(upscope_binary()) +
                     " catalog add --db sqlite://me:hunter22@x/c.db " + shell_quote(build_path(0)) + " 2>&1");
  CHECK(r.exit_code == 2);
  CHECK(r.out == "upscope: error: sqlite://me:***@x/c.db: \"sqlite:\" URIs are not catalogues: --db takes a file "
                 "path or a PostgreSQL URI (postgresql://... or postgres://...)\n");
  CHECK(fs::is_empty(dir));
}

namespace {

void feed(const Child& f, const std::string& text) { REQUIRE(::write(f.fd, text.data(), text.size()) == (ssize_t)text.size()); }

// Runs `sql` every 50 ms until it prints `want` (10 s at most); true when it did.
bool pg_wait_for(const std::string& database, const std::string& sql, const std::string& want) {
  for (int i = 0; i < 200; ++i) {
    if (psql(database, sql).out == want) return true;
    ::usleep(50000);
  }
  return false;
}

}  // namespace

TEST_CASE("catalog (postgres): a writer killed mid-transaction leaves nothing half-written", "[catalog][cli][postgres]") {
  if (!pg_available()) return;
  auto dir = scratch_dir("catalog-pg-kill");
  const std::string db = new_db(Kind::kPostgres, dir, "kill");
  const std::string name = pg_name(db);
  REQUIRE(run_upscope(add_args(db, {0, 1})).exit_code == 0);

  // Another session holds the content tables: the next writer inserts its build row, then waits
  // inside its transaction for the lock, where it is killed.
  Child locker = spawn({"psql", "-X", "-q", pg_uri(name)}, Pipe::kStdin);
  feed(locker, "BEGIN; LOCK TABLE details, components IN EXCLUSIVE MODE;\n");
  REQUIRE(pg_wait_for(name, "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE "
                            "c.relname = 'components' AND l.mode = 'ExclusiveLock' AND l.granted", "1\n"));
  Child add = spawn({upscope_binary(), "catalog", "add", "--db", db, build_path(3)}, true);
  const bool waiting = pg_wait_for(name, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'upscope' "
                                         "AND wait_event_type = 'Lock' AND xact_start IS NOT NULL", "1\n");
  ::kill(add.pid, SIGKILL);
  CHECK(wait_child(add) == 128 + SIGKILL);
  CHECK(waiting);  // it was inside its transaction, its build row inserted, when it died
  feed(locker, "ROLLBACK;\n\\q\n");
  ::close(locker.fd);
  int status = 0;
  ::waitpid(locker.pid, &status, 0);

  // The server rolled the dead writer's transaction back: two builds, every one whole.
  CHECK(pg_wait_for(name, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'upscope'", "0\n"));
  CHECK(psql(name, "SELECT count(*), count(*) FILTER (WHERE members = '') FROM builds").out == "2|0\n");
  auto again = run_upscope(add_args(db, {3}));
  CHECK(again.exit_code == 0);
  auto cat = catalog::Catalog::open(db, catalog::Catalog::Mode::kExisting);
  REQUIRE(cat);
  auto list = cat->list();
  REQUIRE(list);
  REQUIRE(list->size() == 3);
  const size_t order[] = {0, 1, 3};
  for (size_t i = 0; i < 3; ++i) {
    auto back = cat->load((*list)[i].id);
    REQUIRE(back);
    check_equal(inventory_of(build_path(order[i])), *back);
  }
}

TEST_CASE("catalog (postgres): databases that are not our catalogue give exact errors without the password",
          "[catalog][cli][postgres]") {
  if (!pg_available()) return;
  const std::string E = "upscope: error: ";
  auto err_of = [](const std::string& db) {
    auto r = run_upscope({"catalog", "ls", "--db", db});
    CHECK(r.exit_code == 2);
    CHECK(r.out.empty());
    return r.err;
  };
  auto add_err = [](const std::string& db) {
    auto r = run_upscope({"catalog", "add", "--db", db, build_path(0)});
    CHECK(r.exit_code == 2);
    return r.err;
  };

  const std::string empty = pg_uri(pg_new_database("empty"));
  CHECK(err_of(empty) == E + empty + ": an empty database, not yet a catalogue\n");

  const std::string foreign = pg_new_database("foreign");
  REQUIRE(psql(foreign, "CREATE TABLE songs(title text); CREATE TABLE albums(name text)").exit_code == 0);
  std::string msg = E + pg_uri(foreign) +
                    ": not an upscope catalogue: a PostgreSQL database of another application (tables: albums, songs)\n";
  CHECK(err_of(pg_uri(foreign)) == msg);
  CHECK(add_err(pg_uri(foreign)) == msg);
  REQUIRE(psql(foreign, "CREATE TABLE meta(x int)").exit_code == 0);  // someone else's "meta"
  CHECK(add_err(pg_uri(foreign)) == E + pg_uri(foreign) +
                                        ": not an upscope catalogue: a PostgreSQL database of another application "
                                        "(tables: albums, meta, songs)\n");
  CHECK(psql(foreign, "SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables WHERE schemaname = 'public'")
            .out == "albums,meta,songs\n");  // nothing of ours was created

  const std::string versioned = pg_new_database("versioned");
  REQUIRE(run_upscope(add_args(pg_uri(versioned), {0})).exit_code == 0);
  REQUIRE(psql(versioned, "UPDATE meta SET value = '4' WHERE key = 'schema_version'").exit_code == 0);
  msg = E + pg_uri(versioned) + ": catalogue schema version 4 is newer than this upscope supports (3): use a newer upscope\n";
  CHECK(err_of(pg_uri(versioned)) == msg);
  CHECK(add_err(pg_uri(versioned)) == msg);
  REQUIRE(psql(versioned, "UPDATE meta SET value = '2' WHERE key = 'schema_version'").exit_code == 0);
  CHECK(err_of(pg_uri(versioned)) == E + pg_uri(versioned) +
                                         ": catalogue schema version 2 is older than any this upscope can migrate "
                                         "(oldest: 3)\n");

  // No such database, and no server: libpq's reason, the URI's password replaced wherever it is.
  const std::string dir = pg_server().dir;
  const std::string secret_uri = "postgresql://me:hunter22@/no_such_db?host=" + dir + "&password=hunter22";
  auto r = run_upscope({"catalog", "ls", "--db", secret_uri});
  CHECK(r.exit_code == 2);
  CHECK(r.err.rfind(E + "postgresql://me:***@/no_such_db?host=" + dir + "&password=***: connecting: PostgreSQL: ", 0) ==
        0);
  CHECK(r.err.find("hunter22") == std::string::npos);
  const std::string nodb = pg_uri("no_such_db");
  CHECK(err_of(nodb) == E + nodb + ": connecting: PostgreSQL: connection to server on socket \"" + dir +
                            "/.s.PGSQL.5432\" failed: FATAL:  database \"no_such_db\" does not exist\n");
  auto noserver = run_upscope({"catalog", "add", "--db", "postgresql://me:hunter22@/x?host=/nonexistent", build_path(0)});
  CHECK(noserver.exit_code == 2);
  CHECK(noserver.err == E + "postgresql://me:***@/x?host=/nonexistent: connecting: PostgreSQL: connection to server on "
                            "socket \"/nonexistent/.s.PGSQL.5432\" failed: No such file or directory Is the server "
                            "running locally and accepting connections on that socket?\n");
}

TEST_CASE("catalog (postgres): builds added in any order are numbered and printed as in SQLite", "[catalog][cli][postgres]") {
  if (!pg_available()) return;
  auto dir = scratch_dir("catalog-pg-same");
  const std::string lite = new_db(Kind::kSqlite, dir, "in-order");
  const std::string shuffled = new_db(Kind::kSqlite, dir, "shuffled");
  const std::string pg = new_db(Kind::kPostgres, dir, "same");
  REQUIRE(run_upscope(add_args(lite, {0, 1, 2, 3, 4, 5, 6})).exit_code == 0);
  REQUIRE(run_upscope(add_args(shuffled, {4, 0, 6, 2, 1, 5, 3})).exit_code == 0);
  // Two writers at once into PostgreSQL, each in its own order.
  auto a = spawn({upscope_binary(), "-q", "catalog", "add", "--db", pg, build_path(5), build_path(2), build_path(6),
                  build_path(0)},
                 false);
  auto b = spawn({upscope_binary(), "-q", "catalog", "add", "--db", pg, build_path(3), build_path(1), build_path(4)},
                 false);
  CHECK(wait_child(a) == 0);
  CHECK(wait_child(b) == 0);
  const std::vector<std::string> dbs = {lite, shuffled, pg};

  auto builds_of = [](const std::string& db) {
    auto doc = json::parse(run_upscope({"catalog", "ls", "--json", "--db", db}).out);
    for (auto& e : doc["builds"]) e.erase("added_at");
    return doc["builds"];
  };
  const json want = builds_of(lite);
  REQUIRE(want.size() == 7);
  for (size_t i = 0; i < 7; ++i) CHECK(want[i]["id"] == i + 1);
  // Every command's output, byte for byte (less the database's name where a document carries it).
  std::vector<std::vector<std::string>> commands;
  for (size_t i = 0; i + 1 < kNames.size(); ++i) {
    commands.push_back({"catalog", "diff", kNames[i], kNames[i + 1]});
    commands.push_back({"catalog", "diff", "--json", "#" + std::to_string(i + 1), "#" + std::to_string(i + 2)});
    commands.push_back({"catalog", "verdict", kNames[i], kNames[i + 1]});
  }
  commands.push_back({"catalog", "verdict", "--json", "13.3", "13.5.1"});
  for (const std::string c : {"WebKit", "/usr/lib/libexample.dylib", "com.example.driver.A"}) {
    commands.push_back({"history", c});
    commands.push_back({"history", "--json", c});
  }
  for (auto cmd : commands) {
    cmd.insert(cmd.begin() + (cmd[0] == "history" ? 1 : 2), {"--db", lite});
    auto expected = run_upscope(cmd);
    for (const auto& other : {shuffled, pg}) {
      auto c2 = cmd;
      std::replace(c2.begin(), c2.end(), lite, other);
      auto got = run_upscope(c2);
      INFO(fmt::format("{} on {}", fmt::join(c2, " "), other));
      CHECK(got.exit_code == expected.exit_code);
      if (std::find(cmd.begin(), cmd.end(), "--json") != cmd.end() && cmd[0] == "history") {
        auto x = json::parse(got.out), y = json::parse(expected.out);
        CHECK(x["database"] == other);
        x.erase("database");
        y.erase("database");
        CHECK(x == y);
      } else {
        CHECK(got.out == expected.out);
      }
    }
  }
  CHECK(builds_of(shuffled) == want);
  json from_pg = builds_of(pg);
  CHECK(from_pg == want);
}
