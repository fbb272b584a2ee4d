// `upscope ls KC`: one row per fileset entry of a kernel collection ("kc-ls" document, or a table).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "inspect/diagnostics.hpp"
#include "inspect/hash.hpp"
#include "kc/kc.hpp"

namespace upscope::reports {

// The Boot KC a System/Aux KC was checked against (`ls KC:BOOT.kc`).
struct BootKcLink {
  std::string path, uuid;
  std::string reason;  // why it does not link; empty when it does
};

struct KcListing {
  std::string image;
  const kc::KernelCollection* kc = nullptr;
  std::vector<const kc::Entry*> rows;  // every entry, or the one asked for
  std::optional<BootKcLink> boot;
  std::optional<HashKind> hash;        // --hash: a content-hash column
};

// The JSON document, written row by row (a tree of 600 rows cost more than reading them).
std::string kc_listing_json(const KcListing& l, const Diagnostics& diags);
std::string kc_listing_text(const KcListing& l);

}  // namespace upscope::reports
