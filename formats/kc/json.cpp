#include <fmt/format.h>

#include "kc/entry_json.hpp"
#include "kc/kc.hpp"

namespace upscope::kc {

namespace {
nlohmann::ordered_json str_or_null(const std::string& s) { return s.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(s); }

struct TreeSink {
  nlohmann::ordered_json& j;
  template <class T>
  void field(std::string_view k, const T& v) {
    if constexpr (std::is_same_v<T, std::string_view>) j[std::string(k)] = std::string(v);
    else j[std::string(k)] = v;
  }
};
}  // namespace

nlohmann::ordered_json to_json(const Entry& e) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  TreeSink sink{j};
  entry_json_fields(e, sink);
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
