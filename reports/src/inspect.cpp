// The `upscope inspect` document (reports/inspect.hpp).
#include "reports/inspect.hpp"

#include <fmt/format.h>

namespace upscope::reports {

namespace {

std::string no_reader(const Identification& id) {
  return fmt::format("no reader for format '{}' yet: identification only", id.format);
}

}  // namespace

Json inspect_document(const std::vector<InspectedInputRow>& rows) {
  auto doc = make_document("inspect");
  Json items = Json::array();
  for (const auto& r : rows) {
    Json item;
    item["path"] = r.path;
    if (r.id) {
      item["format"] = r.id->format;
      item["description"] = r.id->description;
    }
    if (r.error) item["error"] = to_json(*r.error);
    if (r.id && r.id->format != "unknown") {
      item["report"] = r.report;
      if (!r.has_reader) {
        item["details"] = r.id->details;
        item["not_analysed"] = no_reader(*r.id);
      }
      item["diagnostics"] = to_json(r.diagnostics);
    }
    items.push_back(std::move(item));
  }
  doc["inputs"] = std::move(items);
  return doc;
}

std::string inspect_text(const std::vector<InspectedInputRow>& rows) {
  std::string text;
  for (const auto& r : rows) {
    if (!r.id) continue;
    if (!text.empty()) text += "\n";
    text += fmt::format("{}: {}\n", r.path, r.id->description);
    if (r.id->format == "unknown") continue;
    text += r.has_reader ? r.text : "  (" + no_reader(*r.id) + ")\n";
  }
  return text;
}

}  // namespace upscope::reports
