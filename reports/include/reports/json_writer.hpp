// A JSON document written token by token, in exactly the layout of reports::dump (two-space indent,
// non-ASCII kept, UTF-8 errors replaced) but without building a tree first. For listings of
// thousands of rows, where allocating the tree, dumping it and freeing it took longer than reading
// the rows from the input.
#pragma once

#include <charconv>
#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "reports/json.hpp"

namespace upscope::reports {

class JsonWriter {
 public:
  void begin_object() { open('{'); }
  void end_object() { close('}'); }
  void begin_array() { open('['); }
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
    char buf[24];
    out_.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
  }
  // A tree (any JSON value, doubles included), laid out as if it were part of this document.
  void value(const Json& tree);

  template <class T>
  void field(std::string_view k, const T& v) {
    key(k);
    value(v);
  }
  // Every member of an object tree, as members of the object being written.
  void members(const Json& object);

  // The document, with the trailing newline reports::dump adds. Every container must be closed.
  std::string finish();
  // What has been written since the last take(), handed over so a long document can be sent on as
  // it is written; writing goes on where it stopped.
  std::string take() { return std::exchange(out_, {}); }

 private:
  void open(char c);
  void close(char c);
  void separate();  // the comma, newline and indent before a value (nothing after a key)
  void indent(size_t depth) { out_.append(2 * depth, ' '); }
  void append_string(std::string_view s);

  std::string out_;
  std::vector<bool> empty_;  // per open container: nothing written in it yet
  bool after_key_ = false;
};

}  // namespace upscope::reports
