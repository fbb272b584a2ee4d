// Finding an HFS+ volume in an input: a raw volume (or HFS wrapper), a partitioned disk (GPT, APM,
// MBR) with an Apple_HFS / Apple_HFSX partition, or a disk image (UDIF, .sparseimage) holding one.
#pragma once

#include <memory>
#include <string>

#include "hfs/volume.hpp"
#include "inspect/diagnostics.hpp"
#include "inspect/source.hpp"

namespace upscope::hfs {

struct LocatedVolume {
  SourcePtr source;  // starts at the volume (or its HFS wrapper)
  std::string how;   // "raw volume", "udif image, gpt partition 1"
};

// True when `src` holds an HFS+/HFSX volume header or an HFS wrapper at 1024.
bool has_volume_header(const Source& src);

// The first HFS+ volume of `file` (partition > 0 selects one).
Result<LocatedVolume> locate_volume(SourcePtr file, Diagnostics* diags, uint32_t partition = 0);

struct OpenedVolume {
  LocatedVolume located;
  std::shared_ptr<const Volume> volume;
};
// A file on the host opened down to its HFS+ volume (the CLI's IMAGE[:/path] inputs).
Result<OpenedVolume> open_image(const std::string& path, Diagnostics* diags);
// The same from an opened input (a file, or the plaintext of an AEA archive).
Result<OpenedVolume> open_source(SourcePtr file, Diagnostics* diags);

}  // namespace upscope::hfs
