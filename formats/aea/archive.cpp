// Opening an AEA file (docs/formats/aea.md §4-§7): the main key from what the profile needs, the
// root header and its HMAC, the signature, then every cluster header along the HMAC chain.
#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "aea/aea.hpp"
#include "aea/schedule.hpp"
#include "aea/structs.hpp"
#include "inspect/checked.hpp"
#include "inspect/limits.hpp"
#include "inspect/text.hpp"

namespace upscope::aea {

Status KeySchedule::derive(Bytes ikm, std::string_view prefix, const uint32_t* index, std::span<uint8_t> out) {
  uint8_t info[16];
  std::memcpy(info, prefix.data(), prefix.size());
  size_t n = prefix.size();
  if (index) {
    for (int i = 0; i < 4; ++i) info[n++] = static_cast<uint8_t>(*index >> (8 * i));
  }
  return crypto::hkdf_sha256(ikm, {}, Bytes(info, n), out);
}

Result<DataKey> KeySchedule::data_key(Bytes ikm, std::string_view info, const uint32_t* index) const {
  DataKey k;
  k.size = data_key_size;
  UPSCOPE_CHECK(derive(ikm, info, index, std::span<uint8_t>(k.bytes.data(), k.size)));
  return k;
}

Result<std::array<uint8_t, 32>> KeySchedule::cluster_key(uint32_t cluster) const {
  std::array<uint8_t, 32> k{};
  UPSCOPE_CHECK(derive(main_key, "AEA_CK", &cluster, k));
  return k;
}

Result<DataKey> KeySchedule::signature_key() const {
  std::array<uint8_t, 32> sek{};
  UPSCOPE_CHECK(derive(main_key, "AEA_SEK", nullptr, sek));
  return data_key(sek, "AEA_SEK2");
}

Result<std::array<uint8_t, 32>> KeySchedule::padding_key() const {
  std::array<uint8_t, 32> k{};
  UPSCOPE_CHECK(derive(main_key, "AEA_PAK", nullptr, k));
  return k;
}

Status decrypt(const DataKey& k, std::span<uint8_t> data) {
  if (!k.encrypts() || data.empty()) return {};
  return crypto::aes256_ctr(k.aes(), k.iv(), data, data);
}

namespace {

const char* kRoot = "AEA root header";

std::string profile_text(const Header& h) { return fmt::format("profile {} ({})", h.profile, h.info->summary); }

// The main key's input keying material and info (§5), from the file and what the user gave.
struct MainKeyInput {
  std::vector<uint8_t> ikm, info, salt;
  std::optional<std::vector<uint8_t>> signing_key;
};

Result<MainKeyInput> main_key_input(const Header& h, const Source& file, const Keys& keys, Checks& checks) {
  MainKeyInput in;
  const Layout& l = h.layout;
  UPSCOPE_TRY(in.salt, file.read_vector(l.salt, kSaltSize));
  UPSCOPE_TRY(auto material, file.read_vector(l.key_material, l.key_material_size));
  in.info.assign({'A', 'E', 'A', '_', 'A', 'M', 'K'});
  UPSCOPE_TRY(auto header, file.read_vector(4, 4));
  in.info.insert(in.info.end(), header.begin(), header.end());

  auto needs = [&](std::string what) -> Unexpected {
    std::string rule = fmt::format("{} is encrypted: reading it needs {}", profile_text(h), what);
    if (!h.auth.key_url.empty()) rule += fmt::format(" (the auth data names its key URL: {})", h.auth.key_url);
    return fail(ErrorCode::kUnsupported, "AEA prologue", rule, h.layout.signature);
  };

  if (h.info->is_signed) {
    if (keys.signing_public_key) {
      in.signing_key = keys.signing_public_key;
      checks.signing_key_source = "given";
    } else if (h.auth.signing_public_key) {
      in.signing_key = h.auth.signing_public_key;
      checks.signing_key_source = "auth data (SigningPublicKey)";
    }
    if (in.signing_key && in.signing_key->size() != kPublicKeySize)
      return fail(ErrorCode::kMalformed, "AEA signing public key",
                  fmt::format("{} bytes, not a 65-byte uncompressed P-256 point", in.signing_key->size()),
                  checks.signing_key_source == "given" ? std::nullopt : std::optional<uint64_t>(h.auth.offset));
  }

  switch (h.profile) {
    case 0: in.ikm = std::move(material); break;
    case 1:
    case 2:
      if (!keys.symmetric) return needs("the 32-byte symmetric archive key");
      if (h.profile == 2 && !in.signing_key)
        return needs("the signing public key as well as the symmetric key (the auth data has no SigningPublicKey)");
      in.ikm = *keys.symmetric;
      break;
    case 3:
    case 4: {
      if (keys.recipient_private_pem.empty()) return needs("the recipient's P-256 private key (PEM)");
      if (h.profile == 4 && !in.signing_key)
        return needs("the signing public key as well as the private key (the auth data has no SigningPublicKey)");
      UPSCOPE_TRY(auto priv, crypto::p256_private_key_from_pem(keys.recipient_private_pem));
      UPSCOPE_TRY(auto recipient, crypto::p256_public_point(*priv));
      auto shared = crypto::ecdh_p256(*priv, material);
      if (!shared)
        return fail(ErrorCode::kMalformed, "AEA sender public key", shared.error().rule, l.key_material);
      in.ikm = std::move(*shared);
      in.info.insert(in.info.end(), material.begin(), material.end());
      in.info.insert(in.info.end(), recipient.begin(), recipient.end());
      break;
    }
    case 5: {
      if (!keys.password) return needs("the password");
      std::array<uint8_t, 64> ext{};
      UPSCOPE_CHECK(KeySchedule::derive(in.salt, "AEA_SCRYPT", nullptr, ext));
      UPSCOPE_TRY(in.ikm, crypto::scrypt32(*keys.password, Bytes(ext.data(), 32), uint64_t{0x4000} << (2 * h.scrypt_strength)));
      in.salt.assign(ext.begin() + 32, ext.end());
      break;
    }
    default: break;
  }
  if (in.signing_key) in.info.insert(in.info.end(), in.signing_key->begin(), in.signing_key->end());
  return in;
}

Result<RootHeader> parse_root(Bytes plain, uint64_t at, uint64_t file_size) {
  ByteReader r(plain, at, kRoot);
  RootHeader root;
  root.plain_size = *r.u64le(0);
  root.container_size = *r.u64le(8);
  root.segment_size = *r.u32le(16);
  root.segments_per_cluster = *r.u32le(20);
  root.compression = static_cast<char>(*r.u8(24));
  root.checksum = *r.u8(25);
  if (root.segment_size == 0) return fail(ErrorCode::kMalformed, kRoot, "segment size is 0", at + 16);
  if (root.segment_size > kMaxSegmentSize)
    return fail(ErrorCode::kLimit, kRoot,
                fmt::format("segment size {} is over upscope's limit of {}", root.segment_size, human_size(kMaxSegmentSize)),
                at + 16);
  if (root.segments_per_cluster == 0) return fail(ErrorCode::kMalformed, kRoot, "segments per cluster is 0", at + 20);
  if (compression_name(root.compression) == "unknown")
    return fail(ErrorCode::kMalformed, kRoot,
                fmt::format("compression '{}' is not one of - 4 b e f x z", printable(plain.subspan(24, 1))), at + 24);
  if (root.checksum > kChecksumSha256)
    return fail(ErrorCode::kMalformed, kRoot,
                fmt::format("checksum {} is not 0 (none), 1 (MurmurHash64A) or 2 (SHA-256)", root.checksum), at + 25);
  for (uint64_t i = kRootReservedOffset; i < kRootHeaderSize; ++i)
    if (plain[i] != 0)
      return fail(ErrorCode::kMalformed, kRoot, fmt::format("reserved byte {} is not zero", i), at + i);
  if (root.container_size > file_size)
    return fail(ErrorCode::kTruncated, kRoot,
                fmt::format("the archive is {} bytes, the file only {}: truncated", root.container_size, file_size), at + 8);
  return root;
}

// The signature (§4): decrypted and MAC-checked for encrypting profiles, then ECDSA-verified over
// the prologue with the signature section zeroed.
void check_signature(Archive& a, const Source& file, const MainKeyInput& in) {
  const Layout& l = a.header.layout;
  Checks& c = a.checks;
  auto sig = file.read_vector(l.signature, l.signature_size);
  auto prologue = file.read_vector(0, l.clusters);
  if (!sig || !prologue) {
    c.signature = "not checked: unreadable";
    return;
  }
  std::vector<uint8_t> der(sig->begin(), sig->begin() + kSignatureSize);
  if (a.header.info->encrypted) {
    auto k = a.keys->signature_key();
    auto mac = k ? crypto::aea_mac(k->mac(), der, {}) : Result<crypto::Mac>(fail(k.error()));
    if (!mac || !crypto::equal(*mac, Bytes(*sig).subspan(kSignatureSize, kMacSize))) {
      c.signature = "failed: its HMAC does not match";
      a.diagnostics.error(l.signature + kSignatureSize, "AEA signature", "HMAC of the encrypted signature does not match");
      return;
    }
    if (!decrypt(*k, der)) {
      c.signature = "not checked: decryption failed";
      return;
    }
  }
  if (std::all_of(der.begin(), der.end(), [](uint8_t b) { return b == 0; })) {
    c.signature = "absent: the signature is all zeros (written unsigned, to be signed later)";
    a.diagnostics.warning(l.signature, "AEA signature", "the signature is all zeros: the archive was never signed");
    return;
  }
  // A DER SEQUENCE with a one-byte length: an ECDSA P-256 signature is at most 72 bytes.
  if (der[0] != 0x30 || der[1] >= 0x80 || der[1] + 2u > kSignatureSize) {
    c.signature = "failed: not a DER ECDSA signature";
    a.diagnostics.error(l.signature, "AEA signature", "not a DER ECDSA signature (a SEQUENCE of at most 126 bytes)");
    return;
  }
  const size_t len = der[1] + 2u;
  if (std::any_of(der.begin() + static_cast<ptrdiff_t>(len), der.end(), [](uint8_t b) { return b != 0; }))
    a.diagnostics.warning(l.signature + len, "AEA signature", "the bytes after the DER signature are not zero");
  if (!in.signing_key) {
    c.signature = "not checked: no signing public key (the auth data has no SigningPublicKey)";
    return;
  }
  std::fill(prologue->begin() + static_cast<ptrdiff_t>(l.signature),
            prologue->begin() + static_cast<ptrdiff_t>(l.signature + l.signature_size), 0);
  auto ok = crypto::ecdsa_p256_verify(*in.signing_key, Bytes(der.data(), len), *prologue);
  if (!ok) {
    c.signature = "failed: " + ok.error().rule;
    a.diagnostics.error(l.signature, "AEA signature", "the signing public key " + ok.error().rule);
  } else if (*ok) {
    c.signature = "verified (ECDSA P-256, SHA-256 of the prologue) with the " + c.signing_key_source + " key";
  } else {
    c.signature = "failed: does not verify with the " + c.signing_key_source + " key";
    a.diagnostics.error(l.signature, "AEA signature",
                        "the ECDSA signature does not verify with the " + c.signing_key_source + " key");
  }
}

// Shortcuts: the signing key's RSA-PSS signature by the Apple ID certificate, and that certificate's
// signature by the next one in the chain (Apple's root is not shipped, so the chain stops there).
void check_identity(Archive& a) {
  const AuthData& au = a.header.auth;
  Checks& c = a.checks;
  if (!au.signing_key_signature || !au.signing_public_key || au.certificates.empty()) return;
  auto ok = crypto::rsa_pss_sha256_verify(au.certificates[0], *au.signing_key_signature, *au.signing_public_key);
  if (!ok) {
    c.signing_key_signature = "not checked: " + ok.error().rule;
  } else if (*ok) {
    c.signing_key_signature = "verified (RSA-PSS SHA-256 by the first certificate of AppleIDCertificateChain)";
  } else {
    c.signing_key_signature = "failed: does not verify with the first certificate of AppleIDCertificateChain";
    a.diagnostics.warning(au.offset, "AEA auth data", "SigningPublicKeySignature does not verify with the first certificate");
  }
  if (au.certificates.size() < 2) return;
  auto chained = crypto::certificate_signed_by(au.certificates[0], au.certificates[1]);
  if (!chained) {
    c.certificate_chain = "not checked: " + chained.error().rule;
  } else if (*chained) {
    c.certificate_chain = "first certificate signed by the second; the second's issuer (" + au.certificate_info[1].issuer +
                          ") not checked: upscope ships no Apple root certificate";
  } else {
    c.certificate_chain = "failed: the first certificate is not signed by the second";
    a.diagnostics.warning(au.offset, "AEA auth data", "the first certificate is not signed by the second");
  }
}

// Walks the clusters from the end of the prologue (§7). Each cluster header is HMAC-checked against
// the previous link of the chain, decrypted, and its segments checked and placed.
Status walk(Archive& a, const Source& file, crypto::Mac expected) {
  const RootHeader& root = a.root;
  const uint64_t csize = checksum_size(root.checksum);
  const uint64_t hsize = kSegmentHeaderFixed + csize;
  const uint64_t spc = root.segments_per_cluster;
  const uint64_t block = spc * (hsize + kMacSize) + kMacSize;  // spc < 2^32: no overflow
  uint64_t pos = a.header.layout.clusters, plain = 0;
  bool last_short = false;
  uint64_t short_at = 0;
  for (uint32_t c = 0; plain < root.plain_size; ++c) {
    const std::string where = fmt::format("AEA cluster {}", c);
    if (!range_fits(pos, block, file.size()))
      return fail(ErrorCode::kTruncated, where,
                  fmt::format("its header ({} bytes) runs past the end of the {}-byte file", block, file.size()), pos);
    UPSCOPE_TRY(std::vector<uint8_t> head, file.read_vector(pos, block));
    // Copied: its pages can go (a small-segment archive otherwise keeps a quarter of its file resident).
    release_around(file, pos, block);
    Bytes headers(head.data(), spc * hsize), next(head.data() + spc * hsize, kMacSize),
        macs(head.data() + spc * hsize + kMacSize, spc * kMacSize);
    UPSCOPE_TRY(auto ckey, a.keys->cluster_key(c));
    UPSCOPE_TRY(DataKey chk, a.keys->cluster_header_key(ckey));
    if (a.checks.macs) {
      std::vector<uint8_t> salt(next.begin(), next.end());
      salt.insert(salt.end(), macs.begin(), macs.end());
      UPSCOPE_TRY(auto mac, crypto::aea_mac(chk.mac(), headers, salt));
      if (!crypto::equal(mac, expected))
        return fail(ErrorCode::kMalformed, where,
                    c == 0 ? "header HMAC does not match the prologue's first cluster HMAC (the header was altered)"
                           : "header HMAC does not match the one the previous cluster gives (the header was altered)",
                    pos);
      ++a.checks.cluster_header_macs;
    }
    UPSCOPE_CHECK(decrypt(chk, std::span<uint8_t>(head.data(), spc * hsize)));
    ByteReader hr(Bytes(head.data(), spc * hsize), pos, "AEA segment header");
    Cluster cl;
    cl.index = c;
    cl.offset = pos;
    cl.header_size = block;
    uint64_t data = pos + block;
    bool ended = false;
    for (uint32_t j = 0; j < spc; ++j) {
      const uint64_t at = pos + j * hsize;
      const std::string seg = fmt::format("AEA cluster {} segment {}", c, j);
      const uint32_t psize = *hr.u32le(j * hsize), ssize = *hr.u32le(j * hsize + 4);
      if (psize == 0) {
        if (ssize != 0)
          return fail(ErrorCode::kMalformed, seg, fmt::format("an empty segment with a stored size of {}", ssize), at);
        ended = true;
        continue;
      }
      if (ended) return fail(ErrorCode::kMalformed, seg, "holds data after an empty segment", at);
      if (last_short)
        return fail(ErrorCode::kMalformed, seg,
                    fmt::format("follows a segment shorter than the segment size ({} bytes at plaintext offset {:#x}): "
                                "only the last segment may be short",
                                root.segment_size, short_at),
                    at);
      if (psize > root.segment_size)
        return fail(ErrorCode::kMalformed, seg,
                    fmt::format("holds {} plaintext bytes, more than the segment size {}", psize, root.segment_size), at);
      if (ssize > psize)
        return fail(ErrorCode::kMalformed, seg,
                    fmt::format("stored size {} is larger than its plaintext size {}", ssize, psize), at + 4);
      if (ssize == 0) return fail(ErrorCode::kMalformed, seg, fmt::format("stores 0 bytes for {} plaintext bytes", psize), at + 4);
      if (psize > root.plain_size - plain)
        return fail(ErrorCode::kMalformed, seg,
                    fmt::format("runs past the plaintext size {} the root header gives ({} bytes before it)",
                                root.plain_size, plain),
                    at);
      if (!range_fits(data, ssize, file.size()))
        return fail(ErrorCode::kTruncated, seg,
                    fmt::format("its {} stored bytes at {:#x} run past the end of the file", ssize, data), at);
      Segment s;
      s.cluster = c;
      s.index = j;
      s.data_offset = data;
      s.stored_size = ssize;
      s.plain_size = psize;
      s.plain_offset = plain;
      std::memcpy(s.mac.data(), macs.data() + j * kMacSize, kMacSize);
      std::memcpy(s.checksum.data(), head.data() + j * hsize + kSegmentHeaderFixed, csize);
      if (a.segments.size() == a.segments.capacity())
        UPSCOPE_CHECK(check_memory((a.segments.size() + 1) * 2 * sizeof(Segment), "AEA segment index", at));
      a.segments.push_back(s);
      data += ssize;
      plain += psize;
      if (psize < root.segment_size) {
        last_short = true;
        short_at = s.plain_offset;
      }
      ++cl.segments;
      cl.stored_bytes += ssize;
      cl.plain_bytes += psize;
    }
    if (cl.segments == 0 || (ended && plain < root.plain_size))
      return fail(ErrorCode::kMalformed, where,
                  fmt::format("its segments end the data at {} of the {} plaintext bytes", plain, root.plain_size), pos);
    std::memcpy(expected.data(), next.data(), kMacSize);
    a.clusters.push_back(cl);
    pos = data;
  }
  a.data_end = pos;
  a.padding = file.size() - pos;
  // Padding: a plain HMAC-SHA256 with the padding key in the last "next" slot, as public decoders
  // check it; an archive without padding has random bytes there.
  if (a.padding == 0) {
    a.checks.padding = "none";
  } else if (!a.checks.macs) {
    a.checks.padding = fmt::format("{} bytes, not checked (no main key)", a.padding);
  } else if (a.padding > (uint64_t{16} << 20)) {
    a.checks.padding = fmt::format("{} bytes, not checked (over 16 MiB)", a.padding);
  } else {
    UPSCOPE_TRY(auto bytes, file.read_vector(pos, a.padding));
    UPSCOPE_TRY(auto pak, a.keys->padding_key());
    UPSCOPE_TRY(auto mac, crypto::hmac_sha256(pak, {bytes}));
    if (crypto::equal(mac, expected)) {
      a.checks.padding = fmt::format("{} bytes, HMAC verified", a.padding);
    } else {
      a.checks.padding = fmt::format("{} bytes, HMAC does not match", a.padding);
      a.diagnostics.warning(pos, "AEA padding",
                            fmt::format("{} bytes after the last cluster: their HMAC does not match the last cluster's "
                                        "next-HMAC slot (checked as public decoders do; not confirmed on Apple-made files)",
                                        a.padding));
    }
  }
  if (root.container_size != file.size() && root.container_size != a.data_end)
    a.diagnostics.warning(a.header.layout.root_header + 8, kRoot,
                          fmt::format("container size {} is neither the file size {} nor the end of the clusters {}",
                                      root.container_size, file.size(), a.data_end));
  return {};
}

}  // namespace

Result<std::shared_ptr<const Archive>> open(SourcePtr file, const Keys& keys) {
  auto a = std::make_shared<Archive>();
  UPSCOPE_TRY(a->header, read_header(*file));
  const Header& h = a->header;
  const Layout& l = h.layout;
  UPSCOPE_TRY(MainKeyInput in, main_key_input(h, *file, keys, a->checks));
  auto sched = std::make_shared<KeySchedule>();
  sched->data_key_size = h.info->encrypted ? kDataKeyFull : kDataKeyMac;
  // Profile 0 without the signing public key: nothing is encrypted, but the main key (and so every
  // HMAC) depends on that key; the content is read unchecked.
  a->checks.macs = !h.info->is_signed || in.signing_key.has_value();
  if (a->checks.macs) UPSCOPE_CHECK(crypto::hkdf_sha256(in.ikm, in.salt, in.info, sched->main_key));
  a->keys = sched;
  if (!a->checks.macs)
    a->diagnostics.warning(l.root_mac, "AEA prologue",
                           "HMACs not checked: the main key's derivation includes the signing public key, which the "
                           "auth data does not carry");

  UPSCOPE_TRY(auto root_mac, file->read_vector(l.root_mac, kMacSize));
  UPSCOPE_TRY(auto root_bytes, file->read_vector(l.root_header, kRootHeaderSize));
  UPSCOPE_TRY(auto first_mac, file->read_vector(l.first_cluster_mac, kMacSize));
  UPSCOPE_TRY(DataKey rhk, sched->root_header_key());
  if (a->checks.macs) {
    std::vector<uint8_t> salt(first_mac);
    salt.insert(salt.end(), h.auth.bytes.begin(), h.auth.bytes.end());
    UPSCOPE_TRY(auto mac, crypto::aea_mac(rhk.mac(), root_bytes, salt));
    if (!crypto::equal(mac, root_mac)) {
      std::string why = h.profile == 0 ? "the signing public key is not the archive's"
                        : h.profile == 5 ? "the password is wrong"
                        : h.profile >= 3 ? "the private key is wrong"
                                         : "the key is wrong";
      return fail(ErrorCode::kMalformed, kRoot,
                  fmt::format("HMAC does not match: {}, or the prologue or the auth data was altered", why), l.root_header);
    }
    a->checks.root_header_mac = true;
  }
  UPSCOPE_CHECK(decrypt(rhk, root_bytes));
  UPSCOPE_TRY(a->root, parse_root(root_bytes, l.root_header, file->size()));
  if (h.info->is_signed) check_signature(*a, *file, in);
  check_identity(*a);
  crypto::Mac expected{};
  std::memcpy(expected.data(), first_mac.data(), kMacSize);
  UPSCOPE_CHECK(walk(*a, *file, expected));
  return std::shared_ptr<const Archive>(std::move(a));
}

}  // namespace upscope::aea
