#include "analysis/classify.hpp"

namespace upscope {

namespace {

// Glob over '/'-separated paths: '*' matches within one component, '**' across components.
bool glob(std::string_view pat, std::string_view s) {
  size_t p = 0, i = 0, star_p = std::string_view::npos, star_i = 0;
  bool star_any = false;
  while (i < s.size()) {
    if (p + 1 < pat.size() && pat[p] == '*' && pat[p + 1] == '*') {
      star_p = p += 2;
      star_i = i;
      star_any = true;
    } else if (p < pat.size() && pat[p] == '*') {
      star_p = ++p;
      star_i = i;
      star_any = false;
    } else if (p < pat.size() && pat[p] == s[i]) {
      ++p;
      ++i;
    } else if (star_p != std::string_view::npos && (star_any || s[star_i] != '/')) {
      p = star_p;
      i = ++star_i;
    } else {
      return false;
    }
  }
  while (p < pat.size() && pat[p] == '*') ++p;
  return p == pat.size();
}

struct Row {
  const char* pattern;
  Location location;
  Space space;
  ComponentKind kind;
};

// Cryptex roots: where the OS and App cryptexes are grafted or stored. Matched first; the prefix
// decides the location and is stripped to give the install path.
const struct { const char* prefix; Location location; } kCryptexRoots[] = {
    {"/System/Volumes/Preboot/Cryptexes/OS", Location::kCryptexOs},
    {"/System/Volumes/Preboot/Cryptexes/App", Location::kCryptexApp},
    {"/private/preboot/Cryptexes/OS", Location::kCryptexOs},
    {"/private/preboot/Cryptexes/App", Location::kCryptexApp},
    {"/System/Cryptexes/OS", Location::kCryptexOs},
    {"/System/Cryptexes/App", Location::kCryptexApp},
    {"/Preboot/Cryptexes/OS", Location::kCryptexOs},
    {"/Preboot/Cryptexes/App", Location::kCryptexApp},
};

// The table (docs/placement.md §3): first match wins. Space "data" rows hold files whose
// space the analyser refines (a Mach-O on the system volume is user-space code).
const Row kTable[] = {
    // Cryptex images themselves, on Preboot (Preboot/<UUID>/cryptex1/current/{os,os.clone,app}.dmg)
    {"**/cryptex1/current/os.dmg", Location::kCryptexOs, Space::kUser, ComponentKind::kCryptexImage},
    {"**/cryptex1/current/os.clone.dmg", Location::kCryptexOs, Space::kUser, ComponentKind::kCryptexImage},
    {"**/cryptex1/current/app.dmg", Location::kCryptexApp, Space::kUser, ComponentKind::kCryptexImage},
    // Their trust caches beside them (named like an IPSW's "<dmg>.trustcache"; the exact names on
    // Preboot are not confirmed from a real system, hence the globs)
    {"**/cryptex1/current/os*.trustcache", Location::kCryptexOs, Space::kData, ComponentKind::kTrustCache},
    {"**/cryptex1/current/app*.trustcache", Location::kCryptexApp, Space::kData, ComponentKind::kTrustCache},
    // Kernel collections and kernelcaches: kernel space, never RSR-patchable
    {"**/KernelCollections/BootKernelExtensions.kc*", Location::kBootKc, Space::kKernel, ComponentKind::kFile},
    {"/System/Library/KernelCollections/SystemKernelExtensions.kc*", Location::kSystemKc, Space::kKernel, ComponentKind::kFile},
    {"/Library/KernelCollections/AuxiliaryKernelExtensions.kc*", Location::kAuxKc, Space::kKernel, ComponentKind::kFile},
    {"**/com.apple.kernelcaches/kernelcache*", Location::kKernelcache, Space::kKernel, ComponentKind::kKernel},
    {"/kernelcache*", Location::kKernelcache, Space::kKernel, ComponentKind::kKernel},
    {"/System/Library/Kernels/kernel*", Location::kSystemVolume, Space::kKernel, ComponentKind::kKernel},
    // Kext bundles on disk (macOS 11+: the KC copy is what loads; the bundle still ships on the SSV)
    {"/System/Library/Extensions/**", Location::kSystemVolume, Space::kKernel, ComponentKind::kKext},
    {"/Library/Apple/System/Library/Extensions/**", Location::kDataVolume, Space::kKernel, ComponentKind::kKext},
    {"/Library/Extensions/**", Location::kDataVolume, Space::kKernel, ComponentKind::kKext},
    // DriverKit extensions run in user space
    {"/System/Library/DriverExtensions/**", Location::kSystemVolume, Space::kUser, ComponentKind::kFile},
    {"/Library/DriverExtensions/**", Location::kDataVolume, Space::kUser, ComponentKind::kFile},
    // Bootchain and firmware
    {"/System/Volumes/Preboot/**", Location::kPreboot, Space::kBoot, ComponentKind::kFirmware},
    {"/usr/standalone/**", Location::kSystemVolume, Space::kBoot, ComponentKind::kFirmware},
    {"**/*.im4p", Location::kUnknown, Space::kBoot, ComponentKind::kFirmware},
    // The Data volume (firmlinked paths included)
    {"/System/Volumes/Data/**", Location::kDataVolume, Space::kData, ComponentKind::kFile},
    {"/Users/**", Location::kDataVolume, Space::kData, ComponentKind::kFile},
    {"/private/var/**", Location::kDataVolume, Space::kData, ComponentKind::kFile},
    {"/Library/**", Location::kDataVolume, Space::kData, ComponentKind::kFile},
    {"/Applications/**", Location::kDataVolume, Space::kData, ComponentKind::kFile},
    // Everything else Apple ships lives on the sealed system volume
    {"/System/**", Location::kSystemVolume, Space::kData, ComponentKind::kFile},
    {"/usr/**", Location::kSystemVolume, Space::kData, ComponentKind::kFile},
    {"/bin/**", Location::kSystemVolume, Space::kData, ComponentKind::kFile},
    {"/sbin/**", Location::kSystemVolume, Space::kData, ComponentKind::kFile},
    {"/private/etc/**", Location::kSystemVolume, Space::kData, ComponentKind::kFile},
    {"/Library", Location::kDataVolume, Space::kData, ComponentKind::kFile},
};

std::string_view cryptex_root(std::string_view path, Location* location) {
  for (const auto& r : kCryptexRoots) {
    std::string_view p(r.prefix);
    if (path.substr(0, p.size()) == p && (path.size() == p.size() || path[p.size()] == '/')) {
      if (location) *location = r.location;
      return p;
    }
  }
  return {};
}

}  // namespace

std::string strip_cryptex_prefix(std::string_view path) {
  std::string_view root = cryptex_root(path, nullptr);
  std::string out(path.substr(root.size()));
  return out.empty() ? "/" : out;
}

Placement classify_path(std::string_view path) {
  Placement pl;
  Location cryptex = Location::kUnknown;
  if (!cryptex_root(path, &cryptex).empty()) {
    pl.location = cryptex;
    pl.space = Space::kData;  // refined to user by the analyser for code
    pl.kind = ComponentKind::kFile;
    pl.rule = cryptex == Location::kCryptexOs ? "inside the OS cryptex" : "inside the App cryptex";
    return pl;
  }
  for (const auto& row : kTable) {
    if (!glob(row.pattern, path)) continue;
    pl.location = row.location;
    pl.space = row.space;
    pl.kind = row.kind;
    pl.rule = row.pattern;
    return pl;
  }
  pl.rule = "no rule matched";
  return pl;
}

}  // namespace upscope
