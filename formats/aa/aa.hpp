// Apple Archive reader: entries (AA01/YAA1) with every field, typed views of the common keys,
// blob payloads streamed after each header, from a plain archive or a pbz* stream (pbzx, pbze,
// pbz4, pbzz). Extraction keeps every path inside its target directory.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "inspect/byte_reader.hpp"
#include "inspect/diagnostics.hpp"
#include "inspect/result.hpp"
#include "inspect/thread_pool.hpp"

namespace upscope::aa {

// How a field's value is stored, from its subtype letter (docs/formats/ota.md §6).
enum class FieldKind { kFlag, kUint, kBlob, kHash, kTimeS, kTimeT, kString };

struct Field {
  std::string key;     // "PAT"
  char subtype = 0;    // 'P'
  FieldKind kind = FieldKind::kFlag;
  uint64_t offset = 0;  // of the 4-byte tag in the decoded archive
  uint64_t uint_value = 0;      // uint; blob size; timestamp seconds
  uint32_t nsec = 0;            // 'T' timestamps
  std::string text;             // strings (raw bytes)
  std::vector<uint8_t> digest;  // hashes
  uint64_t blob_offset = 0;     // blobs: where the payload starts in the decoded archive
};

struct Entry {
  size_t index = 0;
  uint64_t offset = 0;   // in the decoded archive
  std::string magic;     // "AA01" / "YAA1"
  uint16_t header_size = 0;
  std::vector<Field> fields;
  uint64_t payload_size = 0;  // sum of the blob sizes that follow the header

  // Typed views (absent when the entry has no such field).
  const Field* find(std::string_view key) const;
  std::optional<char> type() const;            // TYP
  std::optional<std::string> path() const;     // PAT
  std::optional<std::string> link() const;     // LNK
  std::optional<uint64_t> uint(std::string_view key) const;
  // Why the path must not be extracted ("'..' component", "absolute path", "NUL byte"), or empty.
  std::string unsafe_path_reason() const;
};

// Where the archive is, once pbz* is peeled off: "AA01"/"YAA1" plus the wrapping container.
struct ArchiveInfo {
  std::string container;  // "raw" (plain archive), "pbzx", "pbze", "pbz4", "pbzz"
  std::string codec;
  std::optional<uint64_t> decoded_size;
};

// Reads the next bytes of the current entry's payload; bytes left unread are skipped.
using BlobReader = std::function<Result<size_t>(std::span<uint8_t> out)>;
struct Visit {
  const Entry& entry;
  // Reads the next bytes of the entry's payload (the blobs back to back, in field order).
  BlobReader read_payload;
};
using EntryFn = std::function<Status(Visit&)>;

struct ReadOptions {
  ThreadPool* pool = nullptr;
  uint64_t max_decoded = uint64_t{64} << 30;  // pbz*-wrapped archives: decompression-bomb guard
  bool overwrite = false;  // extract: replace files already in the target (never written through)
};

// Walks every entry. Errors that leave the stream position unknown (bad header_size, a field
// past the header, an unknown subtype, a payload past the end) stop the walk and are returned
// as an error diagnostic; the entries before it were already visited.
Result<ArchiveInfo> walk(Bytes archive, const ReadOptions& opt, Diagnostics& diags, const EntryFn& fn);

// Lists entries (payloads skipped).
struct Listing {
  ArchiveInfo info;
  std::vector<Entry> entries;
  Diagnostics diagnostics;
};
Result<Listing> list(Bytes archive, const ReadOptions& opt = {});

struct ExtractReport {
  size_t files = 0, directories = 0, symlinks = 0, skipped = 0;
  uint64_t bytes = 0;
  Diagnostics diagnostics;
};
// Extracts into `dir` (created if needed). Unsafe paths are skipped with an error diagnostic;
// symlinks are created after every file so no write can go through one; SH1/SH2 digests of DAT
// are checked when present.
Result<ExtractReport> extract(Bytes archive, const std::string& dir, const ReadOptions& opt = {});

nlohmann::ordered_json to_json(const Entry& e);
nlohmann::ordered_json to_json(const Listing& l);
std::string type_name(char t);  // 'F' -> "file"

}  // namespace upscope::aa
