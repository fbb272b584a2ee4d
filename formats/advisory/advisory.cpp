#include "advisory/advisory.hpp"
#include "inspect/text.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <set>

#include <fmt/format.h>

namespace upscope::advisory {

namespace {

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

// "Available for:" and Apple's longer "Available for devices with Apple Neural Engine: ..."
bool available_for(std::string_view line, std::string_view* rest) {
  constexpr std::string_view kField = "Available for";
  if (!line.starts_with(kField)) return false;
  const std::string_view after = line.substr(kField.size());
  if (after.starts_with(":")) {
    if (rest) *rest = trim(after.substr(1));
    return true;
  }
  const size_t colon = after.find(':');
  if (!after.starts_with(" ") || colon == std::string_view::npos) return false;
  if (rest) *rest = trim(line);  // the condition is part of the answer: keep the whole line
  return true;
}

constexpr std::string_view kMonths[] = {"January", "February", "March",     "April",   "May",      "June",
                                        "July",    "August",   "September", "October", "November", "December"};

// "Released July 10, 2023" -> "July 10, 2023"
std::optional<std::string_view> released_date(std::string_view line) {
  constexpr std::string_view kReleased = "Released ";
  if (!line.starts_with(kReleased)) return std::nullopt;
  const std::string_view date = trim(line.substr(kReleased.size()));
  for (auto m : kMonths)
    if (date.starts_with(m)) return date;
  return std::nullopt;
}

std::vector<SourceLine> source_lines(std::string_view text, Syntax syntax, FrontMatter& fm) {
  switch (syntax) {
    case Syntax::kHtml: return html_lines(text);
    case Syntax::kMarkdown: return markdown_lines(text, fm);
    case Syntax::kText: break;
  }
  return text_lines(text);
}

}  // namespace

Result<Advisory> parse(std::string_view text, const std::string& name) {
  Advisory a;
  a.syntax = detect_syntax(text);
  FrontMatter fm;
  const std::vector<SourceLine> lines = source_lines(text, a.syntax, fm);
  a.url = fm.url;
  constexpr std::string_view kAbout = "About the security content of ";
  for (const auto& l : lines) {
    if (a.title.empty() && l.text.starts_with(kAbout)) {
      a.title = l.text;
      a.release = std::string(trim(std::string_view(l.text).substr(kAbout.size())));
    }
    if (a.released.empty())
      if (auto d = released_date(l.text)) a.released = std::string(*d);
    if (!a.title.empty() && !a.released.empty()) break;
  }
  if (a.release.empty()) a.release = fm.title;
  Entry* cur = nullptr;
  std::set<std::string> cur_cves;  // the current entry's, for de-duplication
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string_view line = lines[i].text;
    std::string_view rest;
    // An entry starts at a name line whose next non-empty line is "Available for:". Only a non-empty
    // line looks ahead, so each run of empty lines is scanned once (linear in the input).
    if (!line.empty() && !available_for(line, nullptr)) {
      size_t j = i + 1;
      while (j < lines.size() && lines[j].text.empty()) ++j;
      if (j < lines.size() && available_for(lines[j].text, nullptr)) {
        a.entries.push_back(Entry{std::string(line), lines[i].line, {}, {}, {}, {}});
        cur = &a.entries.back();
        cur_cves.clear();
        continue;
      }
    }
    if (!cur) continue;
    if (available_for(line, &rest)) cur->available_for = std::string(rest);
    else if (starts_with_field(line, "Impact:", &rest)) cur->impact = std::string(rest);
    else if (starts_with_field(line, "Description:", &rest)) cur->description = std::string(rest);
    for (auto cve : find_cves(line))
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

int released_year(const Advisory& a) {
  const std::string_view d = a.released;
  const size_t comma = d.rfind(", ");
  if (comma == std::string_view::npos || d.size() < comma + 6) return 0;
  int y = 0;
  for (char c : d.substr(comma + 2, 4)) {
    if (!is_digit(c)) return 0;
    y = y * 10 + (c - '0');
  }
  return y;
}

std::optional<Identification> probe(const ProbeInput& in) {
  // Text (no NUL in the head): an HTML page titled "About the security content of ...", or plain
  // text / Markdown with "Available for" and "Impact:" line starts or that title on a line of its own.
  Bytes bytes = in.head.data();
  if (bytes.empty() || std::find(bytes.begin(), bytes.end(), uint8_t{0}) != bytes.end()) return std::nullopt;
  std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  constexpr std::string_view kAbout = "About the security content of ";
  auto at_line_start = [&](std::string_view what, bool heading) {
    for (size_t p = text.find(what); p != std::string_view::npos; p = text.find(what, p + 1)) {
      size_t q = p;
      while (q > 0 && (text[q - 1] == ' ' || text[q - 1] == '\t' || (heading && text[q - 1] == '#'))) --q;
      if (q == 0 || text[q - 1] == '\n') return true;
    }
    return false;
  };
  Identification id;
  id.format = "advisory";
  if (detect_syntax(text) == Syntax::kHtml) {
    if (text.find(kAbout) == std::string_view::npos) return std::nullopt;
    id.description = "security advisory page, HTML (Apple \"About the security content of ...\")";
    return id;
  }
  if (!(at_line_start("Available for", false) && at_line_start("Impact:", false)) && !at_line_start(kAbout, true))
    return std::nullopt;
  id.description = "security advisory text (Apple \"About the security content of ...\")";
  return id;
}

}  // namespace upscope::advisory
