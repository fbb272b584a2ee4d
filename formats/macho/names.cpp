#include "macho/names.hpp"

#include <fmt/format.h>

namespace upscope::macho {

namespace {
constexpr uint32_t kArch64 = 0x01000000, kArch64_32 = 0x02000000;
constexpr uint32_t kX86 = 7, kArm = 12, kPowerPC = 18;
}  // namespace

bool is_known_cputype(uint32_t cputype) {
  switch (cputype) {
    case kX86: case kX86 | kArch64: case kArm: case kArm | kArch64: case kArm | kArch64_32:
    case kPowerPC: case kPowerPC | kArch64:
      return true;
  }
  return false;
}

std::string cpu_name(uint32_t cputype, uint32_t cpusubtype) {
  const uint32_t sub = cpusubtype & 0x00ffffff;
  switch (cputype) {
    case kX86: return "i386";
    case kX86 | kArch64: return sub == 8 ? "x86_64h" : "x86_64";
    case kArm | kArch64:
      if (sub == 2) return "arm64e";
      if (sub == 1) return "arm64v8";
      return "arm64";
    case kArm | kArch64_32: return "arm64_32";
    case kArm:
      switch (sub) {
        case 9: return "armv7";
        case 11: return "armv7s";
        case 12: return "armv7k";
        case 6: return "armv6";
        default: return "arm";
      }
    case kPowerPC: return "ppc";
    case kPowerPC | kArch64: return "ppc64";
  }
  return fmt::format("cpu {:#x}/{:#x}", cputype, cpusubtype);
}

std::string filetype_name(uint32_t filetype) {
  switch (filetype) {
    case 1: return "object";
    case 2: return "execute";
    case 3: return "fvmlib";
    case 4: return "core";
    case 5: return "preload";
    case 6: return "dylib";
    case 7: return "dylinker";
    case 8: return "bundle";
    case 9: return "dylib_stub";
    case 10: return "dsym";
    case 11: return "kext_bundle";
    case 12: return "fileset";
    case 13: return "gpu_execute";
    case 14: return "gpu_dylib";
  }
  return fmt::format("filetype {:#x}", filetype);
}

}  // namespace upscope::macho
