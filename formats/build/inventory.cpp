#include "build/inventory.hpp"

#include <algorithm>
#include <filesystem>
#include <future>
#include <set>

#include <fmt/format.h>

#include "build/build_images.hpp"
#include "build/dyld_components.hpp"
#include "build/functions.hpp"
#include "build/kc_components.hpp"
#include "build/inventory_internal.hpp"
#include "build/system_version.hpp"
#include "identify/identify.hpp"
#include "inspect/classify.hpp"
#include "inspect/hash.hpp"
#include "inspect/progress.hpp"
#include "inspect/source.hpp"
#include "inspect/text.hpp"
#include "inspect/thread_pool.hpp"
#include "macho/macho.hpp"

namespace fs = std::filesystem;

namespace upscope::build {

namespace {


// What a Mach-O image contributes: UUID, version, code hash, exports and per-function hashes.
// `file` is the view its file offsets count from.
void fill_from_macho(Component& c, const macho::MachO& m, const ByteReader& file, bool symbols) {
  c.functions = function_hashes(m, file);
  if (m.uuid) c.uuid = uuid_string(Bytes(m.uuid->data(), m.uuid->size()));
  if (m.id_dylib) c.version = macho::version_string(m.id_dylib->current_version);
  else if (m.source_version && *m.source_version) c.version = macho::source_version_string(*m.source_version);
  c.code_hash = m.code_sha256;
  if (symbols)
    for (const auto& e : m.exports) c.symbols.push_back(e.name);
}

// A Mach-O in a system tree runs in user space unless the table placed it in kernel space.
Space code_space(const Placement& pl) { return pl.space == Space::kKernel ? Space::kKernel : Space::kUser; }

FileResult read_macho(const std::string& rel, const SourcePtr& src, const Placement& pl,
                      const InventoryOptions& opt, Component base) {
  FileResult r;
  Diagnostics d;
  macho::ParseOptions po;
  po.exports = opt.symbols;
  auto file = macho::parse_file(*src, d, po);
  if (!file) {
    r.not_analysed.push_back({rel, file.error().message()});
    r.components.push_back(std::move(base));
    return r;
  }
  base.kind = pl.kind == ComponentKind::kKernel || pl.kind == ComponentKind::kKext ? pl.kind : ComponentKind::kMachO;
  base.id = strip_cryptex_prefix(rel);
  base.space = code_space(pl);
  std::vector<std::string> uuids, codes;
  std::set<std::string> syms;
  for (const auto& s : file->slices) {
    if (!s.image) {
      r.not_analysed.push_back({rel, fmt::format("slice {}: {}", s.arch, s.error ? s.error->message() : "unreadable")});
      continue;
    }
    Component one;
    auto slice = ByteReader(src->contiguous().value_or(Bytes{}), 0, "slice").sub(s.offset, s.size);
    fill_from_macho(one, *s.image, slice ? *slice : ByteReader(), opt.symbols);
    // A universal file's functions are keyed per architecture: "x86_64:_main".
    for (auto& [name, hash] : one.functions)
      base.functions.emplace(file->slices.size() == 1 ? name : s.arch + ":" + name, hash);
    uuids.push_back(file->slices.size() == 1 ? one.uuid : s.arch + ":" + one.uuid);
    codes.push_back(one.code_hash);
    if (base.version.empty()) base.version = one.version;
    syms.insert(one.symbols.begin(), one.symbols.end());
  }
  for (size_t i = 0; i < uuids.size(); ++i) base.uuid += (i ? " " : "") + uuids[i];
  if (codes.size() == 1) base.code_hash = codes[0];
  else if (!codes.empty()) {
    std::string all;
    for (const auto& c : codes) all += c;
    base.code_hash = sha256_hex(Bytes(reinterpret_cast<const uint8_t*>(all.data()), all.size()));
  }
  base.symbols.assign(syms.begin(), syms.end());
  r.components.push_back(std::move(base));
  return r;
}

}  // namespace

// A dyld cache file is not a component itself (its images are, see dyld_components.hpp): its
// content hash, gigabytes of SHA-256, is computed only if the file ends up listed.
bool hashed_when_listed(const Source& src) {
  auto id = identify(src);
  return id && id->format == "dyld-cache";
}

// Everything after opening: hash, identify, and hand the bytes to the reader for their format.
// `depth` counts images opened inside images (a cryptex dmg in a tree), so nesting is bounded.
void add_content_hash(Component& c, const Source& src) {
  if (auto sha = hash_source(HashKind::kSha256, src)) c.hashes["sha256"] = *sha;
}

bool is_plain_file_name(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos &&
         name.find('\0') == std::string::npos;
}

FileResult read_source(const std::string& rel, SourcePtr src, const InventoryOptions& opt, Progress* progress,
                       unsigned depth, const SiblingOpener& siblings, const std::string* sha256) {
  FileResult r;
  Placement pl = classify_path(rel);
  Component c;
  // Code is known by its install path (a dylib in the OS cryptex is loaded as /System/Library/...);
  // other files keep their full path, so a cryptex's copy never shadows the system volume's.
  c.id = rel;
  c.path = rel;
  c.kind = pl.kind;
  c.space = pl.space;
  c.location = pl.location;
  c.size = src->size();
  auto id = identify(*src);
  const bool cache_file = id && id->format == "dyld-cache" && c.size <= opt.max_file_size;  // hashed_when_listed
  if (!cache_file && sha256) c.hashes["sha256"] = *sha256;
  else if (!cache_file) add_content_hash(c, *src);
  if (progress) progress->advance(c.size);
  if (!id) {
    r.not_analysed.push_back({rel, id.error().message()});
    r.components.push_back(std::move(c));
    return r;
  }
  if (c.size > opt.max_file_size) {
    r.not_analysed.push_back({rel, fmt::format("{} is larger than the {} parse limit: hashed only",
                                               human_size(c.size), human_size(opt.max_file_size))});
    r.components.push_back(std::move(c));
    return r;
  }
  if (id->format == "dyld-cache") return read_dyld_cache(rel, src, pl, opt, std::move(c), siblings);
  if (id->format == "im4p" || id->format == "lzss") return read_kernel_collection(rel, src, pl, opt, std::move(c));
  if (id->format == "macho" || id->format == "macho-fat" || id->format == "macho-fileset") {
    // Readers below parse from memory: a file inside an image is read into memory once.
    if (!src->contiguous()) {
      std::vector<uint8_t> buf(c.size);
      if (auto st = src->read_at(0, buf); !st) {
        r.not_analysed.push_back({rel, st.error().message()});
        r.components.push_back(std::move(c));
        return r;
      }
      src = std::make_shared<MemorySource>(std::move(buf), src->name());
    }
    if (id->format == "macho-fileset") return read_kernel_collection(rel, src, pl, opt, std::move(c));
    return read_macho(rel, src, pl, opt, std::move(c));
  }
  if (id->format == "udif-encrypted" || id->format == "aea")
    r.not_analysed.push_back({rel, id->description});
  else if (pl.kind == ComponentKind::kCryptexImage)
    expand_cryptex_image(rel, src, pl, opt, depth, r);
  r.components.push_back(std::move(c));
  return r;
}

namespace {

FileResult read_file(const fs::path& root, const fs::path& file, const Result<SourcePtr>& src,
                     const std::string* sha256, const InventoryOptions& opt, Progress* progress) {
  std::string rel = "/" + file.lexically_relative(root).generic_string();
  if (!src) {
    FileResult r;
    r.not_analysed.push_back({rel, src.error().message()});
    return r;
  }
  const fs::path dir = file.parent_path();
  SiblingOpener siblings = [dir](const std::string& name) { return FileSource::open((dir / name).string()); };
  return read_source(rel, *src, opt, progress, 0, siblings, sha256);
}

}  // namespace

Result<BuildInventory> make_inventory(const std::string& path, const InventoryOptions& opt, Diagnostics& diags) {
  std::error_code ec;
  fs::path root(path);
  auto st = fs::symlink_status(root, ec);
  if (ec || !fs::exists(st)) {
    Error e = make_error(ErrorCode::kIo, "", "cannot read: " + (ec ? ec.message() : std::string("no such file or directory")));
    e.file = path;
    return fail(e);
  }
  BuildInventory inv;
  inv.source = path;
  std::vector<fs::path> files;
  std::vector<uint64_t> sizes;  // of files, 0 when unknown
  uint64_t total = 0;
  if (fs::is_directory(st)) {
    // Symlinks are not followed (a hostile tree could loop); they are recorded with their target.
    for (auto it = fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      const auto& e = *it;
      // Lexically: the walk's paths start with `root` (fs::relative would resolve every path on disk).
      std::string rel = "/" + e.path().lexically_relative(root).generic_string();
      if (e.is_symlink()) {
        Component c;
        Placement pl = classify_path(rel);
        c.id = rel;
        c.path = rel;
        c.location = pl.location;
        c.space = pl.space;
        c.kind = ComponentKind::kFile;
        std::string target = fs::read_symlink(e.path(), ec).generic_string();
        ec.clear();
        c.hashes["symlink"] = target;
        inv.components.push_back(std::move(c));
        continue;
      }
      if (e.is_regular_file()) {
        files.push_back(e.path());
        sizes.push_back(e.file_size(ec));
        total += sizes.back();
        ec.clear();
      } else if (!e.is_directory()) {
        inv.not_analysed.push_back({rel, "not a regular file, directory or symlink"});
      }
    }
    if (ec) diags.warning(std::nullopt, "directory walk", fmt::format("{}: {}", path, ec.message()));
    read_system_version(root, inv, diags);
  } else {
    // An IPSW or an image list is a whole build, not one image (build_images.hpp).
    if (auto whole = read_build_file(path, opt, diags)) return std::move(*whole);
    files.push_back(root);
    total = fs::file_size(root, ec);
    sizes.push_back(total);
  }

  Progress progress("inventory " + root.filename().string(), total);
  ThreadPool pool(opt.jobs);
  std::vector<FileResult> results(files.size());
  // Largest first, so that no multi-GB file (a dyld cache, a cryptex dmg) starts last and runs alone.
  std::vector<size_t> order(files.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) { return sizes[x] > sizes[y]; });
  // Small files go to the workers up to 32 (or 8 MiB) at a time: sorted by size, a batch's files are
  // of similar length, so their SHA-256s run side by side to the end (hash_sources).
  const fs::path base = fs::is_directory(st) ? root : root.parent_path();
  const auto batches = batch_ranges(order.size(), 32, 8u << 20, [&](size_t k) { return sizes[order[k]]; });
  ordered_parallel_map(
      pool, batches.size(), pool.size() * 4,
      [&](size_t b) {
        auto [first, last] = batches[b];
        std::vector<Result<SourcePtr>> opened;
        for (size_t k = first; k < last; ++k) opened.push_back(FileSource::open(files[order[k]].string()));
        SourceBatch hashing;
        hashing.count = opened.size();
        hashing.open = [&](size_t k) -> Result<SourcePtr> {
          if (!opened[k]) return fail(opened[k].error());
          if (hashed_when_listed(**opened[k])) return fail(ErrorCode::kUnsupported, "", "hashed when listed");
          return *opened[k];
        };
        auto sha = hash_sources(HashKind::kSha256, hashing);
        std::vector<FileResult> out;
        for (size_t k = 0; k < opened.size(); ++k)
          out.push_back(read_file(base, files[order[first + k]], opened[k], sha[k] ? &*sha[k] : nullptr, opt, &progress));
        return out;
      },
      [&](size_t b, std::vector<FileResult> rs) {
        for (size_t k = 0; k < rs.size(); ++k) results[order[batches[b].first + k]] = std::move(rs[k]);
        return true;
      });
  progress.finish();
  for (auto& r : results) {
    for (auto& c : r.components) inv.components.push_back(std::move(c));
    for (auto& n : r.not_analysed) inv.not_analysed.push_back(std::move(n));
  }
  inv.normalise();
  return inv;
}

}  // namespace upscope::build
