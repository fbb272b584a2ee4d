// The plist tree as JSON (reports/schemas/plist.schema.json#/$defs/value): JSON's own types where
// they fit; the plist types JSON lacks as {"$type": ...} objects.
#include <cmath>
#include <unordered_set>

#include "plist/date.hpp"
#include "plist/tree.hpp"

namespace upscope::plist {

namespace {

using Json = nlohmann::ordered_json;

std::string base64(std::string_view in) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  auto byte = [&](size_t k) { return static_cast<uint32_t>(static_cast<unsigned char>(in[k])); };
  for (; i + 3 <= in.size(); i += 3) {
    const uint32_t w = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
    for (int s = 18; s >= 0; s -= 6) out += kAlphabet[(w >> s) & 63];
  }
  if (const size_t left = in.size() - i) {
    const uint32_t w = byte(i) << 16 | (left == 2 ? byte(i + 1) << 8 : 0);
    out += kAlphabet[(w >> 18) & 63];
    out += kAlphabet[(w >> 12) & 63];
    out += left == 2 ? kAlphabet[(w >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

}  // namespace

// Depth is bounded by plist::parse (512 levels), so recursion is.
nlohmann::ordered_json to_json(const Value& v) {
  switch (v.type) {
    case Type::kDict: {
      Json j = Json::object();
      // A repeated key (XML allows it) keeps its first value, as Value::get does. Members are
      // appended to ordered_json's vector directly: its operator[] searches linearly, which made a
      // wide dictionary quadratic.
      auto& members = static_cast<Json::object_t::Container&>(j.get_ref<Json::object_t&>());
      members.reserve(v.children.size());
      std::unordered_set<std::string_view> seen;
      for (size_t i = 0; i < v.children.size(); ++i)
        if (seen.insert(v.keys[i]).second) members.emplace_back(v.keys[i], to_json(v.children[i]));
      return j;
    }
    case Type::kArray: {
      Json j = Json::array();
      for (const auto& c : v.children) j.push_back(to_json(c));
      return j;
    }
    case Type::kString: return v.text;
    case Type::kInteger: return v.integer;
    case Type::kBoolean: return v.boolean;
    case Type::kReal:
      if (std::isfinite(v.real)) return v.real;
      return Json{{"$type", "real"}, {"value", std::isnan(v.real) ? "nan" : v.real < 0 ? "-inf" : "inf"}};
    case Type::kDate:
      return Json{{"$type", "date"}, {"value", date_text(v.real, true)}, {"seconds_since_2001", v.real}};
    case Type::kData: return Json{{"$type", "data"}, {"length", v.text.size()}, {"base64", base64(v.text)}};
    case Type::kUid: return Json{{"$type", "uid"}, {"value", static_cast<uint64_t>(v.integer)}};
  }
  return nullptr;
}

}  // namespace upscope::plist
