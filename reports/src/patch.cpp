// Patch documents (reports/patch.hpp).
#include "reports/patch.hpp"

#include <fmt/format.h>

namespace upscope::reports {

namespace {

template <class P>
Json document(const std::string& path, const P& p) {
  auto doc = make_document("patch");
  doc["path"] = path;
  doc["report"] = to_json(p);
  doc["diagnostics"] = to_json(p.diagnostics);
  return doc;
}

}  // namespace

Json patch_document(const std::string& path, const bxdiff50::Patch& p) { return document(path, p); }
Json patch_document(const std::string& path, const ridiff10::Patch& p) { return document(path, p); }
std::string patch_text(const std::string& path, const bxdiff50::Patch& p) { return path + ":\n" + bxdiff50::to_text(p); }
std::string patch_text(const std::string& path, const ridiff10::Patch& p) { return path + ":\n" + ridiff10::to_text(p); }

Json patch_apply_document(const std::string& patch, const std::string& old, const std::string& output,
                          const bxdiff50::ApplyReport& r) {
  auto doc = make_document("patch-apply");
  doc["patch"] = patch;
  doc["old"] = old;
  doc["output"] = output;
  doc["output_size"] = r.output_size;
  doc["input_sha1"] = r.input_sha1.empty() ? Json(nullptr) : Json(r.input_sha1);
  doc["output_sha1"] = r.output_sha1;
  doc["triples"] = r.triples;
  return doc;
}

std::string patch_apply_text(const std::string& output, const bxdiff50::ApplyReport& r) {
  return fmt::format("{}: {} bytes, SHA-1 {} (verified)\n", output, r.output_size, r.output_sha1);
}

}  // namespace upscope::reports
