// dyld shared cache reader: the main file, its subcaches (`.1`, `.01`, `.02.dylddata`, ...) and the
// `.symbols` file, merged into one unslid VM map. Opening reads only headers and tables (image list,
// imagesText, subcache array); each image's Mach-O view, exports, function starts and code hash are
// read on demand through the VM map, because a cached dylib's segments may sit in different files.
// Reading is lenient: a missing or mismatched subcache, a bad mapping or a bad image record becomes a
// Diagnostic and everything that does not depend on it is still read.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <span>
#include <vector>

#include "inspect/byte_reader.hpp"
#include "inspect/diagnostics.hpp"
#include "inspect/hash.hpp"
#include "inspect/result.hpp"
#include "inspect/source.hpp"
#include "macho/macho.hpp"

namespace upscope::dyld_cache {

using Uuid = std::array<uint8_t, 16>;

// A mapping's slide info header, checked once at open (slide.cpp); chains are walked on demand.
struct SlideInfo {
  uint32_t version = 0, page_size = 0;
  uint64_t page_count = 0;   // page_starts entries used (clamped to the mapping)
  ByteReader page_starts;    // u16 each
  ByteReader page_extras;    // v2 only
  uint64_t delta_mask = 0;   // v2
  uint64_t value_add = 0;    // v2 value_add, v3 auth_value_add, v5 value_add
};

struct Mapping {
  uint64_t address = 0, size = 0, file_offset = 0;
  uint32_t max_prot = 0, init_prot = 0;
  uint64_t slide_info_offset = 0, slide_info_size = 0, flags = 0;  // from mapping_and_slide_info
  bool usable = true;                                              // false: lies outside its file
  std::optional<SlideInfo> slide;                                  // set when slide info is present and sane
};

// The header fields upscope reads (the raw dyld_cache_header stays private to the reader). A field
// exists iff mappingOffset is past its start (dyld's rule, docs/formats/dyld-cache.md §1): optional
// where absence differs from zero; the rest (sizes, counts, where zero means none) are zero when absent.
struct CacheHeader {
  std::string magic;  // the 16 raw bytes
  // In every layout (the reader rejects a header shorter than 0x20 bytes).
  uint32_t mapping_offset = 0;  // the header's size
  uint32_t mapping_count = 0, images_offset_old = 0, images_count_old = 0;
  std::optional<uint64_t> cache_type;
  std::optional<uint32_t> platform, format_version_and_flags, os_version;
  std::optional<uint64_t> shared_region_start, shared_region_size, max_slide;
  std::optional<uint32_t> images_offset, images_count;  // the 32-bit image table of newer layouts
  std::optional<uint32_t> cache_sub_type;               // its presence marks v2 (fileSuffix) subcache entries
  std::optional<Uuid> symbol_file_uuid;                 // when all 16 bytes are inside the header
  // Zero when absent.
  Uuid uuid{};
  uint64_t code_signature_offset = 0, code_signature_size = 0, local_symbols_offset = 0, local_symbols_size = 0;
  uint64_t dyld_in_cache_mh = 0, dyld_in_cache_entry = 0, images_text_offset = 0, images_text_count = 0;
  uint64_t dylibs_trie_addr = 0, dylibs_trie_size = 0;
  uint32_t alt_platform = 0, alt_os_version = 0, subcache_array_offset = 0, subcache_array_count = 0;
};

// One file of the cache: its header, mappings and bytes.
struct CacheFile {
  std::string name;    // "dyld_shared_cache_arm64e.01" (the source's name)
  std::string suffix;  // "" for the main file, ".01", ".symbols" ...
  SourcePtr source;
  ByteReader bytes;    // whole file (zero-copy when the source is contiguous)
  std::shared_ptr<std::vector<uint8_t>> scratch;  // backing store when it is not (shared: copies stay valid)
  CacheHeader header;
  std::string arch;    // from the magic
  std::vector<Mapping> mappings;

  uint32_t header_size() const { return header.mapping_offset; }
  Uuid uuid() const { return header.uuid; }
};

struct Subcache {
  size_t index = 0;          // in the header's subcache array
  Uuid uuid{};               // expected (from the main file's entry)
  uint64_t vm_offset = 0;    // cacheVMOffset
  std::string suffix;        // ".1" (v1 entries) or fileSuffix (v2)
  std::optional<size_t> file;  // into Cache::files when opened and its UUID matched
  std::string error;         // why it is not usable
};

struct Image {
  size_t index = 0;
  std::string path;
  uint64_t address = 0;      // unslid VM of the mach_header
  uint64_t mod_time = 0, inode = 0;
  std::optional<Uuid> uuid;  // from imagesText
  uint64_t text_size = 0;    // __TEXT size from imagesText (0 when absent)
};

// Where a VM address lives.
struct Location {
  size_t file = 0;           // index into Cache::files
  size_t mapping = 0;        // index into that file's mappings
  uint64_t offset = 0;       // file offset
  uint64_t available = 0;    // bytes from offset to the end of the mapping
};

// A rebased pointer found by walking slide info.
struct SlidPointer {
  uint64_t address = 0;      // unslid VM of the pointer
  uint64_t target = 0;       // unslid VM it points to (PAC/diversity bits stripped)
  bool auth = false;
};

struct LocalSymbols {
  std::vector<macho::Symbol> symbols;
};

// What `code_hash` covers (see image.cpp for the rules and their limits).
struct CodeHash {
  std::string sha256;        // executable sections, slid pointers zeroed, arm64 PC-relative immediates zeroed
  uint64_t bytes = 0;        // bytes hashed
  uint64_t masked_pointers = 0, masked_instructions = 0;
  std::string const_sha256;  // __DATA_CONST / __AUTH_CONST segments with slid pointers zeroed ("" if none)
  uint64_t const_bytes = 0;
};

struct ImageDetail {
  macho::MachO macho;        // header + load commands (symbols/exports read through the VM map below)
  size_t header_file = 0;    // file holding the mach_header
  std::optional<uint32_t> current_version, compat_version;
  std::vector<macho::Export> exports;
  std::vector<uint64_t> function_starts;  // VM addresses
  CodeHash code;
  std::optional<LocalSymbols> local_symbols;
};

struct ImageOptions {
  bool exports = true;
  bool function_starts = true;
  bool code_hash = true;
  bool const_hash = true;      // CodeHash::const_sha256 (only with code_hash)
  bool local_symbols = false;
};

// The image holding an address, and the segment when that is not the image's __TEXT.
struct AddressOwner {
  const Image* image = nullptr;
  std::string segment;  // "" when the image's __TEXT holds it
};

class Cache {
 public:
  std::vector<CacheFile> files;      // [0] = main; then opened subcaches; then .symbols
  std::vector<Subcache> subcaches;   // from the main header, in order
  std::optional<size_t> symbols_file;
  std::vector<Image> images;         // in table order
  uint64_t base_address = 0;         // main file's first mapping address (cache base)

  const CacheFile& main() const { return files.front(); }
  bool subcaches_v2() const;         // 56-byte entries with fileSuffix
  bool split() const { return !subcaches.empty(); }

  // VM → (file, offset); fails when no usable mapping of an opened file holds the address.
  Result<Location> locate(uint64_t vmaddr) const;
  // [vmaddr, vmaddr+size) as a view; must lie inside one mapping.
  Result<ByteReader> read(uint64_t vmaddr, uint64_t size) const;
  // The image whose __TEXT range (imagesText, or the next image's start) holds vmaddr.
  const Image* image_at(uint64_t vmaddr) const;
  const Image* find_image(std::string_view install_path) const;
  // image_at, else the image one of whose other segments (not the shared __LINKEDIT) holds vmaddr.
  AddressOwner owner_at(uint64_t vmaddr) const;

  // Rebased pointers in [vmaddr, vmaddr+size), decoded from each mapping's slide info (v2, v3, v5).
  std::vector<SlidPointer> slid_pointers(uint64_t vmaddr, uint64_t size, Diagnostics& diags) const;

  // Mach-O view, exports, function starts, code hash and (optionally) local symbols of one image.
  Result<ImageDetail> image_detail(const Image& img, Diagnostics& diags, const ImageOptions& opt = {}) const;
  // The same for several images, their code hashes computed side by side (disasm::code_hashes, SHA-256
  // lanes): result k and diags[k] belong to imgs[k].
  std::vector<Result<ImageDetail>> image_details(std::span<const Image* const> imgs, std::span<Diagnostics> diags,
                                                 const ImageOptions& opt = {}) const;

  // Local symbols of an image from the .symbols file (or the main file for old caches).
  std::optional<LocalSymbols> local_symbols(const Image& img, Diagnostics& diags) const;

  // Drops the pages read so far from this process (Source::release on every file): callers walking
  // thousands of images call it every few dozen so a multi-GB cache is listed in bounded RSS.
  void release_pages() const;

  struct MapEntry {
    uint64_t start, end;
    size_t file, mapping;
  };
  std::vector<MapEntry> vm_map;      // sorted by start, non-overlapping

 private:
  struct PendingCode;  // the sections a code hash covers, gathered for code_hashes (image.cpp)
  Result<ImageDetail> detail(const Image& img, Diagnostics& diags, const ImageOptions& opt, PendingCode* code) const;
  static void finish_code(std::span<ImageDetail* const> details, std::span<const PendingCode> pending);

  std::vector<size_t> by_address_;   // image indices sorted by address
  friend struct CacheBuilder;
};

// Hash of the image's own bytes as they sit in the cache: every segment except the shared
// __LINKEDIT, in load-command order, filesize bytes each (slid pointers included, so it changes when
// the image moves; the code hash is the layout-independent one).
Result<std::string> image_content_hash(const Cache& c, const ImageDetail& d, HashKind kind);

// image_detail of every image, in table order, on `jobs` threads (0: every core); an image that cannot be
// read is nullopt and its error a diagnostic; diagnostics are merged into diags in image order.
std::vector<std::optional<ImageDetail>> all_image_details(const Cache& c, unsigned jobs, const ImageOptions& opt,
                                                          Diagnostics& diags);

using OpenSibling = std::function<Result<SourcePtr>(const std::string& suffix)>;
// Opens siblings next to main when it is a file on disk (a FileSource); otherwise none can be.
OpenSibling siblings_of(const SourcePtr& main);

// Opens the main cache file and its siblings (subcaches, .symbols) in the same directory by name.
Result<Cache> open_cache(const std::string& main_path, Diagnostics& diags);
// The same from Sources: open_sibling(".01") yields the subcache file, open_sibling(".symbols") the symbols.
Result<Cache> open_cache(SourcePtr main, const OpenSibling& open_sibling, Diagnostics& diags);

// Reads one file's header, mappings and slide info headers (exposed for the probe and tests).
Result<CacheFile> read_cache_file(SourcePtr src, std::string suffix, Diagnostics& diags);

// Names for header values.
std::string platform_name(uint32_t platform);
std::string os_version_string(uint32_t packed);   // 0x000E0200 -> "14.2.0"
std::string cache_type_name(uint64_t cache_type);
std::string mapping_name(const Mapping& m);       // "__TEXT", "__DATA", "__AUTH_CONST", "__LINKEDIT" ...

}  // namespace upscope::dyld_cache
