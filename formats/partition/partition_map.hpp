// Partition maps of a decoded disk (GPT, APM, MBR) with a SliceSource per partition, or "no
// partition map" with the file system found at offset 0 (docs/formats/udif.md §8).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "inspect/diagnostics.hpp"
#include "inspect/source.hpp"

namespace upscope::partition {

enum class Scheme { kNone, kGpt, kApm, kMbr };
const char* to_string(Scheme s);  // "none", "gpt", "apm", "mbr"

struct Partition {
  uint32_t index = 0;          // GPT entry number / APM map entry / MBR slot, from 1
  std::string type;            // GPT type GUID, APM type string, MBR "0xaf"
  std::string type_name;       // "Apple_APFS", "Apple_HFS", ... ("" when unknown)
  std::string name;
  std::string unique_guid;     // GPT only
  uint64_t attributes = 0;     // GPT only
  uint64_t first_lba = 0;      // in the map's sector size
  uint64_t sector_count = 0;
  uint64_t offset = 0;         // bytes
  uint64_t length = 0;
  std::string filesystem;      // "apfs", "hfs+", "hfsx" when recognised at the partition start
  std::optional<Error> filesystem_error;  // why the start could not be read (a --max-memory limit, ...)
  SourcePtr source;            // a SliceSource of the disk
};

struct GptInfo {
  uint64_t header_lba = 1;
  uint64_t alternate_lba = 0;
  uint64_t first_usable_lba = 0;
  uint64_t last_usable_lba = 0;
  std::string disk_guid;
  uint64_t entries_lba = 0;
  uint32_t entry_count = 0;
  uint32_t entry_size = 0;
  uint32_t header_crc = 0;
  bool header_crc_ok = false;
  uint32_t table_crc = 0;
  bool table_crc_ok = false;
  bool backup_present = false;
  bool backup_ok = false;
};

struct PartitionMap {
  Scheme scheme = Scheme::kNone;
  uint32_t sector_size = 512;
  uint64_t disk_size = 0;
  std::vector<Partition> partitions;
  std::optional<GptInfo> gpt;
  std::string filesystem_at_zero;  // scheme kNone: "apfs", "hfs+", "hfsx" or ""

  const Partition* find(uint32_t index) const;
};

// GPT, then APM, then MBR; none of them gives Scheme::kNone. diags == nullptr: strict (the first
// broken rule fails); otherwise bad entries are dropped with an error diagnostic.
Result<PartitionMap> read_partition_map(const SourcePtr& disk, Diagnostics* diags);

// Each returns nullopt when its signature is absent.
Result<std::optional<PartitionMap>> read_gpt(const SourcePtr& disk, Diagnostics* diags);
Result<std::optional<PartitionMap>> read_apm(const SourcePtr& disk, Diagnostics* diags);
Result<std::optional<PartitionMap>> read_mbr(const SourcePtr& disk, Diagnostics* diags);

// "apfs" (NXSB at 32), "hfs+" / "hfsx" (H+ / HX at 1024), or ""; an error when those bytes exist
// but cannot be read (a compressed image's chunk over the --max-memory limit, a corrupt chunk).
Result<std::string> probe_filesystem(const Source& src);
// The same with a read error taken as "".
std::string detect_filesystem(const Source& src);

nlohmann::ordered_json to_json(const PartitionMap& map);

}  // namespace upscope::partition
