#include "reports/model.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "inspect/text.hpp"
#include "reports/text_table.hpp"

namespace upscope::reports {

Json to_json(const Component& c) {
  Json j;
  j["id"] = c.id;
  j["kind"] = to_string(c.kind);
  j["space"] = to_string(c.space);
  j["location"] = to_string(c.location);
  j["path"] = c.path;
  j["version"] = c.version;
  j["uuid"] = c.uuid;
  j["size"] = c.size;
  j["hashes"] = c.hashes;
  j["code_hash"] = c.code_hash;
  j["symbol_count"] = c.symbols.size();
  j["function_count"] = c.functions.size();
  return j;
}

Json to_json(const NotAnalysed& n) { return Json{{"path", n.path}, {"reason", n.reason}}; }

Json to_json(const BuildInventory& inv) {
  Json j;
  j["source"] = inv.source;
  j["product"] = inv.product;
  j["version"] = inv.version;
  j["build"] = inv.build;
  j["version_extra"] = inv.version_extra;
  j["platform"] = inv.platform;
  j["arch"] = inv.arch;
  Json cs = Json::array();
  for (const auto& c : inv.components) cs.push_back(to_json(c));
  j["components"] = std::move(cs);
  Json na = Json::array();
  for (const auto& n : inv.not_analysed) na.push_back(to_json(n));
  j["not_analysed"] = std::move(na);
  return j;
}

Json to_json(const Change& c) {
  Json j;
  j["id"] = c.id;
  j["change"] = to_string(c.kind);
  j["kind"] = to_string(c.component_kind);
  j["space"] = to_string(c.space);
  j["location"] = to_string(c.location);
  Json ev = Json::array();
  for (const auto& e : c.evidence) ev.push_back({{"field", e.field}, {"old", e.old_value}, {"new", e.new_value}});
  j["evidence"] = std::move(ev);
  j["symbols_added"] = c.symbols_added;
  j["symbols_removed"] = c.symbols_removed;
  j["functions_added"] = c.functions_added;
  j["functions_removed"] = c.functions_removed;
  j["functions_changed"] = c.functions_changed;
  return j;
}

Json to_json(const BuildDiff& d) {
  Json j;
  Json cs = Json::array();
  for (const auto& c : d.changes) cs.push_back(to_json(c));
  j["changes"] = std::move(cs);
  Json na = Json::array();
  for (const auto& n : d.not_analysed) na.push_back(to_json(n));
  j["not_analysed"] = std::move(na);
  size_t added = 0, removed = 0, modified = 0, kernel = 0, user = 0;
  for (const auto& c : d.changes) {
    added += c.kind == ChangeKind::kAdded;
    removed += c.kind == ChangeKind::kRemoved;
    modified += c.kind == ChangeKind::kModified;
    kernel += c.space == Space::kKernel;
    user += c.space == Space::kUser;
  }
  j["summary"] = {{"added", added}, {"removed", removed}, {"modified", modified}, {"kernel_space", kernel},
                  {"user_space", user}};
  return j;
}

Json to_json(const Verdict& v) {
  return Json{{"rsr_eligible", to_string(v.rsr_eligible)}, {"rule", v.rule}, {"deciding", v.deciding}};
}

std::string build_label(const BuildInventory& inv) {
  if (inv.version.empty()) return inv.source;
  std::string s = inv.product.empty() ? inv.version : inv.product + " " + inv.version;
  if (!inv.version_extra.empty()) s += " " + inv.version_extra;
  if (!inv.build.empty()) s += " (" + inv.build + ")";
  return s;
}

std::string inventory_text(const BuildInventory& inv) {
  std::string out = fmt::format("{}: {} components, {} not analysed\n", build_label(inv), inv.components.size(),
                                inv.not_analysed.size());
  TextTable t({"ID", "KIND", "SPACE", "LOCATION", "VERSION", "UUID", "SIZE"},
              {TextTable::Align::kLeft, TextTable::Align::kLeft, TextTable::Align::kLeft, TextTable::Align::kLeft,
               TextTable::Align::kLeft, TextTable::Align::kLeft, TextTable::Align::kRight});
  for (const auto& c : inv.components)
    t.add_row({c.id, to_string(c.kind), to_string(c.space), to_string(c.location), c.version, c.uuid,
               std::to_string(c.size)});
  out += t.str();
  for (const auto& n : inv.not_analysed) out += fmt::format("not analysed: {}: {}\n", n.path, n.reason);
  return out;
}

namespace {
std::string short_value(const std::string& v) { return v.size() > 16 ? v.substr(0, 12) + "…" : v; }
}  // namespace

std::string diff_text(const BuildInventory& a, const BuildInventory& b, const BuildDiff& d) {
  std::string out = fmt::format("{} -> {}: {} change{}\n", build_label(a), build_label(b), d.changes.size(),
                                d.changes.size() == 1 ? "" : "s");
  if (!d.changes.empty()) {
    TextTable t({"CHANGE", "SPACE", "LOCATION", "KIND", "ID", "EVIDENCE"});
    for (const auto& c : d.changes) {
      std::string ev;
      for (const auto& e : c.evidence) {
        if (!ev.empty()) ev += ", ";
        ev += e.field + " " + short_value(e.old_value) + " -> " + short_value(e.new_value);
      }
      if (!c.symbols_added.empty() || !c.symbols_removed.empty())
        ev += fmt::format("{}symbols +{} -{}", ev.empty() ? "" : ", ", c.symbols_added.size(), c.symbols_removed.size());
      if (!c.functions_changed.empty() || !c.functions_added.empty() || !c.functions_removed.empty())
        ev += fmt::format("{}functions ~{} +{} -{}", ev.empty() ? "" : ", ", c.functions_changed.size(),
                          c.functions_added.size(), c.functions_removed.size());
      t.add_row({to_string(c.kind), to_string(c.space), to_string(c.location), to_string(c.component_kind), c.id, ev});
    }
    out += t.str();
  }
  for (const auto& n : d.not_analysed) out += fmt::format("not analysed: {}: {}\n", n.path, n.reason);
  return out;
}

namespace {

// "not eligible: kernel-space change in kernel, com.apple.iokit.IOSurfaceAccelerator"
std::string verdict_headline(const Verdict& v, const BuildDiff& d) {
  auto list = [&](size_t max) {
    std::string ids;
    for (size_t i = 0; i < v.deciding.size() && i < max; ++i) ids += (i ? ", " : "") + v.deciding[i];
    if (v.deciding.size() > max) ids += fmt::format(" and {} more", v.deciding.size() - max);
    return ids;
  };
  const Change* first = nullptr;
  if (!v.deciding.empty())
    for (const auto& c : d.changes)
      if (c.id == v.deciding.front()) first = &c;
  switch (v.rsr_eligible) {
    case Eligibility::kYes:
      return fmt::format("eligible: every change is in the OS or App cryptex ({})", list(5));
    case Eligibility::kUndetermined:
      return fmt::format("undetermined: not analysed or not placed: {}", list(5));
    case Eligibility::kNo:
      if (!first) return "not eligible: nothing changed";
      if (first->space == Space::kKernel) return "not eligible: kernel-space change in " + list(5);
      if (first->space == Space::kBoot) return "not eligible: bootchain/firmware change in " + list(5);
      if (first->location == Location::kSystemVolume) return "not eligible: change on the sealed system volume in " + list(5);
      return "not eligible: change outside the cryptexes in " + list(5);
  }
  return "";
}

}  // namespace

std::string verdict_text(const Verdict& v, const BuildDiff& d) {
  std::string out = verdict_headline(v, d) + "\n";
  out += fmt::format("RSR-eligible: {}\nrule: {}\n", to_string(v.rsr_eligible), v.rule);
  for (const auto& id : v.deciding) {
    auto it = std::find_if(d.changes.begin(), d.changes.end(), [&](const Change& c) { return c.id == id; });
    if (it == d.changes.end()) {
      out += fmt::format("  not analysed: {}\n", id);
      continue;
    }
    out += fmt::format("  {} {} ({} space, {})\n", to_string(it->kind), id, to_string(it->space),
                       to_string(it->location));
    for (const auto& e : it->evidence) {
      if (e.old_value.empty()) out += fmt::format("      {}: {}\n", e.field, e.new_value);
      else out += fmt::format("      {}: {} -> {}\n", e.field, short_value(e.old_value), short_value(e.new_value));
    }
  }
  return out;
}

}  // namespace upscope::reports
