#include "reports/json.hpp"

#include <fmt/format.h>

#include "inspect/version.hpp"

namespace upscope::reports {

Json make_document(std::string_view doc, int major) {
  Json j;
  j["schema"] = fmt::format("upscope/{}/{}", doc, major);
  j["tool"] = {{"name", "upscope"}, {"version", upscope::version()}};
  return j;
}

Json to_json(const Diagnostics& diags) {
  Json arr = Json::array();
  for (const auto& d : diags.items()) {
    Json j;
    j["severity"] = to_string(d.severity);
    j["offset"] = d.offset ? Json(*d.offset) : Json(nullptr);
    j["structure"] = d.structure;
    j["message"] = d.message;
    arr.push_back(std::move(j));
  }
  return arr;
}

Json to_json(const Error& e) {
  Json j;
  j["code"] = to_string(e.code);
  j["file"] = e.file;
  j["offset"] = e.offset ? Json(*e.offset) : Json(nullptr);
  j["structure"] = e.structure;
  j["rule"] = e.rule;
  j["message"] = e.message();
  return j;
}

std::string dump_value(const Json& value, int indent) {
  return value.dump(indent, ' ', false, Json::error_handler_t::replace);
}

std::string dump(const Json& doc) { return dump_value(doc) + "\n"; }

}  // namespace upscope::reports
