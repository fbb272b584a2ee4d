// Finding the APFS container in an input: a raw container, a partitioned disk (GPT/APM/MBR) with an
// APFS partition, or a disk image (UDIF .dmg, .sparseimage) holding either of those.
#pragma once

#include <string>

#include <memory>
#include <utility>

#include "apfs/container.hpp"
#include "apfs/volume.hpp"
#include "inspect/diagnostics.hpp"
#include "inspect/source.hpp"

namespace upscope::apfs {

struct LocatedContainer {
  SourcePtr source;  // the container's bytes (a SliceSource for a partition)
  std::string how;   // "raw container", "gpt partition 1", "udif image, gpt partition 1"
};

// The first APFS container in `file` (partition index > 0 selects one partition).
Result<LocatedContainer> locate_container(SourcePtr file, Diagnostics* diags, uint32_t partition = 0);

// A file on the host opened down to its container: the CLI's `IMAGE[:/path]` inputs.
struct OpenedImage {
  LocatedContainer located;
  std::shared_ptr<Container> container;
};
Result<OpenedImage> open_image(const std::string& path, Diagnostics* diags);
// The same from an opened input (a file, or the plaintext of an AEA archive).
Result<OpenedImage> open_source(SourcePtr file, Diagnostics* diags);

// One volume of an image for commands that work on a single volume: `which` is a name or index;
// empty picks the only volume and fails, naming the count, when there are several.
Result<std::shared_ptr<const Volume>> open_single_volume(const std::string& image, const std::string& which,
                                                         Diagnostics* diags);

// "IMAGE:/path" -> (IMAGE, "/path") when IMAGE exists and the whole argument does not;
// otherwise (arg, "").
std::pair<std::string, std::string> split_image_path(const std::string& arg);

}  // namespace upscope::apfs
