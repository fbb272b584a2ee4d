// `upscope aea verify` documents (reports/aea.hpp).
#include "reports/aea.hpp"

#include <fmt/format.h>

namespace upscope::reports {

std::string aea_summary(const aea::Archive& a) {
  return fmt::format("AEA profile {} ({}), {} plaintext bytes in {} segments, {} clusters", a.header.profile,
                     a.header.info->summary, a.root.plain_size, a.segments.size(), a.clusters.size());
}

Json aea_verify_document(const std::string& path, const aea::Archive& a, const AeaPlaintext& p) {
  auto doc = make_document("aea");
  doc["path"] = path;
  doc["report"] = aea::to_json(a);
  doc["report"]["verified"] = {{"segments", a.segments.size()},
                               {"segment_macs", a.checks.macs},
                               {"checksum", aea::checksum_name(a.root.checksum)},
                               {"plaintext_size", p.size},
                               {"plaintext_sha256", p.sha256}};
  doc["diagnostics"] = to_json(a.diagnostics);
  return doc;
}

std::string aea_verify_text(const std::string& path, const aea::Archive& a, const AeaPlaintext& p) {
  const aea::Checks& c = a.checks;
  std::string text = fmt::format("{}: {}\n", path, aea_summary(a));
  if (!c.signature.empty()) text += "  signature: " + c.signature + "\n";
  if (!c.signing_key_signature.empty()) text += "  SigningPublicKeySignature: " + c.signing_key_signature + "\n";
  if (!c.certificate_chain.empty()) text += "  certificate chain: " + c.certificate_chain + "\n";
  if (c.macs)
    text += fmt::format("  HMACs verified: root header, {} cluster headers, {} segments; padding: {}\n",
                        c.cluster_header_macs, a.segments.size(), c.padding);
  else
    text += "  HMACs not checked (the signing public key the main key depends on is unknown)\n";
  text += fmt::format("  segments decoded: {}; {} checksums: {}\n", a.segments.size(), aea::checksum_name(a.root.checksum),
                      a.root.checksum == 0 ? "none stored" : "all match");
  text += fmt::format("  plaintext: {} bytes, SHA-256 {}\n", p.size, p.sha256);
  return text;
}

}  // namespace upscope::reports
