// What the catalogue's source files share: the store and the steps every backend goes through alike.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "catalog/catalog.hpp"
#include "store.hpp"

namespace upscope::catalog {

struct Catalog::Impl {
  std::unique_ptr<detail::Store> store;
};

namespace detail {

// A transaction rolled back unless committed.
class Txn {
 public:
  static Result<Txn> begin(Store& s, bool write) {
    UPSCOPE_CHECK(s.begin(write));
    return Txn(&s);
  }
  Txn(Txn&& o) noexcept : s_(o.s_) { o.s_ = nullptr; }
  Txn& operator=(Txn&&) = delete;
  ~Txn() {
    if (s_) s_->rollback();
  }
  Status commit() {
    Store* s = s_;
    s_ = nullptr;
    auto st = s->commit();
    if (!st) s->rollback();
    return st;
  }

 private:
  explicit Txn(Store* s) : s_(s) {}
  Store* s_;
};

// Every build in series order, numbered from #1 in that order (inside the caller's transaction).
Result<std::vector<BuildRow>> numbered_builds(Store& s, bool blobs);

// Builds' members by key, decoded through their delta chains (inside the caller's transaction).
// `builds` (from numbered_builds, kept by reference) give each build's recorded count and number. A
// chain is decoded from its far end keeping two lists at a time, so memory does not grow with its
// depth.
class MembersReader {
 public:
  MembersReader(Store& s, const std::vector<BuildRow>& builds);
  // `known`: the build's members blob when the caller has read it already (else it is read here).
  Result<const std::vector<int64_t>*> get(int64_t key, Bytes known = {});
  uint64_t depth(int64_t key) const;  // of a build get() has returned
  const BuildRow* build(int64_t key) const;  // nullptr: not one of `builds`
  // A build's stored blob. A miss reads it with the builds within kMaxMembersDepth of it in series
  // order: a chain links series neighbours, so one query usually serves a whole chain, and what is
  // read is bounded whatever the catalogue's size.
  Result<Bytes> blob(int64_t key);
  Status read_all();  // every build's blob, in one query (`history` follows every build)

 private:
  struct Decoded {
    std::vector<int64_t> keys;
    uint64_t depth = 0;
  };
  Status read(const std::vector<int64_t>& keys);  // empty: all
  Store& s_;
  const std::vector<BuildRow>& builds_;
  std::unordered_map<int64_t, size_t> at_;  // key -> index in builds_
  std::unordered_map<int64_t, Decoded> done_;
  std::unordered_map<int64_t, Blob> blobs_;
};

// A stored component without its symbols, functions and facts; corruption named by the build.
Result<Component> to_component(const ComponentRow& r, const std::string& db, int64_t build_id);
// Adds the symbols, functions and facts of `d`.
Status add_details(Component& c, const DetailsRow& d, const std::string& db, int64_t build_id);

}  // namespace detail
}  // namespace upscope::catalog
