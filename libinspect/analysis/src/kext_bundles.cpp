#include "kext_bundles.hpp"

#include <algorithm>
#include <map>

#include "inspect/source.hpp"
#include "plist/parse.hpp"

namespace fs = std::filesystem;

namespace upscope::build {

namespace {

struct Bundle {
  std::string plist;       // component path of its Info.plist
  std::string executable;  // component path of its executable
  std::string id, version;
};

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// "/S/L/E/X.kext/Contents/Info.plist" -> "/S/L/E/X.kext" (macOS layout) or "/X.kext/Info.plist" (iOS
// layout); "" when the plist is not a kext bundle's. `prefix` is the root's own name when it is a
// bundle, so a kext given as the build itself is found too.
std::string bundle_dir(const std::string& plist_path, const std::string& prefix) {
  const std::string p = prefix + plist_path;
  for (const char* tail : {"/Contents/Info.plist", "/Info.plist"}) {
    if (!ends_with(p, tail)) continue;
    const std::string dir = p.substr(0, p.size() - std::string(tail).size());
    if (ends_with(dir, ".kext")) return dir.substr(prefix.size());
  }
  return {};
}

}  // namespace

void group_kext_bundles(const fs::path& root, BuildInventory& inv) {
  const std::string prefix = root.extension() == ".kext" ? "/" + root.filename().string() : "";
  std::vector<Bundle> bundles;
  for (const auto& c : inv.components) {
    const std::string dir = bundle_dir(c.path, prefix);
    if (dir.empty() && !(prefix.size() && (c.path == "/Contents/Info.plist" || c.path == "/Info.plist"))) continue;
    const std::string bdir = dir.empty() ? "" : dir;
    auto src = FileSource::open((root / c.path.substr(1)).string());
    if (!src) continue;
    std::vector<uint8_t> bytes((*src)->size());
    if (bytes.size() > (16u << 20) || !(*src)->read_at(0, bytes)) continue;
    auto doc = plist::parse(Bytes(bytes.data(), bytes.size()), c.path);
    if (!doc || !plist::get(*doc) || plist_get_node_type(plist::get(*doc)) != PLIST_DICT) {
      inv.not_analysed.push_back({c.path, "kext bundle Info.plist is not a readable property list"});
      continue;
    }
    Bundle b;
    b.plist = c.path;
    b.id = plist::string_item(plist::get(*doc), "CFBundleIdentifier");
    b.version = plist::string_item(plist::get(*doc), "CFBundleVersion");
    const std::string exe = plist::string_item(plist::get(*doc), "CFBundleExecutable");
    if (b.id.empty() || exe.empty() || exe.find('/') != std::string::npos) continue;  // codeless, or odd
    const bool contents = ends_with(c.path, "/Contents/Info.plist");
    b.executable = bdir + (contents ? "/Contents/MacOS/" : "/") + exe;
    bundles.push_back(std::move(b));
  }
  if (bundles.empty()) return;
  std::map<std::string, size_t> by_path;
  for (size_t i = 0; i < inv.components.size(); ++i) by_path[inv.components[i].path] = i;
  std::map<std::string, size_t> kc_entry;  // bundle id -> index of a kernel collection's entry
  for (size_t i = 0; i < inv.components.size(); ++i) {
    const Component& c = inv.components[i];
    if ((c.kind == ComponentKind::kKext || c.kind == ComponentKind::kKernel) && c.path.find(':') != std::string::npos)
      kc_entry.emplace(c.id, i);
  }
  std::vector<size_t> drop;
  for (const auto& b : bundles) {
    auto it = by_path.find(b.executable);
    if (it == by_path.end()) continue;
    Component& exe = inv.components[it->second];
    exe.id = b.id;
    exe.kind = ComponentKind::kKext;
    exe.space = Space::kKernel;
    if (!b.version.empty()) exe.version = b.version;
    auto entry = kc_entry.find(b.id);
    if (entry == kc_entry.end()) continue;
    // The same kext in a kernel collection: one component, the entry first, the bundle beside it.
    Component& k = inv.components[entry->second];
    auto sha = exe.hashes.find("sha256");
    k.also.push_back({exe.location, exe.path, sha == exe.hashes.end() ? "" : sha->second});
    for (const auto& [key, value] : exe.facts) {
      const auto slash = key.find('/');
      k.facts.emplace(key.substr(0, slash + 1) + "bundle:" + key.substr(slash + 1), value);
    }
    std::sort(k.also.begin(), k.also.end(), [](const Place& x, const Place& y) { return x.path < y.path; });
    drop.push_back(it->second);
  }
  std::sort(drop.rbegin(), drop.rend());
  for (size_t i : drop) inv.components.erase(inv.components.begin() + static_cast<long>(i));
}

}  // namespace upscope::build
