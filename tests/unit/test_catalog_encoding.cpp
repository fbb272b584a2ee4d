// The catalogue's stored blobs (catalog/src/encoding.hpp) read back what was written, and every
// validation rule of their readers has one malformed input with its exact message: a catalogue
// file or database is input like any other, and may be damaged.
#include <catch2/catch.hpp>

#include <random>

#include "encoding.hpp"

using namespace upscope;
using namespace upscope::catalog::detail;

namespace {

std::string members_error(const Blob& b, uint64_t max) {
  std::vector<int64_t> out;
  auto st = decode_members(bytes_of(b), max, out, "build #2");
  return st ? "ok" : st.error().message();
}

Blob uleb(std::initializer_list<uint64_t> values) {
  Blob b;
  for (uint64_t v : values) put_uleb(b, v);
  return b;
}

}  // namespace

TEST_CASE("catalog blobs: members round-trip as runs, a few bytes per change", "[catalog]") {
  std::mt19937_64 rng(11);
  for (int round = 0; round < 50; ++round) {
    std::vector<int64_t> keys;
    int64_t k = 1 + static_cast<int64_t>(rng() % 1000);
    const size_t n = rng() % 3000;
    for (size_t i = 0; i < n; ++i) {
      keys.push_back(k);
      k = rng() % 20 == 0 ? 1 + static_cast<int64_t>(rng() % 100000) : k + 1;  // mostly runs, some jumps back
    }
    Blob b = encode_members(keys);
    std::vector<int64_t> back;
    REQUIRE(decode_members(bytes_of(b), keys.size(), back, "build"));
    CHECK(back == keys);
  }
  // 100,000 consecutive keys with 1,000 changed: one run each way per change.
  std::vector<int64_t> keys(100000);
  for (size_t i = 0; i < keys.size(); ++i) keys[i] = static_cast<int64_t>(i + 1);
  for (size_t i = 0; i < keys.size(); i += 100) keys[i] = static_cast<int64_t>(200000 + i);
  CHECK(encode_members(keys).size() < 10 * 1000);
}

TEST_CASE("catalog blobs: every members rule has its malformed input and message", "[catalog]") {
  const std::string E = "build #2: the catalogue is corrupted: members: ";
  CHECK(members_error({}, 10) == E + "count");
  CHECK(members_error(uleb({kMaxMembers + 1, 1, 1}), UINT64_MAX) ==
        E + "67108865 components, more than a build can hold (67108864)");
  CHECK(members_error(uleb({5, 2, 5}), 4) == E + "5 components, 4 recorded");
  CHECK(members_error(uleb({5, 2}), 5) == E + "run at 2 runs past the end");
  CHECK(members_error(uleb({5, 2, 0}), 5) == E + "run at 3 is out of range");        // an empty run
  CHECK(members_error(uleb({5, 2, 6}), 5) == E + "run at 3 is out of range");        // longer than the count
  CHECK(members_error(uleb({5, 1, 5}), 5) == E + "run at 3 is out of range");        // key -1 (zigzag 1 is -1)
  CHECK(members_error(uleb({2, 2, 1, 3, 1}), 2) == E + "run at 5 is out of range");  // key 1, then back to key 0
  CHECK(members_error(uleb({1, 2, 1, 7}), 1) == E + "1 trailing bytes");
  // A run whose end would pass INT64_MAX.
  Blob huge;
  put_uleb(huge, 2);
  put_uleb(huge, uint64_t{INT64_MAX} - 1);  // zigzag: start = INT64_MAX / 2
  put_uleb(huge, 2);
  CHECK(members_error(huge, 2) == "ok");
  Blob over;
  put_uleb(over, 2);
  put_uleb(over, (uint64_t{INT64_MAX} - 1) * 2);  // start INT64_MAX - 1
  put_uleb(over, 2);
  CHECK(members_error(over, 2) == E + "run at " + std::to_string(over.size()) + " is out of range");
  CHECK(members_error(uleb({3, 2, 3}), 3) == "ok");
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
