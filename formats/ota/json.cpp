#include <fmt/format.h>

#include "inspect/text.hpp"
#include "ota/ota.hpp"

namespace upscope::ota {

namespace {
using Json = nlohmann::ordered_json;

Json opt_str(const std::string& s) { return s.empty() ? Json(nullptr) : Json(s); }

Json error_json(const std::optional<Error>& e) { return e ? Json(e->message()) : Json(nullptr); }

}  // namespace

nlohmann::ordered_json to_json(const Metadata& m) {
  Json j;
  j["asset_info"] = m.asset_info;
  j["update_info"] = m.update_info;
  j["splat_only"] = m.splat_only ? Json(*m.splat_only) : Json(nullptr);
  j["asset_type"] = opt_str(m.asset_type);
  j["product_version"] = opt_str(m.product_version);
  j["product_version_extra"] = opt_str(m.product_version_extra);
  j["build"] = opt_str(m.build);
  j["prerequisite_build"] = opt_str(m.prerequisite_build);
  j["prerequisite_os_version"] = opt_str(m.prerequisite_os_version);
  j["os_version"] = opt_str(m.os_version);
  j["restore_version"] = opt_str(m.restore_version);
  j["product_type"] = opt_str(m.product_type);
  j["package_version"] = opt_str(m.package_version);
  j["release_type"] = opt_str(m.release_type);
  j["supported_devices"] = m.supported_devices;
  j["supported_device_models"] = m.supported_device_models;
  j["encrypted"] = m.encrypted ? Json(*m.encrypted) : Json(nullptr);
  return j;
}

nlohmann::ordered_json to_json(const Package& p) {
  Json j;
  j["format"] = "update-package";
  j["source"] = p.source;
  j["container"] = p.directory ? "directory" : (p.zip64 ? "zip64" : "zip");
  j["kind"] = to_string(p.kind);
  j["reasons"] = p.reasons;
  j["metadata"] = to_json(p.metadata);
  Json items = Json::array();
  size_t counts[10] = {};
  for (const auto& it : p.items) {
    ++counts[static_cast<size_t>(it.role)];
    Json i;
    i["path"] = it.path;
    i["role"] = to_string(it.role);
    i["format"] = it.format;
    i["size"] = it.size;
    i["stored_size"] = it.stored_size;
    i["compression"] = opt_str(it.compression);
    i["sha256"] = opt_str(it.sha256);
    i["target"] = opt_str(it.target);
    i["partner"] = opt_str(it.partner);
    i["patched_size"] = it.patched_size ? Json(*it.patched_size) : Json(nullptr);
    i["output_sha1"] = opt_str(it.output_sha1);
    i["input_sha1"] = opt_str(it.input_sha1);
    i["variants"] = it.variants ? Json(*it.variants) : Json(nullptr);
    i["error"] = error_json(it.error);
    items.push_back(std::move(i));
  }
  j["items"] = std::move(items);
  Json pls = Json::array();
  for (const auto& pl : p.payloads) {
    Json q;
    q["item"] = pl.item;
    q["container"] = pl.container;
    q["decoded_size"] = pl.decoded_size ? Json(*pl.decoded_size) : Json(nullptr);
    q["entries"] = pl.entries.size();
    q["files"] = pl.files;
    q["directories"] = pl.directories;
    q["symlinks"] = pl.symlinks;
    q["other"] = pl.other;
    q["truncated"] = pl.truncated;
    q["error"] = error_json(pl.error);
    pls.push_back(std::move(q));
  }
  j["payloads"] = std::move(pls);
  Json na = Json::array();
  for (const auto& n : p.not_analysed) na.push_back({{"path", n.path}, {"reason", n.reason}});
  j["not_analysed"] = std::move(na);
  Json s;
  s["items"] = p.items.size();
  s["payloads"] = counts[static_cast<size_t>(Role::kPayload)];
  s["file_patches"] = counts[static_cast<size_t>(Role::kFilePatch)];
  s["image_patches"] = counts[static_cast<size_t>(Role::kImagePatch)];
  s["reverse_image_patches"] = counts[static_cast<size_t>(Role::kReverseImagePatch)];
  s["encrypted"] = counts[static_cast<size_t>(Role::kEncrypted)];
  s["boot"] = counts[static_cast<size_t>(Role::kBoot)];
  j["summary"] = std::move(s);
  return j;
}

std::string to_text(const Package& p) {
  const Metadata& m = p.metadata;
  std::string s;
  s += fmt::format("  update package ({}{}), kind: {}\n", p.directory ? "directory" : "zip", p.zip64 ? ", zip64" : "",
                   to_string(p.kind));
  for (const auto& r : p.reasons) s += fmt::format("    because {}\n", r);
  auto line = [&](const char* k, const std::string& v) {
    if (!v.empty()) s += fmt::format("  {:<22} {}\n", k, v);
  };
  line("AssetType", m.asset_type);
  if (m.splat_only) line("SplatOnly", *m.splat_only ? "true" : "false");
  line("ProductVersion", m.product_version);
  line("ProductVersionExtra", m.product_version_extra);
  line("Build", m.build);
  line("PrerequisiteBuild", m.prerequisite_build);
  line("PrerequisiteOSVersion", m.prerequisite_os_version);
  line("OSVersion", m.os_version);
  line("RestoreVersion", m.restore_version);
  line("ProductType", m.product_type);
  line("PackageVersion", m.package_version);
  if (!m.supported_devices.empty()) {
    std::string d;
    for (const auto& x : m.supported_devices) d += (d.empty() ? "" : ", ") + x;
    line("SupportedDevices", d);
  }
  s += fmt::format("  {} files:\n", p.items.size());
  for (const auto& it : p.items) {
    s += fmt::format("    {:<20} {:>12}  {:<14} {}", to_string(it.role), it.size, it.format, it.path);
    if (!it.target.empty()) s += fmt::format(" -> {}", it.target);
    if (!it.partner.empty() && it.role == Role::kImagePatch) s += fmt::format(" (reverse: {})", it.partner);
    if (it.error) s += fmt::format("  [error: {}]", it.error->message());
    s += "\n";
  }
  for (const auto& pl : p.payloads) {
    s += fmt::format("  payload {}: {} entries ({} files, {} directories, {} symlinks){}{}\n", pl.item, pl.entries.size(),
                     pl.files, pl.directories, pl.symlinks, pl.truncated ? ", list truncated" : "",
                     pl.error ? "  [error: " + pl.error->message() + "]" : "");
  }
  for (const auto& n : p.not_analysed) s += fmt::format("  not analysed: {}: {}\n", n.path, n.reason);
  return s;
}

}  // namespace upscope::ota
