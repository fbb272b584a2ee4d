#include "macho/json.hpp"

#include <fmt/format.h>

#include "inspect/text.hpp"
#include "macho/names.hpp"
#include "macho/structs.hpp"

namespace upscope::macho {

namespace {

using Json = nlohmann::ordered_json;

std::string hex(uint64_t v) { return fmt::format("{:#x}", v); }

Json dylib_json(const Dylib& d) {
  return Json{{"command", load_command_name(d.cmd)}, {"name", d.name}, {"timestamp", d.timestamp},
              {"current_version", version_string(d.current_version)},
              {"compatibility_version", version_string(d.compatibility_version)}};
}

Json code_signature_json(const CodeSignature& cs) {
  Json j;
  j["dataoff"] = cs.dataoff;
  j["datasize"] = cs.datasize;
  j["magic"] = hex(cs.superblob_magic);
  Json blobs = Json::array();
  for (const auto& b : cs.blobs)
    blobs.push_back({{"slot", hex(b.type)}, {"offset", b.offset}, {"magic", hex(b.magic)}, {"length", b.length}});
  j["blobs"] = blobs;
  Json cds = Json::array();
  for (const auto& cd : cs.code_directories) {
    cds.push_back({{"slot", hex(cd.slot)},
                   {"version", hex(cd.version)},
                   {"flags", hex(cd.flags)},
                   {"hash_type", hash_type_name(cd.hash_type)},
                   {"hash_size", cd.hash_size},
                   {"platform", cd.platform},
                   {"page_size", cd.page_size},
                   {"code_limit", cd.code_limit},
                   {"n_code_slots", cd.n_code_slots},
                   {"n_special_slots", cd.n_special_slots},
                   {"identifier", cd.identifier},
                   {"team_id", cd.team_id},
                   {"exec_seg_base", cd.exec_seg_base},
                   {"exec_seg_limit", cd.exec_seg_limit},
                   {"exec_seg_flags", hex(cd.exec_seg_flags)},
                   {"cdhash", cd.cdhash}});
  }
  j["code_directories"] = cds;
  const CodeDirectory* p = cs.primary();
  j["cdhash"] = p ? Json(p->cdhash) : Json(nullptr);
  j["identifier"] = p ? Json(p->identifier) : Json(nullptr);
  j["team_id"] = p && !p->team_id.empty() ? Json(p->team_id) : Json(nullptr);
  j["signed"] = cs.has_cms;  // false = ad-hoc
  j["entitlements_size"] = cs.entitlements_size;
  return j;
}

}  // namespace

Json to_json(const MachO& m, const JsonOptions& opt) {
  Json j;
  j["header"] = {{"magic", hex(m.magic)},
                 {"bits", m.is64 ? 64 : 32},
                 {"cputype", m.cputype},
                 {"cpusubtype", hex(m.cpusubtype)},
                 {"arch", m.arch},
                 {"filetype", filetype_name(m.filetype)},
                 {"ncmds", m.ncmds},
                 {"sizeofcmds", m.sizeofcmds},
                 {"flags", hex(m.flags)},
                 {"flag_names", header_flag_names(m.flags)},
                 {"header_offset", m.header_offset}};
  if (m.ptrauth_abi || m.arch == "arm64e")
    j["header"]["ptrauth"] = {{"versioned_abi", m.ptrauth_abi}, {"abi_version", m.ptrauth_abi_version}};
  j["uuid"] = m.uuid ? Json(uuid_string(Bytes(m.uuid->data(), 16))) : Json(nullptr);
  if (m.build_version) {
    Json tools = Json::array();
    for (const auto& t : m.build_version->tools)
      tools.push_back({{"tool", tool_name(t.tool)}, {"version", version_string(t.version)}});
    j["build_version"] = {{"platform", platform_name(m.build_version->platform)},
                          {"minos", version_string(m.build_version->minos)},
                          {"sdk", version_string(m.build_version->sdk)},
                          {"tools", tools}};
  } else {
    j["build_version"] = nullptr;
  }
  Json vmins = Json::array();
  for (const auto& v : m.version_mins)
    vmins.push_back({{"command", load_command_name(v.cmd)}, {"version", version_string(v.version)},
                     {"sdk", version_string(v.sdk)}});
  j["version_min"] = vmins;
  j["source_version"] = m.source_version ? Json(source_version_string(*m.source_version)) : Json(nullptr);

  Json cmds = Json::array();
  for (const auto& c : m.commands) {
    Json e{{"index", c.index}, {"cmd", load_command_name(c.cmd)}, {"cmdsize", c.cmdsize}, {"offset", c.offset}};
    if (!c.raw.empty() && !is_known_load_command(c.cmd)) e["raw"] = to_hex(Bytes(c.raw));
    cmds.push_back(std::move(e));
  }
  j["load_commands"] = cmds;

  Json segs = Json::array();
  for (const auto& s : m.segments) {
    Json sects = Json::array();
    for (const auto& x : s.sections)
      sects.push_back({{"sectname", x.sectname}, {"segname", x.segname}, {"addr", hex(x.addr)}, {"size", x.size},
                       {"offset", x.offset}, {"align", x.align}, {"type", section_type_name(x.flags)},
                       {"flags", hex(x.flags)}, {"reloff", x.reloff}, {"nreloc", x.nreloc},
                       {"reserved1", x.reserved1}, {"reserved2", x.reserved2}});
    segs.push_back({{"load_command", s.command_index}, {"segname", s.segname}, {"vmaddr", hex(s.vmaddr)},
                    {"vmsize", hex(s.vmsize)}, {"fileoff", s.fileoff}, {"filesize", s.filesize},
                    {"maxprot", prot_string(s.maxprot)}, {"initprot", prot_string(s.initprot)},
                    {"flags", hex(s.flags)}, {"sections", sects}});
  }
  j["segments"] = segs;

  j["id_dylib"] = m.id_dylib ? dylib_json(*m.id_dylib) : Json(nullptr);
  Json dylibs = Json::array();
  for (const auto& d : m.dylibs) dylibs.push_back(dylib_json(d));
  j["dylibs"] = dylibs;
  j["rpaths"] = m.rpaths;
  j["dylinker"] = m.dylinker ? Json(*m.dylinker) : Json(nullptr);
  j["entry_point"] = m.entry_point ? Json{{"entryoff", hex(m.entry_point->entryoff)}, {"stacksize", m.entry_point->stacksize}}
                                   : Json(nullptr);
  Json enc = Json::array();
  for (const auto& e : m.encryption)
    enc.push_back({{"command", load_command_name(e.cmd)}, {"cryptoff", e.cryptoff}, {"cryptsize", e.cryptsize},
                   {"cryptid", e.cryptid}});
  j["encryption"] = enc;
  if (m.filetype == MH_FILESET || !m.fileset_entries.empty()) {
    Json fs = Json::array();
    for (const auto& e : m.fileset_entries)
      fs.push_back({{"entry_id", e.entry_id}, {"vmaddr", hex(e.vmaddr)}, {"fileoff", e.fileoff}});
    j["fileset_entries"] = fs;
  }
  Json notes = Json::array();
  for (const auto& n : m.notes) notes.push_back({{"data_owner", n.data_owner}, {"offset", n.offset}, {"size", n.size}});
  j["notes"] = notes;
  j["linker_options"] = m.linker_options;

  Json le = Json::array();
  for (const auto& l : m.linkedit)
    le.push_back({{"command", load_command_name(l.cmd)}, {"dataoff", l.dataoff}, {"datasize", l.datasize}});
  j["linkedit_data"] = le;
  if (m.symtab)
    j["symtab"] = {{"symoff", m.symtab->symoff}, {"nsyms", m.symtab->nsyms}, {"stroff", m.symtab->stroff},
                   {"strsize", m.symtab->strsize}};
  if (m.dysymtab)
    j["dysymtab"] = {{"nlocalsym", m.dysymtab->nlocalsym}, {"nextdefsym", m.dysymtab->nextdefsym},
                     {"nundefsym", m.dysymtab->nundefsym}, {"nindirectsyms", m.dysymtab->nindirectsyms}};
  if (m.dyld_info)
    j["dyld_info"] = {{"command", load_command_name(m.dyld_info->cmd)},
                      {"rebase", {m.dyld_info->rebase_off, m.dyld_info->rebase_size}},
                      {"bind", {m.dyld_info->bind_off, m.dyld_info->bind_size}},
                      {"weak_bind", {m.dyld_info->weak_bind_off, m.dyld_info->weak_bind_size}},
                      {"lazy_bind", {m.dyld_info->lazy_bind_off, m.dyld_info->lazy_bind_size}},
                      {"export", {m.dyld_info->export_off, m.dyld_info->export_size}}};
  if (m.chained_fixups) {
    const auto& f = *m.chained_fixups;
    Json starts = Json::array();
    for (const auto& s : f.segments)
      starts.push_back({{"segment_index", s.segment_index}, {"page_size", s.page_size},
                        {"pointer_format", s.pointer_format}, {"segment_offset", hex(s.segment_offset)},
                        {"page_count", s.page_count}});
    j["chained_fixups"] = {{"fixups_version", f.fixups_version}, {"imports_count", f.imports_count},
                           {"imports_format", f.imports_format}, {"symbols_format", f.symbols_format},
                           {"seg_count", f.seg_count}, {"starts", starts}, {"imports", f.import_names}};
  }
  j["code_signature"] = m.code_signature ? code_signature_json(*m.code_signature) : Json(nullptr);

  j["counts"] = {{"symbols", m.symbol_count}, {"exports", m.exports.size()},
                 {"function_starts", m.function_starts.size()}, {"data_in_code", m.data_in_code_entries}};
  j["code_hash"] = {{"sha256", m.code_sha256}, {"bytes", m.code_bytes},
                    {"covers", "sections with instruction attributes in executable segments"}};
  if (opt.symbols) {
    Json syms = Json::array();
    for (const auto& s : m.symbols)
      syms.push_back({{"name", s.name}, {"type", s.type}, {"sect", s.sect}, {"desc", s.desc}, {"value", hex(s.value)}});
    j["symbols"] = std::move(syms);
  }
  if (opt.exports) {
    Json ex = Json::array();
    for (const auto& e : m.exports) {
      Json x{{"name", e.name}, {"flags", hex(e.flags)}};
      if (e.flags & EXPORT_SYMBOL_FLAGS_REEXPORT) {
        x["reexport_ordinal"] = e.reexport_ordinal;
        x["reexport_name"] = e.reexport_name;
      } else {
        x["address"] = hex(e.address);
        if (e.flags & EXPORT_SYMBOL_FLAGS_STUB_AND_RESOLVER) x["resolver"] = hex(e.resolver);
      }
      ex.push_back(std::move(x));
    }
    j["exports"] = std::move(ex);
  }
  if (opt.function_starts) {
    Json fs = Json::array();
    for (uint64_t a : m.function_starts) fs.push_back(hex(a));
    j["function_starts"] = std::move(fs);
  }
  return j;
}

Json to_json(const FatFile& f, const JsonOptions& opt) {
  Json j;
  j["fat"] = f.fat;
  if (f.fat) j["fat64"] = f.fat64;
  j["file_size"] = f.file_size;
  j["sha256"] = f.sha256;
  Json slices = Json::array();
  for (const auto& s : f.slices) {
    Json x{{"arch", s.arch}, {"cputype", s.cputype}, {"cpusubtype", hex(s.cpusubtype)}, {"offset", s.offset},
           {"size", s.size}, {"align", s.align}, {"sha256", s.sha256}};
    if (s.error) x["error"] = s.error->message();
    x["image"] = s.image ? to_json(*s.image, opt) : Json(nullptr);
    slices.push_back(std::move(x));
  }
  j["slices"] = slices;
  return j;
}

}  // namespace upscope::macho
