// Advisory pages as users get them: the real Markdown mirrors of MANIFEST.md §10 with their expected
// verdicts; every fixture of tests/advisories written as a saved HTML page, copied text and Markdown
// by samples/gen/make_advisory_pages.py, each giving the entries and verdict of the plain text; the
// HTML and Markdown line readers on their own; `upscope inspect ADVISORY`.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "analysis/advisory_placement.hpp"
#include "test_support.hpp"

using namespace upscope;
using namespace upscope::test;
namespace fs = std::filesystem;

namespace {

fs::path pages() {
  static const fs::path dir = [] {
    fs::path d = scratch_dir("advisory-pages");
    auto r = run_shell("python3 " + shell_quote((source_dir() / "samples/gen/make_advisory_pages.py").string()) + " " +
                       shell_quote((source_dir() / "tests/advisories").string()) + " " + shell_quote(d.string()) +
                       " 2>&1");
    INFO(r.out);
    REQUIRE(r.exit_code == 0);
    return d;
  }();
  return dir;
}

Result<advisory::Advisory> parse_file(const fs::path& p) { return advisory::parse(read_file(p), p.string()); }

std::vector<std::string> lines_of(const std::vector<advisory::SourceLine>& v) {
  std::vector<std::string> out;
  for (const auto& l : v) out.push_back(fmt::format("{}:{}", l.line, l.text));
  return out;
}

}  // namespace

TEST_CASE("advisory pages: the real Markdown mirrors give MANIFEST.md's verdicts", "[advisory][verdict][samples]") {
  const std::pair<const char*, const char*> expected[] = {
      {"HT213825.md", "yes"}, {"HT213823.md", "yes"}, {"126604.md", "yes"}, {"HT213758.md", "no"}, {"120889.md", "yes"}};
  for (const auto& [name, verdict] : expected) {
    INFO(name);
    UPSCOPE_REQUIRE_SAMPLE(path, std::string("real/advisories-md/") + name);
    auto r = run_upscope({"verdict", "--json", path.string()});
    CHECK(r.exit_code == (std::string(verdict) == "yes" ? 0 : 1));
    auto doc = nlohmann::json::parse(r.out);
    CHECK(doc["verdict"]["rsr_eligible"] == verdict);
    if (std::string(verdict) == "yes") CHECK(doc["diff"]["not_analysed"].empty());  // 13.4 leaves some unplaced
    for (const auto& e : doc["advisory"]["entries"]) CHECK(e["component"].get<std::string>().find('*') == std::string::npos);
  }
  UPSCOPE_REQUIRE_SAMPLE(rsr, "real/advisories-md/HT213825.md");
  auto a = parse_file(rsr);
  REQUIRE(a);
  CHECK(a->syntax == advisory::Syntax::kMarkdown);
  CHECK(a->title == "About the security content of Rapid Security Responses for macOS Ventura 13.4.1");
  CHECK(a->released == "July 10, 2023");
  CHECK(advisory::released_year(*a) == 2023);
  CHECK(a->url == "https://support.apple.com/kb/HT213825");
  REQUIRE(a->entries.size() == 1);
  CHECK(a->entries[0].component == "WebKit");
  CHECK(a->entries[0].line == 30);
  CHECK(a->entries[0].available_for == "macOS Ventura 13.4.1");
  CHECK(a->entries[0].cves == std::vector<std::string>{"CVE-2023-37450"});
  UPSCOPE_REQUIRE_SAMPLE(big, "real/advisories-md/HT213758.md");
  auto b = parse_file(big);
  REQUIRE(b);
  CHECK(b->entries.front().component == "Accessibility");  // "### Accessibility"
  auto v = run_upscope({"verdict", big.string()});
  CHECK(v.out.find("not eligible: kernel-space change in ") != std::string::npos);
}

TEST_CASE("advisory pages: HTML, copied text and Markdown give the plain text's entries and verdict",
          "[advisory][verdict]") {
  const fs::path dir = source_dir() / "tests" / "advisories";
  std::ifstream expected(dir / "expected.txt");
  REQUIRE(expected);
  std::string line;
  int rows = 0;
  while (std::getline(expected, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream in(line);
    std::string file, verdict;
    in >> file >> verdict;
    const std::string stem = file.substr(0, file.size() - 4);
    auto text = parse_file(dir / file);
    REQUIRE(text);
    ++rows;
    for (const char* suffix : {".html", ".copied.txt", ".md"}) {
      const fs::path form = pages() / (stem + suffix);
      INFO(form.string());
      auto a = parse_file(form);
      REQUIRE(a);
      CHECK(a->syntax == (std::string(suffix) == ".html" ? advisory::Syntax::kHtml
                          : std::string(suffix) == ".md" ? advisory::Syntax::kMarkdown
                                                          : advisory::Syntax::kText));
      CHECK(a->title == text->title);
      REQUIRE(a->entries.size() == text->entries.size());
      for (size_t i = 0; i < a->entries.size(); ++i) {
        CHECK(a->entries[i].component == text->entries[i].component);
        CHECK(a->entries[i].available_for == text->entries[i].available_for);
        CHECK(a->entries[i].impact == text->entries[i].impact);
        CHECK(a->entries[i].description == text->entries[i].description);
        CHECK(a->entries[i].cves == text->entries[i].cves);
      }
      auto r = run_upscope({"verdict", "--json", form.string()});
      CHECK(r.exit_code == (verdict == "yes" ? 0 : verdict == "no" ? 1 : 3));
      CHECK(nlohmann::json::parse(r.out)["verdict"]["rsr_eligible"] == verdict);
    }
  }
  CHECK(rows == 15);
  // identify knows all three forms by content
  auto id = run_upscope({"identify", "--json", (pages() / "macos-13.4.html").string(),
                         (pages() / "macos-13.4.copied.txt").string(), (pages() / "macos-13.4.md").string()});
  REQUIRE(id.exit_code == 0);
  const auto doc = nlohmann::json::parse(id.out);  // kept: a range-for over a member of a temporary dangles
  REQUIRE(doc["inputs"].size() == 3);
  for (const auto& in : doc["inputs"]) CHECK(in["format"] == "advisory");
}

TEST_CASE("advisory HTML: head, scripts, styles and comments dropped, blocks end lines, entities decoded",
          "[advisory]") {
  const std::string html =
      "<!DOCTYPE html><html><head><title>About the security content of X - Apple Support</title>\n"
      "<script>var s = '</p><p>Available for: x';</script></head><body>\n"
      "<STYLE type=\"text/css\">p { content: 'Impact:' }</STYLE>\n"
      "<h1 class=\"gb-header\">About the security content of X</h1><!-- <p>hidden</p> -->\n"
      "<p><b>Web<i>Kit</i></b></p><p>Available&nbsp;for:&#160;macOS&#x20;Ventura<br/>Impact: a &lt;b&gt; &amp; "
      "&rsquo;q&rsquo; &unknown; &amp\n"
      "   spans\n   lines</p><div title=\"a > b\">Cl&eacute;ment &#233; &#0; 5 < 6</div>\n"
      "<svg><text>drawn</text></svg><td>a</td><td>b</td><script>never closed";
  CHECK(lines_of(advisory::html_lines(html)) ==
        std::vector<std::string>{"4:About the security content of X", "5:WebKit", "5:Available for: macOS Ventura",
                                 "5:Impact: a <b> & \xE2\x80\x99q\xE2\x80\x99 &unknown; &amp spans lines",
                                 "7:Cl\xC3\xA9ment \xC3\xA9 &#0; 5 < 6", "8:a b"});
  // a tag left open runs to the end; a skipped element without its end tag drops only the tag
  CHECK(lines_of(advisory::html_lines("<p>one</p><svg><p>two</p>")) == std::vector<std::string>{"1:one", "1:two"});
  CHECK(lines_of(advisory::html_lines("<p>one</p><p class=\"x")) == std::vector<std::string>{"1:one"});
}

TEST_CASE("advisory Markdown: front matter, headings, emphasis, escapes and links", "[advisory]") {
  const std::string md =
      "---\ntitle: \"macOS \\\"X\\\" 1.0\"\nparams:\n  url: \"https://support.apple.com/kb/HT1\"\n---\n"
      "[Original Advisory](https://support.apple.com/kb/HT1)\n"
      "About the security content of X\n=================\n\n"
      "### **WebKit**\n**AppleMobileFileIntegrit**y\n**apache\\_mod\\_php**\n#### WebKit PDF\n"
      "* a [link](x) and ![img](y) and [not a link] and a (paren)\n---\n";
  advisory::FrontMatter fm;
  auto lines = advisory::markdown_lines(md, fm);
  CHECK(fm.title == "macOS \"X\" 1.0");
  CHECK(fm.url == "https://support.apple.com/kb/HT1");
  std::vector<std::string> non_empty;
  for (const auto& l : lines)
    if (!l.text.empty()) non_empty.push_back(fmt::format("{}:{}", l.line, l.text));
  CHECK(non_empty == std::vector<std::string>{"6:Original Advisory", "7:About the security content of X", "10:WebKit",
                                              "11:AppleMobileFileIntegrity", "12:apache_mod_php", "13:WebKit PDF",
                                              "14:a link and img and not a link and a (paren)"});
  CHECK(advisory::detect_syntax(md) == advisory::Syntax::kMarkdown);
  CHECK(advisory::detect_syntax("About the security content of X\n\nWebKit\nAvailable for: macOS\n") ==
        advisory::Syntax::kText);
  CHECK(advisory::detect_syntax("  \n<html><p>x</p>") == advisory::Syntax::kHtml);
}

TEST_CASE("advisory: \"Available for devices with ...:\" starts an entry too", "[advisory]") {
  auto a = advisory::parse("Core ML\nAvailable for devices with Apple Neural Engine: iPhone XS and later\n"
                           "Impact: An app may be able to execute arbitrary code with kernel privileges\n"
                           "CVE-2023-00001: x\n\nWebKit\nAvailable formats: not a field\n",
                           "t.txt");
  REQUIRE(a);
  REQUIRE(a->entries.size() == 1);
  CHECK(a->entries[0].component == "Core ML");
  CHECK(a->entries[0].available_for == "Available for devices with Apple Neural Engine: iPhone XS and later");
}

TEST_CASE("upscope inspect ADVISORY: the entries with placement, why, impact and CVEs", "[advisory][cli]") {
  const fs::path txt = source_dir() / "tests/advisories/macos-13.3.1.txt";
  auto r = run_upscope({"inspect", txt.string()});
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("  macOS Ventura 13.3.1 (text): 2 entries\n"
                   "  IOSurfaceAccelerator (line 3)\n"
                   "      placement: kernel space, boot-kc (by its Impact): Impact names kernel privileges\n"
                   "      impact: An app may be able to execute arbitrary code with kernel privileges.") !=
        std::string::npos);
  CHECK(r.out.find("  WebKit (line 9)\n      placement: user space, cryptex-os: WebKit stack: framework images in "
                   "the OS cryptex's dyld shared cache\n") != std::string::npos);
  CHECK(r.out.find("      CVEs: CVE-2023-28205\n") != std::string::npos);
  const fs::path unknown = source_dir() / "tests/advisories/unknown-component.txt";
  const fs::path html = pages() / "macos-13.3.1-a.html";
  auto j = run_upscope({"inspect", "--json", unknown.string(), html.string()});
  REQUIRE(j.exit_code == 0);
  auto doc = nlohmann::json::parse(j.out);
  const auto& u = doc["inputs"][0]["report"];
  CHECK(u["format"] == "advisory");
  CHECK(u["unplaced"] == 1);
  CHECK(u["entries"][0]["component"] == "Frobnicator");
  CHECK(u["entries"][0]["placement"]["placed"] == false);
  CHECK(u["entries"][0]["placement"]["location"] == nullptr);
  const auto& h = doc["inputs"][1]["report"];
  CHECK(h["syntax"] == "html");
  CHECK(h["released"] == "May 1, 2023");
  CHECK(h["entries"][0]["placement"]["location"] == "cryptex-os");
  CHECK(h["entries"][0]["cves"] == nlohmann::json::array({"CVE-2023-28204"}));
  // an inferred row says so in text and JSON
  auto w = advisory::parse("WindowServer\nAvailable for: macOS Sonoma\nImpact: x\n", "t.txt");
  REQUIRE(w);
  const auto p = advisory::place(w->entries[0]);
  CHECK(p.inferred);
  CHECK(p.why.rfind("inferred: ", 0) == 0);
  CHECK(advisory::to_text(*w).find("[inferred]") != std::string::npos);
}
