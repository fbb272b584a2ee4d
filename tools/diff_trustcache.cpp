// The trust-cache comparison of `upscope diff` (docs/formats/trustcache.md §4). The inputs are
// recognised by content, as everywhere: a raw trust cache, or Image4 whose IM4P type is trbb, trst
// or ltrs.
#include "diff_trustcache.hpp"

#include <filesystem>

#include "reports/trust_cache.hpp"

namespace upscope::cli {

std::optional<int> diff_trust_caches(Context& ctx, const std::string& a, const std::string& b) {
  std::error_code ec;
  if (std::filesystem::is_directory(a, ec) || std::filesystem::is_directory(b, ec)) return std::nullopt;
  auto in_a = open_and_identify(a);
  auto in_b = open_and_identify(b);
  if (!in_a || !in_b || !trustcache::identified_as_trust_cache(in_a->id) ||
      !trustcache::identified_as_trust_cache(in_b->id))
    return std::nullopt;
  auto old_tc = trustcache::parse(*in_a->source);
  if (!old_tc) {
    print_error(old_tc.error().in_file(a));
    return kExitError;
  }
  auto new_tc = trustcache::parse(*in_b->source);
  if (!new_tc) {
    print_error(new_tc.error().in_file(b));
    return kExitError;
  }
  bool strict_fail = print_diagnostics(ctx, a, old_tc->diagnostics);
  strict_fail |= print_diagnostics(ctx, b, new_tc->diagnostics);
  const TrustCacheDiff d = upscope::diff_trust_caches(*old_tc, *new_tc);
  const int out_rc = ctx.global.output_format() == Format::kJson
                         ? emit(ctx, reports::trust_cache_diff_document(a, *old_tc, b, *new_tc, d))
                         : emit(ctx, reports::trust_cache_diff_text(a, *old_tc, b, *new_tc, d));
  if (out_rc != kExitOk || strict_fail) return kExitError;
  return d.same() ? kExitOk : kExitDifferent;
}

}  // namespace upscope::cli
