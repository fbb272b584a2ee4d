// The kernel-collection lister of `upscope ls KC[:/ENTRY_ID | :/BOOT.kc]`: one row per fileset entry
// (the kernel with its version string, each kext) with bundle id, version, UUID, load address, size,
// code hash and, with --hash, a content hash. Takes Boot/System/Aux KCs, legacy kernelcaches and
// the IM4P/complzss wrappers Apple ships them in. After ':' either a fileset entry id (only that
// row) or the path of the Boot KC a System/Aux KC must link against (checked by UUID).
#include <cctype>
#include <filesystem>

#include <fmt/format.h>

#include "cli.hpp"
#include "inspect/source.hpp"
#include "kc/entry_json.hpp"
#include "kc/kc.hpp"
#include "ls_registry.hpp"
#include "reports/json_writer.hpp"
#include "reports/text_table.hpp"
#include "trustcache/trustcache.hpp"

namespace upscope::cli {
namespace {

std::string hex_or_dash(const std::optional<uint64_t>& v) { return v ? fmt::format("{:#x}", *v) : "-"; }

int list_kc(Context& ctx, const LsRequest& req, const IdentifiedInput& input) {
  // An IM4P of a trust-cache payload type: ls_trustcache.cpp lists it.
  if (trustcache::is_trust_cache_type(input.id.details.value("type", "")))
    if (const ListFn* tc = find_lister("trustcache")) return (*tc)(ctx, req, input);
  const bool json = ctx.global.output_format() == Format::kJson;
  kc::OpenOptions opt;
  opt.jobs = ctx.global.jobs;
  opt.content_hash = req.hash;
  opt.code_hash = !req.no_code_hash;
  Diagnostics diags;
  auto kc = kc::open(input.source, diags, opt);
  if (!kc) {
    print_error(kc.error().in_file(req.image));
    return kExitError;
  }
  int rc = kExitOk;
  // After ':' a Boot KC file to link against, or one entry id.
  std::string only;
  reports::Json boot = nullptr;
  std::error_code ec;
  if (!req.path.empty() && std::filesystem::is_regular_file(req.path, ec)) {
    auto src = FileSource::open(req.path);
    Diagnostics bd;
    kc::OpenOptions bo;
    bo.content_hash.reset();
    auto b = src ? kc::open(*src, bd, bo) : Result<kc::KernelCollection>(fail(src.error()));
    if (!b) {
      print_error(b.error().in_file(req.path));
      return kExitError;
    }
    std::string why = kc::check_boot_link(*kc, *b);
    boot = {{"path", req.path}, {"uuid", b->uuid}, {"linked", why.empty()}};
    if (!why.empty()) {
      boot["reason"] = why;
      diags.error(std::nullopt, "_BootKCID", why);
    }
  } else if (!req.path.empty()) {
    only = req.path.substr(req.path[0] == '/' ? 1 : 0);
  }

  std::vector<const kc::Entry*> rows;
  for (const auto& e : kc->entries)
    if (only.empty() || e.id == only) rows.push_back(&e);
  if (!only.empty() && rows.empty()) {
    Error e = make_error(ErrorCode::kNotFound, "", fmt::format("no fileset entry or kext '{}'", only));
    e.file = req.image;
    print_error(e);
    return kExitError;
  }
  for (const auto* e : rows)
    if (e->error) rc = kExitError;
  if (print_diagnostics(ctx, req.image, diags)) rc = kExitError;
  if (diags.has_errors()) rc = kExitError;

  int out_rc;
  if (json) {
    // The rows are written straight to text: a tree of 600 rows cost more than reading them.
    auto head = reports::make_document("kc-ls");
    head["image"] = req.image;
    reports::JsonWriter w;
    w.begin_object();
    w.members(head);
    w.members(kc::summary_json(*kc));
    w.key("entries");
    w.begin_array();
    for (const auto* e : rows) {
      w.begin_object();
      kc::entry_json_fields(*e, w);
      w.end_object();
    }
    w.end_array();
    w.field("boot_kc", boot);
    w.field("diagnostics", reports::to_json(diags));
    w.end_object();
    out_rc = emit_rendered(ctx, w.finish());
  } else {
    std::string text = fmt::format("{}: {} ({}), {}, {} entries ({} kexts){}\n", req.image, kc::to_string(kc->kind),
                                   kc->kind_reason, kc->top.arch, kc->entries.size(), kc->kext_count(),
                                   kc->layers.empty() ? "" : ", unwrapped from " + [&] {
                                     std::string s;
                                     for (const auto& l : kc->layers) s += (s.empty() ? "" : " > ") + l;
                                     return s;
                                   }());
    if (!kc->uuid.empty()) text += fmt::format("uuid: {}\n", kc->uuid);
    if (!kc->boot_kc_id.empty()) text += fmt::format("links against Boot KC {}\n", kc->boot_kc_id);
    if (!boot.is_null())
      text += boot["linked"].get<bool>() ? fmt::format("Boot KC {} matches\n", req.path)
                                         : fmt::format("Boot KC {}: {}\n", req.path, boot["reason"].get<std::string>());
    if (!kc->kernel_version.empty()) text += fmt::format("kernel: {}\n", kc->kernel_version);
    using A = reports::TextTable::Align;
    std::vector<std::string> head = {"BUNDLE ID", "VERSION", "UUID", "LOAD ADDRESS", "SIZE", "CODE SHA256"};
    std::vector<A> align = {A::kLeft, A::kLeft, A::kLeft, A::kRight, A::kRight, A::kLeft};
    if (req.hash) {
      { std::string k = to_string(*req.hash); for (auto& ch : k) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch))); head.push_back(k); }
      align.push_back(A::kLeft);
    }
    reports::TextTable t(head, align);
    for (const auto* e : rows) {
      std::vector<std::string> row = {
          e->bundle_id.empty() ? e->id : e->bundle_id,
          e->version.empty() ? "-" : e->version,
          e->uuid.empty() ? "-" : e->uuid,
          e->codeless ? "-" : hex_or_dash(e->load_addr ? e->load_addr : std::optional<uint64_t>(e->vmaddr)),
          e->codeless ? "-" : std::to_string(e->size),
          e->error ? "error" : e->codeless ? "(codeless)" : e->code_sha256.empty() ? "-" : e->code_sha256};
      if (req.hash) row.push_back(e->content_hash.empty() ? "-" : e->content_hash);
      t.add_row(std::move(row));
    }
    text += t.str();
    out_rc = emit(ctx, text);
  }
  return out_rc != kExitOk ? out_rc : rc;
}

const ListerRegistrar registered_ls_kc({"macho-fileset", "im4p", "lzss"}, list_kc);

}  // namespace
}  // namespace upscope::cli
