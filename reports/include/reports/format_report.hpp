// One input's report under `upscope inspect`: its JSON and the same for people (reports/inspect.hpp
// places both in the document). Each format's is made in format_reports.hpp (dyld caches: dsc.hpp).
#pragma once

#include <string>

#include "reports/json.hpp"

namespace upscope::reports {

struct FormatReport {
  Json json = Json::object();
  std::string text;  // indented two spaces, under the input's own line
};

}  // namespace upscope::reports
