// reports::JsonWriter writes the same bytes as reports::dump of the equivalent tree: layout, empty
// containers, escapes, invalid UTF-8 (replaced), numbers, and trees embedded at any depth.
#include <catch2/catch.hpp>

#include "reports/json.hpp"
#include "reports/json_writer.hpp"

using upscope::reports::Json;
using upscope::reports::JsonWriter;

namespace {

// Writes `j` token by token; containers at depth >= `embed_from` go in as trees (value(const Json&)).
void write(JsonWriter& w, const Json& j, int depth, int embed_from) {
  if (depth >= embed_from) return w.value(j);
  switch (j.type()) {
    case Json::value_t::object:
      w.begin_object();
      for (auto it = j.begin(); it != j.end(); ++it) {
        w.key(it.key());
        write(w, it.value(), depth + 1, embed_from);
      }
      return w.end_object();
    case Json::value_t::array:
      w.begin_array();
      for (const auto& v : j) write(w, v, depth + 1, embed_from);
      return w.end_array();
    case Json::value_t::string: return w.value(j.get_ref<const std::string&>());
    case Json::value_t::boolean: return w.value(j.get<bool>());
    case Json::value_t::null: return w.value(nullptr);
    case Json::value_t::number_unsigned: return w.value(j.get<uint64_t>());
    case Json::value_t::number_integer: return w.value(j.get<int64_t>());
    default: return w.value(j);  // doubles, binary
  }
}

Json sample_document() {
  Json doc;
  doc["schema"] = "upscope/test/1";
  doc["plain"] = "com.apple.driver.Kext0001";
  doc["escapes"] = std::string("quote \" backslash \\ tab \t newline \n nul ") + '\0' + " bell \x07 del \x7f";
  doc["unicode"] = "caf\xc3\xa9 \xe2\x9c\x93";
  doc["invalid utf-8"] = "bad \xff\xfe byte and a cut \xe2\x9c";
  doc["\"odd\"\nkey"] = 1;
  doc["empty string"] = "";
  doc["max"] = UINT64_MAX;
  doc["negative"] = int64_t{-42};
  doc["zero"] = 0u;
  doc["double"] = 0.1;
  doc["flags"] = {true, false, nullptr};
  doc["empty object"] = Json::object();
  doc["empty array"] = Json::array();
  doc["nested"] = {{"rows", {{{"id", "a"}, {"size", 1}}, {{"id", "b\n"}, {"list", Json::array({Json::object(), 2})}}}},
                   {"deeper", {{"x", {{"y", {{"z", "last"}}}}}}}};
  return doc;
}

}  // namespace

TEST_CASE("JsonWriter writes what reports::dump writes for the same tree", "[reports][json]") {
  const Json doc = sample_document();
  const std::string want = upscope::reports::dump(doc);
  for (int embed_from : {0, 1, 2, 3, 4, 99}) {
    CAPTURE(embed_from);
    JsonWriter w;
    write(w, doc, 0, embed_from);
    CHECK(w.finish() == want);
  }
}

TEST_CASE("JsonWriter: top-level arrays, scalars and empty containers", "[reports][json]") {
  for (const Json& j : {Json::array(), Json::object(), Json("x"), Json(7), Json(nullptr),
                        Json::array({Json::array(), Json::object({{"k", Json::array()}})})}) {
    CAPTURE(j.dump());
    JsonWriter w;
    write(w, j, 0, 99);
    CHECK(w.finish() == upscope::reports::dump(j));
  }
  JsonWriter w;
  w.begin_object();
  w.field("count", 3u);
  w.field("signed", -3);
  w.field("name", "kext");
  w.field("none", nullptr);
  w.end_object();
  CHECK(w.finish() == "{\n  \"count\": 3,\n  \"signed\": -3,\n  \"name\": \"kext\",\n  \"none\": null\n}\n");
}
