// OTA and RSR update packages (docs/formats/ota.md §1-§4): a MobileAsset zip (zip64 included) or the
// same tree extracted into a directory. Reads the asset metadata (Info.plist, AssetData/Info.plist),
// inventories every file (payload archives and their entries, BXDIFF50 per-file patches, RIDIFF10
// cryptex image patches paired with their -rev partners, AEA-encrypted files, boot items), classifies
// the package as RSR / delta OTA / full OTA with the evidence, and lists every device path it would
// write, patch or remove. Placing those paths and the verdict are analysis's (analysis/update_changes.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "inspect/diagnostics.hpp"
#include "inspect/hash.hpp"
#include "inspect/not_analysed.hpp"
#include "inspect/result.hpp"
#include "inspect/source.hpp"
#include "inspect/thread_pool.hpp"

namespace upscope::ota {

enum class Kind { kRsr, kDeltaOta, kFullOta, kUnknown };
const char* to_string(Kind k);  // "rsr", "delta-ota", "full-ota", "unknown"

struct Metadata {
  bool asset_info = false;   // Info.plist at the package root (MobileAsset attributes)
  bool update_info = false;  // AssetData/Info.plist (update description)
  std::optional<bool> splat_only;
  std::optional<bool> encrypted;  // _IsEncrypted
  std::string asset_type, product_version, product_version_extra, build, prerequisite_build,
      prerequisite_os_version, os_version, restore_version, product_type, package_version, release_type;
  std::vector<std::string> supported_devices, supported_device_models;
};

enum class Role {
  kMetadata,    // Info.plists, META-INF, boms, fixup manifests
  kPayload,     // payload.NNN and other Apple Archives that write whole files
  kFilePatch,   // BXDIFF50 (or 4x) per-file patch under payload(v2)/patches/
  kImagePatch,  // RIDIFF10 cryptex image patch under payloadv2/image_patches/
  kReverseImagePatch,  // its -rev partner (kept so an RSR can be removed; writes nothing on install)
  kBasesystemPatch,    // BXDIFF50 patch of a recovery BaseSystem image
  kEncrypted,   // AEA: contents unreadable without the key
  kBoot,        // AssetData/boot/ items (kernelcache, firmware, personalization)
  kFileList,    // removed.txt, links.txt
  kOther,
};
const char* to_string(Role r);

struct Item {
  std::string path;          // inside the package, '/'-separated, no leading '/'
  uint64_t size = 0;         // uncompressed bytes
  uint64_t stored_size = 0;  // bytes in the zip (equals size for directories and stored members)
  std::string compression;   // "stored", "deflate", "method N"; "" for a directory input
  std::string sha256;        // empty when hashing was off or the item could not be read
  std::string format;        // by content: "pbzx", "apple-archive", "bxdiff50", "ridiff10", "aea", "plist", ...
  Role role = Role::kOther;
  std::string target;        // the device path it writes or patches (patches, images, boot items)
  std::string partner;       // image patches: the -rev partner's path (and back)
  std::optional<Error> error;
  // Patch facts read from the headers.
  std::optional<uint64_t> patched_size;  // BXDIFF50 output size; RIDIFF10 image size (metadata)
  std::string output_sha1, input_sha1;   // BXDIFF50
  std::optional<uint16_t> variants;      // RIDIFF10
};

struct PayloadEntry {
  std::string path;      // PAT, as stored (relative)
  char type = 0;         // TYP: 'F', 'D', 'L', 'M', ...
  uint64_t size = 0;     // DAT blob size (or SIZ)
  std::optional<char> op;  // YOP: 'E' extract, 'C' copy, 'P' patch, 'R' remove, 'M', 'O'
  std::string link;      // LNK
  std::string hash;      // content hash of DAT when requested (ReadOptions::entry_hash)
};

struct Payload {
  std::string item;          // the package path of the archive
  std::string container;     // "pbzx", "raw", ...
  std::optional<uint64_t> decoded_size;
  std::vector<PayloadEntry> entries;
  uint64_t files = 0, directories = 0, symlinks = 0, other = 0;
  bool truncated = false;    // more than max_payload_entries: the list stops, counts go on
  std::optional<Error> error;
};

enum class Action { kWrite, kPatch, kPatchImage, kRemove };
const char* to_string(Action a);  // "write", "patch", "patch-image", "remove"

struct TouchedPath {
  std::string path;    // absolute on the device
  Action action = Action::kWrite;
  uint64_t size = 0;   // bytes written: file size, patched size, image size (0 when unknown)
  std::string source;  // the package item that writes it
  std::string hash;    // content hash when known (payload files with entry_hash)
  std::string output_sha1;  // BXDIFF50: the patched file's declared SHA-1
};

struct Package {
  std::string source;       // as given
  bool directory = false;   // an extracted tree, not a zip
  bool zip64 = false;
  Metadata metadata;
  Kind kind = Kind::kUnknown;
  std::vector<std::string> reasons;  // the evidence behind `kind`
  std::vector<Item> items;           // sorted by path
  std::vector<Payload> payloads;
  std::vector<NotAnalysed> not_analysed;  // what could hide a change (encrypted, unreadable, unknown)
  Diagnostics diagnostics;
};

struct ReadOptions {
  ThreadPool* pool = nullptr;
  bool hash = true;                          // sha256 of every item
  bool list_payloads = true;                 // walk payload archives
  std::optional<HashKind> entry_hash;        // hash each payload file's data (ls --hash)
  uint64_t max_inflate = uint64_t{1} << 30;  // deflated zip members are inflated up to this size
  uint64_t max_plist = uint64_t{16} << 20;
  uint64_t max_file_list = uint64_t{64} << 20;          // removed.txt / links.txt
  uint64_t max_payload_decoded = uint64_t{64} << 30;    // decompression-bomb guard per payload
  size_t max_payload_entries = 2'000'000;               // entries kept per payload
  size_t max_items = 1'000'000;                         // files in a directory package
};

// Cheap check by content: a zip whose central directory, or a directory that, holds
// AssetData/Info.plist, or Info.plist beside an AssetData/ tree.
bool is_update_package(const std::string& path);

// Fails when the container cannot be read or holds no update metadata (kUnsupported: "no
// AssetData/Info.plist or Info.plist"); per-item problems are diagnostics and not_analysed rows.
Result<Package> read_package(const std::string& path, const ReadOptions& opt = {});
// The same for a zip already opened as a Source (in memory: fuzzing, nested archives).
Result<Package> read_package(SourcePtr zip_source, const ReadOptions& opt = {});

// Every device path the package writes, patches or removes, sorted by path (a path written by two
// items appears twice).
std::vector<TouchedPath> touched_paths(const Package& p);

nlohmann::ordered_json to_json(const Package& p);
nlohmann::ordered_json to_json(const Metadata& m);
std::string to_text(const Package& p);

}  // namespace upscope::ota
