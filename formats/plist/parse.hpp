// Property lists through libplist, with the memory its node tree will take bounded first.
//
// libplist copies a binary plist's shared object at every reference to it (no sharing in its tree),
// so 221 bytes of arrays that each reference the next ten times, seven deep, become 10^7 nodes
// (1 GB; tests/malformed/plist/reference-bomb.bplist). Before
// handing bytes to libplist we bound the tree it will build: for a binary plist by walking the
// object graph once with each object's expanded size memoised, for XML by counting elements.
#pragma once

#include <plist/plist.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "inspect/byte_reader.hpp"
#include "inspect/result.hpp"

namespace upscope::plist {

struct Free {
  void operator()(void* p) const { plist_free(static_cast<plist_t>(p)); }
};
using Ptr = std::unique_ptr<void, Free>;  // owns a root plist_t
inline plist_t get(const Ptr& p) { return static_cast<plist_t>(p.get()); }

// An upper bound of the bytes libplist's tree for `data` takes (a bplist00 binary plist, else XML).
// A binary plist whose references form a cycle gets UINT64_MAX (libplist rejects it anyway).
uint64_t tree_bytes_bound(Bytes data);

// Our own cap on that bound, whatever --max-memory says: 4 MiB plus 128 bytes per input byte. A key
// or value shared by reference costs a node (128 bytes) plus its text at each 1- or 2-byte reference,
// so real plists stay well under it; a reference bomb asks for thousands of times its size.
uint64_t tree_bytes_cap(uint64_t input_size);

// The string at `key` of a dictionary (null allowed), or "" when absent or not a string.
std::string string_item(plist_t dict, const char* key);

enum class Syntax { kAny, kXml };
// Parses `data` (kAny: binary or XML; kXml: XML only). kLimit when the tree would exceed
// tree_bytes_cap or the --max-memory limit; otherwise the root, which is null when libplist cannot
// parse the bytes (callers word that error for their structure).
Result<Ptr> parse(Bytes data, std::string_view structure, Syntax syntax = Syntax::kAny,
                  std::optional<uint64_t> offset = std::nullopt);

}  // namespace upscope::plist
