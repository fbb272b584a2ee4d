// Builds given as a set of images rather than a system tree: an IPSW (a zip holding
// BuildManifest.plist, kernelcaches, firmware, the system volume and cryptex dmgs) or an image list
// (a text file naming one image per line with an optional role). Both end in the same reader: an
// image's role (kImageRoles in build_images.cpp) decides how it is found and read, and the placement
// table's image-role rows (placement.hpp) where it lives and its space, so the same images give the
// same inventory whichever way they arrive.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "analysis/inventory.hpp"
#include "inspect/source.hpp"

namespace upscope::build {

// How a role's image is read.
enum class ImageRead {
  kKernel,    // a kernelcache / kernel collection (IM4P, complzss or MH_FILESET): kernel + kexts
  kVolume,    // a disk image (UDIF / raw APFS): every file a component under the role's graft point
  kTrustCache,  // a trust cache (raw or Image4): one fact per cdhash (trust_cache_components.hpp)
  kHash,      // hashed and identified only (firmware, root hashes)
  kMetadata,  // BuildManifest.plist: product, version and build; not a component
};

struct ImageRole {
  const char* name;          // the role as written in an image list ("cryptex-os")
  const char* manifest_key;  // BuildManifest.plist Manifest key glob ("Cryptex1,SystemOS"), "" = none
  const char* member_glob;   // IPSW member path / list file name glob when the manifest does not say
  const char* id;            // component id of the image itself ("" = its member path)
  ImageRead read;
};

// The table, in match order; see build_images.cpp for the rows and why.
const std::vector<ImageRole>& image_roles();
// By list role name or exact manifest key; nullptr when unknown.
const ImageRole* find_image_role(std::string_view name_or_key);
// First row whose manifest_key glob matches `key` (always one: the last row catches the rest).
const ImageRole& role_for_manifest_key(std::string_view key);
// First row whose member_glob matches `path` (a member path or a file name), or nullptr.
const ImageRole* role_for_member(std::string_view path);

// One image of a build.
struct BuildImage {
  std::string name;      // member path in the IPSW, or the path as written in the list
  const ImageRole* role = nullptr;  // nullptr: unplaced (hashed, location unknown)
  // Opens the image when a worker reads it (a deflated IPSW member is inflated only then, so at most
  // a few are in memory at once).
  std::function<Result<SourcePtr>()> open;
  uint64_t size = 0;     // declared size, for the component when the image cannot be opened
};

// Reads every image into `inv` (components and not_analysed), in parallel; `inv` keeps its source
// and header fields. When several images are kernelcaches (one per device), their components' ids
// are qualified by the image's file name.
void read_build_images(const std::vector<BuildImage>& images, const InventoryOptions& opt, BuildInventory& inv,
                       Diagnostics& diags);

// Product, version, build, platform from a BuildManifest.plist's bytes.
Status read_build_manifest_header(Bytes plist, BuildInventory& inv);

// The whole-file inputs make_inventory recognises by content before treating a file as one image:
// an IPSW, or an image list. nullopt when `path` is neither.
std::optional<Result<BuildInventory>> read_build_file(const std::string& path, const InventoryOptions& opt,
                                                      Diagnostics& diags);

// IPSW: `src` is a zip; nullopt when it holds no BuildManifest.plist (an OTA, any other zip).
std::optional<Result<BuildInventory>> read_ipsw(const std::string& path, const SourcePtr& src,
                                                const InventoryOptions& opt, Diagnostics& diags);
// Image list: nullopt when `src` is not one (see image_list.cpp for the syntax).
std::optional<Result<BuildInventory>> read_image_list(const std::string& path, const SourcePtr& src,
                                                      const InventoryOptions& opt, Diagnostics& diags);

// The image-list syntax, for --help texts.
const char* image_list_help();

}  // namespace upscope::build
