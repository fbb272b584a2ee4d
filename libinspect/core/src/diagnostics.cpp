#include "inspect/diagnostics.hpp"

#include <algorithm>

#include "inspect/byte_reader.hpp"

namespace upscope {

const char* to_string(Severity s) {
  switch (s) {
    case Severity::kNote: return "note";
    case Severity::kWarning: return "warning";
    case Severity::kError: return "error";
  }
  return "?";
}

std::string Diagnostic::text() const {
  std::string out;
  if (offset) out += "at " + hex_offset(*offset) + ": ";
  if (!structure.empty()) out += structure + ": ";
  out += message;
  return out;
}

void Diagnostics::add(Diagnostic d) {
  if (items_.size() >= kMaxItems) {
    ++dropped_;
    return;
  }
  items_.push_back(std::move(d));
}

void Diagnostics::note(std::optional<uint64_t> offset, std::string structure, std::string message) {
  add({Severity::kNote, offset, std::move(structure), std::move(message)});
}
void Diagnostics::warning(std::optional<uint64_t> offset, std::string structure, std::string message) {
  add({Severity::kWarning, offset, std::move(structure), std::move(message)});
}
void Diagnostics::error(std::optional<uint64_t> offset, std::string structure, std::string message) {
  add({Severity::kError, offset, std::move(structure), std::move(message)});
}
// The file is left out: whoever prints diagnostics names the input they belong to.
void Diagnostics::add(const Error& e, Severity severity) { add({severity, e.offset, e.structure, e.rule}); }
void Diagnostics::append(const Diagnostics& other) {
  for (const auto& d : other.items_) add(d);
  dropped_ += other.dropped_;
}

size_t Diagnostics::count(Severity s) const {
  return static_cast<size_t>(std::count_if(items_.begin(), items_.end(), [s](const Diagnostic& d) { return d.severity == s; }));
}

}  // namespace upscope
