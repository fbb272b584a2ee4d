// `upscope ls FILE.bom[:/prefix]`: every path of a BOM's Paths tree with its type, mode, owner, size,
// checksum and link target ("bom-ls" document).
#include <fmt/format.h>

#include "bom/bom.hpp"
#include "bom_input.hpp"
#include "ls_registry.hpp"
#include "reports/package_listing.hpp"

namespace upscope::cli {
namespace {

int list_bom(Context& ctx, const LsRequest& req, const IdentifiedInput& input) {
  const SourcePtr& src = input.source;
  if (req.hash) {
    Error e = make_error(ErrorCode::kInvalidArgument, "",
                         "a BOM lists files without their contents: --hash does not apply (CHECKSUM is the BOM's own "
                         "CRC of each file)");
    e.file = req.image;
    print_error(e);
    return kExitError;
  }
  std::vector<uint8_t> copy;
  auto bytes = bom_bytes(*src, copy);
  if (!bytes) {
    print_error(bytes.error().in_file(req.image));
    return kExitError;
  }
  auto b = bom::parse(ByteReader(*bytes), req.image);
  if (!b) {
    print_error(b.error());
    return kExitError;
  }
  if (!b->has_paths) {
    std::string names;
    for (const auto& v : b->variables) names += (names.empty() ? "" : ", ") + v.name;
    Error e = make_error(ErrorCode::kUnsupported, "", fmt::format("BOM without a Paths variable (variables: {}): not a file list", names));
    e.file = req.image;
    print_error(e);
    return kExitError;
  }
  int rc = kExitOk;
  if (print_diagnostics(ctx, req.image, b->diagnostics) || b->diagnostics.has_errors()) rc = kExitError;
  const int out = ctx.global.output_format() == Format::kJson ? emit(ctx, reports::bom_ls_document(req.image, req.path, *b))
                                                              : emit(ctx, reports::bom_ls_text(*b, req.path));
  return out != kExitOk ? out : rc;
}

const ListerRegistrar registered_ls_bom({"bom"}, list_bom);

}  // namespace
}  // namespace upscope::cli
