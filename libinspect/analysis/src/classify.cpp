#include "analysis/classify.hpp"

#include "analysis/placement.hpp"

namespace upscope {

namespace {

// Cryptex roots: where the OS and App cryptexes are grafted or stored, stripped to give the install
// path. The placement table's first two rows place the same prefixes (a test checks they agree).
const char* const kCryptexRoots[] = {
    "/System/Volumes/Preboot/Cryptexes/OS", "/System/Volumes/Preboot/Cryptexes/App",
    "/private/preboot/Cryptexes/OS",        "/private/preboot/Cryptexes/App",
    "/System/Cryptexes/OS",                 "/System/Cryptexes/App",
    "/Preboot/Cryptexes/OS",                "/Preboot/Cryptexes/App",
};

std::string_view cryptex_root(std::string_view path) {
  for (std::string_view p : kCryptexRoots)
    if (path.substr(0, p.size()) == p && (path.size() == p.size() || path[p.size()] == '/')) return p;
  return {};
}

}  // namespace

std::string strip_cryptex_prefix(std::string_view path) {
  std::string_view root = cryptex_root(path);
  std::string out(path.substr(root.size()));
  return out.empty() ? "/" : out;
}

Placement classify_path(std::string_view path) {
  Placement pl;
  const PlacementRow* row = find_placement(Subject::kPath, path);
  if (!row) {
    pl.rule = "no rule matched";
    return pl;
  }
  pl.location = row->location;
  pl.space = row->space;
  pl.kind = row->kind;
  pl.rule = row->rule ? row->rule : row->pattern;
  pl.reason = row->reason;
  return pl;
}

}  // namespace upscope
