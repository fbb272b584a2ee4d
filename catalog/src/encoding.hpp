// How a component's lists live in the catalogue: string lists and string maps packed as
// ULEB128-length-prefixed strings in one blob (an unchanged component's blob is stored once for
// the whole series), and the content digest that recognises a build added twice.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "inspect/byte_reader.hpp"
#include "inspect/model.hpp"
#include "inspect/result.hpp"

namespace upscope::catalog::detail {

using Blob = std::vector<uint8_t>;

void put_uleb(Blob& out, uint64_t v);
void put_string(Blob& out, std::string_view s);
Blob encode_strings(const std::vector<std::string>& list);
Blob encode_map(const std::map<std::string, std::string>& map);
// `what` names the record for the error ("build 3 component 12 symbols").
Status decode_strings(Bytes blob, std::vector<std::string>& out, std::string_view what);
Status decode_map(Bytes blob, std::map<std::string, std::string>& out, std::string_view what);

// A component's hashes as stored: its own, plus one "also <location> <path>" entry per other place it
// lives (Component::also); and back.
std::map<std::string, std::string> stored_hashes(const Component& c);
void restore_hashes(std::map<std::string, std::string> stored, Component& c);

// SHA-256 (hex) over every field of the inventory except `source`: the same build read from
// another path is still the same build.
std::string content_digest(const BuildInventory& inv);

inline Bytes bytes_of(std::string_view s) {
  return Bytes(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

}  // namespace upscope::catalog::detail
