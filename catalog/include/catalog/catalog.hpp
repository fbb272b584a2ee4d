// The build catalogue: build inventories stored in one SQLite file, loaded back exactly, so diffs,
// verdicts and a component's history across a series of builds need no build at hand.
//
// One transaction per added build (a killed `add` leaves the earlier builds intact), WAL mode and a
// busy timeout (two processes may add at once), a schema version checked on open, and a build
// added twice (same product, version, build, extra and content digest) recognised and skipped.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "inspect/diff.hpp"
#include "inspect/model.hpp"
#include "inspect/result.hpp"

namespace upscope::catalog {

inline constexpr int kSchemaVersion = 2;
inline constexpr uint32_t kApplicationId = 0x75705363;  // "upSc" in the SQLite header: ours, not foreign

struct BuildRecord {
  int64_t id = 0;  // the catalogue's id ("#3")
  std::string product, version, build, version_extra, platform, arch;
  std::string source;   // what was read when it was added
  std::string digest;   // SHA-256 of the inventory's content (detail::content_digest)
  std::string added_at;  // UTC, ISO 8601
  uint64_t components = 0;
  uint64_t not_analysed = 0;
};

// "macOS 13.3.1 (a) (22E772610a)", or the source when the build had no version (reports::build_label).
std::string label(const BuildRecord& b);
// Series order: version, then build (both compared with digit runs as numbers), then catalogue id.
bool series_less(const BuildRecord& a, const BuildRecord& b);

enum class AddStatus { kAdded, kAlreadyPresent };
struct AddResult {
  AddStatus status = AddStatus::kAdded;
  BuildRecord build;  // the new record, or the one already there
};

// One build of the series in which a component changed.
struct HistoryEntry {
  BuildRecord build;
  std::string change;                  // "baseline" (first catalogued build), "added", "removed", "modified"
  std::optional<Component> component;  // the component in this build (none when removed)
  Change diff;                         // diff_builds' record against the previous build (empty for baseline)
};

struct History {
  std::string component;  // the id that was matched
  size_t builds = 0;      // builds in the catalogue
  std::vector<HistoryEntry> entries;
};

class Catalog {
 public:
  enum class Mode {
    kCreate,    // create the file (and its directory) when missing: for adding
    kExisting,  // the file must exist: for reading
  };
  // Checks what the file is before touching it: not SQLite, a foreign SQLite database, or a newer
  // schema are errors naming the file; an empty file becomes a new catalogue (kCreate).
  static Result<Catalog> open(const std::string& path, Mode mode);
  Catalog(Catalog&&) noexcept;
  Catalog& operator=(Catalog&&) noexcept;
  ~Catalog();

  const std::string& path() const;

  Result<AddResult> add(const BuildInventory& inv);
  // Every build, in series order.
  Result<std::vector<BuildRecord>> list();
  // A build named by "#id", its source, its build string, "version", "version build", "version extra"
  // ("13.3.1 (a)"), "version extra build", its label, or a bare id. Ambiguity is an error listing the
  // candidates.
  Result<BuildRecord> resolve(const std::string& name);
  // The inventory exactly as it was added.
  Result<BuildInventory> load(int64_t id);
  // Two builds for diff_builds. A component whose symbol and function lists are stored identically
  // on both sides (same id, same lists) gets them empty on both: no diff changes (equal lists give
  // no list differences), and what did not change is not decoded. Everything else is as load().
  Result<std::pair<BuildInventory, BuildInventory>> load_for_diff(int64_t old_id, int64_t new_id);
  // Every build in which the component (an exact id, or failing that the one id ending in "/name")
  // changed, in series order.
  Result<History> history(const std::string& component);

 private:
  struct Impl;
  explicit Catalog(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// $XDG_DATA_HOME/upscope/catalog.db, else ~/.local/share/upscope/catalog.db.
std::string default_path();

}  // namespace upscope::catalog
