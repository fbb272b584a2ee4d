// Builds given as images (an IPSW, an image list): the role table and the reader they share.
#include "analysis/build_images.hpp"

#include <malloc.h>
#include <plist/plist.h>

#include <algorithm>
#include <filesystem>
#include <memory>

#include <fmt/format.h>

#include "aea_images.hpp"
#include "analysis/placement.hpp"
#include "inventory_internal.hpp"
#include "kc_components.hpp"
#include "trust_cache_components.hpp"
#include "identify/identify.hpp"
#include "inspect/hash.hpp"
#include "inspect/text.hpp"
#include "inspect/thread_pool.hpp"
#include "plist/parse.hpp"
#include "trustcache/trustcache.hpp"

namespace upscope::build {

namespace {

using R = ImageRead;

// The image roles of a build: how each image is found and read. First match wins. A row matches an
// IPSW member by the BuildManifest.plist Manifest key that names it, else by the member's path; an
// image-list line by its role name (or the manifest key written as the role), else by its file name.
// Patterns are the placement table's syntax (placement_match: '|' alternatives, '*' within a path
// component, '**' across). Where each role lives and its space are the placement table's image-role
// rows (placement.cpp), which say why. A trust cache is read (one fact per cdhash) so a diff names
// its entries and the verdict can check that a changed cryptex came with a changed trust cache.
// Every manifest key no other row names (iBoot, LLB, SEP, DeviceTree, ANE, GFX..., the recovery
// BaseSystem) falls to the last row, firmware; members no row names are hashed, location unknown.
const std::vector<ImageRole> kImageRoles = {
    {"manifest", "", "BuildManifest.plist", "", R::kMetadata},
    {"restore-plist", "", "Restore.plist", "", R::kMetadata},
    {"kernelcache", "KernelCache", "kernelcache*", "", R::kKernel},
    {"boot-kc", "", "BootKernelExtensions.kc*", "", R::kKernel},
    {"system-kc", "", "SystemKernelExtensions.kc*", "", R::kKernel},
    {"aux-kc", "", "AuxiliaryKernelExtensions.kc*", "", R::kKernel},
    {"system-volume", "OS", "", "OS", R::kVolume},
    {"cryptex-os", "Cryptex1,SystemOS", "", "Cryptex1,SystemOS", R::kVolume},
    {"cryptex-app", "Cryptex1,AppOS", "", "Cryptex1,AppOS", R::kVolume},
    {"system-trust-cache", "StaticTrustCache", "", "", R::kTrustCache},
    {"cryptex-os-trust-cache", "Cryptex1,SystemTrustCache", "", "", R::kTrustCache},
    {"cryptex-app-trust-cache", "Cryptex1,AppTrustCache", "", "", R::kTrustCache},
    {"system-seal", "SystemVolume|Ap,SystemVolume*", "", "", R::kHash},
    {"cryptex-os-seal", "Cryptex1,SystemVolume", "", "", R::kHash},
    {"cryptex-app-seal", "Cryptex1,AppVolume", "", "", R::kHash},
    {"cryptex-other", "Cryptex1,*", "", "", R::kHash},
    {"restore", "Restore*|*,Restore*", "", "", R::kHash},
    {"firmware", "*", "Firmware/**|**.im4p|**.img4", "", R::kHash},
};

// An empty pattern in a role row means "not matched this way".
bool match_any(std::string_view patterns, std::string_view s) { return !patterns.empty() && placement_match(patterns, s); }

std::string base_name(const std::string& p) {
  size_t slash = p.find_last_of('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

bool is_disk_image(const std::string& format) {
  for (const auto& f : known_formats())
    if (format == f.id)
      return std::string_view(f.family) == "disk-image" || std::string_view(f.family) == "filesystem" ||
             std::string_view(f.family) == "partition-map";
  return false;
}

// One image: the image itself is a component (unless its reader replaces it with what it holds, as a
// kernelcache's kernel and kexts do), and what it holds is read by its role's reader.
FileResult read_image(const BuildImage& img, const InventoryOptions& opt, Progress* bar) {
  FileResult r;
  const ImageRole* role = img.role;
  // The bar counts an image's bytes once for its content hash and a volume's once more for its files.
  ProgressShare hashed(bar, img.size), files(bar, role && role->read == ImageRead::kVolume ? img.size : 0);
  Placement pl;
  if (const PlacementRow* row = role ? find_placement(Subject::kImageRole, role->name) : nullptr) {
    pl.location = row->location;
    pl.space = row->space;
    pl.kind = row->kind;
    pl.reason = row->reason;
  }
  pl.rule = role ? std::string("image role ") + role->name : "no image role";
  Component c;
  c.id = role && *role->id ? role->id : img.name;
  c.path = img.name;
  c.kind = pl.kind == ComponentKind::kKernel ? ComponentKind::kFile : pl.kind;  // the KC's entries are the kernel
  c.space = pl.space;
  c.location = pl.location;
  c.size = img.size;
  auto opened = img.open ? img.open() : Result<SourcePtr>(fail(ErrorCode::kIo, img.name, "cannot be opened"));
  if (!opened) {
    r.not_analysed.push_back({img.name, opened.error().message()});
    r.components.push_back(std::move(c));
    return r;
  }
  SourcePtr src = *opened;
  c.size = src->size();
  add_content_hash(c, *src);
  src->release(0, src->size());  // what the kernel mapped around the hash's reads (it releases as it goes)
  hashed.set_fraction(1, 1);
  auto id = identify(*src);
  if (id && id->format == "aea") {
    // The component keeps the hash of the file as shipped; its role's reader reads the plaintext.
    auto plain = open_aea_image(img.name, src, opt);
    if (!plain) {
      r.not_analysed.push_back({img.name, plain.error().message()});
      r.components.push_back(std::move(c));
      return r;
    }
    src = *plain;
    id = identify(*src);
  }
  if (!id) {
    r.not_analysed.push_back({img.name, id.error().message()});
    r.components.push_back(std::move(c));
    return r;
  }
  if (id->format == "udif-encrypted") {
    r.not_analysed.push_back({img.name, id->description + ": not decrypted"});
    r.components.push_back(std::move(c));
    return r;
  }
  if (!role) {
    if (is_disk_image(id->format))
      r.not_analysed.push_back({img.name, fmt::format("{} without a role: give it one of system-volume, cryptex-os, "
                                                      "cryptex-app (or name it in BuildManifest.plist)",
                                                      id->description)});
    r.components.push_back(std::move(c));
    return r;
  }
  switch (role->read) {
    case ImageRead::kMetadata:
    case ImageRead::kHash: break;
    case ImageRead::kTrustCache:
      if (!trustcache::identified_as_trust_cache(*id)) {
        r.not_analysed.push_back(
            {img.name, fmt::format("{} image is not a trust cache ({})", role->name, id->description)});
        break;
      }
      return read_trust_cache(img.name, *src, std::move(c));
    case ImageRead::kKernel: {
      if (id->format != "im4p" && id->format != "lzss" && id->format != "macho-fileset") {
        r.not_analysed.push_back({img.name, fmt::format("{} image is not a kernel collection or kernelcache ({})",
                                                        role->name, id->description)});
        break;
      }
      c.kind = ComponentKind::kKernel;
      return read_kernel_collection(img.name, src, pl, opt, std::move(c));
    }
    case ImageRead::kVolume:
      if (c.size > opt.max_file_size) {
        r.not_analysed.push_back({img.name, fmt::format("{} is larger than the {} parse limit: hashed only",
                                                        human_size(c.size), human_size(opt.max_file_size))});
        break;
      }
      expand_cryptex_image(img.name, src, pl, opt, 0, r, &files);
      break;
  }
  r.components.push_back(std::move(c));
  return r;
}

using plist::string_item;

}  // namespace

const std::vector<ImageRole>& image_roles() { return kImageRoles; }

const ImageRole* find_image_role(std::string_view name_or_key) {
  for (const auto& r : kImageRoles)
    if (name_or_key == r.name || (*r.manifest_key && name_or_key == r.manifest_key)) return &r;
  return nullptr;
}

const ImageRole& role_for_manifest_key(std::string_view key) {
  for (const auto& r : kImageRoles)
    if (match_any(r.manifest_key, key)) return r;
  return kImageRoles.back();
}

const ImageRole* role_for_member(std::string_view path) {
  for (const auto& r : kImageRoles)
    if (match_any(r.member_glob, path)) return &r;
  return nullptr;
}

Status read_build_manifest_header(Bytes bytes, BuildInventory& inv) {
  if (bytes.size() > (64u << 20))
    return fail(ErrorCode::kLimit, "BuildManifest.plist", fmt::format("{} bytes exceed the 64 MiB limit", bytes.size()));
  UPSCOPE_TRY(plist::Ptr root, plist::parse(bytes, "BuildManifest.plist"));
  plist_t raw = plist::get(root);
  if (!raw || plist_get_node_type(raw) != PLIST_DICT)
    return fail(ErrorCode::kMalformed, "BuildManifest.plist", "not a property list dictionary");
  inv.version = string_item(raw, "ProductVersion");
  inv.build = string_item(raw, "ProductBuildVersion");
  plist_t types = plist_dict_get_item(raw, "SupportedProductTypes");
  std::string first;
  if (types && plist_get_node_type(types) == PLIST_ARRAY && plist_array_get_size(types) > 0) {
    plist_t t = plist_array_get_item(types, 0);
    if (plist_get_node_type(t) == PLIST_STRING) {
      uint64_t len = 0;
      const char* s = plist_get_string_ptr(t, &len);
      if (s) first.assign(s, static_cast<size_t>(len));
    }
  }
  // The product family from the device type: Mac IPSWs are Apple silicon only.
  const struct { const char* prefix; const char* product; const char* platform; const char* arch; } kFamilies[] = {
      {"VirtualMac", "macOS", "macos", "arm64e"}, {"Mac", "macOS", "macos", "arm64e"},
      {"iPhone", "iOS", "ios", ""},              {"iPad", "iPadOS", "ios", ""},
      {"iPod", "iOS", "ios", ""},                {"AppleTV", "tvOS", "tvos", ""},
      {"Watch", "watchOS", "watchos", ""},       {"RealityDevice", "visionOS", "visionos", ""},
  };
  for (const auto& f : kFamilies)
    if (first.rfind(f.prefix, 0) == 0) {
      inv.product = f.product;
      inv.platform = f.platform;
      inv.arch = f.arch;
      break;
    }
  return {};
}

void read_build_images(const std::vector<BuildImage>& images, const InventoryOptions& opt, BuildInventory& inv,
                       Diagnostics& diags) {
  (void)diags;
  size_t kernelcaches = 0;
  for (const auto& img : images)
    if (img.role && img.role->read == ImageRead::kKernel) ++kernelcaches;
  uint64_t total = 0;
  for (const auto& img : images) total += img.role && img.role->read == ImageRead::kVolume ? 2 * img.size : img.size;
  Progress bar("inventory " + base_name(inv.source), total);
  // Kernelcaches are read first: each decodes whole into memory (~300 MB for a macOS Boot KC) while
  // it is read, and at the start of a build that comes on top of the least (the previous build's
  // inventory, not this one's too: docs/reading.md). Results are kept in the images' order.
  std::vector<size_t> order(images.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_partition(order.begin(), order.end(), [&](size_t i) {
    return images[i].role && images[i].role->read == ImageRead::kKernel;
  });
  std::vector<FileResult> results(images.size());
  ThreadPool pool(opt.jobs);
  ordered_parallel_map(
      pool, images.size(), pool.size() * 2, [&](size_t t) { return read_image(images[order[t]], opt, &bar); },
      [&](size_t t, FileResult r) {
        results[order[t]] = std::move(r);
        return true;
      });
  size_t count = inv.components.size();
  for (const auto& r : results) count += r.components.size();
  inv.components.reserve(count);
  for (size_t i = 0; i < images.size(); ++i) {
    const BuildImage& img = images[i];
    // One kernelcache per device: the same kexts in each, told apart by the image's name.
    const bool qualify = kernelcaches > 1 && img.role && img.role->read == ImageRead::kKernel;
    for (auto& c : results[i].components) {
      if (qualify && c.path != img.name) c.id += "@" + base_name(img.name);
      inv.components.push_back(std::move(c));
    }
    for (auto& n : results[i].not_analysed) inv.not_analysed.push_back(std::move(n));
    results[i] = FileResult();
  }
  inv.normalise();
  inv.components.shrink_to_fit();  // held through the next build's reading and the diff
  // Give the decode buffers freed by the image readers back to the system before the next build is
  // read (glibc keeps them in its per-thread arenas): 1.28 -> 0.95 GB resident after the first
  // IPSW of the benchmark pair (bench/README.md).
  ::malloc_trim(0);
}

std::optional<Result<BuildInventory>> read_build_file(const std::string& path, const InventoryOptions& opt,
                                                      Diagnostics& diags) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return std::nullopt;
  auto src = FileSource::open(path);
  if (!src) return std::nullopt;  // the generic path reports it
  auto id = identify(**src);
  if (!id) return std::nullopt;
  if (id->format == "zip") return read_ipsw(path, *src, opt, diags);
  if (id->format == "unknown") return read_image_list(path, *src, opt, diags);
  return std::nullopt;
}

}  // namespace upscope::build
