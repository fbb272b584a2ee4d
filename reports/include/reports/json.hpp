// JSON documents: every document carries "schema": "upscope/<doc>/<major>" and the tool version,
// so consumers can check what they read. Field names are stable; see reports/schemas/.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "inspect/diagnostics.hpp"
#include "inspect/error.hpp"

namespace upscope::reports {

using Json = nlohmann::ordered_json;

// {"schema": "upscope/<doc>/<major>", "tool": {"name": "upscope", "version": "..."}}
Json make_document(std::string_view doc, int major = 1);
Json to_json(const Diagnostics& diags);
Json to_json(const Error& e);
// Two-space indented, UTF-8 errors replaced rather than thrown (file names are arbitrary bytes).
std::string dump(const Json& doc);

}  // namespace upscope::reports
