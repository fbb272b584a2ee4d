// Error values for the libraries: every failure names the file, the byte offset, the
// structure being read and the rule that was broken, so a message can be acted on.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace upscope {

enum class ErrorCode {
  kIo,           // the OS refused (open, read, mmap)
  kTruncated,    // a structure runs past the end of its container
  kMalformed,    // a field breaks a rule of the format
  kUnsupported,  // understood but not handled (encrypted, unknown codec)
  kLimit,        // a resource cap was hit (size, depth, count): decompression bombs, cycles
  kNotFound,     // a requested path, entry or key does not exist
  kInvalidArgument,
};

struct Error {
  ErrorCode code = ErrorCode::kMalformed;
  std::string file;                 // input name, may be empty inside pure decoders
  std::optional<uint64_t> offset;   // absolute offset in `file` where known
  std::string structure;            // "koly trailer", "mish block 3", "LZFSE block header"
  std::string rule;                 // what was expected: "chunk extends past the data fork"

  // "os.dmg: mish block 3 at 0x2f10: chunk 17 extends past the data fork"
  std::string message() const;
  // The same error, with context added by a caller that knows more (the file name, a base offset).
  Error in_file(std::string name) const;
  Error shifted(uint64_t base) const;
};

const char* to_string(ErrorCode code);

Error make_error(ErrorCode code, std::string structure, std::string rule,
                 std::optional<uint64_t> offset = std::nullopt);

}  // namespace upscope
