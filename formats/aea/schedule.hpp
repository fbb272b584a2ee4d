// The key schedule of an opened archive (docs/formats/aea.md §5): the main key and the keys derived
// from it. Private to formats/aea; never rendered.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "aea/aea.hpp"
#include "aea/crypto.hpp"
#include "aea/structs.hpp"

namespace upscope::aea {

struct DataKey {
  std::array<uint8_t, kDataKeyFull> bytes{};
  uint64_t size = kDataKeyMac;  // 32 (profile 0: HMAC key only) or 80
  Bytes mac() const { return Bytes(bytes.data(), kDataKeyMac); }
  Bytes aes() const { return Bytes(bytes.data() + kAesKeyOffset, 32); }
  Bytes iv() const { return Bytes(bytes.data() + kIvOffset, 16); }
  bool encrypts() const { return size == kDataKeyFull; }
};

struct KeySchedule {
  std::array<uint8_t, 32> main_key{};
  uint64_t data_key_size = kDataKeyMac;

  // HKDF(ikm, no salt, prefix || u32le(index) when index_given) of `n` bytes.
  static Status derive(Bytes ikm, std::string_view prefix, const uint32_t* index, std::span<uint8_t> out);
  Result<DataKey> data_key(Bytes ikm, std::string_view info, const uint32_t* index = nullptr) const;
  Result<std::array<uint8_t, 32>> cluster_key(uint32_t cluster) const;
  Result<DataKey> root_header_key() const { return data_key(main_key, "AEA_RHEK"); }
  Result<DataKey> cluster_header_key(Bytes cluster_key) const { return data_key(cluster_key, "AEA_CHEK"); }
  Result<DataKey> segment_key(Bytes cluster_key, uint32_t segment) const {
    return data_key(cluster_key, "AEA_SK", &segment);
  }
  Result<DataKey> signature_key() const;
  Result<std::array<uint8_t, 32>> padding_key() const;
};

// Decrypts `data` in place with the data key (a no-op for profile 0's HMAC-only keys).
Status decrypt(const DataKey& k, std::span<uint8_t> data);

}  // namespace upscope::aea
