// The HFS+ lister of `upscope ls`, also the fallback of the disk-image lister when an image holds
// no APFS container; and what a row of the two file-system listers (APFS, HFS+) has in common.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "inspect/hash.hpp"
#include "ls_registry.hpp"
#include "reports/json.hpp"

namespace upscope::cli {
int list_hfs(Context& ctx, const LsRequest& req, const IdentifiedInput& input);

struct FileRowTail {
  std::string target;  // symlink
  std::string hash;
  std::vector<std::pair<std::string, uint64_t>> xattrs;
  std::optional<Error> error;
};
// The last fields of a file's JSON row: symlink_target (symlinks only), the --hash value, xattr
// names and sizes, and the error when the file could not be read whole.
void add_row_tail(reports::Json& f, const FileRowTail& r, bool symlink, std::optional<HashKind> hk);
}  // namespace upscope::cli
