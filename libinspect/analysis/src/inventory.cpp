#include "analysis/inventory.hpp"

#include <algorithm>
#include <filesystem>
#include <future>
#include <map>
#include <set>

#include <fmt/format.h>

#include "analysis/build_images.hpp"
#include "dyld_components.hpp"
#include "aea_images.hpp"
#include "analysis/image_facts.hpp"
#include "trust_cache_components.hpp"
#include "kc_components.hpp"
#include "kext_bundles.hpp"
#include "inventory_internal.hpp"
#include "system_version.hpp"
#include "identify/identify.hpp"
#include "analysis/classify.hpp"
#include "inspect/hash.hpp"
#include "inspect/progress.hpp"
#include "inspect/source.hpp"
#include "inspect/text.hpp"
#include "inspect/thread_pool.hpp"
#include "macho/fixups.hpp"
#include "macho/macho.hpp"
#include "trustcache/trustcache.hpp"

namespace fs = std::filesystem;

namespace upscope::build {

namespace {


// What a Mach-O image contributes: UUID, version, exports.
void fill_from_macho(Component& c, const macho::MachO& m, bool symbols) {
  if (m.uuid) c.uuid = uuid_string(Bytes(m.uuid->data(), m.uuid->size()));
  if (m.id_dylib) c.version = macho::version_string(m.id_dylib->current_version);
  else if (m.source_version && *m.source_version) c.version = macho::source_version_string(*m.source_version);
  if (symbols)
    for (const auto& e : m.exports) c.symbols.push_back(e.name);
}

// A Mach-O in a system tree runs in user space unless the table placed it in kernel space.
Space code_space(const Placement& pl) { return pl.space == Space::kKernel ? Space::kKernel : Space::kUser; }

// Each slice of a parsed file as the diff sees it (image_facts.hpp). In a universal file, facts and
// functions carry the slice's architecture: "x86_64:_main".
struct SliceImage {
  const macho::FatSlice* slice;
  ByteReader bytes;
  std::shared_ptr<const macho::Fixups> fixups;
};

std::vector<SliceImage> slice_images(const macho::FatFile& file, const Source& src) {
  std::vector<SliceImage> out;
  const ByteReader whole(src.contiguous().value_or(Bytes{}), 0, "file");
  for (const auto& s : file.slices) {
    if (!s.image) continue;
    auto slice = whole.sub(s.offset, s.size);
    SliceImage si{&s, slice ? *slice : ByteReader(), nullptr};
    Diagnostics d;
    si.fixups = std::make_shared<const macho::Fixups>(macho::read_fixups(*s.image, si.bytes, s.image->text_vmaddr(), d));
    out.push_back(std::move(si));
  }
  return out;
}

// The drill-down of every slice of a file, read again when a diff asks (Component::detail_loader).
ComponentDetail file_detail(const SourcePtr& src) {
  ComponentDetail out;
  Diagnostics d;
  macho::ParseOptions po;
  po.file_hash = false;  // the component's hashes come from read_source
  auto file = macho::parse_file(*src, d, po);
  if (!file) return out;
  const bool fat = file->slices.size() > 1;
  for (const auto& si : slice_images(*file, *src)) {
    auto one = image_detail(file_image(*si.slice->image, si.bytes, si.slice->arch, si.fixups));
    const std::string prefix = fat ? si.slice->arch + ":" : "";
    for (auto& [k, f] : one.functions) out.functions.emplace(prefix + k, std::move(f));
    for (auto& [k, b] : one.sections) out.sections.emplace(std::move(k), std::move(b));
  }
  return out;
}

// Code hash, facts and (when asked) function hashes of every slice of a parsed file. In a universal
// file, facts and functions carry the slice's architecture ("x86_64:_main").
ComponentFacts file_facts(const macho::FatFile& file, const Source& src, std::map<std::string, std::string>* functions) {
  ComponentFacts out;
  std::vector<std::string> codes;
  const bool fat = file.slices.size() > 1;
  for (const auto& si : slice_images(file, src)) {
    const macho::FatSlice& s = *si.slice;
    auto facts = image_facts(file_image(*s.image, si.bytes, s.arch, si.fixups), functions != nullptr);
    if (functions)
      for (auto& [name, hash] : facts.functions) functions->emplace(fat ? s.arch + ":" + name : name, hash);
    for (auto& [k, v] : facts.facts) out.facts.emplace(k, std::move(v));
    codes.push_back(facts.code_hash);
  }
  if (codes.size() == 1) out.code_hash = codes[0];
  else if (!codes.empty()) {
    std::string all;
    for (const auto& c : codes) all += c;
    out.code_hash = sha256_hex(bytes_of(all));
  }
  return out;
}

// The same, reading the file again (Component::facts_loader).
ComponentFacts reread_facts(const SourcePtr& src) {
  Diagnostics d;
  macho::ParseOptions po;
  po.code_hash = false;
  po.file_hash = false;
  auto file = macho::parse_file(*src, d, po);
  return file ? file_facts(*file, *src, nullptr) : ComponentFacts{};
}

// A reopened file as parsers want it: contiguous (read into memory when it is not).
Result<SourcePtr> in_memory(Result<SourcePtr> src) {
  if (!src || (*src)->contiguous()) return src;
  UPSCOPE_TRY(std::vector<uint8_t> buf, (*src)->read_vector(0, (*src)->size()));
  return SourcePtr(std::make_shared<MemorySource>(std::move(buf), (*src)->name()));
}

// Whether the bytes come from a file on disk (a mapping, or a window of one), not from memory.
bool on_disk(const Source& src) {
  const Source* s = &src;
  while (s->parent()) s = s->parent();
  return dynamic_cast<const FileSource*>(s) != nullptr;
}

// `again`, when set, gives the file's bytes again later (its mapping, or the file reopened from its
// volume), so facts and drill-down are deferred to the loaders; without it everything is computed now.
FileResult read_macho(const std::string& rel, const SourcePtr& src, const Placement& pl,
                      const InventoryOptions& opt, Component base, const Reopener& again) {
  FileResult r;
  Diagnostics d;
  macho::ParseOptions po;
  po.exports = opt.symbols;
  po.code_hash = false;  // the symbolic code hash below replaces the masked one
  po.file_hash = false;  // read_source hashed the file already
  auto file = macho::parse_file(*src, d, po);
  if (!file) {
    r.not_analysed.push_back({rel, file.error().message()});
    r.components.push_back(std::move(base));
    return r;
  }
  base.kind = pl.kind == ComponentKind::kKernel || pl.kind == ComponentKind::kKext ? pl.kind : ComponentKind::kMachO;
  base.id = strip_cryptex_prefix(rel);
  base.space = code_space(pl);
  std::vector<std::string> uuids;
  std::set<std::string> syms;
  const bool fat = file->slices.size() > 1;
  for (const auto& s : file->slices) {
    if (!s.image) {
      r.not_analysed.push_back({rel, fmt::format("slice {}: {}", s.arch, s.error ? s.error->message() : "unreadable")});
      continue;
    }
    Component one;
    fill_from_macho(one, *s.image, opt.symbols);
    uuids.push_back(fat ? s.arch + ":" + one.uuid : one.uuid);
    if (base.version.empty()) base.version = one.version;
    syms.insert(one.symbols.begin(), one.symbols.end());
  }
  for (size_t i = 0; i < uuids.size(); ++i) base.uuid += (i ? " " : "") + uuids[i];
  base.symbols.assign(syms.begin(), syms.end());
  if (opt.lazy_functions && again) {
    base.facts_loader = [again] {
      auto s = again();
      return s ? reread_facts(*s) : ComponentFacts{};
    };
    base.detail_loader = [again] {
      auto s = again();
      return s ? file_detail(*s) : ComponentDetail{};
    };
  } else {
    auto f = file_facts(*file, *src, &base.functions);
    base.code_hash = std::move(f.code_hash);
    base.facts = std::move(f.facts);
  }
  r.components.push_back(std::move(base));
  return r;
}

}  // namespace

// Everything after opening: hash, identify, and hand the bytes to the reader for their format.
// `depth` counts images opened inside images (a cryptex dmg in a tree), so nesting is bounded.
void add_content_hash(Component& c, const Source& src) {
  if (auto sha = hash_source(HashKind::kSha256, src)) c.hashes["sha256"] = *sha;
}

bool is_plain_file_name(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos &&
         name.find('\0') == std::string::npos;
}

bool CacheFileHashes::claim(const std::string& path) {
  std::lock_guard lk(mu_);
  return given_.try_emplace(path).second;
}

void CacheFileHashes::give(const std::string& path, std::optional<std::string> sha256) {
  std::lock_guard lk(mu_);
  if (auto it = given_.find(path); it != given_.end()) it->second = std::move(sha256);
}

std::optional<std::string> CacheFileHashes::take(const std::string& path) {
  std::lock_guard lk(mu_);
  auto [it, first] = given_.try_emplace(path);
  return first ? std::nullopt : it->second;
}

FileResult read_source(const std::string& rel, SourcePtr src, const InventoryOptions& opt, Progress* progress,
                       unsigned depth, const SiblingOpener& siblings, const std::string* sha256,
                       const Reopener& reopen, CacheFileHashes* cache_hashes) {
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
  const bool macho = id && c.size <= opt.max_file_size &&
                     (id->format == "macho" || id->format == "macho-fat" || id->format == "macho-fileset");
  // Byte truth: every file carries the hash of its bytes, containers (dyld caches, kernel
  // collections, cryptex images) included, so a change outside what their readers list still shows.
  // A Mach-O inside an image is hashed once it is read into memory below: one decode, not two. So is
  // a dyld cache file, by the cache reader as it reads the images (dyld_components.cpp); a subcache's
  // hash comes from its main file's reader when it read the subcache (cache_hashes).
  const bool hash_in_memory = !sha256 && macho && !src->contiguous();
  const bool cache_file = !sha256 && id && id->format == "dyld-cache" && c.size <= opt.max_file_size &&
                          !src->contiguous();
  const bool main_cache = cache_file && is_main_cache_name(fs::path(rel).filename().string());
  std::optional<std::string> given;
  if (cache_file && !main_cache && cache_hashes) given = cache_hashes->take(rel);
  if (sha256) c.hashes["sha256"] = *sha256;
  else if (given) c.hashes["sha256"] = *given;
  else if (!hash_in_memory && !main_cache) add_content_hash(c, *src);
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
  if (trustcache::identified_as_trust_cache(*id)) return read_trust_cache(rel, *src, std::move(c));
  if (id->format == "dyld-cache") return read_dyld_cache(rel, src, pl, opt, std::move(c), siblings, cache_hashes);
  if (id->format == "im4p" || id->format == "lzss") return read_kernel_collection(rel, src, pl, opt, std::move(c));
  if (macho) {
    // Readers below parse from memory: a file inside an image is read into memory once, and read
    // again only if a diff asks. Only a mapping of a file on disk is kept for the loaders: a source
    // that owns its bytes (an inline-compressed file decoded into memory) would hold them for the
    // whole diff, which was ~200 MB per build of a system volume's small Mach-Os.
    Reopener again;
    if (src->contiguous() && on_disk(*src)) again = [src]() -> Result<SourcePtr> { return src; };
    else if (reopen)  // held once for both loaders: a system volume has ~25k Mach-Os
      again = [shared = std::make_shared<const Reopener>(reopen)]() -> Result<SourcePtr> { return in_memory((*shared)()); };
    if (!src->contiguous()) {
      std::vector<uint8_t> buf(c.size);
      if (auto st = src->read_at(0, buf); !st) {
        r.not_analysed.push_back({rel, st.error().message()});
        r.components.push_back(std::move(c));
        return r;
      }
      src = std::make_shared<MemorySource>(std::move(buf), src->name());
      if (hash_in_memory) add_content_hash(c, *src);
    }
    if (id->format == "macho-fileset") return read_kernel_collection(rel, src, pl, opt, std::move(c));
    return read_macho(rel, src, pl, opt, std::move(c), again);
  }
  if (id->format == "aea") {
    // A cryptex shipped AEA-wrapped: its plaintext expands like the dmg; other archives are hashed.
    auto plain = open_aea_image(rel, src, opt);
    if (!plain) r.not_analysed.push_back({rel, plain.error().message()});
    else if (pl.kind == ComponentKind::kCryptexImage) expand_cryptex_image(rel, *plain, pl, opt, depth, r);
  } else if (id->format == "udif-encrypted") {
    r.not_analysed.push_back({rel, id->description});
  } else if (pl.kind == ComponentKind::kCryptexImage) {
    expand_cryptex_image(rel, src, pl, opt, depth, r);
  }
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
  if (fs::is_directory(st)) group_kext_bundles(root, inv);
  inv.normalise();
  return inv;
}

}  // namespace upscope::build
