// `upscope ls FILE.pkg[:/prefix] [--payload]`: the files each component's Bom describes and, when asked
// (or when a component has no Bom), the entries of its Payload archive ("pkg-ls" document).
#include "bom/bom.hpp"
#include "bom_input.hpp"
#include "inspect/limits.hpp"
#include "ls_registry.hpp"
#include "pkg/pkg.hpp"
#include "reports/package_listing.hpp"

namespace upscope::cli {
namespace {

constexpr uint64_t kMaxBom = uint64_t{1} << 30;

int list_pkg(Context& ctx, const LsRequest& req, const IdentifiedInput& input) {
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
  std::vector<reports::PkgComponentListing> comps;
  for (const auto& c : p->components) {
    reports::PkgComponentListing& cl = comps.emplace_back();
    cl.name = c.name;
    if (!c.bom.empty()) {
      auto bytes = pkg::read_member(src, c.bom, clamp_to_memory_limit(kMaxBom));
      auto b = bytes ? bom::parse(ByteReader(*bytes), c.bom) : Result<bom::Bom>(fail(bytes.error()));
      if (!b) {
        diags.add(b.error());
        rc = kExitError;
      } else {
        for (const auto& d : b->diagnostics.items()) diags.add({d.severity, d.offset, c.bom + ": " + d.structure, d.message});
        if (b->diagnostics.has_errors()) rc = kExitError;
        cl.bom_member = c.bom;
        cl.bom = std::move(*b);
      }
    }
    if (!c.payload.empty() && (req.payload || c.bom.empty())) {
      auto l = pkg::list_member_archive(src, c.payload);
      if (!l) {
        diags.add(l.error());
        rc = kExitError;
      } else {
        cl.payload_member = c.payload;
        cl.payload = std::move(*l);
      }
    }
  }
  if (print_diagnostics(ctx, req.image, diags)) rc = kExitError;
  const int out = ctx.global.output_format() == Format::kJson
                      ? emit(ctx, reports::pkg_ls_document(req.image, p->kind, req.path, comps, diags))
                      : emit(ctx, reports::pkg_ls_text(req.path, comps));
  return out != kExitOk ? out : rc;
}

const ListerRegistrar registered_ls_pkg({"pkg"}, list_pkg);

}  // namespace
}  // namespace upscope::cli
