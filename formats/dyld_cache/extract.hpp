// One cached dylib written out as a standalone Mach-O: its segments gathered from whichever cache
// files hold them, laid out contiguously, with the LINKEDIT pieces the image uses copied into a
// LINKEDIT of its own (symbol table rebuilt with the local symbols of the .symbols file).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "dyld_cache/cache.hpp"

namespace upscope::dyld_cache {

// What is NOT rebuilt (also printed by `upscope extract --help`).
inline constexpr const char* kExtractLimits =
    "What extract --image does NOT rebuild: pointers stay as the cache stored them (slid/chained slide-info "
    "values, not the image's own rebase/bind opcodes or chained fixups); stubs and GOTs keep branching to "
    "other cached images (no stub un-optimisation); Objective-C and Swift cache optimisations (selector "
    "uniquing, preoptimised class/protocol tables) stay applied; LC_CODE_SIGNATURE is emptied (the image "
    "is unsigned); segment VM addresses stay the cache's unslid ones. Rebuilt: contiguous file offsets, "
    "section offsets, a private LINKEDIT (exports trie, function starts, data-in-code, dyld info, chained "
    "fixups/split info blobs as stored, symbol table with the .symbols file's locals, indirect symbols), "
    "MH_DYLIB_IN_CACHE cleared.";

struct ExtractedSegment {
  std::string name;
  uint64_t vmaddr = 0, vmsize = 0;
  uint64_t fileoff = 0, filesize = 0;  // in the output
  std::string from;                    // the cache file its bytes came from ("" for LINKEDIT)
};

struct ExtractInfo {
  uint64_t size = 0;  // bytes written
  std::vector<ExtractedSegment> segments;  // in file order; __LINKEDIT last
  uint64_t symbols = 0, local_symbols = 0, indirect_symbols = 0;
  uint64_t linkedit_blobs = 0;
};

// Receives the output in order; returns false to stop (a write error).
using ExtractSink = std::function<bool(Bytes)>;

// Memory: the rebuilt header and LINKEDIT are built in memory (the image's share only); segment bytes
// are passed from the mapped cache files to the sink without copies.
Result<ExtractInfo> extract_image(const Cache& c, const Image& img, const ExtractSink& sink, Diagnostics& diags);

}  // namespace upscope::dyld_cache
