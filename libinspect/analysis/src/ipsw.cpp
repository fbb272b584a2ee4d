// IPSW input: a zip whose root holds BuildManifest.plist. Every member named in a BuildIdentity's
// Manifest is placed by its key through the image-role table (build_images.cpp); members the
// manifest does not name are placed by their path, or left unplaced (location unknown). Members are
// read in place: stored ones as windows of the mapped archive, deflated ones inflated into memory
// (capped by their declared size and the inflate limit below) only when a worker reads them.
#include <plist/plist.h>

#include <cstdlib>
#include <map>
#include <memory>

#include <fmt/format.h>

#include "analysis/build_images.hpp"
#include "inspect/limits.hpp"
#include "plist/parse.hpp"
#include "zip/archive.hpp"

namespace upscope::build {

namespace {

// A deflated member is decoded whole (a dmg needs random access); larger ones stay not analysed.
constexpr uint64_t kMaxInflate = 1ull << 30;
constexpr uint32_t kMaxIdentities = 4096;
constexpr uint32_t kMaxManifestKeys = 4096;

// Manifest key per member path, over every BuildIdentity. When identities name one file by several
// keys (KernelCache and RestoreKernelCache may share one), the key of the earlier table row wins, so
// the installed role beats the restore one.
Result<std::map<std::string, std::string>> manifest_paths(Bytes bytes) {
  UPSCOPE_TRY(plist::Ptr root, plist::parse(bytes, "BuildManifest.plist"));
  plist_t raw = plist::get(root);
  if (!raw || plist_get_node_type(raw) != PLIST_DICT)
    return fail(ErrorCode::kMalformed, "BuildManifest.plist", "not a property list dictionary");
  plist_t ids = plist_dict_get_item(raw, "BuildIdentities");
  if (!ids || plist_get_node_type(ids) != PLIST_ARRAY)
    return fail(ErrorCode::kMalformed, "BuildManifest.plist", "BuildIdentities is missing or not an array");
  const auto& table = image_roles();
  auto rank = [&](const std::string& key) { return &role_for_manifest_key(key) - table.data(); };
  std::map<std::string, std::string> out;
  const uint32_t n = plist_array_get_size(ids);
  if (n > kMaxIdentities)
    return fail(ErrorCode::kLimit, "BuildManifest.plist", fmt::format("{} build identities exceed the limit of {}", n,
                                                                     kMaxIdentities));
  for (uint32_t i = 0; i < n; ++i) {
    plist_t ident = plist_array_get_item(ids, i);
    plist_t manifest = ident && plist_get_node_type(ident) == PLIST_DICT ? plist_dict_get_item(ident, "Manifest") : nullptr;
    if (!manifest || plist_get_node_type(manifest) != PLIST_DICT) continue;
    if (plist_dict_get_size(manifest) > kMaxManifestKeys)
      return fail(ErrorCode::kLimit, "BuildManifest.plist",
                  fmt::format("build identity {} has more than {} manifest entries", i, kMaxManifestKeys));
    plist_dict_iter it = nullptr;
    plist_dict_new_iter(manifest, &it);
    for (;;) {
      char* key = nullptr;
      plist_t entry = nullptr;
      plist_dict_next_item(manifest, it, &key, &entry);
      if (!key) break;
      std::string k(key);
      free(key);
      plist_t info = entry && plist_get_node_type(entry) == PLIST_DICT ? plist_dict_get_item(entry, "Info") : nullptr;
      plist_t path = info && plist_get_node_type(info) == PLIST_DICT ? plist_dict_get_item(info, "Path") : nullptr;
      if (!path || plist_get_node_type(path) != PLIST_STRING) continue;
      uint64_t len = 0;
      const char* s = plist_get_string_ptr(path, &len);
      if (!s || len == 0) continue;
      std::string p(s, static_cast<size_t>(len));
      auto [at, fresh] = out.emplace(p, k);
      if (!fresh && rank(k) < rank(at->second)) at->second = k;
    }
    free(it);
  }
  return out;
}

}  // namespace

std::optional<Result<BuildInventory>> read_ipsw(const std::string& path, const SourcePtr& src,
                                                const InventoryOptions& opt, Diagnostics& diags) {
  auto archive = zip::open(src);
  if (!archive) return std::nullopt;  // not a zip we can read: the generic path reports the file
  const zip::Member* bm = archive->find("BuildManifest.plist");
  if (!bm) return std::nullopt;  // an OTA/RSR package or another zip
  auto shared = std::make_shared<zip::Archive>(std::move(*archive));
  for (const auto& d : shared->diagnostics.items()) diags.add(d);

  BuildInventory inv;
  inv.source = path;
  // A manifest that cannot be read leaves the members placed by their paths alone, and says so.
  std::map<std::string, std::string> keys;
  auto manifest = [&]() -> Status {
    UPSCOPE_TRY(SourcePtr msrc, zip::open_member(*shared, *bm, 64u << 20));
    std::vector<uint8_t> scratch;
    UPSCOPE_TRY(ByteReader bytes, msrc->view(0, msrc->size(), scratch, "BuildManifest.plist"));
    UPSCOPE_CHECK(read_build_manifest_header(bytes.data(), inv));
    UPSCOPE_TRY(keys, manifest_paths(bytes.data()));
    return {};
  }();
  if (!manifest) inv.not_analysed.push_back({"BuildManifest.plist", manifest.error().message()});
  const auto* paths = &keys;

  std::vector<BuildImage> images;
  std::map<std::string, bool> seen;
  for (const auto& m : shared->members) {
    if (m.is_directory()) continue;
    BuildImage img;
    img.name = m.name;
    img.size = m.uncompressed_size;
    if (auto k = paths->find(m.name); k != paths->end()) {
      img.role = &role_for_manifest_key(k->second);
      seen[m.name] = true;
    } else {
      img.role = role_for_member(m.name);
    }
    if (img.role && img.role->read == ImageRead::kMetadata) continue;  // read above
    const zip::Member* member = &m;
    img.open = [shared, member]() -> Result<SourcePtr> {
      return zip::open_member(*shared, *member, clamp_to_memory_limit(kMaxInflate));
    };
    images.push_back(std::move(img));
  }
  for (const auto& [p, key] : *paths)
    if (!seen.count(p) && role_for_manifest_key(key).read != ImageRead::kMetadata)
      inv.not_analysed.push_back({p, fmt::format("named in BuildManifest.plist ({}) but not in the archive", key)});
  read_build_images(images, opt, inv, diags);
  return Result<BuildInventory>(std::move(inv));
}

}  // namespace upscope::build
