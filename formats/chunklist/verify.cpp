// Checks an image against a chunklist: every chunk's SHA-256, and that the chunks cover the image
// exactly (docs/formats/chunklist.md §4).
#include <algorithm>

#include <fmt/format.h>

#include "chunklist/chunklist.hpp"
#include "inspect/hash.hpp"
#include "inspect/text.hpp"
#include "inspect/thread_pool.hpp"

namespace upscope::chunklist {

VerifyReport verify(const Chunklist& cl, const SourcePtr& image, const VerifyOptions& opt) {
  VerifyReport rep;
  rep.image_size = image->size();
  rep.covered = cl.total_bytes;

  // Chunks wholly inside the image are hashed; the others fail without being read.
  std::vector<size_t> inside;
  std::vector<ChunkFailure> failures;
  inside.reserve(cl.chunks.size());
  for (size_t i = 0; i < cl.chunks.size(); ++i) {
    const Chunk& c = cl.chunks[i];
    if (range_fits(c.offset, c.size, rep.image_size)) {
      inside.push_back(i);
      continue;
    }
    failures.push_back({i, c.offset, c.size, to_hex(c.sha256), "",
                        fmt::format("runs past the end of the image ({} bytes)", rep.image_size)});
  }

  SourceBatch batch;
  batch.count = inside.size();
  batch.open = [&](size_t k) -> Result<SourcePtr> {
    const Chunk& c = cl.chunks[inside[k]];
    return SliceSource::make(image, c.offset, c.size, fmt::format("{}[chunk {}]", image->name(), inside[k]));
  };
  if (opt.progress) batch.hashed = [&](size_t, uint64_t bytes) { opt.progress(bytes); };
  auto digests = hash_sources(HashKind::kSha256, batch, opt.pool);

  for (size_t k = 0; k < inside.size(); ++k) {
    const size_t i = inside[k];
    const Chunk& c = cl.chunks[i];
    const std::string expected = to_hex(c.sha256);
    if (!digests[k]) {
      failures.push_back({i, c.offset, c.size, expected, "", digests[k].error().message()});
      continue;
    }
    ++rep.checked;
    if (*digests[k] == expected) {
      ++rep.matched;
      continue;
    }
    failures.push_back({i, c.offset, c.size, expected, *digests[k], "SHA-256 mismatch"});
  }
  std::sort(failures.begin(), failures.end(), [](const auto& a, const auto& b) { return a.index < b.index; });
  rep.failure_count = failures.size();
  if (failures.size() > kMaxFailures) failures.resize(kMaxFailures);
  rep.failures = std::move(failures);
  return rep;
}

}  // namespace upscope::chunklist
