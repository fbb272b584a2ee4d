// Verdicts from advisory text: every row of the truth table in docs/placement.md §6 (fixtures in
// tests/advisories, expected verdicts in expected.txt), the parser, the probe and the table.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "analysis/advisory_placement.hpp"
#include "test_support.hpp"

using namespace upscope;
using namespace upscope::test;
namespace fs = std::filesystem;

TEST_CASE("advisory truth table: every labelled release gives its verdict", "[advisory][verdict][cli]") {
  const fs::path dir = source_dir() / "tests" / "advisories";
  std::ifstream expected(dir / "expected.txt");
  REQUIRE(expected);
  std::string line;
  int rows = 0;
  while (std::getline(expected, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream in(line);
    std::string file, verdict, keyword;
    in >> file >> verdict;
    std::getline(in, keyword);
    keyword = keyword.substr(keyword.find_first_not_of(' '));
    ++rows;
    INFO(file);
    auto r = run_upscope({"verdict", "--json", (dir / file).string()});
    const int want_exit = verdict == "yes" ? 0 : verdict == "no" ? 1 : 3;
    CHECK(r.exit_code == want_exit);
    auto doc = nlohmann::json::parse(r.out);
    CHECK(doc["schema"] == "upscope/verdict/1");
    CHECK(doc["verdict"]["rsr_eligible"] == verdict);
    CHECK(doc["verdict"]["rule"].get<std::string>().find(keyword) != std::string::npos);
    // The text form says the same.
    auto t = run_upscope({"verdict", (dir / file).string()});
    CHECK(t.exit_code == want_exit);
    CHECK(t.out.find("RSR-eligible: " + verdict) != std::string::npos);
  }
  CHECK(rows == 15);
}

TEST_CASE("advisory: 13.3.1 is decided by the IOSurfaceAccelerator kext, with its evidence", "[advisory][verdict]") {
  auto r = run_upscope({"verdict", "--json", (source_dir() / "tests/advisories/macos-13.3.1.txt").string()});
  REQUIRE(r.exit_code == 1);
  auto doc = nlohmann::json::parse(r.out);
  CHECK(doc["advisory"]["release"] == "macOS Ventura 13.3.1");
  REQUIRE(doc["advisory"]["entries"].size() == 2);
  CHECK(doc["advisory"]["entries"][0]["component"] == "IOSurfaceAccelerator");
  CHECK(doc["advisory"]["entries"][0]["cves"] == nlohmann::json::array({"CVE-2023-28206"}));
  CHECK(doc["verdict"]["deciding"] == nlohmann::json::array({"IOSurfaceAccelerator"}));
  for (const auto& c : doc["diff"]["changes"]) {
    if (c["id"] == "IOSurfaceAccelerator") {
      CHECK(c["space"] == "kernel");
      CHECK(c["kind"] == "kext");
    } else {
      CHECK(c["id"] == "WebKit");
      CHECK(c["location"] == "cryptex-os");
      CHECK(c["space"] == "user");
    }
  }
}

TEST_CASE("advisory parser: entries, fields, merged components", "[advisory]") {
  const std::string text =
      "About the security content of macOS Ventura 13.4\n\nWebKit\nAvailable for: macOS Ventura\n"
      "Impact: Processing web content may lead to arbitrary code execution.\nDescription: Fixed.\n"
      "CVE-2023-28204: someone\n\nWebKit\nAvailable for: macOS Ventura\nImpact: x\nCVE-2023-32373: a, CVE-2023-32409\n";
  auto a = advisory::parse(text, "t.txt");
  REQUIRE(a);
  CHECK(a->release == "macOS Ventura 13.4");
  REQUIRE(a->entries.size() == 2);
  CHECK(a->entries[0].line == 3);
  CHECK(a->entries[0].description == "Fixed.");
  CHECK(a->entries[1].cves == std::vector<std::string>{"CVE-2023-32373", "CVE-2023-32409"});
  auto d = advisory::to_changes(*a);
  REQUIRE(d.changes.size() == 1);  // one WebKit change with the evidence of both entries
  CHECK(d.changes[0].location == Location::kCryptexOs);
  CHECK(advisory::impact_says_kernel("An app may be able to execute arbitrary code with kernel privileges."));
  CHECK_FALSE(advisory::impact_says_kernel("Processing web content may lead to arbitrary code execution."));
}

TEST_CASE("advisory parser: CVE names are found in one pass, de-duplicated, at most 7 digits", "[advisory]") {
  const std::string text =
      "Kernel\nAvailable for: macOS\nImpact: x\n"
      "CVE-CVE-2023-1234, CVE-2023-123, CVE-2023-12345678, cve-2023-5555, CVE-20231-4444, CVE-2023-1234\n"
      "Description: also CVE-2024-99999 and CVE-2023-1234 again\n";
  auto a = advisory::parse(text, "t.txt");
  REQUIRE(a);
  REQUIRE(a->entries.size() == 1);
  CHECK(a->entries[0].cves == std::vector<std::string>{"CVE-2023-1234", "CVE-2023-1234567", "CVE-2024-99999"});
}

// Found by fuzzing (tests/fuzz/regressions/advisory/): every line used to scan all the empty lines
// after it, so a megabyte of newlines took minutes; the reproducer is replayed by "[fuzz]".
TEST_CASE("advisory parser: empty lines between a name and Available for: still make an entry", "[advisory]") {
  auto a = advisory::parse("Kernel\n\n\n\n\nAvailable for: macOS\n\n\nWebKit\nAvailable for: macOS\n", "t.txt");
  REQUIRE(a);
  REQUIRE(a->entries.size() == 2);
  CHECK(a->entries[0].component == "Kernel");
  CHECK(a->entries[1].component == "WebKit");
  CHECK(a->entries[1].line == 9);
}

TEST_CASE("advisory parser: text without an entry is an error naming the rule", "[advisory][malformed]") {
  auto a = advisory::parse("Available for: macOS Ventura\nImpact: something\n", "empty.txt");
  REQUIRE_FALSE(a);
  CHECK(a.error().message() ==
        "empty.txt: security advisory: no entry found: an entry is a component name followed by an "
        "\"Available for:\" line");
}

TEST_CASE("advisory: recognised by content, the component table is printed", "[advisory][cli]") {
  auto id = run_upscope({"identify", "--json", (source_dir() / "tests/advisories/macos-13.2.1.txt").string(),
                         (source_dir() / "tests/advisories/README.md").string()});
  REQUIRE(id.exit_code == 0);
  auto doc = nlohmann::json::parse(id.out);
  CHECK(doc["inputs"][0]["format"] == "advisory");
  CHECK(doc["inputs"][1]["format"] == "unknown");
  auto lc = run_upscope({"verdict", "--list-components", "--json"});
  REQUIRE(lc.exit_code == 0);
  auto t = nlohmann::json::parse(lc.out);
  bool webkit = false, kernel = false;
  for (const auto& r : t["components"]) {
    if (r["name"] == "WebKit") webkit = r["rsr_patchable"] == true && r["location"] == "cryptex-os";
    if (r["name"] == "Kernel") kernel = r["rsr_patchable"] == false && r["space"] == "kernel";
  }
  CHECK(webkit);
  CHECK(kernel);
  auto one = run_upscope({"verdict", (source_dir() / "tests/advisories/README.md").string()});
  CHECK(one.exit_code == 2);
  CHECK(one.err.find("a verdict from one input needs a security advisory's text or an update package") !=
        std::string::npos);
}
