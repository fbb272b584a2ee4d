// Apple Archive (AA01 / legacy YAA1) entry header, docs/formats/ota.md §6 (Apple's
// AppleArchive.h field-type letters). Little-endian; fields are 4-byte tags: 3-char key + subtype.
#pragma once

#include <cstdint>

#include "aa/aa.hpp"  // FieldKind

namespace upscope::aa {

inline constexpr uint32_t kMagicAA01 = 0x31304141;  // "AA01"
inline constexpr uint32_t kMagicYAA1 = 0x31414159;  // "YAA1"
// magic (4) + u16 header_size; header_size counts these 6 bytes, so a value <= 5 is invalid and
// 6 is an entry without fields.
inline constexpr uint64_t kEntryPrefix = 6;

// Bytes the value occupies in the header for a fixed-size subtype (strings read their u16 length).
struct SubtypeInfo {
  FieldKind kind;
  uint8_t size;
};
// false for an unknown subtype letter.
inline bool subtype_info(char st, SubtypeInfo& out) {
  switch (st) {
    case '*': out = {FieldKind::kFlag, 0}; return true;
    case '1': out = {FieldKind::kUint, 1}; return true;
    case '2': out = {FieldKind::kUint, 2}; return true;
    case '4': out = {FieldKind::kUint, 4}; return true;
    case '8': out = {FieldKind::kUint, 8}; return true;
    case 'A': out = {FieldKind::kBlob, 2}; return true;
    case 'B': out = {FieldKind::kBlob, 4}; return true;
    case 'C': out = {FieldKind::kBlob, 8}; return true;
    case 'F': out = {FieldKind::kHash, 4}; return true;   // CRC32
    case 'G': out = {FieldKind::kHash, 20}; return true;  // SHA-1
    case 'H': out = {FieldKind::kHash, 32}; return true;  // SHA-256
    case 'I': out = {FieldKind::kHash, 48}; return true;  // SHA-384
    case 'J': out = {FieldKind::kHash, 64}; return true;  // SHA-512
    case 'S': out = {FieldKind::kTimeS, 8}; return true;
    case 'T': out = {FieldKind::kTimeT, 12}; return true;
    case 'P': out = {FieldKind::kString, 2}; return true;  // u16 length, then the bytes
    default: return false;
  }
}

}  // namespace upscope::aa
