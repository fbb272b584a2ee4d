#include "reports/json_writer.hpp"

namespace upscope::reports {

void JsonWriter::separate() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (empty_.empty()) return;
  out_ += empty_.back() ? "\n" : ",\n";
  empty_.back() = false;
  indent(empty_.size());
}

void JsonWriter::key(std::string_view k) {
  separate();
  append_string(k);
  out_ += ": ";
  after_key_ = true;
}

void JsonWriter::open(char c) {
  separate();
  out_ += c;
  empty_.push_back(true);
}

void JsonWriter::close(char c) {
  const bool empty = empty_.back();
  empty_.pop_back();
  if (!empty) {
    out_ += '\n';
    indent(empty_.size());
  }
  out_ += c;
}

void JsonWriter::value(std::string_view s) {
  separate();
  append_string(s);
}

void JsonWriter::value(bool b) {
  separate();
  out_ += b ? "true" : "false";
}

void JsonWriter::value(std::nullptr_t) {
  separate();
  out_ += "null";
}

void JsonWriter::value(const Json& tree) {
  separate();
  // Strings are dumped with their newlines escaped, so every '\n' of the dump starts a line that
  // needs this document's indentation in front of the tree's own.
  const std::string text = dump_value(tree);
  const size_t pad = 2 * empty_.size();
  size_t from = 0;
  for (size_t nl = text.find('\n'); nl != std::string::npos; nl = text.find('\n', from)) {
    out_.append(text, from, nl + 1 - from);
    out_.append(pad, ' ');
    from = nl + 1;
  }
  out_.append(text, from);
}

void JsonWriter::members(const Json& object) {
  for (auto it = object.begin(); it != object.end(); ++it) field(it.key(), it.value());
}

void JsonWriter::append_string(std::string_view s) {
  // Printable ASCII without '"' and '\\' (bundle ids, versions, UUIDs, hashes) is written as it is;
  // anything else is escaped by the same dump as reports::dump, so the two never differ.
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
      out_ += dump_value(Json(std::string(s)), -1);
      return;
    }
  }
  out_ += '"';
  out_ += s;
  out_ += '"';
}

std::string JsonWriter::finish() {
  out_ += '\n';
  return std::move(out_);
}

}  // namespace upscope::reports
