// The per-format reports of `upscope inspect FILE` (the "report" of each input in reports/inspect.hpp's
// document): each turns what the format's reader read into JSON and the same for people. What only
// reading can tell (record counts, a payload's own report) the caller reads and passes in.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "aa/aa.hpp"
#include "advisory/advisory.hpp"
#include "aea/aea.hpp"
#include "apfs/container.hpp"
#include "apfs/volume.hpp"
#include "bom/bom.hpp"
#include "bxdiff50/bxdiff50.hpp"
#include "chunklist/chunklist.hpp"
#include "compress/complzss.hpp"
#include "compress/lzbitmap.hpp"
#include "compress/lzfse_blocks.hpp"
#include "hfs/volume.hpp"
#include "img4/im4p.hpp"
#include "img4/img4.hpp"
#include "kc/kc.hpp"
#include "macho/macho.hpp"
#include "manifest/semantic.hpp"
#include "ota/ota.hpp"
#include "partition/partition_map.hpp"
#include "pbzx/pbzx.hpp"
#include "pkg/pkg.hpp"
#include "plist/tree.hpp"
#include "reports/format_report.hpp"
#include "reports/json.hpp"
#include "ridiff10/ridiff10.hpp"
#include "trustcache/trustcache.hpp"
#include "udif/disk_image.hpp"
#include "zip/archive.hpp"

namespace upscope::reports {

// Security advisory pages: the entries with their placement.
FormatReport advisory_report(const advisory::Advisory& a);

// AEA: the header, the auth data and the prologue, when the contents could not be opened or, with
// `key_hint` (how to give the key the profile needs), when no key was given.
FormatReport aea_header_report(const aea::Header& h, const std::optional<std::string>& key_hint);
// The payload inside, as identified and read by its own format's report (unset: no reader for it).
struct AeaPayload {
  std::string format, description;
  std::optional<FormatReport> report;
  uint64_t segments_checked = 0;
};
// The decrypted archive; `payload` unset when it could not be identified.
FormatReport aea_report(const aea::Archive& a, std::optional<AeaPayload> payload);

// APFS: what was read of a volume once opened (its snapshots unset when they could not be listed).
struct ApfsVolumeReading {
  std::optional<std::vector<apfs::Snapshot>> snapshots;
  std::string cryptex_role;  // sealed volumes: the heuristic's guess, "" for none
};
// One reading per volume of c.volumes(), unset when it was not opened.
FormatReport apfs_report(const apfs::Container& c, const std::vector<std::optional<ApfsVolumeReading>>& volumes);
// Volumes listed by the container but whose superblock could not be read: not opened.
bool apfs_volume_unreadable(const apfs::VolumeInfo& v);

// HFS+ / HFSX: the header, the catalog B-tree's shape and (when the catalog could be walked) its records.
FormatReport hfs_report(const hfs::VolumeInfo& info, const hfs::BTreeShape& catalog,
                        const std::optional<hfs::Volume::Counts>& records);

// Disk images: UDIF, sparse image, raw disk; `map` unset when no partition map could be read.
FormatReport disk_image_report(const udif::DiskImage& img, const std::optional<partition::PartitionMap>& map);
FormatReport encrypted_disk_image_report();

// BOM stores, flat packages (per component: the paths its Bom lists and its Scripts archive, when read).
FormatReport bom_report(const bom::Bom& b);
struct PkgComponentContents {
  std::optional<uint64_t> bom_paths;
  std::optional<pkg::Listing> scripts;
};
FormatReport pkg_report(const pkg::Package& p, const std::vector<PkgComponentContents>& components);

// Patches and archives.
FormatReport patch_report(const bxdiff50::Patch& p);
FormatReport patch_report(const ridiff10::Patch& p);
FormatReport apple_archive_report(const aa::Listing& l);
FormatReport chunklist_report(const chunklist::Chunklist& cl);

// OTA/RSR update packages (`touched`: the device paths they write, patch or remove) and other zips.
FormatReport update_report(const ota::Package& p, size_t touched);
FormatReport zip_report(const zip::Archive& a);

// Compressed streams. `adler`: the complzss body decoded, unset when it does not decode.
FormatReport pbz_report(const pbzx::Stream& s);
FormatReport lzss_report(const compress::ComplzssHeader& h, const std::optional<compress::ComplzssPayload>& adler);
FormatReport lzfse_report(const compress::LzfseLayout& l);
FormatReport lzbitmap_report(const compress::LzbitmapLayout& l);

// Property lists: the facts of the semantic reader that recognised it (`view`), then the whole tree
// (always with no view; with one only when `whole_tree`).
FormatReport plist_report(const plist::Document& doc, const manifest::SemanticView* view, bool whole_tree);

// Mach-O. A fileset entry's own header, read in place (unset: the entry lies outside the file).
struct FilesetEntryHeader {
  std::optional<Result<macho::MachO>> header;
};
// `fileset`: one per fileset entry of the first slice's image (MH_FILESET only), else nullptr.
FormatReport macho_report(const macho::FatFile& f, const std::vector<FilesetEntryHeader>* fileset);

// Kernel collections: the collection view appended to a Mach-O or IM4P report.
void add_kernel_collection(FormatReport& r, const kc::KernelCollection& kc);
// IM4P: its DER fields; `payload` the kernel collection read from it (nullptr: encrypted, not read).
FormatReport im4p_report(const img4::Im4p& p, const Result<kc::KernelCollection>* payload);

// Trust caches, and IMG4 containers whose IM4P is not one (the container's layout only).
FormatReport trust_cache_report(const trustcache::TrustCache& tc);
FormatReport image4_report(const img4::Image4& img);

}  // namespace upscope::reports
