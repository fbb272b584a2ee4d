// Raw dyld shared cache structures with Apple's field names (dyld's include/mach-o/dyld_cache_format.h,
// dyld-1378 layout; what we read is in docs/formats/dyld-cache.md §1-§6 and §8). All
// little-endian; read with ByteReader::read<T>. The header is the newest layout; an older file's header
// is shorter (its mappingOffset) and every field at or past mappingOffset is absent, so the reader copies
// only mappingOffset bytes into a zeroed struct.
#pragma once

#include <cstddef>
#include <cstdint>

namespace upscope::dyld_cache {

struct dyld_cache_header {
  char magic[16];
  uint32_t mappingOffset;
  uint32_t mappingCount;
  uint32_t imagesOffsetOld;
  uint32_t imagesCountOld;
  uint64_t dyldBaseAddress;
  uint64_t codeSignatureOffset;
  uint64_t codeSignatureSize;
  uint64_t slideInfoOffsetUnused;
  uint64_t slideInfoSizeUnused;
  uint64_t localSymbolsOffset;
  uint64_t localSymbolsSize;
  uint8_t uuid[16];
  uint64_t cacheType;
  uint32_t branchPoolsOffset;
  uint32_t branchPoolsCount;
  uint64_t dyldInCacheMH;
  uint64_t dyldInCacheEntry;
  uint64_t imagesTextOffset;
  uint64_t imagesTextCount;
  uint64_t patchInfoAddr;
  uint64_t patchInfoSize;
  uint64_t otherImageGroupAddrUnused;
  uint64_t otherImageGroupSizeUnused;
  uint64_t progClosuresAddr;
  uint64_t progClosuresSize;
  uint64_t progClosuresTrieAddr;
  uint64_t progClosuresTrieSize;
  uint32_t platform;
  uint32_t formatVersionAndFlags;  // formatVersion:8, dylibsExpectedOnDisk:1, simulator:1, locallyBuiltCache:1,
                                   // builtFromChainedFixups:1, newFormatTLVs:1 (LSB first)
  uint64_t sharedRegionStart;
  uint64_t sharedRegionSize;
  uint64_t maxSlide;
  uint64_t dylibsImageArrayAddr;
  uint64_t dylibsImageArraySize;
  uint64_t dylibsTrieAddr;
  uint64_t dylibsTrieSize;
  uint64_t otherImageArrayAddr;
  uint64_t otherImageArraySize;
  uint64_t otherTrieAddr;
  uint64_t otherTrieSize;
  uint32_t mappingWithSlideOffset;
  uint32_t mappingWithSlideCount;
  uint64_t dylibsPBLStateArrayAddrUnused;
  uint64_t dylibsPBLSetAddr;
  uint64_t programsPBLSetPoolAddr;
  uint64_t programsPBLSetPoolSize;
  uint64_t programTrieAddr;
  uint32_t programTrieSize;
  uint32_t osVersion;
  uint32_t altPlatform;
  uint32_t altOsVersion;
  uint64_t swiftOptsOffset;
  uint64_t swiftOptsSize;
  uint32_t subCacheArrayOffset;
  uint32_t subCacheArrayCount;
  uint8_t symbolFileUUID[16];
  uint64_t rosettaReadOnlyAddr;
  uint64_t rosettaReadOnlySize;
  uint64_t rosettaReadWriteAddr;
  uint64_t rosettaReadWriteSize;
  uint32_t imagesOffset;
  uint32_t imagesCount;
  uint32_t cacheSubType;
  uint32_t padding2;
  uint64_t objcOptsOffset;
  uint64_t objcOptsSize;
  uint64_t cacheAtlasOffset;
  uint64_t cacheAtlasSize;
  uint64_t dynamicDataOffset;
  uint64_t dynamicDataMaxSize;
  uint32_t tproMappingsOffset;
  uint32_t tproMappingsCount;
  uint64_t functionVariantInfoAddr;
  uint64_t functionVariantInfoSize;
  uint64_t prewarmingDataOffset;
  uint64_t prewarmingDataSize;
};
static_assert(sizeof(dyld_cache_header) == 0x228);
static_assert(offsetof(dyld_cache_header, uuid) == 0x58);
static_assert(offsetof(dyld_cache_header, platform) == 0xd8);
static_assert(offsetof(dyld_cache_header, dylibsTrieAddr) == 0x108);
static_assert(offsetof(dyld_cache_header, mappingWithSlideOffset) == 0x138);
static_assert(offsetof(dyld_cache_header, osVersion) == 0x16c);
static_assert(offsetof(dyld_cache_header, subCacheArrayOffset) == 0x188);
static_assert(offsetof(dyld_cache_header, symbolFileUUID) == 0x190);
static_assert(offsetof(dyld_cache_header, imagesOffset) == 0x1c0);
static_assert(offsetof(dyld_cache_header, cacheSubType) == 0x1c8);
static_assert(offsetof(dyld_cache_header, tproMappingsOffset) == 0x200);
static_assert(offsetof(dyld_cache_header, prewarmingDataSize) == 0x220);

// Header sizes of the public dyld releases (docs/formats/dyld-cache.md §1): the builder writes
// mappingOffset = sizeof(header).
inline constexpr uint32_t kHeaderSizeIos11 = 0xf8, kHeaderSizeIos12 = 0x138, kHeaderSizeIos14 = 0x140,
                          kHeaderSizeIos15 = 0x1c8, kHeaderSizeIos16 = 0x200, kHeaderSizeIos18 = 0x208,
                          kHeaderSizeIos26 = 0x228;
inline constexpr uint32_t kMaxMappings = 20;        // dyld's forEachRegion limit
inline constexpr uint32_t kMaxMappingOffset = 1024;  // ditto
inline constexpr uint32_t kMaxSubcaches = 256;       // ours: real caches have a few dozen files

struct dyld_cache_mapping_info {
  uint64_t address;
  uint64_t size;
  uint64_t fileOffset;
  uint32_t maxProt;
  uint32_t initProt;
};
static_assert(sizeof(dyld_cache_mapping_info) == 32);

struct dyld_cache_mapping_and_slide_info {
  uint64_t address;
  uint64_t size;
  uint64_t fileOffset;
  uint64_t slideInfoFileOffset;
  uint64_t slideInfoFileSize;
  uint64_t flags;
  uint32_t maxProt;
  uint32_t initProt;
};
static_assert(sizeof(dyld_cache_mapping_and_slide_info) == 56);

inline constexpr uint64_t DYLD_CACHE_MAPPING_AUTH_DATA = 0x01, DYLD_CACHE_MAPPING_DIRTY_DATA = 0x02,
                          DYLD_CACHE_MAPPING_CONST_DATA = 0x04, DYLD_CACHE_MAPPING_TEXT_STUBS = 0x08,
                          DYLD_CACHE_DYNAMIC_CONFIG_DATA = 0x10, DYLD_CACHE_READ_ONLY_DATA = 0x20,
                          DYLD_CACHE_MAPPING_CONST_TPRO_DATA = 0x40;

struct dyld_cache_image_info {
  uint64_t address;
  uint64_t modTime;
  uint64_t inode;
  uint32_t pathFileOffset;
  uint32_t pad;
};
static_assert(sizeof(dyld_cache_image_info) == 32);

struct dyld_cache_image_text_info {
  uint8_t uuid[16];
  uint64_t loadAddress;
  uint32_t textSegmentSize;
  uint32_t pathOffset;
};
static_assert(sizeof(dyld_cache_image_text_info) == 32);

struct dyld_subcache_entry_v1 {
  uint8_t uuid[16];
  uint64_t cacheVMOffset;
};
static_assert(sizeof(dyld_subcache_entry_v1) == 24);

struct dyld_subcache_entry {
  uint8_t uuid[16];
  uint64_t cacheVMOffset;
  char fileSuffix[32];
};
static_assert(sizeof(dyld_subcache_entry) == 56);

struct dyld_cache_local_symbols_info {
  uint32_t nlistOffset;
  uint32_t nlistCount;
  uint32_t stringsOffset;
  uint32_t stringsSize;
  uint32_t entriesOffset;
  uint32_t entriesCount;
};
static_assert(sizeof(dyld_cache_local_symbols_info) == 24);

struct dyld_cache_local_symbols_entry {
  uint32_t dylibOffset;  // file offset of the dylib's mach_header
  uint32_t nlistStartIndex;
  uint32_t nlistCount;
};
static_assert(sizeof(dyld_cache_local_symbols_entry) == 12);

struct dyld_cache_local_symbols_entry_64 {
  uint64_t dylibOffset;  // VM offset of the dylib's mach_header from the cache base
  uint32_t nlistStartIndex;
  uint32_t nlistCount;
};
static_assert(sizeof(dyld_cache_local_symbols_entry_64) == 16);

// ---- slide info ---------------------------------------------------------------------------------
struct dyld_cache_slide_info2 {
  uint32_t version;  // 2
  uint32_t page_size;
  uint32_t page_starts_offset;
  uint32_t page_starts_count;
  uint32_t page_extras_offset;
  uint32_t page_extras_count;
  uint64_t delta_mask;
  uint64_t value_add;
};
static_assert(sizeof(dyld_cache_slide_info2) == 40);
inline constexpr uint16_t DYLD_CACHE_SLIDE_PAGE_ATTRS = 0xc000, DYLD_CACHE_SLIDE_PAGE_ATTR_EXTRA = 0x8000,
                          DYLD_CACHE_SLIDE_PAGE_ATTR_NO_REBASE = 0x4000, DYLD_CACHE_SLIDE_PAGE_ATTR_END = 0x8000;

struct dyld_cache_slide_info3 {
  uint32_t version;  // 3
  uint32_t page_size;
  uint32_t page_starts_count;
  uint32_t pad;
  uint64_t auth_value_add;
  // uint16_t page_starts[page_starts_count] follows
};
static_assert(sizeof(dyld_cache_slide_info3) == 24);
inline constexpr uint16_t DYLD_CACHE_SLIDE_V3_PAGE_ATTR_NO_REBASE = 0xffff;

struct dyld_cache_slide_info5 {
  uint32_t version;  // 5
  uint32_t page_size;
  uint32_t page_starts_count;
  uint32_t pad;
  uint64_t value_add;
  // uint16_t page_starts[page_starts_count] follows
};
static_assert(sizeof(dyld_cache_slide_info5) == 24);
inline constexpr uint16_t DYLD_CACHE_SLIDE_V5_PAGE_ATTR_NO_REBASE = 0xffff;

}  // namespace upscope::dyld_cache
