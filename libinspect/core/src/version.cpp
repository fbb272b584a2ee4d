#include "inspect/version.hpp"

namespace upscope {
const char* version() { return UPSCOPE_VERSION; }
}  // namespace upscope
