// `upscope inspect FILE.aea`: the profile, the auth data decoded (key URL included), the prologue; with
// what the profile needs (nothing for profile 0; --key/--key-file/--password-file otherwise) also the
// root header, the clusters, what was verified, and the payload inside read by its own inspector.
#include <fmt/format.h>

#include "aea_input.hpp"
#include "identify/identify.hpp"
#include "inspect/limits.hpp"
#include "inspect_registry.hpp"

namespace upscope::cli {
namespace {

// Payloads up to this size are decoded whole (every segment checked) and inspected from memory.
constexpr uint64_t kWholePayload = 64ull << 20;

std::string indent(const std::string& text) {
  std::string out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    out += "  " + text.substr(start, end - start) + "\n";
    start = end + 1;
  }
  return out;
}

// The payload: named by its content, then read by its format's inspector.
void inspect_payload(const Context& ctx, const aea::PlainSource& plain, const SourcePtr& plain_ptr, InspectResult& r) {
  const aea::Archive& a = plain.archive();
  SourcePtr src = plain_ptr;
  if (a.root.plain_size <= kWholePayload && check_memory(a.root.plain_size, "AEA plaintext")) {
    auto bytes = read_aea_plaintext(ctx, plain);
    if (!bytes) {
      r.error = bytes.error();
      return;
    }
    src = std::make_shared<MemorySource>(std::move(*bytes), plain.name());
  }
  auto id = identify(*src);
  if (!id) {
    r.error = id.error();
    return;
  }
  reports::Json payload;
  payload["format"] = id->format;
  payload["description"] = id->description;
  r.text += fmt::format("  payload: {} ({})\n", id->description, id->format);
  const InspectFn* fn = id->format == "aea" ? nullptr : find_inspector(id->format);
  if (fn) {
    InspectResult inner = (*fn)(ctx, src, *id);
    r.text += indent(inner.text);
    payload["report"] = std::move(inner.json);
    r.diagnostics.append(inner.diagnostics);
    if (inner.error) r.error = *inner.error;
  }
  r.json["payload"] = std::move(payload);
  const uint64_t checked = src == plain_ptr ? plain.segments_checked() : a.segments.size();
  r.json["segments_checked"] = checked;
  r.text += checked == a.segments.size()
                ? fmt::format("  segments: all {} checked (HMAC, decryption, decompression, checksum)\n", checked)
                : fmt::format("  segments: {} of {} checked (the ones read); `upscope aea verify` checks all\n", checked,
                              a.segments.size());
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
  const bool need_key = h->info->encrypted && keys->empty();
  if (need_key) {
    // Without the key only the header, the auth data and the prologue's layout can be read.
    r.json = aea::to_json(*h);
    std::string missing = fmt::format("{}; {}", h->info->needs, aea_key_hint(h->profile));
    r.json["contents"] = {{"readable", false}, {"missing", missing}};
    r.text = aea::to_text(*h);
    r.text += fmt::format("  contents: encrypted; reading them needs {}\n", missing);
    return r;
  }
  auto plain = open_aea(ctx, src);
  if (!plain) {
    r.json = aea::to_json(*h);
    r.text = aea::to_text(*h);
    r.error = plain.error();
    return r;
  }
  const aea::Archive& a = (*plain)->archive();
  r.json = aea::to_json(a);
  r.json["contents"] = {{"readable", true}, {"missing", nullptr}};
  r.text = aea::to_text(a);
  r.diagnostics = a.diagnostics;
  inspect_payload(ctx, **plain, *plain, r);
  return r;
}

const InspectorRegistrar registered_inspect_aea({"aea"}, inspect_aea);

}  // namespace
}  // namespace upscope::cli
