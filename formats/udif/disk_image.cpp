#include "udif/disk_image.hpp"

#include <cstring>

#include "udif/image_source.hpp"
#include "udif/structs.hpp"

namespace upscope::udif {

const char* to_string(ImageKind k) {
  switch (k) {
    case ImageKind::kUdif: return "udif";
    case ImageKind::kSparse: return "sparseimage";
    case ImageKind::kRaw: return "raw";
  }
  return "?";
}

Result<DiskImage> open_disk_image(SourcePtr file, Diagnostics* diags, const OpenOptions& opt) {
  if (auto enc = detect_encrypted(*file)) return fail(*enc);
  DiskImage d;
  d.file = file;
  uint8_t head[4] = {};
  if (file->size() >= 4 && file->read_at(0, head) && std::memcmp(head, "sprs", 4) == 0) {
    UPSCOPE_TRY(SparseHeader h, parse_sparse(*file));
    d.kind = ImageKind::kSparse;
    d.sparse = std::make_shared<const SparseHeader>(std::move(h));
    d.disk = std::make_shared<SparseImageSource>(d.sparse, file);
    return d;
  }
  // A koly trailer (even a damaged or truncated one) makes it UDIF; anything else is a raw disk.
  bool udif = false;
  const uint64_t n = std::min<uint64_t>(file->size(), kKolySize);
  std::vector<uint8_t> tail(static_cast<size_t>(n));
  if (n && file->read_at(file->size() - n, tail)) {
    for (size_t p = 0; p + 4 <= tail.size() && !udif; ++p)
      udif = std::memcmp(tail.data() + p, "koly", 4) == 0 && (p == 0 || (p + 12 <= tail.size() && load_u32be(tail.data() + p + 8) == kKolySize));
  }
  if (!udif) {
    d.kind = ImageKind::kRaw;
    d.disk = file;
    return d;
  }
  UPSCOPE_TRY(Image img, parse(*file, diags, opt.parse));
  d.kind = ImageKind::kUdif;
  d.udif = std::make_shared<const Image>(std::move(img));
  d.disk = std::make_shared<ImageSource>(d.udif, file, opt.cache_bytes);
  return d;
}

}  // namespace upscope::udif
