// libarchive behind our types: a xar archive read from a Source, or a cpio archive (plain, gzip,
// bzip2 or xz) read from a pull function, with each entry's header as an Entry and failures as
// Errors. Internal to formats/pkg.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "inspect/result.hpp"
#include "inspect/source.hpp"
#include "pkg/pkg.hpp"

namespace upscope::pkg {

// Writes 1 to out.size() bytes at the start of the span; 0 at the end of the stream.
using Pull = std::function<Result<size_t>(std::span<uint8_t>)>;

class Archive {
 public:
  ~Archive();
  Archive(const Archive&) = delete;
  Archive& operator=(const Archive&) = delete;

  // A xar archive over `src` (which must outlive the Archive); `label` names it in errors.
  static Result<std::unique_ptr<Archive>> open_xar(const Source& src, std::string label);
  // A cpio archive, possibly gzip/bzip2/xz-compressed, from `pull`.
  static Result<std::unique_ptr<Archive>> open_cpio(Pull pull, std::string label);

  // The next entry's header; nullopt at the end of the archive.
  Result<std::optional<ArchiveEntry>> next();
  // The current entry's data, front to back; 0 at its end.
  Result<size_t> read(std::span<uint8_t> out);
  // Bytes pulled from the input so far, and bytes out of libarchive's decompression filters (for
  // the decompression-bomb guard of callers).
  uint64_t input_bytes() const;
  uint64_t decoded_bytes() const;

  struct State;  // libarchive handle and the input callbacks' state (archive_io.cpp)

 private:
  explicit Archive(std::unique_ptr<State> s);
  std::unique_ptr<State> s_;
};

// A cpio archive (plain, gzip, bzip2, xz or pbz*-wrapped, told apart by its first bytes) listed from a
// stream; `label` ("member 'Payload'", or "" for a file of its own) names the stream in errors (payload.cpp).
Result<Listing> list_stream(Pull in, const std::string& label, const ListOptions& opt);

}  // namespace upscope::pkg
