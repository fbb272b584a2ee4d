#include <fmt/format.h>

#include "kc/kc.hpp"
#include "macho/names.hpp"

namespace upscope::kc {

namespace {
nlohmann::ordered_json str_or_null(const std::string& s) { return s.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(s); }
}  // namespace

nlohmann::ordered_json to_json(const Entry& e) {
  nlohmann::ordered_json j;
  j["id"] = e.id;
  j["kind"] = e.is_kernel ? "kernel" : "kext";
  j["bundle_id"] = str_or_null(e.bundle_id);
  j["version"] = str_or_null(e.version);
  j["short_version"] = str_or_null(e.short_version);
  j["uuid"] = str_or_null(e.uuid);
  j["codeless"] = e.codeless;
  j["vmaddr"] = e.codeless ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(e.vmaddr);
  j["load_address"] = e.load_addr ? nlohmann::ordered_json(*e.load_addr) : nlohmann::ordered_json(nullptr);
  j["fileoff"] = e.codeless ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(e.fileoff);
  j["size"] = e.size;
  j["filetype"] = e.image ? nlohmann::ordered_json(macho::filetype_name(e.image->filetype)) : nlohmann::ordered_json(nullptr);
  j["content_hash"] = str_or_null(e.content_hash);
  j["code_sha256"] = str_or_null(e.code_sha256);
  j["code_bytes"] = e.code_bytes;
  j["bundle_path"] = str_or_null(e.bundle_path);
  j["executable_path"] = str_or_null(e.executable_path);
  if (e.error) j["error"] = e.error->message();
  return j;
}

nlohmann::ordered_json summary_json(const KernelCollection& kc) {
  nlohmann::ordered_json j;
  j["kind"] = to_string(kc.kind);
  j["kind_reason"] = kc.kind_reason;
  j["layers"] = kc.layers;
  j["arch"] = kc.top.arch;
  j["uuid"] = str_or_null(kc.uuid);
  j["kc_id"] = str_or_null(kc.kc_id);
  j["boot_kc_id"] = str_or_null(kc.boot_kc_id);
  j["pageable_kc_id"] = str_or_null(kc.pageable_kc_id);
  j["kernel_version"] = str_or_null(kc.kernel_version);
  j["size"] = kc.macho.size();
  j["content_hash_kind"] = kc.content_hash_kind ? nlohmann::ordered_json(upscope::to_string(*kc.content_hash_kind)) : nlohmann::ordered_json(nullptr);
  j["entry_count"] = kc.entries.size();
  j["kext_count"] = kc.kext_count();
  if (kc.prelink)
    j["prelink_info"] = {{"kexts", kc.prelink->kexts.size()}, {"references_resolved", kc.prelink->references_resolved}};
  else
    j["prelink_info"] = nullptr;
  return j;
}

nlohmann::ordered_json to_json(const KernelCollection& kc) {
  nlohmann::ordered_json j = summary_json(kc);
  nlohmann::ordered_json entries = nlohmann::ordered_json::array();
  for (const auto& e : kc.entries) entries.push_back(to_json(e));
  j["entries"] = std::move(entries);
  return j;
}

}  // namespace upscope::kc
