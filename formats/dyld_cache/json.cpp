#include "dyld_cache/json.hpp"

#include <fmt/format.h>

#include "inspect/text.hpp"
#include "macho/json.hpp"

namespace upscope::dyld_cache {
namespace {
using Json = nlohmann::ordered_json;
std::string hex(uint64_t v) { return fmt::format("{:#x}", v); }
}  // namespace

Json mapping_json(const Mapping& m) {
  Json j{{"name", mapping_name(m)}, {"address", hex(m.address)}, {"size", m.size}, {"file_offset", m.file_offset},
         {"max_prot", m.max_prot}, {"init_prot", m.init_prot}, {"flags", m.flags}, {"usable", m.usable}};
  if (m.slide_info_size) {
    Json s{{"file_offset", m.slide_info_offset}, {"size", m.slide_info_size}};
    if (m.slide) {
      s["version"] = m.slide->version;
      s["page_size"] = m.slide->page_size;
      s["page_count"] = m.slide->page_count;
      if (m.slide->version == 2) s["delta_mask"] = hex(m.slide->delta_mask);
      s["value_add"] = hex(m.slide->value_add);
    }
    j["slide_info"] = std::move(s);
  }
  return j;
}

Json header_json(const CacheFile& f) {
  const CacheHeader& h = f.header;
  Json j{{"magic", printable(bytes_of(h.magic))},
         {"arch", f.arch},
         {"header_size", hex(h.mapping_offset)},
         {"uuid", uuid_string(h.uuid)},
         {"mapping_count", h.mapping_count}};
  if (h.cache_type) j["cache_type"] = cache_type_name(*h.cache_type);
  if (h.platform) {
    const uint32_t flags = h.format_version_and_flags.value_or(0);
    j["platform"] = platform_name(*h.platform);
    j["format_version"] = flags & 0xff;
    j["flags"] = hex(flags);
  }
  if (h.os_version) j["os_version"] = os_version_string(*h.os_version);
  if (h.alt_platform) {
    j["alt_platform"] = platform_name(h.alt_platform);
    j["alt_os_version"] = os_version_string(h.alt_os_version);
  }
  if (h.shared_region_start) {
    j["shared_region_start"] = hex(*h.shared_region_start);
    j["shared_region_size"] = hex(h.shared_region_size.value_or(0));
    j["max_slide"] = hex(h.max_slide.value_or(0));
  }
  if (h.dyld_in_cache_mh) {
    j["dyld_in_cache_mh"] = hex(h.dyld_in_cache_mh);
    j["dyld_in_cache_entry"] = hex(h.dyld_in_cache_entry);
  }
  if (h.dylibs_trie_size) {
    j["dylibs_trie_addr"] = hex(h.dylibs_trie_addr);
    j["dylibs_trie_size"] = h.dylibs_trie_size;
  }
  if (h.local_symbols_size) {
    j["local_symbols_offset"] = hex(h.local_symbols_offset);
    j["local_symbols_size"] = h.local_symbols_size;
  }
  if (h.code_signature_size) {
    j["code_signature_offset"] = hex(h.code_signature_offset);
    j["code_signature_size"] = h.code_signature_size;
  }
  if (h.symbol_file_uuid && *h.symbol_file_uuid != Uuid{}) j["symbol_file_uuid"] = uuid_string(*h.symbol_file_uuid);
  if (h.cache_sub_type && h.cache_type == 2u) j["cache_sub_type"] = *h.cache_sub_type;
  return j;
}

Json image_json(const Cache& c, const Image& img, const ImageDetail* d, bool full) {
  Json j{{"index", img.index}, {"path", img.path}, {"address", hex(img.address)}};
  if (img.uuid) j["uuid"] = uuid_string(Bytes(img.uuid->data(), 16));
  if (img.text_size) j["text_size"] = img.text_size;
  if (auto l = c.locate(img.address)) j["file"] = c.files[l->file].name;
  if (!d) return j;
  if (!img.uuid && d->macho.uuid) j["uuid"] = uuid_string(Bytes(d->macho.uuid->data(), 16));
  if (d->current_version) j["current_version"] = macho::version_string(*d->current_version);
  if (d->compat_version) j["compatibility_version"] = macho::version_string(*d->compat_version);
  j["code_hash"] = d->code.sha256;
  j["code_bytes"] = d->code.bytes;
  if (!d->code.const_sha256.empty()) j["const_hash"] = d->code.const_sha256;
  j["exports"] = d->exports.size();
  j["function_starts"] = d->function_starts.size();
  if (full) {
    macho::JsonOptions mo;
    j["macho"] = macho::to_json(d->macho, mo);
    Json ex = Json::array();
    const uint64_t base = d->macho.text_vmaddr();
    for (const auto& e : d->exports) {
      Json x{{"name", e.name}, {"flags", e.flags}};
      if (e.flags & 0x08) {
        x["reexport_ordinal"] = e.reexport_ordinal;
        if (!e.reexport_name.empty()) x["reexport_name"] = e.reexport_name;
      } else {
        x["address"] = hex(base + e.address);
      }
      ex.push_back(std::move(x));
    }
    j["export_list"] = std::move(ex);
    Json fs = Json::array();
    for (uint64_t a : d->function_starts) fs.push_back(hex(a));
    j["function_start_list"] = std::move(fs);
    if (d->local_symbols) {
      Json ls = Json::array();
      for (const auto& s : d->local_symbols->symbols) ls.push_back({{"name", s.name}, {"value", hex(s.value)}, {"type", s.type}});
      j["local_symbols"] = std::move(ls);
    }
  }
  return j;
}

Json to_json(const Cache& c, const std::vector<std::optional<ImageDetail>>& details) {
  Json j;
  j["header"] = header_json(c.main());
  Json files = Json::array();
  for (const auto& f : c.files) {
    Json fj{{"name", f.name}, {"suffix", f.suffix}, {"size", f.bytes.size()}, {"uuid", uuid_string(f.header.uuid)},
            {"header_size", hex(f.header.mapping_offset)}};
    Json ms = Json::array();
    for (const auto& m : f.mappings) ms.push_back(mapping_json(m));
    fj["mappings"] = std::move(ms);
    files.push_back(std::move(fj));
  }
  j["files"] = std::move(files);
  Json subs = Json::array();
  for (const auto& s : c.subcaches) {
    Json sj{{"index", s.index}, {"suffix", s.suffix}, {"uuid", uuid_string(Bytes(s.uuid.data(), 16))},
            {"vm_offset", hex(s.vm_offset)}, {"opened", s.file.has_value()}};
    if (!s.error.empty()) sj["error"] = s.error;
    subs.push_back(std::move(sj));
  }
  j["subcaches"] = std::move(subs);
  Json imgs = Json::array();
  for (size_t i = 0; i < c.images.size(); ++i) {
    const ImageDetail* d = i < details.size() && details[i] ? &*details[i] : nullptr;
    imgs.push_back(image_json(c, c.images[i], d));
  }
  j["images"] = std::move(imgs);
  return j;
}

}  // namespace upscope::dyld_cache
