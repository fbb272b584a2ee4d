// Documents of `upscope identify`: each input's format ("identify") and, with --list-formats, every
// format upscope names ("formats"), as JSON and text.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "inspect/error.hpp"
#include "inspect/probe.hpp"
#include "reports/json.hpp"

namespace upscope::reports {

struct IdentifiedInputRow {
  std::string path;
  std::optional<Error> error;  // set when the input could not be read; the rest is then unset
  uint64_t size = 0;
  Identification id;
};

Json identify_document(const std::vector<IdentifiedInputRow>& rows);
// "PATH: FORMAT: DESCRIPTION" for each input that was read (errors go to stderr, not here).
std::string identify_text(const std::vector<IdentifiedInputRow>& rows);

Json formats_document();
std::string formats_text();  // FORMAT FAMILY DESCRIPTION

}  // namespace upscope::reports
