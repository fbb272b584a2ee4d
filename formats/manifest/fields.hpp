// Typed look-ups shared by the semantic plist readers: a field of the expected type, or nothing plus
// a warning naming the field's path when it is present with another type. The paths ("BuildIdentities[1]
// .Manifest") stand in for offsets: libplist does not say where in the file a value was.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "inspect/diagnostics.hpp"
#include "inspect/result.hpp"
#include "plist/tree.hpp"

namespace upscope::manifest {

class Fields {
 public:
  // `structure` names the file in diagnostics ("BuildManifest.plist").
  Fields(std::string_view structure, Diagnostics& diags) : structure_(structure), diags_(diags) {}

  // The value at `key` of `dict` when it has type `t`; a warning when it has another.
  const plist::Value* typed(const plist::Value& dict, std::string_view key, plist::Type t, std::string_view path);
  std::string string(const plist::Value& dict, std::string_view key, std::string_view path);
  std::optional<int64_t> integer(const plist::Value& dict, std::string_view key, std::string_view path);
  std::optional<bool> boolean(const plist::Value& dict, std::string_view key, std::string_view path);
  // An array of strings; elements of another type are skipped with a warning.
  std::vector<std::string> strings(const plist::Value& dict, std::string_view key, std::string_view path);
  // A dictionary of strings (key -> string value) in document order; other values skipped with a warning.
  std::vector<std::pair<std::string, std::string>> string_map(const plist::Value& dict, std::string_view key,
                                                              std::string_view path);
  void warn(std::string message);

 private:
  std::string structure_;
  Diagnostics& diags_;
};

// "a dict", "an array", "an integer": a type with its article, for messages.
std::string a_type(plist::Type t);

// "Ident" or "Parent.Ident": the path of a field for messages.
std::string field_path(std::string_view parent, std::string_view key);

// The root must be a dictionary for any of the semantic readers.
Status require_dict(const plist::Value& root, std::string_view structure);

}  // namespace upscope::manifest
