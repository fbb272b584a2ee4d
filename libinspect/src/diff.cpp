#include "inspect/diff.hpp"

#include <algorithm>
#include <iterator>
#include <set>

#include "inspect/thread_pool.hpp"

namespace upscope {

const char* to_string(ChangeKind k) {
  switch (k) {
    case ChangeKind::kAdded: return "added";
    case ChangeKind::kRemoved: return "removed";
    case ChangeKind::kModified: return "modified";
  }
  return "?";
}

namespace {

Change describe(const Component& c, ChangeKind kind) {
  Change ch;
  ch.id = c.id;
  ch.kind = kind;
  ch.component_kind = c.kind;
  ch.space = c.space;
  ch.location = c.location;
  return ch;
}

void add_if_differs(std::vector<Evidence>& ev, const std::string& field, const std::string& a, const std::string& b) {
  if (a != b) ev.push_back({field, a, b});
}

template <typename Range>
std::vector<std::string> minus(const Range& a, const Range& b) {
  std::vector<std::string> out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

// Fills the modified-component record; returns whether the component really changed.
bool compare(const Component& a, const Component& b, Change& ch) {
  const bool have_code = !a.code_hash.empty() && !b.code_hash.empty();
  add_if_differs(ch.evidence, "code_hash", a.code_hash, b.code_hash);
  for (const auto& [kind, hex] : a.hashes) {
    auto it = b.hashes.find(kind);
    if (it != b.hashes.end()) add_if_differs(ch.evidence, kind, hex, it->second);
  }
  add_if_differs(ch.evidence, "uuid", a.uuid, b.uuid);
  add_if_differs(ch.evidence, "version", a.version, b.version);
  if (a.size != b.size) ch.evidence.push_back({"size", std::to_string(a.size), std::to_string(b.size)});

  ch.symbols_added = minus(b.symbols, a.symbols);
  ch.symbols_removed = minus(a.symbols, b.symbols);

  auto differs = [&](const char* field) {
    return std::any_of(ch.evidence.begin(), ch.evidence.end(), [&](const Evidence& e) { return e.field == field; });
  };
  if (differs("uuid") || differs("version")) return true;
  // Code hashes ignore known noise (slid pointers, build paths): when both exist they decide.
  if (have_code) return differs("code_hash");
  if (!ch.evidence.empty()) return true;
  return !ch.symbols_added.empty() || !ch.symbols_removed.empty();
}

using FunctionHashes = std::map<std::string, std::string>;

void compare_functions(const FunctionHashes& a, const FunctionHashes& b, Change& ch) {
  for (const auto& [name, hash] : b) {
    auto it = a.find(name);
    if (it == a.end()) ch.functions_added.push_back(name);
    else if (it->second != hash) ch.functions_changed.push_back(name);
  }
  for (const auto& [name, hash] : a)
    if (!b.count(name)) ch.functions_removed.push_back(name);
}

// A component's function hashes, computed now if its reader deferred them.
FunctionHashes functions_of(const Component& c) {
  return c.functions.empty() && c.functions_loader ? c.functions_loader() : c.functions;
}

}  // namespace

BuildDiff diff_builds(const BuildInventory& old_build, const BuildInventory& new_build) {
  BuildDiff d;
  auto less = [](const Component& x, const Component& y) { return x.id < y.id; };
  std::vector<const Component*> a, b;
  for (const auto& c : old_build.components) a.push_back(&c);
  for (const auto& c : new_build.components) b.push_back(&c);
  std::sort(a.begin(), a.end(), [&](auto* x, auto* y) { return less(*x, *y); });
  std::sort(b.begin(), b.end(), [&](auto* x, auto* y) { return less(*x, *y); });
  struct Modified {
    const Component *a, *b;
    size_t change;  // index into d.changes
  };
  std::vector<Modified> modified;
  size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    if (j == b.size() || (i < a.size() && a[i]->id < b[j]->id)) {
      d.changes.push_back(describe(*a[i++], ChangeKind::kRemoved));
    } else if (i == a.size() || b[j]->id < a[i]->id) {
      d.changes.push_back(describe(*b[j++], ChangeKind::kAdded));
    } else {
      Change ch = describe(*b[j], ChangeKind::kModified);
      if (compare(*a[i], *b[j], ch)) {
        modified.push_back({a[i], b[j], d.changes.size()});
        d.changes.push_back(std::move(ch));
      }
      ++i;
      ++j;
    }
  }
  // Which functions changed, only for what changed: deferred hashes disassemble whole images, so
  // they are computed in parallel, and only here.
  const bool deferred = std::any_of(modified.begin(), modified.end(), [](const Modified& m) {
    return (m.a->functions.empty() && m.a->functions_loader) || (m.b->functions.empty() && m.b->functions_loader);
  });
  if (!deferred) {
    for (const auto& m : modified) compare_functions(m.a->functions, m.b->functions, d.changes[m.change]);
  } else {
    ThreadPool pool;
    ordered_parallel_map(
        pool, modified.size(), size_t(pool.size()) * 2,
        [&](size_t k) { return std::make_pair(functions_of(*modified[k].a), functions_of(*modified[k].b)); },
        [&](size_t k, std::pair<FunctionHashes, FunctionHashes> f) {
          compare_functions(f.first, f.second, d.changes[modified[k].change]);
          return true;
        });
  }
  d.not_analysed = old_build.not_analysed;
  d.not_analysed.insert(d.not_analysed.end(), new_build.not_analysed.begin(), new_build.not_analysed.end());
  return d;
}

}  // namespace upscope
