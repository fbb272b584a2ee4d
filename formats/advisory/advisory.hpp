// Apple's "About the security content of ..." pages as users get them (plain text, text copied from the
// page, the HTML page saved from a browser, a Markdown mirror: source_lines.hpp turns each into lines):
// each entry is a component name on its own line followed by "Available for:", "Impact:",
// "Description:" and CVE lines. docs/formats/advisory.md.
// The reader reports what a page names; analysis/advisory_placement.hpp places each named component
// and turns an advisory alone into the changes the verdict rule decides on.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "inspect/probe.hpp"
#include "inspect/result.hpp"
#include "advisory/source_lines.hpp"

namespace upscope::advisory {

struct Entry {
  std::string component;          // "WebKit", "Kernel", "IOSurfaceAccelerator"
  uint64_t line = 0;              // 1-based line of the component name
  std::string available_for;
  std::string impact;
  std::string description;
  std::vector<std::string> cves;  // "CVE-2023-28205"
};

struct Advisory {
  std::string title;              // "About the security content of macOS Ventura 13.3.1"
  std::string release;            // "macOS Ventura 13.3.1" (title minus the boilerplate)
  std::string released;           // the first "Released July 10, 2023": "July 10, 2023"
  std::string url;                // a Markdown mirror's params.url
  Syntax syntax = Syntax::kText;  // how the page came
  std::vector<Entry> entries;
};

// An advisory page in any of its forms (detect_syntax). Fails (naming the rule) when no entry is found.
Result<Advisory> parse(std::string_view text, const std::string& name);

// The year of `released` ("July 10, 2023" -> 2023), or 0.
int released_year(const Advisory& a);

std::optional<Identification> probe(const ProbeInput& in);

}  // namespace upscope::advisory
