// `upscope inspect PLIST` (reports/format_reports.hpp; reports/schemas/plist.schema.json): any property
// list printed whole like `plutil -p`, after the facts of the semantic reader that recognises it.
#include <fmt/format.h>

#include "reports/format_reports.hpp"

namespace upscope::reports {

FormatReport plist_report(const plist::Document& doc, const manifest::SemanticView* view, bool whole_tree) {
  FormatReport r;
  r.json["format"] = "plist";
  r.json["encoding"] = plist::to_string(doc.encoding);
  r.json["root_type"] = plist::to_string(doc.root.type);
  r.json["nodes"] = doc.nodes;
  r.text = fmt::format("  {} plist, root {}, {} values\n", plist::to_string(doc.encoding),
                       plist::to_string(doc.root.type), doc.nodes);
  bool tree = true;
  if (view) {
    r.json["kind"] = manifest::to_string(view->kind);
    r.json["facts"] = view->facts;
    r.text += view->text;
    tree = whole_tree;
    if (!tree) r.text += "  (the whole tree: --all)\n";
  } else {
    r.json["kind"] = nullptr;
    r.json["facts"] = nullptr;
  }
  if (tree) r.text += plist::to_text(doc.root, "  ");
  r.json["tree"] = plist::to_json(doc.root);
  return r;
}

}  // namespace upscope::reports
