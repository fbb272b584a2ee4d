#include "build/system_version.hpp"

#include <plist/plist.h>

#include <memory>

#include "inspect/source.hpp"

namespace upscope::build {

namespace {

struct PlistDeleter {
  void operator()(plist_t p) const { plist_free(p); }
};
using PlistPtr = std::unique_ptr<void, PlistDeleter>;

std::string string_value(plist_t dict, const char* key) {
  plist_t node = plist_dict_get_item(dict, key);
  if (!node || plist_get_node_type(node) != PLIST_STRING) return {};
  char* s = nullptr;
  plist_get_string_val(node, &s);
  std::string out = s ? s : "";
  free(s);
  return out;
}

PlistPtr load(const std::filesystem::path& p, Diagnostics& diags) {
  auto src = FileSource::open(p.string());
  if (!src) return nullptr;
  auto bytes = (*src)->contiguous();
  if (!bytes || bytes->empty() || bytes->size() > (16u << 20)) return nullptr;
  plist_t root = nullptr;
  plist_from_memory(reinterpret_cast<const char*>(bytes->data()), static_cast<uint32_t>(bytes->size()), &root);
  if (!root || plist_get_node_type(root) != PLIST_DICT) {
    if (root) plist_free(root);
    diags.warning(std::nullopt, "SystemVersion.plist", p.string() + ": not a property list dictionary");
    return nullptr;
  }
  return PlistPtr(root);
}

}  // namespace

void read_system_version(const std::filesystem::path& root, BuildInventory& inv, Diagnostics& diags) {
  if (auto sys = load(root / "System/Library/CoreServices/SystemVersion.plist", diags)) {
    inv.product = string_value(sys.get(), "ProductName");
    inv.version = string_value(sys.get(), "ProductVersion");
    inv.build = string_value(sys.get(), "ProductBuildVersion");
    inv.version_extra = string_value(sys.get(), "ProductVersionExtra");
    if (inv.product.find("macOS") != std::string::npos || inv.product.find("Mac OS") != std::string::npos)
      inv.platform = "macos";
    else if (inv.product.find("iPhone") != std::string::npos || inv.product == "iOS")
      inv.platform = "ios";
  }
  for (const char* cryptex : {"System/Cryptexes/OS", "System/Volumes/Preboot/Cryptexes/OS"}) {
    auto os = load(root / cryptex / "System/Library/CoreServices/SystemVersion.plist", diags);
    if (!os) continue;
    // After an RSR the cryptex carries the newer build and the letter.
    std::string extra = string_value(os.get(), "ProductVersionExtra");
    std::string build = string_value(os.get(), "ProductBuildVersion");
    if (!extra.empty()) inv.version_extra = extra;
    if (!build.empty() && build != inv.build && !extra.empty()) inv.build = build;
    break;
  }
}

}  // namespace upscope::build
