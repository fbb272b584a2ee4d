// Plain text and Markdown advisories to text lines (docs/formats/advisory.md §2.1, §2.2), and the
// choice between them and HTML.
#include <algorithm>
#include <cctype>

#include "advisory/source_lines.hpp"
#include "inspect/text.hpp"

namespace upscope::advisory {

namespace {

// Calls f(line, number) for each line (without its "\n" or "\r\n").
template <class F>
void each_line(std::string_view input, F&& f) {
  uint64_t n = 1;
  for (size_t pos = 0; pos <= input.size(); ++n) {
    size_t nl = input.find('\n', pos);
    if (nl == std::string_view::npos) nl = input.size();
    f(input.substr(pos, nl - pos), n);
    pos = nl + 1;
  }
}

// U+00A0 (copied from a web page) as a space, then trimmed.
std::string clean_spaces(std::string_view line) {
  return std::string(trim(nbsp_as_space(line)));
}

}  // namespace

// Built anew rather than replaced in place: g++ 12 warns falsely that string::replace may overlap.
std::string nbsp_as_space(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\xC2' && i + 1 < s.size() && s[i + 1] == '\xA0') {
      out += ' ';
      ++i;
    } else {
      out += s[i];
    }
  }
  return out;
}

namespace {

bool setext_underline(std::string_view l) {
  return l.size() >= 3 && (std::all_of(l.begin(), l.end(), [](char c) { return c == '='; }) ||
                           std::all_of(l.begin(), l.end(), [](char c) { return c == '-'; }));
}

// "[text](target)" -> "text", "![alt](src)" -> "alt", "**x**" -> "x", "\_" -> "_": one pass.
std::string inline_markdown(std::string_view l) {
  std::string out;
  out.reserve(l.size());
  const size_t last_paren = l.rfind(')');  // no ")" past it: a link target cannot close (keeps this linear)
  for (size_t i = 0; i < l.size();) {
    const char c = l[i];
    if (c == '\\' && i + 1 < l.size() && std::ispunct(static_cast<unsigned char>(l[i + 1]))) {
      out += l[i + 1];
      i += 2;
    } else if (c == '*' && i + 1 < l.size() && l[i + 1] == '*') {
      i += 2;
    } else if (c == '!' && i + 1 < l.size() && l[i + 1] == '[') {
      ++i;  // an image: keep its alt text like a link's
    } else if (c == ']' && i + 1 < l.size() && l[i + 1] == '(') {
      // the end of a link's text: drop "(target)" when it closes on this line
      const size_t close = last_paren != std::string_view::npos && last_paren > i + 1 ? l.find(')', i + 2)
                                                                                       : std::string_view::npos;
      if (close == std::string_view::npos) {
        ++i;
      } else {
        i = close + 1;
      }
    } else if (c == '[' || c == ']') {  // brackets of links and of anything else: not part of names
      ++i;
    } else {
      out += c;
      ++i;
    }
  }
  return out;
}

// A YAML scalar as the mirror writes it: "double-quoted" with \" and \\ escapes, or bare.
std::string yaml_scalar(std::string_view v) {
  v = trim(v);
  if (v.size() < 2 || v.front() != '"' || v.back() != '"') return std::string(v);
  std::string out;
  for (size_t i = 1; i + 1 < v.size(); ++i) {
    if (v[i] == '\\' && i + 2 < v.size()) ++i;
    out += v[i];
  }
  return out;
}

}  // namespace

const char* to_string(Syntax s) {
  switch (s) {
    case Syntax::kText: return "text";
    case Syntax::kMarkdown: return "markdown";
    case Syntax::kHtml: return "html";
  }
  return "?";
}

Syntax detect_syntax(std::string_view input) {
  if (input.starts_with("\xEF\xBB\xBF")) input.remove_prefix(3);
  const std::string_view t = trim(input);
  if (!t.empty() && t[0] == '<' && t.size() > 1 && (std::isalpha(static_cast<unsigned char>(t[1])) || t[1] == '!'))
    return Syntax::kHtml;
  if (input.starts_with("---\n") || input.starts_with("---\r\n")) return Syntax::kMarkdown;
  bool markdown = false;
  each_line(input, [&](std::string_view l, uint64_t) {
    l = trim(l);
    if (!markdown) markdown = l.starts_with("# ") || l.starts_with("## ") || l.starts_with("### ") || l.starts_with("**") ||
                              setext_underline(l);
  });
  return markdown ? Syntax::kMarkdown : Syntax::kText;
}

std::vector<SourceLine> text_lines(std::string_view input) {
  std::vector<SourceLine> out;
  each_line(input, [&](std::string_view l, uint64_t n) { out.push_back({clean_spaces(l), n}); });
  return out;
}

std::vector<SourceLine> markdown_lines(std::string_view input, FrontMatter& fm) {
  std::vector<SourceLine> out;
  // Front matter: from a first line "---" to the next "---"; read title and url, blank the lines.
  bool in_front = false;
  each_line(input, [&](std::string_view raw, uint64_t n) {
    std::string_view l = trim(raw);
    if (n == 1 && l == "---") {
      in_front = true;
      out.push_back({"", n});
      return;
    }
    if (in_front) {
      if (l == "---") in_front = false;
      else if (l.starts_with("title:") && fm.title.empty()) fm.title = yaml_scalar(l.substr(6));
      else if (l.starts_with("url:") && fm.url.empty()) fm.url = yaml_scalar(l.substr(4));
      out.push_back({"", n});
      return;
    }
    if (setext_underline(l)) {
      out.push_back({"", n});
      return;
    }
    while (l.starts_with("#")) l.remove_prefix(1);  // ATX heading markers
    if ((l.starts_with("* ") || l.starts_with("- ")) && !l.starts_with("**")) l.remove_prefix(2);  // list items
    out.push_back({clean_spaces(inline_markdown(trim(l))), n});
  });
  return out;
}

}  // namespace upscope::advisory
