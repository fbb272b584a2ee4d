#include "manifest/system_version.hpp"

#include <fmt/format.h>

#include "manifest/fields.hpp"
#include "manifest/text_list.hpp"

namespace upscope::manifest {

bool is_system_version(const plist::Value& root) {
  return root.string_at("ProductName") && root.string_at("ProductBuildVersion") && !root.get("BuildIdentities");
}

Result<SystemVersion> read_system_version(const plist::Value& root, std::string_view name) {
  UPSCOPE_CHECK(require_dict(root, name));
  SystemVersion s;
  Fields f(name, s.diagnostics);
  s.product_name = f.string(root, "ProductName", "");
  s.product_version = f.string(root, "ProductVersion", "");
  s.product_build_version = f.string(root, "ProductBuildVersion", "");
  s.product_version_extra = f.string(root, "ProductVersionExtra", "");
  s.product_user_visible_version = f.string(root, "ProductUserVisibleVersion", "");
  s.build_id = f.string(root, "BuildID", "");
  s.ios_support_version = f.string(root, "iOSSupportVersion", "");
  return s;
}

Result<SystemVersion> read_system_version(Bytes data, std::string_view name) {
  UPSCOPE_TRY(plist::Document doc, plist::read(data, name));
  return read_system_version(doc.root, name);
}

nlohmann::ordered_json to_json(const SystemVersion& s) {
  nlohmann::ordered_json j;
  j["product_name"] = s.product_name;
  j["product_version"] = s.product_version;
  j["product_build_version"] = s.product_build_version;
  j["product_version_extra"] = s.product_version_extra;
  j["product_user_visible_version"] = s.product_user_visible_version;
  j["build_id"] = s.build_id;
  j["ios_support_version"] = s.ios_support_version;
  return j;
}

std::string to_text(const SystemVersion& s) {
  std::string out = fmt::format("  SystemVersion: {} {}{} ({})\n", or_dash(s.product_name), or_dash(s.product_version),
                                s.product_version_extra.empty() ? "" : " " + s.product_version_extra,
                                or_dash(s.product_build_version));
  if (!s.product_user_visible_version.empty() && s.product_user_visible_version != s.product_version)
    out += "  ProductUserVisibleVersion " + s.product_user_visible_version + "\n";
  if (!s.build_id.empty()) out += "  BuildID " + s.build_id + "\n";
  if (!s.ios_support_version.empty()) out += "  iOSSupportVersion " + s.ios_support_version + "\n";
  return out;
}

}  // namespace upscope::manifest
