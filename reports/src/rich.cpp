#include "reports/rich.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "inspect/version.hpp"
#include "reports/model.hpp"

namespace upscope::reports {

namespace {

// Locations in the order a reader cares about: what an RSR cannot touch first.
constexpr Location kLocationOrder[] = {Location::kBootKc,       Location::kSystemKc,  Location::kAuxKc,
                                       Location::kKernelcache,  Location::kPreboot,   Location::kSystemVolume,
                                       Location::kCryptexOs,    Location::kCryptexApp, Location::kDataVolume,
                                       Location::kUnknown};

template <class T, class LocOf>
std::map<int, std::vector<const T*>> group_by_location(const std::vector<T>& items, LocOf loc_of) {
  std::map<int, std::vector<const T*>> out;
  for (const auto& it : items) {
    int rank = 0;
    for (Location l : kLocationOrder) {
      if (l == loc_of(it)) break;
      ++rank;
    }
    out[rank].push_back(&it);
  }
  return out;
}

std::string md_escape(std::string_view s) {
  std::string o;
  for (char c : s) {
    if (c == '|' || c == '*' || c == '_' || c == '`' || c == '<' || c == '>' || c == '[' || c == ']') o += '\\';
    if (c == '\n') {
      o += ' ';
      continue;
    }
    o += c;
  }
  return o;
}

std::string short_hash(const std::string& v) { return v.size() > 16 ? v.substr(0, 12) + "…" : v; }

std::string evidence_line(const Change& c) {
  std::string ev = c.kind == ChangeKind::kModified ? change_summary(c) : std::string();
  for (const auto& e : c.evidence) {
    if (!ev.empty()) ev += "; ";
    if (e.old_value.empty()) ev += e.field + ": " + e.new_value;
    else ev += e.field + " " + short_hash(e.old_value) + " → " + short_hash(e.new_value);
  }
  return ev;
}

const char* verdict_word(Eligibility e) {
  switch (e) {
    case Eligibility::kYes: return "eligible";
    case Eligibility::kNo: return "not eligible";
    case Eligibility::kUndetermined: return "undetermined";
  }
  return "?";
}

size_t count_space(const BuildDiff& d, Space s) {
  size_t n = 0;
  for (const auto& c : d.changes) n += c.space == s;
  return n;
}

// What is behind a change, as (heading, lines) pairs: class details and functions (with their
// instruction counts and call differences), then symbols.
std::vector<std::pair<std::string, std::vector<std::string>>> drilldown(const Change& c) {
  std::vector<std::pair<std::string, std::vector<std::string>>> out;
  if (c.kind == ChangeKind::kModified) {
    auto lines = change_detail_lines(c);
    if (!lines.empty()) out.emplace_back(fmt::format("what changed ({})", lines.size()), std::move(lines));
  }
  auto add = [&](const char* h, const std::vector<std::string>& v) {
    if (!v.empty()) out.emplace_back(fmt::format("{} ({})", h, v.size()), v);
  };
  if (c.functions.empty()) {
    add("functions changed", c.functions_changed);
    add("functions added", c.functions_added);
    add("functions removed", c.functions_removed);
  }
  add("symbols added", c.symbols_added);
  add("symbols removed", c.symbols_removed);
  return out;
}

std::string classes_of(const Change& c) {
  std::string s;
  for (ChangeClass k : c.classes) s += (s.empty() ? "" : ", ") + std::string(to_string(k));
  return s.empty() ? "-" : s;
}

}  // namespace

std::string to_markdown(const RichReport& r) {
  std::string o = fmt::format("# {}\n\n", md_escape(r.title));
  if (!r.subtitle.empty()) o += md_escape(r.subtitle) + "\n\n";
  if (r.verdict) {
    o += fmt::format("**RSR verdict: {}** ({})\n\n", verdict_word(r.verdict->rsr_eligible),
                     to_string(r.verdict->rsr_eligible));
    o += fmt::format("Rule: {}\n\n", md_escape(r.verdict->rule));
    if (!r.verdict->evidence.empty()) {
      o += "Evidence:\n\n";
      for (const auto& e : r.verdict->evidence) o += fmt::format("- {}\n", md_escape(e));
      o += "\n";
    } else if (!r.verdict->deciding.empty()) {
      o += "Deciding:\n\n";
      for (const auto& id : r.verdict->deciding) o += fmt::format("- `{}`\n", id);
      o += "\n";
    }
  }
  if (r.diff) {
    const auto& d = *r.diff;
    o += fmt::format("## Changes: {} ({} kernel space, {} user space)\n\n", d.changes.size(),
                     count_space(d, Space::kKernel), count_space(d, Space::kUser));
    for (const auto& [rank, items] : group_by_location(d.changes, [](const Change& c) { return c.location; })) {
      o += fmt::format("### {}\n\n| change | space | kind | classes | component | evidence |\n|---|---|---|---|---|---|\n",
                       to_string(kLocationOrder[rank]));
      size_t folded = 0;
      for (const Change* c : items) {
        if (c->relink_only()) {
          ++folded;
          continue;
        }
        o += fmt::format("| {} | {} | {} | {} | `{}` | {} |\n", to_string(c->kind),
                         c->space == Space::kKernel ? "**kernel**" : to_string(c->space),
                         to_string(c->component_kind), classes_of(*c), c->id, md_escape(evidence_line(*c)));
      }
      o += "\n";
      if (folded) {
        o += fmt::format("<details><summary>{} relink-only change{} (layout noise)</summary>\n\n", folded,
                         folded == 1 ? "" : "s");
        for (const Change* c : items)
          if (c->relink_only()) o += fmt::format("- `{}` ({} space): {}\n", c->id, to_string(c->space), md_escape(evidence_line(*c)));
        o += "\n</details>\n\n";
      }
      for (const Change* c : items) {
        auto dd = drilldown(*c);
        if (dd.empty() || c->relink_only()) continue;
        o += fmt::format("<details><summary><code>{}</code></summary>\n\n", html_escape(c->id));
        for (const auto& [h, lines] : dd) {
          o += fmt::format("- {}:\n", h);
          for (const auto& n : lines) o += fmt::format("  - `{}`\n", n);
        }
        o += "\n</details>\n\n";
      }
    }
    if (!d.advisory.empty()) {
      o += "## Advisory entries\n\n| component | CVEs | placement | changes found |\n|---|---|---|---|\n";
      for (const auto& l : d.advisory) {
        std::string cves, changes;
        for (const auto& c : l.cves) cves += (cves.empty() ? "" : " ") + c;
        for (const auto& id : l.changes) {
          auto it = std::find_if(d.changes.begin(), d.changes.end(), [&](const Change& c) { return c.id == id; });
          changes += fmt::format("{}`{}`{}", changes.empty() ? "" : "<br>", id,
                                 it != d.changes.end() ? ": " + md_escape(change_summary(*it)) : "");
        }
        o += fmt::format("| {} | {} | {} | {} |\n", md_escape(l.component), cves, md_escape(l.placement),
                         changes.empty() ? "no change found" : changes);
      }
      o += "\n";
    }
    if (!d.not_analysed.empty()) {
      o += "## Not analysed\n\n";
      for (const auto& n : d.not_analysed) o += fmt::format("- `{}`: {}\n", n.path, md_escape(n.reason));
      o += "\n";
    }
  }
  if (r.inventory) {
    const auto& inv = *r.inventory;
    o += fmt::format("## Components: {}\n\n", inv.components.size());
    for (const auto& [rank, items] :
         group_by_location(inv.components, [](const Component& c) { return c.location; })) {
      o += fmt::format("### {}\n\n| component | kind | space | version | UUID | size |\n|---|---|---|---|---|---|\n",
                       to_string(kLocationOrder[rank]));
      for (const Component* c : items)
        o += fmt::format("| `{}` | {} | {} | {} | {} | {} |\n", c->id, to_string(c->kind),
                         c->space == Space::kKernel ? "**kernel**" : to_string(c->space), md_escape(c->version),
                         c->uuid, c->size);
      o += "\n";
    }
    if (!inv.not_analysed.empty()) {
      o += "## Not analysed\n\n";
      for (const auto& n : inv.not_analysed) o += fmt::format("- `{}`: {}\n", n.path, md_escape(n.reason));
      o += "\n";
    }
  }
  o += fmt::format("---\nupscope {}\n", version());
  return o;
}

std::string html_escape(std::string_view s) {
  std::string o;
  o.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      case '\'': o += "&#39;"; break;
      default: o += c;
    }
  }
  return o;
}

namespace {

constexpr const char* kCss = R"(
body{font:14px/1.45 -apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:2em auto;max-width:72em;color:#1d1d1f;padding:0 1em}
h1{font-size:1.6em;margin-bottom:.2em} h2{margin-top:1.6em;border-bottom:1px solid #ddd} h3{margin:1.2em 0 .4em}
.sub{color:#555}
.verdict{padding:1em 1.2em;border-radius:8px;margin:1em 0;font-size:1.1em}
.v-yes{background:#e3f6e8;border:2px solid #2e8b57} .v-no{background:#fde8e8;border:2px solid #c0392b}
.v-undetermined{background:#fff4dc;border:2px solid #d48a00}
.verdict b{font-size:1.25em}
table{border-collapse:collapse;width:100%;margin:.4em 0 1em} th,td{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f5f5f7} td.num{text-align:right} code{font:12px ui-monospace,Menlo,Consolas,monospace}
.sp{display:inline-block;padding:1px 7px;border-radius:10px;font-size:12px;font-weight:600}
.sp-kernel{background:#c0392b;color:#fff} .sp-user{background:#2e86de;color:#fff} .sp-boot{background:#8e44ad;color:#fff}
.sp-data{background:#95a5a6;color:#fff}
details{margin:.2em 0} summary{cursor:pointer} ul.names{columns:2;margin:.3em 0 .6em}
footer{margin-top:2em;color:#888;font-size:12px}
)";

std::string space_badge(Space s) {
  return fmt::format("<span class=\"sp sp-{0}\">{0}</span>", to_string(s));
}

std::string page(const std::string& title, const std::string& body) {
  return fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n"
      "<style>{}</style></head>\n<body>\n{}<footer>upscope {}</footer>\n</body></html>\n",
      html_escape(title), kCss, body, html_escape(version()));
}

}  // namespace

std::string to_html(const RichReport& r) {
  std::string b = fmt::format("<h1>{}</h1>\n", html_escape(r.title));
  if (!r.subtitle.empty()) b += fmt::format("<p class=\"sub\">{}</p>\n", html_escape(r.subtitle));
  if (r.verdict) {
    const auto& v = *r.verdict;
    b += fmt::format("<div class=\"verdict v-{}\" id=\"verdict\"><b>RSR verdict: {}</b><br>Rule: {}", to_string(v.rsr_eligible),
                     verdict_word(v.rsr_eligible), html_escape(v.rule));
    if (!v.evidence.empty()) {
      b += "<ul class=\"evidence\">";
      for (const auto& e : v.evidence) b += fmt::format("<li>{}</li>", html_escape(e));
      b += "</ul>";
    } else if (!v.deciding.empty()) {
      b += "<br>Deciding:";
      for (const auto& id : v.deciding) b += fmt::format(" <code>{}</code>", html_escape(id));
    }
    b += "</div>\n";
  }
  if (r.diff) {
    const auto& d = *r.diff;
    b += fmt::format("<h2>Changes: {} ({} kernel space, {} user space)</h2>\n", d.changes.size(),
                     count_space(d, Space::kKernel), count_space(d, Space::kUser));
    for (const auto& [rank, items] : group_by_location(d.changes, [](const Change& c) { return c.location; })) {
      b += fmt::format("<h3 id=\"loc-{0}\">{0}</h3>\n<table><tr><th>change</th><th>space</th><th>kind</th>"
                       "<th>classes</th><th>component</th><th>evidence</th></tr>\n",
                       to_string(kLocationOrder[rank]));
      auto row = [&](const Change* c) {
        std::string detail;
        for (const auto& [h, lines] : drilldown(*c)) {
          detail += fmt::format("<details><summary>{}</summary><ul class=\"names\">", html_escape(h));
          for (const auto& n : lines) detail += fmt::format("<li><code>{}</code></li>", html_escape(n));
          detail += "</ul></details>";
        }
        return fmt::format("<tr class=\"change\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code>{}</td><td>{}</td></tr>\n",
                           to_string(c->kind), space_badge(c->space), to_string(c->component_kind),
                           html_escape(classes_of(*c)), html_escape(c->id), detail, html_escape(evidence_line(*c)));
      };
      size_t folded = 0;
      for (const Change* c : items) {
        if (c->relink_only()) ++folded;
        else b += row(c);
      }
      b += "</table>\n";
      if (folded) {
        b += fmt::format("<details class=\"relink\"><summary>{} relink-only change{} (the same code and data at another "
                         "layout)</summary>\n<table>\n", folded, folded == 1 ? "" : "s");
        for (const Change* c : items)
          if (c->relink_only()) b += row(c);
        b += "</table></details>\n";
      }
    }
    if (!d.advisory.empty()) {
      b += "<h2 id=\"advisory\">Advisory entries</h2>\n<table><tr><th>component</th><th>CVEs</th><th>placement</th>"
           "<th>changes found</th></tr>\n";
      for (const auto& l : d.advisory) {
        std::string cves, changes;
        for (const auto& c : l.cves) cves += (cves.empty() ? "" : " ") + html_escape(c);
        for (const auto& id : l.changes) {
          auto it = std::find_if(d.changes.begin(), d.changes.end(), [&](const Change& c) { return c.id == id; });
          changes += fmt::format("<div><code>{}</code>{}", html_escape(id),
                                 it != d.changes.end() ? ": " + html_escape(change_summary(*it)) : "");
          if (it != d.changes.end() && !it->functions.empty()) {
            changes += "<ul class=\"names\">";
            for (const auto& f : it->functions)
              changes += fmt::format("<li><code>{}</code> {}</li>", html_escape(function_display(f)), to_string(f.kind));
            changes += "</ul>";
          }
          changes += "</div>";
        }
        b += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n", html_escape(l.component), cves,
                         html_escape(l.placement), changes.empty() ? "no change found" : changes);
      }
      b += "</table>\n";
    }
    if (!d.not_analysed.empty()) {
      b += "<h2>Not analysed</h2>\n<ul>\n";
      for (const auto& n : d.not_analysed)
        b += fmt::format("<li><code>{}</code>: {}</li>\n", html_escape(n.path), html_escape(n.reason));
      b += "</ul>\n";
    }
  }
  if (r.inventory) {
    const auto& inv = *r.inventory;
    b += fmt::format("<h2>Components: {}</h2>\n", inv.components.size());
    for (const auto& [rank, items] :
         group_by_location(inv.components, [](const Component& c) { return c.location; })) {
      b += fmt::format("<details open><summary><b>{}</b> ({})</summary>\n<table><tr><th>component</th><th>kind</th>"
                       "<th>space</th><th>version</th><th>UUID</th><th>size</th></tr>\n",
                       to_string(kLocationOrder[rank]), items.size());
      for (const Component* c : items)
        b += fmt::format("<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td>"
                         "<td class=\"num\">{}</td></tr>\n",
                         html_escape(c->id), to_string(c->kind), space_badge(c->space), html_escape(c->version),
                         html_escape(c->uuid), c->size);
      b += "</table></details>\n";
    }
    if (!inv.not_analysed.empty()) {
      b += "<h2>Not analysed</h2>\n<ul>\n";
      for (const auto& n : inv.not_analysed)
        b += fmt::format("<li><code>{}</code>: {}</li>\n", html_escape(n.path), html_escape(n.reason));
      b += "</ul>\n";
    }
  }
  return page(r.title, b);
}

std::string wrap_text_markdown(std::string_view text) { return fmt::format("```\n{}```\n", text); }

std::string wrap_text_html(std::string_view title, std::string_view text) {
  return page(std::string(title), fmt::format("<h1>{}</h1>\n<pre>{}</pre>\n", html_escape(title), html_escape(text)));
}

}  // namespace upscope::reports
