// Opening (what the file is, the schema version), adding and loading builds.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <unordered_set>

#include <fmt/format.h>

#include "encoding.hpp"
#include "impl.hpp"
#include "inspect/hash.hpp"
#include "inspect/version.hpp"

namespace upscope::catalog {

namespace fs = std::filesystem;

namespace {

// Schema 2. Lists (symbols, functions) and the diff's facts by change class are blobs in
// `details`, shared by every build whose component has the same ones: a series of builds mostly
// repeats itself. (Schema 1 had no facts: it is refused, and its builds are added again.)
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE builds(
  id INTEGER PRIMARY KEY,
  product TEXT NOT NULL, version TEXT NOT NULL, build TEXT NOT NULL, version_extra TEXT NOT NULL,
  platform TEXT NOT NULL, arch TEXT NOT NULL, source TEXT NOT NULL, digest TEXT NOT NULL,
  added_at TEXT NOT NULL, component_count INTEGER NOT NULL, not_analysed_count INTEGER NOT NULL,
  UNIQUE(product, version, build, version_extra, digest));
CREATE TABLE details(
  id INTEGER PRIMARY KEY, digest TEXT NOT NULL UNIQUE, symbols BLOB NOT NULL, functions BLOB NOT NULL,
  facts BLOB NOT NULL);
CREATE TABLE components(
  build_id INTEGER NOT NULL REFERENCES builds(id), seq INTEGER NOT NULL,
  id TEXT NOT NULL, kind TEXT NOT NULL, space TEXT NOT NULL, location TEXT NOT NULL, path TEXT NOT NULL,
  version TEXT NOT NULL, uuid TEXT NOT NULL, size INTEGER NOT NULL, code_hash TEXT NOT NULL,
  hashes BLOB NOT NULL, details_id INTEGER NOT NULL REFERENCES details(id),
  PRIMARY KEY(build_id, seq));
CREATE INDEX components_by_id ON components(id, build_id);
CREATE TABLE not_analysed(
  build_id INTEGER NOT NULL REFERENCES builds(id), seq INTEGER NOT NULL, path TEXT NOT NULL, reason TEXT NOT NULL,
  PRIMARY KEY(build_id, seq));
)sql";

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

Error file_error(ErrorCode code, const std::string& path, std::string rule) {
  Error e = make_error(code, "", std::move(rule));
  e.file = path;
  return e;
}

// Migrations from schema N to N+1, in order, each in one write transaction so that a process killed
// midway leaves the older schema. 1 -> 2: details gain the facts the diff's change classes compare;
// builds added before have none (an empty map; their diff falls back to content and code hashes).
Status migrate(sql::Db& db, int64_t from) {
  UPSCOPE_TRY(auto txn, sql::Transaction::begin(db, true));
  UPSCOPE_TRY(Identity id, read_identity(db));  // under the write lock: another process may have migrated
  if (id.user_version != from) return txn.commit();
  if (from == 1)
    UPSCOPE_CHECK(db.exec("ALTER TABLE details ADD COLUMN facts BLOB NOT NULL DEFAULT x'00'; PRAGMA user_version = 2;",
                          "migrating the schema from version 1 to 2"));
  return txn.commit();
}

Status check_identity(const Identity& id, const std::string& path) {
  if (id.application_id != static_cast<int64_t>(kApplicationId)) {
    std::string tables;
    for (const auto& t : id.tables) tables += (tables.empty() ? "" : ", ") + t;
    return fail(file_error(ErrorCode::kUnsupported, path,
                           fmt::format("not an upscope catalogue: an SQLite database of another application "
                                       "(application_id 0x{:08x}, tables: {})",
                                       static_cast<uint32_t>(id.application_id), tables.empty() ? "none" : tables)));
  }
  if (id.user_version > kSchemaVersion)
    return fail(file_error(ErrorCode::kUnsupported, path,
                           fmt::format("catalogue schema version {} is newer than this upscope supports ({}): "
                                       "use a newer upscope",
                                       id.user_version, kSchemaVersion)));
  if (id.user_version < 1)
    return fail(file_error(ErrorCode::kUnsupported, path,
                           fmt::format("catalogue schema version {} is older than any this upscope can migrate "
                                       "(oldest: 1)",
                                       id.user_version)));
  return {};
}

// SQLite's own header check happens lazily and says only "file is not a database": look first.
Status check_header(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return fail(file_error(ErrorCode::kIo, path, "cannot be read"));
  char magic[16] = {};
  f.read(magic, sizeof magic);
  if (f.gcount() == 0) return {};  // empty: becomes a new catalogue
  if (f.gcount() != sizeof magic || std::string_view(magic, sizeof magic) != std::string_view("SQLite format 3\0", 16))
    return fail(file_error(ErrorCode::kMalformed, path,
                           "not an SQLite database: it does not start with \"SQLite format 3\""));
  return {};
}

Status create_schema(sql::Db& db) {
  // journal_mode cannot change inside a transaction; WAL is a property of the file from then on.
  UPSCOPE_CHECK(db.exec_waiting("PRAGMA journal_mode = WAL", "switching to WAL mode"));
  UPSCOPE_TRY(auto txn, sql::Transaction::begin(db, true));
  UPSCOPE_TRY(Identity id, read_identity(db));  // again, under the write lock: another process may have won
  if (!id.fresh()) return txn.commit();
  UPSCOPE_CHECK(db.exec(kSchemaV1, "creating the schema"));
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

}  // namespace

namespace detail {

BuildRecord read_build(const sql::Stmt& st) {
  BuildRecord b;
  b.id = st.int64(0);
  b.product = st.text(1);
  b.version = st.text(2);
  b.build = st.text(3);
  b.version_extra = st.text(4);
  b.platform = st.text(5);
  b.arch = st.text(6);
  b.source = st.text(7);
  b.digest = st.text(8);
  b.added_at = st.text(9);
  b.components = static_cast<uint64_t>(st.int64(10));
  b.not_analysed = static_cast<uint64_t>(st.int64(11));
  return b;
}

Result<Component> read_component(const sql::Stmt& st, const sql::Db& db, int64_t build_id) {
  Component c;
  c.id = st.text(0);
  auto bad = [&](std::string rule) {
    return fail(file_error(ErrorCode::kMalformed, db.path(),
                           fmt::format("build #{} component {}: the catalogue is corrupted: {}", build_id, c.id, rule)));
  };
  auto kind = parse_component_kind(st.text(1));
  auto space = parse_space(st.text(2));
  auto location = parse_location(st.text(3));
  if (!kind) return bad(fmt::format("unknown kind \"{}\"", st.text(1)));
  if (!space) return bad(fmt::format("unknown space \"{}\"", st.text(2)));
  if (!location) return bad(fmt::format("unknown location \"{}\"", st.text(3)));
  c.kind = *kind;
  c.space = *space;
  c.location = *location;
  c.path = st.text(4);
  c.version = st.text(5);
  c.uuid = st.text(6);
  c.size = static_cast<uint64_t>(st.int64(7));  // stored as the same 64 bits, signed
  c.code_hash = st.text(8);
  auto in_file = [&](Status s) -> Status {
    if (!s) return fail(s.error().in_file(db.path()));
    return {};
  };
  const std::string what = fmt::format("build #{} component {}", build_id, c.id);
  std::map<std::string, std::string> hashes;
  UPSCOPE_CHECK(in_file(decode_map(st.blob(9), hashes, what + " hashes")));
  restore_hashes(std::move(hashes), c);
  return c;
}

Result<sql::Stmt> prepare_details(sql::Db& db) {
  return sql::Stmt::prepare(db, "SELECT symbols, functions, facts FROM details WHERE id = ?1",
                            "reading symbols, functions and facts");
}

Status read_details(sql::Stmt& details, int64_t details_id, Component& c, const sql::Db& db, int64_t build_id) {
  details.bind(1, details_id);
  UPSCOPE_TRY(bool row, details.step());
  const std::string what = fmt::format("build #{} component {}", build_id, c.id);
  if (!row)
    return fail(file_error(ErrorCode::kMalformed, db.path(),
                           fmt::format("{}: the catalogue is corrupted: its symbols and functions (#{}) are missing",
                                       what, details_id)));
  auto in_file = [&](Status s) -> Status {
    if (!s) return fail(s.error().in_file(db.path()));
    return {};
  };
  UPSCOPE_CHECK(in_file(decode_strings(details.blob(0), c.symbols, what + " symbols")));
  UPSCOPE_CHECK(in_file(decode_map(details.blob(1), c.functions, what + " functions")));
  UPSCOPE_CHECK(in_file(decode_map(details.blob(2), c.facts, what + " facts")));
  details.reset();
  return {};
}

}  // namespace detail

Catalog::Catalog(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Catalog::Catalog(Catalog&&) noexcept = default;
Catalog& Catalog::operator=(Catalog&&) noexcept = default;
Catalog::~Catalog() = default;

const std::string& Catalog::path() const { return impl_->db.path(); }

Result<Catalog> Catalog::open(const std::string& path, Mode mode) {
  // A database URL is not a file name: without this, "postgresql:///x" became a directory
  // "postgresql:" holding a SQLite file. Only SQLite files are served today (issue 27: PostgreSQL).
  if (const size_t colon = path.find("://"); colon != std::string::npos && colon > 0 &&
      path.find('/') == colon + 1)
    return fail(file_error(ErrorCode::kUnsupported, path,
                           fmt::format("a '{}' database URL: this upscope keeps catalogues in SQLite files only "
                                       "(give --db a file path)",
                                       path.substr(0, colon))));
  std::error_code ec;
  auto st = fs::status(path, ec);
  if (!fs::exists(st)) {
    if (mode == Mode::kExisting)
      return fail(file_error(ErrorCode::kNotFound, path,
                             "no catalogue here (add builds with `upscope catalog add BUILD... --db FILE`)"));
    auto parent = fs::path(path).parent_path();
    if (!parent.empty()) {
      fs::create_directories(parent, ec);
      if (ec) return fail(file_error(ErrorCode::kIo, path, "cannot create its directory: " + ec.message()));
    }
  } else if (!fs::is_regular_file(st)) {
    return fail(file_error(ErrorCode::kInvalidArgument, path, "not a regular file"));
  } else {
    UPSCOPE_CHECK(check_header(path));
  }

  UPSCOPE_TRY(sql::Db db, sql::Db::open(path, mode == Mode::kCreate));
  UPSCOPE_TRY(Identity id, read_identity(db));
  if (id.fresh()) {
    if (mode == Mode::kExisting)
      return fail(file_error(ErrorCode::kNotFound, path, "an empty database, not yet a catalogue"));
    UPSCOPE_CHECK(create_schema(db));
    UPSCOPE_TRY(id, read_identity(db));
  }
  UPSCOPE_CHECK(check_identity(id, path));
  for (int64_t v = id.user_version; v < kSchemaVersion; ++v) UPSCOPE_CHECK(migrate(db, v));
  // WAL keeps the database consistent after a crash with synchronous=NORMAL; only the last commits
  // may be lost on power failure.
  UPSCOPE_CHECK(db.exec("PRAGMA synchronous = NORMAL", "configuring"));
  auto impl = std::make_unique<Impl>(Impl{std::move(db)});
  return Catalog(std::move(impl));
}

Result<AddResult> Catalog::add(const BuildInventory& inv) {
  sql::Db& db = impl_->db;
  const std::string digest = detail::content_digest(inv);  // before taking the write lock
  UPSCOPE_TRY(auto txn, sql::Transaction::begin(db, true));

  const std::string select_build =
      fmt::format("SELECT {} FROM builds WHERE product = ?1 AND version = ?2 AND build = ?3 AND version_extra = ?4 "
                  "AND digest = ?5",
                  detail::kBuildColumns);
  UPSCOPE_TRY(auto find, sql::Stmt::prepare(db, select_build.c_str(), "looking for the build"));
  find.bind(1, inv.product);
  find.bind(2, inv.version);
  find.bind(3, inv.build);
  find.bind(4, inv.version_extra);
  find.bind(5, digest);
  UPSCOPE_TRY(bool present, find.step());
  if (present) return AddResult{AddStatus::kAlreadyPresent, detail::read_build(find)};
  find.reset();

  constexpr const char* what = "adding a build";
  UPSCOPE_TRY(auto ins_build, sql::Stmt::prepare(db,
      "INSERT INTO builds(product, version, build, version_extra, platform, arch, source, digest, added_at, "
      "component_count, not_analysed_count) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), ?9, ?10)", what));
  ins_build.bind(1, inv.product);
  ins_build.bind(2, inv.version);
  ins_build.bind(3, inv.build);
  ins_build.bind(4, inv.version_extra);
  ins_build.bind(5, inv.platform);
  ins_build.bind(6, inv.arch);
  ins_build.bind(7, inv.source);
  ins_build.bind(8, digest);
  ins_build.bind(9, static_cast<int64_t>(inv.components.size()));
  ins_build.bind(10, static_cast<int64_t>(inv.not_analysed.size()));
  UPSCOPE_CHECK(ins_build.run());
  const int64_t build_id = db.last_insert_rowid();

  UPSCOPE_TRY(auto find_detail, sql::Stmt::prepare(db, "SELECT id FROM details WHERE digest = ?1", what));
  UPSCOPE_TRY(auto ins_detail,
              sql::Stmt::prepare(db, "INSERT INTO details(digest, symbols, functions, facts) VALUES (?1, ?2, ?3, ?4)", what));
  UPSCOPE_TRY(auto ins_comp, sql::Stmt::prepare(db,
      "INSERT INTO components(build_id, seq, id, kind, space, location, path, version, uuid, size, code_hash, "
      "hashes, details_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)", what));
  int64_t seq = 0;
  for (const auto& c : inv.components) {
    detail::Blob symbols = detail::encode_strings(c.symbols);
    detail::Blob functions = detail::encode_map(c.functions);
    detail::Blob facts = detail::encode_map(c.facts);
    Hasher h(HashKind::kSha256);
    detail::Blob len;
    detail::put_uleb(len, symbols.size());
    h.update(Bytes(len.data(), len.size()));
    h.update(Bytes(symbols.data(), symbols.size()));
    len.clear();
    detail::put_uleb(len, functions.size());
    h.update(Bytes(len.data(), len.size()));
    h.update(Bytes(functions.data(), functions.size()));
    h.update(Bytes(facts.data(), facts.size()));
    const std::string detail_digest = h.hex_digest();

    find_detail.bind(1, detail_digest);
    UPSCOPE_TRY(bool have, find_detail.step());
    int64_t details_id = have ? find_detail.int64(0) : 0;
    find_detail.reset();
    if (!have) {
      ins_detail.bind(1, detail_digest);
      ins_detail.bind_blob(2, Bytes(symbols.data(), symbols.size()));
      ins_detail.bind_blob(3, Bytes(functions.data(), functions.size()));
      ins_detail.bind_blob(4, Bytes(facts.data(), facts.size()));
      UPSCOPE_CHECK(ins_detail.run());
      details_id = db.last_insert_rowid();
    }
    detail::Blob hashes = detail::encode_map(detail::stored_hashes(c));
    ins_comp.bind(1, build_id);
    ins_comp.bind(2, seq++);
    ins_comp.bind(3, c.id);
    ins_comp.bind(4, to_string(c.kind));
    ins_comp.bind(5, to_string(c.space));
    ins_comp.bind(6, to_string(c.location));
    ins_comp.bind(7, c.path);
    ins_comp.bind(8, c.version);
    ins_comp.bind(9, c.uuid);
    ins_comp.bind(10, static_cast<int64_t>(c.size));
    ins_comp.bind(11, c.code_hash);
    ins_comp.bind_blob(12, Bytes(hashes.data(), hashes.size()));
    ins_comp.bind(13, details_id);
    UPSCOPE_CHECK(ins_comp.run());
  }

  UPSCOPE_TRY(auto ins_na, sql::Stmt::prepare(db,
      "INSERT INTO not_analysed(build_id, seq, path, reason) VALUES (?1, ?2, ?3, ?4)", what));
  seq = 0;
  for (const auto& n : inv.not_analysed) {
    ins_na.bind(1, build_id);
    ins_na.bind(2, seq++);
    ins_na.bind(3, n.path);
    ins_na.bind(4, n.reason);
    UPSCOPE_CHECK(ins_na.run());
  }

  const std::string select_id = fmt::format("SELECT {} FROM builds WHERE id = ?1", detail::kBuildColumns);
  UPSCOPE_TRY(auto again, sql::Stmt::prepare(db, select_id.c_str(), what));
  again.bind(1, build_id);
  UPSCOPE_TRY(bool row, again.step());
  if (!row) return fail(file_error(ErrorCode::kIo, db.path(), fmt::format("build #{} vanished while adding", build_id)));
  AddResult out{AddStatus::kAdded, detail::read_build(again)};
  again.reset();
  UPSCOPE_CHECK(txn.commit());
  return out;
}

Result<std::vector<BuildRecord>> Catalog::list() {
  const std::string q = fmt::format("SELECT {} FROM builds", detail::kBuildColumns);
  UPSCOPE_TRY(auto st, sql::Stmt::prepare(impl_->db, q.c_str(), "listing builds"));
  std::vector<BuildRecord> out;
  while (true) {
    UPSCOPE_TRY(bool row, st.step());
    if (!row) break;
    out.push_back(detail::read_build(st));
  }
  std::sort(out.begin(), out.end(), series_less);
  return out;
}

namespace {

// One build; the symbol and function lists of components in `skip_lists` are left empty.
Result<BuildInventory> load_build(sql::Db& db, int64_t id, const std::unordered_set<std::string>* skip_lists) {
  const std::string what = fmt::format("loading build #{}", id);
  const std::string q = fmt::format("SELECT {} FROM builds WHERE id = ?1", detail::kBuildColumns);
  UPSCOPE_TRY(auto b, sql::Stmt::prepare(db, q.c_str(), what));
  b.bind(1, id);
  UPSCOPE_TRY(bool row, b.step());
  if (!row) return fail(file_error(ErrorCode::kNotFound, db.path(), fmt::format("no build #{} in the catalogue", id)));
  BuildRecord rec = detail::read_build(b);
  b.reset();
  BuildInventory inv;
  inv.source = rec.source;
  inv.product = rec.product;
  inv.version = rec.version;
  inv.build = rec.build;
  inv.version_extra = rec.version_extra;
  inv.platform = rec.platform;
  inv.arch = rec.arch;

  const std::string cq =
      fmt::format("SELECT {} FROM components c WHERE c.build_id = ?1 ORDER BY c.seq", detail::kComponentColumns);
  UPSCOPE_TRY(auto cs, sql::Stmt::prepare(db, cq.c_str(), what));
  UPSCOPE_TRY(auto details, detail::prepare_details(db));
  cs.bind(1, id);
  inv.components.reserve(std::min<uint64_t>(rec.components, 1u << 20));
  while (true) {
    UPSCOPE_TRY(row, cs.step());
    if (!row) break;
    UPSCOPE_TRY(Component c, detail::read_component(cs, db, id));
    if (!skip_lists || !skip_lists->count(c.id))
      UPSCOPE_CHECK(detail::read_details(details, cs.int64(detail::kDetailsIdColumn), c, db, id));
    inv.components.push_back(std::move(c));
  }
  if (inv.components.size() != rec.components)
    return fail(file_error(ErrorCode::kMalformed, db.path(),
                           fmt::format("build #{}: the catalogue is corrupted: {} components recorded, {} stored", id,
                                       rec.components, inv.components.size())));

  UPSCOPE_TRY(auto na, sql::Stmt::prepare(db, "SELECT path, reason FROM not_analysed WHERE build_id = ?1 ORDER BY seq",
                                          what));
  na.bind(1, id);
  while (true) {
    UPSCOPE_TRY(row, na.step());
    if (!row) break;
    inv.not_analysed.push_back({std::string(na.text(0)), std::string(na.text(1))});
  }
  if (inv.not_analysed.size() != rec.not_analysed)
    return fail(file_error(ErrorCode::kMalformed, db.path(),
                           fmt::format("build #{}: the catalogue is corrupted: {} not-analysed entries recorded, {} "
                                       "stored",
                                       id, rec.not_analysed, inv.not_analysed.size())));
  return inv;
}

}  // namespace

Result<BuildInventory> Catalog::load(int64_t id) {
  UPSCOPE_TRY(auto txn, sql::Transaction::begin(impl_->db, false));  // one snapshot for every read
  UPSCOPE_TRY(BuildInventory inv, load_build(impl_->db, id, nullptr));
  UPSCOPE_CHECK(txn.commit());
  return inv;
}

Result<std::pair<BuildInventory, BuildInventory>> Catalog::load_for_diff(int64_t old_id, int64_t new_id) {
  sql::Db& db = impl_->db;
  UPSCOPE_TRY(auto txn, sql::Transaction::begin(db, false));
  std::unordered_set<std::string> same;
  if (old_id != new_id) {
    UPSCOPE_TRY(auto st, sql::Stmt::prepare(db,
        "SELECT a.id FROM components a JOIN components b ON b.id = a.id AND b.build_id = ?2 "
        "AND b.details_id = a.details_id WHERE a.build_id = ?1", "comparing two builds"));
    st.bind(1, old_id);
    st.bind(2, new_id);
    while (true) {
      UPSCOPE_TRY(bool row, st.step());
      if (!row) break;
      same.emplace(st.text(0));
    }
  }
  UPSCOPE_TRY(BuildInventory a, load_build(db, old_id, &same));
  UPSCOPE_TRY(BuildInventory b, load_build(db, new_id, &same));
  UPSCOPE_CHECK(txn.commit());
  return std::make_pair(std::move(a), std::move(b));
}

std::string default_path() {
  const char* xdg = std::getenv("XDG_DATA_HOME");
  // The XDG spec says relative values are to be ignored.
  if (xdg && *xdg == '/') return (fs::path(xdg) / "upscope" / "catalog.db").string();
  const char* home = std::getenv("HOME");
  if (home && *home) return (fs::path(home) / ".local" / "share" / "upscope" / "catalog.db").string();
  return "upscope-catalog.db";
}

}  // namespace upscope::catalog
