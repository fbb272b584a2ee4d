// Documents of trust caches: `upscope ls X.trustcache` ("trustcache-ls") and `upscope diff A B` when
// both are trust caches ("trustcache-diff"), as JSON (reports/schemas) and as text.
#pragma once

#include <string>

#include "analysis/trust_cache_diff.hpp"
#include "reports/json.hpp"
#include "trustcache/trustcache.hpp"

namespace upscope::reports {

Json trust_cache_ls_document(const std::string& image, const trustcache::TrustCache& tc);
std::string trust_cache_ls_text(const std::string& image, const trustcache::TrustCache& tc);

Json to_json(const TrustCacheDiff& d);
// "+ CDHASH  fields", "- ...", "~ CDHASH  flags a -> b", then the counts.
std::string diff_text(const TrustCacheDiff& d);

Json trust_cache_diff_document(const std::string& old_path, const trustcache::TrustCache& old_tc,
                               const std::string& new_path, const trustcache::TrustCache& new_tc,
                               const TrustCacheDiff& d);
std::string trust_cache_diff_text(const std::string& old_path, const trustcache::TrustCache& old_tc,
                                  const std::string& new_path, const trustcache::TrustCache& new_tc,
                                  const TrustCacheDiff& d);

}  // namespace upscope::reports
