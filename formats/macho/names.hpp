// Names for Mach-O constants, shared by the probe, the reader and the renderers.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace upscope::macho {
std::string cpu_name(uint32_t cputype, uint32_t cpusubtype);  // "arm64e", "x86_64", "cpu 0x1234"
std::string filetype_name(uint32_t filetype);                 // "execute", "dylib", "fileset" ...
bool is_known_cputype(uint32_t cputype);
std::string load_command_name(uint32_t cmd);                  // "LC_SEGMENT_64", "LC_0x99" when unknown
bool is_known_load_command(uint32_t cmd);
std::string platform_name(uint32_t platform);                 // "macos", "ios", ... (LC_BUILD_VERSION)
std::string tool_name(uint32_t tool);                         // "clang", "swift", "ld"
std::string prot_string(uint32_t prot);                       // "r-x"
std::string section_type_name(uint32_t flags);                // "S_REGULAR", "S_ZEROFILL" ...
std::string hash_type_name(uint8_t hash_type);                // "sha256"
std::vector<std::string> header_flag_names(uint32_t flags);   // "MH_PIE", ...
// A name read from the file, safe to print: non-printable bytes become \xNN.
std::string printable_name(std::string_view name);
}  // namespace upscope::macho
