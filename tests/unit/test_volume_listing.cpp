// reports::VolumeListingJsonWriter sends a listing on row by row and writes the bytes of the whole
// document dumped at once: no volume, a volume without rows, rows with a symlink, an error and no
// hash, and diagnostics at the end.
#include <catch2/catch.hpp>

#include <sstream>

#include "reports/volume_listing.hpp"

using namespace upscope;
using reports::Json;
using reports::VolumeRow;

namespace {

// The document as one tree: the shape the writer must match byte for byte.
using Volumes = std::vector<std::pair<Json, std::vector<VolumeRow>>>;  // info, rows

Json expected_document(const reports::VolumeListing& l, const Volumes& vols, const Diagnostics& diags) {
  Json doc = reports::make_document(l.document);
  doc["image"] = l.image;
  doc["located"] = l.located;
  if (l.container) doc["container"] = *l.container;
  doc["volumes"] = Json::array();
  for (const auto& [info, rows] : vols) {
    Json v = info;
    v["path"] = "/";
    v["files"] = Json::array();
    for (const VolumeRow& r : rows) {
      Json f = r.head;
      if (r.symlink) f["symlink_target"] = r.target;
      if (l.hash) f[to_string(*l.hash)] = r.hash.empty() ? Json(nullptr) : Json(r.hash);
      f["xattrs"] = Json::array();
      for (const auto& [n, s] : r.xattrs) f["xattrs"].push_back({{"name", n}, {"size", s}});
      if (r.error) f["error"] = reports::to_json(*r.error);
      v["files"].push_back(f);
    }
    doc["volumes"].push_back(v);
  }
  doc["diagnostics"] = reports::to_json(diags);
  return doc;
}

VolumeRow row(const std::string& path, bool symlink) {
  VolumeRow r;
  r.path = path;
  r.symlink = symlink;
  r.regular = !symlink;
  r.head = {{"path", path}, {"inode", 17}, {"size", 5}, {"type", symlink ? "symlink" : "file"}};
  if (symlink) r.target = "../é target";
  else r.hash = std::string(64, 'a');
  return r;
}

}  // namespace

TEST_CASE("volume listing JSON: written row by row, the bytes of the whole document", "[reports][ls]") {
  reports::VolumeListing l;
  l.document = "apfs-ls";
  l.image = "image \"quoted\".dmg";
  l.located = "udif image, gpt partition 1";

  SECTION("no volume") {
    std::ostringstream out;
    reports::VolumeListingJsonWriter w(out, l);
    Diagnostics diags;
    w.finish(diags);
    CHECK(out.str() == reports::dump(expected_document(l, {}, diags)));
  }

  SECTION("an empty volume, then one with rows, hashed, with diagnostics") {
    l.container = "4E16FEDA-1886-4FA6-8FE9-05099813C520";
    l.hash = HashKind::kSha256;
    Volumes vols;
    vols.push_back({Json{{"index", 0}, {"name", "empty"}, {"features", Json::array()}}, {}});
    std::vector<VolumeRow> rows{row("/a", false), row("/b", true), row("/c", false)};
    rows[2].hash.clear();
    rows[2].error = make_error(ErrorCode::kMalformed, "decmpfs header", "unknown compression type 99", 4096);
    rows[0].xattrs = {{"com.apple.decmpfs", 16}, {"com.apple.ResourceFork", 70000}};
    vols.push_back({Json{{"index", 1}, {"name", "Data"}, {"sealed", false}}, rows});
    Diagnostics diags;
    diags.add(rows[2].error->in_file(l.image));

    std::ostringstream out;
    reports::VolumeListingJsonWriter w(out, l);
    for (const auto& [info, rs] : vols) {
      w.begin_volume(info, "/");
      for (const VolumeRow& r : rs) {
        const size_t before = out.str().size();
        w.row(r);
        CHECK(out.str().size() > before);  // sent on at once, not held to the end
        CHECK(out.str().find(r.path) != std::string::npos);
      }
      w.end_volume();
    }
    w.finish(diags);
    CHECK(out.str() == reports::dump(expected_document(l, vols, diags)));
    CHECK(Json::parse(out.str())["volumes"][1]["files"][2]["sha256"].is_null());
  }
}
