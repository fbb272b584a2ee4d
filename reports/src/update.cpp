// An update package's verdict and listing documents (reports/update.hpp).
#include "reports/update.hpp"

#include <fmt/format.h>

#include "reports/model.hpp"
#include "reports/text_table.hpp"

namespace upscope::reports {

namespace {

// The builds the package goes from and to, as its metadata names them.
struct Labels {
  std::string version, old_label, new_label;
};

Labels labels(const ota::Metadata& m) {
  Labels l;
  l.version = m.product_version.empty() ? m.os_version : m.product_version;
  l.new_label = fmt::format("{}{} ({})", l.version, m.product_version_extra.empty() ? "" : " " + m.product_version_extra,
                            m.build);
  l.old_label = m.prerequisite_build.empty()           ? "any build (no prerequisite)"
                : m.prerequisite_os_version.empty() ? m.prerequisite_build
                                                    : fmt::format("{} ({})", m.prerequisite_os_version, m.prerequisite_build);
  return l;
}

}  // namespace

Json update_verdict_document(const std::string& source, const ota::Package& p, const std::vector<PlacedPath>& touched,
                             const Verdict& v, const BuildDiff& d) {
  const ota::Metadata& m = p.metadata;
  const Labels l = labels(m);
  Json doc = make_document("verdict");
  doc["builds"] = {{"old", {{"source", source}, {"label", l.old_label}, {"product", ""}, {"version", m.prerequisite_os_version},
                            {"build", m.prerequisite_build}, {"version_extra", ""}, {"components", 0}}},
                   {"new", {{"source", source}, {"label", l.new_label}, {"product", ""}, {"version", l.version},
                            {"build", m.build}, {"version_extra", m.product_version_extra}, {"components", touched.size()}}}};
  doc["verdict"] = to_json(v);
  doc["diff"] = to_json(d);
  Json u;
  u["kind"] = ota::to_string(p.kind);
  u["reasons"] = p.reasons;
  Json t = Json::array();
  for (const auto& x : touched) t.push_back(to_json(x));
  u["touched"] = std::move(t);
  doc["update"] = std::move(u);
  return doc;
}

std::string update_verdict_text(const std::string& source, const ota::Package& p, const Verdict& v, const BuildDiff& d) {
  const Labels l = labels(p.metadata);
  return fmt::format("update package {} ({}): {} -> {}\n{}", source, ota::to_string(p.kind), l.old_label, l.new_label,
                     verdict_text(v, d));
}

Json update_ls_document(const std::string& source, const ota::Package& p, const std::vector<const PlacedPath*>& rows,
                        std::optional<HashKind> hash) {
  Json doc = make_document("update-ls");
  doc["source"] = source;
  doc["kind"] = ota::to_string(p.kind);
  doc["hash"] = hash ? Json(to_string(*hash)) : Json(nullptr);
  Json files = Json::array();
  for (const auto* t : rows) files.push_back(to_json(*t));
  doc["files"] = std::move(files);
  Json na = Json::array();
  for (const auto& n : p.not_analysed) na.push_back(to_json(n));
  doc["not_analysed"] = std::move(na);
  doc["diagnostics"] = to_json(p.diagnostics);
  return doc;
}

std::string update_ls_text(const ota::Package& p, const std::vector<const PlacedPath*>& rows, std::optional<HashKind> hash) {
  std::vector<std::string> head{"ACTION", "SIZE", "LOCATION", "SPACE", "PATH", "SOURCE"};
  if (hash) head.push_back(to_string(*hash));
  using A = TextTable::Align;
  TextTable table(head, {A::kLeft, A::kRight, A::kLeft, A::kLeft, A::kLeft, A::kLeft, A::kLeft});
  for (const auto* t : rows) {
    std::vector<std::string> cells{ota::to_string(t->action), std::to_string(t->size), to_string(t->placement.location),
                                   to_string(t->placement.space), t->path, t->source};
    if (hash) {
      std::string h = t->hash;
      if (h.empty() && *hash == HashKind::kSha1) h = t->output_sha1;  // a BXDIFF50 patch declares its output's SHA-1
      cells.push_back(h.empty() ? "-" : h);
    }
    table.add_row(std::move(cells));
  }
  std::string text = table.str();
  for (const auto& n : p.not_analysed) text += fmt::format("not analysed: {}: {}\n", n.path, n.reason);
  return text;
}

}  // namespace upscope::reports
