// Asset metadata through libplist: the MobileAsset attributes of Info.plist (at the root or under
// MobileAssetProperties) first, then AssetData/Info.plist for what they leave unset.
#include "ota/metadata.hpp"

#include <plist/plist.h>

#include <memory>

#include <fmt/format.h>

#include "plist/parse.hpp"

namespace upscope::ota {

namespace {

std::string string_value(plist_t n) {
  if (!n) return {};
  switch (plist_get_node_type(n)) {
    case PLIST_STRING: {
      uint64_t len = 0;
      const char* s = plist_get_string_ptr(n, &len);
      return s ? std::string(s, static_cast<size_t>(len)) : std::string();
    }
    case PLIST_UINT: {
      uint64_t v = 0;
      plist_get_uint_val(n, &v);
      return std::to_string(v);
    }
    case PLIST_REAL: {
      double d = 0;
      plist_get_real_val(n, &d);
      return fmt::format("{}", d);
    }
    default: return {};
  }
}

std::optional<bool> bool_value(plist_t n) {
  if (!n) return std::nullopt;
  if (plist_get_node_type(n) == PLIST_BOOLEAN) {
    uint8_t b = 0;
    plist_get_bool_val(n, &b);
    return b != 0;
  }
  std::string s = string_value(n);
  if (s == "true" || s == "YES" || s == "1") return true;
  if (s == "false" || s == "NO" || s == "0") return false;
  return std::nullopt;
}

std::vector<std::string> strings_value(plist_t n) {
  std::vector<std::string> out;
  if (!n) return out;
  if (plist_get_node_type(n) != PLIST_ARRAY) {
    if (auto s = string_value(n); !s.empty()) out.push_back(s);
    return out;
  }
  for (uint32_t i = 0, c = plist_array_get_size(n); i < c && i < 100000; ++i)
    if (auto s = string_value(plist_array_get_item(n, i)); !s.empty()) out.push_back(s);
  return out;
}

// Fills the fields still unset from one dictionary.
void merge(plist_t dict, Metadata& m) {
  auto str = [&](const char* key, std::string& field) {
    if (field.empty()) field = string_value(plist_dict_get_item(dict, key));
  };
  auto strs = [&](const char* key, std::vector<std::string>& field) {
    if (field.empty()) field = strings_value(plist_dict_get_item(dict, key));
  };
  if (!m.splat_only) m.splat_only = bool_value(plist_dict_get_item(dict, "SplatOnly"));
  if (!m.encrypted) m.encrypted = bool_value(plist_dict_get_item(dict, "_IsEncrypted"));
  str("AssetType", m.asset_type);
  str("ProductVersion", m.product_version);
  str("ProductVersionExtra", m.product_version_extra);
  str("Build", m.build);
  str("PrerequisiteBuild", m.prerequisite_build);
  str("PrerequisiteOSVersion", m.prerequisite_os_version);
  str("OSVersion", m.os_version);
  str("RestoreVersion", m.restore_version);
  str("ProductType", m.product_type);
  str("PackageVersion", m.package_version);
  str("ReleaseType", m.release_type);
  strs("SupportedDevices", m.supported_devices);
  strs("SupportedDeviceModels", m.supported_device_models);
  if (m.restore_version.empty()) {
    plist_t info = plist_dict_get_item(dict, "RestoreVersionInfo");
    if (info && plist_get_node_type(info) == PLIST_DICT)
      m.restore_version = string_value(plist_dict_get_item(info, "RestoreVersion"));
  }
}

}  // namespace

Status merge_plist(Bytes data, const std::string& name, bool asset, Metadata& m) {
  auto parsed = plist::parse(data, "property list");
  if (!parsed) return fail(parsed.error().in_file(name));
  plist::Ptr root = std::move(*parsed);
  plist_t raw = plist::get(root);
  if (!raw) return fail(make_error(ErrorCode::kMalformed, "property list", "not a valid XML or binary plist").in_file(name));
  if (plist_get_node_type(raw) != PLIST_DICT)
    return fail(make_error(ErrorCode::kMalformed, "property list", "the root is not a dictionary").in_file(name));
  if (asset) {
    plist_t props = plist_dict_get_item(raw, "MobileAssetProperties");
    if (props && plist_get_node_type(props) == PLIST_DICT) merge(props, m);
  }
  merge(raw, m);
  // OSVersion may carry a "9.9." prefix in front of the real version (docs/formats/ota.md §2).
  if (m.os_version.rfind("9.9.", 0) == 0) m.os_version.erase(0, 4);
  return {};
}

}  // namespace upscope::ota
