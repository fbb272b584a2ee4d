// Apple's advisory page as saved by a browser, to text lines (docs/formats/advisory.md §2.3). One
// pass over the input: every search moves forward, so hostile HTML costs time linear in its size.
#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
#include <set>

#include "advisory/source_lines.hpp"
#include "inspect/text.hpp"

namespace upscope::advisory {

namespace {

bool ieq(char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b)); }
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == ':'; }

// Elements whose end ends a line of text (a table row does; its cells are parted by a space, below).
constexpr std::array<std::string_view, 37> kBlock = {
    "address", "article", "aside", "blockquote", "body", "br", "caption", "dd", "details", "div", "dl", "dt",
    "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr",
    "html", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tr", "ul"};
// Elements whose content is not page text; raw-text ones (script, style) run to their end tag even
// when it is missing, the others are dropped only when their end tag exists.
constexpr std::array<std::string_view, 4> kRawText = {"script", "style", "textarea", "title"};
constexpr std::array<std::string_view, 6> kSkipped = {"head", "noscript", "template", "svg", "iframe", "select"};

template <size_t N>
bool one_of(const std::array<std::string_view, N>& set, std::string_view name) {
  return std::find(set.begin(), set.end(), name) != set.end();
}

struct Entity {
  std::string_view name;
  uint32_t code_point;
};
constexpr std::array<Entity, 32> kEntities = {{
    {"amp", '&'},      {"lt", '<'},       {"gt", '>'},       {"quot", '"'},     {"apos", '\''},
    {"nbsp", ' '},     {"ndash", 0x2013}, {"mdash", 0x2014}, {"lsquo", 0x2018}, {"rsquo", 0x2019},
    {"ldquo", 0x201C}, {"rdquo", 0x201D}, {"hellip", 0x2026}, {"copy", 0xA9},    {"reg", 0xAE},
    {"trade", 0x2122}, {"eacute", 0xE9},  {"egrave", 0xE8},  {"aacute", 0xE1},  {"agrave", 0xE0},
    {"iacute", 0xED},  {"oacute", 0xF3},  {"uacute", 0xFA},  {"ntilde", 0xF1},  {"ouml", 0xF6},
    {"uuml", 0xFC},    {"auml", 0xE4},    {"ccedil", 0xE7},  {"szlig", 0xDF},   {"Eacute", 0xC9},
    {"shy", 0xAD},     {"zwnj", 0x200C},
}};

class Converter {
 public:
  explicit Converter(std::string_view s) : s_(s) {}

  std::vector<SourceLine> run() {
    while (i_ < s_.size()) {
      const char c = s_[i_];
      if (c == '<') tag();
      else if (c == '&') entity();
      else if (is_space(c)) {
        space_ = !cur_.empty();
        advance(1);
      } else {
        put_char(c);
        advance(1);
      }
    }
    end_line();
    return std::move(lines_);
  }

 private:
  // Moves forward n bytes, counting the newlines passed.
  void advance(size_t n) {
    const size_t end = std::min(s_.size(), i_ + n);
    line_ += static_cast<uint64_t>(std::count(s_.begin() + static_cast<std::ptrdiff_t>(i_), s_.begin() + static_cast<std::ptrdiff_t>(end), '\n'));
    i_ = end;
  }
  // Moves past the next `what` (or to the end); false when it was not found.
  bool skip_past(std::string_view what) {
    const size_t at = s_.find(what, i_);
    if (at == std::string_view::npos) {
      advance(s_.size() - i_);
      return false;
    }
    advance(at + what.size() - i_);
    return true;
  }
  // Where the end tag </name ...> starts, searching from i_ (case-insensitive), or npos.
  size_t find_end_tag(std::string_view name) const {
    for (size_t at = s_.find("</", i_); at != std::string_view::npos; at = s_.find("</", at + 2)) {
      if (at + 2 + name.size() > s_.size()) return std::string_view::npos;
      if (std::equal(name.begin(), name.end(), s_.begin() + static_cast<std::ptrdiff_t>(at + 2), ieq) &&
          (at + 2 + name.size() == s_.size() || !is_name_char(s_[at + 2 + name.size()])))
        return at;
    }
    return std::string_view::npos;
  }
  // The end of a tag starting at i_: the '>' outside quoted attribute values, or npos.
  size_t tag_end() const {
    char quote = 0;
    for (size_t k = i_ + 1; k < s_.size(); ++k) {
      const char c = s_[k];
      if (quote) {
        if (c == quote) quote = 0;
      } else if (c == '"' || c == '\'') {
        quote = c;
      } else if (c == '>') {
        return k;
      }
    }
    return std::string_view::npos;
  }

  void tag() {
    const std::string_view rest = s_.substr(i_);
    if (rest.starts_with("<!--")) {
      advance(4);
      skip_past("-->");
      return;
    }
    size_t k = i_ + 1;
    const bool closing = k < s_.size() && s_[k] == '/';
    if (closing) ++k;
    if (rest.starts_with("<!") || rest.starts_with("<?")) {
      skip_past(">");
      return;
    }
    if (k >= s_.size() || !std::isalpha(static_cast<unsigned char>(s_[k]))) {  // a lone '<' is text
      put_char('<');
      advance(1);
      return;
    }
    std::string name;
    for (; k < s_.size() && is_name_char(s_[k]) && name.size() < 16; ++k)
      name += static_cast<char>(std::tolower(static_cast<unsigned char>(s_[k])));
    const size_t end = tag_end();
    if (end == std::string_view::npos) {  // an unterminated tag: the rest is its attributes
      advance(s_.size() - i_);
      return;
    }
    const bool self_closing = end > i_ && s_[end - 1] == '/';
    advance(end + 1 - i_);
    if (one_of(kBlock, name)) end_line();
    else if (name == "td" || name == "th") space_ = !cur_.empty();
    if (closing || self_closing) return;
    const bool raw = one_of(kRawText, name);
    if ((raw || one_of(kSkipped, name)) && !unclosed_.contains(name)) {
      const size_t close = find_end_tag(name);
      if (close == std::string_view::npos) {
        if (raw) advance(s_.size() - i_);
        unclosed_.insert(name);  // none later either: never search again (keeps the pass linear)
        return;
      }
      advance(close - i_);
      skip_past(">");
    }
  }

  void entity() {
    // "&name;" or "&#123;" / "&#x1F;" within 12 characters; anything else is a literal '&'.
    const size_t window = s_.substr(i_ + 1, 12).find(';');
    const size_t semi = window == std::string_view::npos ? window : i_ + 1 + window;
    if (semi != std::string_view::npos && semi > i_ + 1) {
      const std::string_view body = s_.substr(i_ + 1, semi - i_ - 1);
      std::optional<uint32_t> cp;
      if (body[0] == '#') {
        const bool hex = body.size() > 1 && (body[1] == 'x' || body[1] == 'X');
        const std::string_view digits = body.substr(hex ? 2 : 1);
        uint32_t v = 0;
        bool ok = !digits.empty();
        for (char d : digits) {
          const int x = std::isdigit(static_cast<unsigned char>(d)) ? d - '0'
                        : hex && std::isxdigit(static_cast<unsigned char>(d)) ? std::tolower(static_cast<unsigned char>(d)) - 'a' + 10
                                                                               : -1;
          if (x < 0 || v > 0x10FFFF) { ok = false; break; }
          v = v * (hex ? 16 : 10) + static_cast<uint32_t>(x);
        }
        if (ok && v > 0 && v <= 0x10FFFF && (v < 0xD800 || v > 0xDFFF)) cp = v;
      } else {
        for (const auto& e : kEntities)
          if (e.name == body) cp = e.code_point;
      }
      if (cp) {
        advance(semi + 1 - i_);
        if (*cp == ' ' || *cp == 0xA0) space_ = !cur_.empty();
        else if (*cp != 0xAD && *cp != 0x200C) {  // soft hyphen, zero-width non-joiner: invisible
          std::string utf8;
          append_utf8(utf8, *cp);
          for (char c : utf8) put_char(c);
        }
        return;
      }
    }
    put_char('&');
    advance(1);
  }

  void put_char(char c) {
    if (cur_.empty()) start_ = line_;
    else if (space_) cur_ += ' ';
    space_ = false;
    cur_ += c;
  }

  void end_line() {
    // U+00A0 written as bytes rather than &nbsp;: a space too.
    if (cur_.find("\xC2\xA0") != std::string::npos) cur_ = nbsp_as_space(cur_);
    while (!cur_.empty() && cur_.back() == ' ') cur_.pop_back();
    const size_t lead = cur_.find_first_not_of(' ');
    cur_.erase(0, lead == std::string::npos ? cur_.size() : lead);
    if (!cur_.empty()) lines_.push_back({std::move(cur_), start_});
    cur_.clear();
    space_ = false;
  }

  std::string_view s_;
  size_t i_ = 0;
  uint64_t line_ = 1, start_ = 1;
  std::string cur_;
  bool space_ = false;
  std::vector<SourceLine> lines_;
  std::set<std::string> unclosed_;  // skipped elements with no end tag after this point
};

}  // namespace

std::vector<SourceLine> html_lines(std::string_view input) { return Converter(input).run(); }

}  // namespace upscope::advisory
