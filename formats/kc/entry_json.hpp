// The members of one fileset entry's JSON object, in order, handed to any sink with
// field(key, value) for string_view, const char*, std::string, unsigned integers, bool and nullptr.
// kc::to_json builds its tree from this list and `upscope ls --json` writes the rows straight out
// (reports::JsonWriter), so the two can never disagree.
#pragma once

#include <optional>
#include <string_view>

#include "kc/kc.hpp"
#include "macho/names.hpp"

namespace upscope::kc {

template <class Sink>
void entry_json_fields(const Entry& e, Sink& out) {
  auto text = [&](std::string_view k, const std::string& s) {
    if (s.empty()) out.field(k, nullptr);
    else out.field(k, std::string_view(s));
  };
  auto number = [&](std::string_view k, std::optional<uint64_t> v) {
    if (v) out.field(k, *v);
    else out.field(k, nullptr);
  };
  out.field("id", std::string_view(e.id));
  out.field("kind", e.is_kernel ? "kernel" : "kext");
  text("bundle_id", e.bundle_id);
  text("version", e.version);
  text("short_version", e.short_version);
  text("uuid", e.uuid);
  out.field("codeless", e.codeless);
  number("vmaddr", e.codeless ? std::nullopt : std::optional<uint64_t>(e.vmaddr));
  number("load_address", e.load_addr);
  number("fileoff", e.codeless ? std::nullopt : std::optional<uint64_t>(e.fileoff));
  out.field("size", e.size);
  if (e.image) out.field("filetype", macho::filetype_name(e.image->filetype));
  else out.field("filetype", nullptr);
  text("content_hash", e.content_hash);
  text("code_sha256", e.code_sha256);
  out.field("code_bytes", e.code_bytes);
  text("bundle_path", e.bundle_path);
  text("executable_path", e.executable_path);
  if (e.error) out.field("error", e.error->message());
}

}  // namespace upscope::kc
