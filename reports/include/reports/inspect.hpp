// The document of `upscope inspect FILE...` ("inspect"): per input its format and the format's
// report (built by the inspector registered for it), as JSON and text.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "inspect/diagnostics.hpp"
#include "inspect/error.hpp"
#include "inspect/probe.hpp"
#include "reports/json.hpp"

namespace upscope::reports {

struct InspectedInputRow {
  std::string path;
  std::optional<Identification> id;  // unset when the input could not be opened
  std::optional<Error> error;        // could not be opened, an unknown format, or the reader failed
  bool has_reader = true;            // false: no reader for the format yet, identification only
  Json report = nullptr;             // the format's report
  std::string text;                  // the same for people
  Diagnostics diagnostics;
};

Json inspect_document(const std::vector<InspectedInputRow>& rows);
std::string inspect_text(const std::vector<InspectedInputRow>& rows);

}  // namespace upscope::reports
