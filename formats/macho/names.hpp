// Names for Mach-O constants, shared by the probe, the reader and the renderers.
#pragma once
#include <cstdint>
#include <string>

namespace upscope::macho {
std::string cpu_name(uint32_t cputype, uint32_t cpusubtype);  // "arm64e", "x86_64", "cpu 0x1234"
std::string filetype_name(uint32_t filetype);                 // "execute", "dylib", "fileset" ...
bool is_known_cputype(uint32_t cputype);
}  // namespace upscope::macho
