// `upscope inspect` for dyld shared caches (format id "dyld-cache"), plus the helpers `upscope dsc`
// shares with it (declared in dsc_common.hpp; kept here so the tools/ glob compiles them).
#include "dsc_common.hpp"

#include <fmt/format.h>

#include "inspect/text.hpp"
#include "inspect/thread_pool.hpp"
#include "macho/macho.hpp"
#include "macho/names.hpp"
#include "dyld_cache/json.hpp"
#include "inspect_registry.hpp"
#include "reports/text_table.hpp"

namespace upscope::cli {

using reports::TextTable;
using namespace dyld_cache;

std::string dsc_summary_text(const Cache& c) {
  const CacheFile& m = c.main();
  const auto& h = m.header;
  std::string t;
  t += fmt::format("  arch: {}, header {:#x} bytes, uuid {}\n", m.arch, h.mappingOffset, uuid_string(Bytes(h.uuid, 16)));
  if (m.has_field(offsetof(dyld_cache_header, platform)))
    t += fmt::format("  platform: {}{}, cache type: {}\n", platform_name(h.platform),
                     m.has_field(offsetof(dyld_cache_header, osVersion)) ? " " + os_version_string(h.osVersion) : "",
                     cache_type_name(h.cacheType));
  if (m.has_field(offsetof(dyld_cache_header, sharedRegionStart)))
    t += fmt::format("  shared region: {:#x}+{:#x}\n", h.sharedRegionStart, h.sharedRegionSize);
  if (m.has_field(offsetof(dyld_cache_header, dyldInCacheMH)) && h.dyldInCacheMH)
    t += fmt::format("  dyld in cache: {:#x} (entry {:#x})\n", h.dyldInCacheMH, h.dyldInCacheEntry);
  if (m.has_field(offsetof(dyld_cache_header, dylibsTrieAddr)) && h.dylibsTrieSize)
    t += fmt::format("  dylibs trie: {:#x}+{:#x}\n", h.dylibsTrieAddr, h.dylibsTrieSize);
  TextTable maps({"FILE", "MAPPING", "ADDRESS", "SIZE", "FILEOFF", "PROT", "SLIDE"},
                 {TextTable::Align::kLeft, TextTable::Align::kLeft, TextTable::Align::kRight, TextTable::Align::kRight,
                  TextTable::Align::kRight, TextTable::Align::kLeft, TextTable::Align::kLeft});
  for (const auto& f : c.files)
    for (const auto& mp : f.mappings)
      maps.add_row({f.name, mapping_name(mp), fmt::format("{:#x}", mp.address), fmt::format("{:#x}", mp.size),
                    fmt::format("{:#x}", mp.file_offset),
                    macho::prot_string(mp.init_prot) + "/" + macho::prot_string(mp.max_prot),
                    mp.slide ? fmt::format("v{} @{:#x}", mp.slide->version, mp.slide_info_offset)
                             : (mp.slide_info_size ? "bad" : "-")});
  t += maps.str();
  for (const auto& s : c.subcaches)
    t += fmt::format("  subcache {}: {} +{:#x} {} {}\n", s.index, s.suffix, s.vm_offset, uuid_string(Bytes(s.uuid.data(), 16)),
                     s.file ? "ok" : "NOT OPENED: " + s.error);
  if (c.symbols_file) t += fmt::format("  symbols file: {}\n", c.files[*c.symbols_file].name);
  t += fmt::format("  images: {}\n", c.images.size());
  return t;
}

std::vector<std::optional<ImageDetail>> dsc_image_details(const Cache& c, unsigned jobs, const ImageOptions& opt,
                                                         Diagnostics& diags) {
  std::vector<std::optional<ImageDetail>> out(c.images.size());
  ThreadPool pool(resolve_jobs(jobs));
  struct R {
    std::optional<ImageDetail> d;
    Diagnostics diags;
  };
  ordered_parallel_map(
      pool, c.images.size(), pool.size() * 8,
      [&](size_t i) {
        R r;
        auto d = c.image_detail(c.images[i], r.diags, opt);
        if (d) r.d = std::move(*d);
        else r.diags.add(d.error());
        return r;
      },
      [&](size_t i, R r) {
        out[i] = std::move(r.d);
        diags.append(r.diags);
        if (i % 32 == 31) c.release_pages();  // bounded RSS on multi-GB caches
        return true;
      });
  return out;
}

std::string dsc_images_table(const Cache& c, const std::vector<std::optional<ImageDetail>>& details) {
  TextTable tab({"#", "ADDRESS", "UUID", "VERSION", "CODE HASH", "FILE", "PATH"},
                {TextTable::Align::kRight, TextTable::Align::kRight, TextTable::Align::kLeft, TextTable::Align::kLeft,
                 TextTable::Align::kLeft, TextTable::Align::kLeft, TextTable::Align::kLeft});
  for (size_t i = 0; i < c.images.size(); ++i) {
    const auto& img = c.images[i];
    const ImageDetail* d = i < details.size() && details[i] ? &*details[i] : nullptr;
    std::string uuid = img.uuid ? uuid_string(Bytes(img.uuid->data(), 16))
                                : (d && d->macho.uuid ? uuid_string(Bytes(d->macho.uuid->data(), 16)) : "-");
    std::string file = "-";
    if (auto l = c.locate(img.address)) file = c.files[l->file].suffix.empty() ? "main" : c.files[l->file].suffix;
    tab.add_row({std::to_string(i), fmt::format("{:#x}", img.address), uuid,
                 d && d->current_version ? macho::version_string(*d->current_version) : "-",
                 d ? d->code.sha256.substr(0, 16) : "-", file, img.path});
  }
  return tab.str();
}

// Siblings are opened next to the main file when it is a file on disk; otherwise none can be.
OpenSibling sibling_opener(const SourcePtr& src) {
  const auto* fs = dynamic_cast<const FileSource*>(src.get());
  std::string path = fs ? fs->file().path() : std::string();
  return [path](const std::string& suffix) -> Result<SourcePtr> {
    if (path.empty())
      return fail(ErrorCode::kNotFound, "dyld cache", "the main cache is not a file on disk: siblings cannot be opened");
    return FileSource::open(path + suffix);
  };
}

namespace {

InspectResult inspect_dsc(const Context& ctx, const SourcePtr& src, const Identification&) {
  InspectResult r;
  auto c = open_cache(src, sibling_opener(src), r.diagnostics);
  if (!c) {
    r.error = c.error();
    return r;
  }
  ImageOptions opt;
  opt.function_starts = false;
  auto details = dsc_image_details(*c, ctx.global.jobs, opt, r.diagnostics);
  r.json = to_json(*c, details);
  r.text = dsc_summary_text(*c);
  std::string tab = dsc_images_table(*c, details);
  for (size_t pos = 0; pos < tab.size();) {
    size_t nl = tab.find('\n', pos);
    if (nl == std::string::npos) nl = tab.size();
    r.text += "    " + tab.substr(pos, nl - pos) + "\n";
    pos = nl + 1;
  }
  return r;
}

const InspectorRegistrar registered_inspect_dsc({"dyld-cache"}, inspect_dsc);

}  // namespace
}  // namespace upscope::cli
