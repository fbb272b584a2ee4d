// A thin RAII layer over the SQLite C API: one connection, prepared statements, and SQLite result
// codes turned into upscope Errors that name the database file.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "inspect/byte_reader.hpp"
#include "inspect/result.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace upscope::catalog::sql {

class Db {
 public:
  // create: make the file when it is missing (the caller has checked what an existing file is).
  static Result<Db> open(const std::string& path, bool create);
  Db(Db&& o) noexcept;
  Db& operator=(Db&& o) noexcept;
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  ~Db();

  sqlite3* handle() const { return db_; }
  const std::string& path() const { return path_; }
  // Runs one or more statements that return no rows.
  Status exec(const char* sql, std::string_view what);
  // exec, retried while another connection holds the lock, up to the busy timeout: SQLite answers
  // SQLITE_BUSY at once, without its busy handler, to a journal-mode change that meets a lock.
  Status exec_waiting(const char* sql, std::string_view what);
  // An Error for result code rc: "<file>: <what>: <reason>", with corruption and foreign files named.
  Error error(int rc, std::string_view what) const;
  int64_t last_insert_rowid() const;
  int changes() const;  // rows the last statement inserted, updated or deleted
  // A statement of this connection is stepping and not yet done or reset (one reading rows): SQLite
  // refuses to drop a table or an index meanwhile ("database table is locked").
  bool reading() const;

 private:
  Db() = default;
  sqlite3* db_ = nullptr;
  std::string path_;
};

class Stmt {
 public:
  static Result<Stmt> prepare(Db& db, const char* sql, std::string_view what);
  Stmt(Stmt&& o) noexcept;
  Stmt& operator=(Stmt&& o) noexcept;
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt();

  // Parameters are 1-based, as in SQLite. Text and blobs are copied (SQLITE_TRANSIENT).
  void bind(int i, std::string_view text);
  void bind(int i, int64_t v);
  void bind_blob(int i, Bytes data);
  // The same without the copy: the bytes must stay until the statement is reset (run() resets it).
  // A build's new rows are bound this way (a copy per field was a measurable part of an add).
  void bind_view(int i, std::string_view text);
  void bind_blob_view(int i, Bytes data);
  // true: a row is ready; false: done. Errors name the file and `what`.
  Result<bool> step();
  // Steps a statement that returns no row.
  Status run();
  void reset();

  // Columns are 0-based. Views stay valid until the next step/reset.
  std::string_view text(int col) const;
  int64_t int64(int col) const;
  Bytes blob(int col) const;
  bool is_null(int col) const;

 private:
  Stmt() = default;
  Db* db_ = nullptr;
  sqlite3_stmt* st_ = nullptr;
  std::string what_;
};

// BEGIN (IMMEDIATE for writers: the write lock is taken up front, so two writers queue on the busy
// timeout instead of failing on lock upgrade) ... COMMIT; rolls back unless committed.
class Transaction {
 public:
  static Result<Transaction> begin(Db& db, bool write);
  Transaction(Transaction&& o) noexcept : db_(o.db_) { o.db_ = nullptr; }
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  ~Transaction();
  Status commit();

 private:
  explicit Transaction(Db* db) : db_(db) {}
  Db* db_;
};

}  // namespace upscope::catalog::sql
