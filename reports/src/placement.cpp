// The placement table's rows, rendered (reports/placement.hpp).
#include "reports/placement.hpp"

#include "analysis/placement.hpp"
#include "analysis/verdict.hpp"
#include "reports/text_table.hpp"

namespace upscope::reports {

Json advisory_components_document() {
  Json doc = make_document("advisory-components");
  Json rows = Json::array();
  for (const auto& r : placement_table()) {
    if (r.subject != Subject::kComponent) continue;
    rows.push_back({{"name", r.pattern}, {"location", to_string(r.location)}, {"space", to_string(r.space)},
                    {"kind", to_string(r.kind)}, {"why", r.reason}, {"rsr_patchable", rsr_patchable(r.location)},
                    {"inferred", r.inferred}});
  }
  doc["components"] = std::move(rows);
  return doc;
}

std::string advisory_components_text() {
  TextTable t({"NAME", "LOCATION", "SPACE", "KIND", "WHY"});
  for (const auto& r : placement_table())
    if (r.subject == Subject::kComponent)
      t.add_row({r.pattern, to_string(r.location), to_string(r.space), to_string(r.kind), r.reason});
  return t.str();
}

Json placement_document() {
  Json doc = make_document("placement");
  Json rows = Json::array();
  for (const auto& r : placement_table())
    rows.push_back({{"subject", to_string(r.subject)}, {"pattern", r.pattern}, {"rule", r.rule ? r.rule : r.pattern},
                    {"location", to_string(r.location)}, {"space", to_string(r.space)}, {"kind", to_string(r.kind)},
                    {"reason", r.reason}, {"rsr_patchable", rsr_patchable(r.location)}, {"inferred", r.inferred}});
  doc["rows"] = std::move(rows);
  return doc;
}

std::string placement_text() {
  TextTable t({"SUBJECT", "PATTERN", "LOCATION", "SPACE", "KIND", "REASON"});
  for (const auto& r : placement_table())
    t.add_row({to_string(r.subject), r.pattern, to_string(r.location), to_string(r.space), to_string(r.kind), r.reason});
  return t.str();
}

}  // namespace upscope::reports
