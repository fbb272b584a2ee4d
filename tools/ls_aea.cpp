// `upscope ls FILE.aea`: an Apple Encrypted Archive has nothing to list without its key, so say
// so plainly (exit 2), instead of the generic "cannot list this format".
#include <fmt/format.h>

#include "ls_registry.hpp"

namespace upscope::cli {
namespace {

int list_aea(Context&, const LsRequest& req, const IdentifiedInput& input) {
  std::string profile;
  if (input.id.details.contains("profile")) profile = fmt::format(", profile {}", input.id.details["profile"].dump());
  Error e = make_error(ErrorCode::kUnsupported, "AEA1 header",
                       fmt::format("encrypted (Apple Encrypted Archive{}): its entries cannot be listed without the "
                                   "archive key",
                                   profile));
  e.file = req.image;
  print_error(e);
  return kExitError;
}

const ListerRegistrar reg({"aea"}, list_aea);

}  // namespace
}  // namespace upscope::cli
