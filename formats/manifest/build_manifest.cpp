#include "manifest/build_manifest.hpp"

#include <fmt/format.h>

#include "manifest/fields.hpp"
#include "manifest/text_list.hpp"

namespace upscope::manifest {

namespace {

constexpr std::string_view kCryptexPrefix = "Cryptex1,";

bool ends_with_aea(std::string_view path) { return path.size() >= 4 && path.substr(path.size() - 4) == ".aea"; }

// Cryptex1,<name>OS keys name the cryptex images; the trust cache and volume keys share the name.
void collect_cryptexes(BuildIdentity& id) {
  for (const auto& e : id.entries) {
    std::string_view k = e.key;
    if (!k.starts_with(kCryptexPrefix) || !k.ends_with("OS")) continue;
    Cryptex c;
    c.name = std::string(k.substr(kCryptexPrefix.size(), k.size() - kCryptexPrefix.size() - 2));
    if (c.name.empty()) continue;
    c.image = e.path;
    c.encrypted = e.aea;
    if (auto* t = id.find(fmt::format("{}{}TrustCache", kCryptexPrefix, c.name))) c.trust_cache = t->path;
    if (auto* v = id.find(fmt::format("{}{}Volume", kCryptexPrefix, c.name))) c.volume = v->path;
    id.cryptexes.push_back(std::move(c));
  }
}

BuildIdentity read_identity(const plist::Value& ident, size_t index, Fields& f) {
  BuildIdentity id;
  const std::string path = fmt::format("BuildIdentities[{}]", index);
  id.ap_board_id = f.string(ident, "ApBoardID", path);
  id.ap_chip_id = f.string(ident, "ApChipID", path);
  id.ap_product_type = f.string(ident, "Ap,ProductType", path);
  if (const plist::Value* info = f.typed(ident, "Info", plist::Type::kDict, path)) {
    const std::string ip = path + ".Info";
    id.device_class = f.string(*info, "DeviceClass", ip);
    id.variant = f.string(*info, "Variant", ip);
    id.restore_behavior = f.string(*info, "RestoreBehavior", ip);
    id.build_number = f.string(*info, "BuildNumber", ip);
  }
  if (const plist::Value* manifest = f.typed(ident, "Manifest", plist::Type::kDict, path)) {
    const std::string mp = path + ".Manifest";
    id.entries.reserve(manifest->children.size());
    for (size_t i = 0; i < manifest->children.size(); ++i) {
      const plist::Value& entry = manifest->children[i];
      ManifestEntry e;
      e.key = manifest->keys[i];
      e.cryptex = std::string_view(e.key).starts_with(kCryptexPrefix);
      if (entry.is(plist::Type::kDict)) {
        const std::string ep = field_path(mp, e.key);
        if (const plist::Value* info = f.typed(entry, "Info", plist::Type::kDict, ep)) e.path = f.string(*info, "Path", ep + ".Info");
      } else {
        f.warn(fmt::format("{} is {}, not a dict", field_path(mp, e.key), a_type(entry.type)));
      }
      e.aea = ends_with_aea(e.path);
      id.entries.push_back(std::move(e));
    }
  }
  collect_cryptexes(id);
  return id;
}

}  // namespace

const ManifestEntry* BuildIdentity::find(std::string_view key) const {
  for (const auto& e : entries)
    if (e.key == key) return &e;
  return nullptr;
}

bool is_build_manifest(const plist::Value& root) {
  return root.array_at("BuildIdentities") && (root.string_at("ProductBuildVersion") || root.string_at("ProductVersion"));
}

Result<BuildManifest> read_build_manifest(const plist::Value& root, std::string_view name) {
  UPSCOPE_CHECK(require_dict(root, name));
  const plist::Value* ids = root.get("BuildIdentities");
  if (!ids || !ids->is(plist::Type::kArray))
    return fail(ErrorCode::kMalformed, std::string(name),
                ids ? fmt::format("BuildIdentities is {}, not an array", a_type(ids->type))
                    : std::string("no BuildIdentities array: not a build manifest"));
  BuildManifest m;
  Fields f(name, m.diagnostics);
  m.product_version = f.string(root, "ProductVersion", "");
  m.product_build_version = f.string(root, "ProductBuildVersion", "");
  m.manifest_version = f.integer(root, "ManifestVersion", "");
  m.supported_product_types = f.strings(root, "SupportedProductTypes", "");
  m.identities.reserve(ids->children.size());
  for (size_t i = 0; i < ids->children.size(); ++i) {
    const plist::Value& ident = ids->children[i];
    if (!ident.is(plist::Type::kDict)) {
      f.warn(fmt::format("BuildIdentities[{}] is {}, not a dict", i, a_type(ident.type)));
      continue;
    }
    m.identities.push_back(read_identity(ident, i, f));
  }
  return m;
}

Result<BuildManifest> read_build_manifest(Bytes data, std::string_view name) {
  UPSCOPE_TRY(plist::Document doc, plist::read(data, name));
  return read_build_manifest(doc.root, name);
}

nlohmann::ordered_json to_json(const BuildManifest& m) {
  using Json = nlohmann::ordered_json;
  Json j;
  j["product_version"] = m.product_version;
  j["product_build_version"] = m.product_build_version;
  j["manifest_version"] = m.manifest_version ? Json(*m.manifest_version) : Json(nullptr);
  j["supported_product_types"] = m.supported_product_types;
  Json ids = Json::array();
  for (const auto& id : m.identities) {
    Json ij;
    ij["device_class"] = id.device_class;
    ij["variant"] = id.variant;
    ij["restore_behavior"] = id.restore_behavior;
    ij["build_number"] = id.build_number;
    ij["ap_board_id"] = id.ap_board_id;
    ij["ap_chip_id"] = id.ap_chip_id;
    ij["ap_product_type"] = id.ap_product_type;
    Json cx = Json::array();
    for (const auto& c : id.cryptexes)
      cx.push_back({{"name", c.name}, {"image", c.image}, {"trust_cache", c.trust_cache}, {"volume", c.volume},
                    {"encrypted", c.encrypted}});
    ij["cryptexes"] = std::move(cx);
    Json entries = Json::array();
    for (const auto& e : id.entries)
      entries.push_back({{"key", e.key}, {"path", e.path}, {"cryptex", e.cryptex}, {"aea", e.aea}});
    ij["manifest"] = std::move(entries);
    ids.push_back(std::move(ij));
  }
  j["build_identities"] = std::move(ids);
  return j;
}

std::string to_text(const BuildManifest& m) {
  std::string out = fmt::format("  BuildManifest: ProductVersion {}, ProductBuildVersion {}, {} build identit{}\n",
                                or_dash(m.product_version), or_dash(m.product_build_version), m.identities.size(),
                                m.identities.size() == 1 ? "y" : "ies");
  if (!m.supported_product_types.empty())
    out += fmt::format("  SupportedProductTypes ({}): {}\n", m.supported_product_types.size(),
                       joined(m.supported_product_types, ", "));
  for (size_t i = 0; i < m.identities.size(); ++i) {
    const BuildIdentity& id = m.identities[i];
    out += fmt::format("  identity {}: DeviceClass {}, Variant {}, RestoreBehavior {}\n", i, or_dash(id.device_class),
                       id.variant.empty() ? "-" : "\"" + id.variant + "\"", or_dash(id.restore_behavior));
    for (const auto& c : id.cryptexes)
      out += fmt::format("    cryptex {}: {}{}\n", c.name, or_dash(c.image), c.encrypted ? " (AEA-encrypted)" : "");
    std::vector<std::pair<std::string, std::string>> rows;
    rows.reserve(id.entries.size());
    for (const auto& e : id.entries) rows.emplace_back(e.key, e.aea ? e.path + "  (AEA)" : or_dash(e.path));
    out += fmt::format("    manifest ({} entr{}):\n", id.entries.size(), id.entries.size() == 1 ? "y" : "ies");
    out += aligned_pairs(rows, "      ");
  }
  return out;
}

}  // namespace upscope::manifest
