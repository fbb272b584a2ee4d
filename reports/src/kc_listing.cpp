// Kernel-collection listings (reports/kc_listing.hpp).
#include "reports/kc_listing.hpp"

#include <cctype>

#include <fmt/format.h>

#include "kc/entry_json.hpp"
#include "reports/json.hpp"
#include "reports/json_writer.hpp"
#include "reports/text_table.hpp"

namespace upscope::reports {

namespace {

std::string hex_or_dash(const std::optional<uint64_t>& v) { return v ? fmt::format("{:#x}", *v) : "-"; }

}  // namespace

std::string kc_listing_json(const KcListing& l, const Diagnostics& diags) {
  Json head = make_document("kc-ls");
  head["image"] = l.image;
  Json boot = nullptr;
  if (l.boot) {
    boot = {{"path", l.boot->path}, {"uuid", l.boot->uuid}, {"linked", l.boot->reason.empty()}};
    if (!l.boot->reason.empty()) boot["reason"] = l.boot->reason;
  }
  JsonWriter w;
  w.begin_object();
  w.members(head);
  w.members(kc::summary_json(*l.kc));
  w.key("entries");
  w.begin_array();
  for (const auto* e : l.rows) {
    w.begin_object();
    kc::entry_json_fields(*e, w);
    w.end_object();
  }
  w.end_array();
  w.field("boot_kc", boot);
  w.field("diagnostics", to_json(diags));
  w.end_object();
  return w.finish();
}

std::string kc_listing_text(const KcListing& l) {
  const kc::KernelCollection& kc = *l.kc;
  std::string layers;
  for (const auto& s : kc.layers) layers += (layers.empty() ? "" : " > ") + s;
  std::string text = fmt::format("{}: {} ({}), {}, {} entries ({} kexts){}\n", l.image, kc::to_string(kc.kind),
                                 kc.kind_reason, kc.top.arch, kc.entries.size(), kc.kext_count(),
                                 layers.empty() ? "" : ", unwrapped from " + layers);
  if (!kc.uuid.empty()) text += fmt::format("uuid: {}\n", kc.uuid);
  if (!kc.boot_kc_id.empty()) text += fmt::format("links against Boot KC {}\n", kc.boot_kc_id);
  if (l.boot)
    text += l.boot->reason.empty() ? fmt::format("Boot KC {} matches\n", l.boot->path)
                                   : fmt::format("Boot KC {}: {}\n", l.boot->path, l.boot->reason);
  if (!kc.kernel_version.empty()) text += fmt::format("kernel: {}\n", kc.kernel_version);
  using A = TextTable::Align;
  std::vector<std::string> head = {"BUNDLE ID", "VERSION", "UUID", "LOAD ADDRESS", "SIZE", "CODE SHA256"};
  std::vector<A> align = {A::kLeft, A::kLeft, A::kLeft, A::kRight, A::kRight, A::kLeft};
  if (l.hash) {
    std::string k = to_string(*l.hash);
    for (auto& ch : k) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    head.push_back(k);
    align.push_back(A::kLeft);
  }
  TextTable t(head, align);
  for (const auto* e : l.rows) {
    std::vector<std::string> row = {
        e->bundle_id.empty() ? e->id : e->bundle_id,
        e->version.empty() ? "-" : e->version,
        e->uuid.empty() ? "-" : e->uuid,
        e->codeless ? "-" : hex_or_dash(e->load_addr ? e->load_addr : std::optional<uint64_t>(e->vmaddr)),
        e->codeless ? "-" : std::to_string(e->size),
        e->error ? "error" : e->codeless ? "(codeless)" : e->code_sha256.empty() ? "-" : e->code_sha256};
    if (l.hash) row.push_back(e->content_hash.empty() ? "-" : e->content_hash);
    t.add_row(std::move(row));
  }
  return text + t.str();
}

}  // namespace upscope::reports
