// `upscope inspect FILE.aea`: the profile, the auth data decoded (key URL included), the prologue; with
// what the profile needs (nothing for profile 0; --key/--key-file/--password-file otherwise) also the
// root header, the clusters, what was verified, and the payload inside read by its own inspector
// (reports/format_reports.hpp words the report).
#include "aea_input.hpp"
#include "identify/identify.hpp"
#include "inspect/limits.hpp"
#include "inspect_registry.hpp"
#include "reports/format_reports.hpp"

namespace upscope::cli {
namespace {

// Payloads up to this size are decoded whole (every segment checked) and inspected from memory.
constexpr uint64_t kWholePayload = 64ull << 20;

// The payload: named by its content, then read by its format's inspector; unset (with r.error) when
// it could not be decoded or identified.
std::optional<reports::AeaPayload> inspect_payload(const Context& ctx, const aea::PlainSource& plain,
                                                   const SourcePtr& plain_ptr, InspectResult& r) {
  const aea::Archive& a = plain.archive();
  SourcePtr src = plain_ptr;
  if (a.root.plain_size <= kWholePayload && check_memory(a.root.plain_size, "AEA plaintext")) {
    auto bytes = read_aea_plaintext(ctx, plain);
    if (!bytes) {
      r.error = bytes.error();
      return std::nullopt;
    }
    src = std::make_shared<MemorySource>(std::move(*bytes), plain.name());
  }
  auto id = identify(*src);
  if (!id) {
    r.error = id.error();
    return std::nullopt;
  }
  reports::AeaPayload payload{id->format, id->description, std::nullopt, 0};
  const InspectFn* fn = id->format == "aea" ? nullptr : find_inspector(id->format);
  if (fn) {
    InspectResult inner = (*fn)(ctx, src, *id);
    r.diagnostics.append(inner.diagnostics);
    if (inner.error) r.error = *inner.error;
    payload.report = std::move(static_cast<reports::FormatReport&>(inner));
  }
  payload.segments_checked = src == plain_ptr ? plain.segments_checked() : a.segments.size();
  return payload;
}

InspectResult inspect_aea(const Context& ctx, const SourcePtr& src, const Identification&) {
  InspectResult r;
  auto h = aea::read_header(*src);
  if (!h) {
    r.error = h.error();
    return r;
  }
  auto keys = aea_keys(ctx.global);
  if (!keys) {
    r.error = keys.error();
    return r;
  }
  if (h->info->encrypted && keys->empty()) {
    // Without the key only the header, the auth data and the prologue's layout can be read.
    r.set_report(reports::aea_header_report(*h, aea_key_hint(h->profile)));
    return r;
  }
  auto plain = open_aea(ctx, src);
  if (!plain) {
    r.set_report(reports::aea_header_report(*h, std::nullopt));
    r.error = plain.error();
    return r;
  }
  const aea::Archive& a = (*plain)->archive();
  r.diagnostics = a.diagnostics;
  auto payload = inspect_payload(ctx, **plain, *plain, r);
  r.set_report(reports::aea_report(a, std::move(payload)));
  return r;
}

const InspectorRegistrar registered_inspect_aea({"aea"}, inspect_aea);

}  // namespace
}  // namespace upscope::cli
