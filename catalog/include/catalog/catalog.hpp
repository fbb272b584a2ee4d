// The build catalogue: build inventories stored in one SQLite file (the default) or a PostgreSQL
// database (a team's, filled by many jobs at once), loaded back exactly, so diffs, verdicts and a
// component's history across a series of builds need no build at hand.
//
// One transaction per added build (a killed `add` leaves nothing half-written), retried on
// serialization failures and deadlocks; a build added twice (same content digest), by one process
// or two at once, is stored once. Components are stored once per distinct content and a build
// refers to them, so the catalogue grows with what changes, not with the number of builds
// (docs/catalog.md). A schema version is checked on open.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "analysis/diff.hpp"
#include "analysis/model.hpp"
#include "inspect/result.hpp"

namespace upscope::catalog {

inline constexpr int kSchemaVersion = 3;
inline constexpr uint32_t kApplicationId = 0x75705363;  // "upSc" in the SQLite header: ours, not foreign

struct BuildRecord {
  int64_t id = 0;  // "#3": the build's place in series order when it was read (not when it was added)
  std::string product, version, build, version_extra, platform, arch;
  std::string source;   // what was read when it was added
  std::string digest;   // SHA-256 of the inventory's content (detail::content_digest)
  std::string added_at;  // UTC, ISO 8601
  uint64_t components = 0;
  uint64_t not_analysed = 0;
};

// "macOS 13.3.1 (a) (22E772610a)", or the source when the build had no version (reports::build_label).
std::string label(const BuildRecord& b);
// Series order: version, then build (both compared with digit runs as numbers), then content digest:
// the same whatever order, or into which catalogue, the builds were added.
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

// Where a catalogue is: a file, or a PostgreSQL database named by a libpq URI.
struct DbLocation {
  enum class Kind { kFile, kPostgres } kind = Kind::kFile;
  std::string target;  // the path, or the URI as given (credentials included: for libpq only)
  std::string shown;   // what messages and documents show: the path, or the URI without its password
};
// "postgresql://..." and "postgres://..." are libpq URIs; anything else shaped like a URI ("scheme:"
// followed by "//") is an error, never a file name; everything else is a file path.
Result<DbLocation> parse_db_location(const std::string& db);
// The URI with the password of its user-info part and any "password=" parameter replaced by "***".
std::string redact_uri(const std::string& uri);

class Catalog {
 public:
  enum class Mode {
    kCreate,    // create the file (and its directory) when missing: for adding
    kExisting,  // the file must exist: for reading
  };
  // `db` as parse_location reads it. Checks what the file or database is before touching it: not
  // SQLite, another application's database, or a newer schema are errors naming it; an empty file
  // or database becomes a new catalogue (kCreate); an older schema is migrated.
  static Result<Catalog> open(const std::string& db, Mode mode);
  Catalog(Catalog&&) noexcept;
  Catalog& operator=(Catalog&&) noexcept;
  ~Catalog();

  // The file path, or the URI without its password.
  const std::string& path() const;

  Result<AddResult> add(const BuildInventory& inv);
  // Every build, in series order.
  Result<std::vector<BuildRecord>> list();
  // A build named by "#id", its source, its build string, "version", "version build", "version extra"
  // ("13.3.1 (a)"), "version extra build", its label, or a bare id. Ambiguity is an error listing the
  // candidates.
  Result<BuildRecord> resolve(const std::string& name);
  // The inventory exactly as it was added; `id` as list() numbers it.
  Result<BuildInventory> load(int64_t id);
  // Two builds for diff_builds. A component stored as the same row in both (identical in every
  // field) is left out of both and counted in their omitted_identical, trust caches excepted. A
  // component whose symbol and function lists are stored identically on both sides (same id, same
  // lists) gets them empty on both: no diff changes (equal lists give no list differences), and what
  // did not change is not decoded. Everything else is as load().
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
