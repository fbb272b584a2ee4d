// Apple's "About the security content of ..." pages as users get them (plain text, text copied from the
// page, the HTML page saved from a browser, a Markdown mirror: source_lines.hpp turns each into lines):
// each entry is a component name on its own line followed by "Available for:", "Impact:",
// "Description:" and CVE lines. docs/formats/advisory.md.
// The component table (components.cpp) places each named component in a location and a space,
// so an advisory alone can be turned into the changes the verdict rule decides on.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "inspect/diff.hpp"
#include "inspect/model.hpp"
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

// A row of the shipped component table.
struct ComponentRow {
  const char* name;      // as Apple names it in advisories (matched case-insensitively)
  Location location;
  Space space;
  ComponentKind kind;
  const char* why;       // where it lives, for explanations
  // The placement is our inference (where the component's files are found on a macOS 13+/iOS 16+
  // system, or what the name denotes), not Apple's documentation of where it lives; `why` says so.
  bool inferred = false;
};
const std::vector<ComponentRow>& component_table();
const ComponentRow* find_component(std::string_view name);

// Whether an Impact line says the code runs in the kernel ("with kernel privileges").
bool impact_says_kernel(std::string_view impact);

// Where an entry's component is placed and why: by its Impact (kernel privileges) first, else by the
// table; `placed` false when neither knows (the verdict is then undetermined).
struct Placement {
  bool placed = false;
  Location location = Location::kUnknown;
  Space space = Space::kUser;
  ComponentKind kind = ComponentKind::kFile;
  std::string why;
  std::string source;  // "impact", "table", "" (not placed)
  bool inferred = false;
};
Placement place(const Entry& e);

// The advisory for `upscope inspect`: its entries with their placement.
nlohmann::ordered_json to_json(const Advisory& a);
std::string to_text(const Advisory& a);

// The advisory as the changes the verdict rule reads: one modified component per entry, placed
// by the table; Impact lines naming kernel privileges are evidence of kernel space; a component
// the table does not know goes to not_analysed (so it can never give a silent "yes").
BuildDiff to_changes(const Advisory& a);

std::optional<Identification> probe(const ProbeInput& in);

}  // namespace upscope::advisory
