#include <fmt/format.h>

#include "aa/aa.hpp"
#include "inspect/text.hpp"

namespace upscope::aa {
using Json = nlohmann::ordered_json;

namespace {
const char* kind_name(FieldKind k) {
  switch (k) {
    case FieldKind::kFlag: return "flag";
    case FieldKind::kUint: return "uint";
    case FieldKind::kBlob: return "blob";
    case FieldKind::kHash: return "hash";
    case FieldKind::kTimeS: return "timespec";
    case FieldKind::kTimeT: return "timespec";
    case FieldKind::kString: return "string";
  }
  return "?";
}
}  // namespace

Json to_json(const Entry& e) {
  Json j;
  j["index"] = e.index;
  j["offset"] = e.offset;
  j["magic"] = e.magic;
  j["header_size"] = e.header_size;
  auto t = e.type();
  j["type"] = t ? Json(type_name(*t)) : Json(nullptr);
  auto p = e.path();
  j["path"] = p ? Json(*p) : Json(nullptr);
  if (auto l = e.link()) j["link"] = *l;
  if (auto m = e.uint("MOD")) j["mode"] = fmt::format("{:o}", *m);
  static const std::pair<const char*, const char*> kUints[] = {{"UID", "uid"},   {"GID", "gid"},        {"FLG", "flags"},
                                                               {"SIZ", "size"}, {"DUZ", "disk_usage"}, {"INO", "inode"},
                                                               {"NLK", "link_count"}};
  for (const auto& [key, name] : kUints)
    if (auto v = e.uint(key)) j[name] = *v;
  for (const char* k : {"MTM", "CTM", "BTM"})
    if (const Field* f = e.find(k); f && (f->kind == FieldKind::kTimeS || f->kind == FieldKind::kTimeT))
      j[k == std::string("MTM") ? "mtime" : k == std::string("CTM") ? "ctime" : "btime"] = {{"sec", f->uint_value}, {"nsec", f->nsec}};
  Json hashes = Json::object();
  for (const auto& f : e.fields)
    if (f.kind == FieldKind::kHash) hashes[f.key] = to_hex(f.digest);
  if (!hashes.empty()) j["hashes"] = hashes;
  if (const Field* f = e.find("DAT"); f && f->kind == FieldKind::kBlob) j["data"] = {{"offset", f->blob_offset}, {"size", f->uint_value}};
  if (const Field* f = e.find("XAT"); f && f->kind == FieldKind::kBlob) j["xattrs"] = {{"offset", f->blob_offset}, {"size", f->uint_value}};
  j["payload_size"] = e.payload_size;
  std::string why = e.unsafe_path_reason();
  j["unsafe_path"] = why.empty() ? Json(nullptr) : Json(why);
  Json fs = Json::array();
  for (const auto& f : e.fields) {
    Json fj;
    fj["key"] = f.key;
    fj["subtype"] = std::string(1, f.subtype);
    fj["kind"] = kind_name(f.kind);
    fj["offset"] = f.offset;
    switch (f.kind) {
      case FieldKind::kFlag: fj["value"] = true; break;
      case FieldKind::kUint: fj["value"] = f.uint_value; break;
      case FieldKind::kBlob: fj["value"] = {{"size", f.uint_value}, {"offset", f.blob_offset}}; break;
      case FieldKind::kHash: fj["value"] = to_hex(f.digest); break;
      case FieldKind::kTimeS: fj["value"] = {{"sec", f.uint_value}}; break;
      case FieldKind::kTimeT: fj["value"] = {{"sec", f.uint_value}, {"nsec", f.nsec}}; break;
      case FieldKind::kString: fj["value"] = f.text; break;
    }
    fs.push_back(std::move(fj));
  }
  j["fields"] = std::move(fs);
  return j;
}

Json to_json(const Listing& l) {
  Json j;
  j["format"] = "apple-archive";
  j["container"] = l.info.container;
  j["codec"] = l.info.codec;
  j["decoded_size"] = l.info.decoded_size ? Json(*l.info.decoded_size) : Json(nullptr);
  j["entry_count"] = l.entries.size();
  Json es = Json::array();
  for (const auto& e : l.entries) es.push_back(to_json(e));
  j["entries"] = std::move(es);
  return j;
}

}  // namespace upscope::aa
