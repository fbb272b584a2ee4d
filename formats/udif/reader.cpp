// UDIF parse: koly trailer -> XML resource plist (libplist) -> blkx (mish) tables -> sector map.
#include <algorithm>
#include <cstdlib>
#include <memory>

#include <fmt/format.h>
#include <plist/plist.h>

#include "inspect/text.hpp"
#include "plist/parse.hpp"
#include "udif/image.hpp"
#include "udif/structs.hpp"

namespace upscope::udif {

namespace {

using plist::string_item;

std::string range_text(uint64_t first, uint64_t count) {
  return count ? fmt::format("sectors {}..{}", first, first + count - 1) : fmt::format("sector {}, empty", first);
}

// Collects the errors of a lenient parse, or turns the first one into the result of a strict one.
class Sink {
 public:
  Sink(Diagnostics* diags, std::string file) : diags_(diags), file_(std::move(file)) {}
  // Returns false when the parse must stop (strict mode); the error is then in error().
  bool report(ErrorCode code, std::string structure, std::string rule, std::optional<uint64_t> off) {
    Error e = make_error(code, std::move(structure), std::move(rule), off);
    if (!diags_) {
      e.file = file_;
      err_ = std::move(e);
      return false;
    }
    diags_->add(e);  // the CLI prefixes diagnostics with the input name
    return true;
  }
  void warn(std::string structure, std::string message, std::optional<uint64_t> off) {
    if (diags_) diags_->warning(off, std::move(structure), std::move(message));
  }
  void note(std::string structure, std::string message, std::optional<uint64_t> off) {
    if (diags_) diags_->note(off, std::move(structure), std::move(message));
  }
  Unexpected failure() { return fail(std::move(*err_)); }

 private:
  Diagnostics* diags_;
  std::string file_;
  std::optional<Error> err_;
};

Error file_error(const Source& file, ErrorCode code, std::string structure, std::string rule,
                 std::optional<uint64_t> off) {
  Error e = make_error(code, std::move(structure), std::move(rule), off);
  e.file = file.name();
  return e;
}

// Parses one mish table into blk; false only when a strict parse must stop.
bool parse_mish(const Image& img, Bytes data, Blkx& blk, Sink& sink, uint64_t chunk_limit) {
  const std::string where = fmt::format("mish block {}", blk.ordinal);
  const uint64_t xml_off = img.koly.xmlOffset;
  if (data.size() < kMishHeaderSize) {
    if (!sink.report(ErrorCode::kTruncated, where,
                     fmt::format("Data holds {} bytes, less than the {}-byte table header", data.size(),
                                 kMishHeaderSize),
                     xml_off))
      return false;
    blk.header = {};
    return true;
  }
  const ByteReader table(data, 0, "mish table");
  Cursor tc(table);
  blk.header = read_mish_header(tc);  // Data holds the header (checked above)
  if (!tc.ok()) {
    blk.header = {};
    return sink.report(ErrorCode::kTruncated, where, tc.error().rule, xml_off);
  }
  const TableHeader& h = blk.header;
  if (std::string_view(h.signature.data(), 4) != "mish") {
    if (!sink.report(ErrorCode::kMalformed, where,
                     fmt::format("bad signature '{}', expected 'mish'", printable(data.first(4))), xml_off))
      return false;
    blk.header = {};
    return true;
  }
  if (h.version != 1) sink.warn(where, fmt::format("table version {}, expected 1", h.version), xml_off);
  const uint64_t need = kMishHeaderSize + uint64_t(h.numberOfBlockChunks) * kChunkEntrySize;
  if (need > data.size()) {
    if (!sink.report(ErrorCode::kTruncated, where,
                     fmt::format("table of {} chunks needs {} bytes, the Data holds {}", h.numberOfBlockChunks,
                                 need, data.size()),
                     xml_off))
      return false;
    blk.header.sectorCount = 0;
    return true;
  }
  if (!checked_add(h.firstSectorNumber, h.sectorCount) ||
      (img.koly.sectorCount && h.firstSectorNumber + h.sectorCount > img.koly.sectorCount)) {
    if (!sink.report(ErrorCode::kMalformed, where,
                     fmt::format("{} extend past the image's {} sectors", range_text(h.firstSectorNumber, h.sectorCount),
                                 img.koly.sectorCount),
                     xml_off))
      return false;
    if (!checked_add(h.firstSectorNumber, h.sectorCount)) return true;
  }
  const uint64_t fork_begin = img.koly.dataForkOffset;
  const uint64_t fork_end = img.koly.dataForkOffset + img.koly.dataForkLength;  // checked by the caller
  uint64_t prev_end = 0;
  std::optional<uint32_t> prev_index;
  bool terminated = false;
  for (uint32_t i = 0; i < h.numberOfBlockChunks; ++i) {
    BLKXChunkEntry e = read_chunk(tc);  // entry i at kMishHeaderSize + i * kChunkEntrySize, inside `need`
    if (!tc.ok()) return sink.report(ErrorCode::kTruncated, where, tc.error().rule, xml_off);
    blk.type_counts[e.entryType]++;
    if (e.entryType == kChunkTerminator) {
      terminated = true;
      break;
    }
    if (e.entryType == kChunkComment) continue;
    auto payload = checked_add(h.dataStart, e.compressedOffset);
    const uint64_t off = payload.value_or(e.compressedOffset);
    auto bad = [&](ErrorCode code, std::string rule) {
      return sink.report(code, where, fmt::format("chunk {} {}", i, rule), off);
    };
    if (!chunk_type_known(e.entryType)) {
      if (!bad(ErrorCode::kUnsupported, fmt::format("has unknown type {:#010x}", e.entryType))) return false;
      continue;
    }
    auto rel_end = checked_add(e.sectorNumber, e.sectorCount);
    if (!rel_end || *rel_end > h.sectorCount || !checked_mul(e.sectorCount, kSectorSize)) {
      if (!bad(ErrorCode::kMalformed, fmt::format("({}) lies outside the table's {} sectors",
                                                  range_text(e.sectorNumber, e.sectorCount), h.sectorCount)))
        return false;
      continue;
    }
    if (prev_index && e.sectorNumber < prev_end) {
      if (!bad(ErrorCode::kMalformed, fmt::format("({}) starts before the end of chunk {} (sector {})",
                                                  range_text(e.sectorNumber, e.sectorCount), *prev_index, prev_end)))
        return false;
      continue;
    }
    const bool has_payload = e.entryType == kChunkRaw || chunk_is_compressed(e.entryType);
    if (has_payload) {
      auto end = payload ? checked_add(*payload, e.compressedLength) : std::nullopt;
      if (!end || *payload < fork_begin || *end > fork_end) {
        if (!bad(ErrorCode::kTruncated, "extends past the data fork")) return false;
        continue;
      }
      if (e.entryType == kChunkRaw && e.compressedLength != e.sectorCount * kSectorSize) {
        if (!bad(ErrorCode::kMalformed, fmt::format("is raw but holds {} bytes for {} sectors ({} bytes)",
                                                    e.compressedLength, e.sectorCount, e.sectorCount * kSectorSize)))
          return false;
        continue;
      }
      if (chunk_is_compressed(e.entryType) && e.sectorCount * kSectorSize > chunk_limit) {
        if (!bad(ErrorCode::kLimit, fmt::format("decodes to {}, over the {} per-chunk limit",
                                                human_size(e.sectorCount * kSectorSize), human_size(chunk_limit))))
          return false;
        continue;
      }
      blk.compressed_bytes += e.compressedLength;
    }
    prev_end = *rel_end;
    prev_index = i;
    if (e.sectorCount == 0) continue;
    Chunk c;
    c.type = e.entryType;
    c.index = i;
    c.sector = h.firstSectorNumber + e.sectorNumber;
    c.sectors = e.sectorCount;
    c.offset = off;
    c.length = has_payload ? e.compressedLength : 0;
    blk.chunks.push_back(c);
  }
  if (!terminated && h.numberOfBlockChunks) sink.note(where, "no terminator entry", xml_off);
  return true;
}

}  // namespace

uint64_t Image::sector_count() const {
  uint64_t n = koly.sectorCount;
  if (!map.empty()) n = std::max(n, map.back().sector + map.back().sectors);
  return n;
}

std::optional<Error> detect_encrypted(const Source& file) {
  uint8_t head[8] = {}, tail[8] = {};
  const uint64_t size = file.size();
  if (size >= 8 && file.read_at(0, head) && std::string_view(reinterpret_cast<char*>(head), 8) == "encrcdsa")
    return file_error(file, ErrorCode::kUnsupported, "encrcdsa header",
                      "encrypted disk image: not supported (no key handling)", 0);
  if (size >= 8 && file.read_at(size - 8, tail) && std::string_view(reinterpret_cast<char*>(tail), 8) == "cdsaencr")
    return file_error(file, ErrorCode::kUnsupported, "cdsaencr trailer",
                      "encrypted disk image: not supported (no key handling)", size - 8);
  return std::nullopt;
}

Result<Image> parse(const Source& file, Diagnostics* diags, const ParseOptions& opt) {
  if (auto enc = detect_encrypted(file)) return fail(*enc);
  Image img;
  img.name = file.name();
  img.file_size = file.size();
  const uint64_t size = file.size();
  auto err = [&](ErrorCode code, std::string structure, std::string rule, std::optional<uint64_t> off) {
    return fail(file_error(file, code, std::move(structure), std::move(rule), off));
  };

  // koly trailer: the last 512 bytes. A trailer found further in means the file was cut short.
  std::vector<uint8_t> tail(static_cast<size_t>(std::min<uint64_t>(size, kKolySize)));
  UPSCOPE_CHECK(file.read_at(size - tail.size(), tail));
  if (tail.size() < kKolySize || std::string_view(reinterpret_cast<char*>(tail.data()), 4) != "koly") {
    for (size_t p = 1; p + 12 <= tail.size(); ++p) {
      if (std::string_view(reinterpret_cast<char*>(tail.data() + p), 4) == "koly" &&
          load_u32be(tail.data() + p + 8) == kKolySize) {
        const uint64_t at = size - tail.size() + p;
        return err(ErrorCode::kTruncated, "koly trailer",
                   fmt::format("truncated: the file ends {} bytes into the {}-byte trailer", size - at, kKolySize), at);
      }
    }
    return err(ErrorCode::kMalformed, "koly trailer", "no 'koly' signature in the last 512 bytes",
               size >= kKolySize ? size - kKolySize : 0);
  }
  img.koly_offset = size - kKolySize;
  const ByteReader trailer(tail, img.koly_offset, "koly trailer");  // exactly kKolySize bytes here
  Cursor kc(trailer);
  img.koly = read_koly(kc);
  if (!kc.ok()) return err(ErrorCode::kTruncated, "koly trailer", kc.error().rule, img.koly_offset);
  const Trailer& k = img.koly;
  const uint64_t ko = img.koly_offset;
  if (k.headerSize != kKolySize)
    return err(ErrorCode::kMalformed, "koly trailer", fmt::format("header size {}, expected {}", k.headerSize, kKolySize),
               ko);
  Sink sink(diags, file.name());
  if (k.version != 4) sink.warn("koly trailer", fmt::format("version {}, expected 4", k.version), ko);
  if (!range_fits(k.dataForkOffset, k.dataForkLength, ko))
    return err(ErrorCode::kTruncated, "koly trailer",
               fmt::format("data fork ({:#x} + {:#x}) extends past the koly trailer at {:#x}", k.dataForkOffset,
                           k.dataForkLength, ko),
               ko);
  if (k.segmentCount > 1)
    return err(ErrorCode::kUnsupported, "koly trailer",
               fmt::format("segmented image (segment {} of {}): not supported", k.segmentNumber, k.segmentCount), ko);
  if (k.codeSignatureLength && !range_fits(k.codeSignatureOffset, k.codeSignatureLength, ko))
    sink.warn("koly trailer",
              fmt::format("code signature ({:#x} + {:#x}) extends past the koly trailer", k.codeSignatureOffset,
                          k.codeSignatureLength),
              ko);
  if (!checked_mul(k.sectorCount, kSectorSize))
    return err(ErrorCode::kMalformed, "koly trailer", fmt::format("sector count {} overflows", k.sectorCount), ko);

  if (k.xmlLength == 0) {
    // A UDRW stub: the data fork is the raw disk.
    if (k.sectorCount && k.dataForkLength >= k.sectorCount * kSectorSize) {
      img.raw_data_fork = true;
      Blkx b;
      b.name = "data fork (raw)";
      b.header.sectorCount = k.sectorCount;
      b.chunks.push_back({kChunkRaw, 0, 0, k.sectorCount, k.dataForkOffset, k.sectorCount * kSectorSize});
      b.type_counts[kChunkRaw] = 1;
      img.blkx.push_back(std::move(b));
      img.map.push_back({0, k.sectorCount, 0, 0});
      img.master_computed = crc32_update(0, {});
      return img;
    }
    return err(ErrorCode::kUnsupported, "koly trailer",
               "no XML plist (length 0) and the data fork does not hold the image: resource-fork images are not supported",
               ko);
  }
  if (!range_fits(k.xmlOffset, k.xmlLength, ko))
    return err(ErrorCode::kTruncated, "koly trailer",
               fmt::format("XML plist ({:#x} + {:#x}) extends past the koly trailer at {:#x}", k.xmlOffset, k.xmlLength,
                           ko),
               ko);
  if (k.xmlLength > opt.max_xml_bytes || k.xmlLength > UINT32_MAX)
    return err(ErrorCode::kLimit, "XML plist",
               fmt::format("{} bytes, over the {} limit", k.xmlLength, human_size(opt.max_xml_bytes)), k.xmlOffset);
  std::vector<uint8_t> scratch;
  UPSCOPE_TRY(ByteReader xml, file.view(k.xmlOffset, k.xmlLength, scratch, "XML plist"));
  UPSCOPE_TRY(plist::Ptr root, plist::parse(xml.data(), "XML plist", plist::Syntax::kXml, k.xmlOffset));
  plist_t raw_root = plist::get(root);
  if (!raw_root || plist_get_node_type(raw_root) != PLIST_DICT)
    return err(ErrorCode::kMalformed, "XML plist", "not an XML property list with a dictionary at the top",
               k.xmlOffset);
  plist_t fork = plist_dict_get_item(raw_root, "resource-fork");
  if (!fork || plist_get_node_type(fork) != PLIST_DICT)
    return err(ErrorCode::kMalformed, "XML plist", "no 'resource-fork' dictionary", k.xmlOffset);
  {
    plist_dict_iter it = nullptr;
    plist_dict_new_iter(fork, &it);
    for (uint32_t n = plist_dict_get_size(fork); n-- && it;) {
      char* key = nullptr;
      plist_t val = nullptr;
      plist_dict_next_item(fork, it, &key, &val);
      if (!key) break;
      img.resource_keys.emplace_back(key);
      std::free(key);
    }
    std::free(it);
  }
  plist_t arr = plist_dict_get_item(fork, "blkx");
  if (!arr || plist_get_node_type(arr) != PLIST_ARRAY)
    return err(ErrorCode::kMalformed, "XML plist", "no 'blkx' array in the resource fork", k.xmlOffset);

  const uint32_t count = plist_array_get_size(arr);
  std::vector<uint8_t> master_input;
  for (uint32_t i = 0; i < count; ++i) {
    Blkx blk;
    blk.ordinal = i;
    plist_t d = plist_array_get_item(arr, i);
    plist_t data = d && plist_get_node_type(d) == PLIST_DICT ? plist_dict_get_item(d, "Data") : nullptr;
    if (!data || plist_get_node_type(data) != PLIST_DATA) {
      if (!sink.report(ErrorCode::kMalformed, fmt::format("blkx entry {}", i), "no Data", k.xmlOffset))
        return sink.failure();
      continue;
    }
    blk.name = string_item(d, "Name");
    blk.cfname = string_item(d, "CFName");
    blk.id = string_item(d, "ID");
    blk.attributes = string_item(d, "Attributes");
    uint64_t len = 0;
    const char* p = plist_get_data_ptr(data, &len);
    Bytes bytes(reinterpret_cast<const uint8_t*>(p), p ? static_cast<size_t>(len) : 0);
    if (!parse_mish(img, bytes, blk, sink, opt.max_chunk_bytes)) return sink.failure();
    if (blk.header.checksum.is_crc32()) {
      uint8_t be[4];
      store_u32be(be, blk.header.checksum.crc32());
      master_input.insert(master_input.end(), be, be + 4);
    }
    img.blkx.push_back(std::move(blk));
  }
  img.master_computed = crc32_update(0, master_input);

  // The image-wide map: chunks of different tables must not overlap either.
  std::vector<MapEntry> all;
  for (uint32_t b = 0; b < img.blkx.size(); ++b)
    for (uint32_t c = 0; c < img.blkx[b].chunks.size(); ++c)
      all.push_back({img.blkx[b].chunks[c].sector, img.blkx[b].chunks[c].sectors, b, c});
  std::stable_sort(all.begin(), all.end(), [](const MapEntry& a, const MapEntry& b) { return a.sector < b.sector; });
  for (const MapEntry& e : all) {
    if (!img.map.empty()) {
      const MapEntry& prev = img.map.back();
      if (e.sector < prev.sector + prev.sectors) {
        const Chunk& c = img.chunk(e);
        const Chunk& pc = img.chunk(prev);
        if (!sink.report(ErrorCode::kMalformed, fmt::format("mish block {}", img.blkx[e.blkx].ordinal),
                         fmt::format("chunk {} ({}) overlaps chunk {} of mish block {}", c.index,
                                     range_text(c.sector, c.sectors), pc.index, img.blkx[prev.blkx].ordinal),
                         c.offset))
          return sink.failure();
        continue;
      }
    }
    img.map.push_back(e);
  }
  if (k.masterChecksum.is_crc32() && !img.master_ok())
    sink.warn("koly trailer",
              fmt::format("master checksum {:08x} does not match {:08x}, the CRC32 of the blkx checksums",
                          k.masterChecksum.crc32(), img.master_computed),
              ko + 352);
  return img;
}

}  // namespace upscope::udif
