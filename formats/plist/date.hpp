// Property-list dates are seconds since 2001-01-01 00:00:00 UTC (docs/formats/plist.md §3).
#pragma once

#include <string>

namespace upscope::plist {
// "2023-07-10 14:05:09 +0000" (plutil -p), or ISO 8601 "2023-07-10T14:05:09Z"; whole seconds.
std::string date_text(double seconds_since_2001, bool iso);
}  // namespace upscope::plist
