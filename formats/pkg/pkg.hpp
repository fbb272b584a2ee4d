// Installer packages (docs/formats/pkg.md): a xar archive read with libarchive. A component package
// holds Bom, PackageInfo, Payload and Scripts at its top; a product archive holds a Distribution and
// one directory per component ("Hello.pkg/Bom", ...). Payload and Scripts are cpio archives, gzip-
// compressed or pbzx-wrapped, listed here as a stream (nothing is extracted or held whole).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "inspect/diagnostics.hpp"
#include "inspect/result.hpp"
#include "inspect/source.hpp"
#include "pkg/toc.hpp"

namespace upscope::pkg {

// One member of a xar archive or one entry of a cpio archive.
struct ArchiveEntry {
  std::string path;
  char type = 'F';     // F file, D directory, L symlink, H hard link, C/B devices, P fifo, S socket, ? other
  uint32_t mode = 0;   // st_mode (type bits and permissions)
  int64_t uid = 0, gid = 0;
  uint64_t size = 0;
  int64_t mtime = 0;
  std::string link;    // symlink target, or the hard link's target path
};

enum class Kind { kComponent, kProduct, kOther };
const char* to_string(Kind k);  // "component", "product", "other"

struct Component {
  std::string name;  // "" for a flat component package, "Hello.pkg" inside a product archive
  // Member paths ("" when absent).
  std::string bom, payload, scripts, package_info;
};

struct Package {
  Toc toc;
  Kind kind = Kind::kOther;
  std::vector<ArchiveEntry> members;    // in archive order
  std::vector<Component> components;    // sorted by name
  bool distribution = false;            // a top-level Distribution (product archive)
};

struct ReadOptions {
  uint64_t max_toc = uint64_t{64} << 20;  // declared TOC size allowed
  size_t max_members = 1'000'000;
};

// Reads the TOC (bounded by our own check) and every member's header with libarchive.
Result<Package> read(const Source& src, const ReadOptions& opt = {});

// One member's bytes, which must be at most max_size (kLimit otherwise).
Result<std::vector<uint8_t>> read_member(const Source& src, const std::string& member, uint64_t max_size);

struct ListOptions {
  uint64_t max_decoded = uint64_t{64} << 30;  // pbzx bytes decoded, at most (decompression-bomb guard)
  size_t max_entries = 2'000'000;            // entries kept; counting goes on
};

struct Listing {
  std::string container;  // "gzip-cpio", "pbzx-cpio", "bzip2-cpio", "xz-cpio", "cpio"
  std::vector<ArchiveEntry> entries;
  uint64_t count = 0;     // entries seen (more than entries.size() when truncated)
  bool truncated = false;
};

// The cpio archive in a member (Payload, Scripts), streamed out of the package.
Result<Listing> list_member_archive(const Source& src, const std::string& member, const ListOptions& opt = {});
// The same for a cpio archive (gzip, bzip2, xz, pbzx or plain) that is a file of its own, e.g. an
// OTA's Scripts.
Result<Listing> list_archive(const Source& src, const ListOptions& opt = {});

nlohmann::ordered_json to_json(const ArchiveEntry& e);
nlohmann::ordered_json to_json(const Package& p);
std::string to_text(const Package& p);
std::string mode_string(uint32_t mode);  // "100644"

}  // namespace upscope::pkg
