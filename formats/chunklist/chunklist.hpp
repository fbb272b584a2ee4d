// Chunklists (`CNKL`): the SHA-256 of every consecutive chunk of a disk image, signed by Apple and
// shipped beside the image (BaseSystem.chunklist, InstallESD.chunklist, the dmgs of an OTA). The
// reader checks the header and that the chunk table and the signature lie in the file; verify()
// hashes an image against the table. docs/formats/chunklist.md has the layout and the rules.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "inspect/diagnostics.hpp"
#include "inspect/result.hpp"
#include "inspect/source.hpp"

namespace upscope {
class ThreadPool;
}

namespace upscope::chunklist {

struct Chunk {
  uint64_t offset = 0;            // in the image: the sum of the sizes before it
  uint32_t size = 0;
  std::array<uint8_t, 32> sha256{};
};

struct Chunklist {
  uint32_t header_size = 0;
  uint8_t file_version = 0;
  uint8_t chunk_method = 0;
  uint8_t signature_method = 0;
  uint64_t chunk_count = 0;
  uint64_t chunk_table_offset = 0;
  uint64_t signature_offset = 0;
  uint64_t signature_length = 0;  // from the signature offset to the end of the file
  uint64_t file_size = 0;
  std::vector<Chunk> chunks;
  uint64_t total_bytes = 0;       // the image size the chunks describe
  uint32_t min_chunk = 0, max_chunk = 0;
  Diagnostics diagnostics;
};

// "SHA-256" for method 1, "unknown" otherwise.
std::string chunk_method_name(uint8_t method);
// "RSA-2048 (rev1)" for 1, "certificate (rev2)" for 3, "unknown" otherwise.
std::string signature_method_name(uint8_t method);
// The signature length a method needs (256, 808), or nullopt for an unknown method.
std::optional<uint64_t> expected_signature_length(uint8_t method);

// Fails when the header is unreadable or names an unknown version or chunk method, or when the
// chunk table or the signature does not lie in the file; a signature of the wrong length, an
// unknown signature method or an empty chunk are diagnostics on a complete Chunklist.
Result<Chunklist> parse(const Source& src);

// The SHA-256 of every chunk over an image. Chunks are hashed side by side on `pool`, each read in
// bounded pieces and its pages released once hashed.
struct ChunkFailure {
  uint64_t index = 0;
  uint64_t offset = 0;
  uint32_t size = 0;
  std::string expected, computed;  // computed is empty when the chunk could not be read
  std::string reason;              // "SHA-256 mismatch", "runs past the end of the image (...)", a read error
};
struct VerifyReport {
  uint64_t image_size = 0;
  uint64_t covered = 0;            // the chunklist's total bytes
  uint64_t checked = 0;            // chunks hashed
  uint64_t matched = 0;
  std::vector<ChunkFailure> failures;  // in index order, at most kMaxFailures
  uint64_t failure_count = 0;          // all of them
  bool size_ok() const { return image_size == covered; }
  bool ok() const { return failure_count == 0 && size_ok(); }
};
inline constexpr size_t kMaxFailures = 1000;

struct VerifyOptions {
  ThreadPool* pool = nullptr;
  std::function<void(uint64_t bytes)> progress;  // called from any thread as chunks finish
};
VerifyReport verify(const Chunklist& cl, const SourcePtr& image, const VerifyOptions& opt = {});

// The signature is never checked: Apple publishes no key for it (docs/formats/chunklist.md §3).
inline constexpr const char* kSignatureNote =
    "not verified: upscope does not check Apple's chunklist signature (Apple publishes no public key for it); "
    "the chunk hashes are only as trustworthy as the chunklist file itself";

nlohmann::ordered_json to_json(const Chunklist& cl);
nlohmann::ordered_json to_json(const VerifyReport& r);

}  // namespace upscope::chunklist
