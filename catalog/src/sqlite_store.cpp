// The SQLite backend: one file, WAL mode, writers queued on BEGIN IMMEDIATE. What the file is
// (header, application id, schema version) is checked before anything is written to it.
#include <filesystem>
#include <fstream>
#include <optional>

#include <fmt/format.h>

#include "impl.hpp"
#include "inspect/version.hpp"
#include "sqlite.hpp"

namespace upscope::catalog::detail {

namespace fs = std::filesystem;

namespace {

// Schema 3 (docs/catalog.md §2): contents stored once (details per distinct binary, components per
// distinct content), builds refer to them through their members blob.
constexpr const char* kSchemaTables = R"sql(
CREATE TABLE builds(
  id INTEGER PRIMARY KEY, digest TEXT NOT NULL UNIQUE,
  product TEXT NOT NULL, version TEXT NOT NULL, build TEXT NOT NULL, version_extra TEXT NOT NULL,
  platform TEXT NOT NULL, arch TEXT NOT NULL, source TEXT NOT NULL, added_at TEXT NOT NULL,
  component_count INTEGER NOT NULL, not_analysed_count INTEGER NOT NULL,
  members BLOB NOT NULL, not_analysed BLOB NOT NULL);
CREATE TABLE details(
  id INTEGER PRIMARY KEY, digest BLOB NOT NULL UNIQUE,
  symbols BLOB NOT NULL, functions BLOB NOT NULL, facts BLOB NOT NULL);
CREATE TABLE components(
  id INTEGER PRIMARY KEY, digest BLOB NOT NULL UNIQUE, cid TEXT NOT NULL,
  kind TEXT NOT NULL, space TEXT NOT NULL, location TEXT NOT NULL, path TEXT NOT NULL, version TEXT NOT NULL,
  uuid TEXT NOT NULL, size INTEGER NOT NULL, code_hash TEXT NOT NULL, hashes BLOB NOT NULL,
  details_id INTEGER NOT NULL REFERENCES details(id));
)sql";
// The components table's secondary indexes, apart: a large insert into a small table drops them and
// builds them again after it (SqliteStore::insert_components).
constexpr const char* kComponentIndexes = R"sql(
CREATE INDEX components_by_cid ON components(cid);
CREATE INDEX components_by_kind ON components(kind);
)sql";
constexpr const char* kDropComponentIndexes = "DROP INDEX components_by_cid; DROP INDEX components_by_kind;";

constexpr const char* kBuildColumns =
    "id, digest, product, version, build, version_extra, platform, arch, source, added_at, component_count, "
    "not_analysed_count";
constexpr const char* kComponentColumns =
    "id, digest, cid, kind, space, location, path, version, uuid, size, code_hash, hashes, details_id";

struct Identity {
  int64_t application_id = 0;
  int64_t user_version = 0;
  std::vector<std::string> tables;
  bool fresh() const { return application_id == 0 && user_version == 0 && tables.empty(); }
};

Result<Identity> read_identity(sql::Db& db) {
  constexpr const char* what = "reading the schema";
  Identity id;
  UPSCOPE_TRY(auto app, sql::Stmt::prepare(db, "PRAGMA application_id", what));
  UPSCOPE_TRY(bool row, app.step());
  if (row) id.application_id = app.int64(0);
  UPSCOPE_TRY(auto uv, sql::Stmt::prepare(db, "PRAGMA user_version", what));
  UPSCOPE_TRY(row, uv.step());
  if (row) id.user_version = uv.int64(0);
  UPSCOPE_TRY(auto t, sql::Stmt::prepare(db, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name", what));
  while (true) {
    UPSCOPE_TRY(row, t.step());
    if (!row) break;
    id.tables.emplace_back(t.text(0));
  }
  return id;
}

Status check_identity(const Identity& id, const std::string& path) {
  if (id.application_id != static_cast<int64_t>(kApplicationId)) {
    std::string tables;
    for (const auto& t : id.tables) tables += (tables.empty() ? "" : ", ") + t;
    return fail(db_error(ErrorCode::kUnsupported, path,
                         fmt::format("not an upscope catalogue: an SQLite database of another application "
                                     "(application_id 0x{:08x}, tables: {})",
                                     static_cast<uint32_t>(id.application_id), tables.empty() ? "none" : tables)));
  }
  return check_version(id.user_version, 1, path);
}

// SQLite's own header check happens lazily and says only "file is not a database": look first.
Status check_header(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return fail(db_error(ErrorCode::kIo, path, "cannot be read"));
  char magic[16] = {};
  f.read(magic, sizeof magic);
  if (f.gcount() == 0) return {};  // empty: becomes a new catalogue
  if (f.gcount() != sizeof magic || std::string_view(magic, sizeof magic) != std::string_view("SQLite format 3\0", 16))
    return fail(db_error(ErrorCode::kMalformed, path,
                         "not an SQLite database: it does not start with \"SQLite format 3\""));
  return {};
}

std::string_view text_of(const std::string& s) { return s; }

// A component's stored fields, id to hashes, from consecutive columns starting at `first` (the same
// order in schema 3's components table and schema 2's, which a migration reads).
void read_component_fields(const sql::Stmt& s, int first, ComponentRow& r) {
  int col = first;
  for (std::string* f : {&r.id, &r.kind, &r.space, &r.location, &r.path, &r.version, &r.uuid}) *f = s.text(col++);
  r.size = static_cast<uint64_t>(s.int64(col++));  // stored as the same 64 bits, signed
  r.code_hash = s.text(col++);
  Bytes h = s.blob(col);
  r.hashes.assign(h.begin(), h.end());
}

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(sql::Db db) : db_(std::move(db)) {}

  const std::string& name() const override { return db_.path(); }
  sql::Db& db() { return db_; }

  Status begin(bool write) override {
    // IMMEDIATE for writers: the write lock is taken up front, so two writers queue on the busy
    // timeout instead of failing on lock upgrade.
    return db_.exec(write ? "BEGIN IMMEDIATE" : "BEGIN", "starting a transaction");
  }
  Status commit() override { return db_.exec("COMMIT", "committing"); }
  void rollback() override { (void)db_.exec("ROLLBACK", "rolling back"); }
  bool retryable() const override { return false; }  // writers are serialised: nothing to retry

  Result<std::optional<int64_t>> insert_build(const BuildRow& b) override {
    UPSCOPE_TRY(sql::Stmt * stp, stmt(ins_build_,
        "INSERT INTO builds(digest, product, version, build, version_extra, platform, arch, source, added_at, "
        "component_count, not_analysed_count, members, not_analysed) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, x'', ?12) ON CONFLICT(digest) DO NOTHING",
        "adding a build"));
    sql::Stmt& st = *stp;
    const BuildRecord& r = b.rec;
    int i = 1;
    for (const std::string* s : {&r.digest, &r.product, &r.version, &r.build, &r.version_extra, &r.platform, &r.arch,
                                 &r.source, &r.added_at})
      st.bind(i++, text_of(*s));
    st.bind(10, static_cast<int64_t>(r.components));
    st.bind(11, static_cast<int64_t>(r.not_analysed));
    st.bind_blob(12, bytes_of(b.not_analysed));
    UPSCOPE_CHECK(st.run());
    if (db_.changes() == 0) return std::optional<int64_t>();
    return std::optional<int64_t>(db_.last_insert_rowid());
  }

  Status set_members(int64_t key, Bytes members) override {
    UPSCOPE_TRY(sql::Stmt * stp, stmt(set_members_, "UPDATE builds SET members = ?1 WHERE id = ?2", "adding a build"));
    sql::Stmt& st = *stp;
    st.bind_blob(1, members);
    st.bind(2, key);
    return st.run();
  }

  Result<std::vector<BuildRow>> builds(bool blobs) override {
    const std::string q = fmt::format("SELECT {}{} FROM builds", kBuildColumns, blobs ? ", members, not_analysed" : "");
    UPSCOPE_TRY(auto st, sql::Stmt::prepare(db_, q.c_str(), "listing builds"));
    std::vector<BuildRow> out;
    while (true) {
      UPSCOPE_TRY(bool row, st.step());
      if (!row) break;
      BuildRow b;
      b.key = st.int64(0);
      BuildRecord& r = b.rec;
      int col = 1;
      for (std::string* f : {&r.digest, &r.product, &r.version, &r.build, &r.version_extra, &r.platform, &r.arch,
                             &r.source, &r.added_at})
        *f = st.text(col++);
      r.components = static_cast<uint64_t>(st.int64(10));
      r.not_analysed = static_cast<uint64_t>(st.int64(11));
      if (blobs) {
        Bytes m = st.blob(12), n = st.blob(13);
        b.members.assign(m.begin(), m.end());
        b.not_analysed.assign(n.begin(), n.end());
      }
      out.push_back(std::move(b));
    }
    return out;
  }

  Status read_blobs(const std::vector<int64_t>& keys,
                    const std::function<Status(int64_t, Bytes, Bytes)>& each) override {
    auto one = [&](sql::Stmt& st) -> Status {
      while (true) {
        UPSCOPE_TRY(bool row, st.step());
        if (!row) return {};
        UPSCOPE_CHECK(each(st.int64(0), st.blob(1), st.blob(2)));
      }
    };
    constexpr const char* what = "reading builds";
    if (keys.empty()) {
      UPSCOPE_TRY(auto st, sql::Stmt::prepare(db_, "SELECT id, members, not_analysed FROM builds", what));
      return one(st);
    }
    UPSCOPE_TRY(auto st, sql::Stmt::prepare(db_, "SELECT id, members, not_analysed FROM builds WHERE id = ?1", what));
    for (int64_t k : keys) {
      st.bind(1, k);
      UPSCOPE_CHECK(one(st));
      st.reset();
    }
    return {};
  }

  Result<std::vector<int64_t>> find_details(const std::vector<std::string>& digests) override {
    UPSCOPE_TRY(int64_t held, max_key(max_details_, "SELECT max(id) FROM details"));
    if (held == 0) return std::vector<int64_t>(digests.size(), 0);  // a first build: nothing to look up
    UPSCOPE_TRY(sql::Stmt * stp, stmt(find_details_, "SELECT id FROM details WHERE digest = ?1", "adding a build"));
    sql::Stmt& st = *stp;
    return find(st, digests);
  }
  Result<std::vector<int64_t>> find_components(const std::vector<std::string>& digests) override {
    UPSCOPE_TRY(int64_t held, max_key(max_components_, "SELECT max(id) FROM components"));
    if (held == 0) return std::vector<int64_t>(digests.size(), 0);
    UPSCOPE_TRY(sql::Stmt * stp, stmt(find_components_, "SELECT id FROM components WHERE digest = ?1", "adding a build"));
    sql::Stmt& st = *stp;
    return find(st, digests);
  }

  Result<std::vector<int64_t>> insert_details(size_t n,
                                              const std::function<void(size_t, DetailsRow&)>& fill) override {
    UPSCOPE_TRY(sql::Stmt * stp, stmt(ins_details_,
        "INSERT OR IGNORE INTO details(digest, symbols, functions, facts) VALUES (?1, ?2, ?3, ?4)", "adding a build"));
    return insert_rows<DetailsRow>(*stp, n, fill, [](sql::Stmt& st, const DetailsRow& d) {
      st.bind_blob_view(1, bytes_of(d.digest));
      st.bind_blob_view(2, bytes_of(d.symbols));
      st.bind_blob_view(3, bytes_of(d.functions));
      st.bind_blob_view(4, bytes_of(d.facts));
    });
  }

  Result<std::vector<int64_t>> insert_components(size_t n,
                                                 const std::function<void(size_t, ComponentRow&)>& fill) override {
    constexpr const char* what = "adding a build";
    // Rows that outnumber those stored (a catalogue's first build) go in without the cid and kind
    // indexes, which are built again once they are in, by one sort each, inside this transaction
    // (a killed writer's rollback restores them): cheaper than 10^5 walks down each index. The
    // digest index stays: it keeps digests unique, and sorting its random keys afterwards cost as
    // much as inserting them (docs/catalog.md §6).
    UPSCOPE_TRY(int64_t held, max_key(max_components_, "SELECT max(id) FROM components"));
    // Not while a statement reads (the schema 2 to 3 migration's, over the old builds): SQLite
    // cannot drop an index then.
    const bool reindex = n >= kReindexRows && static_cast<uint64_t>(held) < n && !db_.reading();
    if (reindex) UPSCOPE_CHECK(db_.exec(kDropComponentIndexes, what));
    UPSCOPE_TRY(sql::Stmt * stp, stmt(ins_components_,
        "INSERT OR IGNORE INTO components(digest, cid, kind, space, location, path, version, uuid, size, code_hash, "
        "hashes, details_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)", what));
    auto keys = insert_rows<ComponentRow>(*stp, n, fill, [](sql::Stmt& st, const ComponentRow& c) {
      st.bind_blob_view(1, bytes_of(c.digest));
      int i = 2;
      for (const std::string* s : {&c.id, &c.kind, &c.space, &c.location, &c.path, &c.version, &c.uuid})
        st.bind_view(i++, text_of(*s));
      st.bind(9, static_cast<int64_t>(c.size));  // the same 64 bits, signed
      st.bind_view(10, text_of(c.code_hash));
      st.bind_blob_view(11, bytes_of(c.hashes));
      st.bind(12, c.details);
    });
    if (keys && reindex) UPSCOPE_CHECK(db_.exec(kComponentIndexes, what));
    return keys;
  }

  Status read_components(const std::vector<int64_t>& keys, const std::function<Status(ComponentRow&)>& each) override {
    const std::string q = fmt::format("SELECT {} FROM components WHERE id BETWEEN ?1 AND ?2", kComponentColumns);
    UPSCOPE_TRY(sql::Stmt * stp, stmt(read_components_, q.c_str(), "reading components"));
    sql::Stmt& st = *stp;
    return by_runs(st, keys, [&](sql::Stmt& s) {
      ComponentRow r = component_row(s);
      return each(r);
    });
  }

  Status read_details(const std::vector<int64_t>& keys, const std::function<Status(DetailsRow&)>& each) override {
    UPSCOPE_TRY(sql::Stmt * stp, stmt(read_details_,
        "SELECT id, digest, symbols, functions, facts FROM details WHERE id BETWEEN ?1 AND ?2",
        "reading symbols, functions and facts"));
    sql::Stmt& st = *stp;
    return by_runs(st, keys, [&](sql::Stmt& s) {
      DetailsRow d;
      d.key = s.int64(0);
      Bytes dg = s.blob(1), sy = s.blob(2), fn = s.blob(3), fa = s.blob(4);
      d.digest.assign(reinterpret_cast<const char*>(dg.data()), dg.size());
      d.symbols.assign(sy.begin(), sy.end());
      d.functions.assign(fn.begin(), fn.end());
      d.facts.assign(fa.begin(), fa.end());
      return each(d);
    });
  }

  Result<std::vector<ComponentRow>> components_named(std::string_view id) override {
    const std::string q = fmt::format("SELECT {} FROM components WHERE cid = ?1", kComponentColumns);
    UPSCOPE_TRY(auto st, sql::Stmt::prepare(db_, q.c_str(), "looking up the component"));
    st.bind(1, id);
    std::vector<ComponentRow> out;
    while (true) {
      UPSCOPE_TRY(bool row, st.step());
      if (!row) break;
      out.push_back(component_row(st));
    }
    return out;
  }

  Result<std::vector<int64_t>> keys_of_kind(std::string_view kind) override {
    UPSCOPE_TRY(auto st, sql::Stmt::prepare(db_, "SELECT id FROM components WHERE kind = ?1", "reading components"));
    st.bind(1, kind);
    std::vector<int64_t> out;
    while (true) {
      UPSCOPE_TRY(bool row, st.step());
      if (!row) break;
      out.push_back(st.int64(0));
    }
    return out;
  }

  Result<std::vector<std::string>> component_ids() override {
    UPSCOPE_TRY(auto st, sql::Stmt::prepare(db_, "SELECT DISTINCT cid FROM components", "looking up the component"));
    std::vector<std::string> out;
    while (true) {
      UPSCOPE_TRY(bool row, st.step());
      if (!row) break;
      out.emplace_back(st.text(0));
    }
    return out;
  }

 private:
  // A statement prepared once per connection.
  Result<sql::Stmt*> stmt(std::optional<sql::Stmt>& slot, const char* q, std::string_view what) {
    if (!slot) {
      UPSCOPE_TRY(auto st, sql::Stmt::prepare(db_, q, what));
      slot.emplace(std::move(st));
    }
    return &*slot;
  }

  // Fewer new components than this go into the indexes one by one (a series' later builds add ~1%).
  static constexpr size_t kReindexRows = 10000;

  // The largest key in a table (`q`: "SELECT max(id) FROM ..."), 0 when it is empty: rows are
  // never deleted, so it is also how many there are.
  Result<int64_t> max_key(std::optional<sql::Stmt>& slot, const char* q) {
    UPSCOPE_TRY(sql::Stmt * st, stmt(slot, q, "adding a build"));
    UPSCOPE_TRY(bool row, st->step());
    const int64_t held = row ? st->int64(0) : 0;  // max() of no rows is NULL, read as 0
    st->reset();
    return held;
  }

  // The key of the row the last INSERT OR IGNORE stored; 0 when it stored none.
  int64_t inserted_key() const { return db_.changes() == 0 ? 0 : db_.last_insert_rowid(); }

  // Runs the INSERT OR IGNORE `st` once per row (fill it, bind it): each row's new key, or 0 when
  // the row was there already (another writer's).
  template <class Row, class Bind>
  Result<std::vector<int64_t>> insert_rows(sql::Stmt& st, size_t n, const std::function<void(size_t, Row&)>& fill,
                                           Bind bind) {
    std::vector<int64_t> keys;
    keys.reserve(n);
    Row row;
    for (size_t k = 0; k < n; ++k) {
      fill(k, row);
      bind(st, row);
      UPSCOPE_CHECK(st.run());
      keys.push_back(inserted_key());
    }
    return keys;
  }

  Result<std::vector<int64_t>> find(sql::Stmt& st, const std::vector<std::string>& digests) {
    std::vector<int64_t> out(digests.size(), 0);
    for (size_t i = 0; i < digests.size(); ++i) {
      st.bind_blob(1, bytes_of(digests[i]));
      UPSCOPE_TRY(bool row, st.step());
      if (row) out[i] = st.int64(0);
      st.reset();
    }
    return out;
  }

  // Runs `st` ("... WHERE id BETWEEN ?1 AND ?2") once per run of consecutive keys.
  Status by_runs(sql::Stmt& st, const std::vector<int64_t>& keys, const std::function<Status(sql::Stmt&)>& row) {
    for (size_t i = 0; i < keys.size();) {
      size_t j = i + 1;
      while (j < keys.size() && keys[j] == keys[j - 1] + 1) ++j;
      st.bind(1, keys[i]);
      st.bind(2, keys[j - 1]);
      while (true) {
        auto r = st.step();
        if (!r) {
          st.reset();
          return fail(r.error());
        }
        if (!*r) break;
        if (auto s = row(st); !s) {
          st.reset();
          return s;
        }
      }
      st.reset();
      i = j;
    }
    return {};
  }

  static ComponentRow component_row(const sql::Stmt& s) {
    ComponentRow r;
    r.key = s.int64(0);
    Bytes dg = s.blob(1);
    r.digest.assign(reinterpret_cast<const char*>(dg.data()), dg.size());
    read_component_fields(s, 2, r);
    r.details = s.int64(12);
    return r;
  }

  // The statements are declared after the connection: they are finalized before it closes.
  sql::Db db_;
  std::optional<sql::Stmt> ins_build_, set_members_, find_details_, find_components_, ins_details_, ins_components_,
      max_details_, max_components_, read_components_, read_details_;
};

Status create_schema(SqliteStore& s) {
  sql::Db& db = s.db();
  // 64 KiB pages: a build's members blob (up to a few hundred KB) spans a few pages instead of a
  // chain of a hundred, which is what `history` and `catalog diff` read (measured on 100 builds of
  // 100,000 components: reading every build's members 58 ms instead of 210 ms, cold). The page size
  // is fixed when the first page is written, so before WAL mode is set.
  UPSCOPE_CHECK(db.exec("PRAGMA page_size = 65536", "creating the schema"));
  // journal_mode cannot change inside a transaction; WAL is a property of the file from then on.
  UPSCOPE_CHECK(db.exec_waiting("PRAGMA journal_mode = WAL", "switching to WAL mode"));
  UPSCOPE_TRY(auto txn, Txn::begin(s, true));
  UPSCOPE_TRY(Identity id, read_identity(db));  // again, under the write lock: another process may have won
  if (!id.fresh()) return txn.commit();
  UPSCOPE_CHECK(db.exec("CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);", "creating the schema"));
  UPSCOPE_CHECK(db.exec(kSchemaTables, "creating the schema"));
  UPSCOPE_CHECK(db.exec(kComponentIndexes, "creating the schema"));
  UPSCOPE_CHECK(db.exec(fmt::format("PRAGMA application_id = {}; PRAGMA user_version = {};",
                                    static_cast<int64_t>(kApplicationId), kSchemaVersion)
                            .c_str(),
                        "creating the schema"));
  UPSCOPE_TRY(auto meta, sql::Stmt::prepare(db, "INSERT INTO meta(key, value) VALUES (?1, ?2)", "creating the schema"));
  meta.bind(1, "created_by");
  meta.bind(2, fmt::format("upscope {}", upscope::version()));
  UPSCOPE_CHECK(meta.run());
  return txn.commit();
}

// Schema 2 kept one components row per build and component, pointing at shared details: read it
// back build by build and write each again as schema 3 stores it, keeping its source and date.
Status migrate_2_to_3(SqliteStore& s) {
  sql::Db& db = s.db();
  constexpr const char* what = "migrating the schema from version 2 to 3";
  UPSCOPE_CHECK(db.exec("ALTER TABLE builds RENAME TO v2_builds; ALTER TABLE details RENAME TO v2_details; "
                        "ALTER TABLE components RENAME TO v2_components; "
                        "ALTER TABLE not_analysed RENAME TO v2_not_analysed; DROP INDEX components_by_id;",
                        what));
  UPSCOPE_CHECK(db.exec(kSchemaTables, what));
  UPSCOPE_CHECK(db.exec(kComponentIndexes, what));
  UPSCOPE_TRY(auto bs, sql::Stmt::prepare(db,
      "SELECT id, product, version, build, version_extra, platform, arch, source, added_at FROM v2_builds ORDER BY id",
      what));
  UPSCOPE_TRY(auto cs, sql::Stmt::prepare(db,
      "SELECT c.id, c.kind, c.space, c.location, c.path, c.version, c.uuid, c.size, c.code_hash, c.hashes, "
      "d.symbols, d.functions, d.facts FROM v2_components c JOIN v2_details d ON d.id = c.details_id "
      "WHERE c.build_id = ?1 ORDER BY c.seq", what));
  UPSCOPE_TRY(auto ns, sql::Stmt::prepare(db,
      "SELECT path, reason FROM v2_not_analysed WHERE build_id = ?1 ORDER BY seq", what));
  while (true) {
    UPSCOPE_TRY(bool row, bs.step());
    if (!row) break;
    const int64_t id = bs.int64(0);
    BuildInventory inv;
    int field = 1;
    for (std::string* f : {&inv.product, &inv.version, &inv.build, &inv.version_extra, &inv.platform, &inv.arch,
                           &inv.source})
      *f = bs.text(field++);
    const std::string added_at(bs.text(8));
    cs.bind(1, id);
    while (true) {
      UPSCOPE_TRY(bool c, cs.step());
      if (!c) break;
      ComponentRow r;
      read_component_fields(cs, 0, r);
      DetailsRow d;
      for (auto [col, blob] : {std::pair{10, &d.symbols}, std::pair{11, &d.functions}, std::pair{12, &d.facts}}) {
        Bytes b = cs.blob(col);
        blob->assign(b.begin(), b.end());
      }
      UPSCOPE_TRY(Component comp, to_component(r, db.path(), id));
      UPSCOPE_CHECK(add_details(comp, d, db.path(), id));
      inv.components.push_back(std::move(comp));
    }
    cs.reset();
    ns.bind(1, id);
    while (true) {
      UPSCOPE_TRY(bool n, ns.step());
      if (!n) break;
      inv.not_analysed.push_back({std::string(ns.text(0)), std::string(ns.text(1))});
    }
    ns.reset();
    PreparedBuild prepared = prepare_build(inv);
    UPSCOPE_TRY(auto key, write_build(s, prepared, added_at));
    (void)key;
  }
  bs.reset();
  return db.exec("DROP TABLE v2_components; DROP TABLE v2_not_analysed; DROP TABLE v2_details; DROP TABLE v2_builds; "
                 "PRAGMA user_version = 3;",
                 what);
}

// Migrations from schema N to N+1, in order, each in one write transaction so that a process killed
// midway leaves the older schema.
Status migrate(SqliteStore& s, int64_t from) {
  UPSCOPE_TRY(auto txn, Txn::begin(s, true));
  UPSCOPE_TRY(Identity id, read_identity(s.db()));  // under the write lock: another process may have migrated
  if (id.user_version != from) return txn.commit();
  // 1 -> 2: details gain the facts the diff's change classes compare; builds added before have none
  // (an empty map; their diff falls back to content and code hashes).
  if (from == 1)
    UPSCOPE_CHECK(s.db().exec("ALTER TABLE details ADD COLUMN facts BLOB NOT NULL DEFAULT x'00'; "
                              "PRAGMA user_version = 2;",
                              "migrating the schema from version 1 to 2"));
  if (from == 2) UPSCOPE_CHECK(migrate_2_to_3(s));
  return txn.commit();
}

}  // namespace

Result<std::unique_ptr<Store>> open_sqlite(const std::string& path, Catalog::Mode mode) {
  std::error_code ec;
  auto st = fs::status(path, ec);
  if (!fs::exists(st)) {
    if (mode == Catalog::Mode::kExisting)
      return fail(db_error(ErrorCode::kNotFound, path,
                           "no catalogue here (add builds with `upscope catalog add BUILD... --db FILE`)"));
    auto parent = fs::path(path).parent_path();
    if (!parent.empty()) {
      fs::create_directories(parent, ec);
      if (ec) return fail(db_error(ErrorCode::kIo, path, "cannot create its directory: " + ec.message()));
    }
  } else if (!fs::is_regular_file(st)) {
    return fail(db_error(ErrorCode::kInvalidArgument, path, "not a regular file"));
  } else {
    UPSCOPE_CHECK(check_header(path));
  }

  UPSCOPE_TRY(sql::Db db, sql::Db::open(path, mode == Catalog::Mode::kCreate));
  auto store = std::make_unique<SqliteStore>(std::move(db));
  UPSCOPE_TRY(Identity id, read_identity(store->db()));
  if (id.fresh()) {
    if (mode == Catalog::Mode::kExisting)
      return fail(db_error(ErrorCode::kNotFound, path, "an empty database, not yet a catalogue"));
    UPSCOPE_CHECK(create_schema(*store));
    UPSCOPE_TRY(id, read_identity(store->db()));
  }
  UPSCOPE_CHECK(check_identity(id, path));
  for (int64_t v = id.user_version; v < kSchemaVersion; ++v) UPSCOPE_CHECK(migrate(*store, v));
  // WAL keeps the database consistent after a crash with synchronous=NORMAL; only the last commits
  // may be lost on power failure.
  UPSCOPE_CHECK(store->db().exec("PRAGMA synchronous = NORMAL", "configuring"));
  // Pages are read from a mapping instead of one pread each (SQLite falls back to reads where it
  // cannot map). The catalogue is never truncated under a reader: nothing here vacuums it.
  UPSCOPE_CHECK(store->db().exec("PRAGMA mmap_size = 17179869184", "configuring"));
  // A write transaction reads through the page cache, not the mapping: finding 100,000 digests in
  // the digest index misses a 2 MiB cache all the time. 64 MiB holds that index for 100,000s of rows.
  UPSCOPE_CHECK(store->db().exec("PRAGMA cache_size = -65536", "configuring"));
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace upscope::catalog::detail
