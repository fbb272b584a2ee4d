#include "manifest/ota_info.hpp"

#include <fmt/format.h>

#include "manifest/fields.hpp"
#include "manifest/text_list.hpp"

namespace upscope::manifest {

bool is_ota_info(const plist::Value& root) {
  return root.string_at("Build") && root.string_at("ProductVersion") && !root.get("CFBundleIdentifier") &&
         (root.get("HardwareModel") || root.get("CryptexSizeInfo") || root.get("TargetUpdate"));
}

Result<OtaInfo> read_ota_info(const plist::Value& root, std::string_view name) {
  UPSCOPE_CHECK(require_dict(root, name));
  OtaInfo o;
  Fields f(name, o.diagnostics);
  o.build = f.string(root, "Build", "");
  o.product_version = f.string(root, "ProductVersion", "");
  o.product_type = f.string(root, "ProductType", "");
  o.hardware_model = f.string(root, "HardwareModel", "");
  o.device_class = f.string(root, "DeviceClass", "");
  o.target_update = f.string(root, "TargetUpdate", "");
  o.package_version = f.string(root, "PackageVersion", "");
  o.train_name = f.string(root, "TrainName", "");
  o.contains_sfr_content = f.boolean(root, "ContainsSFRContent", "");
  o.required_space = f.integer(root, "RequiredSpace", "");
  if (const plist::Value* sizes = f.typed(root, "CryptexSizeInfo", plist::Type::kArray, "")) {
    for (size_t i = 0; i < sizes->children.size(); ++i) {
      const plist::Value& s = sizes->children[i];
      const std::string path = fmt::format("CryptexSizeInfo[{}]", i);
      if (!s.is(plist::Type::kDict)) {
        f.warn(fmt::format("{} is {}, not a dict", path, a_type(s.type)));
        continue;
      }
      o.cryptex_sizes.push_back({f.string(s, "CryptexTag", path), f.integer(s, "CryptexSize", path)});
    }
  }
  return o;
}

Result<OtaInfo> read_ota_info(Bytes data, std::string_view name) {
  UPSCOPE_TRY(plist::Document doc, plist::read(data, name));
  return read_ota_info(doc.root, name);
}

nlohmann::ordered_json to_json(const OtaInfo& o) {
  using Json = nlohmann::ordered_json;
  Json j;
  j["build"] = o.build;
  j["product_version"] = o.product_version;
  j["product_type"] = o.product_type;
  j["hardware_model"] = o.hardware_model;
  j["device_class"] = o.device_class;
  j["target_update"] = o.target_update;
  j["package_version"] = o.package_version;
  j["train_name"] = o.train_name;
  j["contains_sfr_content"] = o.contains_sfr_content ? Json(*o.contains_sfr_content) : Json(nullptr);
  j["required_space"] = o.required_space ? Json(*o.required_space) : Json(nullptr);
  Json sizes = Json::array();
  for (const auto& s : o.cryptex_sizes)
    sizes.push_back({{"tag", s.tag}, {"size_mb", s.size_mb ? Json(*s.size_mb) : Json(nullptr)}});
  j["cryptex_sizes"] = std::move(sizes);
  return j;
}

std::string to_text(const OtaInfo& o) {
  std::string out = fmt::format("  OTA Info.plist: Build {}, ProductVersion {}, ProductType {}, HardwareModel {}, "
                                "DeviceClass {}\n",
                                or_dash(o.build), or_dash(o.product_version), or_dash(o.product_type),
                                or_dash(o.hardware_model), or_dash(o.device_class));
  std::vector<std::string> more;
  if (!o.target_update.empty()) more.push_back("TargetUpdate " + o.target_update);
  if (!o.package_version.empty()) more.push_back("PackageVersion " + o.package_version);
  if (!o.train_name.empty()) more.push_back("TrainName " + o.train_name);
  if (o.contains_sfr_content) more.push_back(fmt::format("ContainsSFRContent {}", *o.contains_sfr_content));
  if (o.required_space) more.push_back(fmt::format("RequiredSpace {}", *o.required_space));
  if (!more.empty()) out += "  " + joined(more, ", ") + "\n";
  if (!o.cryptex_sizes.empty()) {
    out += "  CryptexSizeInfo (MB):\n";
    std::vector<std::pair<std::string, std::string>> rows;
    for (const auto& s : o.cryptex_sizes) rows.emplace_back(or_dash(s.tag), s.size_mb ? std::to_string(*s.size_mb) : "-");
    out += aligned_pairs(rows, "    ");
  }
  return out;
}

}  // namespace upscope::manifest
