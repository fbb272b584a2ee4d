// dyld shared cache documents (reports/dsc.hpp).
#include "reports/dsc.hpp"

#include <fmt/format.h>

#include "dyld_cache/json.hpp"
#include "inspect/text.hpp"
#include "macho/names.hpp"
#include "reports/text_table.hpp"

namespace upscope::reports {

namespace dc = dyld_cache;

namespace {

const dc::ImageDetail* detail_of(const DscDetails& details, size_t i) {
  return i < details.size() && details[i] ? &*details[i] : nullptr;
}

// imagesText's UUID, else the image's LC_UUID.
std::optional<dc::Uuid> image_uuid(const dc::Image& img, const std::optional<dc::Uuid>& macho_uuid) {
  return img.uuid ? img.uuid : macho_uuid;
}

// The header, mappings and subcaches, then the image count.
std::string summary_text(const dc::Cache& c) {
  const dc::CacheFile& m = c.main();
  const dc::CacheHeader& h = m.header;
  std::string t;
  t += fmt::format("  arch: {}, header {:#x} bytes, uuid {}\n", m.arch, h.mapping_offset, uuid_string(h.uuid));
  if (h.platform)
    t += fmt::format("  platform: {}{}, cache type: {}\n", dc::platform_name(*h.platform),
                     h.os_version ? " " + dc::os_version_string(*h.os_version) : "",
                     dc::cache_type_name(h.cache_type.value_or(0)));
  if (h.shared_region_start)
    t += fmt::format("  shared region: {:#x}+{:#x}\n", *h.shared_region_start, h.shared_region_size.value_or(0));
  if (h.dyld_in_cache_mh)
    t += fmt::format("  dyld in cache: {:#x} (entry {:#x})\n", h.dyld_in_cache_mh, h.dyld_in_cache_entry);
  if (h.dylibs_trie_size) t += fmt::format("  dylibs trie: {:#x}+{:#x}\n", h.dylibs_trie_addr, h.dylibs_trie_size);
  TextTable maps({"FILE", "MAPPING", "ADDRESS", "SIZE", "FILEOFF", "PROT", "SLIDE"},
                 {TextTable::Align::kLeft, TextTable::Align::kLeft, TextTable::Align::kRight, TextTable::Align::kRight,
                  TextTable::Align::kRight, TextTable::Align::kLeft, TextTable::Align::kLeft});
  for (const auto& f : c.files)
    for (const auto& mp : f.mappings)
      maps.add_row({f.name, dc::mapping_name(mp), fmt::format("{:#x}", mp.address), fmt::format("{:#x}", mp.size),
                    fmt::format("{:#x}", mp.file_offset),
                    macho::prot_string(mp.init_prot) + "/" + macho::prot_string(mp.max_prot),
                    mp.slide ? fmt::format("v{} @{:#x}", mp.slide->version, mp.slide_info_offset)
                             : (mp.slide_info_size ? "bad" : "-")});
  t += maps.str();
  for (const auto& s : c.subcaches)
    t += fmt::format("  subcache {}: {} +{:#x} {} {}\n", s.index, s.suffix, s.vm_offset, uuid_string(s.uuid),
                     s.file ? "ok" : "NOT OPENED: " + s.error);
  if (c.symbols_file) t += fmt::format("  symbols file: {}\n", c.files[*c.symbols_file].name);
  t += fmt::format("  images: {}\n", c.images.size());
  return t;
}

std::string images_table(const dc::Cache& c, const DscDetails& details) {
  TextTable tab({"#", "ADDRESS", "UUID", "VERSION", "CODE HASH", "FILE", "PATH"},
                {TextTable::Align::kRight, TextTable::Align::kRight, TextTable::Align::kLeft, TextTable::Align::kLeft,
                 TextTable::Align::kLeft, TextTable::Align::kLeft, TextTable::Align::kLeft});
  for (size_t i = 0; i < c.images.size(); ++i) {
    const auto& img = c.images[i];
    const dc::ImageDetail* d = detail_of(details, i);
    auto uuid = image_uuid(img, d ? d->macho.uuid : std::nullopt);
    std::string file = "-";
    if (auto l = c.locate(img.address)) file = c.files[l->file].suffix.empty() ? "main" : c.files[l->file].suffix;
    tab.add_row({std::to_string(i), fmt::format("{:#x}", img.address), uuid ? uuid_string(*uuid) : "-",
                 d && d->current_version ? macho::version_string(*d->current_version) : "-",
                 d ? d->code.sha256.substr(0, 16) : "-", file, img.path});
  }
  return tab.str();
}

}  // namespace

FormatReport dsc_report(const dc::Cache& c, const DscDetails& details) {
  return {dc::to_json(c, details), summary_text(c) + indent(images_table(c, details), "    ")};
}

Json dsc_images_document(const std::string& path, const dc::Cache& c, const DscDetails& details, bool exports,
                         const Diagnostics& diags) {
  auto doc = make_document("dyld-cache");
  doc["path"] = path;
  auto body = dc::to_json(c, details);
  if (exports) {
    for (size_t i = 0; i < c.images.size(); ++i) {
      const dc::ImageDetail* d = detail_of(details, i);
      if (!d) continue;
      Json names = Json::array();
      for (const auto& e : d->exports) names.push_back(e.name);
      body["images"][i]["export_names"] = std::move(names);
    }
  }
  for (auto it = body.begin(); it != body.end(); ++it) doc[it.key()] = it.value();
  doc["diagnostics"] = to_json(diags);
  return doc;
}

std::string dsc_images_text(const std::string& path, const dc::Cache& c, const DscDetails& details, bool exports) {
  std::string t = path + ":\n" + summary_text(c) + images_table(c, details);
  if (exports) {
    for (size_t i = 0; i < c.images.size(); ++i) {
      const dc::ImageDetail* d = detail_of(details, i);
      if (!d) continue;
      const uint64_t base = d->macho.text_vmaddr();
      for (const auto& e : d->exports) t += fmt::format("{}\t{:#x}\t{}\n", c.images[i].path, base + e.address, e.name);
    }
  }
  return t;
}

Json dsc_image_document(const std::string& path, const dc::Cache& c, const dc::Image& img, const dc::ImageDetail& d,
                        const Diagnostics& diags) {
  auto doc = make_document("dyld-cache-image");
  doc["path"] = path;
  doc["image"] = dc::image_json(c, img, &d, true);
  doc["diagnostics"] = to_json(diags);
  return doc;
}

std::string dsc_image_text(const std::string& path, const dc::Cache& c, const dc::Image& img, const dc::ImageDetail& d) {
  const auto& m = d.macho;
  std::string t = fmt::format("{} in {}:\n", img.path, path);
  t += fmt::format("  address {:#x}, header in {} at {:#x}\n", img.address, c.files[d.header_file].name,
                   c.locate(img.address)->offset);
  if (m.uuid) t += fmt::format("  uuid: {}\n", uuid_string(*m.uuid));
  if (d.current_version)
    t += fmt::format("  version: {} (compatibility {})\n", macho::version_string(*d.current_version),
                     macho::version_string(d.compat_version.value_or(0)));
  t += fmt::format("  {} {}, flags {:#x}, {} load commands\n", m.arch, macho::filetype_name(m.filetype), m.flags, m.ncmds);
  for (const auto& lc : m.commands)
    t += fmt::format("    {:3} {} ({} bytes)\n", lc.index, macho::load_command_name(lc.cmd), lc.cmdsize);
  TextTable segs({"SEGMENT", "VMADDR", "VMSIZE", "FILEOFF", "FILESIZE", "FILE"});
  for (const auto& s : m.segments) {
    auto l = c.locate(s.vmaddr);
    segs.add_row({s.segname, fmt::format("{:#x}", s.vmaddr), fmt::format("{:#x}", s.vmsize), fmt::format("{:#x}", s.fileoff),
                  fmt::format("{:#x}", s.filesize), l ? c.files[l->file].name : "-"});
  }
  t += segs.str();
  for (const auto& dl : m.dylibs) t += fmt::format("  {}: {}\n", macho::load_command_name(dl.cmd), dl.name);
  t += fmt::format("  code hash: {} ({} bytes, {} instructions and {} pointers masked)\n", d.code.sha256, d.code.bytes,
                   d.code.masked_instructions, d.code.masked_pointers);
  if (!d.code.const_sha256.empty())
    t += fmt::format("  const data hash: {} ({} bytes)\n", d.code.const_sha256, d.code.const_bytes);
  t += fmt::format("  exports: {}\n", d.exports.size());
  const uint64_t base = m.text_vmaddr();
  for (const auto& e : d.exports) {
    if (e.flags & 0x08) t += fmt::format("    {} (re-export from ordinal {})\n", e.name, e.reexport_ordinal);
    else t += fmt::format("    {:#x} {}\n", base + e.address, e.name);
  }
  t += fmt::format("  function starts: {}\n", d.function_starts.size());
  for (uint64_t a : d.function_starts) t += fmt::format("    {:#x}\n", a);
  if (d.local_symbols) {
    t += fmt::format("  local symbols: {}\n", d.local_symbols->symbols.size());
    for (const auto& s : d.local_symbols->symbols) t += fmt::format("    {:#x} {}\n", s.value, s.name);
  }
  return t;
}

Json dsc_addr_document(const dc::Cache& c, uint64_t addr, const dc::Location& l, const dc::AddressOwner& owner,
                       const Diagnostics& diags) {
  const auto& f = c.files[l.file];
  const dc::Mapping& m = f.mappings[l.mapping];
  auto doc = make_document("dyld-cache-addr");
  doc["address"] = fmt::format("{:#x}", addr);
  doc["file"] = f.name;
  doc["offset"] = l.offset;
  doc["mapping"] = {{"index", l.mapping}, {"name", dc::mapping_name(m)}, {"address", fmt::format("{:#x}", m.address)}};
  doc["image"] = owner.image ? Json(owner.image->path) : Json(nullptr);
  if (!owner.segment.empty()) doc["segment"] = owner.segment;
  doc["diagnostics"] = to_json(diags);
  return doc;
}

std::string dsc_addr_text(const dc::Cache& c, uint64_t addr, const dc::Location& l, const dc::AddressOwner& owner) {
  const auto& f = c.files[l.file];
  const dc::Mapping& m = f.mappings[l.mapping];
  std::string where;
  if (owner.image && owner.segment.empty())
    where = fmt::format(", image {} (+{:#x})", owner.image->path, addr - owner.image->address);
  else if (owner.image)
    where = fmt::format(", image {} segment {}", owner.image->path, owner.segment);
  return fmt::format("{:#x}: {} offset {:#x}, mapping {} ({} {:#x}+{:#x}){}\n", addr, f.name, l.offset, l.mapping,
                     dc::mapping_name(m), m.address, m.size, where);
}

Json dsc_ls_document(const dc::Cache& c, const DscListing& ls, const Diagnostics& diags) {
  const std::string hash_key = ls.hash ? to_string(*ls.hash) : "";
  auto doc = make_document("dsc-ls");
  doc["path"] = ls.image;
  doc["arch"] = c.main().arch;
  doc["uuid"] = uuid_string(c.main().header.uuid);
  Json files = Json::array();
  for (const auto& f : c.files) files.push_back(f.name);
  doc["files"] = std::move(files);
  doc["image_count"] = c.images.size();
  doc["code_hash"] = ls.code_hash;
  doc["hash"] = ls.hash ? Json(hash_key) : Json(nullptr);
  Json rows = Json::array();
  for (const DscListRow& r : ls.rows) {
    const dc::Image& img = c.images[r.image];
    auto uuid = image_uuid(img, r.macho_uuid);
    Json j{{"index", img.index}, {"path", img.path}, {"address", fmt::format("{:#x}", img.address)}};
    j["uuid"] = uuid ? Json(uuid_string(*uuid)) : Json(nullptr);
    j["current_version"] = r.version ? Json(macho::version_string(*r.version)) : Json(nullptr);
    j["text_size"] = img.text_size;
    if (auto l = c.locate(img.address)) j["file"] = c.files[l->file].name;
    if (ls.code_hash) {
      j["code_hash"] = r.error ? Json(nullptr) : Json(r.code.sha256);
      j["code_bytes"] = r.code.bytes;
    }
    if (ls.hash) j[hash_key] = r.content.empty() ? Json(nullptr) : Json(r.content);
    if (r.error) j["error"] = to_json(*r.error);
    rows.push_back(std::move(j));
  }
  doc["images"] = std::move(rows);
  doc["diagnostics"] = to_json(diags);
  return doc;
}

std::string dsc_ls_text(const dc::Cache& c, const DscListing& ls) {
  std::vector<std::string> head = {"PATH", "UUID", "VERSION", "TEXT"};
  if (ls.code_hash) head.push_back("CODE HASH");
  if (ls.hash) head.push_back(to_string(*ls.hash));
  TextTable tab(head);
  for (const DscListRow& r : ls.rows) {
    const dc::Image& img = c.images[r.image];
    auto uuid = image_uuid(img, r.macho_uuid);
    std::vector<std::string> row = {img.path, uuid ? uuid_string(*uuid) : "-",
                                    r.version ? macho::version_string(*r.version) : "-",
                                    img.text_size ? human_size(img.text_size) : "-"};
    if (ls.code_hash) row.push_back(r.error ? "ERROR" : r.code.sha256);
    if (ls.hash) row.push_back(r.content.empty() ? "-" : r.content);
    tab.add_row(std::move(row));
  }
  return tab.str();
}

}  // namespace upscope::reports
