#include "plist/tree.hpp"

#include <fmt/format.h>

#include <cstdlib>

#include "plist/parse.hpp"

namespace upscope::plist {

namespace {

constexpr std::string_view kBinaryMagic = "bplist00";
constexpr uint64_t kHeader = 8, kTrailer = 32;

// The rules libplist checks first, worded with the offsets, so a damaged binary plist says what is
// wrong instead of "could not read" (docs/formats/plist.md §2).
Status check_binary_frame(Bytes d, std::string_view structure) {
  auto bad = [&](uint64_t at, std::string rule) { return fail(ErrorCode::kMalformed, std::string(structure), std::move(rule), at); };
  if (d.size() < kHeader + kTrailer)
    return fail(ErrorCode::kTruncated, std::string(structure),
                fmt::format("{} bytes cannot hold the 8-byte header and the 32-byte trailer of a binary plist", d.size()), 0);
  const uint64_t at = d.size() - kTrailer;
  ByteReader t(d.subspan(at), at, "binary plist trailer");
  const uint8_t offset_size = t.u8(6).value_or(0), ref_size = t.u8(7).value_or(0);
  const uint64_t count = t.u64be(8).value_or(0), top = t.u64be(16).value_or(0), table = t.u64be(24).value_or(0);
  if (offset_size == 0 || ref_size == 0)
    return bad(at, fmt::format("trailer gives {}-byte offsets and {}-byte references; neither may be 0", offset_size, ref_size));
  if (count == 0 || top >= count)
    return bad(at, fmt::format("trailer: top object {} is not below the object count {}", top, count));
  const auto table_bytes = checked_mul(count, uint64_t{offset_size});
  if (!table_bytes || !range_fits(table, *table_bytes, at))
    return bad(at, fmt::format("trailer: offset table of {} {}-byte entries at 0x{:x} runs past the trailer", count,
                               offset_size, table));
  return {};
}

struct Converter {
  uint64_t nodes = 0;

  Value convert(plist_t n) {
    ++nodes;
    Value v;
    switch (plist_get_node_type(n)) {
      case PLIST_DICT: {
        v.type = Type::kDict;
        const uint32_t size = plist_dict_get_size(n);
        v.keys.reserve(size);  // bounded: parse() bounded libplist's tree, which holds these nodes
        v.children.reserve(size);
        plist_dict_iter it = nullptr;
        plist_dict_new_iter(n, &it);
        for (;;) {
          char* key = nullptr;
          plist_t item = nullptr;
          plist_dict_next_item(n, it, &key, &item);
          if (!key) break;
          v.keys.emplace_back(key);
          std::free(key);
          v.children.push_back(convert(item));
        }
        std::free(it);
        break;
      }
      case PLIST_ARRAY: {
        v.type = Type::kArray;
        const uint32_t size = plist_array_get_size(n);
        v.children.reserve(size);
        for (uint32_t i = 0; i < size; ++i) v.children.push_back(convert(plist_array_get_item(n, i)));
        break;
      }
      case PLIST_STRING:
      case PLIST_KEY: {
        v.type = Type::kString;
        uint64_t len = 0;
        const char* s = plist_get_string_ptr(n, &len);
        if (s) v.text.assign(s, static_cast<size_t>(len));
        break;
      }
      case PLIST_BOOLEAN: {
        v.type = Type::kBoolean;
        uint8_t b = 0;
        plist_get_bool_val(n, &b);
        v.boolean = b != 0;
        break;
      }
      case PLIST_UINT: {
        v.type = Type::kInteger;
        uint64_t u = 0;
        plist_get_uint_val(n, &u);
        v.integer = static_cast<int64_t>(u);  // two's complement: libplist keeps negatives that way
        break;
      }
      case PLIST_REAL:
        v.type = Type::kReal;
        plist_get_real_val(n, &v.real);
        break;
      case PLIST_DATE: {
        v.type = Type::kDate;
        int32_t sec = 0, usec = 0;
        plist_get_date_val(n, &sec, &usec);
        v.real = static_cast<double>(sec) + static_cast<double>(usec) / 1e6;
        break;
      }
      case PLIST_DATA: {
        v.type = Type::kData;
        uint64_t len = 0;
        const char* p = plist_get_data_ptr(n, &len);
        if (p) v.text.assign(p, static_cast<size_t>(len));
        break;
      }
      case PLIST_UID: {
        v.type = Type::kUid;
        uint64_t u = 0;
        plist_get_uid_val(n, &u);
        v.integer = static_cast<int64_t>(u);
        break;
      }
      default:
        v.type = Type::kString;  // PLIST_NONE: libplist does not produce it from bytes
        break;
    }
    return v;
  }
};

}  // namespace

const char* to_string(Type t) {
  switch (t) {
    case Type::kDict: return "dict";
    case Type::kArray: return "array";
    case Type::kString: return "string";
    case Type::kInteger: return "integer";
    case Type::kReal: return "real";
    case Type::kBoolean: return "boolean";
    case Type::kDate: return "date";
    case Type::kData: return "data";
    case Type::kUid: return "uid";
  }
  return "?";
}

const char* to_string(Encoding e) { return e == Encoding::kBinary ? "binary" : "xml"; }

const Value* Value::get(std::string_view key) const {
  if (type != Type::kDict) return nullptr;
  for (size_t i = 0; i < keys.size(); ++i)
    if (keys[i] == key) return &children[i];
  return nullptr;
}

const std::string* Value::string_at(std::string_view key) const {
  const Value* v = get(key);
  return v && v->is(Type::kString) ? &v->text : nullptr;
}

std::optional<int64_t> Value::integer_at(std::string_view key) const {
  const Value* v = get(key);
  return v && v->is(Type::kInteger) ? std::optional<int64_t>(v->integer) : std::nullopt;
}

std::optional<bool> Value::boolean_at(std::string_view key) const {
  const Value* v = get(key);
  return v && v->is(Type::kBoolean) ? std::optional<bool>(v->boolean) : std::nullopt;
}

const Value* Value::dict_at(std::string_view key) const {
  const Value* v = get(key);
  return v && v->is(Type::kDict) ? v : nullptr;
}

const Value* Value::array_at(std::string_view key) const {
  const Value* v = get(key);
  return v && v->is(Type::kArray) ? v : nullptr;
}

Result<Document> read(Bytes data, std::string_view structure) {
  Document doc;
  const bool binary = data.size() >= kBinaryMagic.size() &&
                      std::string_view(reinterpret_cast<const char*>(data.data()), kBinaryMagic.size()) == kBinaryMagic;
  doc.encoding = binary ? Encoding::kBinary : Encoding::kXml;
  if (binary) UPSCOPE_CHECK(check_binary_frame(data, structure));
  UPSCOPE_TRY(Ptr root, parse(data, structure, binary ? Syntax::kAny : Syntax::kXml));
  if (!root)
    return fail(ErrorCode::kMalformed, std::string(structure),
                binary ? "libplist could not read the binary plist: an object, offset or reference is malformed"
                       : "not a well-formed XML property list (libplist could not read it)");
  Converter c;
  doc.root = c.convert(get(root));
  doc.nodes = c.nodes;
  return doc;
}

}  // namespace upscope::plist
