// Documents of Apple Archives: `upscope aa list` and `ls FILE.aea` of an archive inside
// ("apple-archive"), and `upscope aa extract` ("apple-archive-extract"), as JSON and text.
#pragma once

#include <string>

#include "aa/aa.hpp"
#include "reports/json.hpp"

namespace upscope::reports {

// `aea`: what the archive came out of ("AEA profile 0 (...)"), "" when it was not encrypted.
Json apple_archive_document(const std::string& path, const aa::Listing& l, const std::string& aea);
// "NAME: Apple Archive, N entries (raw[, WRAPPER])" and one row per entry: TYPE MODE UID GID SIZE PATH.
std::string apple_archive_text(const std::string& name, const aa::Listing& l, const std::string& wrapper);

Json apple_archive_extract_document(const std::string& path, const std::string& output, const aa::ExtractReport& r);
std::string apple_archive_extract_text(const std::string& output, const aa::ExtractReport& r);

}  // namespace upscope::reports
