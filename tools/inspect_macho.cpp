// `upscope inspect` for Mach-O: thin images, fat files (every slice) and MH_FILESET kernel
// collections (the top-level image plus one line per fileset entry, each entry's header read in
// place with KC-relative offsets).
#include <fmt/format.h>

#include "inspect/text.hpp"
#include "inspect_registry.hpp"
#include "macho/json.hpp"
#include "macho/macho.hpp"
#include "macho/names.hpp"
#include "reports/text_table.hpp"

namespace upscope::cli {
namespace {

using reports::TextTable;

std::string indent(const std::string& body, const std::string& pad) {
  std::string t;
  for (size_t pos = 0; pos < body.size();) {
    size_t nl = body.find('\n', pos);
    if (nl == std::string::npos) nl = body.size();
    t += pad + body.substr(pos, nl - pos) + "\n";
    pos = nl + 1;
  }
  return t;
}

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

std::string image_text(const macho::MachO& m, const std::string& pad) {
  std::string t;
  t += fmt::format("{}{} {}, {}-bit, {} load commands ({} bytes), flags {}\n", pad, m.arch,
                   macho::filetype_name(m.filetype), m.is64 ? 64 : 32, m.ncmds, m.sizeofcmds,
                   m.flags ? join(macho::header_flag_names(m.flags), "|") : std::string("none"));
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
                     tools.empty() ? "" : " (" + join(tools, ", ") + ")");
  }
  for (const auto& v : m.version_mins)
    t += fmt::format("{}{}: {}, sdk {}\n", pad, macho::load_command_name(v.cmd), macho::version_string(v.version),
                     macho::version_string(v.sdk));
  if (m.source_version) t += fmt::format("{}source version: {}\n", pad, macho::source_version_string(*m.source_version));
  if (m.id_dylib)
    t += fmt::format("{}install name: {} ({})\n", pad, m.id_dylib->name, macho::version_string(m.id_dylib->current_version));
  if (m.dylinker) t += fmt::format("{}dylinker: {}\n", pad, *m.dylinker);
  if (m.entry_point) t += fmt::format("{}entry point: +{:#x}\n", pad, m.entry_point->entryoff);

  TextTable segs({"SEGMENT", "VMADDR", "VMSIZE", "FILEOFF", "FILESIZE", "PROT", "SECTIONS"},
                 {TextTable::Align::kLeft, TextTable::Align::kRight, TextTable::Align::kRight, TextTable::Align::kRight,
                  TextTable::Align::kRight, TextTable::Align::kLeft, TextTable::Align::kLeft});
  for (const auto& s : m.segments) {
    std::vector<std::string> names;
    for (const auto& x : s.sections) names.push_back(macho::printable_name(x.sectname));
    segs.add_row({macho::printable_name(s.segname), fmt::format("{:#x}", s.vmaddr), fmt::format("{:#x}", s.vmsize), fmt::format("{:#x}", s.fileoff),
                  fmt::format("{:#x}", s.filesize),
                  macho::prot_string(s.initprot) + "/" + macho::prot_string(s.maxprot), join(names, " ")});
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

InspectResult inspect_macho(const Context&, const SourcePtr& src, const Identification& id) {
  InspectResult r;
  auto ff = macho::parse_file(*src, r.diagnostics);
  if (!ff) {
    r.error = ff.error();
    return r;
  }
  r.json = macho::to_json(*ff);
  r.text += fmt::format("  sha256: {}\n", ff->sha256);
  for (size_t i = 0; i < ff->slices.size(); ++i) {
    const auto& s = ff->slices[i];
    std::string pad = "  ";
    if (ff->fat) {
      r.text += fmt::format("  slice {}: {} at {:#x}+{:#x}, sha256 {}\n", i, s.arch, s.offset, s.size, s.sha256);
      pad = "    ";
    }
    if (s.error) r.text += fmt::format("{}error: {}\n", pad, s.error->message());
    if (s.image) r.text += image_text(*s.image, pad);
  }

  // Kernel collections: read each entry's own header in place (its offsets are KC-relative).
  if (id.format == "macho-fileset" && !ff->slices.empty() && ff->slices[0].image) {
    const auto& kc = *ff->slices[0].image;
    std::vector<uint8_t> scratch;
    auto whole = src->view(0, src->size(), scratch, "kernel collection");
    reports::Json entries = reports::Json::array();
    TextTable tab({"ENTRY", "VMADDR", "FILEOFF", "TYPE", "UUID", "SEGMENTS"},
                  {TextTable::Align::kLeft, TextTable::Align::kRight, TextTable::Align::kRight, TextTable::Align::kLeft,
                   TextTable::Align::kLeft, TextTable::Align::kRight});
    for (const auto& e : kc.fileset_entries) {
      reports::Json j{{"entry_id", e.entry_id}, {"vmaddr", fmt::format("{:#x}", e.vmaddr)}, {"fileoff", e.fileoff}};
      std::string type = "?", uuid = "-", nseg = "-";
      if (whole && e.fileoff < whole->size()) {
        macho::ParseOptions opt;
        opt.offsets_base = *whole;
        opt.symbols = opt.exports = opt.function_starts = false;
        Diagnostics local;
        auto inner = macho::parse(*whole->sub(e.fileoff, whole->size() - e.fileoff), local, opt);
        for (Diagnostic d : local.items()) {
          d.structure = fmt::format("fileset entry {}: {}", e.entry_id, d.structure);
          r.diagnostics.add(std::move(d));
        }
        if (inner) {
          type = macho::filetype_name(inner->filetype);
          if (inner->uuid) uuid = uuid_string(Bytes(inner->uuid->data(), 16));
          nseg = std::to_string(inner->segments.size());
          j["image"] = macho::to_json(*inner);
        } else {
          r.diagnostics.error(e.fileoff, fmt::format("fileset entry {}", e.entry_id), inner.error().message());
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
  return r;
}

const InspectorRegistrar registered_inspect_macho({"macho", "macho-fat"}, inspect_macho);  // "macho-fileset": inspect_kc.cpp (delegates here)

}  // namespace
}  // namespace upscope::cli
