// What the catalogue's source files share: the connection and the row readers.
#pragma once

#include <string>

#include "catalog/catalog.hpp"
#include "sqlite.hpp"

namespace upscope::catalog {

struct Catalog::Impl {
  sql::Db db;
};

namespace detail {

// The columns of `builds`, in the order read_build expects.
inline constexpr const char* kBuildColumns =
    "id, product, version, build, version_extra, platform, arch, source, digest, added_at, component_count, "
    "not_analysed_count";
BuildRecord read_build(const sql::Stmt& st);

// The columns of a component, in the order read_component expects; its lists are in `details`.
inline constexpr const char* kComponentColumns =
    "c.id, c.kind, c.space, c.location, c.path, c.version, c.uuid, c.size, c.code_hash, c.hashes, c.details_id";
inline constexpr int kDetailsIdColumn = 10;
// Everything but the symbol and function lists.
Result<Component> read_component(const sql::Stmt& st, const sql::Db& db, int64_t build_id);
// "SELECT symbols, functions FROM details WHERE id = ?1", prepared once per load.
Result<sql::Stmt> prepare_details(sql::Db& db);
Status read_details(sql::Stmt& details, int64_t details_id, Component& c, const sql::Db& db, int64_t build_id);

}  // namespace detail
}  // namespace upscope::catalog
