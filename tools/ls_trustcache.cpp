// `upscope ls X.trustcache`: one row per trust cache entry (cdhash, hash type, flags, constraint
// category), raw or inside an IM4P / IMG4 of a trust-cache type (docs/formats/trustcache.md). IM4Ps
// of those types come here from ls_kc.cpp's lister.
#include "cli.hpp"
#include "ls_registry.hpp"
#include "reports/trust_cache.hpp"

namespace upscope::cli {
namespace {

int list_trustcache(Context& ctx, const LsRequest& req, const IdentifiedInput& input) {
  if (!req.path.empty()) {
    Error e = make_error(ErrorCode::kInvalidArgument, "", "a trust cache has no paths: list it without ':'");
    e.file = req.image;
    print_error(e);
    return kExitError;
  }
  auto tc = trustcache::parse(*input.source);
  if (!tc) {
    print_error(tc.error().in_file(req.image));
    return kExitError;
  }
  int rc = print_diagnostics(ctx, req.image, tc->diagnostics) ? kExitError : kExitOk;
  const int out_rc = ctx.global.output_format() == Format::kJson
                         ? emit(ctx, reports::trust_cache_ls_document(req.image, *tc))
                         : emit(ctx, reports::trust_cache_ls_text(req.image, *tc));
  return out_rc != kExitOk ? out_rc : rc;
}

const ListerRegistrar registered_ls_trustcache({"trustcache", "img4"}, list_trustcache);

}  // namespace
}  // namespace upscope::cli
