// The entitlements a Mach-O's code signature carries, decoded (docs/formats/entitlements.md).
#pragma once

#include <optional>

#include <nlohmann/json.hpp>

#include "inspect/byte_reader.hpp"
#include "macho/macho.hpp"

namespace upscope::macho {

// The entitlements dictionary: the XML slot's plist when it parses, else the DER slot's; nullopt when
// neither is there or decodes. `sig` is the LC_CODE_SIGNATURE data (cs.dataoff, cs.datasize). Values are
// booleans, integers, reals, strings, arrays and dictionaries; a plist <data> value becomes
// "data:<SHA-256 of its bytes>" (entitlements are compared, not shown).
std::optional<nlohmann::json> entitlements(const CodeSignature& cs, const ByteReader& sig);

}  // namespace upscope::macho
