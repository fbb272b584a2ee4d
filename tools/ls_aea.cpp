// `upscope ls FILE.aea`: what the archive's plaintext holds. An Apple Archive inside (signed
// Shortcuts) is listed entry by entry; a disk image inside (.dmg.aea, given its key) goes to the
// file-system lister, reading the plaintext on demand. An encrypted archive without its key is an
// error that names the profile, the key URL and the option that gives the key.
#include <fmt/format.h>

#include "aa/aa.hpp"
#include "aea_input.hpp"
#include "identify/identify.hpp"
#include "inspect/limits.hpp"
#include "inspect/thread_pool.hpp"
#include "ls_registry.hpp"
#include "reports/apple_archive.hpp"

namespace upscope::cli {
namespace {

int list_archive(Context& ctx, const LsRequest& req, const aea::PlainSource& plain, int rc) {
  auto bytes = read_aea_plaintext(ctx, plain);
  if (!bytes) {
    print_error(bytes.error());
    return kExitError;
  }
  ThreadPool pool(resolve_jobs(ctx.global.jobs));
  aa::ReadOptions ro;
  ro.pool = &pool;
  auto l = aa::list(*bytes, ro);
  if (!l) {
    print_error(l.error().in_file(plain.name()));
    return kExitError;
  }
  const aea::Archive& a = plain.archive();
  if (print_diagnostics(ctx, req.image, l->diagnostics) || l->diagnostics.has_errors()) rc = kExitError;
  const std::string aea = fmt::format("AEA profile {} ({})", a.header.profile, a.header.info->summary);
  const int out = ctx.global.output_format() == Format::kJson
                      ? emit(ctx, reports::apple_archive_document(req.image, *l, aea))
                      : emit(ctx, reports::apple_archive_text(req.image, *l, "in " + aea));
  return out != kExitOk ? out : rc;
}

int list_aea(Context& ctx, const LsRequest& req, const IdentifiedInput& input) {
  auto plain = open_aea(ctx, input.source, req.image);
  if (!plain) {
    print_error(plain.error());
    return kExitError;
  }
  const aea::Archive& a = (*plain)->archive();
  int rc = print_diagnostics(ctx, req.image, a.diagnostics) || a.diagnostics.has_errors() ? kExitError : kExitOk;
  auto id = identify(**plain);
  if (!id) {
    print_error(id.error());
    return kExitError;
  }
  if (id->format == "apple-archive") return list_archive(ctx, req, **plain, rc);
  const ListFn* fn = id->format == "aea" ? nullptr : find_lister(id->format);
  if (!fn) {
    Error e = make_error(ErrorCode::kUnsupported, "AEA plaintext",
                         fmt::format("'upscope ls' cannot list its payload: {} ({})", id->description, id->format));
    e.file = req.image;
    print_error(e);
    return kExitError;
  }
  IdentifiedInput inner{*plain, *id};
  int inner_rc = (*fn)(ctx, req, inner);
  return inner_rc != kExitOk ? inner_rc : rc;
}

const ListerRegistrar registered_ls_aea({"aea"}, list_aea);

}  // namespace
}  // namespace upscope::cli
