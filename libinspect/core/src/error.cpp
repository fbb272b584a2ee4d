#include "inspect/error.hpp"

#include "inspect/byte_reader.hpp"

namespace upscope {

const char* to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::kIo: return "io";
    case ErrorCode::kTruncated: return "truncated";
    case ErrorCode::kMalformed: return "malformed";
    case ErrorCode::kUnsupported: return "unsupported";
    case ErrorCode::kLimit: return "limit";
    case ErrorCode::kNotFound: return "not-found";
    case ErrorCode::kInvalidArgument: return "invalid-argument";
  }
  return "unknown";
}

std::string Error::message() const {
  std::string out;
  if (!file.empty()) out += file + ": ";
  if (!structure.empty()) {
    out += structure;
    if (offset) out += " at " + hex_offset(*offset);
    out += ": ";
  } else if (offset) {
    out += "at " + hex_offset(*offset) + ": ";
  }
  out += rule;
  return out;
}

Error Error::in_file(std::string name) const {
  Error e = *this;
  if (e.file.empty()) e.file = std::move(name);
  return e;
}

Error Error::shifted(uint64_t base) const {
  Error e = *this;
  if (e.offset) e.offset = *e.offset + base;
  return e;
}

Error make_error(ErrorCode code, std::string structure, std::string rule, std::optional<uint64_t> offset) {
  Error e;
  e.code = code;
  e.structure = std::move(structure);
  e.rule = std::move(rule);
  e.offset = offset;
  return e;
}

}  // namespace upscope
