// Decoders for LINKEDIT blobs, shared by the thin-image reader (and later the dyld-cache and
// kernel-collection readers, whose blobs live in a shared LINKEDIT). Each takes the blob's bytes,
// reports problems under `structure` and returns what it could read.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "inspect/byte_reader.hpp"
#include "inspect/diagnostics.hpp"
#include "macho/macho.hpp"

namespace upscope::macho {

// ULEB128 deltas, the first from base_vmaddr (the __TEXT vmaddr), to a 0 terminator.
std::vector<uint64_t> read_function_starts(ByteReader blob, uint64_t base_vmaddr, Diagnostics& diags,
                                           const std::string& structure);
// dyld_chained_fixups_header, starts_in_image / starts_in_segment, import names.
std::optional<ChainedFixups> read_chained_fixups(ByteReader blob, Diagnostics& diags, const std::string& structure);
// Embedded signature SuperBlob (big-endian): blob index, CodeDirectories with their cdhashes.
std::optional<CodeSignature> read_code_signature(ByteReader blob, Diagnostics& diags, const std::string& structure);

}  // namespace upscope::macho
