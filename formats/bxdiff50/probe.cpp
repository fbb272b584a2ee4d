#include "bxdiff50/probe.hpp"

#include <fmt/format.h>

#include "inspect/text.hpp"

namespace upscope::bxdiff50 {

std::optional<Identification> probe(const ProbeInput& in) {
  if (in.head.starts_with("BXDIFF4")) {
    auto v = in.head.fixed_string(0, 8);
    if (!v) return std::nullopt;
    Identification id;
    id.format = "bxdiff4x";
    id.details["magic"] = std::string(*v);
    id.description = fmt::format("{} binary patch (older bsdiff variant)", *v);
    return id;
  }
  if (!in.head.starts_with("BXDIFF50")) return std::nullopt;
  Identification id;
  id.format = "bxdiff50";
  Cursor c(in.head, 8);
  uint64_t version = c.u64le(), patched = c.u64le(), control = c.u64le(), extra = c.u64le();
  Bytes result_sha1 = c.bytes(20);
  uint64_t diff = c.u64le();
  Bytes input_sha1 = c.bytes(20);
  if (!c.ok()) {
    id.description = "BXDIFF50 patch, header truncated";
    id.warnings.push_back(c.error().rule);
    return id;
  }
  id.details["version"] = version;
  id.details["patched_size"] = patched;
  id.details["control_size"] = control;
  id.details["diff_size"] = diff;
  id.details["extra_size"] = extra;
  id.details["output_sha1"] = to_hex(result_sha1);
  id.details["input_sha1"] = to_hex(input_sha1);
  id.description = fmt::format("BXDIFF50 binary patch, output {} bytes (sha1 {})", patched, to_hex(result_sha1));
  auto total = checked_add(88, control);
  if (total) total = checked_add(*total, diff);
  if (total) total = checked_add(*total, extra);
  if (!total || *total != in.source.size())
    id.warnings.push_back(fmt::format("header + sections = {} bytes, but the file has {}",
                                      total ? std::to_string(*total) : std::string("overflow"), in.source.size()));
  return id;
}

}  // namespace upscope::bxdiff50
