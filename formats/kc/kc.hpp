// Kernel collections (MH_FILESET Boot/System/Aux KCs), legacy prelinked kernelcaches (MH_EXECUTE
// with __PRELINK_TEXT/__PRELINK_INFO) and the wrappers Apple ships them in (IM4P, complzss LZSS,
// LZFSE, a one-slice fat file). Every fileset entry (the kernel, each kext) is read as its own
// Mach-O in place (its offsets are collection-relative, see macho::ParseOptions::offsets_base) and
// joined with its __PRELINK_INFO record.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "inspect/byte_reader.hpp"
#include "inspect/diagnostics.hpp"
#include "inspect/hash.hpp"
#include "inspect/result.hpp"
#include "inspect/source.hpp"
#include "kc/prelink.hpp"
#include "macho/macho.hpp"

namespace upscope::kc {

enum class Kind {
  kBootKc,       // MH_FILESET holding com.apple.kernel
  kSystemKc,     // MH_FILESET of Apple kexts linked to a Boot KC (_BootKCID)
  kAuxKc,        // MH_FILESET of third-party kexts (_PageableKCID, or _BootKCID with non-Apple kexts)
  kFileset,      // MH_FILESET that fits none of the above
  kKernelcache,  // legacy prelinked kernel: MH_EXECUTE + __PRELINK_INFO
  kMachO,        // a plain Mach-O (a bare kernel, or whatever an IM4P held)
};
const char* to_string(Kind k);  // "boot-kc", "system-kc", "aux-kc", "fileset", "kernelcache", "macho"

struct Entry {
  std::string id;               // fileset entry id; bundle id for legacy kexts; "com.apple.kernel"
  bool is_kernel = false;
  bool codeless = false;        // a kext known only from the plist (no executable)
  uint64_t vmaddr = 0;          // of its mach_header (LC_FILESET_ENTRY.vmaddr / load address)
  uint64_t fileoff = 0;         // of its mach_header in the collection's Mach-O bytes
  uint64_t size = 0;            // file bytes of its segments (without __LINKEDIT)
  std::string uuid;             // LC_UUID, uppercase; "" when none
  std::string content_hash;     // OpenOptions::content_hash of its segments' file bytes in load-command order,
                                // without __LINKEDIT (shared by all entries in real KCs)
  std::string code_sha256;      // macho::MachO::code_sha256 (executable sections only)
  uint64_t code_bytes = 0;
  std::optional<macho::MachO> image;
  std::optional<Error> error;   // the entry could not be read
  // From __PRELINK_INFO (empty when the plist has no record for it).
  int prelink_index = -1;
  std::string bundle_id, version, short_version, bundle_path, executable_path;
  std::optional<uint64_t> load_addr;
};

struct KernelCollection {
  std::string name;                  // input name for messages
  std::vector<std::string> layers;   // wrappers removed, outermost first: "im4p krnl", "lzss", "lzfse", "fat arm64e"
  SourcePtr source;                  // keeps a mapped input alive (open())
  std::shared_ptr<const std::vector<uint8_t>> decoded;  // owns the bytes when a layer was decoded
  ByteReader macho;                  // the collection's Mach-O bytes
  Kind kind = Kind::kMachO;
  std::string kind_reason;           // the evidence for `kind`
  macho::MachO top;                  // the container's own header (the kernel for legacy/plain)
  std::string uuid;                  // top-level LC_UUID
  std::optional<PrelinkInfo> prelink;
  std::string kc_id, boot_kc_id, pageable_kc_id;  // from the plist, uppercase UUIDs
  std::vector<Entry> entries;        // kernel first when present, then the file's order
  std::string kernel_version;        // "Darwin Kernel Version ..."
  std::optional<HashKind> content_hash_kind;
  size_t kext_count() const;
};

struct OpenOptions {
  unsigned jobs = 0;                      // 0 = all cores
  uint64_t max_decoded = 8ull << 30;      // cap for a decompressed payload
  std::optional<HashKind> content_hash = HashKind::kSha256;  // nullopt: no content hash
  bool symbols = false;                   // exports/symbols/function starts of each entry
  bool code_hash = true;                  // each entry's code hash (Entry::code_sha256; empty when off)
};

// Unwraps IM4P / complzss / LZFSE / fat layers and reads the collection. Errors when the input is
// none of the supported kinds or a layer cannot be removed; entry-level problems are diagnostics.
Result<KernelCollection> open(const SourcePtr& src, Diagnostics& diags, const OpenOptions& opt = {});
// The same on bytes already in memory (no ownership taken): layers are removed too.
Result<KernelCollection> read(ByteReader bytes, std::string name, Diagnostics& diags, const OpenOptions& opt = {});

// "Darwin Kernel Version ..." in the image's __TEXT,__const, __TEXT,__cstring, then its whole
// __TEXT segment. `file` is the view the image's offsets count from.
std::string find_kernel_version(const macho::MachO& m, const ByteReader& file);

// A System/Aux KC links against a Boot KC by UUID: its _BootKCID must equal the Boot KC's LC_UUID
// (or _PrelinkKCID). Empty when linked, else the reason.
std::string check_boot_link(const KernelCollection& child, const KernelCollection& boot);

nlohmann::ordered_json to_json(const Entry& e);
nlohmann::ordered_json summary_json(const KernelCollection& kc);  // to_json without "entries"
nlohmann::ordered_json to_json(const KernelCollection& kc);

}  // namespace upscope::kc
