// The AEA file header, the profile table and the prologue layout (docs/formats/aea.md §1, §2, §4).
#include <fmt/format.h>

#include "aea/aea.hpp"
#include "aea/auth_data.hpp"
#include "aea/structs.hpp"
#include "inspect/checked.hpp"
#include "inspect/text.hpp"

namespace upscope::aea {

namespace {

constexpr ProfileInfo kProfiles[] = {
    {0, "hkdf_sha256_hmac__none__ecdsa_p256", "signed, not encrypted", false, true, 128, 32, "nothing (not encrypted)"},
    {1, "hkdf_sha256_aesctr_hmac__symmetric__none", "symmetric key encryption, not signed", true, false, 0, 0,
     "the 32-byte symmetric archive key"},
    {2, "hkdf_sha256_aesctr_hmac__symmetric__ecdsa_p256", "symmetric key encryption, signed", true, true, 160, 0,
     "the 32-byte symmetric archive key and the signing public key"},
    {3, "hkdf_sha256_aesctr_hmac__ecdhe_p256__none", "ECDHE P-256 public key encryption, not signed", true, false, 0,
     65, "the recipient's P-256 private key"},
    {4, "hkdf_sha256_aesctr_hmac__ecdhe_p256__ecdsa_p256", "ECDHE P-256 public key encryption, signed", true, true,
     160, 65, "the recipient's P-256 private key and the signing public key"},
    {5, "hkdf_sha256_aesctr_hmac__scrypt__none", "password (scrypt) encryption, not signed", true, false, 0, 0,
     "the password"},
};

}  // namespace

const ProfileInfo* profile_info(uint32_t id) { return id < std::size(kProfiles) ? &kProfiles[id] : nullptr; }

std::string compression_name(char c) {
  switch (c) {
    case '-': return "none";
    case '4': return "lz4";
    case 'b': return "lzbitmap";
    case 'e': return "lzfse";
    case 'f': return "lzvn";
    case 'x': return "lzma";
    case 'z': return "zlib";
    default: return "unknown";
  }
}

std::string checksum_name(uint8_t c) {
  switch (c) {
    case kChecksumNone: return "none";
    case kChecksumMurmur: return "murmur64";
    case kChecksumSha256: return "sha256";
    default: return "unknown";
  }
}

uint64_t checksum_size(uint8_t c) { return c == kChecksumMurmur ? 8 : c == kChecksumSha256 ? 32 : 0; }

Result<Header> read_header(const Source& src) {
  Header h;
  h.file_size = src.size();
  if (src.size() < kFileHeaderSize)
    return fail(ErrorCode::kTruncated, "AEA header",
                fmt::format("the file has {} bytes; the header needs {}", src.size(), kFileHeaderSize), 0);
  std::vector<uint8_t> scratch;
  UPSCOPE_TRY(ByteReader r, src.view(0, kFileHeaderSize, scratch, "AEA header"));
  if (!r.starts_with("AEA1"))
    return fail(ErrorCode::kMalformed, "AEA header", fmt::format("magic is '{}', not 'AEA1'", printable(r.data().first(4))), 0);
  const uint32_t word = *r.u32le(4);
  h.profile = word & 0xffffff;
  h.scrypt_strength = static_cast<uint8_t>(word >> 24);
  h.info = profile_info(h.profile);
  if (!h.info)
    return fail(ErrorCode::kMalformed, "AEA header", fmt::format("unknown profile {} (AEA defines profiles 0 to 5)", h.profile), 4);
  if (h.scrypt_strength > 3)
    return fail(ErrorCode::kMalformed, "AEA header", fmt::format("scrypt strength {} is not 0 to 3", h.scrypt_strength), 7);
  const uint32_t auth_size = *r.u32le(8);
  if (!range_fits(kFileHeaderSize, auth_size, src.size()))
    return fail(ErrorCode::kTruncated, "AEA auth data",
                fmt::format("{} bytes run past the end of the {}-byte file", auth_size, src.size()), kFileHeaderSize);
  UPSCOPE_TRY(h.auth.bytes, src.read_vector(kFileHeaderSize, auth_size));
  h.auth.offset = kFileHeaderSize;
  h.auth.size = auth_size;
  decode_auth_data(h.auth);

  Layout& l = h.layout;
  l.signature = kFileHeaderSize + auth_size;
  l.signature_size = h.info->signature_size;
  l.key_material = l.signature + l.signature_size;
  l.key_material_size = h.info->key_material_size;
  l.salt = l.key_material + l.key_material_size;
  l.root_mac = l.salt + kSaltSize;
  l.root_header = l.root_mac + kMacSize;
  l.first_cluster_mac = l.root_header + kRootHeaderSize;
  l.clusters = l.first_cluster_mac + kMacSize;
  if (l.clusters > src.size())
    return fail(ErrorCode::kTruncated, "AEA prologue",
                fmt::format("profile {} needs {} bytes after the auth data; the file has {}", h.profile,
                            l.clusters - l.signature, src.size() - l.signature),
                l.signature);
  return h;
}

}  // namespace upscope::aea
