// IM4P DER rules: one file per rule in tests/malformed/img4/ with the exact message parse_im4p gives
// (written by hand-assembled DER, see each name), and the same message through `upscope inspect`.
#include <filesystem>
#include <map>

#include "img4/im4p.hpp"
#include "test_support.hpp"

using namespace upscope;
namespace fs = std::filesystem;

TEST_CASE("img4: malformed IM4P files, one rule each, exact messages", "[img4]") {
  const fs::path dir = test::source_dir() / "tests/malformed/img4";
  const std::map<std::string, std::string> rules = {
      {"not-a-sequence", "IM4P at 0x0: expected a DER SEQUENCE (tag 0x30), found tag 0x31"},
      {"der-length-of-length", "IM4P at 0x0: length of length 9 is not 1..8"},
      {"magic-missing", "IM4P magic at 0x2: missing: the SEQUENCE ends before it"},
      {"magic-wrong-tag", "IM4P magic at 0x2: expected IA5String (tag 0x16), found tag 0x04"},
      {"magic-not-im4p", "IM4P magic at 0x2: the first element is not the IA5String \"IM4P\""},
      {"type-past-sequence",
       "IM4P type at 0x8: IA5String length 0x5 extends past the end of the IM4P SEQUENCE (0x0 bytes remain)"},
      {"payload-not-octet-string", "IM4P payload at 0x14: expected OCTET STRING (tag 0x04), found tag 0x16"},
      {"payload-missing", "IM4P payload at 0x14: missing: the SEQUENCE ends before it"},
      {"compression-integer-too-long", "IM4P compression algorithm at 0x21: INTEGER of 10 bytes is not 1..8"},
      {"compression-integer-overflow", "IM4P compression algorithm at 0x21: INTEGER does not fit in 64 bits"},
      {"compression-size-missing", "IM4P uncompressed size at 0x22: missing: the SEQUENCE ends before it"},
  };
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    ++files;
    CHECK(rules.count(e.path().stem().string()) == 1);  // every file has its rule here
  }
  CHECK(files == rules.size());
  for (const auto& [name, want] : rules) {
    INFO("rule " << name);
    auto bytes = test::read_bytes(dir / (name + ".bin"));
    auto p = img4::parse_im4p(ByteReader(Bytes(bytes)));
    REQUIRE(!p);
    CHECK(p.error().message() == want);
  }
}

TEST_CASE("img4: a well-formed IM4P with a compression SEQUENCE", "[img4]") {
  // SEQUENCE { "IM4P", "krnl", "desc", OCTET STRING "payload", SEQUENCE { INTEGER 1, INTEGER 0x10 } }
  const std::vector<uint8_t> b = {0x30, 0x23, 0x16, 4,    'I',  'M',  '4', 'P', 0x16, 4,   'k', 'r', 'n',
                                  'l',  0x16, 4,    'd',  'e',  's',  'c', 0x04, 7,   'p', 'a', 'y', 'l',
                                  'o',  'a',  'd',  0x30, 0x06, 0x02, 1,   1,    0x02, 1,   0x10};
  auto p = img4::parse_im4p(ByteReader(Bytes(b)));
  REQUIRE(p);
  CHECK(p->type == "krnl");
  CHECK(p->description == "desc");
  CHECK(p->payload.size() == 7);
  REQUIRE(p->compression);
  CHECK(p->compression->algorithm == 1);
  CHECK(p->compression->uncompressed_size == 0x10);
  CHECK(p->payload_kind() == "lzfse");
  CHECK_FALSE(p->has_keybag);
}
