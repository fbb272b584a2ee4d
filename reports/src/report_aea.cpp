// `upscope inspect FILE.aea` (reports/format_reports.hpp).
#include <fmt/format.h>

#include "reports/format_reports.hpp"
#include "reports/text_table.hpp"

namespace upscope::reports {

FormatReport aea_header_report(const aea::Header& h, const std::optional<std::string>& key_hint) {
  FormatReport r{aea::to_json(h), aea::to_text(h)};
  if (key_hint) {
    const std::string missing = fmt::format("{}; {}", h.info->needs, *key_hint);
    r.json["contents"] = {{"readable", false}, {"missing", missing}};
    r.text += fmt::format("  contents: encrypted; reading them needs {}\n", missing);
  }
  return r;
}

FormatReport aea_report(const aea::Archive& a, std::optional<AeaPayload> payload) {
  FormatReport r{aea::to_json(a), aea::to_text(a)};
  r.json["contents"] = {{"readable", true}, {"missing", nullptr}};
  if (!payload) return r;
  Json pj;
  pj["format"] = payload->format;
  pj["description"] = payload->description;
  r.text += fmt::format("  payload: {} ({})\n", payload->description, payload->format);
  if (payload->report) {
    r.text += indent(payload->report->text);
    pj["report"] = std::move(payload->report->json);
  }
  r.json["payload"] = std::move(pj);
  const uint64_t checked = payload->segments_checked;
  r.json["segments_checked"] = checked;
  r.text += checked == a.segments.size()
                ? fmt::format("  segments: all {} checked (HMAC, decryption, decompression, checksum)\n", checked)
                : fmt::format("  segments: {} of {} checked (the ones read); `upscope aea verify` checks all\n", checked,
                              a.segments.size());
  return r;
}

}  // namespace upscope::reports
