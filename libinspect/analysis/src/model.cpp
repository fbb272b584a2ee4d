#include "analysis/model.hpp"

#include <algorithm>
#include <map>

namespace upscope {

namespace {
template <typename E, size_t N>
std::optional<E> parse_enum(std::string_view s, const std::pair<E, const char*> (&table)[N]) {
  for (const auto& [e, name] : table)
    if (s == name) return e;
  return std::nullopt;
}
template <typename E, size_t N>
const char* enum_name(E e, const std::pair<E, const char*> (&table)[N]) {
  for (const auto& [v, name] : table)
    if (v == e) return name;
  return "?";
}

const std::pair<ComponentKind, const char*> kKinds[] = {
    {ComponentKind::kKernel, "kernel"},         {ComponentKind::kKext, "kext"},
    {ComponentKind::kDyldCacheImage, "dyld-cache-image"}, {ComponentKind::kMachO, "macho"},
    {ComponentKind::kAppBundle, "app-bundle"},  {ComponentKind::kFile, "file"},
    {ComponentKind::kCryptexImage, "cryptex-image"}, {ComponentKind::kFirmware, "firmware"},
    {ComponentKind::kTrustCache, "trust-cache"},
};
const std::pair<Space, const char*> kSpaces[] = {
    {Space::kKernel, "kernel"}, {Space::kUser, "user"}, {Space::kBoot, "boot"}, {Space::kData, "data"}};
const std::pair<Location, const char*> kLocations[] = {
    {Location::kBootKc, "boot-kc"},           {Location::kSystemKc, "system-kc"},
    {Location::kAuxKc, "aux-kc"},             {Location::kKernelcache, "kernelcache"},
    {Location::kSystemVolume, "system-volume"}, {Location::kCryptexOs, "cryptex-os"},
    {Location::kCryptexApp, "cryptex-app"},   {Location::kPreboot, "preboot"},
    {Location::kDataVolume, "data-volume"},   {Location::kUnknown, "unknown"},
};
}  // namespace

const char* to_string(ComponentKind k) { return enum_name(k, kKinds); }
const char* to_string(Space s) { return enum_name(s, kSpaces); }
const char* to_string(Location l) { return enum_name(l, kLocations); }
std::optional<ComponentKind> parse_component_kind(std::string_view s) { return parse_enum(s, kKinds); }
std::optional<Space> parse_space(std::string_view s) { return parse_enum(s, kSpaces); }
std::optional<Location> parse_location(std::string_view s) { return parse_enum(s, kLocations); }

const Component* BuildInventory::find(const std::string& id) const {
  auto it = std::lower_bound(components.begin(), components.end(), id,
                             [](const Component& c, const std::string& key) { return c.id < key; });
  return it != components.end() && it->id == id ? &*it : nullptr;
}

void BuildInventory::normalise() {
  auto by_id = [](const Component& a, const Component& b) { return a.id < b.id; };
  std::stable_sort(components.begin(), components.end(), by_id);
  // The same install path in two places (a file on the system volume and its copy in a cryptex):
  // qualify each by its location, then number what still collides.
  std::map<std::string, int> count;
  for (const auto& c : components) ++count[c.id];
  for (auto& c : components)
    if (count[c.id] > 1) c.id += std::string("@") + to_string(c.location);
  std::map<std::string, int> seen;
  for (auto& c : components) {
    int n = ++seen[c.id];
    if (n > 1) c.id += "#" + std::to_string(n);
  }
  std::stable_sort(components.begin(), components.end(), by_id);
  for (auto& c : components) std::sort(c.symbols.begin(), c.symbols.end());
  std::sort(not_analysed.begin(), not_analysed.end(),
            [](const NotAnalysed& a, const NotAnalysed& b) { return a.path < b.path; });
}

}  // namespace upscope
