// Package path rules (docs/formats/ota.md §3, docs/placement.md §3), first match wins:
//   Info.plist, AssetData/Info.plist, META-INF/**, *.bom, AssetData/*.plist      metadata
//   AssetData/boot/**                         boot: kernelcache* -> the kernelcache; *.im4p and
//                                             Firmware/** -> Preboot firmware; plists and trust
//                                             caches -> personalization (nothing written);
//                                             anything else -> undetermined
//   AssetData/payload{,v2}/patches/<p>        BXDIFF50 patch of /<p>
//   AssetData/payload{,v2}/basesystem_patches/<p>   BXDIFF50 patch of a recovery BaseSystem image
//   AssetData/payload{,v2}/image_patches/<n>  RIDIFF10 cryptex image patch (<n>-rev: its reverse):
//                                             cryptex-app -> app.dmg (App cryptex),
//                                             cryptex-system-<arch> -> os.dmg (OS cryptex)
//   AssetData/payload{,v2}/payload.NNN        payload archive (pbzx-wrapped Apple Archive)
//   AssetData/payload{,v2}/{removed,links}.txt   file lists
//   AssetData/payload{,v2}/ecc_data/**, fixup.manifest   metadata
//   anything else                             unknown purpose (an Apple Archive there by content
//                                             becomes a payload)
#include "ota/paths.hpp"

#include <fmt/format.h>

namespace upscope::ota {

namespace {

bool starts(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool ends(std::string_view s, std::string_view p) { return s.size() >= p.size() && s.substr(s.size() - p.size()) == p; }

std::string_view basename(std::string_view p) {
  size_t slash = p.rfind('/');
  return slash == std::string_view::npos ? p : p.substr(slash + 1);
}

bool is_payload_name(std::string_view base) {
  if (!starts(base, "payload.") || base.size() == 8) return false;
  for (char c : base.substr(8))
    if (c < '0' || c > '9') return false;
  return true;
}

const char* const kSystemCryptexArchs[] = {"arm64", "arm64e", "arm64_32", "x86_64", "x86_64h"};

// cryptex-app -> app.dmg; cryptex-system-<arch> -> os.dmg; other cryptexes keep their name.
std::string image_target(std::string_view name) {
  if (name == "cryptex-app") return std::string(kCryptexImageDir) + "app.dmg";
  for (const char* a : kSystemCryptexArchs)
    if (name == fmt::format("cryptex-system-{}", a)) return std::string(kCryptexImageDir) + "os.dmg";
  return std::string(kCryptexImageDir) + std::string(name) + ".dmg";
}

PathInfo boot_item(std::string_view rel) {
  PathInfo pi;
  pi.role = Role::kBoot;
  std::string_view base = basename(rel);
  if (starts(base, "kernelcache")) {
    pi.target = "/System/Library/Caches/com.apple.kernelcaches/" + std::string(base);
  } else if (ends(base, ".plist") || base.find("trustcache") != std::string_view::npos) {
    // BuildManifest / Restore / SystemVersion plists and trust caches personalise what is installed.
  } else if (ends(base, ".im4p") || starts(rel, "Firmware/")) {
    pi.target = "/System/Volumes/Preboot/<volume-group>/boot/" + std::string(rel);
  } else {
    pi.boot_unknown = true;
  }
  return pi;
}

}  // namespace

PathInfo classify_package_path(std::string_view path) {
  PathInfo pi;
  if (path == "Info.plist" || path == "AssetData/Info.plist" || starts(path, "META-INF/") || ends(path, ".bom") ||
      (starts(path, "AssetData/") && ends(path, ".plist") && path.find('/', 10) == std::string_view::npos)) {
    pi.role = Role::kMetadata;
    return pi;
  }
  if (starts(path, "AssetData/boot/")) return boot_item(path.substr(15));
  for (std::string_view dir : {"AssetData/payloadv2/", "AssetData/payload/"}) {
    if (!starts(path, dir)) continue;
    std::string_view rest = path.substr(dir.size());
    if (starts(rest, "patches/")) {
      pi.role = Role::kFilePatch;
      pi.target = "/" + std::string(rest.substr(8));
    } else if (starts(rest, "basesystem_patches/")) {
      pi.role = Role::kBasesystemPatch;
      pi.target = "/System/Volumes/Recovery/" + std::string(rest.substr(19));
    } else if (starts(rest, "image_patches/")) {
      std::string_view name = rest.substr(14);
      if (ends(name, "-rev")) {
        pi.role = Role::kReverseImagePatch;
      } else {
        pi.role = Role::kImagePatch;
        pi.target = image_target(name);
      }
    } else if (is_payload_name(basename(rest)) && rest.find('/') == std::string_view::npos) {
      pi.role = Role::kPayload;
    } else if (rest == "removed.txt" || rest == "links.txt") {
      pi.role = Role::kFileList;
    } else if (starts(rest, "ecc_data/") || rest == "fixup.manifest") {
      pi.role = Role::kMetadata;
    } else {
      pi.unknown = true;
    }
    return pi;
  }
  pi.unknown = true;
  return pi;
}

}  // namespace upscope::ota
