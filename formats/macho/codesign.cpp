// Embedded code signature (LC_CODE_SIGNATURE): a big-endian SuperBlob of indexed blobs. We read
// the index, every CodeDirectory (primary and alternates) and compute each cdhash: the hash of
// the whole CodeDirectory blob with its own hash type, truncated to 20 bytes (what AMFI and
// trust caches use).
#include <openssl/evp.h>

#include <fmt/format.h>

#include "inspect/hash.hpp"
#include "inspect/text.hpp"
#include "macho/linkedit.hpp"
#include "macho/structs.hpp"

namespace upscope::macho {

namespace {

std::string cdhash_of(uint8_t hash_type, Bytes blob) {
  std::string hex;
  switch (hash_type) {
    case CS_HASHTYPE_SHA1: hex = sha1_hex(blob); break;
    case CS_HASHTYPE_SHA256:
    case CS_HASHTYPE_SHA256_TRUNCATED: hex = sha256_hex(blob); break;
    case CS_HASHTYPE_SHA384: {
      unsigned char md[EVP_MAX_MD_SIZE];
      unsigned int len = 0;
      if (EVP_Digest(blob.data(), blob.size(), md, &len, EVP_sha384(), nullptr) != 1) return {};
      hex = to_hex(Bytes(md, len));
      break;
    }
    default: return {};
  }
  return hex.substr(0, 40);
}

std::optional<CodeDirectory> read_code_directory(ByteReader cd, uint32_t slot, Diagnostics& diags,
                                                 const std::string& where) {
  Cursor c(cd);
  CodeDirectory d;
  d.slot = slot;
  c.u32be();  // magic
  c.u32be();  // length
  d.version = c.u32be();
  d.flags = c.u32be();
  c.u32be();  // hashOffset
  uint32_t ident = c.u32be();
  d.n_special_slots = c.u32be();
  d.n_code_slots = c.u32be();
  d.code_limit = c.u32be();
  d.hash_size = c.u8();
  d.hash_type = c.u8();
  d.platform = c.u8();
  uint8_t page_shift = c.u8();
  c.u32be();  // spare2
  if (!c.ok()) {
    diags.error(cd.base(), where, fmt::format("CodeDirectory is truncated ({} bytes)", cd.size()));
    return std::nullopt;
  }
  d.page_size = page_shift == 0 ? 0 : page_shift < 32 ? (1u << page_shift) : 0;
  uint32_t team = 0;
  if (d.version >= CS_SUPPORTSSCATTER) c.u32be();  // scatterOffset
  if (d.version >= CS_SUPPORTSTEAMID) team = c.u32be();
  if (d.version >= CS_SUPPORTSCODELIMIT64) {
    c.u32be();  // spare3
    uint64_t limit64 = c.u64be();
    if (c.ok() && limit64 != 0) d.code_limit = limit64;
  }
  if (d.version >= CS_SUPPORTSEXECSEG) {
    d.exec_seg_base = c.u64be();
    d.exec_seg_limit = c.u64be();
    d.exec_seg_flags = c.u64be();
  }
  if (!c.ok())
    diags.error(cd.base(), where, fmt::format("CodeDirectory version {:#x} fields run past its {} bytes", d.version, cd.size()));
  auto str = [&](uint32_t off, const char* what) -> std::string {
    if (off == 0) return {};
    auto s = cd.cstring(off);
    if (!s) {
      diags.error(cd.base(), where, fmt::format("{} at +{:#x} is not a string inside the CodeDirectory", what, off));
      return {};
    }
    return std::string(*s);
  };
  d.identifier = str(ident, "identifier");
  d.team_id = str(team, "team id");
  d.cdhash = cdhash_of(d.hash_type, cd.data());
  if (d.cdhash.empty())
    diags.warning(cd.base(), where, fmt::format("unknown hash type {}: no cdhash", d.hash_type));
  return d;
}

}  // namespace

const CodeDirectory* CodeSignature::primary() const {
  for (const auto& cd : code_directories)
    if (cd.hash_type == CS_HASHTYPE_SHA256) return &cd;
  return code_directories.empty() ? nullptr : &code_directories.front();
}

std::optional<CodeSignature> read_code_signature(ByteReader blob, Diagnostics& diags, const std::string& structure) {
  CodeSignature sig;
  Cursor c(blob);
  sig.superblob_magic = c.u32be();
  const uint32_t length = c.u32be(), count = c.u32be();
  if (!c.ok()) {
    diags.error(blob.base(), structure, fmt::format("SuperBlob header is truncated ({} bytes)", blob.size()));
    return std::nullopt;
  }
  if (sig.superblob_magic != CSMAGIC_EMBEDDED_SIGNATURE) {
    diags.error(blob.base(), structure, fmt::format("SuperBlob magic is {:#010x}, expected 0xfade0cc0", sig.superblob_magic));
    return sig;
  }
  if (length > blob.size())
    diags.error(blob.base(), structure, fmt::format("SuperBlob length {} exceeds the {}-byte signature data", length, blob.size()));
  ByteReader sb = *blob.sub(0, std::min<uint64_t>(length, blob.size()));
  if (!sb.has(12, uint64_t(count) * 8)) {
    diags.error(blob.base(), structure, fmt::format("SuperBlob index of {} entries runs past its {} bytes", count, sb.size()));
    return sig;
  }
  for (uint32_t i = 0; i < count; ++i) {
    CodeSignature::Blob b{*sb.u32be(12 + i * 8ull), *sb.u32be(16 + i * 8ull), 0, 0};
    const std::string where = fmt::format("{} blob {} (slot {:#x})", structure, i, b.type);
    auto magic = sb.u32be(b.offset);
    auto len = sb.u32be(uint64_t(b.offset) + 4);
    if (!magic || !len) {
      diags.error(blob.base() + std::min<uint64_t>(b.offset, sb.size()), where,
                  fmt::format("blob offset {:#x} is past the end of the SuperBlob", b.offset));
      continue;
    }
    b.magic = *magic;
    b.length = *len;
    sig.blobs.push_back(b);
    auto body = sb.sub(b.offset, b.length);
    if (!body || b.length < 8) {
      diags.error(blob.base() + b.offset, where, fmt::format("blob length {} runs past the end of the SuperBlob", b.length));
      continue;
    }
    const bool cd_slot = b.type == CSSLOT_CODEDIRECTORY ||
                         (b.type >= CSSLOT_ALTERNATE_CODEDIRECTORIES &&
                          b.type < CSSLOT_ALTERNATE_CODEDIRECTORIES + CSSLOT_ALTERNATE_CODEDIRECTORY_MAX);
    if (cd_slot) {
      if (b.magic != CSMAGIC_CODEDIRECTORY) {
        diags.error(blob.base() + b.offset, where, fmt::format("CodeDirectory slot holds magic {:#010x}", b.magic));
        continue;
      }
      if (auto cd = read_code_directory(*body, b.type, diags, where)) sig.code_directories.push_back(std::move(*cd));
    } else if (b.type == CSSLOT_SIGNATURESLOT) {
      sig.has_cms = b.length > 8;
    } else if (b.type == CSSLOT_ENTITLEMENTS) {
      sig.entitlements_size = b.length - 8;
    }
  }
  return sig;
}

}  // namespace upscope::macho
