// The neutral model every analyser fills and the generic diff works on (bloaty's idea): a build
// is a set of components keyed by a stable id; readers only supply facts and hashes.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace upscope {

enum class ComponentKind { kKernel, kKext, kDyldCacheImage, kMachO, kAppBundle, kFile, kCryptexImage, kFirmware };
enum class Space { kKernel, kUser, kBoot, kData };
enum class Location {
  kBootKc, kSystemKc, kAuxKc, kKernelcache, kSystemVolume, kCryptexOs, kCryptexApp, kPreboot, kDataVolume, kUnknown
};

const char* to_string(ComponentKind k);  // "kernel", "kext", "dyld-cache-image", ...
const char* to_string(Space s);          // "kernel", "user", "boot", "data"
const char* to_string(Location l);       // "boot-kc", "cryptex-os", ...
std::optional<ComponentKind> parse_component_kind(std::string_view);
std::optional<Space> parse_space(std::string_view);
std::optional<Location> parse_location(std::string_view);

struct Component {
  std::string id;        // install path (dylibs, files), bundle id (kexts), "kernel"
  ComponentKind kind = ComponentKind::kFile;
  Space space = Space::kData;
  Location location = Location::kUnknown;
  std::string path;      // where it was found (inside its container), for people
  std::string version;   // CFBundleVersion, dylib current version, kernel version string
  std::string uuid;      // LC_UUID, uppercase
  uint64_t size = 0;
  std::map<std::string, std::string> hashes;  // "sha256" -> hex (whole content)
  std::string code_hash;                      // hash of code only, noise (slid pointers, paths) removed
  std::vector<std::string> symbols;           // exported symbols (sorted), when the reader gives them
  std::map<std::string, std::string> functions;  // function name -> normalised code hash
  // Computes `functions` when asked, for readers that defer them (InventoryOptions::lazy_functions):
  // a diff needs per-function hashes only where the code hash differs, which is a handful of the
  // thousands of images of a build. Empty when `functions` is already filled (or there are none).
  std::function<std::map<std::string, std::string>()> functions_loader;
};

struct NotAnalysed {
  std::string path;
  std::string reason;
};

struct BuildInventory {
  std::string source;         // what was read: a directory, an IPSW, a list of images
  std::string product;        // "macOS", "iOS"
  std::string version;        // "13.3.1"
  std::string build;          // "22E261"
  std::string version_extra;  // "(a)" for an RSR
  std::string platform;       // "macos", "ios"
  std::string arch;           // "arm64e"
  std::vector<Component> components;  // sorted by id, unique ids
  std::vector<NotAnalysed> not_analysed;

  const Component* find(const std::string& id) const;
  // Sorts components by id and makes ids unique ("id#2") so diffs are deterministic.
  void normalise();
};

}  // namespace upscope
