#include "trust_cache_components.hpp"

#include <fmt/format.h>

#include "inspect/text.hpp"
#include "trustcache/trustcache.hpp"

namespace upscope::build {

namespace {

std::string entry_value(const trustcache::Entry& e) {
  std::string v;
  if (e.hash_type) v = "hash type " + trustcache::hash_type_name(*e.hash_type);
  if (e.flags) v += ", flags " + trustcache::flags_text(*e.flags);
  if (e.constraint_category) v += fmt::format(", category {}", *e.constraint_category);
  return v.empty() ? "listed" : v;
}

}  // namespace

FileResult read_trust_cache(const std::string& rel, const Source& src, Component base) {
  FileResult r;
  base.kind = ComponentKind::kTrustCache;
  auto tc = trustcache::parse(src);
  if (!tc) {
    r.not_analysed.push_back({rel, tc.error().message()});
    r.components.push_back(std::move(base));
    return r;
  }
  // Facts are "<class>/<label> <what>" (analysis/model.hpp): the entries are the content; the UUID and
  // the version say which cache this is (metadata). A repeated cdhash keeps its first entry, as diff()
  // does.
  for (const auto& e : tc->entries)
    base.facts.emplace("content/entry cdhash " + to_hex(Bytes(e.cdhash)), entry_value(e));
  base.facts.emplace("metadata/header uuid", to_hex(Bytes(tc->uuid)));
  base.facts.emplace("metadata/header version", std::to_string(tc->version));
  r.components.push_back(std::move(base));
  return r;
}

}  // namespace upscope::build
