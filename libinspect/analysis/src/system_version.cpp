#include "system_version.hpp"

#include <plist/plist.h>

#include <memory>

#include "inspect/source.hpp"
#include "plist/parse.hpp"

namespace upscope::build {

namespace {

using plist::string_item;

plist::Ptr load(const std::filesystem::path& p, Diagnostics& diags) {
  auto src = FileSource::open(p.string());
  if (!src) return nullptr;
  auto bytes = (*src)->contiguous();
  if (!bytes || bytes->empty() || bytes->size() > (16u << 20)) return nullptr;
  auto root = plist::parse(*bytes, "SystemVersion.plist");
  if (!root) {
    diags.warning(std::nullopt, "SystemVersion.plist", p.string() + ": " + root.error().message());
    return nullptr;
  }
  if (!*root || plist_get_node_type(plist::get(*root)) != PLIST_DICT) {
    diags.warning(std::nullopt, "SystemVersion.plist", p.string() + ": not a property list dictionary");
    return nullptr;
  }
  return std::move(*root);
}

}  // namespace

void read_system_version(const std::filesystem::path& root, BuildInventory& inv, Diagnostics& diags) {
  if (auto sys = load(root / "System/Library/CoreServices/SystemVersion.plist", diags)) {
    inv.product = string_item(plist::get(sys), "ProductName");
    inv.version = string_item(plist::get(sys), "ProductVersion");
    inv.build = string_item(plist::get(sys), "ProductBuildVersion");
    inv.version_extra = string_item(plist::get(sys), "ProductVersionExtra");
    if (inv.product.find("macOS") != std::string::npos || inv.product.find("Mac OS") != std::string::npos)
      inv.platform = "macos";
    else if (inv.product.find("iPhone") != std::string::npos || inv.product == "iOS")
      inv.platform = "ios";
  }
  for (const char* cryptex : {"System/Cryptexes/OS", "System/Volumes/Preboot/Cryptexes/OS"}) {
    auto os = load(root / cryptex / "System/Library/CoreServices/SystemVersion.plist", diags);
    if (!os) continue;
    // After an RSR the cryptex carries the newer build and the letter.
    std::string extra = string_item(plist::get(os), "ProductVersionExtra");
    std::string build = string_item(plist::get(os), "ProductBuildVersion");
    if (!extra.empty()) inv.version_extra = extra;
    if (!build.empty() && build != inv.build && !extra.empty()) inv.build = build;
    break;
  }
}

}  // namespace upscope::build
