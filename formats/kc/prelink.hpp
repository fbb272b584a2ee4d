// The __PRELINK_INFO,__info property list of kernel collections and prelinked kernelcaches.
// The kernel writes it in IOKit's XML dialect (OSUnserializeXML): values may carry ID="n" and later
// values may stand for them with IDREF="n"; the root may lack the <plist> wrapper; <set> is an
// array. parse_prelink_info reads it with our own reader of that dialect (plist/iokit_xml.hpp),
// which keeps each IDREF as a link instead of a copy. resolve_idrefs() rewrites the text into a plain
// plist for tools that only know Apple's XML (libplist: the tests read that with it and compare), with
// bounds: an expansion cap, a nesting cap, and references only to closed elements, so no cycles.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "inspect/byte_reader.hpp"
#include "inspect/diagnostics.hpp"
#include "inspect/result.hpp"

namespace upscope::kc {

using Uuid = std::array<uint8_t, 16>;

struct PrelinkKext {
  std::string bundle_id;         // CFBundleIdentifier
  std::string version;           // CFBundleVersion
  std::string short_version;     // CFBundleShortVersionString
  std::string bundle_path;       // _PrelinkBundlePath
  std::string executable_path;   // _PrelinkExecutableRelativePath
  std::string executable;        // CFBundleExecutable
  std::optional<uint64_t> load_addr, source_addr, executable_size, kmod_info;
};

struct PrelinkInfo {
  std::vector<PrelinkKext> kexts;   // _PrelinkInfoDictionary, in order
  std::optional<Uuid> kc_id;        // _PrelinkKCID: this collection's UUID
  std::optional<Uuid> boot_kc_id;   // _BootKCID: the Boot KC a System/Aux KC links against
  std::optional<Uuid> pageable_kc_id;  // _PageableKCID: the System KC an Aux KC links against
  std::optional<Uuid> interface_uuid;  // _PrelinkInterfaceUUID (legacy)
  uint64_t references_resolved = 0;    // IDREFs expanded
};

struct ResolveLimits {
  uint64_t max_output = 256ull << 20;  // bytes after expansion (billion-laughs guard)
  unsigned max_depth = 256;
};

// The XML with every IDREF replaced by its value and ID/size attributes dropped, wrapped in
// <plist> when needed. Errors name the byte offset in `xml` (absolute, via its base).
Result<std::string> resolve_idrefs(const ByteReader& xml, uint64_t* references = nullptr,
                                   const ResolveLimits& limits = {});

// Parses the dialect and reads the keys above. Malformed XML or a non-dict root is an Error; a bad
// per-kext value is a Diagnostic. Only limits.max_depth applies (nothing is expanded).
Result<PrelinkInfo> parse_prelink_info(const ByteReader& xml, Diagnostics& diags, const ResolveLimits& limits = {});

}  // namespace upscope::kc
