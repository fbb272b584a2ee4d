// Cryptex disk images inside a build tree, expanded file by file (see inventory_internal.hpp).
#include <fmt/format.h>

#include "apfs/locate.hpp"
#include "inventory_internal.hpp"
#include "inspect/thread_pool.hpp"

namespace upscope::build {

namespace {

// Where the system grafts each cryptex: the prefix the classify table knows. A system volume image
// (an IPSW's "OS" dmg) is the root itself.
const char* graft_point(Location loc) {
  if (loc == Location::kSystemVolume) return "";
  return loc == Location::kCryptexApp ? "/System/Cryptexes/App" : "/System/Cryptexes/OS";
}

const char* image_kind(Location loc) {
  return loc == Location::kSystemVolume ? "system volume image" : "cryptex image";
}

constexpr unsigned kMaxImageDepth = 2;  // a dmg in a tree, and one image inside that at most

// One file of an expanded volume: a symlink keeps its target; a regular file is read like any file
// of a tree, placed under the cryptex's graft point.
FileResult read_volume_file(const std::string& rel, const apfs::Volume& v, const std::string& graft,
                            const apfs::FileEntry& e, const InventoryOptions& opt, unsigned depth) {
  FileResult out;
  const std::string inner = graft + (e.path.front() == '/' ? "" : "/") + e.path;
  if (e.inode.is_symlink()) {
    Placement ipl = classify_path(inner);
    Component c;
    c.id = inner;
    c.path = rel + ":" + e.path;
    c.kind = ComponentKind::kFile;
    c.space = ipl.space;
    c.location = ipl.location;
    auto target = v.symlink_target(e.inode);
    if (target) c.hashes["symlink"] = *target;
    else out.not_analysed.push_back({c.path, target.error().message()});
    out.components.push_back(std::move(c));
    return out;
  }
  if (!e.inode.is_reg()) return out;
  auto data = v.open_data(e.inode, e.path);
  if (!data) {
    out.not_analysed.push_back({rel + ":" + e.path, data.error().message()});
    return out;
  }
  const std::string dir = e.path.substr(0, e.path.rfind('/'));
  SiblingOpener siblings = [&v, dir](const std::string& name) -> Result<SourcePtr> {
    const std::string path = dir + "/" + name;
    UPSCOPE_TRY(auto id, v.lookup(path));
    UPSCOPE_TRY(auto ino, v.inode(id));
    if (!ino.is_reg()) return fail(ErrorCode::kMalformed, path, "not a regular file");
    return v.open_data(ino, path);
  };
  FileResult one = read_source(inner, *data, opt, nullptr, depth + 1, siblings);
  for (auto& c : one.components) {
    if (c.path == inner) c.path = rel + ":" + e.path;
    out.components.push_back(std::move(c));
  }
  for (auto& n : one.not_analysed) out.not_analysed.push_back(std::move(n));
  return out;
}

}  // namespace

void expand_cryptex_image(const std::string& rel, const SourcePtr& src, const Placement& pl,
                          const InventoryOptions& opt, unsigned depth, FileResult& out) {
  if (depth >= kMaxImageDepth) {
    out.not_analysed.push_back({rel, "disk image nested too deeply: not expanded"});
    return;
  }
  Diagnostics diags;
  auto located = apfs::locate_container(src, &diags);
  if (!located) {
    out.not_analysed.push_back({rel, std::string(image_kind(pl.location)) + " unreadable: " + located.error().message()});
    return;
  }
  auto container = apfs::Container::open(located->source);
  if (!container) {
    out.not_analysed.push_back({rel, std::string(image_kind(pl.location)) + " unreadable: " + container.error().message()});
    return;
  }
  const std::string graft = graft_point(pl.location);
  for (const auto& info : (*container)->volumes()) {
    auto vol = (*container)->open_volume(info.index);
    if (!vol) {
      out.not_analysed.push_back({fmt::format("{}: volume {}", rel, info.index), vol.error().message()});
      continue;
    }
    if (info.encrypted) {
      out.not_analysed.push_back({fmt::format("{}: volume '{}'", rel, info.name), "encrypted volume: not decrypted"});
      continue;
    }
    const apfs::Volume& v = **vol;
    auto root = v.lookup("/");
    if (!root) {
      out.not_analysed.push_back({fmt::format("{}: volume '{}'", rel, info.name), root.error().message()});
      continue;
    }
    Diagnostics walk_diags;
    std::vector<apfs::FileEntry> entries;
    auto st = v.walk(*root, "/", [&](const apfs::FileEntry& e) {
      if (e.path != "/" && !e.inode.is_dir()) entries.push_back(e);
      return true;
    }, walk_diags);
    // Files in parallel (a system volume image holds ~100k), results kept in walk order.
    ThreadPool pool(opt.jobs);
    ordered_parallel_map(
        pool, entries.size(), size_t(pool.size()) * 8,
        [&](size_t i) { return read_volume_file(rel, v, graft, entries[i], opt, depth); },
        [&](size_t, FileResult one) {
          for (auto& c : one.components) out.components.push_back(std::move(c));
          for (auto& n : one.not_analysed) out.not_analysed.push_back(std::move(n));
          return true;
        });
    if (!st) out.not_analysed.push_back({fmt::format("{}: volume '{}'", rel, info.name), st.error().message()});
    for (const auto& d : walk_diags.items())
      if (d.severity == Severity::kError) out.not_analysed.push_back({rel, d.text()});
  }
}

}  // namespace upscope::build
