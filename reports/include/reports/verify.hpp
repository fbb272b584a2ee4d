// `upscope verify IMAGE...` ("verify" document, or text): per input, the UDIF blkx/master/data-fork
// CRC32s, the GPT CRCs and the chunklist's SHA-256s that were checked, and the verdict.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "chunklist/chunklist.hpp"
#include "inspect/diagnostics.hpp"
#include "reports/json.hpp"
#include "udif/disk_image.hpp"

namespace upscope::reports {

struct ChunklistCheck {
  std::string path;
  bool given = false;                   // --chunklist (else found beside the image)
  std::optional<Error> error;           // unreadable: nothing else is set
  std::optional<chunklist::Chunklist> chunklist;
  chunklist::VerifyReport report;
};

struct GptCheck {
  uint32_t header_crc = 0, table_crc = 0;
  bool header_ok = false, table_ok = false;
};

struct ImageCheck {
  std::string path;
  std::optional<ChunklistCheck> chunklist;
  std::optional<Error> error;       // the image could not be opened: only the chunklist was checked
  std::string kind;                 // udif::to_string of the disk image's kind
  std::shared_ptr<const udif::Image> udif;  // with `udif_report`
  std::optional<udif::VerifyReport> udif_report;
  std::optional<GptCheck> gpt;
  Diagnostics diagnostics;
  int checks = 0;                   // checksums compared
  bool ok = true;
};

Json verify_document(const std::vector<ImageCheck>& checks);
std::string verify_text(const std::vector<ImageCheck>& checks);

}  // namespace upscope::reports
