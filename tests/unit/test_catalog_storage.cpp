// What the catalogue stores for a long series of builds that each change a little
// (bench/catalog_series.hpp): each distinct component content once, each distinct binary's lists
// once, a few bytes per build for the rest; on both backends, whatever order the builds come in.
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>

#include <fmt/format.h>

#include "../../bench/catalog_series.hpp"
#include "catalog/catalog.hpp"
#include "pg_test_server.hpp"
#include "test_support.hpp"

using namespace upscope;
using namespace upscope::test;
namespace fs = std::filesystem;

namespace {

constexpr size_t kBuilds = 30;

gen::SeriesShape shape() {
  gen::SeriesShape s;
  s.components = 2000;
  s.permille = 10;
  return s;
}

// Distinct (component, revision) pairs across the series: what should be stored.
size_t distinct_contents() {
  size_t n = 0;
  for (size_t i = 0; i < shape().components; ++i) n += gen::revision(shape(), kBuilds - 1, i) + 1;
  return n;
}

struct Sizes {
  uint64_t empty = 0, one = 0, all = 0;
};

// Adds the series (first build 0, then the rest shuffled), measuring the catalogue after each stage.
// Each stage closes its connection before measuring: SQLite then checkpoints its write-ahead log
// into the file and removes it (a WAL that is open keeps its high-water size, pages it reuses).
Sizes add_series(const std::string& db, const std::function<uint64_t()>& size) {
  Sizes out;
  auto open = [&] {
    auto cat = catalog::Catalog::open(db, catalog::Catalog::Mode::kCreate);
    REQUIRE(cat);
    return std::move(*cat);
  };
  { auto cat = open(); }
  out.empty = size();
  {
    auto cat = open();
    REQUIRE(cat.add(gen::series_build(shape(), 0)));
  }
  out.one = size();
  std::vector<size_t> rest;
  for (size_t k = 1; k < kBuilds; ++k) rest.push_back(k);
  std::shuffle(rest.begin(), rest.end(), std::mt19937(7));
  {
    auto cat = open();
    for (size_t k : rest) {
      auto r = cat.add(gen::series_build(shape(), k));
      REQUIRE(r);
      CHECK(r->status == catalog::AddStatus::kAdded);
    }
  }
  out.all = size();
  return out;
}

void check_catalogue(const std::string& db) {
  auto cat = catalog::Catalog::open(db, catalog::Catalog::Mode::kExisting);
  REQUIRE(cat);
  auto list = cat->list();
  REQUIRE(list);
  REQUIRE(list->size() == kBuilds);
  for (size_t k = 0; k < kBuilds; ++k) CHECK((*list)[k].version == fmt::format("14.{}", k));  // series order
  for (size_t k : {size_t{0}, size_t{17}, kBuilds - 1}) {
    auto back = cat->load(static_cast<int64_t>(k + 1));
    REQUIRE(back);
    const BuildInventory want = gen::series_build(shape(), k);
    REQUIRE(back->components.size() == want.components.size());
    for (size_t i = 0; i < want.components.size(); ++i) {
      const Component &x = back->components[i], &y = want.components[i];
      CHECK((x.id == y.id && x.uuid == y.uuid && x.version == y.version && x.size == y.size &&
             x.hashes == y.hashes && x.code_hash == y.code_hash && x.symbols == y.symbols &&
             x.functions == y.functions && x.facts == y.facts));
    }
  }
  // A component's history has one entry per revision: the baseline and each change.
  size_t changed = 0;
  while (gen::revision(shape(), kBuilds - 1, changed) < 2) ++changed;
  auto h = cat->history(fmt::format("/System/Library/Generated/lib{:06}.dylib", changed));
  REQUIRE(h);
  CHECK(h->entries.size() == gen::revision(shape(), kBuilds - 1, changed) + 1);
  CHECK(h->entries[0].change == "baseline");
}

}  // namespace

TEST_CASE("catalog: a series that changes 1% per build costs its first build plus the changes", "[catalog][sqlite]") {
  auto dir = scratch_dir("catalog-storage");
  const fs::path db = dir / "c.db";
  auto size = [&] {
    REQUIRE(!fs::exists(db.string() + "-wal"));  // checkpointed into the file when the catalogue closed
    return static_cast<uint64_t>(fs::file_size(db));
  };
  Sizes s = add_series(db.string(), size);
  const uint64_t first = s.one - s.empty, per_build = (s.all - s.one) / (kBuilds - 1);
  INFO("first build " << first << " bytes, then " << per_build << " bytes per build");
  CHECK(per_build * 20 < first);  // each later build costs under 5% of the first
  auto rows = run_shell("python3 -c " +
                        shell_quote("import sqlite3, sys\ndb = sqlite3.connect(sys.argv[1])\n"
                                    "print(*[db.execute('SELECT count(*) FROM ' + t).fetchone()[0] for t in "
                                    "('builds', 'components', 'details')])") +
                        " " + shell_quote(db.string()));
  CHECK(rows.out == fmt::format("{} {} {}\n", kBuilds, distinct_contents(), distinct_contents()));
  check_catalogue(db.string());
}

// A first build of more new components than the reindexing threshold (sqlite_store.cpp, 10,000) is
// inserted without the cid and kind indexes, which are built again before the commit: they must be
// there afterwards, and what they serve (history by id, loading, the next build's add) must agree.
TEST_CASE("catalog: a first build large enough to go in without its indexes has them afterwards", "[catalog][sqlite]") {
  auto dir = scratch_dir("catalog-reindex");
  const fs::path db = dir / "c.db";
  gen::SeriesShape big;
  big.components = 12000;
  big.permille = 10;
  {
    auto cat = catalog::Catalog::open(db.string(), catalog::Catalog::Mode::kCreate);
    REQUIRE(cat);
    for (size_t k = 0; k < 3; ++k) REQUIRE(cat->add(gen::series_build(big, k)));
  }
  auto idx = run_shell("python3 -c " +
                       shell_quote("import sqlite3, sys\ndb = sqlite3.connect(sys.argv[1])\n"
                                   "print(*sorted(r[0] for r in db.execute(\"SELECT name FROM sqlite_master WHERE "
                                   "type = 'index' AND tbl_name = 'components' AND sql IS NOT NULL\")))\n"
                                   "print(db.execute('PRAGMA integrity_check').fetchone()[0])") +
                       " " + shell_quote(db.string()));
  CHECK(idx.out == "components_by_cid components_by_kind\nok\n");
  auto cat = catalog::Catalog::open(db.string(), catalog::Catalog::Mode::kExisting);
  REQUIRE(cat);
  auto back = cat->load(1);
  REQUIRE(back);
  const BuildInventory want = gen::series_build(big, 0);
  REQUIRE(back->components.size() == want.components.size());
  size_t same = 0;
  for (size_t i = 0; i < want.components.size(); ++i)
    same += back->components[i].id == want.components[i].id && back->components[i].hashes == want.components[i].hashes;
  CHECK(same == want.components.size());
  size_t changed = 0;
  while (gen::revision(big, 2, changed) < 1) ++changed;
  auto h = cat->history(fmt::format("/System/Library/Generated/lib{:06}.dylib", changed));
  REQUIRE(h);
  CHECK(h->entries.size() == gen::revision(big, 2, changed) + 1);
}

TEST_CASE("catalog (postgres): a series that changes 1% per build costs its first build plus the changes",
          "[catalog][postgres]") {
  if (!pg_available()) return;
  const std::string name = pg_new_database("storage");
  const std::string db = pg_uri(name);
  auto size = [&]() -> uint64_t {
    auto r = psql(name, "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c JOIN pg_namespace n "
                        "ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r'");
    return std::stoull(r.out);
  };
  Sizes s = add_series(db, size);
  const uint64_t first = s.one - s.empty, per_build = (s.all - s.one) / (kBuilds - 1);
  INFO("first build " << first << " bytes, then " << per_build << " bytes per build");
  CHECK(per_build * 20 < first);
  CHECK(psql(name, "SELECT (SELECT count(*) FROM builds) || ' ' || (SELECT count(*) FROM components) || ' ' || "
                   "(SELECT count(*) FROM details)")
            .out == fmt::format("{} {} {}\n", kBuilds, distinct_contents(), distinct_contents()));
  check_catalogue(db);
}

TEST_CASE("catalog: a delta chain longer than its limit starts again on its own, and every build loads",
          "[catalog][sqlite]") {
  auto dir = scratch_dir("catalog-chain");
  const std::string db = (dir / "c.db").string();
  gen::SeriesShape s;
  s.components = 300;
  s.permille = 20;
  s.functions = 1;
  s.symbols = 1;
  constexpr size_t kChain = 64;  // encoding.hpp kMaxMembersDepth: the deepest delta
  const size_t builds = kChain + 3;
  {
    auto cat = catalog::Catalog::open(db, catalog::Catalog::Mode::kCreate);
    REQUIRE(cat);
    for (size_t k = 0; k < builds; ++k) REQUIRE(cat->add(gen::series_build(s, k)));
  }
  // Each build's encoding and depth, read by an independent reader of the blob's header.
  auto heads = run_shell("python3 -c " +
                         shell_quote("import sqlite3, sys\n"
                                     "def uleb(b, i):\n"
                                     "    v = s = 0\n"
                                     "    while True:\n"
                                     "        v |= (b[i] & 0x7f) << s; s += 7; i += 1\n"
                                     "        if b[i - 1] < 0x80: return v, i\n"
                                     "db = sqlite3.connect(sys.argv[1])\n"
                                     "for (m,) in db.execute('SELECT members FROM builds ORDER BY id'):\n"
                                     "    tag, i = uleb(m, 0)\n"
                                     "    if tag == 0: print(0)\n"
                                     "    else:\n"
                                     "        _, i = uleb(m, i)\n"
                                     "        print(uleb(m, i)[0])\n") +
                         " " + shell_quote(db));
  REQUIRE(heads.exit_code == 0);
  std::string want;
  for (size_t k = 0; k < builds; ++k) want += fmt::format("{}\n", k % (kChain + 1));  // 0, 1, ..., 64, 0, 1
  CHECK(heads.out == want);
  auto cat = catalog::Catalog::open(db, catalog::Catalog::Mode::kExisting);
  REQUIRE(cat);
  for (size_t k : {size_t{1}, kChain, kChain + 1, builds - 1}) {
    auto back = cat->load(static_cast<int64_t>(k + 1));
    REQUIRE(back);
    const BuildInventory expect = gen::series_build(s, k);
    REQUIRE(back->components.size() == expect.components.size());
    for (size_t i = 0; i < expect.components.size(); ++i) {
      INFO("build " << k << " component " << i);
      CHECK(back->components[i].id == expect.components[i].id);
      CHECK(back->components[i].hashes == expect.components[i].hashes);
    }
  }
}
