#include "manifest/bundle_info.hpp"

#include <fmt/format.h>

#include "manifest/fields.hpp"
#include "manifest/text_list.hpp"

namespace upscope::manifest {

bool is_bundle_info(const plist::Value& root) { return root.string_at("CFBundleIdentifier") != nullptr; }

Result<BundleInfo> read_bundle_info(const plist::Value& root, std::string_view name) {
  UPSCOPE_CHECK(require_dict(root, name));
  BundleInfo b;
  Fields f(name, b.diagnostics);
  b.identifier = f.string(root, "CFBundleIdentifier", "");
  b.version = f.string(root, "CFBundleVersion", "");
  b.short_version = f.string(root, "CFBundleShortVersionString", "");
  b.name = f.string(root, "CFBundleName", "");
  b.executable = f.string(root, "CFBundleExecutable", "");
  b.package_type = f.string(root, "CFBundlePackageType", "");
  b.minimum_system_version = f.string(root, "LSMinimumSystemVersion", "");
  b.os_bundle_required = f.string(root, "OSBundleRequired", "");
  b.os_bundle_compatible_version = f.string(root, "OSBundleCompatibleVersion", "");
  b.libraries = f.string_map(root, "OSBundleLibraries", "");
  if (const plist::Value* p = f.typed(root, "IOKitPersonalities", plist::Type::kDict, "")) b.personalities = p->children.size();
  b.kext = b.package_type == "KEXT" || root.get("OSBundleLibraries");
  return b;
}

Result<BundleInfo> read_bundle_info(Bytes data, std::string_view name) {
  UPSCOPE_TRY(plist::Document doc, plist::read(data, name));
  return read_bundle_info(doc.root, name);
}

nlohmann::ordered_json to_json(const BundleInfo& b) {
  using Json = nlohmann::ordered_json;
  Json j;
  j["identifier"] = b.identifier;
  j["version"] = b.version;
  j["short_version"] = b.short_version;
  j["name"] = b.name;
  j["executable"] = b.executable;
  j["package_type"] = b.package_type;
  j["minimum_system_version"] = b.minimum_system_version;
  j["kext"] = b.kext;
  j["os_bundle_required"] = b.os_bundle_required;
  j["os_bundle_compatible_version"] = b.os_bundle_compatible_version;
  Json libs = Json::array();
  for (const auto& [id, v] : b.libraries) libs.push_back({{"identifier", id}, {"version", v}});
  j["libraries"] = std::move(libs);
  j["personalities"] = b.personalities;
  return j;
}

std::string to_text(const BundleInfo& b) {
  std::string out = fmt::format("  bundle{}: {} version {} (short {})\n", b.kext ? " (kext)" : "", or_dash(b.identifier),
                                or_dash(b.version), or_dash(b.short_version));
  std::vector<std::string> more;
  if (!b.name.empty()) more.push_back("CFBundleName " + b.name);
  if (!b.executable.empty()) more.push_back("CFBundleExecutable " + b.executable);
  if (!b.package_type.empty()) more.push_back("CFBundlePackageType " + b.package_type);
  if (!b.minimum_system_version.empty()) more.push_back("LSMinimumSystemVersion " + b.minimum_system_version);
  if (!b.os_bundle_required.empty()) more.push_back("OSBundleRequired " + b.os_bundle_required);
  if (b.personalities) more.push_back(fmt::format("{} IOKitPersonalities", b.personalities));
  if (!more.empty()) out += "  " + joined(more, ", ") + "\n";
  if (b.kext) {
    out += fmt::format("  OSBundleLibraries ({}):\n", b.libraries.size());
    out += aligned_pairs(b.libraries, "    ");
  }
  return out;
}

}  // namespace upscope::manifest
