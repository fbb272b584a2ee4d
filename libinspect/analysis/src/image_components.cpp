// Cryptex disk images inside a build tree, expanded file by file (see inventory_internal.hpp).
#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "apfs/locate.hpp"
#include "dyld_components.hpp"
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
FileResult read_volume_file(const std::string& rel, const std::shared_ptr<const apfs::Volume>& vp,
                            const std::string& graft, const apfs::FileEntry& e, const InventoryOptions& opt,
                            unsigned depth, CacheFileHashes& cache_hashes) {
  const apfs::Volume& v = *vp;
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
  // A diff's drill-down opens the file again from its volume rather than keeping its bytes.
  Reopener reopen = [vp, ino = e.inode, path = e.path]() { return vp->open_data(ino, path); };
  FileResult one = read_source(inner, *data, opt, nullptr, depth + 1, siblings, nullptr, reopen, &cache_hashes);
  for (auto& c : one.components) {
    if (c.path == inner) c.path = rel + ":" + e.path;
    out.components.push_back(std::move(c));
  }
  for (auto& n : one.not_analysed) out.not_analysed.push_back(std::move(n));
  return out;
}

// The files read in the same task as the one before them: a dyld cache's subcaches and .symbols
// file after their main file, which hashes them as it reads their images (CacheFileHashes).
// followers[i] lists them for entry i, and they are not read on their own.
std::vector<std::vector<size_t>> cache_followers(const std::vector<apfs::FileEntry>& entries) {
  constexpr std::string_view kPrefix = "dyld_shared_cache_";
  std::map<std::string, size_t> mains;
  auto name_of = [](const std::string& path) { return path.substr(path.rfind('/') + 1); };
  for (size_t i = 0; i < entries.size(); ++i) {
    const std::string name = name_of(entries[i].path);
    if (entries[i].inode.is_reg() && name.starts_with(kPrefix) && is_main_cache_name(name)) mains[entries[i].path] = i;
  }
  std::vector<std::vector<size_t>> followers(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    const std::string& path = entries[i].path;
    const std::string name = name_of(path);
    if (!entries[i].inode.is_reg() || !name.starts_with(kPrefix) || is_main_cache_name(name)) continue;
    const std::string dir = path.substr(0, path.size() - name.size());
    // The longest main name the file's name continues: "..._arm64e.development" before "..._arm64e".
    std::optional<size_t> owner;
    for (size_t dot = name.find('.'); dot != std::string::npos; dot = name.find('.', dot + 1))
      if (auto it = mains.find(dir + name.substr(0, dot)); it != mains.end()) owner = it->second;
    if (owner) followers[*owner].push_back(i);
  }
  return followers;
}

}  // namespace

void expand_cryptex_image(const std::string& rel, const SourcePtr& src, const Placement& pl,
                          const InventoryOptions& opt, unsigned depth, FileResult& out, ProgressShare* share) {
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
  const size_t volumes = (*container)->volumes().size();
  size_t volume_index = 0;
  for (const auto& info : (*container)->volumes()) {
    const size_t this_volume = volume_index++;
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
    // Files in parallel (a system volume image holds ~100k), read in the order their data lies:
    // inode numbers are handed out as files are created, when their blocks are allocated. Walk
    // order jumps around the disk, and through a dmg every jump decodes a compressed chunk again.
    // Each task reads a run of neighbours, so the threads read different parts of the disk. A run
    // ends after 32 MiB of data: the files of a dyld cache are neighbours, and in one run they were
    // hashed one after the other on one thread while the other had nothing left (docs/reading.md).
    // Results are kept in walk order. A dyld cache's other files are read after its main file, in
    // its task: the main file's reader hashes them from the bytes it decodes for their images.
    const auto followers = cache_followers(entries);
    std::vector<bool> follows(entries.size());
    for (const auto& f : followers)
      for (size_t i : f) follows[i] = true;
    std::vector<size_t> order;
    for (size_t i = 0; i < entries.size(); ++i)
      if (!follows[i]) order.push_back(i);
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return entries[a].inode.id < entries[b].inode.id; });
    auto entry_size = [&](size_t i) -> uint64_t {
      const apfs::Inode& ino = entries[i].inode;
      return ino.dstream ? ino.dstream->alloced_size : 0;
    };
    auto data_size = [&](size_t k) -> uint64_t {
      uint64_t n = entry_size(order[k]);
      for (size_t f : followers[order[k]]) n += entry_size(f);
      return n;
    };
    CacheFileHashes cache_hashes;
    const auto spans = batch_ranges(order.size(), 64, 32ull << 20, data_size);
    const size_t runs = spans.size();
    std::vector<FileResult> results(entries.size());
    // Read data is not read again: the image's pages are dropped every 64 MiB of data streams or
    // every 16 runs, at most 1,024 files (a decmpfs file's bytes are in its xattrs, which no inode field sizes).
    constexpr uint64_t kReleaseEvery = 64ull << 20;
    uint64_t since_release = 0;
    size_t runs_since_release = 0;
    ThreadPool pool(opt.jobs);
    ordered_parallel_map(
        pool, runs, size_t(pool.size()) * 2,
        [&](size_t r) {
          std::vector<std::pair<size_t, FileResult>> rs;
          auto read = [&](size_t i) { rs.emplace_back(i, read_volume_file(rel, *vol, graft, entries[i], opt, depth, cache_hashes)); };
          for (size_t k = spans[r].first; k < spans[r].second; ++k) {
            read(order[k]);
            for (size_t i : followers[order[k]]) read(i);
          }
          return rs;
        },
        [&](size_t r, std::vector<std::pair<size_t, FileResult>> rs) {
          for (size_t k = spans[r].first; k < spans[r].second; ++k) since_release += data_size(k);
          for (auto& [i, one] : rs) results[i] = std::move(one);
          if (share) share->set_fraction(this_volume * runs + r + 1, volumes * runs);
          if (since_release >= kReleaseEvery || ++runs_since_release == 16) {
            since_release = 0;
            runs_since_release = 0;
            located->source->release(0, located->source->size());
          }
          return true;
        });
    size_t count = out.components.size();
    for (const auto& one : results) count += one.components.size();
    out.components.reserve(count);  // ~100k components of ~440 bytes: no doubling slack
    for (auto& one : results) {
      for (auto& c : one.components) out.components.push_back(std::move(c));
      for (auto& n : one.not_analysed) out.not_analysed.push_back(std::move(n));
    }
    if (!st) out.not_analysed.push_back({fmt::format("{}: volume '{}'", rel, info.name), st.error().message()});
    for (const auto& d : walk_diags.items())
      if (d.severity == Severity::kError) out.not_analysed.push_back({rel, d.text()});
  }
  // Read: what the loaders keep open for a diff holds none of its pages or decoded chunks.
  located->source->release(0, located->source->size());
  located->source->drop_caches();
}

}  // namespace upscope::build
