// Two trust caches compared by cdhash (trust_cache_diff.hpp).
#include "analysis/trust_cache_diff.hpp"

#include <algorithm>
#include <cstring>

namespace upscope {

using trustcache::Entry;

namespace {

bool less(const Entry& a, const Entry& b) { return std::memcmp(a.cdhash.data(), b.cdhash.data(), a.cdhash.size()) < 0; }

// Sorted by cdhash, the first of each repeated cdhash kept (stable sort keeps input order).
std::vector<Entry> unique_sorted(const std::vector<Entry>& in) {
  std::vector<Entry> v = in;
  std::stable_sort(v.begin(), v.end(), less);
  v.erase(std::unique(v.begin(), v.end(), [](const Entry& a, const Entry& b) { return a.cdhash == b.cdhash; }),
          v.end());
  return v;
}

}  // namespace

TrustCacheDiff diff_trust_caches(const trustcache::TrustCache& a, const trustcache::TrustCache& b) {
  TrustCacheDiff d;
  d.uuid_changed = a.uuid != b.uuid;
  d.version_changed = a.version != b.version;
  const auto x = unique_sorted(a.entries), y = unique_sorted(b.entries);
  size_t i = 0, j = 0;
  while (i < x.size() || j < y.size()) {
    if (j == y.size() || (i < x.size() && less(x[i], y[j]))) {
      d.removed.push_back(x[i++]);
    } else if (i == x.size() || less(y[j], x[i])) {
      d.added.push_back(y[j++]);
    } else {
      TrustCacheEntryChange c{x[i], y[j], {}};
      if (x[i].hash_type != y[j].hash_type) c.fields.push_back("hash_type");
      if (x[i].flags != y[j].flags) c.fields.push_back("flags");
      if (x[i].constraint_category != y[j].constraint_category) c.fields.push_back("constraint_category");
      if (c.fields.empty())
        ++d.unchanged;
      else
        d.changed.push_back(std::move(c));
      ++i, ++j;
    }
  }
  return d;
}

}  // namespace upscope
