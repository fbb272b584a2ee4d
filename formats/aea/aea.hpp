// Apple Encrypted Archive (AEA1) reader (docs/formats/aea.md): the file header and auth data of
// every profile (no key needed), then, with what the profile needs (nothing for profile 0, the
// symmetric key, the recipient's private key or the password), the signature, the root header and
// the HMAC-chained clusters of segments. The plaintext is a Source that decrypts, checks and
// decompresses segments on demand, so a multi-GB .dmg.aea can be read by the UDIF reader without a
// temporary file. Readers never print.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "inspect/diagnostics.hpp"
#include "inspect/result.hpp"
#include "inspect/source.hpp"

namespace upscope::aea {

struct ProfileInfo {
  uint32_t id;
  const char* name;     // "hkdf_sha256_aesctr_hmac__symmetric__none"
  const char* summary;  // "symmetric key encryption, not signed"
  bool encrypted, is_signed;
  uint64_t signature_size;     // 0, 128 or 160 (§4)
  uint64_t key_material_size;  // 0, 32 (profile 0's key) or 65 (the sender's public key)
  const char* needs;           // what decryption needs: "nothing", "the 32-byte symmetric key", ...
};
// nullptr for an id outside 0..5.
const ProfileInfo* profile_info(uint32_t id);

// One decoded certificate of the auth data's AppleIDCertificateChain.
struct CertificateInfo {
  std::string subject, issuer, not_before, not_after, key_type;
};

struct AuthData {
  enum class Kind { kEmpty, kPlist, kKeyValue, kBlob };
  Kind kind = Kind::kEmpty;
  uint64_t offset = 12, size = 0;
  std::vector<uint8_t> bytes;                         // the raw auth data (the root header's HMAC covers it)
  nlohmann::ordered_json plist;                       // kPlist: the tree; data values as {"data": hex}
  std::vector<std::pair<std::string, std::string>> pairs;  // kKeyValue: key, value (raw bytes)
  std::string key_url;                                // com.apple.wkms.fcs-key-url, when present
  std::optional<std::vector<uint8_t>> signing_public_key;  // plist SigningPublicKey (65 bytes)
  std::vector<std::vector<uint8_t>> certificates;     // plist AppleIDCertificateChain, DER
  std::vector<CertificateInfo> certificate_info;      // the same, decoded (OpenSSL)
  std::optional<std::vector<uint8_t>> signing_key_signature;  // plist SigningPublicKeySignature
  std::string note;  // why a blob that looked like a plist or records was kept opaque
};

// Where each prologue section is, which the profile alone decides (§4).
struct Layout {
  uint64_t signature = 0, signature_size = 0;
  uint64_t key_material = 0, key_material_size = 0;
  uint64_t salt = 0, root_mac = 0, root_header = 0, first_cluster_mac = 0, clusters = 0;
};

struct Header {
  uint32_t profile = 0;
  uint8_t scrypt_strength = 0;
  const ProfileInfo* info = nullptr;
  AuthData auth;
  Layout layout;
  uint64_t file_size = 0;
};

// The header, the auth data and the prologue layout. Never needs a key. Errors name the rule
// broken: the magic, an unknown profile, the strength, the auth data or the prologue past the end.
Result<Header> read_header(const Source& src);

// What opening an encrypted profile needs (§5). The signing public key of profiles 0, 2 and 4 comes
// from the auth data's SigningPublicKey when not given.
struct Keys {
  std::optional<std::vector<uint8_t>> symmetric;  // profiles 1, 2: exactly 32 bytes
  std::string recipient_private_pem;               // profiles 3, 4: the recipient's P-256 key
  std::optional<std::string> password;             // profile 5
  std::optional<std::vector<uint8_t>> signing_public_key;  // 65-byte uncompressed P-256 point
  bool empty() const { return !symmetric && recipient_private_pem.empty() && !password && !signing_public_key; }
};
// --key BASE64 (32 bytes), --key-file PATH (32 raw bytes, base64 text, or a PEM EC private key).
Result<Keys> keys_from_base64(std::string_view text);
Result<Keys> keys_from_file(const std::string& path);
Result<std::string> password_from_file(const std::string& path);  // its first line

struct RootHeader {
  uint64_t plain_size = 0, container_size = 0;
  uint32_t segment_size = 0, segments_per_cluster = 0;
  char compression = '-';
  uint8_t checksum = 0;
};
std::string compression_name(char c);  // 'e' -> "lzfse"
std::string checksum_name(uint8_t c);  // 2 -> "sha256"
uint64_t checksum_size(uint8_t c);     // 0, 8 or 32

struct Segment {
  uint32_t cluster = 0, index = 0;  // index within its cluster
  uint64_t data_offset = 0;         // of its stored bytes in the file
  uint32_t stored_size = 0, plain_size = 0;
  uint64_t plain_offset = 0;        // in the plaintext
  std::array<uint8_t, 32> mac{};
  std::array<uint8_t, 32> checksum{};  // the first checksum_size() bytes
};

struct Cluster {
  uint32_t index = 0;
  uint64_t offset = 0;          // of its segment headers
  uint64_t header_size = 0;     // segment headers + next MAC + segment MACs
  uint32_t segments = 0;        // non-empty ones
  uint64_t stored_bytes = 0, plain_bytes = 0;
};

// What was checked at open, for reports: each a short verdict ("verified", "not checked: ...").
struct Checks {
  std::string signature;          // the archive's ECDSA signature
  std::string signing_key_source; // "auth data (SigningPublicKey)", "given", ""
  bool macs = false;              // the HMAC chain is checkable (the main key is known)
  bool root_header_mac = false;
  uint32_t cluster_header_macs = 0;
  std::string padding;            // "none", "verified", "does not match ..."
  std::string signing_key_signature;  // Shortcuts: SigningPublicKeySignature by the first certificate
  std::string certificate_chain;      // Shortcuts: first certificate signed by the second
};

struct KeySchedule;  // the main key and what is derived from it (aea.cpp)

struct Archive {
  Header header;
  RootHeader root;
  std::vector<Cluster> clusters;
  std::vector<Segment> segments;  // non-empty segments, in plaintext order
  uint64_t data_end = 0;          // end of the last cluster
  uint64_t padding = 0;           // bytes after it
  Checks checks;
  Diagnostics diagnostics;
  std::shared_ptr<const KeySchedule> keys;
};

// Opens the archive: derives the keys, checks the signature and the root header and walks every
// cluster header (each HMAC checked). Segment data is not read. Fails when the profile needs a key
// that `keys` lacks (kUnsupported, naming it), when a key is wrong (the root header's HMAC), or when a
// rule of §7 is broken; a signature that does not verify is an error diagnostic.
Result<std::shared_ptr<const Archive>> open(SourcePtr file, const Keys& keys = {});

// One segment decoded: HMAC checked (when checkable), decrypted, decompressed, checksum checked.
// `checksum_passed`: this segment's plaintext checksum passed before, in this process. When its HMAC
// is checked again now, the same authenticated bytes decode to the same plaintext, so the checksum
// is not computed again (a dyld cache read twice through an AEA: docs/reading.md). Without a
// checkable HMAC the checksum is always computed.
Result<std::vector<uint8_t>> decode_segment(const Archive& a, const Source& file, size_t i,
                                            bool checksum_passed = false);

// The plaintext as a Source: segments decoded on demand, a few kept in an LRU cache.
class PlainSource final : public Source {
 public:
  PlainSource(std::shared_ptr<const Archive> archive, SourcePtr file, size_t cache_segments = 8);
  uint64_t size() const override;
  std::string name() const override;
  Status read_at(uint64_t off, std::span<uint8_t> out) const override;
  const Archive& archive() const { return *archive_; }
  const SourcePtr& file() const { return file_; }  // the AEA file itself
  // Segments decoded (and so checked) so far, and whether every one has been.
  uint64_t segments_checked() const { return checked_.load(); }

 private:
  struct Cache;
  std::shared_ptr<const std::vector<uint8_t>> segment(size_t i, Status& st) const;
  std::shared_ptr<const Archive> archive_;
  SourcePtr file_;
  std::shared_ptr<Cache> cache_;
  mutable std::atomic<uint64_t> checked_{0};
  std::unique_ptr<std::atomic<bool>[]> checksum_passed_;  // per segment, for decode_segment
};

// The lead's entry point: the plaintext of an AEA file as a Source (see open()).
Result<SourcePtr> open_decrypted(SourcePtr file, const Keys& keys);
Result<std::shared_ptr<const PlainSource>> open_plaintext(SourcePtr file, const Keys& keys);

// Decodes every segment in order (on `jobs` threads) and hands the plaintext to `sink`.
// Stops at the first segment that fails a check, naming it.
Status stream_plaintext(const Archive& a, const SourcePtr& file, unsigned jobs,
                        const std::function<Status(Bytes)>& sink);

nlohmann::ordered_json to_json(const Header& h);
nlohmann::ordered_json to_json(const Archive& a);
// Indented text for `upscope inspect` (each line starts with two spaces).
std::string to_text(const Header& h);
std::string to_text(const Archive& a);

// Releases [off, off + n) of a mapped file and the 64 KiB on either side, which the kernel may have
// mapped around a fault there; a neighbour still being read just faults them back.
inline void release_around(const Source& file, uint64_t off, uint64_t n) {
  constexpr uint64_t kFaultAround = 64u << 10;
  const uint64_t from = off > kFaultAround ? off - kFaultAround : 0;
  file.release(from, off - from + n + kFaultAround);
}

}  // namespace upscope::aea
