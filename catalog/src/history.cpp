// A component's history across the series: each consecutive pair of builds diffed by the same
// diff_builds as `upscope diff`, restricted to that one component.
#include <map>

#include <fmt/format.h>

#include "impl.hpp"

namespace upscope::catalog {

namespace {

Error history_error(const std::string& path, ErrorCode code, std::string rule) {
  Error e = make_error(code, "", std::move(rule));
  e.file = path;
  return e;
}

// The component's id: exact, or the single id ending in "/name" (a file name, "WebKit").
Result<std::string> match_component(sql::Db& db, const std::string& name) {
  constexpr const char* what = "looking up the component";
  UPSCOPE_TRY(auto exact, sql::Stmt::prepare(db, "SELECT 1 FROM components WHERE id = ?1 LIMIT 1", what));
  exact.bind(1, name);
  UPSCOPE_TRY(bool row, exact.step());
  if (row) return name;
  // Ids normalise() qualified ("...plist@cryptex-os", "...#2") match by the name before the qualifier.
  UPSCOPE_TRY(auto all, sql::Stmt::prepare(db, "SELECT DISTINCT id FROM components ORDER BY id", what));
  const std::string tail = "/" + name;
  std::vector<std::string> ids;
  while (true) {
    UPSCOPE_TRY(row, all.step());
    if (!row) break;
    std::string_view id = all.text(0);
    size_t pos = id.rfind(tail);
    if (pos == std::string_view::npos) continue;
    size_t end = pos + tail.size();
    if (end == id.size() || id[end] == '@' || id[end] == '#') ids.emplace_back(id);
  }
  if (ids.size() == 1) return ids[0];
  if (ids.empty())
    return fail(history_error(db.path(), ErrorCode::kNotFound,
                              fmt::format("no component \"{}\" in any catalogued build", name)));
  std::string list;
  for (const auto& id : ids) list += "\n  " + id;
  return fail(history_error(db.path(), ErrorCode::kInvalidArgument,
                            fmt::format("\"{}\" matches {} components; name one by its full id:{}", name, ids.size(),
                                        list)));
}

BuildInventory just(const std::optional<Component>& c) {
  BuildInventory inv;
  if (c) inv.components.push_back(*c);
  return inv;
}

}  // namespace

Result<History> Catalog::history(const std::string& name) {
  sql::Db& db = impl_->db;
  UPSCOPE_TRY(auto txn, sql::Transaction::begin(db, false));
  History h;
  UPSCOPE_TRY(h.component, match_component(db, name));
  UPSCOPE_TRY(std::vector<BuildRecord> builds, list());
  h.builds = builds.size();

  const std::string q = fmt::format("SELECT {}, c.build_id FROM components c WHERE c.id = ?1",
                                    detail::kComponentColumns);
  UPSCOPE_TRY(auto st, sql::Stmt::prepare(db, q.c_str(), "reading the component's history"));
  UPSCOPE_TRY(auto details, detail::prepare_details(db));
  st.bind(1, h.component);
  std::map<int64_t, Component> in_build;
  while (true) {
    UPSCOPE_TRY(bool row, st.step());
    if (!row) break;
    const int64_t build_id = st.int64(detail::kDetailsIdColumn + 1);
    UPSCOPE_TRY(Component c, detail::read_component(st, db, build_id));
    UPSCOPE_CHECK(detail::read_details(details, st.int64(detail::kDetailsIdColumn), c, db, build_id));
    in_build.emplace(build_id, std::move(c));
  }

  std::optional<Component> prev;
  bool first = true;
  for (const auto& b : builds) {
    std::optional<Component> cur;
    if (auto it = in_build.find(b.id); it != in_build.end()) cur = it->second;
    if (first) {
      first = false;
      if (cur) h.entries.push_back({b, "baseline", cur, {}});
    } else {
      BuildDiff d = diff_builds(just(prev), just(cur));
      if (!d.changes.empty()) h.entries.push_back({b, to_string(d.changes[0].kind), cur, std::move(d.changes[0])});
    }
    prev = std::move(cur);
  }
  UPSCOPE_CHECK(txn.commit());
  return h;
}

}  // namespace upscope::catalog
