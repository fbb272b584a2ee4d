// The advisory component table measured against Apple's own advisories: every advisory of 2022-2026
// in a checkout of the Markdown mirror github.com/0xcrypto/apple-cves must end eligible or not
// eligible; fewer than 3% may stay undetermined (or fail to parse). docs/formats/advisory.md §4.
//
// The corpus is read at run time from UPSCOPE_ADVISORY_CORPUS, the root of an extracted checkout (the
// directory holding content/changelogs/*.md). From a bare clone or the mirror `fetch` gives (a git
// directory):
//   git clone --bare https://github.com/0xcrypto/apple-cves apple-cves.git     # if there is none yet
//   mkdir corpus && git --git-dir=apple-cves.git archive HEAD content/changelogs | tar -x -C corpus
//   UPSCOPE_ADVISORY_CORPUS=$PWD/corpus build/tests/unit_tests "[corpus]"
// Without the variable the test says SKIPPED.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>

#include "analysis/advisory_placement.hpp"
#include "analysis/verdict.hpp"
#include "test_support.hpp"

using namespace upscope;
namespace fs = std::filesystem;

namespace {

// The year of the first "Released <Month> <day>, <year>" line, read here independently of the parser
// (so an advisory the parser fails on is still counted), or 0.
int released_year(const std::string& text) {
  for (size_t p = text.find("Released "); p != std::string::npos; p = text.find("Released ", p + 1)) {
    if (p != 0 && text[p - 1] != '\n') continue;
    const size_t eol = std::min(text.find('\n', p), text.size());
    const std::string line = text.substr(p, eol - p);
    const size_t comma = line.rfind(", ");
    if (comma == std::string::npos || line.size() < comma + 6) continue;
    const std::string y = line.substr(comma + 2, 4);
    if (std::all_of(y.begin(), y.end(), [](char c) { return c >= '0' && c <= '9'; })) return std::stoi(y);
  }
  return 0;
}

}  // namespace

TEST_CASE("advisory corpus: under 3% of Apple's 2022-2026 advisories end undetermined", "[advisory][corpus]") {
  const char* env = std::getenv("UPSCOPE_ADVISORY_CORPUS");
  if (!env || !*env) {
    WARN("SKIPPED: UPSCOPE_ADVISORY_CORPUS is not set (see the comment at the top of test_advisory_corpus.cpp)");
    return;
  }
  const fs::path dir = fs::path(env) / "content" / "changelogs";
  REQUIRE(fs::is_directory(dir));
  size_t total = 0, undetermined = 0, failed = 0;
  std::string list;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() != ".md") continue;
    const std::string text = test::read_file(e.path());
    const int year = released_year(text);
    if (year < 2022 || year > 2026) continue;
    ++total;
    auto a = advisory::parse(text, e.path().filename().string());
    if (!a) {
      ++failed;
      list += "  " + e.path().filename().string() + ": " + a.error().message() + "\n";
      continue;
    }
    CHECK(advisory::released_year(*a) == year);
    const BuildDiff d = advisory::to_changes(*a);
    if (decide_rsr(d).rsr_eligible != Eligibility::kUndetermined) continue;
    ++undetermined;
    std::string names;
    for (const auto& n : d.not_analysed) names += (names.empty() ? "" : ", ") + n.path;
    list += "  " + e.path().filename().string() + " (" + a->release + "): " + names + "\n";
  }
  REQUIRE(total >= 100);  // a checkout of the mirror has hundreds; fewer means the wrong directory
  const double rate = 100.0 * static_cast<double>(undetermined + failed) / static_cast<double>(total);
  WARN(total << " advisories released 2022-2026: " << undetermined << " undetermined, " << failed
             << " not parsed (" << rate << "%)\n" << list);
  CHECK(failed == 0);
  CHECK(rate < 3.0);
}
