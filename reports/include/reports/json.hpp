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
// The same for one value, without the trailing newline; indent -1 writes it on one line.
std::string dump_value(const Json& value, int indent = 2);

}  // namespace upscope::reports
