#pragma once

#include <map>
#include <string>

#include "inspect/byte_reader.hpp"
#include "macho/macho.hpp"

namespace upscope::build {
// name -> normalised code hash for every function of a Mach-O image (function starts, else symbol
// addresses, inside executable sections), named from its symbols and exports. `file` is the view
// the image's file offsets are relative to (the image itself, or the whole kernel collection).
std::map<std::string, std::string> function_hashes(const macho::MachO& m, const ByteReader& file);
}  // namespace upscope::build
