// Two trust caches compared by cdhash (docs/formats/trustcache.md §4): what `upscope diff A B` reports
// when both inputs are trust caches. The reader (formats/trustcache) lists entries; this compares them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "trustcache/trustcache.hpp"

namespace upscope {

struct TrustCacheEntryChange {
  trustcache::Entry old_entry, new_entry;
  std::vector<std::string> fields;  // "hash_type", "flags", "constraint_category"
};

struct TrustCacheDiff {
  std::vector<trustcache::Entry> added, removed;  // sorted by cdhash
  std::vector<TrustCacheEntryChange> changed;
  uint64_t unchanged = 0;
  bool uuid_changed = false, version_changed = false;
  // The entries are the content: the UUID and the version are reported, not counted (§4).
  bool same() const { return added.empty() && removed.empty() && changed.empty(); }
};

// By cdhash; when a cdhash repeats inside one cache, its first entry stands for it.
TrustCacheDiff diff_trust_caches(const trustcache::TrustCache& a, const trustcache::TrustCache& b);

}  // namespace upscope
