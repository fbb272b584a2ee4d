// Opening a dyld shared cache: each file's header and mappings, the main file's image tables, the
// subcache array (v1 `.N` names or v2 fileSuffix), the `.symbols` file, and one merged VM map.
#include "dyld_cache/cache.hpp"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "dyld_cache/slide.hpp"
#include "dyld_cache/structs.hpp"
#include "inspect/checked.hpp"
#include "inspect/text.hpp"

namespace upscope::dyld_cache {
namespace {

std::string uuid_str(const uint8_t* p) { return uuid_string(Bytes(p, 16)); }

bool all_zero(const uint8_t* p, size_t n) {
  return std::all_of(p, p + n, [](uint8_t b) { return b == 0; });
}

// A table of count entries of entry_size bytes at off, inside the file; nullopt + diagnostic otherwise.
std::optional<ByteReader> table(const CacheFile& f, const char* what, uint64_t off, uint64_t count, uint64_t entry_size,
                                Diagnostics& diags) {
  auto size = checked_mul(count, entry_size);
  if (!size || !range_fits(off, *size, f.bytes.size())) {
    diags.error(off, f.name + ": " + what,
                fmt::format("{} × {} bytes at {:#x} run past the end of the file ({:#x} bytes)", count, entry_size, off,
                            f.bytes.size()));
    return std::nullopt;
  }
  return *f.bytes.sub(off, *size);
}

Uuid uuid_at(const uint8_t* p) {
  Uuid u;
  std::memcpy(u.data(), p, 16);
  return u;
}

// The model of a raw header that holds only its first mappingOffset bytes (the rest zero).
CacheHeader header_model(const dyld_cache_header& h) {
  const uint32_t size = h.mappingOffset;
  auto opt = [size](size_t offset, auto v) -> std::optional<decltype(v)> {
    if (size > offset) return v;
    return std::nullopt;
  };
  CacheHeader m;
  m.magic.assign(h.magic, sizeof h.magic);
  m.mapping_offset = h.mappingOffset;
  m.mapping_count = h.mappingCount;
  m.images_offset_old = h.imagesOffsetOld;
  m.images_count_old = h.imagesCountOld;
  m.cache_type = opt(offsetof(dyld_cache_header, cacheType), h.cacheType);
  m.platform = opt(offsetof(dyld_cache_header, platform), h.platform);
  m.format_version_and_flags = opt(offsetof(dyld_cache_header, formatVersionAndFlags), h.formatVersionAndFlags);
  m.os_version = opt(offsetof(dyld_cache_header, osVersion), h.osVersion);
  m.shared_region_start = opt(offsetof(dyld_cache_header, sharedRegionStart), h.sharedRegionStart);
  m.shared_region_size = opt(offsetof(dyld_cache_header, sharedRegionSize), h.sharedRegionSize);
  m.max_slide = opt(offsetof(dyld_cache_header, maxSlide), h.maxSlide);
  m.images_offset = opt(offsetof(dyld_cache_header, imagesOffset), h.imagesOffset);
  m.images_count = opt(offsetof(dyld_cache_header, imagesCount), h.imagesCount);
  m.cache_sub_type = opt(offsetof(dyld_cache_header, cacheSubType), h.cacheSubType);
  m.symbol_file_uuid = opt(offsetof(dyld_cache_header, symbolFileUUID) + 15, uuid_at(h.symbolFileUUID));
  m.uuid = uuid_at(h.uuid);
  m.code_signature_offset = h.codeSignatureOffset;
  m.code_signature_size = h.codeSignatureSize;
  m.local_symbols_offset = h.localSymbolsOffset;
  m.local_symbols_size = h.localSymbolsSize;
  m.dyld_in_cache_mh = h.dyldInCacheMH;
  m.dyld_in_cache_entry = h.dyldInCacheEntry;
  m.images_text_offset = h.imagesTextOffset;
  m.images_text_count = h.imagesTextCount;
  m.dylibs_trie_addr = h.dylibsTrieAddr;
  m.dylibs_trie_size = h.dylibsTrieSize;
  m.alt_platform = h.altPlatform;
  m.alt_os_version = h.altOsVersion;
  m.subcache_array_offset = h.subCacheArrayOffset;
  m.subcache_array_count = h.subCacheArrayCount;
  return m;
}

}  // namespace

Result<CacheFile> read_cache_file(SourcePtr src, std::string suffix, Diagnostics& diags) {
  CacheFile f;
  f.name = src->name();
  f.suffix = std::move(suffix);
  f.source = src;
  f.scratch = std::make_shared<std::vector<uint8_t>>();
  auto whole = src->view(0, src->size(), *f.scratch, "dyld cache file");
  if (!whole) return fail(whole.error().in_file(f.name));
  f.bytes = *whole;
  const uint64_t size = f.bytes.size();
  auto err = [&](ErrorCode code, std::string rule, std::optional<uint64_t> off = std::nullopt) {
    return fail(make_error(code, "dyld_cache_header", std::move(rule), off).in_file(f.name));
  };
  if (size < 16) return err(ErrorCode::kTruncated, fmt::format("the file is {} bytes, shorter than the 16-byte magic", size));
  if (!f.bytes.starts_with("dyld_v1"))
    return err(ErrorCode::kMalformed,
               fmt::format("magic \"{}\" does not start with \"dyld_v1\"", printable(*f.bytes.bytes(0, 16))), 0);
  if (size < 0x18)
    return err(ErrorCode::kTruncated, fmt::format("the file is {} bytes, too short for mappingOffset/mappingCount", size));
  std::string arch(*f.bytes.fixed_string(7, 9));
  arch.erase(0, arch.find_first_not_of(' '));
  f.arch = arch;

  const uint32_t mapping_offset = *f.bytes.u32le(0x10);
  const uint32_t mapping_count = *f.bytes.u32le(0x14);
  if (mapping_offset < 0x20)
    return err(ErrorCode::kMalformed,
               fmt::format("mappingOffset {:#x} is inside the first 0x20 bytes (magic and table fields)", mapping_offset), 0x10);
  if (mapping_offset > kMaxMappingOffset)
    return err(ErrorCode::kMalformed, fmt::format("mappingOffset {:#x} exceeds {:#x} (dyld's limit)", mapping_offset,
                                                  kMaxMappingOffset), 0x10);
  if (mapping_offset > size)
    return err(ErrorCode::kTruncated,
               fmt::format("the {:#x}-byte header (mappingOffset) runs past the end of the file ({:#x} bytes)",
                           mapping_offset, size));
  // Fields at or past mappingOffset do not exist in this layout: keep them zero.
  dyld_cache_header h{};
  std::memcpy(&h, f.bytes.data().data(), std::min<size_t>(mapping_offset, sizeof(dyld_cache_header)));
  f.header = header_model(h);
  if (mapping_count > kMaxMappings)
    return err(ErrorCode::kMalformed, fmt::format("mappingCount {} exceeds {} (dyld's limit)", mapping_count, kMaxMappings),
               0x14);
  if (!range_fits(mapping_offset, uint64_t(mapping_count) * sizeof(dyld_cache_mapping_info), size))
    return err(ErrorCode::kTruncated,
               fmt::format("mapping table ({} × 32 bytes at {:#x}) runs past the end of the file ({:#x} bytes)",
                           mapping_count, mapping_offset, size));
  for (uint32_t i = 0; i < mapping_count; ++i) {
    auto m = *f.bytes.read<dyld_cache_mapping_info>(mapping_offset + uint64_t(i) * 32);
    Mapping x;
    x.address = m.address;
    x.size = m.size;
    x.file_offset = m.fileOffset;
    x.max_prot = m.maxProt;
    x.init_prot = m.initProt;
    f.mappings.push_back(x);
  }
  // mapping_and_slide_info (macOS 11 / iOS 14 on) carries per-mapping slide info and flags.
  if (h.mappingWithSlideCount) {  // zero when absent
    if (h.mappingWithSlideCount != mapping_count) {
      diags.error(0x13c, f.name + ": dyld_cache_header",
                  fmt::format("mappingWithSlideCount {} differs from mappingCount {}: slide info ignored",
                              h.mappingWithSlideCount, mapping_count));
    } else if (auto t = table(f, "mapping_and_slide_info table", h.mappingWithSlideOffset, mapping_count,
                              sizeof(dyld_cache_mapping_and_slide_info), diags)) {
      for (uint32_t i = 0; i < mapping_count; ++i) {
        auto m = *t->read<dyld_cache_mapping_and_slide_info>(uint64_t(i) * 56);
        auto& dst = f.mappings[i];
        if (m.address != dst.address || m.size != dst.size || m.fileOffset != dst.file_offset)
          diags.warning(t->base() + i * 56, f.name + fmt::format(": mapping_and_slide_info {}", i),
                        "address/size/fileOffset differ from dyld_cache_mapping_info: using mapping_and_slide_info");
        dst.address = m.address;
        dst.size = m.size;
        dst.file_offset = m.fileOffset;
        dst.max_prot = m.maxProt;
        dst.init_prot = m.initProt;
        dst.slide_info_offset = m.slideInfoFileOffset;
        dst.slide_info_size = m.slideInfoFileSize;
        dst.flags = m.flags;
      }
    }
  } else if (h.slideInfoSizeUnused && f.mappings.size() > 1) {
    // Before macOS 11 / iOS 14 a single slide info described the second (DATA) mapping.
    f.mappings[1].slide_info_offset = h.slideInfoOffsetUnused;
    f.mappings[1].slide_info_size = h.slideInfoSizeUnused;
  }
  for (size_t i = 0; i < f.mappings.size(); ++i) {
    auto& m = f.mappings[i];
    if (!checked_add(m.address, m.size)) {
      diags.error(mapping_offset + i * 32, f.name + fmt::format(": mapping {}", i),
                  fmt::format("address {:#x} + size {:#x} overflows", m.address, m.size));
      m.usable = false;
    } else if (!range_fits(m.file_offset, m.size, size)) {
      diags.error(mapping_offset + i * 32, f.name + fmt::format(": mapping {}", i),
                  fmt::format("{:#x}+{:#x} at file offset {:#x} runs past the end of the file ({:#x} bytes)", m.address,
                              m.size, m.file_offset, size));
      m.usable = false;
    }
  }
  read_slide_headers(f, diags);
  return f;
}

bool Cache::subcaches_v2() const { return main().header.cache_sub_type.has_value(); }

namespace {

void read_images(Cache& c, Diagnostics& diags) {
  const CacheFile& f = c.main();
  const auto& h = f.header;
  const bool new_layout = f.header_size() >= offsetof(dyld_cache_header, imagesCount);
  const uint64_t off = new_layout ? h.images_offset.value_or(0) : h.images_offset_old;
  const uint64_t count = new_layout ? h.images_count.value_or(0) : h.images_count_old;
  auto path_at = [&](uint64_t i, uint64_t path_off) -> std::string {
    if (path_off >= f.bytes.size()) {
      diags.error(path_off, f.name + fmt::format(": image {}", i),
                  fmt::format("path offset {:#x} is past the end of the main file ({:#x} bytes)", path_off, f.bytes.size()));
      return {};
    }
    auto s = f.bytes.cstring(path_off, 4096);
    if (!s) {
      diags.error(path_off, f.name + fmt::format(": image {}", i), "install path is not NUL-terminated within 4096 bytes");
      return {};
    }
    return std::string(*s);
  };
  if (count) {
    if (auto t = table(f, "image table", off, count, sizeof(dyld_cache_image_info), diags)) {
      c.images.reserve(count);
      for (uint64_t i = 0; i < count; ++i) {
        auto r = *t->read<dyld_cache_image_info>(i * 32);
        Image img;
        img.index = i;
        img.address = r.address;
        img.mod_time = r.modTime;
        img.inode = r.inode;
        img.path = path_at(i, r.pathFileOffset);
        c.images.push_back(std::move(img));
      }
    }
  }
  // imagesText: UUID and __TEXT size per image (same list, matched by address).
  if (!h.images_text_count) return;
  auto t = table(f, "image text table", h.images_text_offset, h.images_text_count, sizeof(dyld_cache_image_text_info), diags);
  if (!t) return;
  const bool build = c.images.empty();
  std::vector<size_t> order(c.images.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return c.images[a].address < c.images[b].address; });
  for (uint64_t i = 0; i < h.images_text_count; ++i) {
    auto r = *t->read<dyld_cache_image_text_info>(i * 32);
    const Uuid u = uuid_at(r.uuid);
    if (build) {
      Image img;
      img.index = i;
      img.address = r.loadAddress;
      img.path = path_at(i, r.pathOffset);
      img.uuid = u;
      img.text_size = r.textSegmentSize;
      c.images.push_back(std::move(img));
      continue;
    }
    Image* match = nullptr;
    if (i < c.images.size() && c.images[i].address == r.loadAddress) {
      match = &c.images[i];
    } else {
      auto it = std::lower_bound(order.begin(), order.end(), r.loadAddress,
                                 [&](size_t k, uint64_t a) { return c.images[k].address < a; });
      if (it != order.end() && c.images[*it].address == r.loadAddress) match = &c.images[*it];
    }
    if (!match) {
      diags.warning(t->base() + i * 32, f.name + fmt::format(": image text {}", i),
                    fmt::format("loadAddress {:#x} matches no image table entry", r.loadAddress));
      continue;
    }
    match->uuid = u;
    match->text_size = r.textSegmentSize;
  }
}

std::string expected_name(const Cache& c, const std::string& suffix) {
  std::string base = c.main().name;
  constexpr std::string_view dev = ".development";
  if (c.main().header.cache_type == 2u && base.ends_with(dev)) base.erase(base.size() - dev.size());
  return base + suffix;
}

bool plain_suffix(std::string_view s) {
  return !s.empty() && s.front() == '.' && s.find('/') == std::string_view::npos && s.find("..") == std::string_view::npos;
}

void open_subcaches(Cache& c, const OpenSibling& open_sibling, Diagnostics& diags) {
  const CacheFile& m = c.main();
  const CacheHeader& h = m.header;
  if (!h.subcache_array_count) return;
  const bool v2 = c.subcaches_v2();
  const uint64_t es = v2 ? sizeof(dyld_subcache_entry) : sizeof(dyld_subcache_entry_v1);
  if (h.subcache_array_count > kMaxSubcaches) {
    diags.error(offsetof(dyld_cache_header, subCacheArrayCount), m.name + ": dyld_cache_header",
                fmt::format("subCacheArrayCount {} exceeds {} (no cache has that many files): subcaches not opened",
                            h.subcache_array_count, kMaxSubcaches));
    return;
  }
  auto t = table(m, "subcache array", h.subcache_array_offset, h.subcache_array_count, es, diags);
  if (!t) return;
  for (uint64_t i = 0; i < h.subcache_array_count; ++i) {
    Subcache s;
    s.index = i;
    if (v2) {
      auto e = *t->read<dyld_subcache_entry>(i * es);
      s.uuid = uuid_at(e.uuid);
      s.vm_offset = e.cacheVMOffset;
      s.suffix = std::string(*t->fixed_string(i * es + 24, 32));
    } else {
      auto e = *t->read<dyld_subcache_entry_v1>(i * es);
      s.uuid = uuid_at(e.uuid);
      s.vm_offset = e.cacheVMOffset;
      s.suffix = fmt::format(".{}", i + 1);
    }
    c.subcaches.push_back(std::move(s));
  }
  // c.files grows in this loop: keep copies, not references into it.
  const std::string main_name = m.name;
  const Uuid main_uuid = m.uuid();
  for (auto& s : c.subcaches) {
    const uint64_t entry_off = t->base() + s.index * es;
    if (!plain_suffix(s.suffix)) {
      s.error = fmt::format("fileSuffix \"{}\" is not a plain file suffix", printable(bytes_of(s.suffix)));
      diags.error(entry_off, main_name + fmt::format(": subcache {}", s.index), s.error);
      continue;
    }
    const std::string name = expected_name(c, s.suffix);
    // Each file is opened once: an entry naming the main file again or repeating another entry's
    // file would map the same bytes twice (or loop, for a reader that follows subcaches' arrays).
    if (s.uuid == main_uuid) {
      s.error = fmt::format("subcache {} has the main cache's own UUID {} (a cycle): not opened", s.index,
                            uuid_str(s.uuid.data()));
      diags.error(entry_off, main_name + fmt::format(": subcache {}", s.index), s.error);
      continue;
    }
    if (auto dup = std::find_if(c.subcaches.begin(), c.subcaches.begin() + s.index,
                                [&](const Subcache& o) { return o.suffix == s.suffix || o.uuid == s.uuid; });
        dup != c.subcaches.begin() + s.index) {
      s.error = fmt::format("subcache {} repeats subcache {} ({} {}): not opened", s.index, dup->index,
                            dup->suffix == s.suffix ? "file suffix" : "UUID",
                            dup->suffix == s.suffix ? s.suffix : uuid_str(s.uuid.data()));
      diags.error(entry_off, main_name + fmt::format(": subcache {}", s.index), s.error);
      continue;
    }
    auto src = open_sibling(s.suffix);
    if (!src) {
      s.error = fmt::format("subcache {} of the main cache is missing: {}", s.index, src.error().message());
      diags.error(std::nullopt, name, s.error);
      continue;
    }
    Diagnostics local;
    auto f = read_cache_file(*src, s.suffix, local);
    diags.append(local);
    if (!f) {
      s.error = f.error().message();
      diags.error(std::nullopt, name, fmt::format("subcache {} cannot be read: {}", s.index, s.error));
      continue;
    }
    if (f->uuid() != s.uuid) {
      s.error = fmt::format("subcache UUID {} does not match the main cache's entry {} (subcache {})",
                            uuid_str(f->header.uuid.data()), uuid_str(s.uuid.data()), s.index);
      diags.error(std::nullopt, name, s.error);
      continue;
    }
    const uint64_t expect = c.base_address + s.vm_offset;
    if (!f->mappings.empty() && f->mappings[0].address != expect)
      diags.warning(entry_off, name,
                    fmt::format("first mapping at {:#x}, but cacheVMOffset {:#x} places the subcache at {:#x}",
                                f->mappings[0].address, s.vm_offset, expect));
    s.file = c.files.size();
    c.files.push_back(std::move(*f));
  }
}

void open_symbols(Cache& c, const OpenSibling& open_sibling, Diagnostics& diags) {
  const CacheFile& m = c.main();
  const auto& want = m.header.symbol_file_uuid;
  if (!want || all_zero(want->data(), 16)) return;
  const std::string name = expected_name(c, ".symbols");
  auto src = open_sibling(".symbols");
  if (!src) {
    diags.error(std::nullopt, name, fmt::format("symbols file is missing: {}", src.error().message()));
    return;
  }
  Diagnostics local;
  auto f = read_cache_file(*src, ".symbols", local);
  diags.append(local);
  if (!f) {
    diags.error(std::nullopt, name, fmt::format("symbols file cannot be read: {}", f.error().message()));
    return;
  }
  if (f->uuid() != *want) {
    diags.error(std::nullopt, name,
                fmt::format("symbols file UUID {} does not match the main cache's symbolFileUUID {}",
                            uuid_str(f->header.uuid.data()), uuid_str(want->data())));
    return;
  }
  c.symbols_file = c.files.size();
  f->mappings.clear();  // holds no cache VM
  c.files.push_back(std::move(*f));
}

void build_vm_map(Cache& c, Diagnostics& diags) {
  for (size_t fi = 0; fi < c.files.size(); ++fi) {
    if (c.symbols_file && fi == *c.symbols_file) continue;
    const auto& f = c.files[fi];
    for (size_t mi = 0; mi < f.mappings.size(); ++mi) {
      const auto& m = f.mappings[mi];
      if (m.usable && m.size) c.vm_map.push_back({m.address, m.address + m.size, fi, mi});
    }
  }
  std::stable_sort(c.vm_map.begin(), c.vm_map.end(), [](const auto& a, const auto& b) { return a.start < b.start; });
  std::vector<Cache::MapEntry> kept;
  for (const auto& e : c.vm_map) {
    if (!kept.empty() && e.start < kept.back().end) {
      const auto& p = kept.back();
      diags.error(std::nullopt, c.files[e.file].name + fmt::format(": mapping {}", e.mapping),
                  fmt::format("{:#x}..{:#x} overlaps {} mapping {} ({:#x}..{:#x}): ignored", e.start, e.end,
                              c.files[p.file].name, p.mapping, p.start, p.end));
      continue;
    }
    kept.push_back(e);
  }
  c.vm_map = std::move(kept);
}

}  // namespace

struct CacheBuilder {
  static void index(Cache& c) {
    c.by_address_.resize(c.images.size());
    for (size_t i = 0; i < c.images.size(); ++i) c.by_address_[i] = i;
    std::stable_sort(c.by_address_.begin(), c.by_address_.end(),
                     [&](size_t a, size_t b) { return c.images[a].address < c.images[b].address; });
  }
};

Result<Cache> open_cache(SourcePtr main, const OpenSibling& open_sibling, Diagnostics& diags) {
  Cache c;
  UPSCOPE_TRY(CacheFile f, read_cache_file(std::move(main), "", diags));
  c.files.push_back(std::move(f));
  const CacheFile& m = c.main();
  c.base_address = !m.mappings.empty() ? m.mappings[0].address : m.header.shared_region_start.value_or(0);
  read_images(c, diags);
  open_subcaches(c, open_sibling, diags);
  open_symbols(c, open_sibling, diags);
  build_vm_map(c, diags);
  CacheBuilder::index(c);
  return c;
}

Result<Cache> open_cache(const std::string& main_path, Diagnostics& diags) {
  auto main = FileSource::open(main_path);
  if (!main) return fail(main.error());
  return open_cache(*main, [main_path](const std::string& suffix) -> Result<SourcePtr> {
    auto r = FileSource::open(main_path + suffix);
    constexpr std::string_view dev = ".development";
    if (!r && std::string_view(main_path).ends_with(dev)) {  // universal caches share the customer subcaches
      auto alt = FileSource::open(main_path.substr(0, main_path.size() - dev.size()) + suffix);
      if (alt) return alt;
    }
    return r;
  }, diags);
}

OpenSibling siblings_of(const SourcePtr& main) {
  const auto* fs = dynamic_cast<const FileSource*>(main.get());
  std::string path = fs ? fs->file().path() : std::string();
  return [path](const std::string& suffix) -> Result<SourcePtr> {
    if (path.empty())
      return fail(ErrorCode::kNotFound, "dyld cache", "the main cache is not a file on disk: siblings cannot be opened");
    return FileSource::open(path + suffix);
  };
}

Result<Location> Cache::locate(uint64_t vmaddr) const {
  auto it = std::upper_bound(vm_map.begin(), vm_map.end(), vmaddr, [](uint64_t a, const MapEntry& e) { return a < e.start; });
  if (it == vm_map.begin() || vmaddr >= std::prev(it)->end)
    return fail(ErrorCode::kNotFound, "dyld cache VM map",
                fmt::format("address {:#x} is in no mapping of the opened cache files", vmaddr));
  const auto& e = *std::prev(it);
  const Mapping& m = files[e.file].mappings[e.mapping];
  Location l;
  l.file = e.file;
  l.mapping = e.mapping;
  l.offset = m.file_offset + (vmaddr - m.address);
  l.available = e.end - vmaddr;
  return l;
}

Result<ByteReader> Cache::read(uint64_t vmaddr, uint64_t size) const {
  UPSCOPE_TRY(Location l, locate(vmaddr));
  if (size > l.available)
    return fail(ErrorCode::kTruncated, "dyld cache VM map",
                fmt::format("{:#x}+{:#x} runs past the end of its mapping ({} mapping {} ends at {:#x})", vmaddr, size,
                            files[l.file].name, l.mapping, vmaddr + l.available));
  return files[l.file].bytes.sub(l.offset, size);
}

const Image* Cache::image_at(uint64_t vmaddr) const {
  auto it = std::upper_bound(by_address_.begin(), by_address_.end(), vmaddr,
                             [&](uint64_t a, size_t k) { return a < images[k].address; });
  if (it == by_address_.begin()) return nullptr;
  const Image& img = images[*std::prev(it)];
  if (img.text_size) return vmaddr - img.address < img.text_size ? &img : nullptr;
  return &img;
}

const Image* Cache::find_image(std::string_view install_path) const {
  for (const auto& img : images)
    if (img.path == install_path) return &img;
  return nullptr;
}

std::string platform_name(uint32_t p) {
  static const char* names[] = {"unknown", "macos", "ios", "tvos", "watchos", "bridgeos", "maccatalyst", "ios-simulator",
                                "tvos-simulator", "watchos-simulator", "driverkit", "visionos", "visionos-simulator",
                                "firmware", "sepos"};
  if (p < std::size(names)) return names[p];
  return fmt::format("platform {}", p);
}

std::string os_version_string(uint32_t v) { return fmt::format("{}.{}.{}", v >> 16, (v >> 8) & 0xff, v & 0xff); }

std::string cache_type_name(uint64_t t) {
  switch (t) {
    case 0: return "development";
    case 1: return "production";
    case 2: return "universal";
    default: return fmt::format("type {}", t);
  }
}

std::string mapping_name(const Mapping& m) {
  if (m.init_prot & 4) return (m.flags & DYLD_CACHE_MAPPING_TEXT_STUBS) ? "__TEXT_STUBS" : "__TEXT";
  if (m.init_prot & 2) {
    const bool auth = m.flags & DYLD_CACHE_MAPPING_AUTH_DATA;
    if (m.flags & DYLD_CACHE_MAPPING_CONST_DATA) return auth ? "__AUTH_CONST" : "__DATA_CONST";
    if (m.flags & DYLD_CACHE_MAPPING_DIRTY_DATA) return "__DATA_DIRTY";
    if (m.flags & DYLD_CACHE_DYNAMIC_CONFIG_DATA) return "__DATA_CONFIG";
    return auth ? "__AUTH" : "__DATA";
  }
  if (m.flags & DYLD_CACHE_READ_ONLY_DATA) return "__READ_ONLY";
  return "__LINKEDIT";
}

void Cache::release_pages() const {
  for (const auto& f : files)
    if (f.source) f.source->release(0, f.source->size());
}

}  // namespace upscope::dyld_cache
