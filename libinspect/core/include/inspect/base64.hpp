// Base64 text (the standard alphabet, '=' padding at the end, white space anywhere ignored), as
// property lists' <data> and AEA key files hold it.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace upscope {

// The decoded bytes; nullopt for a character outside the alphabet or anything after the padding.
std::optional<std::vector<uint8_t>> decode_base64(std::string_view text);

}  // namespace upscope
