#include "catalog/render.hpp"

#include <fmt/format.h>

#include "reports/model.hpp"
#include "reports/text_table.hpp"

namespace upscope::catalog {

using reports::Json;

Json to_json(const BuildRecord& b) {
  return Json{{"id", b.id},
              {"label", label(b)},
              {"product", b.product},
              {"version", b.version},
              {"build", b.build},
              {"version_extra", b.version_extra},
              {"platform", b.platform},
              {"arch", b.arch},
              {"source", b.source},
              {"digest", b.digest},
              {"added_at", b.added_at},
              {"components", b.components},
              {"not_analysed", b.not_analysed}};
}

Json ls_document(const std::string& db_path, const std::vector<BuildRecord>& builds) {
  Json doc = reports::make_document("catalog-ls");
  doc["database"] = db_path;
  Json arr = Json::array();
  for (const auto& b : builds) arr.push_back(to_json(b));
  doc["builds"] = std::move(arr);
  return doc;
}

std::string ls_text(const std::string& db_path, const std::vector<BuildRecord>& builds) {
  std::string out = fmt::format("{}: {} build{}\n", db_path, builds.size(), builds.size() == 1 ? "" : "s");
  if (builds.empty()) return out;
  using A = reports::TextTable::Align;
  reports::TextTable t({"ID", "BUILD", "COMPONENTS", "NOT ANALYSED", "ADDED", "SOURCE"},
                       {A::kRight, A::kLeft, A::kRight, A::kRight, A::kLeft, A::kLeft});
  for (const auto& b : builds)
    t.add_row({fmt::format("#{}", b.id), label(b), std::to_string(b.components), std::to_string(b.not_analysed),
               b.added_at, b.source});
  return out + t.str();
}

Json add_document(const std::string& db_path, const std::vector<AddOutcome>& outcomes) {
  Json doc = reports::make_document("catalog-add");
  doc["database"] = db_path;
  Json arr = Json::array();
  for (const auto& o : outcomes) {
    Json j{{"input", o.input}};
    if (o.result) {
      j["status"] = o.result->status == AddStatus::kAdded ? "added" : "already-present";
      j["build"] = to_json(o.result->build);
      j["error"] = nullptr;
    } else {
      j["status"] = "error";
      j["build"] = nullptr;
      j["error"] = o.error ? reports::to_json(*o.error) : Json(nullptr);
    }
    arr.push_back(std::move(j));
  }
  doc["results"] = std::move(arr);
  return doc;
}

std::string add_line(const AddOutcome& o) {
  if (!o.result) return fmt::format("{}: error: {}", o.input, o.error ? o.error->message() : "unknown");
  const BuildRecord& b = o.result->build;
  if (o.result->status == AddStatus::kAlreadyPresent)
    return fmt::format("{}: already catalogued as #{} {}: skipped", o.input, b.id, label(b));
  return fmt::format("{}: added #{} {}: {} components, {} not analysed", o.input, b.id, label(b), b.components,
                     b.not_analysed);
}

Json history_document(const std::string& db_path, const History& h) {
  Json doc = reports::make_document("history");
  doc["database"] = db_path;
  doc["component"] = h.component;
  doc["builds_catalogued"] = h.builds;
  Json arr = Json::array();
  for (const auto& e : h.entries) {
    Json j{{"build", Json{{"id", e.build.id}, {"label", label(e.build)}, {"product", e.build.product},
                          {"version", e.build.version}, {"build", e.build.build},
                          {"version_extra", e.build.version_extra}}},
           {"change", e.change}};
    j["component"] = e.component ? reports::to_json(*e.component) : Json(nullptr);
    j["diff"] = e.change == "baseline" ? Json(nullptr) : reports::to_json(e.diff);
    arr.push_back(std::move(j));
  }
  doc["entries"] = std::move(arr);
  return doc;
}

namespace {
std::string short_hash(const std::string& h) { return h.size() > 16 ? h.substr(0, 16) : h; }

std::string list_names(const std::vector<std::string>& names, size_t max = 8) {
  std::string out;
  for (size_t i = 0; i < names.size() && i < max; ++i) out += (i ? ", " : "") + names[i];
  if (names.size() > max) out += fmt::format(", … ({} more)", names.size() - max);
  return out;
}
}  // namespace

std::string history_text(const History& h) {
  std::string out = fmt::format("{}: changed in {} of {} catalogued build{}\n", h.component, h.entries.size(), h.builds,
                                h.builds == 1 ? "" : "s");
  if (h.entries.empty()) return out;
  reports::TextTable t({"BUILD", "CHANGE", "VERSION", "UUID", "CODE HASH", "FUNCTIONS"});
  for (const auto& e : h.entries) {
    std::string fn;
    const Change& d = e.diff;
    if (!d.functions_changed.empty()) fn += "~" + list_names(d.functions_changed);
    if (!d.functions_added.empty()) fn += (fn.empty() ? "+" : "; +") + list_names(d.functions_added);
    if (!d.functions_removed.empty()) fn += (fn.empty() ? "-" : "; -") + list_names(d.functions_removed);
    const Component* c = e.component ? &*e.component : nullptr;
    t.add_row({fmt::format("#{} {}", e.build.id, label(e.build)), e.change, c ? c->version : "", c ? c->uuid : "",
               c ? short_hash(c->code_hash) : "", fn});
  }
  return out + t.str();
}

}  // namespace upscope::catalog
