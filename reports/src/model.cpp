#include "reports/model.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "inspect/text.hpp"
#include "reports/json_writer.hpp"
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
  j["facts"] = c.facts;
  Json also = Json::array();
  for (const auto& p : c.also) also.push_back({{"location", to_string(p.location)}, {"path", p.path}, {"sha256", p.sha256}});
  j["also_at"] = std::move(also);
  j["symbol_count"] = c.symbols.size();
  j["function_count"] = c.functions.size();
  return j;
}

Json to_json(const NotAnalysed& n) { return Json{{"path", n.path}, {"reason", n.reason}}; }

Json to_json(const PlacedPath& t) {
  auto opt_str = [](const std::string& s) { return s.empty() ? Json(nullptr) : Json(s); };
  Json j;
  j["path"] = t.path;
  j["action"] = ota::to_string(t.action);
  j["size"] = t.size;
  j["source"] = t.source;
  j["location"] = to_string(t.placement.location);
  j["space"] = to_string(t.placement.space);
  j["kind"] = to_string(t.placement.kind);
  j["rule"] = t.placement.rule;
  j["hash"] = opt_str(t.hash);
  j["output_sha1"] = opt_str(t.output_sha1);
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
  Json classes = Json::array();
  for (ChangeClass k : c.classes) classes.push_back(to_string(k));
  j["classes"] = std::move(classes);
  j["summary"] = change_summary(c);
  Json details = Json::array();
  for (const auto& d : c.details)
    details.push_back({{"class", to_string(d.cls)}, {"what", d.what}, {"change", to_string(d.change)},
                       {"old", d.old_value}, {"new", d.new_value}, {"note", d.note}});
  j["details"] = std::move(details);
  j["symbols_added"] = c.symbols_added;
  j["symbols_removed"] = c.symbols_removed;
  j["functions_added"] = c.functions_added;
  j["functions_removed"] = c.functions_removed;
  j["functions_changed"] = c.functions_changed;
  Json fns = Json::array();
  for (const auto& f : c.functions)
    fns.push_back({{"id", f.id}, {"name", f.name}, {"demangled", f.demangled}, {"change", to_string(f.kind)},
                   {"instructions", f.instructions}, {"changed_instructions", f.changed_instructions},
                   {"calls_added", f.calls_added}, {"calls_removed", f.calls_removed},
                   {"refs_added", f.refs_added}, {"refs_removed", f.refs_removed}});
  j["functions"] = std::move(fns);
  std::vector<std::string> ent_added, ent_removed, ent_changed;
  for (const auto& d : c.details) {
    if (d.cls != ChangeClass::kSignature || d.what.rfind("entitlement ", 0) != 0) continue;
    const std::string key = d.what.substr(12);
    (d.change == ChangeKind::kAdded ? ent_added : d.change == ChangeKind::kRemoved ? ent_removed : ent_changed).push_back(key);
  }
  j["entitlements"] = {{"added", ent_added}, {"removed", ent_removed}, {"changed", ent_changed}};
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
  size_t added = 0, removed = 0, modified = 0, kernel = 0, user = 0, relink = 0;
  std::map<std::string, size_t> classes;
  for (auto k : {ChangeClass::kCode, ChangeClass::kData, ChangeClass::kSignature, ChangeClass::kMetadata,
                 ChangeClass::kRelink, ChangeClass::kContent})
    classes[to_string(k)] = 0;
  for (const auto& c : d.changes) {
    added += c.kind == ChangeKind::kAdded;
    removed += c.kind == ChangeKind::kRemoved;
    modified += c.kind == ChangeKind::kModified;
    kernel += c.space == Space::kKernel;
    user += c.space == Space::kUser;
    relink += c.relink_only();
    for (ChangeClass k : c.classes) ++classes[to_string(k)];
  }
  j["summary"] = {{"added", added}, {"removed", removed}, {"modified", modified}, {"kernel_space", kernel},
                  {"user_space", user}, {"relink_only", relink}, {"classes", classes}};
  if (!d.advisory.empty()) {
    Json adv = Json::array();
    for (const auto& l : d.advisory)
      adv.push_back({{"component", l.component}, {"line", l.line}, {"impact", l.impact}, {"cves", l.cves},
                     {"placement", l.placement}, {"changes", l.changes}, {"change_found", !l.changes.empty()}});
    j["advisory"] = std::move(adv);
  }
  return j;
}

Json to_json(const Verdict& v) {
  return Json{{"rsr_eligible", to_string(v.rsr_eligible)}, {"rule", v.rule}, {"deciding", v.deciding},
              {"evidence", v.evidence}};
}

std::string function_display(const FunctionChange& f) { return f.demangled.empty() ? f.name : f.demangled; }

std::vector<std::string> call_differences(const FunctionChange& f) {
  std::vector<std::string> out;
  auto pair_up = [&](const std::vector<std::string>& added, const std::vector<std::string>& removed, const char* verb) {
    if (added.size() == 1 && removed.size() == 1) {
      out.push_back(fmt::format("{} {} instead of {}", verb, added[0], removed[0]));
      return;
    }
    for (const auto& a : added) out.push_back(fmt::format("now {} {}", verb, a));
    for (const auto& r : removed) out.push_back(fmt::format("no longer {} {}", verb, r));
  };
  pair_up(f.calls_added, f.calls_removed, "calls");
  pair_up(f.refs_added, f.refs_removed, "references");
  return out;
}

std::vector<std::string> change_detail_lines(const Change& c, size_t max_functions) {
  std::vector<std::string> out;
  for (const auto& d : c.details) {
    if (d.cls == ChangeClass::kCode) continue;  // the functions below say it better
    std::string line = fmt::format("{}: {}", to_string(d.cls), d.what);
    if (d.change != ChangeKind::kModified) line += std::string(" ") + to_string(d.change);
    if (!d.note.empty()) line += " (" + d.note + ")";
    else if (d.change == ChangeKind::kModified && d.cls != ChangeClass::kData && d.old_value.size() <= 80 &&
             d.new_value.size() <= 80 && d.old_value.find('\n') == std::string::npos &&
             d.new_value.find('\n') == std::string::npos)
      line += fmt::format(": {} -> {}", d.old_value, d.new_value);
    out.push_back(line);
  }
  size_t shown = 0;
  for (const auto& f : c.functions) {
    if (max_functions && shown == max_functions) {
      out.push_back(fmt::format("... and {} more functions", c.functions.size() - shown));
      break;
    }
    ++shown;
    std::string line = fmt::format("function {}: ", function_display(f));
    if (f.kind == ChangeKind::kModified)
      line += f.changed_instructions ? fmt::format("{} instruction{} changed", f.changed_instructions,
                                                   f.changed_instructions == 1 ? "" : "s")
                                     : std::string("changed");
    else
      line += fmt::format("{} ({} instructions)", to_string(f.kind), f.instructions);
    for (const auto& x : call_differences(f)) line += "; " + x;
    out.push_back(line);
  }
  return out;
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

std::string diff_text(const BuildInventory& a, const BuildInventory& b, const BuildDiff& d, bool all) {
  std::string out = fmt::format("{} -> {}: {} change{}\n", build_label(a), build_label(b), d.changes.size(),
                                d.changes.size() == 1 ? "" : "s");
  size_t folded = 0;
  if (!d.changes.empty()) {
    TextTable t({"CHANGE", "SPACE", "LOCATION", "KIND", "CLASSES", "ID", "EVIDENCE"});
    for (const auto& c : d.changes) {
      if (c.relink_only() && !all) {
        ++folded;
        continue;
      }
      std::string classes;
      for (ChangeClass k : c.classes) classes += (classes.empty() ? "" : ",") + std::string(to_string(k));
      if (classes.empty()) classes = "-";
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
      t.add_row({to_string(c.kind), to_string(c.space), to_string(c.location), to_string(c.component_kind), classes,
                 c.id, ev});
    }
    if (folded < d.changes.size()) out += t.str();
  }
  if (folded)
    out += fmt::format("{} relink-only change{} folded (the same code and data at another layout; --all lists them)\n",
                       folded, folded == 1 ? "" : "s");
  if (!d.advisory.empty()) {
    out += "advisory entries:\n";
    for (const auto& l : d.advisory) {
      std::string cves;
      for (const auto& c : l.cves) cves += (cves.empty() ? "" : " ") + c;
      out += fmt::format("  {} ({}): {}\n", l.component, cves.empty() ? "no CVE named" : cves,
                         l.changes.empty() ? "no change found" : "");
      for (const auto& id : l.changes) {
        auto it = std::find_if(d.changes.begin(), d.changes.end(), [&](const Change& c) { return c.id == id; });
        out += fmt::format("    {}: {}\n", id, it != d.changes.end() ? change_summary(*it) : "");
        if (it == d.changes.end()) continue;
        size_t n = 0;
        for (const auto& f : it->functions) {
          if (++n > 8) break;
          out += fmt::format("      function {}{}\n", function_display(f),
                             f.kind == ChangeKind::kModified ? "" : std::string(" ") + to_string(f.kind));
        }
      }
    }
  }
  // What changed inside each modified component, the few most telling lines each.
  for (const auto& c : d.changes) {
    if (c.kind != ChangeKind::kModified || (c.relink_only() && !all)) continue;
    auto lines = change_detail_lines(c, all ? 0 : 10);
    if (lines.empty()) continue;
    out += fmt::format("{}: {}\n", c.id, change_summary(c));
    for (const auto& l : lines) out += "  " + l + "\n";
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
  for (const auto& e : v.evidence) out += "evidence: " + e + "\n";
  for (const auto& id : v.deciding) {
    auto it = std::find_if(d.changes.begin(), d.changes.end(), [&](const Change& c) { return c.id == id; });
    if (it == d.changes.end()) {
      out += fmt::format("  not analysed: {}\n", id);
      continue;
    }
    out += fmt::format("  {} {} ({} space, {})\n", to_string(it->kind), id, to_string(it->space),
                       to_string(it->location));
    for (const auto& l : change_detail_lines(*it, 5)) out += "      " + l + "\n";
    for (const auto& e : it->evidence) {
      if (e.old_value.empty()) out += fmt::format("      {}: {}\n", e.field, e.new_value);
      else out += fmt::format("      {}: {} -> {}\n", e.field, short_value(e.old_value), short_value(e.new_value));
    }
  }
  return out;
}

Json builds_json(const BuildInventory& old_build, const BuildInventory& new_build) {
  auto side = [](const BuildInventory& inv) {
    return Json{{"source", inv.source}, {"label", build_label(inv)}, {"product", inv.product},
                {"version", inv.version}, {"build", inv.build}, {"version_extra", inv.version_extra},
                {"components", inv.components.size() + inv.omitted_identical}};
  };
  return Json{{"old", side(old_build)}, {"new", side(new_build)}};
}

Json diff_document(const BuildInventory& old_build, const BuildInventory& new_build, const BuildDiff& d) {
  Json doc = make_document("diff");
  doc["builds"] = builds_json(old_build, new_build);
  doc["diff"] = to_json(d);
  return doc;
}

Json verdict_document(const BuildInventory& old_build, const BuildInventory& new_build, const Verdict& v,
                      const BuildDiff& d) {
  Json doc = make_document("verdict");
  doc["builds"] = builds_json(old_build, new_build);
  doc["verdict"] = to_json(v);
  doc["diff"] = to_json(d);
  return doc;
}

std::string inventory_json(const BuildInventory& inv) {
  JsonWriter w;
  w.begin_object();
  w.members(make_document("inventory"));
  w.key("build");
  w.begin_object();
  w.field("source", inv.source);
  w.field("product", inv.product);
  w.field("version", inv.version);
  w.field("build", inv.build);
  w.field("version_extra", inv.version_extra);
  w.field("platform", inv.platform);
  w.field("arch", inv.arch);
  w.key("components");
  w.begin_array();
  for (const auto& c : inv.components) w.value(to_json(c));
  w.end_array();
  w.key("not_analysed");
  w.begin_array();
  for (const auto& n : inv.not_analysed) w.value(to_json(n));
  w.end_array();
  w.end_object();
  w.end_object();
  return w.finish();
}

Json advisory_verdict_document(const std::string& source, const advisory::Advisory& adv, const Verdict& v,
                               const BuildDiff& d) {
  Json doc = make_document("verdict");
  Json entries = Json::array();
  for (const auto& e : adv.entries)
    entries.push_back({{"component", e.component}, {"line", e.line}, {"available_for", e.available_for},
                       {"impact", e.impact}, {"description", e.description}, {"cves", e.cves}});
  doc["advisory"] = {{"source", source}, {"title", adv.title}, {"release", adv.release}, {"entries", entries}};
  doc["verdict"] = to_json(v);
  doc["diff"] = to_json(d);
  return doc;
}

std::string advisory_verdict_text(const std::string& source, const advisory::Advisory& adv, const Verdict& v,
                                  const BuildDiff& d) {
  return fmt::format("advisory {}: {} entr{}\n{}", adv.release.empty() ? source : adv.release, adv.entries.size(),
                     adv.entries.size() == 1 ? "y" : "ies", verdict_text(v, d));
}

}  // namespace upscope::reports
