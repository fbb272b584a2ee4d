// The neutral model every analyser fills and the generic diff works on (bloaty's idea): a build
// is a set of components keyed by a stable id; readers only supply facts and hashes.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "inspect/not_analysed.hpp"

namespace upscope {

enum class ComponentKind {
  kKernel, kKext, kDyldCacheImage, kMachO, kAppBundle, kFile, kCryptexImage, kFirmware, kTrustCache
};
enum class Space { kKernel, kUser, kBoot, kData };
enum class Location {
  kBootKc, kSystemKc, kAuxKc, kKernelcache, kSystemVolume, kCryptexOs, kCryptexApp, kPreboot, kDataVolume, kUnknown
};

const char* to_string(ComponentKind k);  // "kernel", "kext", "dyld-cache-image", ..., "trust-cache"
const char* to_string(Space s);          // "kernel", "user", "boot", "data"
const char* to_string(Location l);       // "boot-kc", "cryptex-os", ...
std::optional<ComponentKind> parse_component_kind(std::string_view);
std::optional<Space> parse_space(std::string_view);
std::optional<Location> parse_location(std::string_view);

// The drill-down of one function of a changed component (computed only for what changed).
struct FunctionDetail {
  std::string hash;                 // as in Component::functions
  std::string display;              // the name people see: the symbol, or "sub_<address>"
  uint64_t address = 0;
  uint32_t instructions = 0;
  std::vector<uint64_t> tokens;     // one per instruction, normalised (equal tokens: same instruction)
  std::vector<std::string> calls;   // what it calls (described), sorted
  std::vector<std::string> refs;    // what else it references (strings, data, functions), sorted
};

// A component's symbolic code hash and facts, when its reader defers them (Component::facts_loader).
struct ComponentFacts {
  std::string code_hash;
  std::map<std::string, std::string> facts;
};

// What a diff reads of a changed component beyond its hashes and facts.
struct ComponentDetail {
  std::map<std::string, FunctionDetail> functions;        // by the keys of Component::functions
  std::map<std::string, std::vector<uint8_t>> sections;   // data fact name -> the section's bytes as stored
};

// Another place the same component lives: a kext's bundle on the system volume besides its entry in
// a kernel collection. Its bytes count: a change there is a change of the component.
struct Place {
  Location location = Location::kUnknown;
  std::string path;
  std::string sha256;
};

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
  std::string code_hash;                      // symbolic hash of code only: moves are noise, call targets are not
  std::vector<std::string> symbols;           // exported symbols (sorted), when the reader gives them
  std::map<std::string, std::string> functions;  // function identity -> normalised code hash
  // What each change class compares (docs/diff.md §3): "<class>/<what>" -> value, class one of
  // code, data, signature, metadata. Bytes that differ while every fact is equal are `relink` noise.
  std::map<std::string, std::string> facts;
  std::vector<Place> also;  // other places it lives, sorted by path
  // Computes code_hash and facts when they were deferred (InventoryOptions::lazy_functions): a diff
  // needs them only for the components whose bytes differ, which is usually a handful of the
  // thousands of images of a build. Empty when they are already filled.
  std::function<ComponentFacts()> facts_loader;
  // Reads the drill-down (functions with their instructions and calls, section bytes) when a diff
  // asks, for a component that changed: computed for a handful of the thousands of images of a
  // build, in parallel, and only then.
  std::function<ComponentDetail()> detail_loader;
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
  // Components left out of `components` because the build it is diffed against holds the very same
  // stored content (a catalogue diff: same content digest, so nothing to compare). They count in the
  // build's total; they are never a change.
  uint64_t omitted_identical = 0;

  const Component* find(const std::string& id) const;
  // Sorts components by id and makes ids unique ("id#2") so diffs are deterministic.
  void normalise();
};

}  // namespace upscope
