// Mach-O reader: thin images (32/64-bit, little-endian), fat files, MH_FILESET kernel collections.
// The model owns its strings, so it outlives the bytes it was read from. Reading is lenient: a bad
// load command becomes a Diagnostic and the walk goes on while the command sizes can be trusted;
// only an unusable header is an Error.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "disasm/normalize.hpp"
#include "inspect/byte_reader.hpp"
#include "inspect/diagnostics.hpp"
#include "inspect/result.hpp"
#include "inspect/source.hpp"

namespace upscope::macho {

struct Section {
  std::string sectname, segname;
  uint64_t addr = 0, size = 0;
  uint32_t offset = 0, align = 0, reloff = 0, nreloc = 0, flags = 0, reserved1 = 0, reserved2 = 0, reserved3 = 0;
  bool zerofill() const;
  bool has_instructions() const;
  uint32_t type() const;  // flags & SECTION_TYPE: S_REGULAR, S_CSTRING_LITERALS, S_SYMBOL_STUBS, ...
};

struct Segment {
  uint32_t command_index = 0;
  std::string segname;
  uint64_t vmaddr = 0, vmsize = 0, fileoff = 0, filesize = 0;
  uint32_t maxprot = 0, initprot = 0, nsects = 0, flags = 0;
  bool executable() const;  // initprot has VM_PROT_EXECUTE
  std::vector<Section> sections;
};

struct LoadCommand {
  uint32_t index = 0;
  uint32_t cmd = 0, cmdsize = 0;
  uint64_t offset = 0;           // from the start of the image (the mach_header)
  std::vector<uint8_t> raw;      // only for commands this reader does not know
};

struct Dylib {
  uint32_t command_index = 0;
  uint32_t cmd = 0;              // LC_LOAD_DYLIB, LC_ID_DYLIB, LC_LOAD_WEAK_DYLIB, ...
  std::string name;
  bool is_id() const;            // LC_ID_DYLIB: the image's own name, not a dependency
  uint32_t timestamp = 0, current_version = 0, compatibility_version = 0;
};

struct BuildVersion {
  uint32_t platform = 0, minos = 0, sdk = 0;
  struct Tool { uint32_t tool, version; };
  std::vector<Tool> tools;
};

struct VersionMin {
  uint32_t cmd = 0, version = 0, sdk = 0;
};

// A LINKEDIT blob named by offset/size (LC_FUNCTION_STARTS, LC_CODE_SIGNATURE, ...).
struct LinkeditData {
  uint32_t command_index = 0, cmd = 0, dataoff = 0, datasize = 0;
};

struct Symtab {
  uint32_t symoff = 0, nsyms = 0, stroff = 0, strsize = 0;
};

struct Dysymtab {
  uint32_t ilocalsym = 0, nlocalsym = 0, iextdefsym = 0, nextdefsym = 0, iundefsym = 0, nundefsym = 0;
  uint32_t tocoff = 0, ntoc = 0, modtaboff = 0, nmodtab = 0, extrefsymoff = 0, nextrefsyms = 0;
  uint32_t indirectsymoff = 0, nindirectsyms = 0, extreloff = 0, nextrel = 0, locreloff = 0, nlocrel = 0;
};

struct DyldInfo {
  uint32_t cmd = 0;
  uint32_t rebase_off = 0, rebase_size = 0, bind_off = 0, bind_size = 0, weak_bind_off = 0, weak_bind_size = 0;
  uint32_t lazy_bind_off = 0, lazy_bind_size = 0, export_off = 0, export_size = 0;
};

struct EntryPoint {
  uint64_t entryoff = 0, stacksize = 0;
};

struct EncryptionInfo {
  uint32_t cmd = 0, cryptoff = 0, cryptsize = 0, cryptid = 0;
};

struct FilesetEntry {
  uint32_t command_index = 0;
  uint64_t vmaddr = 0, fileoff = 0;
  std::string entry_id;
};

struct Note {
  std::string data_owner;
  uint64_t offset = 0, size = 0;
};

struct Symbol {
  std::string name;
  uint8_t type = 0, sect = 0;
  uint16_t desc = 0;
  uint64_t value = 0;
  bool defined_in_section() const;  // not a debugging (stab) entry, and N_SECT
  bool undefined_external() const;  // not a stab, N_UNDF and N_EXT: an import
};

struct Export {
  std::string name;
  uint64_t flags = 0;
  uint64_t address = 0;          // image-relative (add the __TEXT vmaddr for a VM address)
  uint64_t resolver = 0;         // STUB_AND_RESOLVER
  uint64_t reexport_ordinal = 0; // REEXPORT: dylib ordinal ...
  std::string reexport_name;     // ... and the name there ("" = same name)
  bool is_reexport() const;
  bool is_absolute() const;      // EXPORT_SYMBOL_FLAGS_KIND_ABSOLUTE: a value, not an address
};

struct ChainedFixups {
  uint32_t fixups_version = 0, starts_offset = 0, imports_offset = 0, symbols_offset = 0;
  uint32_t imports_count = 0, imports_format = 0, symbols_format = 0;
  struct SegmentStarts {
    uint32_t segment_index = 0;
    uint16_t page_size = 0, pointer_format = 0;
    uint64_t segment_offset = 0;
    uint32_t max_valid_pointer = 0;
    uint16_t page_count = 0;
  };
  std::vector<SegmentStarts> segments;  // only segments with fixups (seg_info_offset != 0)
  uint32_t seg_count = 0;
  std::vector<std::string> import_names;  // when symbols_format is 0 (uncompressed)
};

struct CodeDirectory {
  uint32_t slot = 0;             // 0 or 0x1000+n for alternates
  uint32_t version = 0, flags = 0;
  uint8_t hash_type = 0, hash_size = 0, platform = 0;
  uint32_t page_size = 0;        // bytes (1 << pageSize), 0 = unpaged
  uint64_t code_limit = 0;       // codeLimit64 when set, else codeLimit
  uint32_t n_special_slots = 0, n_code_slots = 0;
  std::string identifier, team_id;
  uint64_t exec_seg_base = 0, exec_seg_limit = 0, exec_seg_flags = 0;
  std::string cdhash;            // hex, the CodeDirectory blob's hash truncated to 20 bytes
};

struct CodeSignature {
  uint32_t dataoff = 0, datasize = 0;
  uint32_t superblob_magic = 0;
  struct Blob {
    uint32_t type, offset, magic, length;
    bool is_entitlements() const;      // the XML entitlements slot with its magic
    bool is_der_entitlements() const;  // the DER entitlements slot with its magic
    bool is_requirements() const;
  };
  std::vector<Blob> blobs;
  std::vector<CodeDirectory> code_directories;
  bool has_cms = false;          // a non-empty CMS signature blob (an empty one means ad-hoc)
  uint32_t entitlements_size = 0;
  // The cdhash dyld/AMFI would use: SHA-256 directory preferred, else the first.
  const CodeDirectory* primary() const;
};

struct ParseOptions {
  // Where the file offsets inside load commands point (segment fileoff, symoff, dataoff ...).
  // Unset: the image itself (a thin file or a fat slice). Set: an enclosing view holding the image,
  // whose offset 0 is the origin of those offsets — the whole kernel collection for a fileset
  // entry, the cache file for a dyld cache image. The image view must lie inside it.
  std::optional<ByteReader> offsets_base;
  bool check_ranges = true;      // bounds + overlap checks of claimed file ranges
  bool symbols = true;           // read nlist entries and names
  bool exports = true;           // walk the export trie
  bool function_starts = true;
  bool code_hash = true;         // SHA-256 of executable sections
  // parse_file: SHA-256 of the whole file and of each fat slice (FatFile::sha256, FatSlice::sha256).
  // Off where the caller hashes the file itself: a second pass over every Mach-O of a volume.
  bool file_hash = true;
  uint64_t max_symbols = 50'000'000;
};

struct MachO {
  // Header.
  bool is64 = true;
  uint32_t magic = 0, cputype = 0, cpusubtype = 0, filetype = 0, ncmds = 0, sizeofcmds = 0, flags = 0;
  uint64_t header_offset = 0;    // of the mach_header in the offsets base (0 for a thin file)
  std::string arch;              // "arm64e", "x86_64" ...
  bool ptrauth_abi = false;      // arm64e with the versioned-ABI bit
  uint32_t ptrauth_abi_version = 0;

  std::vector<LoadCommand> commands;
  std::vector<Segment> segments;
  std::optional<std::array<uint8_t, 16>> uuid;
  std::optional<BuildVersion> build_version;
  std::vector<VersionMin> version_mins;
  std::optional<uint64_t> source_version;
  std::optional<Dylib> id_dylib;
  std::vector<Dylib> dylibs;     // every dependency command, in order
  std::vector<std::string> rpaths;
  std::optional<std::string> dylinker;
  std::optional<EntryPoint> entry_point;
  std::vector<EncryptionInfo> encryption;
  std::optional<Symtab> symtab;
  std::optional<Dysymtab> dysymtab;
  std::optional<DyldInfo> dyld_info;
  std::vector<LinkeditData> linkedit;  // function starts, data in code, exports trie, fixups, signature ...
  std::optional<ChainedFixups> chained_fixups;
  std::optional<CodeSignature> code_signature;
  std::vector<FilesetEntry> fileset_entries;
  std::vector<Note> notes;
  std::vector<std::vector<std::string>> linker_options;
  std::vector<std::string> sub_names;  // LC_SUB_FRAMEWORK/UMBRELLA/CLIENT/LIBRARY values

  std::vector<Symbol> symbols;
  uint64_t symbol_count = 0;     // nsyms read (also when names were not kept)
  std::vector<Export> exports;
  std::vector<uint64_t> function_starts;  // VM addresses
  uint64_t data_in_code_entries = 0;

  // SHA-256 over the bytes of every section with instruction attributes (S_ATTR_PURE_INSTRUCTIONS or
  // S_ATTR_SOME_INSTRUCTIONS) that lies in an executable segment (initprot has VM_PROT_EXECUTE), in
  // load-command order, concatenated. Covers __TEXT,__text/__stubs/... and __TEXT_EXEC in kernels;
  // excludes headers, constants, data and LINKEDIT, so re-signing or re-linking data does not change it.
  // On arm64/arm64e/arm64_32 the ADR/ADRP and B/BL immediates are zeroed first
  // (disasm::mask_arm64_image_relative): a kext that only moved inside its kernel collection (the
  // kernel before it grew by whole pages) keeps its hash. On x86_64 each section is decoded
  // (disasm/x86_decode.hpp) and the targets of relative branches and calls and RIP-relative
  // displacements are zeroed (disasm::hash_code_x86_64), for the same reason.
  std::string code_sha256;
  uint64_t code_bytes = 0;

  const Segment* segment(std::string_view name) const;
  bool is_object() const;  // MH_OBJECT: a relocatable object, whose sections are not in segments by protection
  // vmaddr of the segment mapping file offset 0 (the base export/function-start addresses count from).
  uint64_t text_vmaddr() const;
};

// A thin image whose mach_header starts at offset 0 of `image`. See ParseOptions::offsets_base.
Result<MachO> parse(ByteReader image, Diagnostics& diags, const ParseOptions& opt = {});

struct FatSlice {
  uint32_t cputype = 0, cpusubtype = 0, align = 0;
  uint64_t offset = 0, size = 0;
  std::string arch;
  std::string sha256;            // of the slice bytes
  std::optional<MachO> image;    // unset when the slice could not be read (see error)
  std::optional<Error> error;
};

struct FatFile {
  bool fat = false, fat64 = false;
  uint64_t file_size = 0;
  std::string sha256;            // whole file
  std::vector<FatSlice> slices;  // a thin file is one slice covering the file
};

// The bytes a code hash covers: every non-empty section with instructions of an executable segment
// (any segment of an MH_OBJECT), read from `file` (the reader offsets count from, see
// ParseOptions::offsets_base). Sections out of range are skipped: the parser already reported them.
std::vector<Bytes> code_sections(const MachO& m, const ByteReader& file);
// How the code hash reads the image's instructions: arm64 (also arm64e, arm64_32), x86-64, or as bytes.
disasm::Arch code_arch(uint32_t cputype);

// A fat or thin file. Errors only when the file is neither; bad slices are reported per slice.
Result<FatFile> parse_file(const Source& src, Diagnostics& diags, const ParseOptions& opt = {});

// Walks an export trie (exposed for dyld-cache images, whose tries live in a shared LINKEDIT).
std::vector<Export> read_export_trie(ByteReader trie, Diagnostics& diags, const std::string& structure);

// "1.2.3" from xxxx.yy.zz nibble-packed versions; "a.b.c.d.e" for LC_SOURCE_VERSION.
std::string version_string(uint32_t packed);
std::string source_version_string(uint64_t packed);

}  // namespace upscope::macho
