// `upscope inspect PLIST`: any property list (XML or binary), read whole and by the semantic reader
// that recognises it (BuildManifest, Restore.plist, an OTA's Info.plist, ZipMetadata, SystemVersion,
// a bundle's Info.plist); reports/format_reports.hpp prints its facts, then the raw tree (with --all).
#include "inspect_registry.hpp"
#include "manifest/semantic.hpp"
#include "plist/tree.hpp"
#include "reports/format_reports.hpp"

namespace upscope::cli {
namespace {

constexpr const char* kStructure = "property list";

InspectResult inspect_plist(const Context& ctx, const SourcePtr& src, const Identification&) {
  InspectResult r;
  auto bytes = src->contiguous();
  if (!bytes) { r.error = make_error(ErrorCode::kUnsupported, kStructure, "input is not mapped"); return r; }
  auto doc = plist::read(*bytes, kStructure);
  if (!doc) { r.error = doc.error(); return r; }
  auto view = manifest::read_semantic(doc->root, kStructure);
  const manifest::SemanticView* facts = nullptr;
  if (view && *view) {
    facts = &**view;
    r.diagnostics = std::move((*view)->diagnostics);
  } else if (view) {
    // A plist that looks like one of them but cannot be read as it is still printed whole.
    r.diagnostics.add((*view).error(), Severity::kWarning);
  }
  r.set_report(reports::plist_report(*doc, facts, ctx.inspect_all));
  return r;
}

const InspectorRegistrar registered_inspect_plist({"plist-xml", "plist-binary"}, inspect_plist);

}  // namespace
}  // namespace upscope::cli
