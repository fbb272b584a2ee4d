// The one interface between the catalogue and a database. Everything that does not depend on the
// database (encoding, digests, numbering, naming builds, diffs and histories) is written once, in
// catalog.cpp, history.cpp and resolve.cpp, against this; sqlite_store.cpp and pg_store.cpp only
// move rows (docs/catalog.md §1).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/catalog.hpp"
#include "encoding.hpp"

namespace upscope::catalog::detail {

// A build. `key` is the database's own row id: never shown (a build's "#N" is its place in series
// order, given when builds are read).
struct BuildRow {
  int64_t key = 0;
  BuildRecord rec;
  Blob members;       // its component rows' keys in inventory order: runs, or a delta from a base build
  Blob not_analysed;  // encode_not_analysed
};

// One distinct component content (content-addressed: `digest` = component_digest).
struct ComponentRow {
  int64_t key = 0;
  std::string digest;
  std::string id, kind, space, location, path, version, uuid;
  uint64_t size = 0;
  std::string code_hash;
  Blob hashes;
  int64_t details = 0;  // key of its DetailsRow
};

// One binary's symbols, function hashes and facts (content-addressed: `digest` = details_digest).
struct DetailsRow {
  int64_t key = 0;
  std::string digest;
  Blob symbols, functions, facts;
};

class Store {
 public:
  virtual ~Store() = default;
  // The database as messages name it: the file path, or the URI without its password.
  virtual const std::string& name() const = 0;

  // One transaction at a time; every read and write below happens inside one.
  virtual Status begin(bool write) = 0;
  virtual Status commit() = 0;
  virtual void rollback() = 0;
  // The last failure was a serialization failure or a deadlock: the transaction may be run again.
  virtual bool retryable() const = 0;

  // Inserts a build with empty members; nullopt when a build with the same digest is already there
  // (waiting for another writer's uncommitted one first).
  virtual Result<std::optional<int64_t>> insert_build(const BuildRow& b) = 0;
  virtual Status set_members(int64_t key, Bytes members) = 0;
  // Every build, in no particular order; with their members and not-analysed blobs when `blobs`.
  virtual Result<std::vector<BuildRow>> builds(bool blobs) = 0;
  // The members and not-analysed blobs of the builds with these keys (every build when `keys` is
  // empty), each handed to `each` once, in any order. The bytes live until `each` returns: a
  // history reads every build's members one at a time instead of holding them all.
  virtual Status read_blobs(const std::vector<int64_t>& keys,
                            const std::function<Status(int64_t key, Bytes members, Bytes not_analysed)>& each) = 0;

  // The keys of stored rows by digest, in the order asked; 0 where there is none.
  virtual Result<std::vector<int64_t>> find_details(const std::vector<std::string>& digests) = 0;
  virtual Result<std::vector<int64_t>> find_components(const std::vector<std::string>& digests) = 0;
  // Inserts `n` rows, the k-th as fill(k, row) leaves `row`: one row reused from each call to the
  // next (its buffers keep their capacity), so a build's new rows are never all held at once. Rows
  // whose digest is there by then (another writer's) are skipped, not errors. The key given to each
  // row, in order; 0 for a skipped one (the caller finds those): new rows need no second look-up.
  virtual Result<std::vector<int64_t>> insert_details(size_t n,
                                                      const std::function<void(size_t, DetailsRow&)>& fill) = 0;
  virtual Result<std::vector<int64_t>> insert_components(size_t n,
                                                         const std::function<void(size_t, ComponentRow&)>& fill) = 0;

  // Rows by key (`keys` sorted, unique), each handed to `each` once, in any order.
  virtual Status read_components(const std::vector<int64_t>& keys,
                                 const std::function<Status(ComponentRow&)>& each) = 0;
  virtual Status read_details(const std::vector<int64_t>& keys, const std::function<Status(DetailsRow&)>& each) = 0;
  // Every stored content of the component `id`.
  virtual Result<std::vector<ComponentRow>> components_named(std::string_view id) = 0;
  // The keys of every stored component content of this kind (an index: trust caches are few).
  virtual Result<std::vector<int64_t>> keys_of_kind(std::string_view kind) = 0;
  // Every distinct component id.
  virtual Result<std::vector<std::string>> component_ids() = 0;
};

// Each checks what the database is, creates the schema (kCreate) or refuses, and migrates an older one.
Result<std::unique_ptr<Store>> open_sqlite(const std::string& path, Catalog::Mode mode);
Result<std::unique_ptr<Store>> open_postgres(const std::string& uri, const std::string& shown, Catalog::Mode mode);

// A build ready to store, computed before any transaction and on every core: its build row
// (digest included) and each component's content digest and details digest. The rows themselves
// are encoded in write_build for the components the catalogue does not hold yet (usually few).
struct PreparedBuild {
  const BuildInventory* inv = nullptr;
  BuildRow build;
  std::vector<std::string> digests;          // component_digest, in inventory order
  std::vector<std::string> details_digests;  // details_digest, the same
};
PreparedBuild prepare_build(const BuildInventory& inv);

// Writes a prepared build through `store`, inside the caller's write transaction: its details and
// components that are not stored yet, then the build and its members. nullopt: already there.
// `added_at` as recorded (a migration keeps the original date).
Result<std::optional<int64_t>> write_build(Store& store, PreparedBuild& b, const std::string& added_at);

// The schema version check both backends make: newer is refused, older than `oldest` (the first
// version a migration starts from) too.
Status check_version(int64_t version, int64_t oldest, const std::string& name);

// An Error naming the database: "<name>: <rule>".
Error db_error(ErrorCode code, const std::string& name, std::string rule);

}  // namespace upscope::catalog::detail
