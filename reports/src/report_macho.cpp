// `upscope inspect` of Mach-O (reports/format_reports.hpp): thin images, fat files (every slice) and
// MH_FILESET kernel collections (the top-level image plus one line per fileset entry's own header).
#include <fmt/format.h>

#include "inspect/text.hpp"
#include "macho/json.hpp"
#include "macho/names.hpp"
#include "reports/format_reports.hpp"
#include "reports/text_table.hpp"

namespace upscope::reports {

namespace {

std::string join_names(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

std::string macho_image_text(const macho::MachO& m, const std::string& pad) {
  std::string t;
  t += fmt::format("{}{} {}, {}-bit, {} load commands ({} bytes), flags {}\n", pad, m.arch,
                   macho::filetype_name(m.filetype), m.is64 ? 64 : 32, m.ncmds, m.sizeofcmds,
                   m.flags ? join_names(macho::header_flag_names(m.flags), "|") : std::string("none"));
  if (m.arch == "arm64e")
    t += fmt::format("{}pointer authentication: {}\n", pad,
                     m.ptrauth_abi ? fmt::format("versioned ABI, version {}", m.ptrauth_abi_version) : "unversioned ABI");
  if (m.uuid) t += fmt::format("{}uuid: {}\n", pad, uuid_string(Bytes(m.uuid->data(), 16)));
  if (m.build_version) {
    std::vector<std::string> tools;
    for (const auto& tv : m.build_version->tools)
      tools.push_back(fmt::format("{} {}", macho::tool_name(tv.tool), macho::version_string(tv.version)));
    t += fmt::format("{}build: {} {}, sdk {}{}\n", pad, macho::platform_name(m.build_version->platform),
                     macho::version_string(m.build_version->minos), macho::version_string(m.build_version->sdk),
                     tools.empty() ? "" : " (" + join_names(tools, ", ") + ")");
  }
  for (const auto& v : m.version_mins)
    t += fmt::format("{}{}: {}, sdk {}\n", pad, macho::load_command_name(v.cmd), macho::version_string(v.version),
                     macho::version_string(v.sdk));
  if (m.source_version) t += fmt::format("{}source version: {}\n", pad, macho::source_version_string(*m.source_version));
  if (m.id_dylib)
    t += fmt::format("{}install name: {} ({})\n", pad, m.id_dylib->name, macho::version_string(m.id_dylib->current_version));
  if (m.dylinker) t += fmt::format("{}dylinker: {}\n", pad, *m.dylinker);
  if (m.entry_point) t += fmt::format("{}entry point: +{:#x}\n", pad, m.entry_point->entryoff);

  using A = TextTable::Align;
  TextTable segs({"SEGMENT", "VMADDR", "VMSIZE", "FILEOFF", "FILESIZE", "PROT", "SECTIONS"},
                 {A::kLeft, A::kRight, A::kRight, A::kRight, A::kRight, A::kLeft, A::kLeft});
  for (const auto& s : m.segments) {
    std::vector<std::string> names;
    for (const auto& x : s.sections) names.push_back(macho::printable_name(x.sectname));
    segs.add_row({macho::printable_name(s.segname), fmt::format("{:#x}", s.vmaddr), fmt::format("{:#x}", s.vmsize),
                  fmt::format("{:#x}", s.fileoff), fmt::format("{:#x}", s.filesize),
                  macho::prot_string(s.initprot) + "/" + macho::prot_string(s.maxprot), join_names(names, " ")});
  }
  if (segs.rows()) t += indent(segs.str(), pad);
  for (const auto& d : m.dylibs)
    t += fmt::format("{}{}: {} ({})\n", pad, macho::load_command_name(d.cmd), d.name, macho::version_string(d.current_version));
  for (const auto& r : m.rpaths) t += fmt::format("{}rpath: {}\n", pad, r);
  for (const auto& e : m.encryption)
    t += fmt::format("{}{}: cryptid {}, {:#x}+{:#x}\n", pad, macho::load_command_name(e.cmd), e.cryptid, e.cryptoff, e.cryptsize);
  if (m.code_signature) {
    const auto* cd = m.code_signature->primary();
    if (cd)
      t += fmt::format("{}code signature: {}, cdhash {} ({}), identifier {}{}, page size {}, code limit {:#x}, flags {:#x}\n",
                       pad, m.code_signature->has_cms ? "CMS-signed" : "ad-hoc", cd->cdhash,
                       macho::hash_type_name(cd->hash_type), cd->identifier,
                       cd->team_id.empty() ? "" : ", team " + cd->team_id, cd->page_size, cd->code_limit, cd->flags);
    else
      t += fmt::format("{}code signature: {} bytes, no CodeDirectory\n", pad, m.code_signature->datasize);
  }
  if (m.chained_fixups)
    t += fmt::format("{}chained fixups: {} imports (format {}), {} segments with fixups\n", pad,
                     m.chained_fixups->imports_count, m.chained_fixups->imports_format, m.chained_fixups->segments.size());
  t += fmt::format("{}symbols: {}, exports: {}, function starts: {}\n", pad, m.symbol_count, m.exports.size(),
                   m.function_starts.size());
  t += fmt::format("{}code sha256: {} ({} bytes of executable sections)\n", pad, m.code_sha256, m.code_bytes);
  return t;
}

// One row and one JSON object per fileset entry of `kc`, each with what its own header says.
void add_fileset_entries(FormatReport& r, const macho::MachO& kc, const std::vector<FilesetEntryHeader>& headers) {
  using A = TextTable::Align;
  Json entries = Json::array();
  TextTable tab({"ENTRY", "VMADDR", "FILEOFF", "TYPE", "UUID", "SEGMENTS"},
                {A::kLeft, A::kRight, A::kRight, A::kLeft, A::kLeft, A::kRight});
  for (size_t i = 0; i < kc.fileset_entries.size(); ++i) {
    const auto& e = kc.fileset_entries[i];
    Json j{{"entry_id", e.entry_id}, {"vmaddr", fmt::format("{:#x}", e.vmaddr)}, {"fileoff", e.fileoff}};
    std::string type = "?", uuid = "-", nseg = "-";
    if (i < headers.size() && headers[i].header) {
      const Result<macho::MachO>& inner = *headers[i].header;
      if (inner) {
        type = macho::filetype_name(inner->filetype);
        if (inner->uuid) uuid = uuid_string(Bytes(inner->uuid->data(), 16));
        nseg = std::to_string(inner->segments.size());
        j["image"] = macho::to_json(*inner);
      } else {
        j["error"] = inner.error().message();
      }
    }
    tab.add_row({e.entry_id, fmt::format("{:#x}", e.vmaddr), fmt::format("{:#x}", e.fileoff), type, uuid, nseg});
    entries.push_back(std::move(j));
  }
  r.json["fileset_entries"] = std::move(entries);
  r.text += fmt::format("  fileset entries: {}\n", kc.fileset_entries.size());
  if (tab.rows()) r.text += indent(tab.str(), "    ");
}

}  // namespace

FormatReport macho_report(const macho::FatFile& f, const std::vector<FilesetEntryHeader>* fileset) {
  FormatReport r{macho::to_json(f), {}};
  r.text += fmt::format("  sha256: {}\n", f.sha256);
  for (size_t i = 0; i < f.slices.size(); ++i) {
    const auto& s = f.slices[i];
    std::string pad = "  ";
    if (f.fat) {
      r.text += fmt::format("  slice {}: {} at {:#x}+{:#x}, sha256 {}\n", i, s.arch, s.offset, s.size, s.sha256);
      pad = "    ";
    }
    if (s.error) r.text += fmt::format("{}error: {}\n", pad, s.error->message());
    if (s.image) r.text += macho_image_text(*s.image, pad);
  }
  if (fileset && !f.slices.empty() && f.slices[0].image) add_fileset_entries(r, *f.slices[0].image, *fileset);
  return r;
}

}  // namespace upscope::reports
