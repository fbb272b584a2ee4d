// BuildManifest.plist (IPSW and OTA): the build's version and, per build identity (one per device
// class and restore behaviour), the manifest that names each image by key and gives its path in the
// archive. docs/formats/manifest.md §1.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "inspect/byte_reader.hpp"
#include "inspect/diagnostics.hpp"
#include "inspect/result.hpp"
#include "plist/tree.hpp"

namespace upscope::manifest {

struct ManifestEntry {
  std::string key;     // "KernelCache", "OS", "Cryptex1,SystemOS"
  std::string path;    // Info.Path, relative to the archive root; "" when the entry has none
  bool cryptex = false;  // a "Cryptex1,..." key
  bool aea = false;      // the path ends in ".aea": the file is an Apple Encrypted Archive
};

// One cryptex a build identity installs: Cryptex1,<name>OS with its <name>TrustCache and <name>Volume.
struct Cryptex {
  std::string name;         // "System", "App"
  std::string image;        // Cryptex1,<name>OS path
  std::string trust_cache;  // Cryptex1,<name>TrustCache path
  std::string volume;       // Cryptex1,<name>Volume path (the root hash)
  bool encrypted = false;   // the image path ends in ".aea"
};

struct BuildIdentity {
  std::string device_class;      // Info.DeviceClass: "vma2macosap", "j414cap"
  std::string variant;           // Info.Variant: "macOS Customer Software Update"
  std::string restore_behavior;  // Info.RestoreBehavior: "Erase", "Update"
  std::string build_number;      // Info.BuildNumber
  std::string ap_board_id, ap_chip_id;  // ApBoardID, ApChipID ("0x28", "0x6020")
  std::string ap_product_type;   // Ap,ProductType when present
  std::vector<ManifestEntry> entries;  // Manifest, in document order
  std::vector<Cryptex> cryptexes;      // in the order their OS keys appear

  const ManifestEntry* find(std::string_view key) const;
};

struct BuildManifest {
  std::string product_version;        // "26.2"
  std::string product_build_version;  // "25C56"
  std::optional<int64_t> manifest_version;
  std::vector<std::string> supported_product_types;
  std::vector<BuildIdentity> identities;
  Diagnostics diagnostics;  // fields of an unexpected type, skipped
};

// A dictionary with a BuildIdentities array and a ProductBuildVersion or ProductVersion string.
bool is_build_manifest(const plist::Value& root);

// Fails when the root is not a dictionary or has no BuildIdentities array; anything else odd is a
// diagnostic and the rest is read.
Result<BuildManifest> read_build_manifest(const plist::Value& root, std::string_view name = "BuildManifest.plist");
Result<BuildManifest> read_build_manifest(Bytes data, std::string_view name = "BuildManifest.plist");

nlohmann::ordered_json to_json(const BuildManifest& m);
std::string to_text(const BuildManifest& m);

}  // namespace upscope::manifest
