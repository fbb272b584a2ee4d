#include "macho/names.hpp"

#include <iterator>

#include <fmt/format.h>

#include "inspect/text.hpp"

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

namespace upscope::macho {

namespace {
struct CmdName { uint32_t cmd; const char* name; };
constexpr CmdName kCommands[] = {
    {0x1, "LC_SEGMENT"}, {0x2, "LC_SYMTAB"}, {0x3, "LC_SYMSEG"}, {0x4, "LC_THREAD"}, {0x5, "LC_UNIXTHREAD"},
    {0x6, "LC_LOADFVMLIB"}, {0x7, "LC_IDFVMLIB"}, {0x8, "LC_IDENT"}, {0x9, "LC_FVMFILE"}, {0xa, "LC_PREPAGE"},
    {0xb, "LC_DYSYMTAB"}, {0xc, "LC_LOAD_DYLIB"}, {0xd, "LC_ID_DYLIB"}, {0xe, "LC_LOAD_DYLINKER"},
    {0xf, "LC_ID_DYLINKER"}, {0x10, "LC_PREBOUND_DYLIB"}, {0x11, "LC_ROUTINES"}, {0x12, "LC_SUB_FRAMEWORK"},
    {0x13, "LC_SUB_UMBRELLA"}, {0x14, "LC_SUB_CLIENT"}, {0x15, "LC_SUB_LIBRARY"}, {0x16, "LC_TWOLEVEL_HINTS"},
    {0x17, "LC_PREBIND_CKSUM"}, {0x80000018, "LC_LOAD_WEAK_DYLIB"}, {0x19, "LC_SEGMENT_64"},
    {0x1a, "LC_ROUTINES_64"}, {0x1b, "LC_UUID"}, {0x8000001c, "LC_RPATH"}, {0x1d, "LC_CODE_SIGNATURE"},
    {0x1e, "LC_SEGMENT_SPLIT_INFO"}, {0x8000001f, "LC_REEXPORT_DYLIB"}, {0x20, "LC_LAZY_LOAD_DYLIB"},
    {0x21, "LC_ENCRYPTION_INFO"}, {0x22, "LC_DYLD_INFO"}, {0x80000022, "LC_DYLD_INFO_ONLY"},
    {0x80000023, "LC_LOAD_UPWARD_DYLIB"}, {0x24, "LC_VERSION_MIN_MACOSX"}, {0x25, "LC_VERSION_MIN_IPHONEOS"},
    {0x26, "LC_FUNCTION_STARTS"}, {0x27, "LC_DYLD_ENVIRONMENT"}, {0x80000028, "LC_MAIN"},
    {0x29, "LC_DATA_IN_CODE"}, {0x2a, "LC_SOURCE_VERSION"}, {0x2b, "LC_DYLIB_CODE_SIGN_DRS"},
    {0x2c, "LC_ENCRYPTION_INFO_64"}, {0x2d, "LC_LINKER_OPTION"}, {0x2e, "LC_LINKER_OPTIMIZATION_HINT"},
    {0x2f, "LC_VERSION_MIN_TVOS"}, {0x30, "LC_VERSION_MIN_WATCHOS"}, {0x31, "LC_NOTE"},
    {0x32, "LC_BUILD_VERSION"}, {0x80000033, "LC_DYLD_EXPORTS_TRIE"}, {0x80000034, "LC_DYLD_CHAINED_FIXUPS"},
    {0x80000035, "LC_FILESET_ENTRY"}, {0x36, "LC_ATOM_INFO"}, {0x37, "LC_FUNCTION_VARIANTS"},
    {0x38, "LC_FUNCTION_VARIANT_FIXUPS"}, {0x39, "LC_TARGET_TRIPLE"},
};
}  // namespace

bool is_known_load_command(uint32_t cmd) {
  for (const auto& c : kCommands)
    if (c.cmd == cmd) return true;
  return false;
}

std::string load_command_name(uint32_t cmd) {
  for (const auto& c : kCommands)
    if (c.cmd == cmd) return c.name;
  return fmt::format("LC_{:#x}", cmd);
}

std::string platform_name(uint32_t platform) {
  static const char* const kNames[] = {"unknown", "macos", "ios", "tvos", "watchos", "bridgeos", "maccatalyst",
                                       "iossimulator", "tvossimulator", "watchossimulator", "driverkit",
                                       "visionos", "visionossimulator", "firmware", "sepos"};
  if (platform < std::size(kNames)) return kNames[platform];
  return fmt::format("platform {}", platform);
}

std::string tool_name(uint32_t tool) {
  switch (tool) {
    case 1: return "clang";
    case 2: return "swift";
    case 3: return "ld";
    case 4: return "lld";
    case 1024: return "metal";
    case 1025: return "airlld";
    case 1026: return "airnt";
    case 1027: return "airnt-plugin";
    case 1028: return "airpack";
    case 1031: return "gpuarchiver";
    case 1032: return "metal-framework";
  }
  return fmt::format("tool {}", tool);
}

std::string prot_string(uint32_t prot) {
  std::string s = "---";
  if (prot & 1) s[0] = 'r';
  if (prot & 2) s[1] = 'w';
  if (prot & 4) s[2] = 'x';
  return s;
}

std::string section_type_name(uint32_t flags) {
  static const char* const kNames[] = {
      "S_REGULAR", "S_ZEROFILL", "S_CSTRING_LITERALS", "S_4BYTE_LITERALS", "S_8BYTE_LITERALS",
      "S_LITERAL_POINTERS", "S_NON_LAZY_SYMBOL_POINTERS", "S_LAZY_SYMBOL_POINTERS", "S_SYMBOL_STUBS",
      "S_MOD_INIT_FUNC_POINTERS", "S_MOD_TERM_FUNC_POINTERS", "S_COALESCED", "S_GB_ZEROFILL", "S_INTERPOSING",
      "S_16BYTE_LITERALS", "S_DTRACE_DOF", "S_LAZY_DYLIB_SYMBOL_POINTERS", "S_THREAD_LOCAL_REGULAR",
      "S_THREAD_LOCAL_ZEROFILL", "S_THREAD_LOCAL_VARIABLES", "S_THREAD_LOCAL_VARIABLE_POINTERS",
      "S_THREAD_LOCAL_INIT_FUNCTION_POINTERS", "S_INIT_FUNC_OFFSETS"};
  uint32_t t = flags & 0xff;
  if (t < std::size(kNames)) return kNames[t];
  return fmt::format("S_{:#x}", t);
}

std::string hash_type_name(uint8_t hash_type) {
  switch (hash_type) {
    case 1: return "sha1";
    case 2: return "sha256";
    case 3: return "sha256-truncated";
    case 4: return "sha384";
  }
  return fmt::format("hash type {}", hash_type);
}

std::vector<std::string> header_flag_names(uint32_t flags) {
  static const char* const kNames[32] = {
      "MH_NOUNDEFS", "MH_INCRLINK", "MH_DYLDLINK", "MH_BINDATLOAD", "MH_PREBOUND", "MH_SPLIT_SEGS",
      "MH_LAZY_INIT", "MH_TWOLEVEL", "MH_FORCE_FLAT", "MH_NOMULTIDEFS", "MH_NOFIXPREBINDING", "MH_PREBINDABLE",
      "MH_ALLMODSBOUND", "MH_SUBSECTIONS_VIA_SYMBOLS", "MH_CANONICAL", "MH_WEAK_DEFINES", "MH_BINDS_TO_WEAK",
      "MH_ALLOW_STACK_EXECUTION", "MH_ROOT_SAFE", "MH_SETUID_SAFE", "MH_NO_REEXPORTED_DYLIBS", "MH_PIE",
      "MH_DEAD_STRIPPABLE_DYLIB", "MH_HAS_TLV_DESCRIPTORS", "MH_NO_HEAP_EXECUTION", "MH_APP_EXTENSION_SAFE",
      "MH_NLIST_OUTOFSYNC_WITH_DYLDINFO", "MH_SIM_SUPPORT", "MH_IMPLICIT_PAGEZERO", nullptr, nullptr,
      "MH_DYLIB_IN_CACHE"};
  std::vector<std::string> out;
  for (unsigned i = 0; i < 32; ++i)
    if (flags & (1u << i)) out.push_back(kNames[i] ? kNames[i] : fmt::format("{:#x}", 1u << i));
  return out;
}

std::string printable_name(std::string_view name) {
  return printable(bytes_of(name));
}

}  // namespace upscope::macho
