// The UDIF reader: koly trailer, XML resource plist, every blkx (mish) table and its chunks,
// validated into a sector map that ImageSource reads from. parse() never decodes chunk data;
// verify() does (checksums), and image_source.hpp gives random access to the decoded disk.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "inspect/diagnostics.hpp"
#include "inspect/progress.hpp"
#include "inspect/result.hpp"
#include "inspect/source.hpp"
#include "udif/model.hpp"

namespace upscope::udif {

struct ParseOptions {
  // A compressed chunk may not decode to more than this (hdiutil writes 1 MiB chunks): the
  // decompression-bomb guard, since chunks are decoded whole into memory.
  uint64_t max_chunk_bytes = 64ull << 20;
  // Cap on the XML plist we hand to libplist.
  uint64_t max_xml_bytes = 256ull << 20;
};

struct Chunk {
  uint32_t type = 0;
  uint32_t index = 0;     // entry index inside its mish table (for messages)
  uint64_t sector = 0;    // absolute first sector in the decoded image
  uint64_t sectors = 0;
  uint64_t offset = 0;    // absolute file offset of the payload (dataStart + compressedOffset)
  uint64_t length = 0;
  uint64_t bytes() const { return sectors * kSectorSize; }
};

struct Blkx {
  size_t ordinal = 0;        // position in the plist's blkx array ("mish block N")
  std::string name;          // "disk image (Apple_APFS : 4)"
  std::string cfname;
  std::string id;            // the plist ID string ("-1", "0", ...)
  std::string attributes;    // "0x0050"
  TableHeader header;
  std::vector<Chunk> chunks;                 // data-bearing chunks (not comment/terminator), table order
  std::map<uint32_t, uint64_t> type_counts;  // every entry type, comment and terminator included
  uint64_t compressed_bytes = 0;             // sum of payload lengths
  bool crc_checked() const { return header.checksum.is_crc32(); }
};

// One entry of the image-wide sector map, sorted by sector, never overlapping.
struct MapEntry {
  uint64_t sector;
  uint64_t sectors;
  uint32_t blkx;   // index into Image::blkx
  uint32_t chunk;  // index into Blkx::chunks
};

struct Image {
  std::string name;
  uint64_t file_size = 0;
  uint64_t koly_offset = 0;
  Trailer koly;
  std::vector<Blkx> blkx;
  std::vector<std::string> resource_keys;  // "blkx", "plst", "LPic", ... in plist order
  std::vector<MapEntry> map;
  bool raw_data_fork = false;  // XML length 0: the data fork is the disk itself (UDRW stub)
  uint32_t master_computed = 0;  // CRC32 over the stored blkx CRCs (big-endian, plist order)

  bool has_code_signature() const { return koly.codeSignatureLength != 0; }
  uint64_t sector_count() const;  // koly's, or the end of the last chunk when that is further
  uint64_t size_bytes() const { return sector_count() * kSectorSize; }
  bool master_checked() const { return koly.masterChecksum.is_crc32(); }
  bool master_ok() const { return !master_checked() || koly.masterChecksum.crc32() == master_computed; }
  const Chunk& chunk(const MapEntry& e) const { return blkx[e.blkx].chunks[e.chunk]; }
};

// Parses a UDIF file. With diags == nullptr the first broken rule fails the parse (strict);
// otherwise bad chunks and tables are dropped with an error diagnostic and the rest is kept.
// The koly trailer and the XML plist must be sound either way.
Result<Image> parse(const Source& file, Diagnostics* diags, const ParseOptions& opt = {});

// The error for an encrypted image (`encrcdsa` / `cdsaencr`), or nullopt.
std::optional<Error> detect_encrypted(const Source& file);

// Decodes one chunk into out (exactly chunk.bytes()). Zero and ignore chunks are zero-filled.
Status decode_chunk(const Image& img, const Source& file, const MapEntry& where, std::span<uint8_t> out);
Status decode_chunk(const Image& img, const Source& file, uint32_t blkx, uint32_t chunk, std::span<uint8_t> out);

struct BlkxCheck {
  size_t ordinal = 0;
  bool checked = false;   // the table carries a CRC32
  uint32_t stored = 0;
  uint32_t computed = 0;
  std::optional<Error> error;  // decoding failed
  bool ok() const { return !error && (!checked || stored == computed); }
};

struct VerifyReport {
  std::vector<BlkxCheck> blkx;
  bool master_checked = false;
  uint32_t master_stored = 0;
  uint32_t master_computed = 0;
  bool data_fork_checked = false;
  uint32_t data_fork_stored = 0;
  uint32_t data_fork_computed = 0;
  bool ok() const;
};

// CRC32 of every blkx over its decoded bytes (ignore chunks left out, docs/formats/udif.md §3), the master checksum
// and the data-fork checksum when present. Chunks decode on `jobs` threads.
VerifyReport verify(const Image& img, const Source& file, unsigned jobs, Progress* progress = nullptr);

// CRC-32 (zlib/IEEE), incremental.
uint32_t crc32_update(uint32_t crc, Bytes data);

}  // namespace upscope::udif
