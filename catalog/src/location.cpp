// What `--db` names: a file, or a PostgreSQL database by its libpq URI (docs/catalog.md §3).
#include <fmt/format.h>

#include "catalog/catalog.hpp"
#include "store.hpp"

namespace upscope::catalog {

namespace {

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_scheme_char(char c) { return is_alpha(c) || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'; }

// The length of a leading RFC 3986 scheme ("sqlite" of "sqlite://x"), 0 when there is none.
size_t scheme_length(std::string_view s) {
  if (s.empty() || !is_alpha(s[0])) return 0;
  size_t i = 1;
  while (i < s.size() && is_scheme_char(s[i])) ++i;
  return i < s.size() && s[i] == ':' ? i : 0;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

}  // namespace

std::string redact_uri(const std::string& uri) {
  const size_t scheme = scheme_length(uri);
  if (scheme == 0 || uri.compare(scheme, 3, "://") != 0) return uri;
  std::string out = uri;
  // user-info: between "://" and the last '@' before the path or query
  const size_t start = scheme + 3;
  size_t end = out.find_first_of("/?#", start);
  if (end == std::string::npos) end = out.size();
  const size_t at = out.rfind('@', end == 0 ? 0 : end - 1);
  if (at != std::string::npos && at >= start) {
    const size_t colon = out.find(':', start);
    if (colon != std::string::npos && colon < at) {
      out.replace(colon + 1, at - colon - 1, "***");
      end = out.find_first_of("/?#", start);
      if (end == std::string::npos) end = out.size();
    }
  }
  // "password=" among the query parameters
  size_t q = out.find('?', start);
  while (q != std::string::npos && q < out.size()) {
    const size_t key = q + 1;
    size_t next = out.find('&', key);
    if (next == std::string::npos) next = out.size();
    const size_t eq = out.find('=', key);
    if (eq != std::string::npos && eq < next && lower(std::string_view(out).substr(key, eq - key)) == "password") {
      out.replace(eq + 1, next - eq - 1, "***");
      next = eq + 4;
    }
    q = next < out.size() ? next : std::string::npos;
  }
  return out;
}

Result<DbLocation> parse_db_location(const std::string& db) {
  const size_t scheme = scheme_length(db);
  if (scheme == 0 || db.compare(scheme + 1, 2, "//") != 0) {
    if (db.empty())
      return fail(detail::db_error(ErrorCode::kInvalidArgument, db, "no catalogue named: --db needs a file or a URI"));
    return DbLocation{DbLocation::Kind::kFile, db, db};
  }
  // libpq knows its two prefixes in lower case only.
  const std::string name = db.substr(0, scheme);
  const std::string shown = redact_uri(db);
  if (name == "postgresql" || name == "postgres") return DbLocation{DbLocation::Kind::kPostgres, db, shown};
  return fail(detail::db_error(ErrorCode::kInvalidArgument, shown,
                               fmt::format("\"{}:\" URIs are not catalogues: --db takes a file path or a PostgreSQL "
                                           "URI (postgresql://... or postgres://...)",
                                           db.substr(0, scheme))));
}

}  // namespace upscope::catalog
