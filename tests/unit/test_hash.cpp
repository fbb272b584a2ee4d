#include <catch2/catch.hpp>

#include <string>

#include "inspect/hash.hpp"
#include "inspect/source.hpp"
#include "inspect/text.hpp"

using namespace upscope;

namespace {
Bytes text(const std::string& s) { return Bytes(reinterpret_cast<const uint8_t*>(s.data()), s.size()); }
}  // namespace

TEST_CASE("SHA-1 and SHA-256 match the FIPS 180 test vectors", "[core][hash]") {
  CHECK(sha256_hex(text("abc")) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256_hex(text("")) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha1_hex(text("abc")) == "a9993e364706816aba3e25717850c26c9cd0d89d");
  CHECK(sha256_hex(text("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")) ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST_CASE("XXH3 matches the reference values", "[core][hash]") {
  // Reference values from xxHash 0.8 (xxhsum -H3 / XXH3_64bits with seed 0).
  CHECK(xxh3_64(text("")) == 0x2D06800538D394C2ull);
  CHECK(hash_hex(HashKind::kXxh3_64, text("")) == "2d06800538d394c2");
}

TEST_CASE("incremental hashing equals one-shot hashing", "[core][hash]") {
  std::string big(1 << 20, 'x');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7);
  for (HashKind k : {HashKind::kSha1, HashKind::kSha256, HashKind::kXxh3_64, HashKind::kXxh3_128}) {
    Hasher h(k);
    h.update(text(big.substr(0, 1000)));
    h.update(text(big.substr(1000)));
    CHECK(h.hex_digest() == hash_hex(k, text(big)));
    CHECK(hash_hex(k, text(big)).size() == 2 * digest_size(k));
  }
  MemorySource src(std::vector<uint8_t>(big.begin(), big.end()), "big");
  CHECK(*hash_source(HashKind::kSha256, src) == sha256_hex(text(big)));
}

TEST_CASE("hash names parse and print", "[core][hash]") {
  CHECK(*parse_hash_kind("sha256") == HashKind::kSha256);
  CHECK(*parse_hash_kind("xxh3") == HashKind::kXxh3_64);
  CHECK_FALSE(parse_hash_kind("md5"));
  CHECK(std::string(to_string(HashKind::kSha1)) == "sha1");
}

TEST_CASE("text helpers", "[core][text]") {
  const uint8_t u[16] = {0xd0, 0x8a, 0x9f, 0xa0, 0xd5, 0xa5, 0x45, 0x8b, 0x81, 0x3e, 0xeb, 0xf9, 0xbf, 0x5d, 0x53, 0x38};
  CHECK(uuid_string(Bytes(u, 16)) == "D08A9FA0-D5A5-458B-813E-EBF9BF5D5338");
  CHECK(to_hex(Bytes(u, 2)) == "d08a");
  CHECK(human_size(512) == "512 B");
  CHECK(human_size(4153344) == "4.0 MiB");
  CHECK(printable(text(std::string("ab\x01", 3))) == "ab\\x01");
}
