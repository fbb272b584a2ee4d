// The PostgreSQL backend: a team's catalogue, written by many processes on many hosts at once.
// Writers run READ COMMITTED: a row another writer has inserted but not committed makes ours wait
// (unique digests), then count as there. Batches go as arrays in one statement each, inserted in
// inventory (component id) order so that two writers take their row locks in the same order; what
// still deadlocks or fails to serialise is run again by Catalog::add. Keys come from sequences that
// hand each connection 1000 at a time, so one build's new rows get consecutive keys even while others
// insert. Readers get one REPEATABLE READ snapshot.
// Strings are bytea: a component id may hold any byte, NUL and invalid UTF-8 included
// (docs/catalog.md §2).
#include <algorithm>
#include <optional>
#include <unordered_map>

#include <fmt/format.h>

#include "impl.hpp"
#include "inspect/version.hpp"
#include "pg.hpp"

namespace upscope::catalog::detail {

namespace {

// The first schema this backend ever wrote: there is nothing older to migrate from.
constexpr int64_t kOldestPostgresSchema = 3;
// pg_advisory_xact_lock key that serialises schema creation and migration: "upSc" and 1.
constexpr int64_t kSchemaLock = (int64_t{kApplicationId} << 8) | 1;

constexpr const char* kSchema = R"sql(
CREATE TABLE meta(key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE builds(
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, digest text NOT NULL UNIQUE,
  product bytea NOT NULL, version bytea NOT NULL, build bytea NOT NULL, version_extra bytea NOT NULL,
  platform bytea NOT NULL, arch bytea NOT NULL, source bytea NOT NULL, added_at text NOT NULL,
  component_count bigint NOT NULL, not_analysed_count bigint NOT NULL,
  members bytea NOT NULL, not_analysed bytea NOT NULL);
CREATE TABLE details(
  id bigint GENERATED ALWAYS AS IDENTITY (CACHE 1000) PRIMARY KEY, digest bytea NOT NULL UNIQUE,
  symbols bytea NOT NULL, functions bytea NOT NULL, facts bytea NOT NULL);
CREATE TABLE components(
  id bigint GENERATED ALWAYS AS IDENTITY (CACHE 1000) PRIMARY KEY, digest bytea NOT NULL UNIQUE, cid bytea NOT NULL,
  kind text NOT NULL, space text NOT NULL, location text NOT NULL, path bytea NOT NULL, version bytea NOT NULL,
  uuid bytea NOT NULL, size bigint NOT NULL, code_hash bytea NOT NULL, hashes bytea NOT NULL,
  details_id bigint NOT NULL REFERENCES details(id));
CREATE INDEX components_by_cid ON components(cid);
CREATE INDEX components_by_kind ON components(kind);
ALTER TABLE builds ALTER COLUMN members SET STORAGE EXTERNAL;
)sql";

constexpr const char* kBuildColumns =
    "id, digest, product, version, build, version_extra, platform, arch, source, added_at, component_count, "
    "not_analysed_count";
constexpr const char* kComponentColumns =
    "id, digest, cid, kind, space, location, path, version, uuid, size, code_hash, hashes, details_id";

struct Identity {
  std::vector<std::string> tables;  // listed only when the database is not (yet) ours
  bool ours = false;
  int64_t version = 0;
  bool fresh() const { return !ours && tables.empty(); }
};

Result<Identity> read_identity(pg::Conn& c) {
  constexpr const char* what = "reading the schema";
  Identity id;
  // Our meta table first: one small query on the usual path. Listing the schema's tables costs a
  // fresh server process several milliseconds, so it is done only for a database that is not ours.
  // The query runs under a savepoint: a missing "meta", or someone else's without our columns, is
  // an answer, not an error.
  UPSCOPE_CHECK(c.exec("SAVEPOINT identity", what));
  auto m = c.query("SELECT key, value FROM meta WHERE key IN ('application', 'schema_version')", {}, what);
  UPSCOPE_CHECK(c.exec(m ? "RELEASE SAVEPOINT identity" : "ROLLBACK TO SAVEPOINT identity", what));
  if (m) {
    std::string app, version;
    for (int i = 0; i < m->count(); ++i) (m->str(i, 0) == "application" ? app : version) = m->str(i, 1);
    if (app == "upscope") {
      id.ours = true;
      try {
        id.version = std::stoll(version);
      } catch (...) {
        return fail(db_error(ErrorCode::kMalformed, c.name(),
                             fmt::format("the catalogue is corrupted: schema version \"{}\"", version)));
      }
      return id;
    }
  }
  UPSCOPE_TRY(pg::Rows t, c.query("SELECT c.relname::text FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
                                  "ON n.oid = c.relnamespace WHERE n.nspname = current_schema() "
                                  "AND c.relkind IN ('r', 'p', 'v', 'm', 'f') ORDER BY 1",
                                  {}, what));
  for (int i = 0; i < t.count(); ++i) id.tables.push_back(t.str(i, 0));
  return id;
}

Status check_identity(const Identity& id, const std::string& name) {
  if (!id.ours) {
    std::string tables;
    for (const auto& t : id.tables) tables += (tables.empty() ? "" : ", ") + t;
    return fail(db_error(ErrorCode::kUnsupported, name,
                         fmt::format("not an upscope catalogue: a PostgreSQL database of another application "
                                     "(tables: {})",
                                     tables)));
  }
  return check_version(id.version, kOldestPostgresSchema, name);
}

class PgStore final : public Store {
 public:
  explicit PgStore(pg::Conn c) : c_(std::move(c)) {}
  pg::Conn& conn() { return c_; }

  const std::string& name() const override { return c_.name(); }

  Status begin(bool write) override {
    return c_.exec(write ? "BEGIN ISOLATION LEVEL READ COMMITTED"
                         : "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
                   "starting a transaction");
  }
  Status commit() override { return c_.exec("COMMIT", "committing"); }
  void rollback() override { (void)c_.exec("ROLLBACK", "rolling back"); }
  bool retryable() const override {
    return c_.sqlstate() == "40001" || c_.sqlstate() == "40P01";  // serialization failure, deadlock
  }

  Result<std::optional<int64_t>> insert_build(const BuildRow& b) override {
    const BuildRecord& r = b.rec;
    pg::Params p;
    for (const std::string* s : {&r.digest, &r.product, &r.version, &r.build, &r.version_extra, &r.platform, &r.arch,
                                 &r.source, &r.added_at})
      p.text(*s);
    p.int64(static_cast<int64_t>(r.components)).int64(static_cast<int64_t>(r.not_analysed)).bytes(bytes_of(b.not_analysed));
    UPSCOPE_TRY(pg::Rows rows, c_.query(
        "INSERT INTO builds(digest, product, version, build, version_extra, platform, arch, source, added_at, "
        "component_count, not_analysed_count, members, not_analysed) VALUES ($1::text, $2::bytea, $3::bytea, "
        "$4::bytea, $5::bytea, $6::bytea, $7::bytea, $8::bytea, $9::text, $10::int8, $11::int8, ''::bytea, "
        "$12::bytea) ON CONFLICT (digest) DO NOTHING RETURNING id",
        p, "adding a build"));
    if (rows.count() == 0) return std::optional<int64_t>();
    return std::optional<int64_t>(rows.int64(0, 0));
  }

  Status set_members(int64_t key, Bytes members) override {
    pg::Params p;
    p.bytes(members).int64(key);
    UPSCOPE_TRY(pg::Rows r, c_.query("UPDATE builds SET members = $1::bytea WHERE id = $2::int8", p, "adding a build"));
    (void)r;
    return {};
  }

  Result<std::vector<BuildRow>> builds(bool blobs) override {
    const std::string q = fmt::format("SELECT {}{} FROM builds", kBuildColumns, blobs ? ", members, not_analysed" : "");
    UPSCOPE_TRY(pg::Rows rows, c_.query(q.c_str(), {}, "listing builds"));
    std::vector<BuildRow> out(static_cast<size_t>(rows.count()));
    for (int i = 0; i < rows.count(); ++i) {
      BuildRow& b = out[static_cast<size_t>(i)];
      b.key = rows.int64(i, 0);
      BuildRecord& r = b.rec;
      int col = 1;
      for (std::string* s : {&r.digest, &r.product, &r.version, &r.build, &r.version_extra, &r.platform, &r.arch,
                             &r.source, &r.added_at})
        *s = rows.str(i, col++);
      r.components = static_cast<uint64_t>(rows.int64(i, 10));
      r.not_analysed = static_cast<uint64_t>(rows.int64(i, 11));
      if (blobs) {
        b.members = rows.blob(i, 12);
        b.not_analysed = rows.blob(i, 13);
      }
    }
    return out;
  }

  Status read_blobs(const std::vector<int64_t>& keys,
                    const std::function<Status(int64_t, Bytes, Bytes)>& each) override {
    const bool all = keys.empty();
    UPSCOPE_TRY(pg::Rows rows,
                c_.query(all ? "SELECT id, members, not_analysed FROM builds"
                             : "SELECT id, members, not_analysed FROM builds WHERE id = ANY($1::int8[])",
                         all ? pg::Params{} : keys_param(keys), "reading builds"));
    for (int i = 0; i < rows.count(); ++i) UPSCOPE_CHECK(each(rows.int64(i, 0), rows.bytes(i, 1), rows.bytes(i, 2)));
    return {};
  }

  Result<std::vector<int64_t>> find_details(const std::vector<std::string>& digests) override {
    return find("details", digests);
  }
  Result<std::vector<int64_t>> find_components(const std::vector<std::string>& digests) override {
    return find("components", digests);
  }

  Result<std::vector<int64_t>> insert_details(size_t n,
                                              const std::function<void(size_t, DetailsRow&)>& fill) override {
    // In inventory order: see insert_components.
    pg::Array dg(pg::kByteaOid, n), sy(pg::kByteaOid, n), fn(pg::kByteaOid, n), fa(pg::kByteaOid, n);
    std::vector<std::string> digests(n);
    DetailsRow d;
    for (size_t k = 0; k < n; ++k) {
      fill(k, d);
      dg.add(d.digest);
      sy.add(bytes_of(d.symbols));
      fn.add(bytes_of(d.functions));
      fa.add(bytes_of(d.facts));
      digests[k] = d.digest;
    }
    pg::Params p;
    p.array(std::move(dg)).array(std::move(sy)).array(std::move(fn)).array(std::move(fa));
    UPSCOPE_TRY(pg::Rows r, c_.query(
        "INSERT INTO details(digest, symbols, functions, facts) SELECT d, s, f, x FROM unnest($1::bytea[], $2::bytea[], "
        "$3::bytea[], $4::bytea[]) WITH ORDINALITY AS u(d, s, f, x, n) ORDER BY n ON CONFLICT (digest) DO NOTHING "
        "RETURNING digest, id",
        p, "adding a build"));
    return inserted_keys(r, digests);
  }

  Result<std::vector<int64_t>> insert_components(size_t n,
                                                 const std::function<void(size_t, ComponentRow&)>& fill) override {
    // In inventory order, which is component id order: keys follow it (long runs in the build's
    // members), and two writers meeting on the same new rows lock them in the same order.
    std::vector<pg::Array> cols;
    const uint32_t types[] = {pg::kByteaOid, pg::kByteaOid, pg::kTextOid,  pg::kTextOid,  pg::kTextOid, pg::kByteaOid,
                              pg::kByteaOid, pg::kByteaOid, pg::kInt8Oid,  pg::kByteaOid, pg::kByteaOid, pg::kInt8Oid};
    for (uint32_t t : types) cols.emplace_back(t, n);
    std::vector<std::string> digests(n);
    ComponentRow c;
    for (size_t k = 0; k < n; ++k) {
      fill(k, c);
      cols[0].add(c.digest);
      cols[1].add(c.id);
      cols[2].add(c.kind);
      cols[3].add(c.space);
      cols[4].add(c.location);
      cols[5].add(c.path);
      cols[6].add(c.version);
      cols[7].add(c.uuid);
      cols[8].add(static_cast<int64_t>(c.size));  // the same 64 bits, signed
      cols[9].add(c.code_hash);
      cols[10].add(bytes_of(c.hashes));
      cols[11].add(c.details);
      digests[k] = c.digest;
    }
    pg::Params p;
    for (auto& a : cols) p.array(std::move(a));
    UPSCOPE_TRY(pg::Rows r, c_.query(
        "INSERT INTO components(digest, cid, kind, space, location, path, version, uuid, size, code_hash, hashes, "
        "details_id) SELECT d, i, k, s, l, p, v, u, z, c, h, t FROM unnest($1::bytea[], $2::bytea[], $3::text[], "
        "$4::text[], $5::text[], $6::bytea[], $7::bytea[], $8::bytea[], $9::int8[], $10::bytea[], $11::bytea[], "
        "$12::int8[]) WITH ORDINALITY AS u(d, i, k, s, l, p, v, u, z, c, h, t, n) ORDER BY n "
        "ON CONFLICT (digest) DO NOTHING RETURNING digest, id",
        p, "adding a build"));
    return inserted_keys(r, digests);
  }

  Status read_components(const std::vector<int64_t>& keys, const std::function<Status(ComponentRow&)>& each) override {
    if (keys.empty()) return {};
    const std::string q = fmt::format("SELECT {} FROM components WHERE id = ANY($1::int8[])", kComponentColumns);
    UPSCOPE_TRY(pg::Rows rows, c_.query(q.c_str(), keys_param(keys), "reading components"));
    for (int i = 0; i < rows.count(); ++i) {
      ComponentRow r = component_row(rows, i);
      UPSCOPE_CHECK(each(r));
    }
    return {};
  }

  Status read_details(const std::vector<int64_t>& keys, const std::function<Status(DetailsRow&)>& each) override {
    if (keys.empty()) return {};
    UPSCOPE_TRY(pg::Rows rows, c_.query("SELECT id, digest, symbols, functions, facts FROM details "
                                        "WHERE id = ANY($1::int8[])",
                                        keys_param(keys), "reading symbols, functions and facts"));
    for (int i = 0; i < rows.count(); ++i) {
      DetailsRow d;
      d.key = rows.int64(i, 0);
      d.digest = rows.str(i, 1);
      d.symbols = rows.blob(i, 2);
      d.functions = rows.blob(i, 3);
      d.facts = rows.blob(i, 4);
      UPSCOPE_CHECK(each(d));
    }
    return {};
  }

  Result<std::vector<ComponentRow>> components_named(std::string_view id) override {
    const std::string q = fmt::format("SELECT {} FROM components WHERE cid = $1::bytea", kComponentColumns);
    pg::Params p;
    p.text(id);
    UPSCOPE_TRY(pg::Rows rows, c_.query(q.c_str(), p, "looking up the component"));
    std::vector<ComponentRow> out;
    for (int i = 0; i < rows.count(); ++i) out.push_back(component_row(rows, i));
    return out;
  }

  Result<std::vector<int64_t>> keys_of_kind(std::string_view kind) override {
    pg::Params p;
    p.text(kind);
    UPSCOPE_TRY(pg::Rows rows, c_.query("SELECT id FROM components WHERE kind = $1::text", p, "reading components"));
    std::vector<int64_t> out;
    for (int i = 0; i < rows.count(); ++i) out.push_back(rows.int64(i, 0));
    return out;
  }

  Result<std::vector<std::string>> component_ids() override {
    UPSCOPE_TRY(pg::Rows rows, c_.query("SELECT DISTINCT cid FROM components", {}, "looking up the component"));
    std::vector<std::string> out;
    for (int i = 0; i < rows.count(); ++i) out.push_back(rows.str(i, 0));
    return out;
  }

 private:
  Result<std::vector<int64_t>> find(const char* table, const std::vector<std::string>& digests) {
    std::vector<int64_t> out(digests.size(), 0);
    if (digests.empty()) return out;
    pg::Array a(pg::kByteaOid, digests.size());
    for (const auto& d : digests) a.add(d);
    pg::Params p;
    p.array(std::move(a));
    const std::string q = fmt::format("SELECT u.n, t.id FROM unnest($1::bytea[]) WITH ORDINALITY AS u(d, n) "
                                      "JOIN {} t ON t.digest = u.d",
                                      table);
    UPSCOPE_TRY(pg::Rows rows, c_.query(q.c_str(), p, "adding a build"));
    for (int i = 0; i < rows.count(); ++i) {
      const int64_t n = rows.int64(i, 0);
      if (n >= 1 && static_cast<uint64_t>(n) <= out.size()) out[static_cast<size_t>(n - 1)] = rows.int64(i, 1);
    }
    return out;
  }

  // The keys an INSERT ... RETURNING digest, id gave, in the order of `digests` (unique); 0 for a
  // row it skipped.
  static std::vector<int64_t> inserted_keys(const pg::Rows& r, const std::vector<std::string>& digests) {
    std::vector<int64_t> out(digests.size(), 0);
    if (r.count() == 0) return out;
    std::unordered_map<std::string_view, size_t> at;
    at.reserve(digests.size());
    for (size_t i = 0; i < digests.size(); ++i) at.emplace(std::string_view(digests[i]), i);
    for (int i = 0; i < r.count(); ++i) {
      Bytes d = r.bytes(i, 0);
      auto it = at.find(std::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
      if (it != at.end()) out[it->second] = r.int64(i, 1);
    }
    return out;
  }

  static pg::Params keys_param(const std::vector<int64_t>& keys) {
    pg::Array a(pg::kInt8Oid, keys.size());
    for (int64_t k : keys) a.add(k);
    pg::Params p;
    p.array(std::move(a));
    return p;
  }

  static ComponentRow component_row(const pg::Rows& rows, int i) {
    ComponentRow r;
    r.key = rows.int64(i, 0);
    int col = 1;
    for (std::string* s : {&r.digest, &r.id, &r.kind, &r.space, &r.location, &r.path, &r.version, &r.uuid})
      *s = rows.str(i, col++);
    r.size = static_cast<uint64_t>(rows.int64(i, 9));
    r.code_hash = rows.str(i, 10);
    r.hashes = rows.blob(i, 11);
    r.details = rows.int64(i, 12);
    return r;
  }

  pg::Conn c_;
};

Status create_schema(PgStore& s) {
  pg::Conn& c = s.conn();
  UPSCOPE_TRY(auto txn, Txn::begin(s, true));
  pg::Params lock;
  lock.int64(kSchemaLock);
  UPSCOPE_TRY(pg::Rows locked, c.query("SELECT pg_advisory_xact_lock($1::int8)", lock, "creating the schema"));
  (void)locked;
  UPSCOPE_TRY(Identity id, read_identity(c));  // again, under the lock: another process may have won
  if (!id.fresh()) return txn.commit();
  UPSCOPE_CHECK(c.exec(kSchema, "creating the schema"));
  pg::Params meta;
  meta.text(std::to_string(kSchemaVersion)).text(fmt::format("upscope {}", upscope::version()));
  UPSCOPE_TRY(pg::Rows ins, c.query("INSERT INTO meta(key, value) VALUES ('application', 'upscope'), "
                                    "('schema_version', $1::text), ('created_by', $2::text)",
                                    meta, "creating the schema"));
  (void)ins;
  return txn.commit();
}

}  // namespace

Result<std::unique_ptr<Store>> open_postgres(const std::string& uri, const std::string& shown, Catalog::Mode mode) {
  UPSCOPE_TRY(pg::Conn conn, pg::Conn::connect(uri, shown));
  auto store = std::make_unique<PgStore>(std::move(conn));
  Identity id;
  {
    UPSCOPE_TRY(auto txn, Txn::begin(*store, false));
    UPSCOPE_TRY(id, read_identity(store->conn()));
    UPSCOPE_CHECK(txn.commit());
  }
  if (id.fresh()) {
    if (mode == Catalog::Mode::kExisting)
      return fail(db_error(ErrorCode::kNotFound, shown, "an empty database, not yet a catalogue"));
    UPSCOPE_CHECK(create_schema(*store));
    UPSCOPE_TRY(auto txn, Txn::begin(*store, false));
    UPSCOPE_TRY(id, read_identity(store->conn()));
    UPSCOPE_CHECK(txn.commit());
  }
  UPSCOPE_CHECK(check_identity(id, shown));
  // Schema 3 is the first this backend wrote; a migration from N to N+1 goes here, run under
  // kSchemaLock in one transaction with the schema_version update (docs/catalog.md §4).
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace upscope::catalog::detail
