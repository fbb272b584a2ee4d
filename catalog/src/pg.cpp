#include "pg.hpp"

#include <libpq-fe.h>

#include <mutex>

#include <fmt/format.h>

#include "inspect/shared_library.hpp"
#include "store.hpp"

namespace upscope::catalog::pg {

namespace {

// libpq, opened the first time a PostgreSQL catalogue is. Linked in, it and the libraries it brings
// (Kerberos, LDAP, GnuTLS, SASL) cost every upscope process ~14 ms of start-up, measured on this
// project's machine; most commands never touch a database. The header gives the types.
struct LibPq {
  decltype(&PQconnectdbParams) connectdbParams = nullptr;
  decltype(&PQpass) pass = nullptr;
  decltype(&PQsetNoticeProcessor) setNoticeProcessor = nullptr;
  decltype(&PQstatus) status = nullptr;
  decltype(&PQerrorMessage) errorMessage = nullptr;
  decltype(&PQfinish) finish = nullptr;
  decltype(&PQresultErrorField) resultErrorField = nullptr;
  decltype(&PQexec) exec = nullptr;
  decltype(&PQexecParams) execParams = nullptr;
  decltype(&PQresultStatus) resultStatus = nullptr;
  decltype(&PQclear) clear = nullptr;
  decltype(&PQntuples) ntuples = nullptr;
  decltype(&PQgetvalue) getvalue = nullptr;
  decltype(&PQgetlength) getlength = nullptr;
  decltype(&PQgetisnull) getisnull = nullptr;
};

LibPq g_pq;  // filled once by load_libpq(); only used after a connection, hence after it loaded

template <typename F>
void find_symbol(void* lib, F& f, const char* name, std::string& error) {
  if (!find_function(lib, f, name) && error.empty()) error = fmt::format("libpq.so.5 has no {}", name);
}

// "" when libpq is there, else why not.
const std::string& load_libpq() {
  static std::string error;
  static std::once_flag once;
  std::call_once(once, [] {
    std::string why;
    void* lib = open_shared_library("libpq.so.5", why);
    if (!lib) {
      error = why.empty() ? "libpq.so.5 could not be loaded" : why;
      return;
    }
    find_symbol(lib, g_pq.connectdbParams, "PQconnectdbParams", error);
    find_symbol(lib, g_pq.pass, "PQpass", error);
    find_symbol(lib, g_pq.setNoticeProcessor, "PQsetNoticeProcessor", error);
    find_symbol(lib, g_pq.status, "PQstatus", error);
    find_symbol(lib, g_pq.errorMessage, "PQerrorMessage", error);
    find_symbol(lib, g_pq.finish, "PQfinish", error);
    find_symbol(lib, g_pq.resultErrorField, "PQresultErrorField", error);
    find_symbol(lib, g_pq.exec, "PQexec", error);
    find_symbol(lib, g_pq.execParams, "PQexecParams", error);
    find_symbol(lib, g_pq.resultStatus, "PQresultStatus", error);
    find_symbol(lib, g_pq.clear, "PQclear", error);
    find_symbol(lib, g_pq.ntuples, "PQntuples", error);
    find_symbol(lib, g_pq.getvalue, "PQgetvalue", error);
    find_symbol(lib, g_pq.getlength, "PQgetlength", error);
    find_symbol(lib, g_pq.getisnull, "PQgetisnull", error);
  });
  return error;
}

}  // namespace

namespace {

void put_be32(Blob& out, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<uint8_t>(v >> s));
}
void put_be64(Blob& out, uint64_t v) {
  for (int s = 56; s >= 0; s -= 8) out.push_back(static_cast<uint8_t>(v >> s));
}

// Server notices ("table exists, skipping") are not ours to print.
void ignore_notice(void*, const char*) {}

}  // namespace

Rows::~Rows() {
  if (r_) g_pq.clear(r_);
}
int Rows::count() const { return g_pq.ntuples(r_); }
Bytes Rows::bytes(int row, int col) const {
  return Bytes(reinterpret_cast<const uint8_t*>(g_pq.getvalue(r_, row, col)),
               static_cast<size_t>(g_pq.getlength(r_, row, col)));
}
std::string Rows::str(int row, int col) const {
  return std::string(g_pq.getvalue(r_, row, col), static_cast<size_t>(g_pq.getlength(r_, row, col)));
}
Blob Rows::blob(int row, int col) const {
  Bytes b = bytes(row, col);
  return Blob(b.begin(), b.end());
}
int64_t Rows::int64(int row, int col) const {
  Bytes b = bytes(row, col);
  if (b.size() != 8) return 0;
  uint64_t v = 0;
  for (uint8_t x : b) v = v << 8 | x;
  return static_cast<int64_t>(v);
}
bool Rows::null(int row, int col) const { return g_pq.getisnull(r_, row, col) != 0; }

Array::Array(uint32_t elem_oid, size_t count) {
  // dimensions, flags (no NULLs), element type, then per dimension its length and lower bound
  put_be32(out_, count ? 1 : 0);
  put_be32(out_, 0);
  put_be32(out_, elem_oid);
  if (count) {
    put_be32(out_, static_cast<uint32_t>(count));
    put_be32(out_, 1);
  }
}
void Array::add(Bytes b) {
  put_be32(out_, static_cast<uint32_t>(b.size()));
  out_.insert(out_.end(), b.begin(), b.end());
}
void Array::add(int64_t v) {
  put_be32(out_, 8);
  put_be64(out_, static_cast<uint64_t>(v));
}

Params& Params::bytes(Bytes b) {
  values_.emplace_back(b.begin(), b.end());
  return *this;
}
Params& Params::int64(int64_t v) {
  Blob b;
  put_be64(b, static_cast<uint64_t>(v));
  values_.push_back(std::move(b));
  return *this;
}
Params& Params::array(Array a) {
  values_.push_back(a.take());
  return *this;
}

std::string Conn::redact(std::string msg) const {
  // Too short a password would blot out ordinary words; libpq never repeats one in its messages.
  if (secret_.size() >= 3)
    for (size_t at = msg.find(secret_); at != std::string::npos; at = msg.find(secret_, at + 3))
      msg.replace(at, secret_.size(), "***");
  return msg;
}

Result<Conn> Conn::connect(const std::string& uri, const std::string& shown) {
  if (const std::string& why = load_libpq(); !why.empty())
    return fail(detail::db_error(ErrorCode::kUnsupported, shown,
                                 "PostgreSQL catalogues need libpq (Debian: libpq5): " + why));
  Conn c;
  c.name_ = shown;
  // Keywords after "dbname" override the URI's; fallback_application_name yields to its own.
  const char* keys[] = {"dbname", "fallback_application_name", nullptr};
  const char* values[] = {uri.c_str(), "upscope", nullptr};
  c.conn_ = g_pq.connectdbParams(keys, values, 1);
  if (!c.conn_) return fail(detail::db_error(ErrorCode::kIo, shown, "connecting: out of memory"));
  if (const char* pass = g_pq.pass(c.conn_)) c.secret_ = pass;
  g_pq.setNoticeProcessor(c.conn_, ignore_notice, nullptr);
  if (g_pq.status(c.conn_) != CONNECTION_OK) {
    std::string msg = g_pq.errorMessage(c.conn_);
    // libpq's message spans lines ("...failed: No such file or directory\n\tIs the server running...").
    for (size_t at; (at = msg.find("\n\t")) != std::string::npos;) msg.replace(at, 2, " ");
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    return fail(detail::db_error(ErrorCode::kIo, shown, "connecting: PostgreSQL: " + c.redact(msg)));
  }
  return c;
}

Conn::Conn(Conn&& o) noexcept
    : conn_(o.conn_), name_(std::move(o.name_)), secret_(std::move(o.secret_)), sqlstate_(std::move(o.sqlstate_)) {
  o.conn_ = nullptr;
}

Conn::~Conn() {
  if (conn_) g_pq.finish(conn_);
}

Error Conn::error(std::string_view what, const pg_result* r) {
  sqlstate_.clear();
  std::string msg;
  if (r) {
    if (const char* s = g_pq.resultErrorField(r, PG_DIAG_SQLSTATE)) sqlstate_ = s;
    if (const char* m = g_pq.resultErrorField(r, PG_DIAG_MESSAGE_PRIMARY)) msg = m;
  }
  if (msg.empty()) {
    msg = g_pq.errorMessage(conn_);
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  }
  return detail::db_error(ErrorCode::kIo, name_, fmt::format("{}: PostgreSQL: {}", what, redact(msg)));
}

Status Conn::exec(const char* sql, std::string_view what) {
  PGresult* r = g_pq.exec(conn_, sql);
  const auto st = g_pq.resultStatus(r);
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
    g_pq.clear(r);
    return {};
  }
  Error e = error(what, r);
  g_pq.clear(r);
  return fail(std::move(e));
}

Result<Rows> Conn::query(const char* sql, const Params& params, std::string_view what) {
  std::vector<const char*> values(params.size());
  std::vector<int> lengths(params.size()), formats(params.size(), 1);
  static const char kEmpty = 0;
  for (size_t i = 0; i < params.size(); ++i) {
    values[i] = params[i].empty() ? &kEmpty : reinterpret_cast<const char*>(params[i].data());
    lengths[i] = static_cast<int>(params[i].size());
  }
  PGresult* r = g_pq.execParams(conn_, sql, static_cast<int>(params.size()), nullptr, values.data(), lengths.data(),
                             formats.data(), 1);
  const auto st = g_pq.resultStatus(r);
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return Rows(r);
  Error e = error(what, r);
  g_pq.clear(r);
  return fail(std::move(e));
}

}  // namespace upscope::catalog::pg
