// Apple Archive documents (reports/apple_archive.hpp).
#include "reports/apple_archive.hpp"

#include <fmt/format.h>

#include "inspect/text.hpp"
#include "reports/text_table.hpp"

namespace upscope::reports {

Json apple_archive_document(const std::string& path, const aa::Listing& l, const std::string& aea) {
  auto doc = make_document("apple-archive");
  doc["path"] = path;
  doc["report"] = aa::to_json(l);
  if (!aea.empty()) doc["report"]["aea"] = aea;
  doc["diagnostics"] = to_json(l.diagnostics);
  return doc;
}

std::string apple_archive_text(const std::string& name, const aa::Listing& l, const std::string& wrapper) {
  using A = TextTable::Align;
  TextTable t({"TYPE", "MODE", "UID", "GID", "SIZE", "PATH"}, {A::kLeft, A::kRight, A::kRight, A::kRight, A::kRight, A::kLeft});
  for (const auto& e : l.entries) {
    auto type = e.type();
    auto dat = e.find("DAT");
    auto opt_num = [&](const char* k) { auto v = e.uint(k); return v ? std::to_string(*v) : std::string("-"); };
    std::string path = e.path() ? printable(bytes_of(*e.path())) : "(no PAT)";
    if (auto lnk = e.link()) path += " -> " + *lnk;
    if (std::string why = e.unsafe_path_reason(); !why.empty()) path += "  [UNSAFE: " + why + "]";
    auto mode = e.uint("MOD");
    t.add_row({type ? std::string(1, *type) : "?", mode ? fmt::format("{:04o}", *mode) : "-", opt_num("UID"), opt_num("GID"),
               dat ? std::to_string(dat->uint_value) : opt_num("SIZ"), path});
  }
  return fmt::format("{}: Apple Archive, {} entries ({}{}{})\n", name, l.entries.size(), l.info.container,
                     l.info.container == "raw" ? "" : ", " + l.info.codec, wrapper.empty() ? "" : ", " + wrapper) +
         t.str();
}

Json apple_archive_extract_document(const std::string& path, const std::string& output, const aa::ExtractReport& r) {
  auto doc = make_document("apple-archive-extract");
  doc["path"] = path;
  doc["output"] = output;
  doc["files"] = r.files;
  doc["directories"] = r.directories;
  doc["symlinks"] = r.symlinks;
  doc["skipped"] = r.skipped;
  doc["bytes"] = r.bytes;
  doc["diagnostics"] = to_json(r.diagnostics);
  return doc;
}

std::string apple_archive_extract_text(const std::string& output, const aa::ExtractReport& r) {
  return fmt::format("{}: {} files ({} bytes), {} directories, {} symlinks extracted; {} skipped\n", output, r.files,
                     r.bytes, r.directories, r.symlinks, r.skipped);
}

}  // namespace upscope::reports
