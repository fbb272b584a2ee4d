#include "ota/ota.hpp"

#include <algorithm>
#include <filesystem>
#include <mutex>
#include <future>
#include <map>

#include <fmt/format.h>

#include "aa/aa.hpp"
#include "bxdiff50/bxdiff50.hpp"
#include "identify/identify.hpp"
#include "inspect/text.hpp"
#include "ota/files.hpp"
#include "ota/listed.hpp"
#include "ota/metadata.hpp"
#include "ota/paths.hpp"
#include "pkg/pkg.hpp"
#include "ridiff10/ridiff10.hpp"

namespace upscope::ota {

const char* to_string(Kind k) {
  switch (k) {
    case Kind::kRsr: return "rsr";
    case Kind::kDeltaOta: return "delta-ota";
    case Kind::kFullOta: return "full-ota";
    case Kind::kUnknown: return "unknown";
  }
  return "unknown";
}

const char* to_string(Role r) {
  switch (r) {
    case Role::kMetadata: return "metadata";
    case Role::kPayload: return "payload";
    case Role::kFilePatch: return "file-patch";
    case Role::kImagePatch: return "image-patch";
    case Role::kReverseImagePatch: return "reverse-image-patch";
    case Role::kBasesystemPatch: return "basesystem-patch";
    case Role::kEncrypted: return "encrypted";
    case Role::kBoot: return "boot";
    case Role::kFileList: return "file-list";
    case Role::kOther: return "other";
  }
  return "other";
}

const char* to_string(Action a) {
  switch (a) {
    case Action::kWrite: return "write";
    case Action::kPatch: return "patch";
    case Action::kPatchImage: return "patch-image";
    case Action::kRemove: return "remove";
  }
  return "write";
}

namespace {

constexpr const char* kAssetInfo = "Info.plist";
constexpr const char* kUpdateInfo = "AssetData/Info.plist";

bool has_update_metadata(const PackageFiles& f) {
  return f.find(kUpdateInfo) || (f.find(kAssetInfo) && f.has_prefix("AssetData/"));
}

// Hashes the whole item and, for zip members, checks the central directory's CRC-32 on the way.
Result<std::string> hash_item(const Source& src, const FileRef& f, Diagnostics& diags, std::mutex& mu) {
  Hasher h(HashKind::kSha256);
  uint32_t crc = 0;
  const bool check_crc = f.member && f.member->method == zip::kMethodStored;
  constexpr uint64_t kPiece = 4 << 20;
  std::vector<uint8_t> buf;
  for (uint64_t off = 0; off < src.size(); off += kPiece) {
    uint64_t n = std::min(kPiece, src.size() - off);
    UPSCOPE_TRY(ByteReader r, src.view(off, n, buf));
    h.update(r.data());
    if (check_crc) crc = zip::crc32_update(crc, r.data());
  }
  if (check_crc && crc != f.member->crc32) {
    std::lock_guard<std::mutex> lock(mu);
    diags.error(f.member->data_offset, fmt::format("member '{}'", f.path),
                fmt::format("CRC-32 {:08x} does not match the central directory's {:08x}", crc, f.member->crc32));
  }
  return h.hex_digest();
}

std::string sniff_format(const Source& src) {
  auto id = identify(src);
  return id ? id->format : std::string("unreadable");
}

// A Scripts file, as installer packages carry (a gzip cpio, docs/formats/pkg.md §3): its scripts run
// during the install, so what they change cannot be read off the package.
std::string scripts_reason(const Source& src) {
  pkg::ListOptions lo;
  lo.max_entries = 64;
  lo.max_decoded = uint64_t{256} << 20;
  auto l = pkg::list_archive(src, lo);
  if (!l) return fmt::format("installer scripts that could not be listed ({}): they run during the install", l.error().message());
  std::string names;
  for (const auto& e : l->entries)
    if (e.type == 'F') names += (names.empty() ? "" : ", ") + e.path;
  return fmt::format("installer scripts ({}: {}{}): they run during the install; what they change is not analysed",
                     l->container, names.empty() ? "no files" : names, l->truncated ? ", ..." : "");
}

struct Work {
  const FileRef* ref;
  Item item;
  SourcePtr src;  // kept for payload walks
  std::vector<NotAnalysed> not_analysed;
};

void read_item(const PackageFiles& files, const ReadOptions& opt, Work& w, Diagnostics& diags, std::mutex& mu) {
  Item& it = w.item;
  const FileRef& f = *w.ref;
  it.path = f.path;
  it.size = f.size;
  it.stored_size = f.stored_size;
  it.compression = f.compression;
  PathInfo pi = classify_package_path(f.path);
  it.role = pi.role;
  it.target = pi.target;
  auto src = files.open_file(f, opt.max_inflate);
  if (!src) {
    it.error = src.error();
    it.format = "unreadable";
    w.not_analysed.push_back({f.path, src.error().message()});
    return;
  }
  w.src = *src;
  it.format = sniff_format(**src);
  if (opt.hash) {
    if (auto h = hash_item(**src, f, diags, mu)) it.sha256 = *h;
    else it.error = h.error();
  }
  // Content decides over the name where it must: encrypted data is named as such wherever it sits.
  if (it.format == "aea") {
    it.role = Role::kEncrypted;
    w.not_analysed.push_back({f.path, "encrypted (Apple Encrypted Archive, AEA1): what it writes cannot be read without the key"});
    return;
  }
  if ((it.role == Role::kOther) && (it.format == "apple-archive" || it.format.rfind("pbz", 0) == 0) &&
      f.path.rfind("AssetData/", 0) == 0)
    it.role = Role::kPayload;
  if (it.role == Role::kFilePatch || it.role == Role::kBasesystemPatch) {
    if (it.format != "bxdiff50" && it.format != "bxdiff4x") {
      w.not_analysed.push_back({f.path, fmt::format("expected a BXDIFF50 patch, found {}", it.format)});
      return;
    }
    bxdiff50::ParseOptions po;
    po.decode_data = false;
    auto p = bxdiff50::parse(**src, po);
    if (!p) {
      it.error = p.error().in_file(f.path);
      w.not_analysed.push_back({f.path, it.error->message()});
      return;
    }
    it.patched_size = p->header.patched_size;
    if (p->header.output_sha1) it.output_sha1 = to_hex(*p->header.output_sha1);
    if (p->header.input_sha1) it.input_sha1 = to_hex(*p->header.input_sha1);
    if (p->diagnostics.has_errors()) {
      std::lock_guard<std::mutex> lock(mu);
      for (const auto& d : p->diagnostics.items()) diags.add({d.severity, d.offset, f.path + ": " + d.structure, d.message});
    }
  } else if (it.role == Role::kImagePatch || it.role == Role::kReverseImagePatch) {
    if (it.format != "ridiff10") {
      // Older OTAs ship some image patches as BXDIFF50; anything else is not understood.
      if (it.format == "bxdiff50" || it.format == "bxdiff4x") return;
      w.not_analysed.push_back({f.path, fmt::format("expected a RIDIFF10 image patch, found {}", it.format)});
      return;
    }
    ridiff10::ParseOptions po;
    po.decode_patch_data = false;
    auto p = ridiff10::parse(**src, po);
    if (!p) {
      it.error = p.error().in_file(f.path);
      w.not_analysed.push_back({f.path, it.error->message()});
      return;
    }
    it.variants = p->header.variants;
    if (p->metadata.parsed) it.patched_size = p->metadata.total_bytes;
  } else if (it.role == Role::kBoot && pi.boot_unknown) {
    w.not_analysed.push_back({f.path, "boot item of undetermined role (restore ramdisk, image or firmware)"});
  } else if (it.role == Role::kOther && pi.unknown && (f.path == "Scripts" || f.path.ends_with("/Scripts"))) {
    w.not_analysed.push_back({f.path, scripts_reason(**src)});
  } else if (it.role == Role::kOther && pi.unknown) {
    w.not_analysed.push_back({f.path, fmt::format("package file of unknown purpose ({})", it.format)});
  }
}

Status read_removed_list(const PackageFiles& files, const FileRef& f, const ReadOptions& opt, std::vector<std::string>& out) {
  if (f.size > opt.max_file_list)
    return fail(make_error(ErrorCode::kLimit, "file list", fmt::format("{} bytes exceed the limit of {}", f.size, opt.max_file_list)).in_file(f.path));
  UPSCOPE_TRY(SourcePtr src, files.open_file(f, opt.max_inflate));
  UPSCOPE_TRY(auto bytes, src->read_vector(0, src->size()));
  std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    if (!line.empty()) out.emplace_back(line);
  }
  return {};
}

// Walks one payload archive, keeping the entries (capped) and hashing file data when asked.
Payload walk_payload(const Item& item, const Source& src, const ReadOptions& opt, Diagnostics& diags) {
  Payload pl;
  pl.item = item.path;
  auto bytes = src.contiguous();
  std::vector<uint8_t> copy;
  if (!bytes) {
    auto v = src.read_vector(0, src.size());
    if (!v) { pl.error = v.error(); return pl; }
    copy = std::move(*v);
    bytes = Bytes(copy);
  }
  aa::ReadOptions ro;
  ro.pool = opt.pool;
  ro.max_decoded = opt.max_payload_decoded;
  Diagnostics walk_diags;
  std::vector<uint8_t> buf;
  auto info = aa::walk(*bytes, ro, walk_diags, [&](aa::Visit& v) -> Status {
    const aa::Entry& e = v.entry;
    char t = e.type().value_or(0);
    switch (t) {
      case 'F': ++pl.files; break;
      case 'D': ++pl.directories; break;
      case 'L': ++pl.symlinks; break;
      default: ++pl.other; break;
    }
    if (pl.entries.size() >= opt.max_payload_entries) {
      pl.truncated = true;
      return {};
    }
    PayloadEntry pe;
    pe.path = e.path().value_or("");
    pe.type = t;
    const aa::Field* dat = e.find("DAT");
    if (dat) pe.size = dat->uint_value;
    else if (auto siz = e.uint("SIZ")) pe.size = *siz;
    if (auto op = e.uint("YOP")) pe.op = static_cast<char>(*op);
    pe.link = e.link().value_or("");
    if (opt.entry_hash && t == 'F' && dat) {
      // Blobs follow the header in field order: skip the ones before DAT, then hash DAT.
      Hasher h(*opt.entry_hash);
      buf.resize(1 << 20);
      for (const auto& f : e.fields) {
        if (f.kind != aa::FieldKind::kBlob) continue;
        uint64_t left = f.uint_value;
        const bool is_dat = &f == dat;
        while (left) {
          size_t want = static_cast<size_t>(std::min<uint64_t>(left, buf.size()));
          UPSCOPE_TRY(size_t got, v.read_payload(std::span<uint8_t>(buf.data(), want)));
          if (got == 0) return fail(make_error(ErrorCode::kTruncated, fmt::format("entry '{}'", pe.path), "DAT blob ends early"));
          if (is_dat) h.update(Bytes(buf.data(), got));
          left -= got;
        }
        if (is_dat) break;
      }
      pe.hash = h.hex_digest();
    }
    pl.entries.push_back(std::move(pe));
    return {};
  });
  if (!info) {
    pl.error = info.error().in_file(item.path);
  } else {
    pl.container = info->container;
    pl.decoded_size = info->decoded_size;
  }
  for (const auto& d : walk_diags.items()) diags.add({d.severity, d.offset, item.path + ": " + d.structure, d.message});
  if (!pl.error && walk_diags.has_errors()) {
    for (const auto& d : walk_diags.items())
      if (d.severity == Severity::kError) {
        pl.error = make_error(ErrorCode::kMalformed, d.structure, d.message, d.offset).in_file(item.path);
        break;
      }
  }
  return pl;
}

void classify(Package& p) {
  const Metadata& m = p.metadata;
  size_t payloads = 0, file_patches = 0, image_patches = 0;
  for (const auto& it : p.items) {
    payloads += it.role == Role::kPayload;
    file_patches += it.role == Role::kFilePatch;
    image_patches += it.role == Role::kImagePatch;
  }
  auto& r = p.reasons;
  const bool splat_type = m.asset_type.find("Splat") != std::string::npos;
  if (m.splat_only.value_or(false) || splat_type) {
    p.kind = Kind::kRsr;
    if (m.splat_only.value_or(false)) r.push_back("SplatOnly is true: Apple marks Rapid Security Responses (\"splat\") this way");
    if (splat_type) r.push_back(fmt::format("AssetType {} is a Splat (RSR) asset type", m.asset_type));
    if (!m.product_version_extra.empty())
      r.push_back(fmt::format("ProductVersionExtra {} is the RSR letter", m.product_version_extra));
    if (!m.prerequisite_build.empty())
      r.push_back(fmt::format("PrerequisiteBuild {}: the response applies on top of that build", m.prerequisite_build));
    r.push_back(fmt::format("{} cryptex image patch{}, {} payload archive{}, {} per-file patch{}", image_patches,
                            image_patches == 1 ? "" : "es", payloads, payloads == 1 ? "" : "s", file_patches,
                            file_patches == 1 ? "" : "es"));
    if (payloads || file_patches)
      p.diagnostics.warning(std::nullopt, "classification",
                            "the metadata says RSR but the package also writes or patches files outside the cryptex images");
    return;
  }
  if (!m.prerequisite_build.empty() || file_patches) {
    p.kind = Kind::kDeltaOta;
    if (!m.prerequisite_build.empty())
      r.push_back(fmt::format("PrerequisiteBuild {} is set: the update applies only on top of that build", m.prerequisite_build));
    if (file_patches)
      r.push_back(fmt::format("{} BXDIFF50 per-file patch{} (patches/)", file_patches, file_patches == 1 ? "" : "es"));
    r.push_back("SplatOnly is not true and the AssetType is not a Splat type: not an RSR");
    return;
  }
  if (payloads) {
    p.kind = Kind::kFullOta;
    r.push_back("no PrerequisiteBuild: the update does not depend on an installed build");
    r.push_back(fmt::format("{} payload archive{} write whole files, no per-file patches", payloads, payloads == 1 ? "" : "s"));
    if (image_patches)
      r.push_back(fmt::format("{} cryptex image patch{} (full replacements when no base image is needed)", image_patches,
                              image_patches == 1 ? "" : "es"));
    r.push_back("SplatOnly is not true and the AssetType is not a Splat type: not an RSR");
    return;
  }
  p.kind = Kind::kUnknown;
  if (image_patches)
    r.push_back(fmt::format("only {} cryptex image patch{}, but no SplatOnly or Splat AssetType and no PrerequisiteBuild: "
                            "the metadata does not say what this is", image_patches, image_patches == 1 ? "" : "es"));
  else
    r.push_back("no SplatOnly, no PrerequisiteBuild, and neither payload archives nor patches were found");
}

}  // namespace

bool is_update_package(const std::string& path) {
  Diagnostics d;
  std::error_code ec;
  if (!std::filesystem::is_directory(path, ec)) {
    // A zip by content; the central directory alone answers.
    auto src = FileSource::open(path);
    if (!src || (*src)->size() < 4) return false;
    uint8_t head[4];
    if (!(*src)->read_at(0, head) || head[0] != 'P' || head[1] != 'K') return false;
  }
  auto files = PackageFiles::open(path, 1'000'000, d);
  return files && has_update_metadata(*files);
}

namespace {
Result<Package> read_files(Package p, const PackageFiles& files, const std::string& path, const ReadOptions& opt);
}  // namespace

Result<Package> read_package(const std::string& path, const ReadOptions& opt) {
  Package p;
  p.source = path;
  UPSCOPE_TRY(PackageFiles files, PackageFiles::open(path, opt.max_items, p.diagnostics));
  return read_files(std::move(p), files, path, opt);
}

Result<Package> read_package(SourcePtr zip_source, const ReadOptions& opt) {
  Package p;
  const std::string name = zip_source->name();
  p.source = name;
  UPSCOPE_TRY(PackageFiles files, PackageFiles::open_zip(zip_source, p.diagnostics));
  return read_files(std::move(p), files, name, opt);
}

namespace {
Result<Package> read_files(Package p, const PackageFiles& files, const std::string& path, const ReadOptions& opt) {
  p.directory = files.is_directory();
  p.zip64 = files.zip64();
  if (!has_update_metadata(files))
    return fail(make_error(ErrorCode::kUnsupported, "",
                           "not an OTA/RSR update package: no AssetData/Info.plist, and no Info.plist beside an AssetData/ tree")
                    .in_file(path));

  // Metadata first: the asset attributes win over the update description.
  for (const auto& meta : {std::pair{kAssetInfo, true}, std::pair{kUpdateInfo, false}}) {
    // Plain variables, not a structured binding: clang 14 (the fuzz build) cannot capture those.
    const auto name = meta.first;
    const bool asset = meta.second;
    const FileRef* f = files.find(name);
    if (!f) continue;
    (asset ? p.metadata.asset_info : p.metadata.update_info) = true;
    Status st = [&]() -> Status {
      if (f->size > opt.max_plist)
        return fail(make_error(ErrorCode::kLimit, "property list", fmt::format("{} bytes exceed the limit of {}", f->size, opt.max_plist)).in_file(name));
      UPSCOPE_TRY(SourcePtr src, files.open_file(*f, opt.max_inflate));
      UPSCOPE_TRY(auto bytes, src->read_vector(0, src->size()));
      return merge_plist(bytes, name, asset, p.metadata);
    }();
    if (!st) {
      p.diagnostics.add(st.error());
      p.not_analysed.push_back({name, st.error().message()});
    }
  }

  // Every file, in parallel: open, identify, hash, read patch headers.
  std::vector<Work> work(files.files().size());
  for (size_t i = 0; i < work.size(); ++i) work[i].ref = &files.files()[i];
  std::mutex mu;
  std::vector<Diagnostics> item_diags(work.size());
  auto run = [&](size_t i) { read_item(files, opt, work[i], item_diags[i], mu); };
  if (opt.pool && work.size() > 1) {
    std::vector<std::future<void>> futs;
    futs.reserve(work.size());
    for (size_t i = 0; i < work.size(); ++i) futs.push_back(opt.pool->submit([&run, i] { run(i); }));
    for (auto& fu : futs) fu.get();
  } else {
    for (size_t i = 0; i < work.size(); ++i) run(i);
  }
  for (auto& d : item_diags) p.diagnostics.append(d);

  // Pair cryptex image patches with their -rev partners.
  std::map<std::string, size_t> by_path;
  for (size_t i = 0; i < work.size(); ++i) by_path[work[i].item.path] = i;
  for (auto& w : work) {
    Item& it = w.item;
    if (it.role != Role::kReverseImagePatch) continue;
    std::string fwd = it.path.substr(0, it.path.size() - 4);
    auto f = by_path.find(fwd);
    if (f != by_path.end() && work[f->second].item.role == Role::kImagePatch) {
      it.partner = fwd;
      work[f->second].item.partner = it.path;
    } else {
      p.diagnostics.warning(std::nullopt, it.path, "reverse image patch without its forward patch");
    }
  }
  for (auto& w : work)
    if (w.item.role == Role::kImagePatch && w.item.partner.empty())
      p.diagnostics.note(std::nullopt, w.item.path, "image patch without a -rev partner (the response could not be removed)");

  // Payload archives: walked one at a time, each decoding its chunks on the pool.
  for (auto& w : work) {
    if (w.item.role != Role::kPayload || !w.src || !opt.list_payloads) continue;
    Payload pl = walk_payload(w.item, *w.src, opt, p.diagnostics);
    if (pl.error) p.not_analysed.push_back({w.item.path, pl.error->message()});
    p.payloads.push_back(std::move(pl));
    w.src.reset();
  }
  // removed.txt lists paths the update deletes.
  for (auto& w : work) {
    if (w.item.role != Role::kFileList || w.item.path.size() < 11 ||
        w.item.path.compare(w.item.path.size() - 11, 11, "removed.txt") != 0)
      continue;
    std::vector<std::string> lines;
    if (auto st = read_removed_list(files, *w.ref, opt, lines); !st) {
      p.not_analysed.push_back({w.item.path, st.error().message()});
      continue;
    }
    Payload pl;
    pl.item = w.item.path;
    pl.container = "text";
    for (auto& l : lines) {
      PayloadEntry e;
      e.path = l.front() == '/' ? l.substr(1) : l;
      e.op = 'R';
      pl.entries.push_back(std::move(e));
      ++pl.other;
    }
    p.payloads.push_back(std::move(pl));
  }
  for (auto& w : work) {
    for (auto& n : w.not_analysed) p.not_analysed.push_back(std::move(n));
    p.items.push_back(std::move(w.item));
  }
  add_listed_items(files, opt, p);
  classify(p);
  return p;
}
}  // namespace

}  // namespace upscope::ota
