// An advisory page as users get it, turned into the plain lines the entry parser reads: Apple's HTML
// saved from a browser, text copied from the page, or a Markdown mirror. Each line keeps the line of
// the input it came from, so entries still name where they are. docs/formats/advisory.md §2.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace upscope::advisory {

enum class Syntax { kText, kMarkdown, kHtml };
const char* to_string(Syntax s);  // "text", "markdown", "html"

struct SourceLine {
  std::string text;   // trimmed, inline markup removed, entities decoded, U+00A0 as a space
  uint64_t line = 0;  // 1-based line of the input where the text starts
};

struct FrontMatter {  // a Markdown mirror's YAML header
  std::string title;  // title: "macOS Ventura 13.4.1 (c)"
  std::string url;    // params.url: the page it was made from
};

// HTML when the first non-space character opens a tag; Markdown when it starts with YAML front matter
// or has ATX headings, setext underlines or **emphasis** lines; plain text otherwise.
Syntax detect_syntax(std::string_view input);

// Plain text: one line per input line, trimmed, U+00A0 as a space.
std::vector<SourceLine> text_lines(std::string_view input);
// Markdown: front matter read and blanked; heading markers, setext underlines, **emphasis**, backslash
// escapes and link targets removed ("### **WebKit**" -> "WebKit").
std::vector<SourceLine> markdown_lines(std::string_view input, FrontMatter& fm);
// HTML: <head>, <script>, <style> and comments dropped; tags removed, block elements (p, div, h1-h6,
// li, tr, br, ...) ending a line; entities decoded; white space collapsed. Only non-empty lines.
std::vector<SourceLine> html_lines(std::string_view input);

// U+00A0 (no-break space, as copied from a web page) as a plain space.
std::string nbsp_as_space(std::string_view s);

}  // namespace upscope::advisory
