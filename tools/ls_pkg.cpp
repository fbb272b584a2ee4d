// `upscope ls FILE.pkg[:/prefix] [--payload]`: the files each component's Bom describes and, when asked
// (or when a component has no Bom), the entries of its Payload archive ("pkg-ls" document).
#include <fmt/format.h>

#include "bom/bom.hpp"
#include "bom_rows.hpp"
#include "inspect/limits.hpp"
#include "ls_registry.hpp"
#include "pkg/pkg.hpp"

namespace upscope::cli {
namespace {

constexpr uint64_t kMaxBom = uint64_t{1} << 30;

std::string payload_table(const std::vector<const pkg::ArchiveEntry*>& rows) {
  using A = reports::TextTable::Align;
  reports::TextTable t({"TYPE", "MODE", "UID", "GID", "SIZE", "PATH"},
                       {A::kLeft, A::kLeft, A::kRight, A::kRight, A::kRight, A::kLeft});
  for (const auto* e : rows) {
    std::string path = e->path;
    if (!e->link.empty()) path += (e->type == 'H' ? " => " : " -> ") + e->link;
    t.add_row({std::string(1, e->type), pkg::mode_string(e->mode), std::to_string(e->uid), std::to_string(e->gid),
               e->type == 'D' ? "-" : std::to_string(e->size), path});
  }
  return t.str();
}

int list_pkg(Context& ctx, const LsRequest& req, const IdentifiedInput& input) {
  const bool json = ctx.global.output_format() == Format::kJson;
  const Source& src = *input.source;
  if (req.hash) {
    Error e = make_error(ErrorCode::kInvalidArgument, "",
                         "--hash does not apply to installer packages (the BOM's CHECKSUM column is its own CRC)");
    e.file = req.image;
    print_error(e);
    return kExitError;
  }
  auto p = pkg::read(src);
  if (!p) {
    print_error(p.error().in_file(req.image));
    return kExitError;
  }
  if (p->components.empty()) {
    Error e = make_error(ErrorCode::kUnsupported, "", "installer package without a Bom or a Payload: nothing to list");
    e.file = req.image;
    print_error(e);
    return kExitError;
  }
  Diagnostics diags;
  int rc = kExitOk;
  auto doc = reports::make_document("pkg-ls");
  doc["source"] = req.image;
  doc["kind"] = pkg::to_string(p->kind);
  doc["path"] = req.path.empty() ? "/" : req.path;
  reports::Json comps = reports::Json::array();
  std::vector<std::pair<std::string, std::string>> tables;  // heading, table
  for (const auto& c : p->components) {
    reports::Json cj;
    cj["name"] = c.name;
    cj["bom"] = nullptr;
    cj["payload"] = nullptr;
    if (!c.bom.empty()) {
      auto bytes = pkg::read_member(src, c.bom, clamp_to_memory_limit(kMaxBom));
      auto b = bytes ? bom::parse(ByteReader(*bytes), c.bom) : Result<bom::Bom>(fail(bytes.error()));
      if (!b) {
        diags.add(b.error());
        rc = kExitError;
      } else {
        for (const auto& d : b->diagnostics.items()) diags.add({d.severity, d.offset, c.bom + ": " + d.structure, d.message});
        if (b->diagnostics.has_errors()) rc = kExitError;
        auto rows = bom_rows(*b, req.path);
        cj["bom"] = {{"member", c.bom}, {"count", rows.size()}, {"complete", b->paths_complete}, {"files", bom_json_rows(rows)}};
        tables.emplace_back(c.bom, bom_table(rows));
      }
    }
    if (!c.payload.empty() && (req.payload || c.bom.empty())) {
      auto l = pkg::list_member_archive(src, c.payload);
      if (!l) {
        diags.add(l.error());
        rc = kExitError;
      } else {
        std::vector<const pkg::ArchiveEntry*> rows;
        for (const auto& e : l->entries)
          if (bom_path_under(e.path, req.path)) rows.push_back(&e);
        reports::Json files = reports::Json::array();
        for (const auto* e : rows) files.push_back(pkg::to_json(*e));
        cj["payload"] = {{"member", c.payload}, {"container", l->container}, {"count", rows.size()},
                         {"truncated", l->truncated}, {"files", std::move(files)}};
        tables.emplace_back(fmt::format("{} ({})", c.payload, l->container), payload_table(rows));
      }
    }
    comps.push_back(std::move(cj));
  }
  if (print_diagnostics(ctx, req.image, diags)) rc = kExitError;
  int out;
  if (json) {
    doc["components"] = std::move(comps);
    doc["diagnostics"] = reports::to_json(diags);
    out = emit(ctx, doc);
  } else {
    std::string text;
    for (const auto& [heading, table] : tables) {
      if (tables.size() > 1) text += (text.empty() ? "" : "\n") + heading + ":\n";
      text += table;
    }
    out = emit(ctx, text);
  }
  return out != kExitOk ? out : rc;
}

const ListerRegistrar registered_ls_pkg({"pkg"}, list_pkg);

}  // namespace
}  // namespace upscope::cli
