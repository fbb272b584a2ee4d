// Apple Encrypted Archives as inputs of other commands (inspect, ls, aa, decompress, aea): the keys
// from the global options (--key, --key-file, --password-file) and the plaintext they unlock.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "aea/aea.hpp"
#include "analysis/inventory.hpp"
#include "cli.hpp"

namespace upscope::cli {

// The keys the user gave (none is fine: profile 0 needs none); an error when an option is malformed.
Result<aea::Keys> aea_keys(const GlobalOptions& g);
// The keys for the AEA images of builds: --key / --key-file / --password-file as the default for
// every image, --aea-keys FILE by file name.
Status set_build_keys(const GlobalOptions& g, build::InventoryOptions& opt);
// How to give what `profile` needs: "give it with --key BASE64 or --key-file PATH".
std::string aea_key_hint(uint32_t profile);
// The plaintext, with the user's keys. Errors name the file; a missing key adds the hint.
// `shown`: the input as the user named it (errors name it), else the file's own name.
Result<std::shared_ptr<const aea::PlainSource>> open_aea(const Context& ctx, const SourcePtr& file,
                                                         const std::string& shown = "");
// The whole plaintext in memory, every segment checked (the Apple Archive reader needs contiguous bytes).
Result<std::vector<uint8_t>> read_aea_plaintext(const Context& ctx, const aea::PlainSource& plain);

// For commands that take an Apple Archive (aa list/extract): when `path` is an AEA file, its whole
// plaintext; nullopt when it is not one.
struct AeaPlaintext {
  std::vector<uint8_t> bytes;
  std::string summary;  // "AEA profile 0 (signed, not encrypted), lzfse segments"
  Diagnostics diagnostics;
};
Result<std::optional<AeaPlaintext>> read_if_aea(const Context& ctx, const std::string& path);

// `upscope decompress FILE.aea`: the plaintext to `write`, every segment checked; refused before
// anything is written when it is larger than max_output. Sets `summary` for the closing line.
Result<uint64_t> write_aea_plaintext(const Context& ctx, const SourcePtr& file, const std::string& shown,
                                     uint64_t max_output, const std::function<Status(Bytes)>& write,
                                     std::string& summary);

}  // namespace upscope::cli
