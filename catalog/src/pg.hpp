// A thin RAII layer over libpq: one connection, queries with binary parameters and results (no
// quoting or escaping anywhere: bytea and text go as their bytes), and PostgreSQL errors turned into
// upscope Errors that name the database by its URI without the password.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "encoding.hpp"
#include "inspect/byte_reader.hpp"
#include "inspect/result.hpp"

struct pg_conn;
struct pg_result;

namespace upscope::catalog::pg {

using detail::Blob;

// Type OIDs of the parameters we send (PostgreSQL's pg_type.dat).
inline constexpr uint32_t kByteaOid = 17;
inline constexpr uint32_t kInt8Oid = 20;
inline constexpr uint32_t kTextOid = 25;

// A query's rows, binary: int8 as 8 big-endian bytes, bytea and text as their bytes.
class Rows {
 public:
  explicit Rows(pg_result* r) : r_(r) {}
  Rows(Rows&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
  Rows& operator=(Rows&&) = delete;
  Rows(const Rows&) = delete;
  ~Rows();
  int count() const;
  Bytes bytes(int row, int col) const;
  std::string str(int row, int col) const;
  Blob blob(int row, int col) const;
  int64_t int64(int row, int col) const;  // a wrong-sized value reads as 0
  bool null(int row, int col) const;

 private:
  pg_result* r_;
};

// A one-dimensional array parameter in PostgreSQL's binary array format.
class Array {
 public:
  Array(uint32_t elem_oid, size_t count);
  void add(Bytes b);
  void add(std::string_view s) { add(detail::bytes_of(s)); }
  void add(int64_t v);
  Blob take() { return std::move(out_); }

 private:
  Blob out_;
};

// Parameters $1, $2... in binary format; each is kept until the query has run.
class Params {
 public:
  Params& bytes(Bytes b);
  Params& text(std::string_view s) { return bytes(detail::bytes_of(s)); }
  Params& int64(int64_t v);
  Params& array(Array a);
  size_t size() const { return values_.size(); }
  const Blob& operator[](size_t i) const { return values_[i]; }

 private:
  std::vector<Blob> values_;
};

class Conn {
 public:
  // `shown` names the database in every message; the password libpq used (from the URI, the
  // environment or a password file) is replaced by "***" wherever a server message repeats it.
  static Result<Conn> connect(const std::string& uri, const std::string& shown);
  Conn(Conn&& o) noexcept;
  Conn& operator=(Conn&&) = delete;
  Conn(const Conn&) = delete;
  ~Conn();

  const std::string& name() const { return name_; }
  // One or more statements that return no rows.
  Status exec(const char* sql, std::string_view what);
  // One statement with binary parameters (their types cast in the SQL: "$1::bytea") and binary rows.
  Result<Rows> query(const char* sql, const Params& params, std::string_view what);
  // The SQLSTATE of the last failure ("40001"), empty after a failure without one.
  const std::string& sqlstate() const { return sqlstate_; }

 private:
  Conn() = default;
  Error error(std::string_view what, const pg_result* r);
  std::string redact(std::string msg) const;
  pg_conn* conn_ = nullptr;
  std::string name_;
  std::string secret_;
  std::string sqlstate_;
};

}  // namespace upscope::catalog::pg
