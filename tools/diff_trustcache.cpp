// The trust-cache comparison of `upscope diff` (docs/formats/trustcache.md §4). The inputs are
// recognised by content, as everywhere: a raw trust cache, or Image4 whose IM4P type is trbb, trst
// or ltrs.
#include "diff_trustcache.hpp"

#include <filesystem>

#include <fmt/format.h>

#include "inspect/text.hpp"
#include "trustcache/trustcache.hpp"

namespace upscope::cli {

namespace {

bool holds_trust_cache(const std::string& path, const Identification& id) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return false;
  return trustcache::identified_as_trust_cache(id);
}

reports::Json side(const std::string& path, const trustcache::TrustCache& tc) {
  return {{"path", path},
          {"version", tc.version},
          {"uuid", uuid_string(tc.uuid)},
          {"entry_count", tc.entries.size()},
          {"image4_type", tc.wrapper ? reports::Json(tc.wrapper->type) : reports::Json(nullptr)}};
}

}  // namespace

std::optional<int> diff_trust_caches(Context& ctx, const std::string& a, const std::string& b) {
  std::error_code ec;
  if (std::filesystem::is_directory(a, ec) || std::filesystem::is_directory(b, ec)) return std::nullopt;
  auto in_a = open_and_identify(a);
  auto in_b = open_and_identify(b);
  if (!in_a || !in_b || !holds_trust_cache(a, in_a->id) || !holds_trust_cache(b, in_b->id)) return std::nullopt;
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
  const trustcache::Diff d = trustcache::diff(*old_tc, *new_tc);
  int out_rc;
  if (ctx.global.output_format() == Format::kJson) {
    auto doc = reports::make_document("trustcache-diff");
    doc["old"] = side(a, *old_tc);
    doc["new"] = side(b, *new_tc);
    doc["diff"] = trustcache::to_json(d);
    doc["diagnostics"] = {{"old", reports::to_json(old_tc->diagnostics)}, {"new", reports::to_json(new_tc->diagnostics)}};
    out_rc = emit(ctx, doc);
  } else {
    std::string text = fmt::format("trust cache {} ({}) -> {} ({})\n", a, trustcache::summary(*old_tc), b,
                                   trustcache::summary(*new_tc));
    if (d.version_changed) text += fmt::format("version: {} -> {}\n", old_tc->version, new_tc->version);
    if (d.uuid_changed) text += fmt::format("uuid: {} -> {}\n", uuid_string(old_tc->uuid), uuid_string(new_tc->uuid));
    out_rc = emit(ctx, text + trustcache::diff_text(d));
  }
  if (out_rc != kExitOk || strict_fail) return kExitError;
  return d.same() ? kExitOk : kExitDifferent;
}

}  // namespace upscope::cli
