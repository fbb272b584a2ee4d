// Markdown and self-contained HTML renderings of the build model: a verdict, a diff (grouped by
// location, kernel/user marked, drill-down to symbols and functions) or an inventory. Commands
// without a rich rendering fall back to their text output wrapped for the format.
#pragma once

#include <string>
#include <string_view>

#include "analysis/diff.hpp"
#include "analysis/model.hpp"
#include "analysis/verdict.hpp"

namespace upscope::reports {

struct RichReport {
  std::string title;                        // "macOS 13.3.1 (22E261) -> macOS 13.3.1 (a) (22E772610a)"
  std::string subtitle;                     // where the inputs came from
  const Verdict* verdict = nullptr;         // shown as a banner when set
  const BuildDiff* diff = nullptr;          // changes table, grouped by location
  const BuildInventory* inventory = nullptr;  // components table, grouped by location
};

std::string to_markdown(const RichReport& r);
// One HTML file, no external assets (inline CSS; drill-down with <details>, no script).
std::string to_html(const RichReport& r);

// The fallback for commands that have only a text rendering.
std::string wrap_text_markdown(std::string_view text);
std::string wrap_text_html(std::string_view title, std::string_view text);

std::string html_escape(std::string_view s);

}  // namespace upscope::reports
