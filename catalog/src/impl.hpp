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
// `builds` (from numbered_builds) give each build's recorded count and number. A chain is decoded
// from its far end keeping two lists at a time, so memory does not grow with its depth; the first
// blob not handed in reads every build's blob in one query (a chain is up to kMaxMembersDepth long).
class MembersReader {
 public:
  MembersReader(Store& s, const std::vector<BuildRow>& builds);
  // `known`: the build's members blob when the caller has read it already (else it is read here).
  Result<const std::vector<int64_t>*> get(int64_t key, Bytes known = {});
  uint64_t depth(int64_t key) const;  // of a build get() has returned

 private:
  struct Decoded {
    std::vector<int64_t> keys;
    uint64_t depth = 0;
  };
  Result<Bytes> blob_of(int64_t key, const std::string& what);
  Store& s_;
  std::unordered_map<int64_t, const BuildRow*> by_key_;
  std::unordered_map<int64_t, Decoded> done_;
  std::unordered_map<int64_t, Blob> blobs_;
  bool all_read_ = false;
};

// A stored component without its symbols, functions and facts; corruption named by the build.
Result<Component> to_component(const ComponentRow& r, const std::string& db, int64_t build_id);
// Adds the symbols, functions and facts of `d`.
Status add_details(Component& c, const DetailsRow& d, const std::string& db, int64_t build_id);

}  // namespace detail
}  // namespace upscope::catalog
