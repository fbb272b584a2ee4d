// BOM files (`BOMStore`, docs/formats/bom.md): the file lists of installer packages, receipts and OTA
// packages. parse() reads the header, block table and variables (fatal when broken), then the Paths
// tree into full paths with their metadata, and the statistics of every tree; a broken tree node or
// path record is an error diagnostic on a partial list.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "inspect/byte_reader.hpp"
#include "inspect/diagnostics.hpp"
#include "inspect/result.hpp"

namespace upscope::bom {

struct Header {
  uint32_t version = 0;
  uint32_t blocks_in_use = 0;
  uint32_t table_offset = 0, table_length = 0;
  uint32_t variables_offset = 0, variables_length = 0;
};

struct Variable {
  std::string name;
  uint32_t block = 0;
  uint64_t offset = 0;  // of the variable record in the file
  std::optional<uint32_t> address, length;  // of its block (unset when the block does not resolve)
};

struct BomInfoEntry {
  uint32_t cpu_type = 0;  // 0: not code
  uint32_t bytes = 0;
};
struct BomInfo {
  uint32_t version = 0;
  uint32_t path_count = 0;
  std::vector<BomInfoEntry> entries;
};

// One tree's shape (§4): what its header declares and what the walk found.
struct TreeStats {
  std::string name;          // the variable: "Paths", "HLIndex", "Size64", "VIndex"
  uint32_t header_block = 0;
  uint32_t root_block = 0;
  uint32_t node_size = 0;
  uint32_t declared_entries = 0;
  uint64_t entries = 0;      // counted along the leaf chain
  uint64_t leaf_nodes = 0, branch_nodes = 0;
  uint32_t depth = 0;        // levels, the root being level 1
  bool complete = false;     // walked without an error
};

enum class Type : uint8_t { kFile = 1, kDirectory = 2, kSymlink = 3, kDevice = 4 };
const char* type_name(uint8_t type);  // "file", "directory", "symlink", "device", "other"

struct Arch {
  uint32_t cpu_type = 0, cpu_subtype = 0, bytes = 0, checksum = 0;
};

struct PathEntry {
  std::string path;           // "./Restore/BootabilityBundle"; "?/" + name when the parent chain breaks
  std::string name;
  uint32_t id = 0, parent = 0;
  uint8_t type = 0;
  uint16_t flags = 0;
  bool path_only = false;     // flags say the record ends after them (§5.1)
  uint16_t mode = 0;
  uint32_t uid = 0, gid = 0, mtime = 0;
  uint64_t size = 0;
  std::optional<uint32_t> checksum;  // POSIX cksum CRC (files, links)
  std::optional<uint32_t> device;
  std::string link_target;
  std::string digest;         // hex (SHA-1 in Apple's OTA files), "" when absent
  std::vector<Arch> arches;
  bool info_ok = false;       // the path info was read whole
};

struct Bom {
  uint64_t file_size = 0;
  Header header;
  uint32_t table_entries = 0;
  std::vector<Variable> variables;
  std::optional<BomInfo> info;
  std::vector<TreeStats> trees;  // every tree variable, in variable order
  bool has_paths = false;        // a Paths variable exists (a .car, for one, has none)
  std::vector<PathEntry> paths;  // Paths tree, leaf-chain (key) order
  bool paths_complete = false;   // every entry read (no tree error, no limit hit)
  Diagnostics diagnostics;
};

struct ParseOptions {
  bool read_paths = true;  // false: header, variables and tree statistics only
};

// `name` labels errors ("payload.bom: block 7 at 0x1f20: ..."). Fails when the header, the block
// table or the variables cannot be trusted; tree and path problems are diagnostics.
Result<Bom> parse(const ByteReader& r, std::string_view name, const ParseOptions& opt = {});

// Counts by type (for summaries).
struct Counts {
  uint64_t files = 0, directories = 0, symlinks = 0, devices = 0, other = 0;
};
Counts count_types(const Bom& b);

std::string mode_octal(uint16_t mode);  // "100644"

nlohmann::ordered_json to_json(const Bom& b);        // inspect report (no path list)
nlohmann::ordered_json to_json(const PathEntry& e);  // one row of `ls`
std::string to_text(const Bom& b);                   // inspect text

}  // namespace upscope::bom
