#pragma once
#include <optional>
#include "inspect/probe.hpp"

namespace upscope::partition {
std::optional<Identification> probe_gpt(const ProbeInput& in);  // `EFI PART` at LBA 1 (512 or 4096)
std::optional<Identification> probe_apm(const ProbeInput& in);  // `ER` driver descriptor + `PM` entries
std::optional<Identification> probe_mbr(const ProbeInput& in);  // 0x55AA with at least one valid entry
// Names of the partition type GUIDs Apple images use ("Apple_APFS", "Apple_HFS" ...), or "".
std::string gpt_type_name(const std::string& guid);
// A GPT mixed-endian GUID as text.
std::string gpt_guid_string(Bytes sixteen);
}  // namespace upscope::partition
