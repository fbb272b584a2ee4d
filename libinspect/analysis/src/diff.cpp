#include "analysis/diff.hpp"

#include <algorithm>
#include <iterator>
#include <map>
#include <regex>
#include <set>

#include <fmt/format.h>

#include "inspect/text.hpp"
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

const char* to_string(ChangeClass c) {
  switch (c) {
    case ChangeClass::kCode: return "code";
    case ChangeClass::kData: return "data";
    case ChangeClass::kSignature: return "signature";
    case ChangeClass::kMetadata: return "metadata";
    case ChangeClass::kRelink: return "relink";
    case ChangeClass::kContent: return "content";
  }
  return "?";
}

bool Change::has(ChangeClass c) const { return std::find(classes.begin(), classes.end(), c) != classes.end(); }

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

std::optional<ChangeClass> class_of_fact(const std::string& key) {
  const auto slash = key.find('/');
  const std::string_view c = std::string_view(key).substr(0, slash);
  if (c == "code") return ChangeClass::kCode;
  if (c == "data") return ChangeClass::kData;
  if (c == "signature") return ChangeClass::kSignature;
  if (c == "metadata") return ChangeClass::kMetadata;
  if (c == "content") return ChangeClass::kContent;
  return std::nullopt;
}

// "data/arm64e __TEXT,__cstring" -> "__TEXT,__cstring" (or "arm64e __TEXT,__cstring" in a fat file,
// where the slice matters).
std::string what_of_fact(const std::string& key, bool several_slices) {
  const auto slash = key.find('/');
  std::string rest = slash == std::string::npos ? key : key.substr(slash + 1);
  if (several_slices) return rest;
  const auto sp = rest.find(' ');
  return sp == std::string::npos ? rest : rest.substr(sp + 1);
}

bool several_slices(const Component& c) {
  std::set<std::string> labels;
  for (const auto& [k, v] : c.facts) {
    if (k.rfind("code/", 0) == 0) labels.insert(k.substr(5));
  }
  return labels.size() > 1;
}

// Whether the bytes of two components with the same id may differ: false only when their content
// hashes (and those of the other places they live) are known and equal. Byte truth: equal content
// hashes mean equal bytes; different ones always mean a change.
bool may_differ(const Component& a, const Component& b) {
  bool known = false;
  for (const auto& [kind, hex] : a.hashes) {
    auto it = b.hashes.find(kind);
    if (it == b.hashes.end()) continue;
    known = true;
    if (hex != it->second) return true;
  }
  if (a.also.size() != b.also.size()) return true;
  for (size_t i = 0; i < a.also.size(); ++i)
    if (a.also[i].path != b.also[i].path || a.also[i].sha256 != b.also[i].sha256) return true;
  return !known;
}

// Whether the code hash and facts of c are still to be read (Component::facts_loader).
bool facts_deferred(const Component& c) { return c.facts_loader && c.facts.empty() && c.code_hash.empty(); }

// A component with its deferred code hash and facts filled in.
Component with_facts(const Component& c) {
  Component out = c;
  if (facts_deferred(c)) {
    ComponentFacts f = c.facts_loader();
    out.code_hash = std::move(f.code_hash);
    out.facts = std::move(f.facts);
  }
  return out;
}

// Fills the modified-component record; returns whether the component changed.
bool compare(const Component& a, const Component& b, Change& ch) {
  bool content_known = false, content_differs = false;
  for (const auto& [kind, hex] : a.hashes) {
    auto it = b.hashes.find(kind);
    if (it == b.hashes.end()) continue;
    content_known = true;
    if (hex != it->second) content_differs = true;
    add_if_differs(ch.evidence, kind, hex, it->second);
  }
  // The other places it lives (a kext's bundle besides its KC entry) count byte for byte too.
  std::map<std::string, std::string> pa, pb;
  for (const auto& p : a.also) pa[p.path] = p.sha256;
  for (const auto& p : b.also) pb[p.path] = p.sha256;
  for (const auto& [path, sha] : pa) {
    auto it = pb.find(path);
    const std::string other = it == pb.end() ? "" : it->second;
    if (other != sha) {
      content_differs = true;
      ch.evidence.push_back({"sha256 " + path, sha, other});
    }
  }
  for (const auto& [path, sha] : pb)
    if (!pa.count(path)) {
      content_differs = true;
      ch.evidence.push_back({"sha256 " + path, "", sha});
    }
  if (content_known && !content_differs) return false;
  add_if_differs(ch.evidence, "code_hash", a.code_hash, b.code_hash);
  add_if_differs(ch.evidence, "uuid", a.uuid, b.uuid);
  add_if_differs(ch.evidence, "version", a.version, b.version);
  if (a.size != b.size) ch.evidence.push_back({"size", std::to_string(a.size), std::to_string(b.size)});
  ch.symbols_added = minus(b.symbols, a.symbols);
  ch.symbols_removed = minus(a.symbols, b.symbols);

  // Which facts differ, by class.
  const bool fat = several_slices(a) || several_slices(b);
  std::set<ChangeClass> classes;
  auto ai = a.facts.begin(), bi = b.facts.begin();
  while (ai != a.facts.end() || bi != b.facts.end()) {
    ClassDetail d;
    std::string key;
    if (bi == b.facts.end() || (ai != a.facts.end() && ai->first < bi->first)) {
      key = ai->first;
      d.change = ChangeKind::kRemoved;
      d.old_value = ai++->second;
    } else if (ai == a.facts.end() || bi->first < ai->first) {
      key = bi->first;
      d.change = ChangeKind::kAdded;
      d.new_value = bi++->second;
    } else {
      key = ai->first;
      const bool same = ai->second == bi->second;
      d.old_value = ai++->second;
      d.new_value = bi++->second;
      if (same) continue;
    }
    auto cls = class_of_fact(key);
    if (!cls) continue;
    d.cls = *cls;
    d.what = what_of_fact(key, fat);
    classes.insert(*cls);
    ch.details.push_back(std::move(d));
  }
  if (!a.code_hash.empty() && !b.code_hash.empty() && a.code_hash != b.code_hash) classes.insert(ChangeClass::kCode);
  const bool analysed = !a.facts.empty() || !b.facts.empty() || !a.code_hash.empty() || !b.code_hash.empty();
  if (classes.empty()) {
    if (!analysed) {
      if (!content_differs && ch.evidence.empty() && ch.symbols_added.empty() && ch.symbols_removed.empty())
        return false;
      classes.insert(ChangeClass::kContent);
    } else if (content_differs || !ch.evidence.empty()) {
      // Bytes differ and every fact is equal: for code, layout, relocation or slide noise; a trust
      // cache has no layout, so there it is the bytes outside its entries (its Image4 wrapper).
      classes.insert(ch.component_kind == ComponentKind::kTrustCache ? ChangeClass::kContent : ChangeClass::kRelink);
    } else if (!ch.symbols_added.empty() || !ch.symbols_removed.empty()) {
      classes.insert(ChangeClass::kMetadata);
    } else {
      return false;
    }
  }
  ch.classes.assign(classes.begin(), classes.end());
  return true;
}

using Details = std::pair<ComponentDetail, ComponentDetail>;

// Unnamed functions are known by "<named function>+<rank>" (build/image_facts.hpp).
bool unnamed(const std::string& id) {
  static const std::regex kRank(R"(.*\+[0-9]+$)");
  return std::regex_match(id, kRank);
}

// Instructions that differ between two token sequences: max(len) minus their longest common
// subsequence (Myers' O((N+M)D) search, bounded; past the bound, the position-wise count).
uint32_t changed_instructions(const std::vector<uint64_t>& a, const std::vector<uint64_t>& b) {
  const int n = static_cast<int>(a.size()), m = static_cast<int>(b.size());
  const int max_d = std::min(n + m, 4000);
  std::vector<int> v(2 * static_cast<size_t>(max_d) + 3, 0);
  const int off = max_d + 1;
  for (int d = 0; d <= max_d; ++d) {
    for (int k = -d; k <= d; k += 2) {
      int x = (k == -d || (k != d && v[off + k - 1] < v[off + k + 1])) ? v[off + k + 1] : v[off + k - 1] + 1;
      int y = x - k;
      while (x < n && y < m && a[x] == b[y]) ++x, ++y;
      v[off + k] = x;
      if (x >= n && y >= m) {
        const int lcs = (n + m - d) / 2;
        return static_cast<uint32_t>(std::max(n, m) - lcs);
      }
    }
  }
  uint32_t diff = 0;
  for (int i = 0; i < std::max(n, m); ++i) diff += i >= n || i >= m || a[i] != b[i];
  return diff;
}

void fill_calls(const FunctionDetail* a, const FunctionDetail* b, FunctionChange& fc) {
  static const std::vector<std::string> kNone;
  const auto& ac = a ? a->calls : kNone;
  const auto& bc = b ? b->calls : kNone;
  const auto& ar = a ? a->refs : kNone;
  const auto& br = b ? b->refs : kNone;
  fc.calls_added = minus(bc, ac);
  fc.calls_removed = minus(ac, bc);
  fc.refs_added = minus(br, ar);
  fc.refs_removed = minus(ar, br);
}

void compare_functions(const Component& ca, const Component& cb, const Details* det, Change& ch) {
  const auto& fa = !ca.functions.empty() || !det ? ca.functions : std::map<std::string, std::string>{};
  const auto& fb = !cb.functions.empty() || !det ? cb.functions : std::map<std::string, std::string>{};
  std::map<std::string, std::string> a = fa, b = fb;
  if (det && a.empty())
    for (const auto& [k, f] : det->first.functions) a.emplace(k, f.hash);
  if (det && b.empty())
    for (const auto& [k, f] : det->second.functions) b.emplace(k, f.hash);
  std::vector<std::string> added, removed, changed;
  for (const auto& [name, hash] : b) {
    auto it = a.find(name);
    if (it == a.end()) added.push_back(name);
    else if (it->second != hash) changed.push_back(name);
  }
  for (const auto& [name, hash] : a)
    if (!b.count(name)) removed.push_back(name);
  // An unnamed function that moved past another one changes rank, not code: pair those by hash.
  std::multiset<std::string> removed_hashes;
  for (const auto& r : removed)
    if (unnamed(r)) removed_hashes.insert(a[r]);
  std::set<std::string> moved_hashes;
  added.erase(std::remove_if(added.begin(), added.end(),
                             [&](const std::string& n) {
                               if (!unnamed(n)) return false;
                               auto it = removed_hashes.find(b[n]);
                               if (it == removed_hashes.end()) return false;
                               moved_hashes.insert(*it);
                               removed_hashes.erase(it);
                               return true;
                             }),
              added.end());
  removed.erase(std::remove_if(removed.begin(), removed.end(),
                               [&](const std::string& n) { return unnamed(n) && moved_hashes.count(a[n]); }),
                removed.end());
  ch.functions_added = added;
  ch.functions_removed = removed;
  ch.functions_changed = changed;
  auto detail = [&](const ComponentDetail& d, const std::string& id) -> const FunctionDetail* {
    auto it = d.functions.find(id);
    return it == d.functions.end() ? nullptr : &it->second;
  };
  auto push = [&](const std::string& id, ChangeKind kind) {
    FunctionChange fc;
    fc.id = id;
    fc.kind = kind;
    const FunctionDetail* fa_ = det ? detail(det->first, id) : nullptr;
    const FunctionDetail* fb_ = det ? detail(det->second, id) : nullptr;
    const FunctionDetail* shown = fb_ ? fb_ : fa_;
    fc.name = shown && !shown->display.empty() ? shown->display : id;
    fc.demangled = demangle(fc.name);
    fc.instructions = shown ? shown->instructions : 0;
    if (kind == ChangeKind::kModified && fa_ && fb_) fc.changed_instructions = changed_instructions(fa_->tokens, fb_->tokens);
    if (fa_ || fb_) fill_calls(fa_, fb_, fc);
    ch.functions.push_back(std::move(fc));
  };
  for (const auto& id : changed) push(id, ChangeKind::kModified);
  for (const auto& id : added) push(id, ChangeKind::kAdded);
  for (const auto& id : removed) push(id, ChangeKind::kRemoved);
}

// "1 byte", "3 bytes", "64 -> 80 bytes": how much of a data section changed.
std::string bytes_note(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
  if (a.size() != b.size()) return fmt::format("{} -> {} bytes", a.size(), b.size());
  size_t n = 0;
  for (size_t i = 0; i < a.size(); ++i) n += a[i] != b[i];
  if (n == 0) return "same bytes; what its pointers point to changed";
  return fmt::format("{} byte{}", n, n == 1 ? "" : "s");
}

// Sections whose own bytes changed before those changed only through what their pointers reach.
void order_details(Change& ch) {
  std::stable_sort(ch.details.begin(), ch.details.end(), [](const ClassDetail& a, const ClassDetail& b) {
    auto pointers_only = [](const ClassDetail& d) { return d.note.rfind("same bytes", 0) == 0; };
    return !pointers_only(a) && pointers_only(b);
  });
}

void add_notes(const Details& det, Change& ch) {
  for (auto& d : ch.details) {
    if (d.cls != ChangeClass::kData || d.change != ChangeKind::kModified) continue;
    // The section's fact name is "data/<label> <what>"; find its bytes on both sides by suffix.
    auto find = [&](const ComponentDetail& cd) -> const std::vector<uint8_t>* {
      for (const auto& [k, v] : cd.sections)
        if (k.size() >= d.what.size() && k.compare(k.size() - d.what.size(), d.what.size(), d.what) == 0) return &v;
      return nullptr;
    };
    const auto* x = find(det.first);
    const auto* y = find(det.second);
    if (x && y) d.note = bytes_note(*x, *y);
  }
  order_details(ch);
}

}  // namespace

namespace {

// A cryptex (OS or App) whose contents changed while a trust cache placed with it, present in both
// builds, did not: the code the new cryptex holds is not what that trust cache lists as trusted.
std::vector<std::string> trust_cache_notes(const BuildInventory& a, const BuildInventory& b,
                                           const std::vector<Change>& changes) {
  std::vector<std::string> notes;
  for (Location loc : {Location::kCryptexOs, Location::kCryptexApp}) {
    std::vector<std::string> changed, caches_changed;
    for (const auto& c : changes) {
      if (c.location != loc) continue;
      (c.component_kind == ComponentKind::kTrustCache ? caches_changed : changed).push_back(c.id);
    }
    if (changed.empty() || !caches_changed.empty()) continue;
    std::set<std::string> old_caches;
    for (const auto& c : a.components)
      if (c.kind == ComponentKind::kTrustCache && c.location == loc) old_caches.insert(c.id);
    std::vector<std::string> same;
    for (const auto& c : b.components)
      if (c.kind == ComponentKind::kTrustCache && c.location == loc && old_caches.count(c.id)) same.push_back(c.id);
    if (same.empty()) continue;
    std::string ids;
    for (const auto& id : same) ids += (ids.empty() ? "" : ", ") + id;
    notes.push_back(fmt::format("{} changed ({} component{}, e.g. {}) but its trust cache did not ({}): the code "
                                "it now holds is not what that trust cache lists",
                                loc == Location::kCryptexOs ? "the OS cryptex" : "the App cryptex", changed.size(),
                                changed.size() == 1 ? "" : "s", changed.front(), ids));
  }
  return notes;
}

// produce(k) for k in [0, count) on every core, consume(k, ...) in order on this thread. One item,
// or items with nothing to load (a one-component diff, each step of `history`, components read from
// a catalogue), run here: starting the pool's threads costs more.
template <typename Produce, typename Consume>
void map_in_order(size_t count, Produce produce, Consume consume, bool worth_threads = true) {
  if (count <= 1 || !worth_threads) {
    for (size_t k = 0; k < count; ++k)
      if (!consume(k, produce(k))) return;
    return;
  }
  ThreadPool pool;
  ordered_parallel_map(pool, count, size_t(pool.size()) * 2, produce, consume);
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
  // Pairs whose bytes may differ; their deferred facts are read in parallel, only for them.
  std::vector<std::pair<const Component*, const Component*>> candidates;
  std::vector<Change> removed_added;
  size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    if (j == b.size() || (i < a.size() && a[i]->id < b[j]->id)) {
      removed_added.push_back(describe(*a[i++], ChangeKind::kRemoved));
    } else if (i == a.size() || b[j]->id < a[i]->id) {
      removed_added.push_back(describe(*b[j++], ChangeKind::kAdded));
    } else {
      if (may_differ(*a[i], *b[j])) candidates.emplace_back(a[i], b[j]);
      ++i;
      ++j;
    }
  }
  // Owned copies with facts filled in: the Modified records below point into them. The old and the
  // new side are separate tasks: one changed dyld cache image alone kept one core busy for seconds.
  std::vector<std::pair<Component, Component>> loaded(candidates.size());
  const bool any_deferred = std::any_of(candidates.begin(), candidates.end(), [](const auto& p) {
    return facts_deferred(*p.first) || facts_deferred(*p.second);
  });
  map_in_order(
      2 * candidates.size(),
      [&](size_t t) { return with_facts(t % 2 ? *candidates[t / 2].second : *candidates[t / 2].first); },
      [&](size_t t, Component c) {
        (t % 2 ? loaded[t / 2].second : loaded[t / 2].first) = std::move(c);
        return true;
      },
      any_deferred);
  std::vector<Modified> modified;
  for (auto& [ca, cb] : loaded) {
    Change ch = describe(cb, ChangeKind::kModified);
    if (compare(ca, cb, ch)) {
      modified.push_back({&ca, &cb, d.changes.size()});
      d.changes.push_back(std::move(ch));
    }
  }
  for (auto& c : removed_added) d.changes.push_back(std::move(c));
  // Drill-downs below index d.changes: sort the changes by id first and remap.
  {
    std::vector<size_t> order(d.changes.size());
    for (size_t k = 0; k < order.size(); ++k) order[k] = k;
    std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) { return d.changes[x].id < d.changes[y].id; });
    std::vector<size_t> where(order.size());
    std::vector<Change> sorted;
    sorted.reserve(order.size());
    for (size_t k = 0; k < order.size(); ++k) {
      where[order[k]] = k;
      sorted.push_back(std::move(d.changes[order[k]]));
    }
    d.changes = std::move(sorted);
    for (auto& m : modified) m.change = where[m.change];
  }
  // Drill-downs only for what changed: they disassemble whole images, so they run in parallel, and
  // only here. Relink-only changes need none (every fact is equal).
  std::vector<size_t> drill;
  for (size_t k = 0; k < modified.size(); ++k) {
    const Change& ch = d.changes[modified[k].change];
    if (ch.relink_only()) continue;
    if (modified[k].a->detail_loader && modified[k].b->detail_loader) drill.push_back(k);
    else compare_functions(*modified[k].a, *modified[k].b, nullptr, d.changes[modified[k].change]);
  }
  // Each side is a task of its own, as above; a pair is compared once its new side, the later
  // task, is in.
  Details pending;
  map_in_order(
      2 * drill.size(),
      [&](size_t t) {
        const Modified& m = modified[drill[t / 2]];
        return t % 2 ? m.b->detail_loader() : m.a->detail_loader();
      },
      [&](size_t t, ComponentDetail side) {
        if (t % 2 == 0) {
          pending.first = std::move(side);
          return true;
        }
        pending.second = std::move(side);
        const Modified& m = modified[drill[t / 2]];
        Change& ch = d.changes[m.change];
        compare_functions(*m.a, *m.b, &pending, ch);
        add_notes(pending, ch);
        pending = Details();
        return true;
      });
  d.not_analysed = old_build.not_analysed;
  d.not_analysed.insert(d.not_analysed.end(), new_build.not_analysed.begin(), new_build.not_analysed.end());
  d.trust_cache_notes = trust_cache_notes(old_build, new_build, d.changes);
  return d;
}

std::string change_summary(const Change& c) {
  if (c.kind != ChangeKind::kModified) return to_string(c.kind);
  std::string out;
  for (ChangeClass cls : c.classes) {
    if (!out.empty()) out += "; ";
    std::vector<std::string> parts;
    for (const auto& d : c.details) {
      if (d.cls != cls) continue;
      std::string p = d.what;
      if (d.change != ChangeKind::kModified) p += std::string(" ") + to_string(d.change);
      if (!d.note.empty()) p += ", " + d.note;
      parts.push_back(p);
    }
    if (cls == ChangeClass::kCode) {
      parts.clear();
      size_t n = 0;
      for (const auto& f : c.functions) n += f.kind == ChangeKind::kModified;
      const size_t added = c.functions_added.size(), removed = c.functions_removed.size();
      if (n) parts.push_back(fmt::format("{} function{} changed", n, n == 1 ? "" : "s"));
      if (added) parts.push_back(fmt::format("{} added", added));
      if (removed) parts.push_back(fmt::format("{} removed", removed));
    }
    if (cls == ChangeClass::kRelink) {
      out += "relink only (layout noise: the same code and data at another layout)";
      continue;
    }
    if (cls == ChangeClass::kContent && parts.empty()) {
      out += "content changed";
      continue;
    }
    out += fmt::format("{} changed", to_string(cls));
    if (!parts.empty()) {
      std::string list;
      const size_t shown = std::min<size_t>(parts.size(), 4);
      for (size_t i = 0; i < shown; ++i) list += (i ? "; " : "") + parts[i];
      if (parts.size() > shown) list += fmt::format(" and {} more", parts.size() - shown);
      out += " (" + list + ")";
    }
  }
  return out;
}

}  // namespace upscope
