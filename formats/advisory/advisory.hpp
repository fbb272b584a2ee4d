// Apple's "About the security content of ..." pages, as plain text: each entry is a component
// name on its own line followed by "Available for:", "Impact:", "Description:" and CVE lines.
// The component table (components.cpp) places each named component in a location and a space,
// so an advisory alone can be turned into the changes the verdict rule decides on.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "inspect/diff.hpp"
#include "inspect/model.hpp"
#include "inspect/probe.hpp"
#include "inspect/result.hpp"

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
  std::vector<Entry> entries;
};

// Plain text of an advisory page. Fails (naming the line) when no entry is found.
Result<Advisory> parse(std::string_view text, const std::string& name);

// A row of the shipped component table.
struct ComponentRow {
  const char* name;      // as Apple names it in advisories (matched case-insensitively)
  Location location;
  Space space;
  ComponentKind kind;
  const char* why;       // where it lives, for explanations
};
const std::vector<ComponentRow>& component_table();
const ComponentRow* find_component(std::string_view name);

// Whether an Impact line says the code runs in the kernel ("with kernel privileges").
bool impact_says_kernel(std::string_view impact);

// The advisory as the changes the verdict rule reads: one modified component per entry, placed
// by the table; Impact lines naming kernel privileges are evidence of kernel space; a component
// the table does not know goes to not_analysed (so it can never give a silent "yes").
BuildDiff to_changes(const Advisory& a);

std::optional<Identification> probe(const ProbeInput& in);

}  // namespace upscope::advisory
