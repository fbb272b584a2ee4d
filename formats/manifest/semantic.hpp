// Which of the property lists upscope understands a plist is (by its keys, never its file name),
// and that reader's facts as JSON and text for `upscope inspect`.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "inspect/diagnostics.hpp"
#include "inspect/result.hpp"
#include "plist/tree.hpp"

namespace upscope::manifest {

enum class Kind { kBuildManifest, kRestorePlist, kOtaInfo, kZipMetadata, kSystemVersion, kBundleInfo };
// "build-manifest", "restore-plist", "ota-info", "zip-metadata", "system-version", "bundle-info"
const char* to_string(Kind k);

// The kind whose keys the root has (the most specific tried first: a build manifest also has a
// ProductBuildVersion); nullopt for any other plist.
std::optional<Kind> detect(const plist::Value& root);

struct SemanticView {
  Kind kind;
  nlohmann::ordered_json facts;  // the reader's to_json
  std::string text;              // the reader's to_text
  Diagnostics diagnostics;
};

// The view of the detected kind; nullopt when the plist is none of them. `name` labels diagnostics.
std::optional<Result<SemanticView>> read_semantic(const plist::Value& root, std::string_view name);

}  // namespace upscope::manifest
