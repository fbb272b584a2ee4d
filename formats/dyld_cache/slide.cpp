// Slide info: which 8-byte words of a DATA/AUTH mapping hold rebased pointers, and their unslid
// targets. v2 (arm64/x86_64): page_starts with an EXTRA chain list, chain deltas in delta_mask (4-byte
// units). v3 (arm64e, iOS 12-17 / macOS 11-14) and v5 (arm64e, iOS 18 / macOS 15 on): one start per
// page, 11-bit `next` in 8-byte units at bit 51 (v3) or 52 (v5), bit 63 = authenticated.
#include "dyld_cache/slide.hpp"

#include <algorithm>
#include <bit>

#include <fmt/format.h>

#include "dyld_cache/structs.hpp"
#include "inspect/checked.hpp"

namespace upscope::dyld_cache {

void read_slide_headers(CacheFile& f, Diagnostics& diags) {
  for (size_t i = 0; i < f.mappings.size(); ++i) {
    Mapping& m = f.mappings[i];
    if (!m.slide_info_size || !m.usable) continue;
    const std::string where = f.name + fmt::format(": slide info of mapping {}", i);
    auto blob = f.bytes.sub(m.slide_info_offset, m.slide_info_size);
    if (!blob) {
      diags.error(m.slide_info_offset, where,
                  fmt::format("{:#x}+{:#x} runs past the end of the file ({:#x} bytes)", m.slide_info_offset,
                              m.slide_info_size, f.bytes.size()));
      continue;
    }
    auto version = blob->u32le(0);
    if (!version) {
      diags.error(blob->base(), where, "shorter than its version field");
      continue;
    }
    SlideInfo s;
    s.version = *version;
    uint64_t starts_off = 0, starts_count = 0;
    if (s.version == 2) {
      auto h = blob->read<dyld_cache_slide_info2>(0);
      if (!h) {
        diags.error(blob->base(), where, fmt::format("{} bytes, shorter than the 40-byte v2 header", blob->size()));
        continue;
      }
      s.page_size = h->page_size;
      starts_off = h->page_starts_offset;
      starts_count = h->page_starts_count;
      s.delta_mask = h->delta_mask;
      s.value_add = h->value_add;
      if (!s.delta_mask || std::countr_zero(s.delta_mask) < 2) {
        diags.error(blob->base() + 24, where, fmt::format("delta_mask {:#x} is unusable", s.delta_mask));
        continue;
      }
      auto extras = blob->sub(h->page_extras_offset, uint64_t(h->page_extras_count) * 2);
      if (!extras) {
        diags.error(blob->base() + 16, where,
                    fmt::format("page_extras ({} × 2 bytes at +{:#x}) run past the slide info ({:#x} bytes)",
                                h->page_extras_count, h->page_extras_offset, blob->size()));
        continue;
      }
      s.page_extras = *extras;
    } else if (s.version == 3 || s.version == 5) {
      auto h = blob->read<dyld_cache_slide_info3>(0);  // v5 has the same layout
      if (!h) {
        diags.error(blob->base(), where,
                    fmt::format("{} bytes, shorter than the 24-byte v{} header", blob->size(), s.version));
        continue;
      }
      s.page_size = h->page_size;
      starts_off = sizeof(dyld_cache_slide_info3);
      starts_count = h->page_starts_count;
      s.value_add = h->auth_value_add;
    } else {
      diags.error(blob->base(), where, fmt::format("version {} is not supported (2, 3 and 5 are)", s.version));
      continue;
    }
    if (s.page_size < 0x400 || s.page_size > 0x10000 || !std::has_single_bit(s.page_size)) {
      diags.error(blob->base() + 4, where, fmt::format("page_size {:#x} is not a power of two in 0x400..0x10000", s.page_size));
      continue;
    }
    auto starts = blob->sub(starts_off, starts_count * 2);
    if (!starts) {
      diags.error(blob->base(), where,
                  fmt::format("page_starts ({} × 2 bytes at +{:#x}) run past the slide info ({:#x} bytes)", starts_count,
                              starts_off, blob->size()));
      continue;
    }
    s.page_starts = *starts;
    const uint64_t pages = m.size / s.page_size + (m.size % s.page_size ? 1 : 0);
    s.page_count = starts_count;
    if (starts_count > pages) {
      diags.error(blob->base(), where,
                  fmt::format("page_starts_count {} × page_size {:#x} covers more than the mapping's {:#x} bytes",
                              starts_count, s.page_size, m.size));
      s.page_count = pages;
    }
    m.slide = s;
  }
}

namespace {

// Walks one chain from page_offset; calls found(offset_in_page, raw) for each pointer.
template <typename Found>
void walk_chain(const ByteReader& page, uint64_t page_offset, const SlideInfo& s, const std::string& where,
                Diagnostics& diags, Found&& found) {
  const unsigned v2_shift = s.version == 2 ? unsigned(std::countr_zero(s.delta_mask)) - 2 : 0;
  for (uint64_t guard = 0; guard <= page.size(); ++guard) {  // every step advances: bounded by the page
    auto raw = page.u64le(page_offset);
    if (!raw) {
      diags.error(page.base() + page_offset, where, fmt::format("rebase chain runs past the page at +{:#x}", page_offset));
      return;
    }
    found(page_offset, *raw);
    uint64_t delta;
    if (s.version == 2) delta = (*raw & s.delta_mask) >> v2_shift;
    else if (s.version == 3) delta = ((*raw >> 51) & 0x7ff) * 8;
    else delta = ((*raw >> 52) & 0x7ff) * 8;
    if (delta == 0) return;
    page_offset += delta;
  }
}

uint64_t decode_target(const SlideInfo& s, uint64_t raw, bool& auth) {
  auth = false;
  if (s.version == 2) {
    uint64_t v = raw & ~s.delta_mask;
    return v ? v + s.value_add : 0;
  }
  if (s.version == 3) {
    if (raw >> 63) {
      auth = true;
      return s.value_add + (raw & 0xffffffffULL);
    }
    const uint64_t v51 = raw & ((1ULL << 51) - 1);
    return ((v51 & 0x0007f80000000000ULL) << 13) | (v51 & 0x000007ffffffffffULL);
  }
  const uint64_t runtime = raw & ((1ULL << 34) - 1);  // v5
  if (raw >> 63) {
    auth = true;
    return s.value_add + runtime;
  }
  return (s.value_add + runtime) | (((raw >> 34) & 0xff) << 56);
}

}  // namespace

std::vector<SlidPointer> Cache::slid_pointers(uint64_t vmaddr, uint64_t size, Diagnostics& diags) const {
  std::vector<SlidPointer> out;
  const uint64_t end = checked_add(vmaddr, size).value_or(UINT64_MAX);
  auto it = std::upper_bound(vm_map.begin(), vm_map.end(), vmaddr, [](uint64_t a, const MapEntry& e) { return a < e.start; });
  if (it != vm_map.begin()) --it;
  for (; it != vm_map.end() && it->start < end; ++it) {
    if (it->end <= vmaddr) continue;
    const CacheFile& f = files[it->file];
    const Mapping& m = f.mappings[it->mapping];
    if (!m.slide) continue;
    const SlideInfo& s = *m.slide;
    const uint64_t lo = std::max(vmaddr, it->start) - m.address, hi = std::min(end, it->end) - m.address;
    for (uint64_t p = lo / s.page_size; p < s.page_count && p * s.page_size < hi; ++p) {
      const uint64_t page_off = p * s.page_size;
      auto page = f.bytes.sub(m.file_offset + page_off, std::min<uint64_t>(s.page_size, m.size - page_off));
      if (!page) continue;  // the mapping was checked against the file
      const std::string where = f.name + fmt::format(": slide info of mapping {}, page {}", it->mapping, p);
      auto found = [&](uint64_t off, uint64_t raw) {
        const uint64_t a = m.address + page_off + off;
        if (a + 8 <= vmaddr || a >= end) return;
        SlidPointer sp;
        sp.address = a;
        sp.target = decode_target(s, raw, sp.auth);
        out.push_back(sp);
      };
      const uint16_t start = *s.page_starts.u16le(p * 2);
      if (s.version == 2) {
        if (start == DYLD_CACHE_SLIDE_PAGE_ATTR_NO_REBASE) continue;
        if (start & DYLD_CACHE_SLIDE_PAGE_ATTR_EXTRA) {
          for (uint64_t j = start & 0x3fff;; ++j) {
            auto extra = s.page_extras.u16le(j * 2);
            if (!extra) {
              diags.error(s.page_extras.base(), where,
                          fmt::format("page_extras index {} is past the {} extras", j, s.page_extras.size() / 2));
              break;
            }
            walk_chain(*page, uint64_t(*extra & 0x3fff) * 4, s, where, diags, found);
            if (*extra & DYLD_CACHE_SLIDE_PAGE_ATTR_END) break;
          }
        } else {
          walk_chain(*page, uint64_t(start) * 4, s, where, diags, found);
        }
      } else {
        if (start == DYLD_CACHE_SLIDE_V3_PAGE_ATTR_NO_REBASE) continue;
        walk_chain(*page, start, s, where, diags, found);
      }
    }
  }
  std::sort(out.begin(), out.end(), [](const SlidPointer& a, const SlidPointer& b) { return a.address < b.address; });
  return out;
}

}  // namespace upscope::dyld_cache
