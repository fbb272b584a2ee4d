#include "manifest/semantic.hpp"

#include "manifest/build_manifest.hpp"
#include "manifest/bundle_info.hpp"
#include "manifest/ota_info.hpp"
#include "manifest/restore_plist.hpp"
#include "manifest/system_version.hpp"
#include "manifest/zip_metadata.hpp"

namespace upscope::manifest {

namespace {
template <class T>
Result<SemanticView> view(Kind k, Result<T> r) {
  if (!r) return fail(r.error());
  return SemanticView{k, to_json(*r), to_text(*r), std::move(r->diagnostics)};
}
}  // namespace

const char* to_string(Kind k) {
  switch (k) {
    case Kind::kBuildManifest: return "build-manifest";
    case Kind::kRestorePlist: return "restore-plist";
    case Kind::kOtaInfo: return "ota-info";
    case Kind::kZipMetadata: return "zip-metadata";
    case Kind::kSystemVersion: return "system-version";
    case Kind::kBundleInfo: return "bundle-info";
  }
  return "?";
}

std::optional<Kind> detect(const plist::Value& root) {
  if (!root.is(plist::Type::kDict)) return std::nullopt;
  // Most specific first: a build manifest also has ProductBuildVersion, a Restore.plist too.
  if (is_build_manifest(root)) return Kind::kBuildManifest;
  if (is_system_version(root)) return Kind::kSystemVersion;
  if (is_restore_plist(root)) return Kind::kRestorePlist;
  if (is_ota_info(root)) return Kind::kOtaInfo;
  if (is_zip_metadata(root)) return Kind::kZipMetadata;
  if (is_bundle_info(root)) return Kind::kBundleInfo;
  return std::nullopt;
}

std::optional<Result<SemanticView>> read_semantic(const plist::Value& root, std::string_view name) {
  auto k = detect(root);
  if (!k) return std::nullopt;
  switch (*k) {
    case Kind::kBuildManifest: return view(*k, read_build_manifest(root, name));
    case Kind::kRestorePlist: return view(*k, read_restore_plist(root, name));
    case Kind::kOtaInfo: return view(*k, read_ota_info(root, name));
    case Kind::kZipMetadata: return view(*k, read_zip_metadata(root, name));
    case Kind::kSystemVersion: return view(*k, read_system_version(root, name));
    case Kind::kBundleInfo: return view(*k, read_bundle_info(root, name));
  }
  return std::nullopt;
}

}  // namespace upscope::manifest
