#include "sqlite.hpp"

#include <chrono>
#include <thread>

#include <sqlite3.h>

#include <fmt/format.h>

namespace upscope::catalog::sql {

namespace {
constexpr int kBusyTimeoutMs = 30000;
}

Result<Db> Db::open(const std::string& path, bool create) {
  Db db;
  db.path_ = path;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
  int rc = sqlite3_open_v2(path.c_str(), &db.db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    Error e = db.error(rc, "opening");
    return fail(std::move(e));
  }
  sqlite3_extended_result_codes(db.db_, 1);
  // Two processes adding at once wait for each other instead of failing with "database is locked".
  sqlite3_busy_timeout(db.db_, kBusyTimeoutMs);
  return db;
}

Db::Db(Db&& o) noexcept : db_(o.db_), path_(std::move(o.path_)) { o.db_ = nullptr; }

Db& Db::operator=(Db&& o) noexcept {
  if (this != &o) {
    if (db_) sqlite3_close_v2(db_);
    db_ = o.db_;
    path_ = std::move(o.path_);
    o.db_ = nullptr;
  }
  return *this;
}

Db::~Db() {
  if (db_) sqlite3_close_v2(db_);
}

Error Db::error(int rc, std::string_view what) const {
  std::string reason;
  switch (rc & 0xff) {
    case SQLITE_CORRUPT:
      reason = "the catalogue is corrupted (SQLite: database disk image is malformed)";
      break;
    case SQLITE_NOTADB:
      reason = "not an SQLite database (SQLite: file is not a database)";
      break;
    case SQLITE_BUSY:
      reason = fmt::format("the catalogue is locked by another process (waited {} s)", kBusyTimeoutMs / 1000);
      break;
    default:
      reason = fmt::format("SQLite: {}", db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc));
  }
  ErrorCode code = (rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB ? ErrorCode::kMalformed
                                                                                  : ErrorCode::kIo;
  Error e = make_error(code, std::string(what), std::move(reason));
  e.file = path_;
  return e;
}

Status Db::exec(const char* sql, std::string_view what) {
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return fail(error(rc, what));
  return {};
}

Status Db::exec_waiting(const char* sql, std::string_view what) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kBusyTimeoutMs);
  for (;;) {
    int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
    if (rc == SQLITE_OK) return {};
    if ((rc & 0xff) != SQLITE_BUSY || std::chrono::steady_clock::now() >= deadline) return fail(error(rc, what));
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

int64_t Db::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }
int Db::changes() const { return sqlite3_changes(db_); }

bool Db::reading() const {
  for (sqlite3_stmt* st = sqlite3_next_stmt(db_, nullptr); st; st = sqlite3_next_stmt(db_, st))
    if (sqlite3_stmt_busy(st)) return true;
  return false;
}

Result<Stmt> Stmt::prepare(Db& db, const char* sql, std::string_view what) {
  Stmt s;
  s.db_ = &db;
  s.what_ = std::string(what);
  int rc = sqlite3_prepare_v2(db.handle(), sql, -1, &s.st_, nullptr);
  if (rc != SQLITE_OK) return fail(db.error(rc, what));
  return s;
}

Stmt::Stmt(Stmt&& o) noexcept : db_(o.db_), st_(o.st_), what_(std::move(o.what_)) { o.st_ = nullptr; }

Stmt& Stmt::operator=(Stmt&& o) noexcept {
  if (this != &o) {
    if (st_) sqlite3_finalize(st_);
    db_ = o.db_;
    st_ = o.st_;
    what_ = std::move(o.what_);
    o.st_ = nullptr;
  }
  return *this;
}

Stmt::~Stmt() {
  if (st_) sqlite3_finalize(st_);
}

void Stmt::bind(int i, std::string_view text) {
  sqlite3_bind_text64(st_, i, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
}
void Stmt::bind(int i, int64_t v) { sqlite3_bind_int64(st_, i, v); }
void Stmt::bind_blob(int i, Bytes data) {
  // A zero-length blob must still be a blob, not NULL: SQLite wants a non-null pointer for that.
  static const uint8_t kEmpty = 0;
  sqlite3_bind_blob64(st_, i, data.empty() ? &kEmpty : data.data(), data.size(), SQLITE_TRANSIENT);
}

void Stmt::bind_view(int i, std::string_view text) {
  sqlite3_bind_text64(st_, i, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8);
}
void Stmt::bind_blob_view(int i, Bytes data) {
  static const uint8_t kEmpty = 0;
  sqlite3_bind_blob64(st_, i, data.empty() ? &kEmpty : data.data(), data.size(), SQLITE_STATIC);
}

Result<bool> Stmt::step() {
  int rc = sqlite3_step(st_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return fail(db_->error(rc, what_));
}

Status Stmt::run() {
  UPSCOPE_TRY(bool row, step());
  (void)row;
  reset();
  return {};
}

void Stmt::reset() {
  sqlite3_reset(st_);
  sqlite3_clear_bindings(st_);
}

std::string_view Stmt::text(int col) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st_, col));
  int n = sqlite3_column_bytes(st_, col);
  return p ? std::string_view(p, static_cast<size_t>(n)) : std::string_view();
}

int64_t Stmt::int64(int col) const { return sqlite3_column_int64(st_, col); }

Bytes Stmt::blob(int col) const {
  const auto* p = static_cast<const uint8_t*>(sqlite3_column_blob(st_, col));
  int n = sqlite3_column_bytes(st_, col);
  return p ? Bytes(p, static_cast<size_t>(n)) : Bytes();
}

bool Stmt::is_null(int col) const { return sqlite3_column_type(st_, col) == SQLITE_NULL; }

Result<Transaction> Transaction::begin(Db& db, bool write) {
  UPSCOPE_CHECK(db.exec(write ? "BEGIN IMMEDIATE" : "BEGIN", "starting a transaction"));
  return Transaction(&db);
}

Transaction::~Transaction() {
  if (db_) sqlite3_exec(db_->handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

Status Transaction::commit() {
  Db* db = db_;
  db_ = nullptr;
  auto st = db->exec("COMMIT", "committing");
  if (!st) sqlite3_exec(db->handle(), "ROLLBACK", nullptr, nullptr, nullptr);
  return st;
}

}  // namespace upscope::catalog::sql
