#include "manifest/text_list.hpp"

#include <algorithm>

namespace upscope::manifest {

std::string joined(const std::vector<std::string>& items, const char* sep) {
  std::string out;
  for (const auto& s : items) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

std::string aligned_pairs(const std::vector<std::pair<std::string, std::string>>& rows, const char* indent) {
  size_t width = 0;
  for (const auto& [k, v] : rows) width = std::max(width, k.size());
  width = std::min<size_t>(width, 48);
  std::string out;
  for (const auto& [k, v] : rows) {
    out += indent;
    out += k;
    out.append(k.size() < width ? width - k.size() : 0, ' ');
    out += "  ";
    out += v;
    out += '\n';
  }
  return out;
}

}  // namespace upscope::manifest
