// A property list (XML or binary) as an owned, typed tree, for printing it whole (`upscope inspect`,
// like `plutil -p`, and as JSON) and for the semantic readers in formats/manifest/. The bytes reach
// libplist only through plist::parse (parse.hpp), which bounds the tree first; the tree is then
// copied out of libplist's nodes so nothing here depends on its types. docs/formats/plist.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "inspect/byte_reader.hpp"
#include "inspect/result.hpp"

namespace upscope::plist {

enum class Type : uint8_t { kDict, kArray, kString, kInteger, kReal, kBoolean, kDate, kData, kUid };
const char* to_string(Type t);  // "dict", "array", "string", "integer", "real", "boolean", "date", "data", "uid"

struct Value {
  Type type = Type::kDict;
  bool boolean = false;
  // An integer as a signed 64-bit value (a binary plist's 8-byte integers are signed; libplist 2.2
  // does not say whether a value came from a 16-byte unsigned one: docs/formats/plist.md §3); a UID.
  int64_t integer = 0;
  double real = 0;           // a real; a date: seconds since 2001-01-01 00:00:00 UTC
  std::string text;          // a string (UTF-8); data (the bytes)
  std::vector<std::string> keys;  // a dictionary's keys in document order, one per child
  std::vector<Value> children;    // a dictionary's values or an array's elements

  bool is(Type t) const { return type == t; }
  // The value at `key` of a dictionary (the first when a key repeats); nullptr when this is not a
  // dictionary or has no such key.
  const Value* get(std::string_view key) const;
  // The same, only when the value has the expected type.
  const std::string* string_at(std::string_view key) const;
  std::optional<int64_t> integer_at(std::string_view key) const;
  std::optional<bool> boolean_at(std::string_view key) const;
  const Value* dict_at(std::string_view key) const;
  const Value* array_at(std::string_view key) const;
};

enum class Encoding { kXml, kBinary };
const char* to_string(Encoding e);  // "xml", "binary"

struct Document {
  Encoding encoding = Encoding::kXml;
  Value root;
  uint64_t nodes = 0;  // values in the tree, the root included
};

// Parses XML or binary plist bytes. Errors name `structure` and the rule: the bound of parse.hpp,
// a binary plist's header or trailer that cannot hold its offset table, or libplist's refusal.
Result<Document> read(Bytes data, std::string_view structure);

// `plutil -p`'s layout: nested, typed ("=>" between key and value; strings quoted; data as its length
// and leading bytes in hex; dates in UTC), every line prefixed by `indent`.
std::string to_text(const Value& v, std::string_view indent = "");
// Leading bytes of data shown by to_text.
inline constexpr size_t kDataPreviewBytes = 32;

// JSON: dictionaries as objects (document order), arrays, strings, integers, booleans and finite
// reals as themselves; data, dates, UIDs and non-finite reals as {"$type": ..., ...} objects
// (reports/schemas/plist.schema.json).
nlohmann::ordered_json to_json(const Value& v);

}  // namespace upscope::plist
