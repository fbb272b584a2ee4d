// A component's history across the series: each consecutive pair of builds diffed by the same
// diff_builds as `upscope diff`, restricted to that one component. A build holds the component when
// one of its members is a stored content of it: found in the members' runs without decoding them.
#include <algorithm>
#include <functional>
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

  // Each build's content of the component, if any: where its members hold one of the component's
  // rows. A build's members are runs of keys or a delta from another build's: the positions of those
  // rows are followed through the chain (every build's blob is read once, none is expanded).
  detail::MembersReader reader(s, builds);
  UPSCOPE_CHECK(reader.read_all());
  using Hits = std::vector<std::pair<uint64_t, int64_t>>;  // (position, row key), by position
  std::unordered_map<int64_t, Hits> hits;
  std::unordered_map<int64_t, uint64_t> depth_of;
  std::function<Status(int64_t)> find_hits = [&](int64_t key) -> Status {
    if (hits.count(key)) return {};
    const detail::BuildRow* b = reader.build(key);
    if (!b)
      return fail(history_error(s.name(), ErrorCode::kMalformed,
                                fmt::format("the catalogue is corrupted: members: base build key {} is missing", key)));
    UPSCOPE_TRY(Bytes blob, reader.blob(key));
    const std::string what = fmt::format("build #{}", b->rec.id);
    auto info = detail::members_info(blob, b->rec.components, what);
    if (!info) return fail(info.error().in_file(s.name()));
    const Hits* base = nullptr;
    uint64_t base_size = 0;
    if (info->base) {
      UPSCOPE_CHECK(find_hits(info->base));  // depths fall by one along a chain: this ends
      if (depth_of.at(info->base) != info->depth - 1)
        return fail(history_error(s.name(), ErrorCode::kMalformed,
                                  fmt::format("{}: the catalogue is corrupted: members: depth {} on a base of depth {}",
                                              what, info->depth, depth_of.at(info->base))));
      base = &hits.at(info->base);
      base_size = reader.build(info->base)->rec.components;
    }
    Hits out;
    uint64_t pos = 0;
    auto st = detail::for_each_member_op(blob, b->rec.components, base_size,
                                         [&](const detail::MemberOp& op) {
      const uint64_t first = static_cast<uint64_t>(op.first);
      if (op.copy) {
        auto it = std::lower_bound(base->begin(), base->end(), std::make_pair(first, INT64_MIN));
        for (; it != base->end() && it->first < first + op.len; ++it) out.emplace_back(pos + it->first - first, it->second);
      } else {
        for (auto it = by_key.lower_bound(op.first); it != by_key.end() && static_cast<uint64_t>(it->first) < first + op.len;
             ++it)
          out.emplace_back(pos + static_cast<uint64_t>(it->first) - first, it->first);
      }
      pos += op.len;
      return true;
    }, what);
    if (!st) return fail(st.error().in_file(s.name()));
    depth_of[key] = info->depth;
    hits.emplace(key, std::move(out));
    return {};
  };

  std::optional<Component> prev;
  int64_t prev_key = 0;  // the stored row prev came from; 0: the build did not hold the component
  bool first = true;
  for (const auto& b : builds) {
    UPSCOPE_CHECK(find_hits(b.key));
    const Hits& h_of = hits.at(b.key);
    const detail::ComponentRow* row = h_of.empty() ? nullptr : by_key.at(h_of.front().second);
    // The very same stored row as the build before (or absent from both): identical, no change to
    // diff (most builds of a series; each diff_builds call starts its drill-down threads).
    if (!first && (row ? row->key : 0) == prev_key) continue;
    prev_key = row ? row->key : 0;
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
