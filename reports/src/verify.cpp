// Checksum verification documents (reports/verify.hpp).
#include "reports/verify.hpp"

#include <fmt/format.h>

#include "reports/json.hpp"
#include "reports/text_table.hpp"
#include "udif/json.hpp"

namespace upscope::reports {

namespace {

Json chunklist_json(const ChunklistCheck& c) {
  Json j;
  j["path"] = c.path;
  j["source"] = c.given ? "given" : "beside";
  if (c.error) {
    j["error"] = to_json(*c.error);
    return j;
  }
  const chunklist::Chunklist& cl = *c.chunklist;
  const chunklist::VerifyReport& rep = c.report;
  j["diagnostics"] = to_json(cl.diagnostics);
  j["chunk_count"] = cl.chunks.size();
  j["result"] = chunklist::to_json(rep);
  j["signature"] = {{"method", cl.signature_method},
                    {"method_name", chunklist::signature_method_name(cl.signature_method)},
                    {"length", cl.signature_length},
                    {"verified", false},
                    {"note", chunklist::kSignatureNote}};
  if (!rep.failures.empty()) {
    const auto& f = rep.failures.front();
    j["first_bad_chunk"] = {{"index", f.index}, {"offset", f.offset}, {"size", f.size}, {"reason", f.reason}};
  }
  return j;
}

// At most ten failing chunks are named in text.
std::string chunklist_text(const ChunklistCheck& c, const std::string& image) {
  std::string text =
      fmt::format("chunklist {} ({}):\n", c.path, c.given ? "given with --chunklist" : "found beside the image");
  if (c.error) return text + fmt::format("  error: {}\n", c.error->message());
  const chunklist::Chunklist& cl = *c.chunklist;
  const chunklist::VerifyReport& rep = c.report;
  for (const auto& f : rep.failures) {
    text += fmt::format("  chunk {} at offset {} ({:#x}), {} bytes: {}", f.index, f.offset, f.offset, f.size, f.reason);
    text += f.computed.empty() ? "\n" : fmt::format(": expected {}, computed {}\n", f.expected, f.computed);
    if (&f - rep.failures.data() >= 9 && rep.failure_count > 10) {
      text += fmt::format("  ... {} more failing chunks (--json lists up to {})\n", rep.failure_count - 10,
                          chunklist::kMaxFailures);
      break;
    }
  }
  if (!rep.size_ok())
    text += fmt::format("  size mismatch: the chunks cover {} bytes, {} has {}\n", rep.covered, image, rep.image_size);
  if (rep.ok())
    text += fmt::format("  all {} chunk SHA-256s match; the chunks cover all {} bytes\n", rep.matched, rep.image_size);
  else if (!rep.failures.empty())
    text += fmt::format("  FAILED: first bad chunk {} at offset {}\n", rep.failures.front().index,
                        rep.failures.front().offset);
  else
    text += "  FAILED: the chunks do not cover the image exactly\n";
  text += fmt::format("  signature ({}, {} bytes): {}\n", chunklist::signature_method_name(cl.signature_method),
                      cl.signature_length, chunklist::kSignatureNote);
  return text;
}

Json image_json(const ImageCheck& c) {
  Json j;
  j["path"] = c.path;
  if (c.chunklist) j["chunklist"] = chunklist_json(*c.chunklist);
  if (c.error) {
    j["error"] = to_json(*c.error);
    return j;
  }
  j["kind"] = c.kind;
  if (c.udif_report) j["udif"] = udif::to_json(*c.udif_report, *c.udif);
  if (c.gpt) j["gpt"] = {{"header_crc_ok", c.gpt->header_ok}, {"table_crc_ok", c.gpt->table_ok}};
  j["diagnostics"] = to_json(c.diagnostics);
  j["checks"] = c.checks;
  j["ok"] = c.ok;
  return j;
}

// The disk image's checks, then the chunklist's, then the verdict.
std::string image_text(const ImageCheck& c) {
  const std::string cl = c.chunklist ? chunklist_text(*c.chunklist, c.path) : "";
  if (c.error) return fmt::format("{}: error: {}\n", c.path, c.error->message()) + cl;
  std::string text = fmt::format("{}: {}\n", c.path, c.kind);
  if (c.udif_report) {
    const udif::VerifyReport& rep = *c.udif_report;
    TextTable t({"#", "NAME", "STORED", "COMPUTED", "RESULT"});
    for (size_t i = 0; i < rep.blkx.size(); ++i) {
      const auto& b = rep.blkx[i];
      std::string result = b.error ? "ERROR: " + b.error->message()
                           : !b.checked ? "not checksummed"
                           : b.ok()     ? "ok"
                                        : "MISMATCH";
      t.add_row({std::to_string(b.ordinal), c.udif->blkx[i].name, b.checked ? udif::crc_hex(b.stored) : "-",
                 udif::crc_hex(b.computed), result});
    }
    text += t.str();
    if (rep.master_checked)
      text += fmt::format("master checksum: stored {} computed {}: {}\n", udif::crc_hex(rep.master_stored),
                          udif::crc_hex(rep.master_computed),
                          rep.master_stored == rep.master_computed ? "ok" : "MISMATCH");
    if (rep.data_fork_checked)
      text += fmt::format("data fork checksum: stored {} computed {}: {}\n", udif::crc_hex(rep.data_fork_stored),
                          udif::crc_hex(rep.data_fork_computed),
                          rep.data_fork_stored == rep.data_fork_computed ? "ok" : "MISMATCH");
  }
  if (c.gpt)
    text += fmt::format("GPT header CRC32 {:08x}: {}; table CRC32 {:08x}: {}\n", c.gpt->header_crc,
                        c.gpt->header_ok ? "ok" : "MISMATCH", c.gpt->table_crc, c.gpt->table_ok ? "ok" : "MISMATCH");
  text += cl;
  text += c.checks == 0 && c.ok ? "no checksums to verify\n"
                                : fmt::format("verdict: {}\n", c.ok ? "all checksums match" : "CHECKSUM MISMATCH");
  return text;
}

}  // namespace

Json verify_document(const std::vector<ImageCheck>& checks) {
  Json doc = make_document("verify");
  Json items = Json::array();
  for (const ImageCheck& c : checks) items.push_back(image_json(c));
  doc["inputs"] = std::move(items);
  return doc;
}

std::string verify_text(const std::vector<ImageCheck>& checks) {
  std::string text;
  for (const ImageCheck& c : checks) text += image_text(c);
  return text;
}

}  // namespace upscope::reports
