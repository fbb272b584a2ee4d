// What a reader could not look into (an encrypted member, an unreadable image, a file of unknown
// purpose): a fact readers report, so that analysis never answers "nothing changed" over it.
#pragma once

#include <string>

namespace upscope {

struct NotAnalysed {
  std::string path;
  std::string reason;
};

}  // namespace upscope
