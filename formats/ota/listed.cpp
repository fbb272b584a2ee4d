// The package's own file list, payload.bom (docs/formats/bom.md §7): files it lists that the package
// does not hold (a partial download, a copy stripped of its payloads) are placed by their names like
// the files that are there, so `ls` and the verdict still see the boot items and patches they stand
// for; what an absent payload archive or file list would write stays not analysed.
#include <algorithm>

#include <fmt/format.h>

#include "bom/bom.hpp"
#include "ota/listed.hpp"
#include "ota/paths.hpp"

namespace upscope::ota {

void add_listed_items(const PackageFiles& files, const ReadOptions& opt, Package& p) {
  const FileRef* f = files.find("payload.bom");
  if (!f) f = files.find("AssetData/payload.bom");
  if (!f) return;
  auto b = [&]() -> Result<bom::Bom> {
    if (f->size > opt.max_file_list)
      return fail(ErrorCode::kLimit, "file list", fmt::format("{} bytes exceed the limit of {}", f->size, opt.max_file_list));
    UPSCOPE_TRY(SourcePtr src, files.open_file(*f, opt.max_inflate));
    UPSCOPE_TRY(auto bytes, src->read_vector(0, src->size()));
    return bom::parse(ByteReader(Bytes(bytes)), f->path);
  }();
  if (!b) {
    p.diagnostics.add(b.error().in_file(f->path), Severity::kWarning);
    return;
  }
  for (const auto& d : b->diagnostics.items()) p.diagnostics.add({d.severity, d.offset, f->path + ": " + d.structure, d.message});
  // The list's "." is AssetData/ (its entries are ./Info.plist, ./boot, ./payloadv2: §7); at least one
  // listed file must be in the package to confirm that, or nothing is added.
  std::vector<std::pair<std::string, const bom::PathEntry*>> missing;
  size_t present = 0;
  for (const bom::PathEntry& e : b->paths) {
    if (e.type == 2 || e.path.size() < 3 || e.path.compare(0, 2, "./") != 0) continue;
    std::string path = "AssetData/" + e.path.substr(2);
    if (files.find(path)) ++present;
    else missing.emplace_back(std::move(path), &e);
  }
  if (!present) {
    if (!missing.empty())
      p.diagnostics.warning(std::nullopt, f->path, "none of the files it lists is in the package under AssetData/: not used");
    return;
  }
  const size_t absent = missing.size();
  for (auto& [path, e] : missing) {
    PathInfo pi = classify_package_path(path);
    Item it;
    it.path = path;
    it.size = e->size;
    it.role = pi.role;
    it.target = pi.target;
    it.format = "absent";
    it.error = make_error(ErrorCode::kNotFound, "", fmt::format("listed in {}, not in the package", f->path));
    const bool placed = !it.target.empty() && (it.role == Role::kBoot || it.role == Role::kFilePatch ||
                                               it.role == Role::kImagePatch || it.role == Role::kBasesystemPatch);
    if (!placed && it.role != Role::kMetadata && it.role != Role::kReverseImagePatch)
      p.not_analysed.push_back({path, fmt::format("listed in {} but not in the package ({}): what it holds is unknown",
                                                  f->path, to_string(it.role))});
    p.items.push_back(std::move(it));
  }
  if (absent) {
    p.diagnostics.note(std::nullopt, f->path,
                       fmt::format("lists {} files the package does not hold: placed by their names", absent));
    std::stable_sort(p.items.begin(), p.items.end(), [](const Item& x, const Item& y) { return x.path < y.path; });
  }
}

}  // namespace upscope::ota
