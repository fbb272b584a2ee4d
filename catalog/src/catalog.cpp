// Opening a catalogue, adding and loading builds: the same steps for every backend, through Store.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "encoding.hpp"
#include "impl.hpp"
#include "inspect/thread_pool.hpp"

namespace upscope::catalog {

namespace fs = std::filesystem;

namespace detail {

Error db_error(ErrorCode code, const std::string& name, std::string rule) {
  Error e = make_error(code, "", std::move(rule));
  e.file = name;
  return e;
}

Status check_version(int64_t version, int64_t oldest, const std::string& name) {
  if (version > kSchemaVersion)
    return fail(db_error(ErrorCode::kUnsupported, name,
                         fmt::format("catalogue schema version {} is newer than this upscope supports ({}): "
                                     "use a newer upscope",
                                     version, kSchemaVersion)));
  if (version < oldest)
    return fail(db_error(ErrorCode::kUnsupported, name,
                         fmt::format("catalogue schema version {} is older than any this upscope can migrate "
                                     "(oldest: {})",
                                     version, oldest)));
  return {};
}

namespace {

// Calls work(begin, end) over [0, n) in slices on every core: each component's rows and digests
// are its own, nothing is shared.
void in_slices(size_t n, const std::function<void(size_t, size_t)>& work) {
  constexpr size_t kSlice = 2048;
  const size_t slices = (n + kSlice - 1) / kSlice;
  if (slices <= 1) return work(0, n);
  ThreadPool pool(static_cast<unsigned>(std::min<size_t>(slices, resolve_jobs(0))));
  std::vector<std::future<void>> done;
  for (size_t k = 0; k < slices; ++k)
    done.push_back(pool.submit([&work, k, n] { work(k * kSlice, std::min(n, (k + 1) * kSlice)); }));
  for (auto& f : done) f.get();
}

// A component's details blobs, into `sym`, `fn` and `facts`, and its stored hashes, into `hashes`
// (each cleared first): the one encoding prepare_build (for the digests), encode_details and
// encode_component (rows) use.
void encode_details_blobs(const Component& c, Blob& sym, Blob& fn, Blob& facts) {
  sym.clear();
  append_strings(sym, c.symbols);
  fn.clear();
  append_map(fn, c.functions);
  facts.clear();
  append_map(facts, c.facts);
}
void encode_hashes(const Component& c, Blob& hashes) {
  hashes.clear();
  append_stored_hashes(hashes, c);
}

// A component's rows, encoded for storage into a reused row (its buffers keep their capacity), under
// the digests prepare_build computed over the same bytes (hashing them again would cost two SHA-256
// per new row).
void encode_details(const Component& c, const std::string& digest, DetailsRow& d) {
  encode_details_blobs(c, d.symbols, d.functions, d.facts);
  d.digest = digest;
}
void encode_component(const Component& c, const std::string& digest, int64_t details, ComponentRow& r) {
  encode_hashes(c, r.hashes);
  r.digest = digest;
  r.id = c.id;
  r.kind = to_string(c.kind);
  r.space = to_string(c.space);
  r.location = to_string(c.location);
  r.path = c.path;
  r.version = c.version;
  r.uuid = c.uuid;
  r.size = c.size;
  r.code_hash = c.code_hash;
  r.details = details;
}

// The first of equal digests, by index into one vector of them, in a flat open-addressed table:
// a hash node per digest cost more than the rest of the step (a first build has 10^5 of them, and
// fresh pages fault). Digests are SHA-256 output, so their first eight bytes are the hash.
class FirstOf {
 public:
  FirstOf(const std::vector<std::string>& digests, size_t expected) : digests_(digests) {
    size_t cap = 16;
    while (cap < 2 * expected) cap *= 2;
    slots_.assign(cap, kEmpty);
  }
  // The first index added whose digest equals digests[i]'s (i itself when there was none).
  size_t add(size_t i) {
    if (2 * (used_ + 1) > slots_.size()) grow();
    const size_t s = slot(digests_[i]);
    if (slots_[s] != kEmpty) return slots_[s];
    slots_[s] = i;
    ++used_;
    return i;
  }

 private:
  static constexpr size_t kEmpty = SIZE_MAX;
  // The slot holding digest `d`, or the empty one where it goes.
  size_t slot(const std::string& d) const {
    uint64_t h = 0;
    std::memcpy(&h, d.data(), std::min<size_t>(d.size(), sizeof h));
    const size_t mask = slots_.size() - 1;
    for (size_t s = h & mask;; s = (s + 1) & mask)
      if (slots_[s] == kEmpty || digests_[slots_[s]] == d) return s;
  }
  void grow() {
    std::vector<size_t> old = std::move(slots_);
    slots_.assign(old.size() * 2, kEmpty);
    for (size_t k : old)
      if (k != kEmpty) slots_[slot(digests_[k])] = k;
  }
  const std::vector<std::string>& digests_;
  std::vector<size_t> slots_;
  size_t used_ = 0;
};

// A members blob names a build the catalogue does not have.
Error missing_build(const std::string& db, int64_t key) {
  return db_error(ErrorCode::kMalformed, db,
                  fmt::format("the catalogue is corrupted: members: base build key {} is missing", key));
}

}  // namespace

MembersReader::MembersReader(Store& s, const std::vector<BuildRow>& builds) : s_(s), builds_(builds) {
  for (size_t i = 0; i < builds.size(); ++i) at_.emplace(builds[i].key, i);
}

const BuildRow* MembersReader::build(int64_t key) const {
  auto it = at_.find(key);
  return it == at_.end() ? nullptr : &builds_[it->second];
}

Status MembersReader::read(const std::vector<int64_t>& keys) {
  return s_.read_blobs(keys, [&](int64_t k, Bytes members, Bytes) -> Status {
    // A build added since is not ours; one held already stays as it is (callers hold views of it).
    if (at_.count(k) && !blobs_.count(k)) blobs_[k].assign(members.begin(), members.end());
    return {};
  });
}

Status MembersReader::read_all() { return read({}); }

Result<Bytes> MembersReader::blob(int64_t key) {
  auto it = blobs_.find(key);
  if (it == blobs_.end()) {
    auto at = at_.find(key);
    if (at == at_.end())
      return fail(missing_build(s_.name(), key));
    const size_t i = at->second;
    const size_t lo = i > kMaxMembersDepth ? i - kMaxMembersDepth : 0;
    const size_t hi = std::min<size_t>(builds_.size(), i + kMaxMembersDepth + 1);
    std::vector<int64_t> want;
    for (size_t j = lo; j < hi; ++j)
      if (!blobs_.count(builds_[j].key)) want.push_back(builds_[j].key);  // never empty: key is missing
    UPSCOPE_CHECK(read(want));
    it = blobs_.find(key);
    if (it == blobs_.end())
      return fail(db_error(ErrorCode::kIo, s_.name(), fmt::format("build #{} vanished while it was read",
                                                                  builds_[i].rec.id)));
  }
  return bytes_of(it->second);
}

Result<const std::vector<int64_t>*> MembersReader::get(int64_t key, Bytes known) {
  if (auto it = done_.find(key); it != done_.end()) return &it->second.keys;
  // The chain from this build down to one stored on its own (or one decoded already): headers only.
  struct Link {
    const BuildRow* row;
    Bytes blob;
    MembersInfo info;
    std::string what;
  };
  std::vector<Link> chain;
  const Decoded* start = nullptr;
  for (int64_t k = key;;) {
    if (auto it = done_.find(k); it != done_.end()) {
      start = &it->second;
      break;
    }
    const BuildRow* row = build(k);
    if (!row)
      return fail(missing_build(s_.name(), k));
    Link l{row, chain.empty() ? known : Bytes{}, {}, fmt::format("build #{}", row->rec.id)};
    if (l.blob.empty()) {  // a stored members blob is never empty: it has at least its header
      UPSCOPE_TRY(l.blob, blob(k));
    }
    auto info = members_info(l.blob, l.row->rec.components, l.what);
    if (!info) return fail(info.error().in_file(s_.name()));
    l.info = *info;
    // Depths fall by one along a chain, so this loop ends within kMaxMembersDepth steps.
    if (!chain.empty() && l.info.depth != chain.back().info.depth - 1)
      return fail(db_error(ErrorCode::kMalformed, s_.name(),
                           fmt::format("{}: the catalogue is corrupted: members: depth {} on a base of depth {}",
                                       chain.back().what, chain.back().info.depth, l.info.depth)));
    chain.push_back(std::move(l));
    if (!chain.back().info.base) break;
    k = chain.back().info.base;
  }
  if (start && start->depth != chain.back().info.depth - 1)
    return fail(db_error(ErrorCode::kMalformed, s_.name(),
                         fmt::format("{}: the catalogue is corrupted: members: depth {} on a base of depth {}",
                                     chain.back().what, chain.back().info.depth, start->depth)));
  static const std::vector<int64_t> kNone;
  std::vector<int64_t> prev, cur;
  const std::vector<int64_t>* base = start ? &start->keys : &kNone;
  for (size_t i = chain.size(); i-- > 0;) {
    const Link& l = chain[i];
    if (auto st = decode_members(l.blob, l.row->rec.components, *base, cur, l.what); !st)
      return fail(st.error().in_file(s_.name()));
    if (cur.size() != l.row->rec.components)
      return fail(db_error(ErrorCode::kMalformed, s_.name(),
                           fmt::format("{}: the catalogue is corrupted: {} components recorded, {} stored", l.what,
                                       l.row->rec.components, cur.size())));
    std::swap(prev, cur);
    base = &prev;
  }
  Decoded d{std::move(prev), chain.front().info.depth};
  return &done_.emplace(key, std::move(d)).first->second.keys;
}

uint64_t MembersReader::depth(int64_t key) const {
  auto it = done_.find(key);
  return it == done_.end() ? 0 : it->second.depth;
}

namespace {

// The keys an insert of the rows at `which` (indices in `digests`) gave them (`got`; 0 for a row
// another writer stored first), into out[which[k]]; the skipped ones are found by digest.
template <class Find>
Status take_keys(const std::vector<size_t>& which, const std::vector<int64_t>& got,
                 const std::vector<std::string>& digests, std::vector<int64_t>& out, Find find,
                 const std::string& db) {
  if (got.size() != which.size())
    return fail(
        db_error(ErrorCode::kIo, db, fmt::format("{} rows inserted, {} keys returned", which.size(), got.size())));
  std::vector<std::string> again;
  std::vector<size_t> again_at;
  for (size_t k = 0; k < which.size(); ++k) {
    if (got[k] != 0) {
      out[which[k]] = got[k];
    } else {
      again.push_back(digests[which[k]]);
      again_at.push_back(which[k]);
    }
  }
  if (again.empty()) return {};
  UPSCOPE_TRY(std::vector<int64_t> found, find(again));
  for (size_t k = 0; k < again.size(); ++k) out[again_at[k]] = found[k];
  return {};
}

// A build's members blob: as a delta from the build next to it in series order (the one before it,
// else the one after) when that is shorter and the chain not too long, else on its own.
Result<Blob> members_blob(Store& store, int64_t self, const std::vector<int64_t>& keys) {
  Blob own = encode_members(keys);
  // In series order, this build among them (its row is visible to its own transaction).
  UPSCOPE_TRY(std::vector<BuildRow> all, numbered_builds(store, false));
  auto self_at = std::find_if(all.begin(), all.end(), [&](const BuildRow& b) { return b.key == self; });
  if (self_at == all.end() || all.size() < 2) return own;
  const BuildRow* base = self_at != all.begin() ? &*(self_at - 1) : &*(self_at + 1);
  MembersReader reader(store, all);
  UPSCOPE_TRY(const std::vector<int64_t>* base_keys, reader.get(base->key));
  const uint64_t depth = reader.depth(base->key) + 1;
  if (depth > kMaxMembersDepth) return own;
  Blob delta = encode_members_delta(keys, base->key, depth, *base_keys);
  return delta.size() < own.size() ? delta : own;
}

}  // namespace

PreparedBuild prepare_build(const BuildInventory& inv) {
  PreparedBuild out;
  out.inv = &inv;
  const size_t n = inv.components.size();
  out.digests.resize(n);
  out.details_digests.resize(n);
  // The bytes encode_details and encode_component store, into scratch buffers: digests without a
  // row per component.
  auto digest_slice = [&](size_t begin, size_t end) {
    Blob sym, fn, facts, hashes;
    for (size_t i = begin; i < end; ++i) {
      encode_details_blobs(inv.components[i], sym, fn, facts);
      encode_hashes(inv.components[i], hashes);
      out.details_digests[i] = details_digest(bytes_of(sym), bytes_of(fn), bytes_of(facts));
      out.digests[i] = component_digest(inv.components[i], bytes_of(hashes), out.details_digests[i]);
    }
  };
  // Two SHA-256 digests per component are most of an add's CPU.
  in_slices(n, digest_slice);

  BuildRow& b = out.build;
  b.rec.product = inv.product;
  b.rec.version = inv.version;
  b.rec.build = inv.build;
  b.rec.version_extra = inv.version_extra;
  b.rec.platform = inv.platform;
  b.rec.arch = inv.arch;
  b.rec.source = inv.source;
  b.rec.digest = content_digest(inv, out.digests);
  b.rec.components = n;
  b.rec.not_analysed = inv.not_analysed.size();
  b.not_analysed = encode_not_analysed(inv.not_analysed);
  return out;
}

Result<std::optional<int64_t>> write_build(Store& store, PreparedBuild& p, const std::string& added_at) {
  p.build.rec.added_at = added_at;
  UPSCOPE_TRY(std::optional<int64_t> key, store.insert_build(p.build));  // first: a second writer of it waits here
  if (!key) return key;
  const std::vector<std::string>& digests = p.digests;
  const size_t n = digests.size();

  // Only what no build stored before is written: usually a few components of a new build.
  UPSCOPE_TRY(std::vector<int64_t> keys, store.find_components(digests));
  std::vector<size_t> missing;
  std::vector<size_t> first(n);  // one row per digest, however often it occurs
  FirstOf first_of(digests, static_cast<size_t>(std::count(keys.begin(), keys.end(), 0)));
  for (size_t i = 0; i < n; ++i)
    if (keys[i] == 0 && (first[i] = first_of.add(i)) == i) missing.push_back(i);
  if (!missing.empty()) {
    // Their distinct details, by the digests prepare_build computed; each encoded from the first
    // component that has it.
    std::vector<std::string> dd;
    std::vector<size_t> dsource;  // component index
    FirstOf dindex(p.details_digests, missing.size());
    std::vector<size_t> dat(p.details_digests.size());  // where a first details digest is in dd
    std::vector<size_t> dof(missing.size());  // missing[j]'s index in dd
    for (size_t j = 0; j < missing.size(); ++j) {
      const size_t i = missing[j];
      const size_t f = dindex.add(i);
      if (f == i) {
        dat[i] = dd.size();
        dd.push_back(p.details_digests[i]);
        dsource.push_back(i);
      }
      dof[j] = dat[f];
    }
    UPSCOPE_TRY(std::vector<int64_t> dkeys, store.find_details(dd));
    std::vector<size_t> dnew;  // indices in dd
    for (size_t j = 0; j < dd.size(); ++j)
      if (dkeys[j] == 0) dnew.push_back(j);
    // Rows are encoded as the store takes them, into one reused row: a first build's 10^5 rows are
    // never held at once (allocating and freeing them cost more than storing them).
    if (!dnew.empty()) {
      UPSCOPE_TRY(std::vector<int64_t> got, store.insert_details(dnew.size(), [&](size_t k, DetailsRow& d) {
        const size_t j = dnew[k];
        encode_details(p.inv->components[dsource[j]], dd[j], d);
      }));
      UPSCOPE_CHECK(take_keys(
          dnew, got, dd, dkeys, [&](const std::vector<std::string>& d) { return store.find_details(d); },
          store.name()));
    }
    for (size_t j = 0; j < missing.size(); ++j)
      if (dkeys[dof[j]] == 0)
        return fail(db_error(ErrorCode::kIo, store.name(),
                             fmt::format("component {}: its details were not stored",
                                         p.inv->components[missing[j]].id)));
    UPSCOPE_TRY(std::vector<int64_t> got, store.insert_components(missing.size(), [&](size_t j, ComponentRow& r) {
      const size_t i = missing[j];
      encode_component(p.inv->components[i], digests[i], dkeys[dof[j]], r);
    }));
    UPSCOPE_CHECK(take_keys(missing, got, digests, keys,
                            [&](const std::vector<std::string>& d) { return store.find_components(d); }, store.name()));
    for (size_t i = 0; i < n; ++i)
      if (keys[i] == 0) keys[i] = keys[first[i]];
  }
  for (size_t i = 0; i < n; ++i)
    if (keys[i] <= 0)
      return fail(db_error(ErrorCode::kIo, store.name(),
                           fmt::format("component {}: it was not stored", p.inv->components[i].id)));
  UPSCOPE_TRY(Blob members, members_blob(store, *key, keys));
  UPSCOPE_CHECK(store.set_members(*key, bytes_of(members)));
  return key;
}

Result<std::vector<BuildRow>> numbered_builds(Store& s, bool blobs) {
  UPSCOPE_TRY(std::vector<BuildRow> rows, s.builds(blobs));
  std::sort(rows.begin(), rows.end(), [](const BuildRow& a, const BuildRow& b) { return series_less(a.rec, b.rec); });
  for (size_t i = 0; i < rows.size(); ++i) rows[i].rec.id = static_cast<int64_t>(i + 1);
  return rows;
}

Result<Component> to_component(const ComponentRow& r, const std::string& db, int64_t build_id) {
  Component c;
  c.id = r.id;
  auto bad = [&](std::string rule) {
    return fail(db_error(ErrorCode::kMalformed, db,
                         fmt::format("build #{} component {}: the catalogue is corrupted: {}", build_id, c.id, rule)));
  };
  auto kind = upscope::parse_component_kind(r.kind);
  auto space = upscope::parse_space(r.space);
  auto location = upscope::parse_location(r.location);
  if (!kind) return bad(fmt::format("unknown kind \"{}\"", r.kind));
  if (!space) return bad(fmt::format("unknown space \"{}\"", r.space));
  if (!location) return bad(fmt::format("unknown location \"{}\"", r.location));
  c.kind = *kind;
  c.space = *space;
  c.location = *location;
  c.path = r.path;
  c.version = r.version;
  c.uuid = r.uuid;
  c.size = r.size;
  c.code_hash = r.code_hash;
  const std::string what = fmt::format("build #{} component {}", build_id, c.id);
  std::map<std::string, std::string> hashes;
  if (auto st = decode_map(bytes_of(r.hashes), hashes, what + " hashes"); !st) return fail(st.error().in_file(db));
  restore_hashes(std::move(hashes), c);
  return c;
}

Status add_details(Component& c, const DetailsRow& d, const std::string& db, int64_t build_id) {
  const std::string what = fmt::format("build #{} component {}", build_id, c.id);
  auto in_file = [&](Status s) -> Status {
    if (!s) return fail(s.error().in_file(db));
    return {};
  };
  UPSCOPE_CHECK(in_file(decode_strings(bytes_of(d.symbols), c.symbols, what + " symbols")));
  UPSCOPE_CHECK(in_file(decode_map(bytes_of(d.functions), c.functions, what + " functions")));
  UPSCOPE_CHECK(in_file(decode_map(bytes_of(d.facts), c.facts, what + " facts")));
  return {};
}

}  // namespace detail

using detail::BuildRow;
using detail::ComponentRow;
using detail::DetailsRow;
using detail::Store;
using detail::Txn;

Catalog::Catalog(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Catalog::Catalog(Catalog&&) noexcept = default;
Catalog& Catalog::operator=(Catalog&&) noexcept = default;
Catalog::~Catalog() = default;

const std::string& Catalog::path() const { return impl_->store->name(); }

Result<Catalog> Catalog::open(const std::string& db, Mode mode) {
  UPSCOPE_TRY(DbLocation loc, parse_db_location(db));
  std::unique_ptr<Store> store;
  if (loc.kind == DbLocation::Kind::kPostgres) {
    UPSCOPE_TRY(store, detail::open_postgres(loc.target, loc.shown, mode));
  } else {
    UPSCOPE_TRY(store, detail::open_sqlite(loc.target, mode));
  }
  return Catalog(std::make_unique<Impl>(Impl{std::move(store)}));
}

namespace {

// How often a write transaction that met a serialization failure or deadlock is run again.
constexpr int kMaxAttempts = 8;

Result<AddResult> try_add(Store& s, detail::PreparedBuild& p) {
  UPSCOPE_TRY(auto txn, Txn::begin(s, true));
  UPSCOPE_TRY(std::optional<int64_t> key, detail::write_build(s, p, detail::utc_now()));
  UPSCOPE_CHECK(txn.commit());
  // Numbered as the catalogue stands now: the build's "#N" among every build committed so far.
  UPSCOPE_TRY(auto read, Txn::begin(s, false));
  UPSCOPE_TRY(std::vector<BuildRow> rows, detail::numbered_builds(s, false));
  UPSCOPE_CHECK(read.commit());
  for (const auto& r : rows)
    if (r.rec.digest == p.build.rec.digest)
      return AddResult{key ? AddStatus::kAdded : AddStatus::kAlreadyPresent, r.rec};
  return fail(detail::db_error(ErrorCode::kIo, s.name(), "a build vanished while it was being added"));
}

}  // namespace

Result<AddResult> Catalog::add(const BuildInventory& inv) {
  Store& s = *impl_->store;
  detail::PreparedBuild p = detail::prepare_build(inv);  // before the transaction
  std::minstd_rand jitter(std::random_device{}());
  for (int attempt = 1;; ++attempt) {
    auto r = try_add(s, p);
    if (r || !s.retryable() || attempt == kMaxAttempts) return r;
    // Another writer won a race for the same rows: wait a little, more each time, then run it again.
    std::this_thread::sleep_for(std::chrono::milliseconds(10 * attempt + jitter() % 20));
  }
}

Result<std::vector<BuildRecord>> Catalog::list() {
  Store& s = *impl_->store;
  UPSCOPE_TRY(auto txn, Txn::begin(s, false));
  UPSCOPE_TRY(std::vector<BuildRow> rows, detail::numbered_builds(s, false));
  UPSCOPE_CHECK(txn.commit());
  std::vector<BuildRecord> out;
  out.reserve(rows.size());
  for (auto& r : rows) out.push_back(std::move(r.rec));
  return out;
}

namespace {

using RowMap = std::unordered_map<int64_t, ComponentRow>;

// Build #id with its members and not-analysed blobs (only its own are read).
Result<BuildRow> build_numbered(Store& s, const std::vector<BuildRow>& rows, int64_t id) {
  if (id < 1 || static_cast<uint64_t>(id) > rows.size())
    return fail(detail::db_error(ErrorCode::kNotFound, s.name(), fmt::format("no build #{} in the catalogue", id)));
  BuildRow b = rows[static_cast<size_t>(id - 1)];
  bool found = false;
  UPSCOPE_CHECK(s.read_blobs({b.key}, [&](int64_t, Bytes members, Bytes not_analysed) {
    b.members.assign(members.begin(), members.end());
    b.not_analysed.assign(not_analysed.begin(), not_analysed.end());
    found = true;
    return Status{};
  }));
  if (!found)
    return fail(detail::db_error(ErrorCode::kIo, s.name(), fmt::format("build #{} vanished while it was read", id)));
  return b;
}

// One reader for every build a command expands: it reads the blobs once, and a build whose chain
// passes through one expanded already (the next build of a series) starts from that one.
Result<std::vector<int64_t>> members_of(detail::MembersReader& reader, const BuildRow& b) {
  UPSCOPE_TRY(const std::vector<int64_t>* keys, reader.get(b.key, detail::bytes_of(b.members)));  // read already
  return *keys;
}

// The component rows of every key in `keys`, read once each.
Status read_rows(Store& s, std::vector<int64_t> keys, RowMap& out) {
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  out.reserve(keys.size());
  return s.read_components(keys, [&](ComponentRow& r) {
    const int64_t k = r.key;
    out.emplace(k, std::move(r));
    return Status{};
  });
}

// One build from its rows; the symbol and function lists of components in `skip_lists` are left empty,
// and the rows in `omit` are left out (counted in omitted_identical).
Result<BuildInventory> assemble(Store& s, const BuildRow& b, const std::vector<int64_t>& keys, const RowMap& rows,
                                const std::unordered_set<std::string>* skip_lists,
                                const std::unordered_set<int64_t>* omit = nullptr) {
  const std::string& db = s.name();
  const int64_t id = b.rec.id;
  BuildInventory inv;
  inv.source = b.rec.source;
  inv.product = b.rec.product;
  inv.version = b.rec.version;
  inv.build = b.rec.build;
  inv.version_extra = b.rec.version_extra;
  inv.platform = b.rec.platform;
  inv.arch = b.rec.arch;
  inv.components.reserve(keys.size());
  std::vector<int64_t> details_of;  // per component, 0 when its lists are skipped
  details_of.reserve(keys.size());
  for (int64_t k : keys) {
    if (omit && omit->count(k)) {
      ++inv.omitted_identical;
      continue;
    }
    auto it = rows.find(k);
    if (it == rows.end())
      return fail(detail::db_error(ErrorCode::kMalformed, db,
                                   fmt::format("build #{}: the catalogue is corrupted: its component row {} is missing",
                                               id, k)));
    UPSCOPE_TRY(Component c, detail::to_component(it->second, db, id));
    details_of.push_back(skip_lists && skip_lists->count(c.id) ? 0 : it->second.details);
    inv.components.push_back(std::move(c));
  }
  std::vector<int64_t> want;
  for (int64_t d : details_of)
    if (d) want.push_back(d);
  std::sort(want.begin(), want.end());
  want.erase(std::unique(want.begin(), want.end()), want.end());
  std::unordered_map<int64_t, DetailsRow> details;
  details.reserve(want.size());
  UPSCOPE_CHECK(s.read_details(want, [&](DetailsRow& d) {
    const int64_t k = d.key;
    details.emplace(k, std::move(d));
    return Status{};
  }));
  for (size_t i = 0; i < details_of.size(); ++i) {
    if (!details_of[i]) continue;
    auto it = details.find(details_of[i]);
    if (it == details.end())
      return fail(detail::db_error(ErrorCode::kMalformed, db,
                                   fmt::format("build #{} component {}: the catalogue is corrupted: its symbols and "
                                               "functions (#{}) are missing",
                                               id, inv.components[i].id, details_of[i])));
    UPSCOPE_CHECK(detail::add_details(inv.components[i], it->second, db, id));
  }
  if (auto st = detail::decode_not_analysed(detail::bytes_of(b.not_analysed), inv.not_analysed,
                                            fmt::format("build #{} not analysed", id));
      !st)
    return fail(st.error().in_file(db));
  if (inv.not_analysed.size() != b.rec.not_analysed)
    return fail(detail::db_error(ErrorCode::kMalformed, db,
                                 fmt::format("build #{}: the catalogue is corrupted: {} not-analysed entries recorded, "
                                             "{} stored",
                                             id, b.rec.not_analysed, inv.not_analysed.size())));
  return inv;
}

}  // namespace

Result<BuildInventory> Catalog::load(int64_t id) {
  Store& s = *impl_->store;
  UPSCOPE_TRY(auto txn, Txn::begin(s, false));  // one snapshot for every read
  UPSCOPE_TRY(std::vector<BuildRow> all, detail::numbered_builds(s, false));
  UPSCOPE_TRY(BuildRow b, build_numbered(s, all, id));
  detail::MembersReader reader(s, all);
  UPSCOPE_TRY(std::vector<int64_t> keys, members_of(reader, b));
  RowMap rows;
  UPSCOPE_CHECK(read_rows(s, keys, rows));
  UPSCOPE_TRY(BuildInventory inv, assemble(s, b, keys, rows, nullptr));
  UPSCOPE_CHECK(txn.commit());
  return inv;
}

Result<std::pair<BuildInventory, BuildInventory>> Catalog::load_for_diff(int64_t old_id, int64_t new_id) {
  Store& s = *impl_->store;
  UPSCOPE_TRY(auto txn, Txn::begin(s, false));
  UPSCOPE_TRY(std::vector<BuildRow> all, detail::numbered_builds(s, false));
  UPSCOPE_TRY(BuildRow a, build_numbered(s, all, old_id));
  UPSCOPE_TRY(BuildRow b, build_numbered(s, all, new_id));
  detail::MembersReader reader(s, all);
  UPSCOPE_TRY(std::vector<int64_t> ka, members_of(reader, a));
  UPSCOPE_TRY(std::vector<int64_t> kb, members_of(reader, b));
  // Components stored as the very same row on both sides are identical in every field: there is
  // nothing to compare, so they are counted, not read (most of a series' components). Trust caches
  // stay: the diff compares an unchanged trust cache with its changed cryptex.
  std::unordered_set<int64_t> identical;
  if (old_id != new_id) {
    std::unordered_set<int64_t> in_a(ka.begin(), ka.end());
    for (int64_t k : kb)
      if (in_a.count(k)) identical.insert(k);
    UPSCOPE_TRY(std::vector<int64_t> caches, s.keys_of_kind(to_string(ComponentKind::kTrustCache)));
    for (int64_t k : caches) identical.erase(k);
  }
  std::vector<int64_t> wanted;
  for (const auto* keys : {&ka, &kb})
    for (int64_t k : *keys)
      if (!identical.count(k)) wanted.push_back(k);
  RowMap rows;
  UPSCOPE_CHECK(read_rows(s, std::move(wanted), rows));
  // Components whose lists are stored identically on both sides (same id, same details row).
  std::unordered_set<std::string> same;
  if (old_id != new_id) {
    std::unordered_map<std::string_view, int64_t> details_a;
    for (int64_t k : ka)
      if (auto it = rows.find(k); it != rows.end()) details_a.emplace(it->second.id, it->second.details);
    for (int64_t k : kb)
      if (auto it = rows.find(k); it != rows.end())
        if (auto d = details_a.find(it->second.id); d != details_a.end() && d->second == it->second.details)
          same.emplace(it->second.id);
  }
  UPSCOPE_TRY(BuildInventory x, assemble(s, a, ka, rows, &same, &identical));
  UPSCOPE_TRY(BuildInventory y, assemble(s, b, kb, rows, &same, &identical));
  UPSCOPE_CHECK(txn.commit());
  return std::make_pair(std::move(x), std::move(y));
}

std::string default_path() {
  const char* xdg = std::getenv("XDG_DATA_HOME");
  // The XDG spec says relative values are to be ignored.
  if (xdg && *xdg == '/') return (fs::path(xdg) / "upscope" / "catalog.db").string();
  const char* home = std::getenv("HOME");
  if (home && *home) return (fs::path(home) / ".local" / "share" / "upscope" / "catalog.db").string();
  return "upscope-catalog.db";
}

}  // namespace upscope::catalog
