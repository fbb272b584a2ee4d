// `upscope identify` documents (reports/identify.hpp).
#include "reports/identify.hpp"

#include <fmt/format.h>

#include "identify/identify.hpp"
#include "reports/text_table.hpp"

namespace upscope::reports {

Json identify_document(const std::vector<IdentifiedInputRow>& rows) {
  auto doc = make_document("identify");
  Json items = Json::array();
  for (const auto& r : rows) {
    Json item;
    item["path"] = r.path;
    if (r.error) {
      item["error"] = to_json(*r.error);
    } else {
      item["size"] = r.size;
      item["format"] = r.id.format;
      item["description"] = r.id.description;
      item["details"] = r.id.details;
      item["warnings"] = r.id.warnings;
    }
    items.push_back(std::move(item));
  }
  doc["inputs"] = std::move(items);
  return doc;
}

std::string identify_text(const std::vector<IdentifiedInputRow>& rows) {
  std::string text;
  for (const auto& r : rows)
    if (!r.error) text += fmt::format("{}: {}: {}\n", r.path, r.id.format, r.id.description);
  return text;
}

Json formats_document() {
  auto doc = make_document("formats");
  Json arr = Json::array();
  for (const auto& f : known_formats()) arr.push_back({{"id", f.id}, {"family", f.family}, {"description", f.description}});
  doc["formats"] = arr;
  return doc;
}

std::string formats_text() {
  TextTable t({"FORMAT", "FAMILY", "DESCRIPTION"});
  for (const auto& f : known_formats()) t.add_row({f.id, f.family, f.description});
  return t.str();
}

}  // namespace upscope::reports
