// `upscope inspect PLIST`: any property list (XML or binary) printed whole like `plutil -p`, after the
// facts of the semantic reader that recognises it (BuildManifest, Restore.plist, an OTA's Info.plist,
// ZipMetadata, SystemVersion, a bundle's Info.plist). The raw tree follows the facts with --all; JSON
// always carries both (reports/schemas/plist.schema.json).
#include <fmt/format.h>

#include "inspect_registry.hpp"
#include "manifest/semantic.hpp"
#include "plist/tree.hpp"

namespace upscope::cli {
namespace {

constexpr const char* kStructure = "property list";

InspectResult inspect_plist(const Context& ctx, const SourcePtr& src, const Identification&) {
  InspectResult r;
  auto bytes = src->contiguous();
  if (!bytes) { r.error = make_error(ErrorCode::kUnsupported, kStructure, "input is not mapped"); return r; }
  auto doc = plist::read(*bytes, kStructure);
  if (!doc) { r.error = doc.error(); return r; }
  r.json["format"] = "plist";
  r.json["encoding"] = plist::to_string(doc->encoding);
  r.json["root_type"] = plist::to_string(doc->root.type);
  r.json["nodes"] = doc->nodes;
  r.text = fmt::format("  {} plist, root {}, {} values\n", plist::to_string(doc->encoding),
                       plist::to_string(doc->root.type), doc->nodes);
  auto view = manifest::read_semantic(doc->root, kStructure);
  bool tree = true;
  if (view && *view) {
    manifest::SemanticView& v = **view;
    r.json["kind"] = manifest::to_string(v.kind);
    r.json["facts"] = std::move(v.facts);
    r.text += v.text;
    r.diagnostics = std::move(v.diagnostics);
    tree = ctx.inspect_all;
    if (!tree) r.text += "  (the whole tree: --all)\n";
  } else {
    // A plist that looks like one of them but cannot be read as it is still printed whole.
    if (view) r.diagnostics.add((*view).error(), Severity::kWarning);
    r.json["kind"] = nullptr;
    r.json["facts"] = nullptr;
  }
  if (tree) r.text += plist::to_text(doc->root, "  ");
  r.json["tree"] = plist::to_json(doc->root);
  return r;
}

const InspectorRegistrar registered_inspect_plist({"plist-xml", "plist-binary"}, inspect_plist);

}  // namespace
}  // namespace upscope::cli
