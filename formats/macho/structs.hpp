// Raw Mach-O on-disk structures with Apple's field names (<mach-o/loader.h>, <mach-o/fat.h>,
// <mach-o/nlist.h>, <mach-o/fixup-chains.h>, xnu's cs_blobs.h). Thin files are read in little-endian
// host order with ByteReader::read<T>; fat headers and code-signing blobs are big-endian and are
// loaded field by field. Sizes are pinned so a layout slip fails to compile.
#pragma once

#include <cstdint>

namespace upscope::macho {

// ---- magics ------------------------------------------------------------------------------------
inline constexpr uint32_t MH_MAGIC = 0xfeedface, MH_CIGAM = 0xcefaedfe;
inline constexpr uint32_t MH_MAGIC_64 = 0xfeedfacf, MH_CIGAM_64 = 0xcffaedfe;
inline constexpr uint32_t FAT_MAGIC = 0xcafebabe, FAT_MAGIC_64 = 0xcafebabf;

// ---- CPU ---------------------------------------------------------------------------------------
inline constexpr uint32_t CPU_ARCH_ABI64 = 0x01000000, CPU_ARCH_ABI64_32 = 0x02000000;
inline constexpr uint32_t CPU_TYPE_X86 = 7, CPU_TYPE_X86_64 = CPU_TYPE_X86 | CPU_ARCH_ABI64;
inline constexpr uint32_t CPU_TYPE_ARM = 12, CPU_TYPE_ARM64 = CPU_TYPE_ARM | CPU_ARCH_ABI64;
inline constexpr uint32_t CPU_TYPE_ARM64_32 = CPU_TYPE_ARM | CPU_ARCH_ABI64_32;
inline constexpr uint32_t CPU_SUBTYPE_MASK = 0xff000000;  // capability bits
inline constexpr uint32_t CPU_SUBTYPE_LIB64 = 0x80000000;
inline constexpr uint32_t CPU_SUBTYPE_ARM64E = 2;
// arm64e: bit 31 says the pointer-authentication ABI is versioned, bits 24-27 hold the version.
inline constexpr uint32_t CPU_SUBTYPE_PTRAUTH_ABI = 0x80000000;

// ---- file types and flags ----------------------------------------------------------------------
inline constexpr uint32_t MH_OBJECT = 1, MH_EXECUTE = 2, MH_DYLIB = 6, MH_BUNDLE = 8, MH_KEXT_BUNDLE = 11,
                          MH_FILESET = 12;

// ---- load commands -----------------------------------------------------------------------------
inline constexpr uint32_t LC_REQ_DYLD = 0x80000000;
inline constexpr uint32_t LC_SEGMENT = 0x1, LC_SYMTAB = 0x2, LC_SYMSEG = 0x3, LC_THREAD = 0x4,
                          LC_UNIXTHREAD = 0x5, LC_LOADFVMLIB = 0x6, LC_IDFVMLIB = 0x7, LC_IDENT = 0x8,
                          LC_FVMFILE = 0x9, LC_PREPAGE = 0xa, LC_DYSYMTAB = 0xb, LC_LOAD_DYLIB = 0xc,
                          LC_ID_DYLIB = 0xd, LC_LOAD_DYLINKER = 0xe, LC_ID_DYLINKER = 0xf,
                          LC_PREBOUND_DYLIB = 0x10, LC_ROUTINES = 0x11, LC_SUB_FRAMEWORK = 0x12,
                          LC_SUB_UMBRELLA = 0x13, LC_SUB_CLIENT = 0x14, LC_SUB_LIBRARY = 0x15,
                          LC_TWOLEVEL_HINTS = 0x16, LC_PREBIND_CKSUM = 0x17,
                          LC_LOAD_WEAK_DYLIB = 0x18 | LC_REQ_DYLD, LC_SEGMENT_64 = 0x19, LC_ROUTINES_64 = 0x1a,
                          LC_UUID = 0x1b, LC_RPATH = 0x1c | LC_REQ_DYLD, LC_CODE_SIGNATURE = 0x1d,
                          LC_SEGMENT_SPLIT_INFO = 0x1e, LC_REEXPORT_DYLIB = 0x1f | LC_REQ_DYLD,
                          LC_LAZY_LOAD_DYLIB = 0x20, LC_ENCRYPTION_INFO = 0x21, LC_DYLD_INFO = 0x22,
                          LC_DYLD_INFO_ONLY = 0x22 | LC_REQ_DYLD, LC_LOAD_UPWARD_DYLIB = 0x23 | LC_REQ_DYLD,
                          LC_VERSION_MIN_MACOSX = 0x24, LC_VERSION_MIN_IPHONEOS = 0x25,
                          LC_FUNCTION_STARTS = 0x26, LC_DYLD_ENVIRONMENT = 0x27, LC_MAIN = 0x28 | LC_REQ_DYLD,
                          LC_DATA_IN_CODE = 0x29, LC_SOURCE_VERSION = 0x2a, LC_DYLIB_CODE_SIGN_DRS = 0x2b,
                          LC_ENCRYPTION_INFO_64 = 0x2c, LC_LINKER_OPTION = 0x2d,
                          LC_LINKER_OPTIMIZATION_HINT = 0x2e, LC_VERSION_MIN_TVOS = 0x2f,
                          LC_VERSION_MIN_WATCHOS = 0x30, LC_NOTE = 0x31, LC_BUILD_VERSION = 0x32,
                          LC_DYLD_EXPORTS_TRIE = 0x33 | LC_REQ_DYLD, LC_DYLD_CHAINED_FIXUPS = 0x34 | LC_REQ_DYLD,
                          LC_FILESET_ENTRY = 0x35 | LC_REQ_DYLD, LC_ATOM_INFO = 0x36,
                          LC_FUNCTION_VARIANTS = 0x37, LC_FUNCTION_VARIANT_FIXUPS = 0x38,
                          LC_TARGET_TRIPLE = 0x39;

// Section type (low byte of flags) and attributes.
inline constexpr uint32_t SECTION_TYPE = 0x000000ff;
inline constexpr uint32_t S_ZEROFILL = 0x1, S_GB_ZEROFILL = 0xc, S_THREAD_LOCAL_ZEROFILL = 0x12;
inline constexpr uint32_t S_ATTR_PURE_INSTRUCTIONS = 0x80000000, S_ATTR_SOME_INSTRUCTIONS = 0x00000400;
inline constexpr uint32_t VM_PROT_READ = 1, VM_PROT_WRITE = 2, VM_PROT_EXECUTE = 4;

// Export trie terminal flags.
inline constexpr uint64_t EXPORT_SYMBOL_FLAGS_KIND_MASK = 0x03, EXPORT_SYMBOL_FLAGS_WEAK_DEFINITION = 0x04,
                          EXPORT_SYMBOL_FLAGS_REEXPORT = 0x08, EXPORT_SYMBOL_FLAGS_STUB_AND_RESOLVER = 0x10,
                          EXPORT_SYMBOL_FLAGS_STATIC_RESOLVER = 0x20;

// Code signing (big-endian blobs).
inline constexpr uint32_t CSMAGIC_EMBEDDED_SIGNATURE = 0xfade0cc0, CSMAGIC_CODEDIRECTORY = 0xfade0c02,
                          CSMAGIC_REQUIREMENTS = 0xfade0c01, CSMAGIC_EMBEDDED_ENTITLEMENTS = 0xfade7171,
                          CSMAGIC_EMBEDDED_DER_ENTITLEMENTS = 0xfade7172, CSMAGIC_BLOBWRAPPER = 0xfade0b01;
inline constexpr uint32_t CSSLOT_CODEDIRECTORY = 0, CSSLOT_REQUIREMENTS = 2, CSSLOT_ENTITLEMENTS = 5,
                          CSSLOT_DER_ENTITLEMENTS = 7, CSSLOT_ALTERNATE_CODEDIRECTORIES = 0x1000,
                          CSSLOT_ALTERNATE_CODEDIRECTORY_MAX = 5, CSSLOT_SIGNATURESLOT = 0x10000;
inline constexpr uint8_t CS_HASHTYPE_SHA1 = 1, CS_HASHTYPE_SHA256 = 2, CS_HASHTYPE_SHA256_TRUNCATED = 3,
                         CS_HASHTYPE_SHA384 = 4;
inline constexpr uint32_t CS_SUPPORTSSCATTER = 0x20100, CS_SUPPORTSTEAMID = 0x20200,
                          CS_SUPPORTSCODELIMIT64 = 0x20300, CS_SUPPORTSEXECSEG = 0x20400;

// ---- headers -----------------------------------------------------------------------------------
struct mach_header {
  uint32_t magic, cputype, cpusubtype, filetype, ncmds, sizeofcmds, flags;
};
static_assert(sizeof(mach_header) == 28);

struct mach_header_64 {
  uint32_t magic, cputype, cpusubtype, filetype, ncmds, sizeofcmds, flags, reserved;
};
static_assert(sizeof(mach_header_64) == 32);

// Fat headers are big-endian on disk: load them with u32be/u64be, never read<T>.
struct fat_header {
  uint32_t magic, nfat_arch;
};
static_assert(sizeof(fat_header) == 8);

struct fat_arch {
  uint32_t cputype, cpusubtype, offset, size, align;
};
static_assert(sizeof(fat_arch) == 20);

struct fat_arch_64 {
  uint32_t cputype, cpusubtype;
  uint64_t offset, size;
  uint32_t align, reserved;
};
static_assert(sizeof(fat_arch_64) == 32);

// ---- load commands -----------------------------------------------------------------------------
struct load_command {
  uint32_t cmd, cmdsize;
};
static_assert(sizeof(load_command) == 8);

struct segment_command {
  uint32_t cmd, cmdsize;
  char segname[16];
  uint32_t vmaddr, vmsize, fileoff, filesize;
  uint32_t maxprot, initprot, nsects, flags;
};
static_assert(sizeof(segment_command) == 56);

struct segment_command_64 {
  uint32_t cmd, cmdsize;
  char segname[16];
  uint64_t vmaddr, vmsize, fileoff, filesize;
  uint32_t maxprot, initprot, nsects, flags;
};
static_assert(sizeof(segment_command_64) == 72);

struct section {
  char sectname[16], segname[16];
  uint32_t addr, size, offset, align, reloff, nreloc, flags, reserved1, reserved2;
};
static_assert(sizeof(section) == 68);

struct section_64 {
  char sectname[16], segname[16];
  uint64_t addr, size;
  uint32_t offset, align, reloff, nreloc, flags, reserved1, reserved2, reserved3;
};
static_assert(sizeof(section_64) == 80);

struct symtab_command {
  uint32_t cmd, cmdsize, symoff, nsyms, stroff, strsize;
};
static_assert(sizeof(symtab_command) == 24);

struct dysymtab_command {
  uint32_t cmd, cmdsize;
  uint32_t ilocalsym, nlocalsym, iextdefsym, nextdefsym, iundefsym, nundefsym;
  uint32_t tocoff, ntoc, modtaboff, nmodtab, extrefsymoff, nextrefsyms;
  uint32_t indirectsymoff, nindirectsyms, extreloff, nextrel, locreloff, nlocrel;
};
static_assert(sizeof(dysymtab_command) == 80);

struct dylib {
  uint32_t name;  // lc_str: offset from the start of the load command
  uint32_t timestamp, current_version, compatibility_version;
};
struct dylib_command {
  uint32_t cmd, cmdsize;
  struct dylib dylib;
};
static_assert(sizeof(dylib_command) == 24);

struct dylinker_command {  // also rpath_command, sub_*_command: one lc_str after the header
  uint32_t cmd, cmdsize, name;
};
static_assert(sizeof(dylinker_command) == 12);

struct rpath_command {
  uint32_t cmd, cmdsize, path;
};
static_assert(sizeof(rpath_command) == 12);

struct uuid_command {
  uint32_t cmd, cmdsize;
  uint8_t uuid[16];
};
static_assert(sizeof(uuid_command) == 24);

struct build_version_command {
  uint32_t cmd, cmdsize, platform, minos, sdk, ntools;
};
static_assert(sizeof(build_version_command) == 24);

struct build_tool_version {
  uint32_t tool, version;
};
static_assert(sizeof(build_tool_version) == 8);

struct version_min_command {
  uint32_t cmd, cmdsize, version, sdk;
};
static_assert(sizeof(version_min_command) == 16);

struct source_version_command {
  uint32_t cmd, cmdsize;
  uint64_t version;  // A.B.C.D.E packed as a24.b10.c10.d10.e10
};
static_assert(sizeof(source_version_command) == 16);

struct linkedit_data_command {
  uint32_t cmd, cmdsize, dataoff, datasize;
};
static_assert(sizeof(linkedit_data_command) == 16);

struct dyld_info_command {
  uint32_t cmd, cmdsize;
  uint32_t rebase_off, rebase_size, bind_off, bind_size, weak_bind_off, weak_bind_size;
  uint32_t lazy_bind_off, lazy_bind_size, export_off, export_size;
};
static_assert(sizeof(dyld_info_command) == 48);

struct entry_point_command {
  uint32_t cmd, cmdsize;
  uint64_t entryoff, stacksize;
};
static_assert(sizeof(entry_point_command) == 24);

struct encryption_info_command {
  uint32_t cmd, cmdsize, cryptoff, cryptsize, cryptid;
};
static_assert(sizeof(encryption_info_command) == 20);

struct encryption_info_command_64 {
  uint32_t cmd, cmdsize, cryptoff, cryptsize, cryptid, pad;
};
static_assert(sizeof(encryption_info_command_64) == 24);

struct fileset_entry_command {
  uint32_t cmd, cmdsize;
  uint64_t vmaddr, fileoff;
  uint32_t entry_id;  // lc_str
  uint32_t reserved;
};
static_assert(sizeof(fileset_entry_command) == 32);

struct note_command {
  uint32_t cmd, cmdsize;
  char data_owner[16];
  uint64_t offset, size;
};
static_assert(sizeof(note_command) == 40);

struct linker_option_command {
  uint32_t cmd, cmdsize, count;  // then count NUL-terminated strings
};
static_assert(sizeof(linker_option_command) == 12);

// ---- symbols -----------------------------------------------------------------------------------
struct nlist {
  uint32_t n_strx;
  uint8_t n_type, n_sect;
  int16_t n_desc;
  uint32_t n_value;
};
static_assert(sizeof(nlist) == 12);

struct nlist_64 {
  uint32_t n_strx;
  uint8_t n_type, n_sect;
  uint16_t n_desc;
  uint64_t n_value;
};
static_assert(sizeof(nlist_64) == 16);

inline constexpr uint8_t N_STAB = 0xe0, N_PEXT = 0x10, N_TYPE = 0x0e, N_EXT = 0x01;
inline constexpr uint8_t N_UNDF = 0x0, N_ABS = 0x2, N_SECT = 0xe, N_PBUD = 0xc, N_INDR = 0xa;

// ---- chained fixups ----------------------------------------------------------------------------
struct dyld_chained_fixups_header {
  uint32_t fixups_version, starts_offset, imports_offset, symbols_offset, imports_count, imports_format,
      symbols_format;
};
static_assert(sizeof(dyld_chained_fixups_header) == 28);

// Followed by page_start[page_count] (u16). Packed in Apple's header: 22 bytes before page_start.
inline constexpr uint64_t kChainedStartsInSegmentFixedSize = 22;
struct dyld_chained_starts_in_segment_fixed {
  uint32_t size;
  uint16_t page_size, pointer_format;
  uint64_t segment_offset;
  uint32_t max_valid_pointer;
  uint16_t page_count;
};

inline constexpr uint32_t DYLD_CHAINED_IMPORT = 1, DYLD_CHAINED_IMPORT_ADDEND = 2,
                          DYLD_CHAINED_IMPORT_ADDEND64 = 3;

// ---- code signing (big-endian) -----------------------------------------------------------------
struct CS_BlobIndex {
  uint32_t type, offset;
};
static_assert(sizeof(CS_BlobIndex) == 8);

struct CS_SuperBlob {
  uint32_t magic, length, count;  // then CS_BlobIndex index[count]
};
static_assert(sizeof(CS_SuperBlob) == 12);

// CodeDirectory fixed part up to and including spare2 (version 0x20001); later versions append
// scatterOffset, teamOffset, spare3 + codeLimit64, execSeg{Base,Limit,Flags}, runtime ...
struct CS_CodeDirectory {
  uint32_t magic, length, version, flags, hashOffset, identOffset, nSpecialSlots, nCodeSlots, codeLimit;
  uint8_t hashSize, hashType, platform, pageSize;
  uint32_t spare2;
};
static_assert(sizeof(CS_CodeDirectory) == 44);

}  // namespace upscope::macho
