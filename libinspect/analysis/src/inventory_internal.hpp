// Pieces of the inventory builder shared by its source files (not part of the public API).
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "analysis/inventory.hpp"
#include "analysis/classify.hpp"
#include "inspect/progress.hpp"
#include "inspect/source.hpp"

namespace upscope::build {

struct FileResult {
  std::vector<Component> components;
  std::vector<NotAnalysed> not_analysed;
};

// Opens a file in the same directory as the one being read, by its name (a dyld cache's subcaches
// and .symbols file). Callers pass only names that pass is_plain_file_name (no '/', NUL, "." or
// ".."), checked where the name is built from file content, so it never reaches outside that
// directory. Empty when the file's container cannot open neighbours.
using SiblingOpener = std::function<Result<SourcePtr>(const std::string& name)>;
bool is_plain_file_name(const std::string& name);

// The whole-content SHA-256 every file component carries (hashes["sha256"]).
void add_content_hash(Component& c, const Source& src);

// Opens the file being read once more, for a diff that asks after the inventory (a file inside an
// image: the volume is kept, the file's bytes are not). Empty when it cannot be opened again.
using Reopener = std::function<Result<SourcePtr>()>;

// The SHA-256s of a dyld cache's subcache files, computed by the reader of their main file from the
// bytes it decodes for the images anyway (dyld_components.cpp, docs/reading.md): one decode of each
// file instead of two. One per expanded volume; the volume reads a main file's subcaches after it,
// in the same task (image_components.cpp), so nobody waits here.
class CacheFileHashes {
 public:
  // The main file's reader will hash `path` (its rel) and call give(); false when it is too late.
  bool claim(const std::string& path);
  void give(const std::string& path, std::optional<std::string> sha256);
  // For the file's own reader: the hash given for it, or nullopt when nobody gave one (it then hashes
  // the file itself). No claim succeeds after this.
  std::optional<std::string> take(const std::string& path);

 private:
  std::mutex mu_;
  std::map<std::string, std::optional<std::string>> given_;  // claimed or taken; value once given
};

// One file of a build, found at `rel` (absolute within the system root): hashed, identified and
// read by the reader for its format. `depth` counts enclosing images (bounded nesting). `sha256`, when
// given, is the content hash already computed (files hashed side by side first).
// `cache_hashes`, when given, carries dyld subcache hashes from the main file's reader to the
// subcache's.
FileResult read_source(const std::string& rel, SourcePtr src, const InventoryOptions& opt, Progress* progress,
                       unsigned depth, const SiblingOpener& siblings = {}, const std::string* sha256 = nullptr,
                       const Reopener& reopen = {}, CacheFileHashes* cache_hashes = nullptr);

// A cryptex disk image (os.dmg, app.dmg...): every file of its volumes becomes a component placed
// under the cryptex's graft point, so a dylib in os.dmg is diffed like one in /System/Cryptexes/OS.
// What cannot be read goes to out.not_analysed, which makes a verdict undetermined, never "yes".
// `share`, when given, is told the fraction of the image's files read so far.
void expand_cryptex_image(const std::string& rel, const SourcePtr& src, const Placement& pl,
                          const InventoryOptions& opt, unsigned depth, FileResult& out,
                          ProgressShare* share = nullptr);

}  // namespace upscope::build
