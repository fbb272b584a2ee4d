#include "advisory/advisory.hpp"

#include <algorithm>
#include <cctype>
#include <set>

#include <fmt/format.h>

namespace upscope::advisory {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool starts_with_field(std::string_view line, std::string_view field, std::string_view* rest) {
  if (line.substr(0, field.size()) != field) return false;
  if (rest) *rest = trim(line.substr(field.size()));
  return true;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Every "CVE-YYYY-NNNN" (4 to 7 digits after the year; longer runs are cut at 7) in a line, left to
// right, in one pass.
std::vector<std::string_view> find_cves(std::string_view line) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while ((pos = line.find("CVE-", pos)) != std::string_view::npos) {
    size_t k = pos + 4, year = 0, num = 0;
    while (year < 4 && k < line.size() && is_digit(line[k])) ++year, ++k;
    if (year == 4 && k < line.size() && line[k] == '-') {
      ++k;
      while (num < 7 && k < line.size() && is_digit(line[k])) ++num, ++k;
      if (num >= 4) {
        out.push_back(line.substr(pos, k - pos));
        pos = k;
        continue;
      }
    }
    ++pos;
  }
  return out;
}

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    lines.push_back(trim(text.substr(pos, nl - pos)));
    pos = nl + 1;
  }
  return lines;
}

}  // namespace

Result<Advisory> parse(std::string_view text, const std::string& name) {
  Advisory a;
  auto lines = split_lines(text);
  constexpr std::string_view kAbout = "About the security content of ";
  for (auto l : lines) {
    if (l.empty()) continue;
    if (l.substr(0, kAbout.size()) == kAbout) {
      a.title = std::string(l);
      a.release = std::string(trim(l.substr(kAbout.size())));
    }
    break;
  }
  Entry* cur = nullptr;
  std::set<std::string> cur_cves;  // the current entry's, for de-duplication
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string_view rest;
    // An entry starts at a name line whose next non-empty line is "Available for:". Only a non-empty
    // line looks ahead, so each run of empty lines is scanned once (linear in the input).
    if (!lines[i].empty() && !starts_with_field(lines[i], "Available for:", nullptr)) {
      size_t j = i + 1;
      while (j < lines.size() && lines[j].empty()) ++j;
      if (j < lines.size() && starts_with_field(lines[j], "Available for:", nullptr)) {
        a.entries.push_back(Entry{std::string(lines[i]), i + 1, {}, {}, {}, {}});
        cur = &a.entries.back();
        cur_cves.clear();
        continue;
      }
    }
    if (!cur) continue;
    if (starts_with_field(lines[i], "Available for:", &rest)) cur->available_for = std::string(rest);
    else if (starts_with_field(lines[i], "Impact:", &rest)) cur->impact = std::string(rest);
    else if (starts_with_field(lines[i], "Description:", &rest)) cur->description = std::string(rest);
    for (auto cve : find_cves(lines[i]))
      if (cur_cves.insert(std::string(cve)).second) cur->cves.emplace_back(cve);
  }
  if (a.entries.empty()) {
    Error e = make_error(ErrorCode::kMalformed, "security advisory",
                         "no entry found: an entry is a component name followed by an \"Available for:\" line");
    e.file = name;
    return fail(e);
  }
  return a;
}

bool impact_says_kernel(std::string_view impact) {
  std::string s(impact);
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s.find("kernel privileges") != std::string::npos || s.find("kernel memory") != std::string::npos ||
         s.find("in the kernel") != std::string::npos;
}

BuildDiff to_changes(const Advisory& a) {
  BuildDiff d;
  for (const auto& e : a.entries) {
    Change c;
    c.id = e.component;
    c.kind = ChangeKind::kModified;
    const ComponentRow* row = find_component(e.component);
    std::string cves;
    for (const auto& v : e.cves) cves += (cves.empty() ? "" : " ") + v;
    c.evidence.push_back({"advisory", "", fmt::format("line {}: {}", e.line, cves.empty() ? "no CVE named" : cves)});
    if (!e.impact.empty()) c.evidence.push_back({"impact", "", e.impact});
    if (impact_says_kernel(e.impact)) {
      c.space = Space::kKernel;
      c.component_kind = row && row->kind == ComponentKind::kKext ? ComponentKind::kKext : ComponentKind::kKernel;
      c.location = row ? row->location : Location::kUnknown;
      c.evidence.push_back({"placement", "", "Impact names kernel privileges"});
    } else if (row) {
      c.space = row->space;
      c.location = row->location;
      c.component_kind = row->kind;
      c.evidence.push_back({"placement", "", row->why});
    } else {
      d.not_analysed.push_back({e.component, "component not in upscope's advisory table (see 'upscope verdict "
                                             "--list-components'): its location is unknown"});
      continue;
    }
    // Several entries for one component (three WebKit CVEs) are one change with all the evidence.
    auto same = std::find_if(d.changes.begin(), d.changes.end(), [&](const Change& x) { return x.id == c.id; });
    if (same == d.changes.end()) {
      d.changes.push_back(std::move(c));
    } else {
      if (c.space == Space::kKernel) {
        same->space = c.space;
        same->component_kind = c.component_kind;
      }
      for (auto& ev : c.evidence) same->evidence.push_back(std::move(ev));
    }
  }
  std::sort(d.changes.begin(), d.changes.end(), [](const Change& x, const Change& y) { return x.id < y.id; });
  return d;
}

std::optional<Identification> probe(const ProbeInput& in) {
  // Plain text (no NUL in the head) with both an "Available for:" and an "Impact:" line start.
  Bytes bytes = in.head.data();
  if (bytes.empty() || std::find(bytes.begin(), bytes.end(), uint8_t{0}) != bytes.end()) return std::nullopt;
  std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  auto at_line_start = [&](std::string_view what) {
    for (size_t p = text.find(what); p != std::string_view::npos; p = text.find(what, p + 1)) {
      size_t q = p;
      while (q > 0 && (text[q - 1] == ' ' || text[q - 1] == '\t')) --q;
      if (q == 0 || text[q - 1] == '\n') return true;
    }
    return false;
  };
  if (!at_line_start("Available for:") || !at_line_start("Impact:")) return std::nullopt;
  Identification id;
  id.format = "advisory";
  id.description = "security advisory text (Apple \"About the security content of ...\")";
  return id;
}

}  // namespace upscope::advisory
