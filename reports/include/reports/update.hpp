// Documents of an OTA/RSR update package: `upscope verdict UPDATE` ("verdict", with the package's
// kind and touched paths under "update") and `upscope ls UPDATE --json` ("update-ls").
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "analysis/update_changes.hpp"
#include "analysis/verdict.hpp"
#include "inspect/hash.hpp"
#include "ota/ota.hpp"
#include "reports/json.hpp"

namespace upscope::reports {

Json update_verdict_document(const std::string& source, const ota::Package& p, const std::vector<PlacedPath>& touched,
                             const Verdict& v, const BuildDiff& d);
std::string update_verdict_text(const std::string& source, const ota::Package& p, const Verdict& v, const BuildDiff& d);

// `rows`: the touched paths listed (under the path asked for).
Json update_ls_document(const std::string& source, const ota::Package& p, const std::vector<const PlacedPath*>& rows,
                        std::optional<HashKind> hash);
std::string update_ls_text(const ota::Package& p, const std::vector<const PlacedPath*>& rows, std::optional<HashKind> hash);

}  // namespace upscope::reports
