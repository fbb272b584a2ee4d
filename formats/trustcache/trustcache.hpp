// Trust caches: the lists of code-directory hashes (cdhashes) a kernel trusts as platform code.
// Read raw (versions 0, 1, 2) or as the payload of an IM4P of type trbb, trst or ltrs, alone or in
// an IMG4 (docs/formats/trustcache.md). diff() compares two by cdhash.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "inspect/byte_reader.hpp"
#include "inspect/diagnostics.hpp"
#include "inspect/probe.hpp"
#include "inspect/result.hpp"
#include "inspect/source.hpp"

namespace upscope::trustcache {

using Cdhash = std::array<uint8_t, 20>;

struct Entry {
  Cdhash cdhash{};
  std::optional<uint8_t> hash_type;            // versions 1 and 2
  std::optional<uint8_t> flags;                // versions 1 and 2
  std::optional<uint8_t> constraint_category;  // version 2
};

// Where the module was found when it came inside Image4.
struct Wrapper {
  std::string container;        // "img4" or "im4p"
  std::string type;             // the IM4P type: "trbb", "trst", "ltrs"
  std::string description;
  uint64_t payload_offset = 0;
  uint64_t payload_length = 0;
  std::optional<uint64_t> manifest_offset;  // the IM4M of an IMG4
};

struct TrustCache {
  uint64_t offset = 0;          // of the module in the input (the IM4P payload when wrapped)
  uint32_t version = 0;
  std::array<uint8_t, 16> uuid{};
  uint32_t declared_count = 0;  // the header's count; entries holds those that were in the input
  std::vector<Entry> entries;
  std::optional<Wrapper> wrapper;
  Diagnostics diagnostics;
};

// Names for the entry fields (docs/formats/trustcache.md §2): "sha256"..., "unknown".
std::string hash_type_name(uint8_t type);
// "amfid", "ane-model", unknown bits as hex ("0x80"); empty for 0.
std::vector<std::string> flag_names(uint8_t flags);
// "none" for 0, else "0x1 (amfid)" / "0x3 (amfid, ane-model)".
std::string flags_text(uint8_t flags);
// The IM4P types that carry a trust cache, and what each is for.
bool is_trust_cache_type(std::string_view im4p_type);
std::string im4p_type_name(std::string_view im4p_type);
// Whether identify() named a trust cache: raw, or an IM4P / IMG4 whose payload type is one.
bool identified_as_trust_cache(const Identification& id);

// A raw module in `r`. `what` names it in messages ("trust cache", "IM4P 'trbb' trust cache").
// Fails on a short header or an unknown version; a count past the end, a truncated entry, trailing
// bytes, unsorted or repeated cdhashes are diagnostics on the entries that were read.
Result<TrustCache> parse_raw(const ByteReader& r, const std::string& what = "trust cache");
// A raw module, or an IM4P / IMG4 whose IM4P type is a trust-cache type and whose payload is one.
Result<TrustCache> parse(const Source& src);

nlohmann::ordered_json to_json(const Entry& e);
nlohmann::ordered_json to_json(const TrustCache& tc);
// "trust cache v1, UUID ..., 1 entry" (+ where it was found).
std::string summary(const TrustCache& tc);
// One row per entry: CDHASH, and for versions 1 and 2 HASH TYPE and FLAGS (and CATEGORY for 2).
std::string entries_text(const TrustCache& tc);
// The fields an entry has: "hash type 2 (sha256), flags none, category 1"; empty for version 0.
std::string entry_fields(const Entry& e);

}  // namespace upscope::trustcache
