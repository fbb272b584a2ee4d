// Trust-cache documents (reports/trust_cache.hpp).
#include "reports/trust_cache.hpp"

#include <fmt/format.h>

#include "inspect/text.hpp"

namespace upscope::reports {

using trustcache::Entry;
using trustcache::TrustCache;

namespace {

std::string opt_text(const std::optional<uint8_t>& v, bool flags) {
  if (!v) return "absent";
  return flags ? trustcache::flags_text(*v) : std::to_string(*v);
}

Json side(const std::string& path, const TrustCache& tc) {
  return {{"path", path},
          {"version", tc.version},
          {"uuid", uuid_string(tc.uuid)},
          {"entry_count", tc.entries.size()},
          {"image4_type", tc.wrapper ? Json(tc.wrapper->type) : Json(nullptr)}};
}

}  // namespace

Json trust_cache_ls_document(const std::string& image, const TrustCache& tc) {
  auto doc = make_document("trustcache-ls");
  doc["image"] = image;
  doc["trust_cache"] = trustcache::to_json(tc);
  doc["diagnostics"] = to_json(tc.diagnostics);
  return doc;
}

std::string trust_cache_ls_text(const std::string& image, const TrustCache& tc) {
  return fmt::format("{}: {}\n{}", image, trustcache::summary(tc), trustcache::entries_text(tc));
}

Json to_json(const TrustCacheDiff& d) {
  Json j;
  j["same"] = d.same();
  j["uuid_changed"] = d.uuid_changed;
  j["version_changed"] = d.version_changed;
  Json added = Json::array(), removed = Json::array(), changed = Json::array();
  for (const auto& e : d.added) added.push_back(trustcache::to_json(e));
  for (const auto& e : d.removed) removed.push_back(trustcache::to_json(e));
  for (const auto& c : d.changed)
    changed.push_back({{"cdhash", to_hex(c.old_entry.cdhash)},
                       {"fields", c.fields},
                       {"old", trustcache::to_json(c.old_entry)},
                       {"new", trustcache::to_json(c.new_entry)}});
  j["added"] = std::move(added);
  j["removed"] = std::move(removed);
  j["changed"] = std::move(changed);
  j["summary"] = {{"added", d.added.size()},
                  {"removed", d.removed.size()},
                  {"changed", d.changed.size()},
                  {"unchanged", d.unchanged}};
  return j;
}

std::string diff_text(const TrustCacheDiff& d) {
  std::string s;
  for (const auto& e : d.added) {
    const std::string f = trustcache::entry_fields(e);
    s += fmt::format("+ {}{}\n", to_hex(e.cdhash), f.empty() ? "" : "  " + f);
  }
  for (const auto& e : d.removed) {
    const std::string f = trustcache::entry_fields(e);
    s += fmt::format("- {}{}\n", to_hex(e.cdhash), f.empty() ? "" : "  " + f);
  }
  for (const auto& c : d.changed) {
    std::string what;
    for (const auto& f : c.fields) {
      const Entry &a = c.old_entry, &b = c.new_entry;
      std::string one = f == "hash_type"  ? fmt::format("hash type {} -> {}", opt_text(a.hash_type, false), opt_text(b.hash_type, false))
                        : f == "flags"    ? fmt::format("flags {} -> {}", opt_text(a.flags, true), opt_text(b.flags, true))
                                          : fmt::format("category {} -> {}", opt_text(a.constraint_category, false),
                                                        opt_text(b.constraint_category, false));
      what += (what.empty() ? "" : "; ") + one;
    }
    s += fmt::format("~ {}  {}\n", to_hex(c.old_entry.cdhash), what);
  }
  s += fmt::format("{} added, {} removed, {} changed, {} unchanged{}\n", d.added.size(), d.removed.size(),
                   d.changed.size(), d.unchanged, d.same() ? ": the entries are the same" : "");
  return s;
}

Json trust_cache_diff_document(const std::string& old_path, const TrustCache& old_tc, const std::string& new_path,
                               const TrustCache& new_tc, const TrustCacheDiff& d) {
  auto doc = make_document("trustcache-diff");
  doc["old"] = side(old_path, old_tc);
  doc["new"] = side(new_path, new_tc);
  doc["diff"] = to_json(d);
  doc["diagnostics"] = {{"old", to_json(old_tc.diagnostics)}, {"new", to_json(new_tc.diagnostics)}};
  return doc;
}

std::string trust_cache_diff_text(const std::string& old_path, const TrustCache& old_tc, const std::string& new_path,
                                  const TrustCache& new_tc, const TrustCacheDiff& d) {
  std::string text = fmt::format("trust cache {} ({}) -> {} ({})\n", old_path, trustcache::summary(old_tc), new_path,
                                 trustcache::summary(new_tc));
  if (d.version_changed) text += fmt::format("version: {} -> {}\n", old_tc.version, new_tc.version);
  if (d.uuid_changed) text += fmt::format("uuid: {} -> {}\n", uuid_string(old_tc.uuid), uuid_string(new_tc.uuid));
  return text + diff_text(d);
}

}  // namespace upscope::reports
