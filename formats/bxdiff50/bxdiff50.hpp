// BXDIFF50 per-file patches (and the older BXDIFF40/41 headers): parse into records, validate
// the bsdiff invariants, compute the output ranges a patch changes, and apply with bounded memory.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "inspect/diagnostics.hpp"
#include "inspect/result.hpp"
#include "inspect/source.hpp"
#include "pbzx/stream.hpp"

namespace upscope::bxdiff50 {

struct Header {
  std::string magic;              // "BXDIFF50", "BXDIFF41", "BXDIFF40"
  uint64_t header_size = 0;       // 88, 52 or 32
  std::optional<uint64_t> version;  // BXDIFF50 only
  uint64_t patched_size = 0;
  uint64_t control_size = 0;
  uint64_t diff_size = 0;
  std::optional<uint64_t> extra_size;  // BXDIFF4x: the rest of the file
  std::optional<std::array<uint8_t, 20>> output_sha1;  // result_sha1 (BXDIFF50)
  std::optional<std::array<uint8_t, 20>> input_sha1;   // target_sha1 (BXDIFF50, BXDIFF41)
};

struct Section {
  std::string name;       // "control", "diff", "extra"
  uint64_t offset = 0;    // in the patch file
  uint64_t size = 0;      // compressed bytes
  pbzx::StreamLayout layout;
  std::optional<uint64_t> decoded_size;  // known after decoding (or from the pbz* framing)
};

struct Triple {
  int64_t mix = 0, copy = 0, seek = 0;  // decoded sign-magnitude values
  uint64_t out_offset = 0;              // where the mix run starts in the output
  int64_t old_offset = 0;               // old-file cursor when the mix run starts
};

struct Range {
  uint64_t begin = 0, end = 0;
};

struct Patch {
  Header header;
  std::vector<Section> sections;  // control, diff, extra (in file order)
  std::vector<Triple> triples;
  uint64_t mix_total = 0, copy_total = 0;
  // Output bytes the patch changes: copy runs plus mix bytes with a nonzero diff byte (docs/formats/ota.md §5.2).
  // Empty when the diff/extra sections were not decoded.
  bool touched_known = false;
  std::vector<Range> touched;
  uint64_t touched_bytes = 0;
  bool touched_truncated = false;  // more than kMaxRanges ranges: the list stops, the byte count does not
  Diagnostics diagnostics;
};

struct ParseOptions {
  std::optional<uint64_t> old_size;  // when known, mix runs are checked against it
  bool decode_data = true;           // decode diff and extra (lengths, touched ranges)
  ThreadPool* pool = nullptr;
  uint64_t max_control = uint64_t{256} << 20;  // decoded control bytes allowed
};

inline constexpr size_t kMaxRanges = 100000;

// Fails only when the header cannot be read or the sections do not lie in the file; every other
// broken rule is an error diagnostic on a partial Patch.
Result<Patch> parse(const Source& src, const ParseOptions& opt = {});

struct ApplyOptions {
  ThreadPool* pool = nullptr;
  bool check_input = true;  // verify target_sha1 against OLD before writing anything
};
struct ApplyReport {
  uint64_t output_size = 0;
  std::string input_sha1, output_sha1;
  size_t triples = 0;
};
// Streams the output into out_path (written as out_path + ".partial", renamed on success; removed
// when the output SHA-1 does not match). `old_name`/`out_name` are used in messages.
Result<ApplyReport> apply(const Source& patch, const Source& old, const std::string& out_path,
                          const ApplyOptions& opt = {});

nlohmann::ordered_json to_json(const Patch& p);
std::string to_text(const Patch& p);

}  // namespace upscope::bxdiff50
