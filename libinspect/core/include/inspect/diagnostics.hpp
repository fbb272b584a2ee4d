// Diagnostics: what a reader found wrong while it kept going. Readers return partial results plus
// this list; the CLI prints it on stderr (or in JSON) and --strict turns warnings into failure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "inspect/error.hpp"

namespace upscope {

enum class Severity { kNote, kWarning, kError };
const char* to_string(Severity s);

struct Diagnostic {
  Severity severity = Severity::kWarning;
  std::optional<uint64_t> offset;
  std::string structure;
  std::string message;
  // "at 0x2f10: mish block 3: chunk 17 extends past the data fork"
  std::string text() const;
};

class Diagnostics {
 public:
  void note(std::optional<uint64_t> offset, std::string structure, std::string message);
  void warning(std::optional<uint64_t> offset, std::string structure, std::string message);
  void error(std::optional<uint64_t> offset, std::string structure, std::string message);
  void add(Diagnostic d);
  // An Error that a reader chose to survive becomes an error diagnostic.
  void add(const Error& e, Severity severity = Severity::kError);
  void append(const Diagnostics& other);

  const std::vector<Diagnostic>& items() const { return items_; }
  bool empty() const { return items_.empty(); }
  size_t count(Severity s) const;
  bool has_errors() const { return count(Severity::kError) != 0; }
  // Caps memory on hostile inputs that would yield millions of identical complaints.
  static constexpr size_t kMaxItems = 10000;
  size_t dropped() const { return dropped_; }

 private:
  std::vector<Diagnostic> items_;
  size_t dropped_ = 0;
};

}  // namespace upscope
