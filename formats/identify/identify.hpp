// The format registry: one ordered table of probes, so `upscope identify` names any input by its
// content (never by its file name), and every command picks its reader the same way.
#pragma once

#include <string>
#include <vector>

#include "inspect/probe.hpp"
#include "inspect/result.hpp"
#include "inspect/source.hpp"

namespace upscope {

struct FormatEntry {
  const char* id;           // "udif"
  const char* family;       // "disk-image", "filesystem", "executable", "patch", "archive", "compression", "metadata"
  const char* description;  // "UDIF disk image (.dmg)"
};

// Every format id `identify` can answer, in probe order, plus "unknown".
const std::vector<FormatEntry>& known_formats();

// Runs the probes in order; an input that none claims is format "unknown" (never an Error).
// Errors are only for inputs that cannot be read.
Result<Identification> identify(const Source& src);

}  // namespace upscope
