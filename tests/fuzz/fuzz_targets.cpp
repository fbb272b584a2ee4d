#include "fuzz_targets.hpp"

#include <vector>

#include "aa/aa.hpp"
#include "bom/bom.hpp"
#include "analysis/advisory_placement.hpp"
#include "aea/aea.hpp"
#include "apfs/container.hpp"
#include "apfs/volume.hpp"
#include "analysis/build_images.hpp"
#include "analysis/trust_cache_diff.hpp"
#include "bxdiff50/bxdiff50.hpp"
#include "chunklist/chunklist.hpp"
#include "compress/codec.hpp"
#include "encoding.hpp"  // the catalogue's stored blobs (catalog/src)
#include "compress/lzbitmap.hpp"
#include "compress/stream_decode.hpp"
#include "disasm/address_map.hpp"
#include "disasm/normalize.hpp"
#include "disasm/symbolic.hpp"
#include "dyld_cache/cache.hpp"
#include "hfs/volume.hpp"
#include "identify/identify.hpp"
#include "img4/im4p.hpp"
#include "inspect/hash.hpp"
#include "inspect/source.hpp"
#include "kc/kc.hpp"
#include "kc/prelink.hpp"
#include "macho/entitlements.hpp"
#include "macho/macho.hpp"
#include "manifest/build_manifest.hpp"
#include "manifest/bundle_info.hpp"
#include "manifest/semantic.hpp"
#include "ota/ota.hpp"
#include "partition/partition_map.hpp"
#include "pbzx/pbzx.hpp"
#include "pkg/pkg.hpp"
#include "plist/parse.hpp"
#include "plist/tree.hpp"
#include "ridiff10/ridiff10.hpp"
#include "trustcache/trustcache.hpp"
#include "udif/disk_image.hpp"
#include "udif/image.hpp"

namespace upscope::fuzz {

namespace {

// Decoders get a cap so bombs hit kLimit, not the OOM killer. 8 MiB still exercises every decoder's
// cap path; 64 MiB made each bomb cost ~0.2 s under ASan, which held the container targets (kc,
// stream_decode, ota_zip) to single-digit executions per second.
constexpr uint64_t kMaxOutput = 8ull << 20;

// A MemorySource copy per input would be a needless allocation: wrap the bytes instead.
class SpanSource final : public Source {
 public:
  explicit SpanSource(Bytes b) : b_(b) {}
  uint64_t size() const override { return b_.size(); }
  std::string name() const override { return "fuzz-input"; }
  Status read_at(uint64_t off, std::span<uint8_t> out) const override {
    if (!range_fits(off, out.size(), b_.size())) return fail(read_error(off, out.size()));
    std::copy_n(b_.begin() + static_cast<std::ptrdiff_t>(off), out.size(), out.begin());
    return {};
  }
  std::optional<Bytes> contiguous() const override { return b_; }

 private:
  Bytes b_;
};

void run_identify(Bytes data) {
  SpanSource src(data);
  (void)identify(src);
}

template <compress::Codec C>
void run_codec(Bytes data) {
  (void)compress::decode_to_vector(C, data, kMaxOutput);
  // Also into a small fixed buffer: the "never write past out" rule with a tight destination.
  std::vector<uint8_t> small(4096);
  (void)compress::decode(C, data, small);
}

// The streaming decoders of `upscope decompress` (xz, gzip, bzip2, zstd, LZ4 frame): the first
// byte picks the kind, the rest is the stream.
void run_stream_decode(Bytes data) {
  if (data.empty()) return;
  using compress::StreamKind;
  static constexpr StreamKind kKinds[] = {StreamKind::kXz, StreamKind::kGzip, StreamKind::kBzip2, StreamKind::kZstd,
                                          StreamKind::kLz4Frame};
  (void)compress::stream_decode(kKinds[data[0] % 5], data.subspan(1), kMaxOutput, [](Bytes) -> Status { return {}; });
}

// LZBITMAP (ZBM): the chunk-header walk, then the decoder into a growing and a tight buffer.
void run_lzbitmap(Bytes data) {
  (void)compress::lzbitmap_layout(ByteReader(data));
  run_codec<compress::Codec::kLzbitmap>(data);
}

SourcePtr shared(Bytes data) { return std::make_shared<SpanSource>(data); }

void run_udif(Bytes data) {
  Diagnostics d;
  SpanSource src(data);
  (void)udif::parse(src, &d);
  auto img = udif::open_disk_image(shared(data), &d);
  if (!img) return;
  // Read a few sectors through the chunk map: decoding errors must be values, never crashes.
  std::vector<uint8_t> buf(4096);
  for (uint64_t off : {uint64_t{0}, img->disk->size() / 2}) {
    uint64_t n = std::min<uint64_t>(buf.size(), img->disk->size() - std::min(off, img->disk->size()));
    (void)img->disk->read_at(off, std::span<uint8_t>(buf.data(), static_cast<size_t>(n)));
  }
}

void run_partition(Bytes data) {
  Diagnostics d;
  (void)partition::read_partition_map(shared(data), &d);
}

void run_apfs(Bytes data) {
  auto c = apfs::Container::open(shared(data));
  if (!c) return;
  for (size_t i = 0; i < (*c)->volumes().size() && i < 4; ++i) {
    auto v = (*c)->open_volume(i);
    if (!v) continue;
    Diagnostics d;
    std::vector<apfs::Inode> files;
    (void)(*v)->walk(2, "/", [&](const apfs::FileEntry& e) {
      files.push_back(e.inode);
      return files.size() < 256;
    }, d);
    // The way `ls --hash sha256` reads them: side by side in SHA-256 lanes, where a file may fail midway.
    SourceBatch batch;
    batch.count = files.size();
    batch.open = [&](size_t k) { return (*v)->open_data(files[k]); };
    (void)hash_sources(HashKind::kSha256, batch);
  }
}

void run_hfs(Bytes data) {
  Diagnostics d;
  auto v = hfs::Volume::open(shared(data), &d);
  if (!v) return;
  size_t files = 0;
  (void)(*v)->walk("/", [&](const hfs::FileEntry& e) {
    (void)(*v)->xattrs(e.target.id);
    if (e.target.is_file()) {
      if (auto src = (*v)->open_data(e.entry)) (void)hash_source(HashKind::kXxh3_64, **src);
      if (auto src = (*v)->open_fork(e.entry, true)) (void)hash_source(HashKind::kXxh3_64, **src);
    }
    return ++files < 256;
  }, d, 64, true);
}

void run_macho(Bytes data) {
  Diagnostics d;
  SpanSource src(data);
  auto f = macho::parse_file(src, d);
  if (!f) return;
  for (const auto& slice : f->slices) {  // and the entitlements each code signature carries
    if (!slice.image || !slice.image->code_signature) continue;
    const auto& cs = *slice.image->code_signature;
    auto bytes = ByteReader(data).sub(slice.offset, slice.size);
    if (!bytes) continue;
    if (auto sig = bytes->sub(cs.dataoff, cs.datasize)) (void)macho::entitlements(cs, *sig);
  }
}

void run_dyld_cache(Bytes data) {
  Diagnostics d;
  (void)dyld_cache::read_cache_file(shared(data), "", d);
}

void run_bxdiff50(Bytes data) {
  SpanSource src(data);
  (void)bxdiff50::parse(src);
}

void run_ridiff10(Bytes data) {
  SpanSource src(data);
  (void)ridiff10::parse(src);
}

void run_apple_archive(Bytes data) { (void)aa::list(data); }

// Apple Encrypted Archives: the header and auth data, then the archive opened with a fixed symmetric
// key (the seeds in regressions/aea are made with it: make_aea.py --key-hex 11...11), its signature
// and cluster walk, and its segments decoded (HMAC, AES-CTR, decompression, checksum).
void run_aea(Bytes data) {
  auto src = shared(data);
  (void)aea::read_header(*src);
  aea::Keys keys;
  keys.symmetric = std::vector<uint8_t>(32, 0x11);
  auto a = aea::open(src, keys);
  if (!a) return;
  for (size_t i = 0; i < (*a)->segments.size() && i < 64; ++i)
    if ((*a)->segments[i].plain_size <= kMaxOutput) (void)aea::decode_segment(**a, *src, i);
}

// An update package given as zip bytes: central directory, members, metadata plists, every item.
void run_ota_zip(Bytes data) {
  ota::ReadOptions opt;
  opt.max_inflate = kMaxOutput;
  opt.max_payload_decoded = kMaxOutput;
  opt.max_payload_entries = 4096;
  auto p = ota::read_package(shared(data), opt);
  if (p) (void)ota::touched_paths(*p);
}

void run_pbzx(Bytes data) {
  Diagnostics d;
  ByteReader r(data, 0, "pbzx");
  (void)pbzx::parse(r, d);
  (void)pbzx::decode_to_vector(r, kMaxOutput, 1);
}

// Kernel collections and kernelcaches, wrappers included (IM4P, complzss, LZFSE, fat).
void run_kc(Bytes data) {
  Diagnostics d;
  kc::OpenOptions opt;
  opt.jobs = 1;
  opt.max_decoded = kMaxOutput;
  (void)kc::read(ByteReader(data, 0, "fuzz"), "fuzz-input", d, opt);
}

// The __PRELINK_INFO XML dialect: our reader of it (plist/iokit_xml.hpp), and the ID/IDREF expansion
// into a plain plist that libplist then reads.
void run_prelink_info(Bytes data) {
  Diagnostics d;
  kc::ResolveLimits lim;
  lim.max_output = 16u << 20;
  (void)kc::parse_prelink_info(ByteReader(data, 0, "fuzz"), d, lim);
  if (auto text = kc::resolve_idrefs(ByteReader(data, 0, "fuzz"), nullptr, lim))
    (void)plist::parse(Bytes(reinterpret_cast<const uint8_t*>(text->data()), text->size()), "fuzz",
                       plist::Syntax::kXml);
}

void run_im4p(Bytes data) { (void)img4::parse_im4p(ByteReader(data, 0, "fuzz")); }

// An advisory (plain text, HTML or Markdown), then the changes it implies (component table, Impact lines).
void run_advisory(Bytes data) {
  auto a = advisory::parse(std::string_view(reinterpret_cast<const char*>(data.data()), data.size()), "fuzz-input");
  if (!a) return;
  (void)advisory::to_changes(*a);
  (void)advisory::to_json(*a);  // every entry's placement, as upscope inspect shows it
  (void)advisory::to_text(*a);
}

// An IPSW: the zip, BuildManifest.plist (header and manifest roles), then every member it places,
// read serially (kernelcaches, system and cryptex dmgs).
void run_ipsw(Bytes data) {
  Diagnostics d;
  build::InventoryOptions opt;
  opt.jobs = 1;
  opt.lazy_functions = true;  // the inventory alone: no function hashes
  (void)build::read_ipsw("fuzz-input.ipsw", shared(data), opt, d);
}

// A BuildManifest.plist's product, version and build.
void run_build_manifest(Bytes data) {
  BuildInventory inv;
  (void)build::read_build_manifest_header(data, inv);
}

// Code normalisation on arbitrary bytes: the listings' masking and our x86-64 length decoder, and
// the diff's symbolic normaliser with every kind of section, stub following and pointer slots
// (references land anywhere, in and out of the bytes), as the diff runs them on every image.
void run_disasm(Bytes data) {
  (void)disasm::mask_x86_64(data);
  std::vector<uint8_t> masked(data.begin(), data.end());
  (void)disasm::mask_arm64_image_relative(masked);
  const uint64_t base = 0x100000000, half = data.size() / 2;
  for (disasm::Arch arch : {disasm::Arch::kArm64, disasm::Arch::kX86_64}) {
    disasm::AddressMap map;
    map.set_reader([&](uint64_t a, uint64_t max) -> Bytes {
      if (a < base || a - base >= data.size()) return Bytes();
      return data.subspan(a - base, std::min<uint64_t>(max, data.size() - (a - base)));
    });
    map.add_section(base, half, "__TEXT,__text", disasm::SectionKind::kCode);
    map.add_section(base + half, half / 2, "__TEXT,__stubs", disasm::SectionKind::kStubs, 12);
    map.add_section(base + half + half / 2, half / 4, "__TEXT,__cstring", disasm::SectionKind::kCString);
    map.add_section(base + half + 3 * half / 4, data.size() - half - 3 * half / 4, "__DATA,__got",
                    disasm::SectionKind::kPointers, 8);
    for (uint64_t f = 0; f < half; f += 64) map.add_function(base + f, "f" + std::to_string(f), "sub");
    for (uint64_t p = half + 3 * half / 4; p + 8 <= data.size(); p += 8) map.add_rebase(base + p, load_u64le(data.data() + p));
    struct Odd : disasm::ExternalNames {
      std::optional<uint64_t> key(uint64_t a) override { return a & 1 ? std::nullopt : std::optional<uint64_t>(a >> 4); }
      std::string describe(uint64_t a) override { return "external+" + std::to_string(a); }
    };
    map.set_external(std::make_shared<Odd>());
    map.finish();
    (void)disasm::normalise_code(map, arch, {{base, data.subspan(0, half)}}, disasm::CodeDetail::kFull);
    (void)disasm::normalise_data(map, base + half, data.subspan(half), 8);
  }
}

// Any property list, binary or XML: the reference-bomb and depth bound, then libplist itself.
void run_plist(Bytes data) {
  auto p = plist::parse(data, "fuzz-input");
  if (p && *p) (void)plist::string_item(plist::get(*p), "CFBundleIdentifier");
}

// A chunklist, then the same bytes verified against it: the chunks are hashed over whatever of the
// input they cover (their offsets add up, so at most the input's size is hashed).
void run_chunklist(Bytes data) {
  SpanSource src(data);
  auto cl = chunklist::parse(src);
  if (!cl) return;
  (void)chunklist::to_json(*cl);
  (void)chunklist::to_json(chunklist::verify(*cl, shared(data)));
}

// A trust cache, raw or in an IM4P / IMG4, rendered and compared with itself.
void run_trustcache(Bytes data) {
  SpanSource src(data);
  auto tc = trustcache::parse(src);
  if (!tc) return;
  (void)trustcache::to_json(*tc);
  (void)trustcache::entries_text(*tc);
  (void)diff_trust_caches(*tc, *tc);
}

// A BOM: header, block table, variables, every tree, the Paths list with its parent chains.
void run_bom(Bytes data) {
  auto b = bom::parse(ByteReader(data, 0, "fuzz"), "fuzz-input");
  if (b) (void)bom::to_json(*b);
}

// An installer package: our TOC bound, libarchive's xar reader, each component's Bom and the cpio
// archives of its Payload and Scripts (gzip/bzip2/xz through libarchive, pbzx through ours); and the
// bytes as a wrapped cpio archive on their own (an OTA's Scripts).
// The catalogue's stored blobs, as a damaged database would hand them back: a build's members (its
// runs, then expanded), string lists and maps, not-analysed lists.
void run_catalog_blobs(Bytes data) {
  namespace cd = catalog::detail;
  static const std::vector<int64_t> base{3, 4, 5, 9, 1, 2};
  std::vector<int64_t> keys;
  (void)cd::decode_members(data, uint64_t{1} << 16, base, keys, "fuzz");
  uint64_t ops = 0;
  (void)cd::for_each_member_op(data, uint64_t{1} << 40, uint64_t{1} << 40,
                               [&](const cd::MemberOp&) { return ++ops < 4096; }, "fuzz");
  std::vector<std::string> list;
  (void)cd::decode_strings(data, list, "fuzz");
  std::map<std::string, std::string> map;
  (void)cd::decode_map(data, map, "fuzz");
  std::vector<NotAnalysed> na;
  (void)cd::decode_not_analysed(data, na, "fuzz");
}

void run_pkg(Bytes data) {
  SpanSource src(data);
  pkg::ListOptions lo;
  lo.max_decoded = kMaxOutput;
  lo.max_entries = 4096;
  (void)pkg::list_archive(src, lo);
  pkg::ReadOptions ro;
  ro.max_toc = kMaxOutput;
  ro.max_members = 4096;
  auto p = pkg::read(src, ro);
  if (!p) return;
  for (const auto& c : p->components) {
    if (!c.bom.empty())
      if (auto bytes = pkg::read_member(src, c.bom, kMaxOutput)) (void)bom::parse(ByteReader(Bytes(*bytes)), c.bom);
    for (const std::string* m : {&c.payload, &c.scripts})
      if (!m->empty()) (void)pkg::list_member_archive(src, *m, lo);
  }
}

// A property list as upscope inspect reads it: the owned tree, printed both ways, then the semantic
// reader it is recognised as, and the BuildManifest and bundle readers whatever it is.
void run_plist_tree(Bytes data) {
  auto doc = plist::read(data, "fuzz-input");
  if (!doc) return;
  (void)plist::to_text(doc->root, "  ");
  (void)plist::to_json(doc->root);
  (void)manifest::read_semantic(doc->root, "fuzz-input");
  (void)manifest::read_build_manifest(doc->root);
  (void)manifest::read_bundle_info(doc->root);
}

}  // namespace

const std::vector<Target>& targets() {
  using compress::Codec;
  static const std::vector<Target> kTargets = {
      {"identify", run_identify},
      {"codec_lzfse", run_codec<Codec::kLzfse>},
      {"codec_lzvn", run_codec<Codec::kLzvn>},
      {"codec_adc", run_codec<Codec::kAdc>},
      {"codec_lzss", run_codec<Codec::kLzss>},
      {"codec_lz4_block", run_codec<Codec::kLz4Block>},
      {"codec_zlib", run_codec<Codec::kZlib>},
      {"codec_xz", run_codec<Codec::kXz>},
      {"codec_lzma", run_codec<Codec::kLzma>},
      {"codec_bzip2", run_codec<Codec::kBzip2>},
      {"stream_decode", run_stream_decode},
      {"udif", run_udif},
      {"partition", run_partition},
      {"apfs", run_apfs},
      {"hfs", run_hfs},
      {"macho", run_macho},
      {"dyld_cache", run_dyld_cache},
      {"bxdiff50", run_bxdiff50},
      {"ridiff10", run_ridiff10},
      {"apple_archive", run_apple_archive},
      {"aea", run_aea},
      {"pbzx", run_pbzx},
      {"kc", run_kc},
      {"prelink_info", run_prelink_info},
      {"im4p", run_im4p},
      {"ota_zip", run_ota_zip},
      {"advisory", run_advisory},
      {"ipsw", run_ipsw},
      {"build_manifest", run_build_manifest},
      {"plist", run_plist},
      {"plist_tree", run_plist_tree},
      {"disasm", run_disasm},
      {"lzbitmap", run_lzbitmap},
      {"chunklist", run_chunklist},
      {"trustcache", run_trustcache},
      {"bom", run_bom},
      {"pkg", run_pkg},
      {"catalog_blobs", run_catalog_blobs},
  };
  return kTargets;
}

const Target* find_target(std::string_view name) {
  for (const auto& t : targets())
    if (name == t.name) return &t;
  return nullptr;
}

}  // namespace upscope::fuzz
