// How builds live in the catalogue, whatever the database: string lists and string maps packed as
// ULEB128-length-prefixed strings in one blob, the digests that address stored contents (a build, a
// component, a binary's details), and a build's members as runs of component keys. None of this
// depends on the backend: SQLite and PostgreSQL store the same bytes (docs/catalog.md §2).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "inspect/byte_reader.hpp"
#include "analysis/model.hpp"
#include "inspect/result.hpp"

namespace upscope::catalog::detail {

using Blob = std::vector<uint8_t>;

void put_uleb(Blob& out, uint64_t v);
void put_string(Blob& out, std::string_view s);
Blob encode_strings(const std::vector<std::string>& list);
Blob encode_map(const std::map<std::string, std::string>& map);
// The same, appended to `out` (a scratch buffer reused across components).
void append_strings(Blob& out, const std::vector<std::string>& list);
void append_map(Blob& out, const std::map<std::string, std::string>& map);
// `what` names the record for the error ("build 3 component 12 symbols").
Status decode_strings(Bytes blob, std::vector<std::string>& out, std::string_view what);
Status decode_map(Bytes blob, std::map<std::string, std::string>& out, std::string_view what);

// A component's hashes as stored: its own, plus one "also <location> <path>" entry per other place it
// lives (Component::also); and back.
std::map<std::string, std::string> stored_hashes(const Component& c);
void restore_hashes(std::map<std::string, std::string> stored, Component& c);
// encode_map(stored_hashes(c)), appended to `out`.
void append_stored_hashes(Blob& out, const Component& c);

// SHA-256 (hex) over every field of the inventory except `source`: the same build read from
// another path is still the same build. `component_digests` (component_digest of each component,
// in order) stand for the components: each covers every field of its component.
std::string content_digest(const BuildInventory& inv, const std::vector<std::string>& component_digests);

// SHA-256 (32 raw bytes) over a binary's symbols, function hashes and facts blobs: the key of a
// `details` row, shared by every build and component whose binary has the same ones.
std::string details_digest(Bytes symbols, Bytes functions, Bytes facts);
// SHA-256 (32 raw bytes) over every stored field of a component and its details digest: the key of
// a `components` row. A component that did not change between builds is stored once.
std::string component_digest(const Component& c, Bytes hashes, std::string_view details_digest);

// A build's members: the keys of its component rows in inventory order (docs/catalog.md §2). Either
// on their own, as runs of consecutive keys (encoding 0: count, then per run its length and the
// zigzag distance of its first key from the previous run's end), or as a delta from another build's
// members (encoding 1: base build key, depth, count, then ops: COPY a stretch of the base's members
// at a zigzag distance from where the previous COPY ended, or KEYS as a run). A build that repeats
// its predecessor with a few changes costs a few bytes per change either way, but a series drifts
// from its first build: deltas from the predecessor stay small where runs grow with every change
// since. Chains are at most kMaxMembersDepth long: every build that starts a chain costs runs that
// grow with the drift, and `history` reads every build's blob (docs/catalog.md §2).
inline constexpr uint64_t kMaxMembersDepth = 64;
// A build of more components than this is a corrupted catalogue (real builds hold ~10^5-10^6).
inline constexpr uint64_t kMaxMembers = uint64_t{1} << 26;
Blob encode_members(const std::vector<int64_t>& keys);
// `depth`: the base's depth + 1 (a build stored on its own has depth 0).
Blob encode_members_delta(const std::vector<int64_t>& keys, int64_t base_key, uint64_t depth,
                          const std::vector<int64_t>& base);

struct MembersInfo {
  int64_t base = 0;    // the base build's key; 0: stored on its own
  uint64_t depth = 0;  // 0 on its own, else its base's depth + 1
  uint64_t count = 0;
  size_t body = 0;     // where the runs or ops start
};
// The header, checked: `max` caps the count (the build's recorded component count).
Result<MembersInfo> members_info(Bytes blob, uint64_t max, std::string_view what);
struct MemberOp {
  bool copy = false;  // base positions [first, first + len); else keys [first, first + len)
  int64_t first = 0;
  uint64_t len = 0;
};
// Every op in order, each checked (a COPY against `base_size`, the base's member count) before
// `each` sees it; `each` returns false to stop.
Status for_each_member_op(Bytes blob, uint64_t max, uint64_t base_size,
                          const std::function<bool(const MemberOp&)>& each, std::string_view what);
// Every key in order; `base` is the base build's decoded members (empty for encoding 0).
Status decode_members(Bytes blob, uint64_t max, const std::vector<int64_t>& base, std::vector<int64_t>& out,
                      std::string_view what);

// Not-analysed entries as one string list: path, reason, path, reason...
Blob encode_not_analysed(const std::vector<NotAnalysed>& entries);
Status decode_not_analysed(Bytes blob, std::vector<NotAnalysed>& out, std::string_view what);

// UTC now as "2024-05-01T12:00:00Z": when a build was added.
std::string utc_now();

using upscope::bytes_of;  // strings; the overload below adds blobs
inline Bytes bytes_of(const Blob& b) { return Bytes(b.data(), b.size()); }

}  // namespace upscope::catalog::detail
