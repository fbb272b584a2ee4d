// A component's history across the series: each consecutive pair of builds diffed by the same
// diff_builds as `upscope diff`, restricted to that one component. A build holds the component when
// one of its members is a stored content of it: found in the members' runs without decoding them.
#include <algorithm>
#include <map>
#include <unordered_map>

#include <fmt/format.h>

#include "impl.hpp"

namespace upscope::catalog {

namespace {

Error history_error(const std::string& path, ErrorCode code, std::string rule) {
  Error e = make_error(code, "", std::move(rule));
  e.file = path;
  return e;
}

// The component's id: exact, or the single id ending in "/name" (a file name, "WebKit"), with the
// stored contents of that component.
Result<std::pair<std::string, std::vector<detail::ComponentRow>>> match_component(detail::Store& s,
                                                                                    const std::string& name) {
  UPSCOPE_TRY(auto rows, s.components_named(name));
  if (!rows.empty()) return std::make_pair(name, std::move(rows));
  // Ids normalise() qualified ("...plist@cryptex-os", "...#2") match by the name before the qualifier.
  UPSCOPE_TRY(std::vector<std::string> all, s.component_ids());
  std::sort(all.begin(), all.end());
  const std::string tail = "/" + name;
  std::vector<std::string> ids;
  for (const auto& id : all) {
    size_t pos = id.rfind(tail);
    if (pos == std::string::npos) continue;
    size_t end = pos + tail.size();
    if (end == id.size() || id[end] == '@' || id[end] == '#') ids.push_back(id);
  }
  if (ids.size() == 1) {
    UPSCOPE_TRY(rows, s.components_named(ids[0]));
    return std::make_pair(ids[0], std::move(rows));
  }
  if (ids.empty())
    return fail(history_error(s.name(), ErrorCode::kNotFound,
                              fmt::format("no component \"{}\" in any catalogued build", name)));
  std::string list;
  for (const auto& id : ids) list += "\n  " + id;
  return fail(history_error(s.name(), ErrorCode::kInvalidArgument,
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
  detail::Store& s = *impl_->store;
  UPSCOPE_TRY(auto txn, detail::Txn::begin(s, false));
  History h;
  UPSCOPE_TRY(auto match, match_component(s, name));
  h.component = std::move(match.first);
  std::vector<detail::ComponentRow>& contents = match.second;
  UPSCOPE_TRY(std::vector<detail::BuildRow> builds, detail::numbered_builds(s, false));
  h.builds = builds.size();

  // Each stored content of the component, whole (its details too), by row key.
  std::vector<int64_t> want;
  for (const auto& r : contents) want.push_back(r.details);
  std::sort(want.begin(), want.end());
  want.erase(std::unique(want.begin(), want.end()), want.end());
  std::map<int64_t, detail::DetailsRow> details;
  UPSCOPE_CHECK(s.read_details(want, [&](detail::DetailsRow& d) {
    const int64_t k = d.key;
    details.emplace(k, std::move(d));
    return Status{};
  }));
  std::map<int64_t, const detail::ComponentRow*> by_key;
  for (const auto& r : contents) by_key.emplace(r.key, &r);

  // Each build's content of the component, if any: the first of its members that is one. Builds'
  // members are read one at a time, in whatever order the database gives them.
  std::unordered_map<int64_t, const detail::BuildRow*> build_of;
  for (const auto& b : builds) build_of.emplace(b.key, &b);
  std::unordered_map<int64_t, const detail::ComponentRow*> row_in;
  UPSCOPE_CHECK(s.read_blobs({}, [&](int64_t key, Bytes members, Bytes) -> Status {
    auto b = build_of.find(key);
    if (b == build_of.end()) return {};  // added since the build list was read (not in this snapshot)
    const detail::ComponentRow* row = nullptr;
    auto in_run = [&](int64_t start, uint64_t len) {
      auto it = by_key.lower_bound(start);
      if (it == by_key.end() || static_cast<uint64_t>(it->first - start) >= len) return true;
      row = it->second;  // keys grow along a run: the lowest is the first member
      return false;
    };
    auto found = detail::for_each_run(members, b->second->rec.components, in_run,
                                      fmt::format("build #{}", b->second->rec.id));
    if (!found) return fail(found.error().in_file(s.name()));
    if (row) row_in.emplace(key, row);
    return {};
  }));

  std::optional<Component> prev;
  bool first = true;
  for (const auto& b : builds) {
    auto in = row_in.find(b.key);
    const detail::ComponentRow* row = in == row_in.end() ? nullptr : in->second;
    std::optional<Component> cur;
    if (row) {
      UPSCOPE_TRY(Component c, detail::to_component(*row, s.name(), b.rec.id));
      auto d = details.find(row->details);
      if (d == details.end())
        return fail(history_error(s.name(), ErrorCode::kMalformed,
                                  fmt::format("build #{} component {}: the catalogue is corrupted: its symbols and "
                                              "functions (#{}) are missing",
                                              b.rec.id, c.id, row->details)));
      UPSCOPE_CHECK(detail::add_details(c, d->second, s.name(), b.rec.id));
      cur = std::move(c);
    }
    if (first) {
      first = false;
      if (cur) h.entries.push_back({b.rec, "baseline", cur, {}});
    } else {
      BuildDiff d = diff_builds(just(prev), just(cur));
      if (!d.changes.empty()) h.entries.push_back({b.rec, to_string(d.changes[0].kind), cur, std::move(d.changes[0])});
    }
    prev = std::move(cur);
  }
  UPSCOPE_CHECK(txn.commit());
  return h;
}

}  // namespace upscope::catalog
