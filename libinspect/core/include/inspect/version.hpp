#pragma once

namespace upscope {
// The tool version stamped into every JSON document and printed by --version.
const char* version();
}  // namespace upscope
