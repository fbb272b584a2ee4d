// The kernel-collection lister of `upscope ls KC[:/ENTRY_ID | :/BOOT.kc]`: one row per fileset entry
// (the kernel with its version string, each kext) with bundle id, version, UUID, load address, size,
// code hash and, with --hash, a content hash. Takes Boot/System/Aux KCs, legacy kernelcaches and
// the IM4P/complzss wrappers Apple ships them in. After ':' either a fileset entry id (only that
// row) or the path of the Boot KC a System/Aux KC must link against (checked by UUID).
#include <filesystem>

#include <fmt/format.h>

#include "cli.hpp"
#include "inspect/source.hpp"
#include "kc/kc.hpp"
#include "ls_registry.hpp"
#include "reports/kc_listing.hpp"
#include "trustcache/trustcache.hpp"

namespace upscope::cli {
namespace {

int list_kc(Context& ctx, const LsRequest& req, const IdentifiedInput& input) {
  // An IM4P of a trust-cache payload type: ls_trustcache.cpp lists it.
  if (trustcache::is_trust_cache_type(input.id.details.value("type", "")))
    if (const ListFn* tc = find_lister("trustcache")) return (*tc)(ctx, req, input);
  kc::OpenOptions opt;
  opt.jobs = ctx.global.jobs;
  opt.content_hash = req.hash;
  opt.code_hash = !req.no_code_hash;
  Diagnostics diags;
  auto kc = kc::open(input.source, diags, opt);
  if (!kc) {
    print_error(kc.error().in_file(req.image));
    return kExitError;
  }
  int rc = kExitOk;
  // After ':' a Boot KC file to link against, or one entry id.
  std::string only;
  reports::KcListing listing;
  listing.image = req.image;
  listing.kc = &*kc;
  listing.hash = req.hash;
  std::error_code ec;
  if (!req.path.empty() && std::filesystem::is_regular_file(req.path, ec)) {
    auto src = FileSource::open(req.path);
    Diagnostics bd;
    kc::OpenOptions bo;
    bo.content_hash.reset();
    auto b = src ? kc::open(*src, bd, bo) : Result<kc::KernelCollection>(fail(src.error()));
    if (!b) {
      print_error(b.error().in_file(req.path));
      return kExitError;
    }
    std::string why = kc::check_boot_link(*kc, *b);
    if (!why.empty()) diags.error(std::nullopt, "_BootKCID", why);
    listing.boot = reports::BootKcLink{req.path, b->uuid, std::move(why)};
  } else if (!req.path.empty()) {
    only = req.path.substr(req.path[0] == '/' ? 1 : 0);
  }

  std::vector<const kc::Entry*>& rows = listing.rows;
  for (const auto& e : kc->entries)
    if (only.empty() || e.id == only) rows.push_back(&e);
  if (!only.empty() && rows.empty()) {
    Error e = make_error(ErrorCode::kNotFound, "", fmt::format("no fileset entry or kext '{}'", only));
    e.file = req.image;
    print_error(e);
    return kExitError;
  }
  for (const auto* e : rows)
    if (e->error) rc = kExitError;
  if (print_diagnostics(ctx, req.image, diags)) rc = kExitError;
  if (diags.has_errors()) rc = kExitError;

  const int out_rc = ctx.global.output_format() == Format::kJson
                         ? emit_rendered(ctx, reports::kc_listing_json(listing, diags))
                         : emit(ctx, reports::kc_listing_text(listing));
  return out_rc != kExitOk ? out_rc : rc;
}

const ListerRegistrar registered_ls_kc({"macho-fileset", "im4p", "lzss"}, list_kc);

}  // namespace
}  // namespace upscope::cli
