// AEA-wrapped images of a build: real macOS 15+ IPSWs ship the OS cryptex as "<name>.dmg.aea", the
// dmg inside an Apple Encrypted Archive (docs/formats/aea.md). With the key the user gave for it, the
// plaintext is read as the dmg would be; without one, the image stays not analysed, saying which key
// is missing and where Apple publishes it.
#pragma once

#include <string>

#include "analysis/inventory.hpp"
#include "inspect/source.hpp"

namespace upscope::build {

// The plaintext of `src` (found as `name`), decrypted on demand, with the key given for its file name
// (InventoryOptions::aea_keys), else the default key; a signed-only archive (profile 0) needs none.
// The error says what is missing and how to give it.
Result<SourcePtr> open_aea_image(const std::string& name, const SourcePtr& src, const InventoryOptions& opt);

}  // namespace upscope::build
