// File-system listings (reports/volume_listing.hpp).
#include "reports/volume_listing.hpp"

#include <fmt/format.h>

#include "apfs/json.hpp"
#include "hfs/json.hpp"

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

VolumeListingJsonWriter::VolumeListingJsonWriter(std::ostream& out, const VolumeListing& l)
    : out_(out), hash_(l.hash) {
  w_.begin_object();
  w_.members(make_document(l.document));
  w_.field("image", l.image);
  w_.field("located", l.located);
  if (l.container) w_.field("container", *l.container);
  w_.key("volumes");
  w_.begin_array();
}

void VolumeListingJsonWriter::begin_volume(const Json& info, const std::string& path) {
  w_.begin_object();
  for (auto it = info.begin(); it != info.end(); ++it)
    if (it.key() != "path" && it.key() != "files") w_.field(it.key(), it.value());
  w_.field("path", path);
  w_.key("files");
  w_.begin_array();
}

void VolumeListingJsonWriter::row(const VolumeRow& r) {
  w_.begin_object();
  w_.members(r.head);
  if (r.symlink) w_.field("symlink_target", r.target);
  if (hash_) {
    w_.key(to_string(*hash_));
    if (r.hash.empty()) w_.value(nullptr);
    else w_.value(r.hash);
  }
  w_.key("xattrs");
  w_.begin_array();
  for (const auto& [n, s] : r.xattrs) {
    w_.begin_object();
    w_.field("name", n);
    w_.field("size", s);
    w_.end_object();
  }
  w_.end_array();
  if (r.error) w_.field("error", to_json(*r.error));
  w_.end_object();
  send();
}

void VolumeListingJsonWriter::end_volume() {
  w_.end_array();
  w_.end_object();
}

void VolumeListingJsonWriter::finish(const Diagnostics& diags) {
  w_.end_array();
  w_.field("diagnostics", to_json(diags));
  w_.end_object();
  out_ << w_.finish();
}

void VolumeListingText::begin_volume(const std::string& heading, size_t count) {
  using A = TextTable::Align;
  const auto& hk = header_.hash;
  TextTable t({header_.id_header, "MODE", "UID", "GID", "NLINK", "SIZE", "COMPRESSION", hk ? to_string(*hk) : "",
               "PATH"},
              {A::kRight, A::kLeft, A::kRight, A::kRight, A::kRight, A::kRight, A::kLeft, A::kLeft, A::kLeft});
  t.reserve(count);
  tables_.emplace_back(heading, std::move(t));
}

void VolumeListingText::row(const VolumeRow& r) {
  const auto& hk = header_.hash;
  tables_.back().second.add_row({std::to_string(r.id), r.mode, std::to_string(r.uid), std::to_string(r.gid),
                                 std::to_string(r.nlink), r.directory ? "-" : std::to_string(r.size), r.compression,
                                 hk ? (r.hash.empty() ? "-" : r.hash) : "",
                                 r.path + (r.symlink ? " -> " + r.target : "")});
}

std::string VolumeListingText::str() const {
  std::string text;
  for (const auto& [heading, table] : tables_) {
    if (header_.headings) text += heading + ":\n";
    text += table.str();
    if (!text.empty() && text.back() != '\n') text += '\n';
  }
  return text;
}

}  // namespace upscope::reports
