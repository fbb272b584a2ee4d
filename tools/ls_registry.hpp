// `upscope ls INPUT[:/path]` dispatches on the identified format of INPUT to a lister registered by a
// tools/ls_<kind>.cpp file (file systems in disk images, kernel collections, dyld caches, update
// packages...), so each reader adds its listing without touching the command.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "cli.hpp"
#include "inspect/hash.hpp"

namespace upscope::cli {

struct LsRequest {
  std::string input;               // as typed
  std::string image;               // the file (or directory) part
  std::string path;                // the part after ':' ("" when none was given)
  std::optional<HashKind> hash;    // --hash (nullopt for none)
  std::string volume;              // --volume (file systems only)
  bool no_code_hash = false;       // --no-code-hash (code images: dyld cache images, kexts)
  bool payload = false;            // --payload (installer packages: list the Payload archive too)
};

// Prints the listing itself (text or JSON through emit()) and returns the exit code.
// `input.id.format` is "directory" when the input is a directory (nothing is opened then).
using ListFn = std::function<int(Context&, const LsRequest&, const IdentifiedInput& input)>;

struct ListerRegistrar {
  ListerRegistrar(std::vector<std::string> format_ids, ListFn fn);
};

const ListFn* find_lister(const std::string& format_id);

}  // namespace upscope::cli
