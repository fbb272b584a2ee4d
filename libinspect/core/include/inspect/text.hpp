// Small text helpers shared by readers and renderers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "inspect/byte_reader.hpp"

namespace upscope {

std::string to_hex(Bytes data);                  // lowercase, no separators
std::string uuid_string(Bytes sixteen_bytes);    // "D08A9FA0-D5A5-458B-813E-EBF9BF5D5338"
std::string human_size(uint64_t bytes);          // "4.0 MiB"
// Printable rendering of a magic or name field: non-printable bytes become \xNN.
std::string printable(Bytes data);
// A C++ symbol as people read it ("addHdcpInfo(AtiHdcpProxy*, OSDictionary*)" for
// "__Z11addHdcpInfoP12AtiHdcpProxyP12OSDictionary", Mach-O's extra leading underscore included);
// "" when the name is not an Itanium-mangled C++ name.
std::string demangle(std::string_view symbol);
// `s` without the white space (std::isspace) at either end.
std::string_view trim(std::string_view s);
// Appends one code point (at most U+10FFFF) as UTF-8.
void append_utf8(std::string& out, uint32_t code_point);

}  // namespace upscope
