#include "aea_images.hpp"

#include <fmt/format.h>

namespace upscope::build {

Result<SourcePtr> open_aea_image(const std::string& name, const SourcePtr& src, const InventoryOptions& opt) {
  const size_t slash = name.find_last_of('/');
  const std::string file_name = slash == std::string::npos ? name : name.substr(slash + 1);
  aea::Keys keys;
  if (auto it = opt.aea_keys.find(file_name); it != opt.aea_keys.end()) keys = it->second;
  else if (opt.aea_default_keys) keys = *opt.aea_default_keys;
  auto plain = aea::open_decrypted(src, keys);
  if (plain) return plain;
  std::string why = plain.error().message();
  if (keys.empty())
    why += fmt::format(" (give the key with --key or --key-file, or several with --aea-keys FILE, a JSON object "
                       "naming \"{}\")", file_name);
  return fail(ErrorCode::kUnsupported, "Apple Encrypted Archive", "not decrypted: " + why);
}

}  // namespace upscope::build
