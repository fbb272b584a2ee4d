#include "manifest/zip_metadata.hpp"

#include <fmt/format.h>

#include "manifest/fields.hpp"

namespace upscope::manifest {

bool is_zip_metadata(const plist::Value& root) {
  return root.get("RecordCount") && root.get("TotalUncompressedBytes");
}

Result<ZipMetadata> read_zip_metadata(const plist::Value& root, std::string_view name) {
  UPSCOPE_CHECK(require_dict(root, name));
  ZipMetadata z;
  Fields f(name, z.diagnostics);
  z.record_count = f.integer(root, "RecordCount", "");
  z.total_uncompressed_bytes = f.integer(root, "TotalUncompressedBytes", "");
  z.version = f.integer(root, "Version", "");
  z.standard_file_perms = f.integer(root, "StandardFilePerms", "");
  z.standard_directory_perms = f.integer(root, "StandardDirectoryPerms", "");
  return z;
}

Result<ZipMetadata> read_zip_metadata(Bytes data, std::string_view name) {
  UPSCOPE_TRY(plist::Document doc, plist::read(data, name));
  return read_zip_metadata(doc.root, name);
}

namespace {
using Json = nlohmann::ordered_json;
Json opt(const std::optional<int64_t>& v) { return v ? Json(*v) : Json(nullptr); }
std::string num(const std::optional<int64_t>& v) { return v ? std::to_string(*v) : "-"; }
// The low 16 bits as a file mode, in octal.
std::string mode(const std::optional<int64_t>& v) {
  return v ? fmt::format("{} (mode {:o})", *v, static_cast<uint64_t>(*v) & 0xFFFF) : "-";
}
}  // namespace

nlohmann::ordered_json to_json(const ZipMetadata& z) {
  Json j;
  j["record_count"] = opt(z.record_count);
  j["total_uncompressed_bytes"] = opt(z.total_uncompressed_bytes);
  j["version"] = opt(z.version);
  j["standard_file_perms"] = opt(z.standard_file_perms);
  j["standard_directory_perms"] = opt(z.standard_directory_perms);
  return j;
}

std::string to_text(const ZipMetadata& z) {
  return fmt::format("  zip metadata: RecordCount {}, TotalUncompressedBytes {}, Version {}\n"
                     "  StandardFilePerms {}, StandardDirectoryPerms {}\n",
                     num(z.record_count), num(z.total_uncompressed_bytes), num(z.version), mode(z.standard_file_perms),
                     mode(z.standard_directory_perms));
}

}  // namespace upscope::manifest
