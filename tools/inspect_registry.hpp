// `upscope inspect` dispatches on the identified format to an inspector registered by a
// tools/inspect_<format>.cpp file, so each reader adds its report without touching the command.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "cli.hpp"
#include "inspect/diagnostics.hpp"
#include "inspect/probe.hpp"
#include "inspect/source.hpp"
#include "reports/format_report.hpp"

namespace upscope::cli {

// The format's report (json under "report" in the document, text for people) and how reading went.
struct InspectResult : reports::FormatReport {
  Diagnostics diagnostics;     // what the reader survived
  std::optional<Error> error;  // set when the input could not be read at all

  void set_report(reports::FormatReport report) { static_cast<reports::FormatReport&>(*this) = std::move(report); }
};

using InspectFn = std::function<InspectResult(const Context&, const SourcePtr&, const Identification&)>;

struct InspectorRegistrar {
  InspectorRegistrar(std::vector<std::string> format_ids, InspectFn fn);
};

// The inspector for a format id, or nullptr.
const InspectFn* find_inspector(const std::string& format_id);

}  // namespace upscope::cli
