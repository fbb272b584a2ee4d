// JSON and text renderings of trust caches.
#include <fmt/format.h>

#include "inspect/text.hpp"
#include "trustcache/trustcache.hpp"

namespace upscope::trustcache {

using Json = nlohmann::ordered_json;

Json to_json(const Entry& e) {
  Json j;
  j["cdhash"] = to_hex(e.cdhash);
  if (e.hash_type) {
    j["hash_type"] = *e.hash_type;
    j["hash_type_name"] = hash_type_name(*e.hash_type);
  }
  if (e.flags) {
    j["flags"] = *e.flags;
    j["flag_names"] = flag_names(*e.flags);
  }
  if (e.constraint_category) j["constraint_category"] = *e.constraint_category;
  return j;
}

Json to_json(const TrustCache& tc) {
  Json j;
  j["format"] = "trustcache";
  j["offset"] = tc.offset;
  j["version"] = tc.version;
  j["uuid"] = uuid_string(tc.uuid);
  j["declared_entry_count"] = tc.declared_count;
  j["entry_count"] = tc.entries.size();
  if (tc.wrapper) {
    const Wrapper& w = *tc.wrapper;
    j["image4"] = {{"container", w.container},
                   {"payload_type", w.type},
                   {"payload_type_name", im4p_type_name(w.type)},
                   {"description", w.description},
                   {"payload_offset", w.payload_offset},
                   {"payload_length", w.payload_length},
                   {"manifest_offset", w.manifest_offset ? Json(*w.manifest_offset) : Json(nullptr)}};
  } else {
    j["image4"] = nullptr;
  }
  Json entries = Json::array();
  for (const auto& e : tc.entries) entries.push_back(to_json(e));
  j["entries"] = std::move(entries);
  return j;
}

std::string summary(const TrustCache& tc) {
  std::string s = fmt::format("trust cache v{}, UUID {}, {} entr{}", tc.version, uuid_string(tc.uuid),
                              tc.entries.size(), tc.entries.size() == 1 ? "y" : "ies");
  if (tc.entries.size() != tc.declared_count) s += fmt::format(" (the header declares {})", tc.declared_count);
  if (tc.wrapper) {
    const Wrapper& w = *tc.wrapper;
    s += fmt::format("; in {}IM4P '{}' ({}), description \"{}\", payload {} bytes at {:#x}",
                     w.container == "img4" ? "IMG4 > " : "", w.type, im4p_type_name(w.type), w.description,
                     w.payload_length, w.payload_offset);
    if (w.manifest_offset) s += fmt::format("; IM4M manifest at {:#x} (not verified)", *w.manifest_offset);
  }
  return s;
}

namespace {

std::string entry_row(const Entry& e, uint32_t version) {
  std::string row = to_hex(e.cdhash);
  if (version >= 1) {
    const uint8_t t = e.hash_type.value_or(0);
    row += fmt::format("  {:<20}  {:<24}", fmt::format("{} ({})", t, hash_type_name(t)), flags_text(e.flags.value_or(0)));
  }
  if (version >= 2) row += fmt::format("  {}", e.constraint_category.value_or(0));
  while (!row.empty() && row.back() == ' ') row.pop_back();
  return row + "\n";
}

std::string header_row(uint32_t version) {
  std::string row = fmt::format("{:<40}", "CDHASH");
  if (version >= 1) row += fmt::format("  {:<20}  {:<24}", "HASH TYPE", "FLAGS");
  if (version >= 2) row += "  CATEGORY";
  while (!row.empty() && row.back() == ' ') row.pop_back();
  return row + "\n";
}

}  // namespace

std::string entries_text(const TrustCache& tc) {
  std::string s = header_row(tc.version);
  for (const auto& e : tc.entries) s += entry_row(e, tc.version);
  return s;
}

std::string entry_fields(const Entry& e) {
  std::string s;
  if (e.hash_type) s += fmt::format("hash type {} ({})", *e.hash_type, hash_type_name(*e.hash_type));
  if (e.flags) s += fmt::format("{}flags {}", s.empty() ? "" : ", ", flags_text(*e.flags));
  if (e.constraint_category) s += fmt::format("{}category {}", s.empty() ? "" : ", ", *e.constraint_category);
  return s;
}

}  // namespace upscope::trustcache
