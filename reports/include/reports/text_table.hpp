// A plain text table: columns sized to their widest cell, optional right alignment for numbers.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace upscope::reports {

class TextTable {
 public:
  enum class Align { kLeft, kRight };
  explicit TextTable(std::vector<std::string> headers, std::vector<Align> align = {});
  void add_row(std::vector<std::string> cells);
  void reserve(size_t rows) { rows_.reserve(rows); }
  size_t rows() const { return rows_.size(); }
  void render(std::ostream& out) const;
  std::string str() const;

 private:
  std::vector<std::string> headers_;
  std::vector<Align> align_;
  std::vector<std::vector<std::string>> rows_;
};

// Display width of a UTF-8 string (code points; good enough for names and paths).
size_t display_width(const std::string& s);

// Every line of `text` after `pad`, each ending in a newline (a table nested under a heading).
std::string indent(const std::string& text, const std::string& pad = "  ");

}  // namespace upscope::reports
