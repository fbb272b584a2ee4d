// The catalogue's stored blobs (catalog/src/encoding.hpp) read back what was written, and every
// validation rule of their readers has one malformed input with its exact message: a catalogue
// file or database is input like any other, and may be damaged.
#include <catch2/catch.hpp>

#include <random>

#include "encoding.hpp"

using namespace upscope;
using namespace upscope::catalog::detail;

namespace {

std::string members_error(const Blob& b, uint64_t max, const std::vector<int64_t>& base = {}) {
  std::vector<int64_t> out;
  auto st = decode_members(bytes_of(b), max, base, out, "build #2");
  return st ? "ok" : st.error().message();
}

Blob uleb(std::initializer_list<uint64_t> values) {
  Blob b;
  for (uint64_t v : values) put_uleb(b, v);
  return b;
}

std::vector<int64_t> decoded(const Blob& b, const std::vector<int64_t>& base = {}) {
  std::vector<int64_t> out;
  auto st = decode_members(bytes_of(b), UINT64_MAX >> 1, base, out, "build");
  INFO((st ? std::string("ok") : st.error().message()));
  REQUIRE(st);
  return out;
}

}  // namespace

TEST_CASE("catalog blobs: members round-trip as runs or as a delta, a few bytes per change", "[catalog]") {
  std::mt19937_64 rng(11);
  for (int round = 0; round < 50; ++round) {
    std::vector<int64_t> base;
    int64_t k = 1 + static_cast<int64_t>(rng() % 1000);
    const size_t n = rng() % 3000;
    for (size_t i = 0; i < n; ++i) {
      base.push_back(k);
      k = rng() % 20 == 0 ? 1 + static_cast<int64_t>(rng() % 100000) : k + 1;  // mostly runs, some jumps back
    }
    CHECK(decoded(encode_members(base)) == base);
    // The next build: some members replaced by new keys, some dropped, some added, a stretch moved.
    std::vector<int64_t> next;
    int64_t fresh = 500000 + round * 10000;
    for (size_t i = 0; i < base.size(); ++i) {
      const auto r = rng() % 100;
      if (r == 0) continue;                       // removed
      next.push_back(r == 1 ? fresh++ : base[i]);  // changed, or the same
      if (r == 2) next.push_back(fresh++);         // added
    }
    if (next.size() > 10) std::rotate(next.begin(), next.begin() + static_cast<long>(next.size() / 3), next.end());
    CHECK(decoded(encode_members_delta(next, 7, 1, base), base) == next);
    CHECK(decoded(encode_members_delta(next, 7, 16, {}), {}) == next);  // nothing shared: all KEYS
  }
  // 100,000 members with 1,000 replaced: a delta from the previous build costs ~6 bytes a change,
  // where runs cost ~8 bytes for every change since the keys were stored in order.
  std::vector<int64_t> base(100000);
  for (size_t i = 0; i < base.size(); ++i) base[i] = static_cast<int64_t>(i + 1);
  std::vector<int64_t> next = base;
  for (size_t i = 0; i < next.size(); i += 100) next[i] = static_cast<int64_t>(200000 + i / 100);
  const Blob delta = encode_members_delta(next, 3, 1, base);
  CHECK(delta.size() < 7 * 1000);
  CHECK(encode_members(next).size() < 10 * 1000);
  CHECK(decoded(delta, base) == next);
}

TEST_CASE("catalog blobs: every members rule has its malformed input and message", "[catalog]") {
  const std::string E = "build #2: the catalogue is corrupted: members: ";
  CHECK(members_error({}, 10) == E + "no header");
  CHECK(members_error(uleb({2, 1}), 10) == E + "unknown encoding 2");
  CHECK(members_error(uleb({0}), 10) == E + "count");
  CHECK(members_error(uleb({0, kMaxMembers + 1}), UINT64_MAX) ==
        E + "67108865 components, more than a build can hold (67108864)");
  CHECK(members_error(uleb({0, 5}), 4) == E + "5 components, 4 recorded");
  CHECK(members_error(uleb({0, 5, 5}), 5) == E + "run at 3 runs past the end");
  CHECK(members_error(uleb({0, 5, 0, 2}), 5) == E + "run at 4 is out of range");        // an empty run
  CHECK(members_error(uleb({0, 5, 6, 2}), 5) == E + "run at 4 is out of range");        // longer than the count
  CHECK(members_error(uleb({0, 5, 5, 1}), 5) == E + "run at 4 is out of range");        // key -1 (zigzag 1)
  CHECK(members_error(uleb({0, 2, 1, 2, 1, 3}), 2) == E + "run at 6 is out of range");  // key 1, then key 0
  CHECK(members_error(uleb({0, 1, 1, 2, 7}), 1) == E + "1 trailing bytes");
  CHECK(members_error(uleb({0, 3, 3, 2}), 3) == "ok");
  // A run whose end would pass INT64_MAX.
  Blob over = uleb({0, 2, 2});
  put_uleb(over, (uint64_t{INT64_MAX} - 1) * 2);  // zigzag of INT64_MAX - 1
  CHECK(members_error(over, 2) == E + "run at " + std::to_string(over.size()) + " is out of range");
  // Deltas: the header, then COPY ops checked against the base.
  const std::vector<int64_t> base{10, 11, 12};
  CHECK(members_error(uleb({1, 0, 1, 1}), 5, base) == E + "base build key 0");
  CHECK(members_error(uleb({1, 3}), 5, base) == E + "no header");
  CHECK(members_error(uleb({1, 3, 0, 1}), 5, base) == E + "delta depth 0 (1 to 64)");
  CHECK(members_error(uleb({1, 3, 65, 1}), 5, base) == E + "delta depth 65 (1 to 64)");
  CHECK(members_error(uleb({1, 3, 1, 2, 2 << 1, 4}), 5, base) == E + "run at 6 is out of range");  // copies 2..3 of 3
  CHECK(members_error(uleb({1, 3, 1, 1, 1 << 1, 1}), 5, base) == E + "run at 6 is out of range");  // position -1
  CHECK(members_error(uleb({1, 3, 1, 3, 3 << 1, 0}), 5, base) == "ok");
  CHECK(decoded(uleb({1, 3, 1, 4, 2 << 1, 2, (1 << 1) | 1, 2 * 7, 1 << 1, 5}), base) ==
        std::vector<int64_t>{11, 12, 7, 10});  // COPY 1..2, KEYS 7, COPY 0 (three back from 3)
}

TEST_CASE("catalog blobs: every string list and map rule has its malformed input and message", "[catalog]") {
  auto strings_error = [](const Blob& b) {
    std::vector<std::string> out;
    auto st = decode_strings(bytes_of(b), out, "build #1 component /x symbols");
    return st ? "ok" : st.error().message();
  };
  const std::string E = "build #1 component /x symbols: the catalogue is corrupted: ";
  CHECK(strings_error({}) == E + "count");
  CHECK(strings_error(uleb({3, 1})) == E + "count 3 exceeds the 1 bytes left");
  CHECK(strings_error(Blob{1, 5, 'a', 'b'}) == E + "string at 2 runs past the end");
  CHECK(strings_error(Blob{1, 1, 'a', 'z'}) == E + "1 trailing bytes");
  CHECK(strings_error(encode_strings({"a", "", std::string("\0\xff", 2)})) == "ok");

  std::map<std::string, std::string> m;
  CHECK(!decode_map(bytes_of(Blob{1, 1, 'k'}), m, "map"));  // a key without its value
  CHECK(decode_map(bytes_of(Blob{1, 1, 'k'}), m, "map").error().message() ==
        "map: the catalogue is corrupted: string at 3 runs past the end");
  std::map<std::string, std::string> want{{"a", "1"}, {"b", ""}};
  REQUIRE(decode_map(bytes_of(encode_map(want)), m, "map"));
  CHECK(m == want);

  std::vector<NotAnalysed> na;
  auto odd = encode_strings({"/path"});
  CHECK(decode_not_analysed(bytes_of(odd), na, "build #1 not analysed").error().message() ==
        "build #1 not analysed: the catalogue is corrupted: a path without its reason");
}
