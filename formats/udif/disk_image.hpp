// Opening any disk image the same way: UDIF (.dmg), .sparseimage, or a raw disk, each giving a
// Source over the decoded disk. Encrypted images are refused with a precise error.
#pragma once

#include <memory>

#include "inspect/diagnostics.hpp"
#include "inspect/source.hpp"
#include "udif/image.hpp"
#include "udif/sparse.hpp"

namespace upscope::udif {

enum class ImageKind { kUdif, kSparse, kRaw };
const char* to_string(ImageKind k);  // "udif", "sparseimage", "raw"

struct DiskImage {
  ImageKind kind = ImageKind::kRaw;
  SourcePtr file;                            // the image file
  std::shared_ptr<const Image> udif;         // kUdif
  std::shared_ptr<const SparseHeader> sparse;  // kSparse
  SourcePtr disk;                            // the decoded disk (the file itself when raw)
};

struct OpenOptions {
  ParseOptions parse;
  uint64_t cache_bytes = 64ull << 20;
};

// diags as for parse(): nullptr = strict.
Result<DiskImage> open_disk_image(SourcePtr file, Diagnostics* diags, const OpenOptions& opt = {});

}  // namespace upscope::udif
