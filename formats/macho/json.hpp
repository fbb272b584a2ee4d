// JSON rendering of the Mach-O model (schema: reports/schemas/macho.schema.json).
#pragma once

#include <nlohmann/json.hpp>

#include "macho/macho.hpp"

namespace upscope::macho {

struct JsonOptions {
  bool symbols = false;          // full symbol list (otherwise counts only)
  bool exports = false;          // full export list
  bool function_starts = false;  // every address
};

nlohmann::ordered_json to_json(const MachO& m, const JsonOptions& opt = {});
nlohmann::ordered_json to_json(const FatFile& f, const JsonOptions& opt = {});

}  // namespace upscope::macho
