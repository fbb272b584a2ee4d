#pragma once
#include <optional>
#include "inspect/probe.hpp"

namespace upscope::img4 {
// Image4 DER containers: SEQUENCE { IA5String "IMG4" | "IM4P" | "IM4M" | "IM4R" | "IM4C", ... }.
std::optional<Identification> probe(const ProbeInput& in);

// The DER tags both container walks (img4.cpp, im4p.cpp) look for.
constexpr uint8_t kDerSequence = 0x30, kDerIa5String = 0x16, kDerOctetString = 0x04, kDerInteger = 0x02;

// One DER tag-length header: tag byte, header length and content length, bounds-checked.
struct DerHeader { uint8_t tag; uint64_t header_length; uint64_t length; };
Result<DerHeader> read_der_header(const ByteReader& r, uint64_t off);
}  // namespace upscope::img4
