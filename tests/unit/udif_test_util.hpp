// A tiny UDIF / sparse-image / GPT builder for the malformed-input tests: each test starts from a
// valid image and breaks exactly one rule. (Valid output of the real writer, samples/gen/make_udif.py,
// is checked against 7-Zip instead.)
#pragma once

#include <zlib.h>

#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "udif/structs.hpp"

namespace upscope::test::udifgen {

using Bytes = std::vector<uint8_t>;

inline std::string base64(const Bytes& in) {
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (in[i] << 16) | (in[i + 1] << 8) | in[i + 2];
    out += k[v >> 18];
    out += k[(v >> 12) & 63];
    out += k[(v >> 6) & 63];
    out += k[v & 63];
  }
  if (i + 1 == in.size()) {
    uint32_t v = in[i] << 16;
    out += k[v >> 18];
    out += k[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    uint32_t v = (in[i] << 16) | (in[i + 1] << 8);
    out += k[v >> 18];
    out += k[(v >> 12) & 63];
    out += k[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

inline uint32_t crc(const Bytes& b, uint32_t c = 0) {
  return static_cast<uint32_t>(::crc32(c, b.data(), static_cast<uInt>(b.size())));
}

inline Bytes pattern(size_t n, uint32_t seed) {
  Bytes b(n);
  uint32_t x = seed * 2654435761u + 1;
  for (size_t i = 0; i < n; ++i) {
    x = x * 1103515245u + 12345u;
    b[i] = static_cast<uint8_t>((i % 7 == 0) ? (x >> 16) : 'a' + (i / 512 + seed) % 26);
  }
  return b;
}

struct TChunk {
  uint32_t type = udif::kChunkRaw;
  uint64_t rel = 0, sectors = 0;
  Bytes payload;   // stored in the data fork
  Bytes decoded;   // for the CRC
  std::optional<uint64_t> offset, length;  // overrides
};

inline TChunk raw(uint64_t rel, const Bytes& data) { return {udif::kChunkRaw, rel, data.size() / 512, data, data, {}, {}}; }
inline TChunk zero(uint64_t rel, uint64_t sectors) { return {udif::kChunkZero, rel, sectors, {}, Bytes(sectors * 512), {}, {}}; }
inline TChunk ignore(uint64_t rel, uint64_t sectors) { return {udif::kChunkIgnore, rel, sectors, {}, {}, {}, {}}; }
inline TChunk zlib(uint64_t rel, const Bytes& data) {
  uLongf n = compressBound(static_cast<uLong>(data.size()));
  Bytes out(n);
  compress2(out.data(), &n, data.data(), static_cast<uLong>(data.size()), 6);
  out.resize(n);
  return {udif::kChunkZlib, rel, data.size() / 512, out, data, {}, {}};
}

struct TBlkx {
  std::string name = "disk image (Apple_HFS : 0)";
  uint64_t first = 0, sectors = 0;
  std::vector<TChunk> chunks;
  std::string signature = "mish";
  std::optional<uint32_t> count_override;
  std::optional<uint32_t> crc_override;
  bool truncate_data = false;  // cut the Data short by one chunk entry
};

struct TDmg {
  std::vector<TBlkx> blkx;
  uint64_t sector_count = 0;  // 0: end of the last table
  std::function<void(uint8_t* koly, uint64_t file_size)> patch_koly;
  std::optional<std::string> xml;  // replaces the plist

  Bytes build() const {
    Bytes file;
    std::vector<std::vector<uint64_t>> offsets;
    for (const auto& b : blkx) {
      offsets.emplace_back();
      for (const auto& c : b.chunks) {
        offsets.back().push_back(file.size());
        file.insert(file.end(), c.payload.begin(), c.payload.end());
      }
    }
    const uint64_t fork_len = file.size();
    std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plist version=\"1.0\">\n<dict><key>resource-fork</key><dict>"
                    "<key>blkx</key><array>\n";
    uint64_t end = 0;
    uint32_t master = 0;
    for (size_t bi = 0; bi < blkx.size(); ++bi) {
      const auto& b = blkx[bi];
      end = std::max(end, b.first + b.sectors);
      Bytes m(204);
      std::memcpy(m.data(), b.signature.data(), 4);
      udif::store_u32be(&m[4], 1);
      udif::store_u64be(&m[8], b.first);
      udif::store_u64be(&m[16], b.sectors);
      udif::store_u32be(&m[36], static_cast<uint32_t>(bi));
      uint32_t c = 0;
      for (const auto& ch : b.chunks)
        if (ch.type != udif::kChunkIgnore) c = crc(ch.decoded, c);
      if (b.crc_override) c = *b.crc_override;
      udif::store_u32be(&m[64], 2);
      udif::store_u32be(&m[68], 32);
      udif::store_u32be(&m[72], c);
      uint8_t be[4];
      udif::store_u32be(be, c);
      master = static_cast<uint32_t>(::crc32(master, be, 4));
      udif::store_u32be(&m[200], b.count_override.value_or(static_cast<uint32_t>(b.chunks.size() + 1)));
      for (size_t ci = 0; ci < b.chunks.size(); ++ci) {
        const auto& ch = b.chunks[ci];
        uint8_t e[40] = {};
        udif::store_u32be(e, ch.type);
        udif::store_u64be(e + 8, ch.rel);
        udif::store_u64be(e + 16, ch.sectors);
        udif::store_u64be(e + 24, ch.offset.value_or(offsets[bi][ci]));
        udif::store_u64be(e + 32, ch.length.value_or(ch.payload.size()));
        m.insert(m.end(), e, e + 40);
      }
      uint8_t t[40] = {};
      udif::store_u32be(t, udif::kChunkTerminator);
      udif::store_u64be(t + 8, b.sectors);
      if (!b.truncate_data) m.insert(m.end(), t, t + 40);
      else m.resize(m.size() - 40);
      x += "<dict><key>Attributes</key><string>0x0050</string><key>Data</key><data>" + base64(m) +
           "</data><key>ID</key><string>" + std::to_string(int(bi) - 1) + "</string><key>Name</key><string>" + b.name +
           "</string></dict>\n";
    }
    x += "</array></dict></dict></plist>\n";
    if (xml) x = *xml;
    const uint64_t xml_off = file.size();
    file.insert(file.end(), x.begin(), x.end());
    uint8_t k[512] = {};
    std::memcpy(k, "koly", 4);
    udif::store_u32be(k + 4, 4);
    udif::store_u32be(k + 8, 512);
    udif::store_u32be(k + 12, 1);
    udif::store_u64be(k + 32, fork_len);
    udif::store_u32be(k + 60, 1);
    udif::store_u64be(k + 216, xml_off);
    udif::store_u64be(k + 224, x.size());
    udif::store_u32be(k + 352, 2);
    udif::store_u32be(k + 356, 32);
    udif::store_u32be(k + 360, master);
    udif::store_u32be(k + 488, 1);
    udif::store_u64be(k + 492, sector_count ? sector_count : end);
    if (patch_koly) patch_koly(k, file.size() + 512);
    file.insert(file.end(), k, k + 512);
    return file;
  }
};

// .sparseimage writer (docs/formats/udif.md §9): band `bands[i]` (1-based) stored in slot i.
inline Bytes sparse_image(uint32_t sectors_per_band, uint32_t total_sectors, const std::vector<uint32_t>& bands,
                          const std::vector<Bytes>& band_data) {
  Bytes f(4096);
  std::memcpy(f.data(), "sprs", 4);
  udif::store_u32be(&f[4], 3);
  udif::store_u32be(&f[8], sectors_per_band);
  udif::store_u32be(&f[12], 1);
  udif::store_u32be(&f[16], total_sectors);
  for (size_t i = 0; i < bands.size(); ++i) udif::store_u32be(&f[64 + 4 * i], bands[i]);
  for (const auto& d : band_data) f.insert(f.end(), d.begin(), d.end());
  return f;
}

// A GPT disk of `sectors` 512-byte sectors with one partition [first, last]; mutate() may break it
// before the CRCs are computed (fix_crcs=false keeps them as they are after mutate).
inline Bytes gpt_disk(uint64_t sectors, uint64_t first, uint64_t last,
                      const std::function<void(Bytes& disk)>& mutate = {}, bool fix_crcs = true) {
  Bytes d(sectors * 512);
  d[446 + 4] = 0xEE;
  d[446 + 8] = 1;
  d[510] = 0x55;
  d[511] = 0xAA;
  auto put32 = [&](size_t o, uint32_t v) { for (int i = 0; i < 4; ++i) d[o + i] = uint8_t(v >> (8 * i)); };
  auto put64 = [&](size_t o, uint64_t v) { for (int i = 0; i < 8; ++i) d[o + i] = uint8_t(v >> (8 * i)); };
  std::memcpy(&d[512], "EFI PART", 8);
  put32(520, 0x10000);
  put32(524, 92);
  put64(536, 1);
  put64(544, sectors - 1);
  put64(552, 34);
  put64(560, sectors - 34);
  put64(584, 2);
  put32(592, 128);
  put32(596, 128);
  // Entry 1: APFS.
  const uint8_t apfs[16] = {0xEF, 0x57, 0x34, 0x7C, 0x00, 0x00, 0xAA, 0x11, 0xAA, 0x11, 0x00, 0x30, 0x65, 0x43, 0xEC, 0xAC};
  std::memcpy(&d[1024], apfs, 16);
  d[1024 + 16] = 0x42;
  put64(1024 + 32, first);
  put64(1024 + 40, last);
  const char* name = "disk image";
  for (size_t i = 0; name[i]; ++i) d[1024 + 56 + 2 * i] = static_cast<uint8_t>(name[i]);
  if (mutate) mutate(d);
  if (fix_crcs) {
    put32(600, static_cast<uint32_t>(::crc32(0, &d[1024], 128 * 128)));
    put32(528, 0);
    put32(528, static_cast<uint32_t>(::crc32(0, &d[512], 92)));
  }
  return d;
}

}  // namespace upscope::test::udifgen
