// An advisory's entries with their placement, for `upscope inspect ADVISORY`
// (reports/schemas/advisory.schema.json).
#include <fmt/format.h>

#include "analysis/advisory_placement.hpp"

namespace upscope::advisory {

namespace {
std::string placement_text(const Placement& p) {
  if (!p.placed) return "not placed: component not in the advisory table (verdict undetermined)";
  return fmt::format("{} space, {}{}: {}", to_string(p.space), to_string(p.location),
                     p.source == "impact" ? " (by its Impact)" : "", p.why);
}
}  // namespace

nlohmann::ordered_json to_json(const Advisory& a) {
  using Json = nlohmann::ordered_json;
  Json j;
  j["format"] = "advisory";
  j["syntax"] = to_string(a.syntax);
  j["title"] = a.title;
  j["release"] = a.release;
  j["released"] = a.released;
  j["url"] = a.url;
  Json entries = Json::array();
  size_t unplaced = 0;
  for (const auto& e : a.entries) {
    const Placement p = place(e);
    unplaced += !p.placed;
    Json pj;
    pj["placed"] = p.placed;
    pj["location"] = p.placed ? Json(to_string(p.location)) : Json(nullptr);
    pj["space"] = p.placed ? Json(to_string(p.space)) : Json(nullptr);
    pj["kind"] = p.placed ? Json(to_string(p.kind)) : Json(nullptr);
    pj["source"] = p.placed ? Json(p.source) : Json(nullptr);
    pj["inferred"] = p.inferred;
    pj["why"] = p.why;
    entries.push_back({{"component", e.component}, {"line", e.line}, {"available_for", e.available_for},
                       {"impact", e.impact}, {"description", e.description}, {"cves", e.cves},
                       {"placement", std::move(pj)}});
  }
  j["entries"] = std::move(entries);
  j["unplaced"] = unplaced;
  return j;
}

std::string to_text(const Advisory& a) {
  std::string out = fmt::format("  {} ({}{}): {} entr{}\n", a.release.empty() ? "advisory" : a.release, to_string(a.syntax),
                                a.released.empty() ? "" : ", released " + a.released, a.entries.size(),
                                a.entries.size() == 1 ? "y" : "ies");
  if (!a.url.empty()) out += "  source: " + a.url + "\n";
  for (const auto& e : a.entries) {
    const Placement p = place(e);
    out += fmt::format("  {} (line {})\n", e.component, e.line);
    out += fmt::format("      placement: {}{}\n", placement_text(p), p.inferred ? " [inferred]" : "");
    if (!e.impact.empty()) out += "      impact: " + e.impact + "\n";
    std::string cves;
    for (const auto& c : e.cves) cves += (cves.empty() ? "" : " ") + c;
    out += "      CVEs: " + (cves.empty() ? std::string("none named") : cves) + "\n";
  }
  return out;
}

}  // namespace upscope::advisory
