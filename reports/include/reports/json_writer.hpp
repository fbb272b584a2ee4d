// A JSON document written token by token, in exactly the layout of reports::dump (two-space indent,
// non-ASCII kept, UTF-8 errors replaced) but without building a tree first. For listings of
// thousands of rows, where allocating the tree, dumping it and freeing it took longer than reading
// the rows from the input.
#pragma once

#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "reports/json.hpp"

namespace upscope::reports {

class JsonWriter {
 public:
  void begin_object() { open('{', true); }
  void end_object() { close('}'); }
  void begin_array() { open('[', false); }
  void end_array() { close(']'); }
  // The next value is this member's; only inside an object.
  void key(std::string_view k);

  void value(std::string_view s);
  void value(const std::string& s) { value(std::string_view(s)); }
  void value(const char* s) { value(std::string_view(s)); }
  void value(bool b);
  void value(std::nullptr_t);
  template <std::integral T>
    requires(!std::same_as<T, bool>)
  void value(T v) {
    separate();
    if constexpr (std::is_signed_v<T>) append_int(static_cast<int64_t>(v));
    else append_uint(static_cast<uint64_t>(v));
  }
  // A tree (any JSON value, doubles included), laid out as if it were part of this document.
  void value(const Json& tree);

  template <class T>
  void field(std::string_view k, const T& v) {
    key(k);
    value(v);
  }

  // The document, with the trailing newline reports::dump adds. Every container must be closed.
  std::string finish();

 private:
  struct Level {
    bool object;
    bool empty = true;
  };
  void open(char c, bool object);
  void close(char c);
  void separate();  // the comma, newline and indent before a value (nothing after a key)
  void indent(size_t depth) { out_.append(2 * depth, ' '); }
  void append_uint(uint64_t v);
  void append_int(int64_t v);
  void append_string(std::string_view s);

  std::string out_;
  std::vector<Level> stack_;
  bool after_key_ = false;
};

}  // namespace upscope::reports
