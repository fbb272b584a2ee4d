#pragma once
#include <optional>
#include "inspect/probe.hpp"

namespace upscope::udif {
// UDIF: a 512-byte `koly` trailer in the last 512 bytes of the file.
std::optional<Identification> probe(const ProbeInput& in);
// Encrypted disk images: `encrcdsa` at the start (v2) or `cdsaencr` at the end (v1).
std::optional<Identification> probe_encrypted(const ProbeInput& in);
// .sparseimage: `sprs` at the start.
std::optional<Identification> probe_sparse(const ProbeInput& in);
}  // namespace upscope::udif
