// File-system listings (reports/volume_listing.hpp).
#include "reports/volume_listing.hpp"

#include <fmt/format.h>

#include "apfs/json.hpp"
#include "hfs/json.hpp"
#include "reports/text_table.hpp"

namespace upscope::reports {

namespace {

// The reader's own JSON of the file, after the fields a row starts with.
void merge_reader(Json& r, const Json& reader) {
  for (auto it = reader.begin(); it != reader.end(); ++it)
    if (!r.contains(it.key())) r[it.key()] = it.value();
}

const char* hfs_type(const hfs::CatalogEntry& t) {
  if (t.is_folder()) return "directory";
  if (t.is_symlink()) return "symlink";
  return t.is_regular() ? "file" : "other";
}

Json row_json(const VolumeRow& r, std::optional<HashKind> hk) {
  Json f = r.head;
  if (r.symlink) f["symlink_target"] = r.target;
  if (hk) f[to_string(*hk)] = r.hash.empty() ? Json(nullptr) : Json(r.hash);
  Json xs = Json::array();
  for (const auto& [n, s] : r.xattrs) xs.push_back({{"name", n}, {"size", s}});
  f["xattrs"] = xs;
  if (r.error) f["error"] = to_json(*r.error);
  return f;
}

std::string rows_table(const std::vector<VolumeRow>& rows, const std::string& id_header, std::optional<HashKind> hk) {
  using A = TextTable::Align;
  TextTable t({id_header, "MODE", "UID", "GID", "NLINK", "SIZE", "COMPRESSION", hk ? to_string(*hk) : "", "PATH"},
              {A::kRight, A::kLeft, A::kRight, A::kRight, A::kRight, A::kRight, A::kLeft, A::kLeft, A::kLeft});
  for (const VolumeRow& r : rows)
    t.add_row({std::to_string(r.id), r.mode, std::to_string(r.uid), std::to_string(r.gid), std::to_string(r.nlink),
               r.directory ? "-" : std::to_string(r.size), r.compression, hk ? (r.hash.empty() ? "-" : r.hash) : "",
               r.path + (r.symlink ? " -> " + r.target : "")});
  return t.str();
}

}  // namespace

Json apfs_row_head(const apfs::FileEntry& e, const std::optional<apfs::Compression>& compression, uint64_t size) {
  const apfs::Inode& ino = e.inode;
  Json r;
  r["path"] = e.path;
  r["inode"] = ino.id;
  r["size"] = size;
  merge_reader(r, apfs::to_json(ino));
  r["type"] = ino.is_dir() ? "directory" : ino.is_symlink() ? "symlink" : ino.is_reg() ? "file" : "other";
  r["compression"] = compression ? apfs::to_json(*compression) : Json(nullptr);
  return r;
}

Json hfs_row_head(const hfs::FileEntry& e, const std::optional<hfs::Compression>& compression, uint64_t size) {
  const hfs::CatalogEntry& t = e.target;
  Json r;
  r["path"] = e.path;
  r["inode"] = t.id;
  r["cnid"] = e.entry.id;
  r["parent"] = e.entry.parent_id;
  r["size"] = size;
  merge_reader(r, hfs::to_json(t));
  r["type"] = hfs_type(t);
  r["hard_link"] = e.entry.is_hard_link() || e.entry.is_dir_link();
  r["compression"] = compression ? hfs::to_json(*compression) : Json(nullptr);
  return r;
}

bool add_row_errors(const std::vector<VolumeRow>& rows, const std::string& image, Diagnostics& diags) {
  bool any = false;
  for (const VolumeRow& r : rows)
    if (r.error) {
      diags.add(r.error->in_file(image));
      any = true;
    }
  return any;
}

Json volume_listing_document(const VolumeListing& l, const Diagnostics& diags) {
  Json doc = make_document(l.document);
  doc["image"] = l.image;
  doc["located"] = l.located;
  if (l.container) doc["container"] = *l.container;
  Json vols = Json::array();
  for (const ListedVolume& v : l.volumes) {
    Json vj = v.info;
    vj["path"] = v.path;
    Json files = Json::array();
    for (const VolumeRow& r : v.rows) files.push_back(row_json(r, l.hash));
    vj["files"] = std::move(files);
    vols.push_back(std::move(vj));
  }
  doc["volumes"] = std::move(vols);
  doc["diagnostics"] = to_json(diags);
  return doc;
}

std::string volume_listing_text(const VolumeListing& l) {
  std::string text;
  for (const ListedVolume& v : l.volumes) {
    if (l.headings) text += v.heading + ":\n";
    text += rows_table(v.rows, l.id_header, l.hash);
    if (!text.empty() && text.back() != '\n') text += '\n';
  }
  return text;
}

}  // namespace upscope::reports
