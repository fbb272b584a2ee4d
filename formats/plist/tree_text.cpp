// The plist tree for people, in `plutil -p`'s layout:
//   {
//     "Build" => "25C56"
//     "CryptexSizeInfo" => [
//       0 => {
//         "CryptexSize" => 50
// Keys stay in document order (plutil sorts them); data prints as its length and leading bytes.
#include <fmt/format.h>

#include <cmath>

#include "plist/date.hpp"
#include "plist/tree.hpp"

namespace upscope::plist {

namespace {

// A string or key, quoted, with quotes, backslashes and control characters escaped.
void quoted(std::string& out, std::string_view s) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7f) out += fmt::format("\\u{:04x}", c);
        else out += static_cast<char>(c);
    }
  }
  out += '"';
}

std::string data_preview(std::string_view bytes) {
  std::string hex;
  const size_t n = std::min(bytes.size(), kDataPreviewBytes);
  for (size_t i = 0; i < n; ++i) hex += fmt::format("{:02x}", static_cast<unsigned char>(bytes[i]));
  return fmt::format("{{length = {}, bytes = 0x{}{}}}", bytes.size(), hex, bytes.size() > n ? " ..." : "");
}

std::string real_text(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d < 0 ? "-inf" : "inf";
  return fmt::format("{}", d);
}

// Depth is bounded by plist::parse (512 levels), so recursion is.
void write(std::string& out, const Value& v, const std::string& pad) {
  switch (v.type) {
    case Type::kDict:
    case Type::kArray: {
      const bool dict = v.is(Type::kDict);
      if (v.children.empty()) {
        out += dict ? "{}" : "[]";
        break;
      }
      out += dict ? "{\n" : "[\n";
      const std::string inner = pad + "  ";
      for (size_t i = 0; i < v.children.size(); ++i) {
        out += inner;
        if (dict) quoted(out, v.keys[i]);
        else out += std::to_string(i);
        out += " => ";
        write(out, v.children[i], inner);
        out += '\n';
      }
      out += pad;
      out += dict ? "}" : "]";
      break;
    }
    case Type::kString: quoted(out, v.text); break;
    case Type::kInteger: out += std::to_string(v.integer); break;
    case Type::kReal: out += real_text(v.real); break;
    case Type::kBoolean: out += v.boolean ? "true" : "false"; break;
    case Type::kDate: out += date_text(v.real, false); break;
    case Type::kData: out += data_preview(v.text); break;
    case Type::kUid: out += fmt::format("<UID {}>", static_cast<uint64_t>(v.integer)); break;
  }
}

}  // namespace

std::string to_text(const Value& v, std::string_view indent) {
  std::string out(indent);
  write(out, v, std::string(indent));
  out += '\n';
  return out;
}

}  // namespace upscope::plist
