#include "manifest/restore_plist.hpp"

#include <fmt/format.h>

#include "manifest/fields.hpp"
#include "manifest/text_list.hpp"

namespace upscope::manifest {

bool is_restore_plist(const plist::Value& root) {
  if (!root.string_at("ProductBuildVersion") || root.get("BuildIdentities") || root.get("ProductName")) return false;
  for (const char* k : {"DeviceMap", "SystemRestoreImageFileSystems", "RestoreRamDisks", "RestoreKernelCaches",
                        "SupportedProductTypes"})
    if (root.get(k)) return true;
  return false;
}

Result<RestorePlist> read_restore_plist(const plist::Value& root, std::string_view name) {
  UPSCOPE_CHECK(require_dict(root, name));
  RestorePlist r;
  Fields f(name, r.diagnostics);
  r.product_version = f.string(root, "ProductVersion", "");
  r.product_build_version = f.string(root, "ProductBuildVersion", "");
  r.product_type = f.string(root, "ProductType", "");
  r.device_class = f.string(root, "DeviceClass", "");
  r.supported_product_types = f.strings(root, "SupportedProductTypes", "");
  if (const plist::Value* map = f.typed(root, "DeviceMap", plist::Type::kArray, "")) {
    for (size_t i = 0; i < map->children.size(); ++i) {
      const plist::Value& d = map->children[i];
      const std::string path = fmt::format("DeviceMap[{}]", i);
      if (!d.is(plist::Type::kDict)) {
        f.warn(fmt::format("{} is {}, not a dict", path, a_type(d.type)));
        continue;
      }
      r.device_map.push_back({f.string(d, "BoardConfig", path), f.string(d, "Platform", path),
                              f.integer(d, "BDID", path), f.integer(d, "CPID", path)});
    }
  }
  r.system_restore_images = f.string_map(root, "SystemRestoreImageFileSystems", "");
  r.restore_ramdisks = f.string_map(root, "RestoreRamDisks", "");
  r.restore_kernel_caches = f.string_map(root, "RestoreKernelCaches", "");
  return r;
}

Result<RestorePlist> read_restore_plist(Bytes data, std::string_view name) {
  UPSCOPE_TRY(plist::Document doc, plist::read(data, name));
  return read_restore_plist(doc.root, name);
}

namespace {
nlohmann::ordered_json pairs_json(const RestorePlist::Pairs& p) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (const auto& [k, v] : p)
    if (!j.contains(k)) j[k] = v;  // a handful of entries: the linear look-up is fine
  return j;
}
std::string opt_hex(const std::optional<int64_t>& v) { return v ? fmt::format("0x{:x}", static_cast<uint64_t>(*v)) : "-"; }
}  // namespace

nlohmann::ordered_json to_json(const RestorePlist& r) {
  using Json = nlohmann::ordered_json;
  Json j;
  j["product_version"] = r.product_version;
  j["product_build_version"] = r.product_build_version;
  j["product_type"] = r.product_type;
  j["device_class"] = r.device_class;
  j["supported_product_types"] = r.supported_product_types;
  Json devices = Json::array();
  for (const auto& d : r.device_map)
    devices.push_back({{"board_config", d.board_config}, {"platform", d.platform},
                       {"bdid", d.bdid ? Json(*d.bdid) : Json(nullptr)}, {"cpid", d.cpid ? Json(*d.cpid) : Json(nullptr)}});
  j["device_map"] = std::move(devices);
  j["system_restore_images"] = pairs_json(r.system_restore_images);
  j["restore_ramdisks"] = pairs_json(r.restore_ramdisks);
  j["restore_kernel_caches"] = pairs_json(r.restore_kernel_caches);
  return j;
}

std::string to_text(const RestorePlist& r) {
  std::string out = fmt::format("  Restore.plist: ProductVersion {}, ProductBuildVersion {}", or_dash(r.product_version),
                                or_dash(r.product_build_version));
  if (!r.product_type.empty()) out += ", ProductType " + r.product_type;
  if (!r.device_class.empty()) out += ", DeviceClass " + r.device_class;
  out += "\n";
  if (!r.supported_product_types.empty())
    out += fmt::format("  SupportedProductTypes ({}): {}\n", r.supported_product_types.size(),
                       joined(r.supported_product_types, ", "));
  for (const auto& d : r.device_map)
    out += fmt::format("  device: BoardConfig {}, Platform {}, BDID {}, CPID {}\n", or_dash(d.board_config),
                       or_dash(d.platform), opt_hex(d.bdid), opt_hex(d.cpid));
  auto section = [&](const char* title, const RestorePlist::Pairs& p) {
    if (p.empty()) return;
    out += fmt::format("  {}:\n", title);
    out += aligned_pairs(p, "    ");
  };
  section("system restore images (image, file system)", r.system_restore_images);
  section("restore ramdisks", r.restore_ramdisks);
  section("restore kernelcaches", r.restore_kernel_caches);
  return out;
}

}  // namespace upscope::manifest
