// Property lists reach libplist only once the tree it will build is bounded (formats/plist/parse.hpp):
// one file per rule in tests/malformed/plist/ (samples/gen/make_plist_bombs.py) with its exact message.
#include <filesystem>
#include <map>

#include "inspect/limits.hpp"
#include "ota/metadata.hpp"
#include "plist/parse.hpp"
#include "test_support.hpp"

using namespace upscope;
namespace fs = std::filesystem;

namespace {
struct LimitGuard {
  explicit LimitGuard(uint64_t bytes) { set_memory_limit(bytes); }
  ~LimitGuard() { set_memory_limit(0); }
};
}  // namespace

TEST_CASE("plist: malformed binary plists, one rule each, exact messages", "[plist]") {
  const fs::path dir = test::source_dir() / "tests/malformed/plist";
  const std::map<std::string, std::string> rules = {
      {"reference-bomb.bplist",
       "Info.plist: 221 bytes expand to more than 4.0 MiB of plist nodes (shared references are copied)"},
      {"nested-too-deep.bplist", "Info.plist: binary plist nested more than 512 levels deep"},
      {"nested-too-deep.plist", "Info.plist: XML plist nested more than 512 levels deep"},
      {"reference-cycle.bplist", "Info.plist: binary plist objects reference themselves in a cycle"},
      {"reference-bomb-wide-refs.bplist",
       "Info.plist: 711 bytes expand to more than 4.1 MiB of plist nodes (shared references are copied)"},
  };
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    ++files;
    CHECK(rules.count(e.path().filename().string()) == 1);
  }
  CHECK(files == rules.size());
  for (const auto& [name, want] : rules) {
    INFO("rule " << name);
    auto bytes = test::read_bytes(dir / name);
    auto p = plist::parse(Bytes(bytes), "Info.plist");
    REQUIRE(!p);
    CHECK(p.error().message() == want);
    CHECK(p.error().code == (name == "reference-cycle.bplist" ? ErrorCode::kMalformed : ErrorCode::kLimit));
  }
}

TEST_CASE("plist: the bound follows shared references without expanding them", "[plist]") {
  auto bomb = test::read_bytes(test::source_dir() / "tests/malformed/plist/reference-bomb.bplist");
  // 10^7 integers + 1,111,111 arrays of ten references, at 128 bytes a node and 16 a reference
  const uint64_t nodes = 10'000'000 + 1'111'111, refs = 11'111'110;
  CHECK(plist::tree_bytes_bound(Bytes(bomb)) == nodes * 128 + refs * 16);
  // XML: one node per element start plus the text; comments and CDATA hold no tags
  const std::string xml = "<?xml version=\"1.0\"?><!DOCTYPE plist><plist><array><!-- <a><b> --><true/><false/>"
                          "</array></plist>";
  CHECK(plist::tree_bytes_bound(Bytes(reinterpret_cast<const uint8_t*>(xml.data()), xml.size())) ==
        4 * 128 + xml.size());
}

TEST_CASE("plist: ordinary plists parse, and --max-memory applies to their tree", "[plist]") {
  std::string xml = "<?xml version=\"1.0\"?><plist version=\"1.0\"><dict>";
  for (int i = 0; i < 2000; ++i) xml += "<key>k" + std::to_string(i) + "</key><integer>" + std::to_string(i) + "</integer>";
  xml += "</dict></plist>";
  const Bytes b(reinterpret_cast<const uint8_t*>(xml.data()), xml.size());
  auto p = plist::parse(b, "Info.plist");
  REQUIRE(p);
  REQUIRE(*p);
  CHECK(plist_dict_get_size(plist::get(*p)) == 2000);
  // the same text as a binary plist, written by libplist itself
  char* bin = nullptr;
  uint32_t bin_len = 0;
  plist_to_bin(plist::get(*p), &bin, &bin_len);
  REQUIRE(bin);
  std::vector<uint8_t> binary(bin, bin + bin_len);
  free(bin);
  auto q = plist::parse(Bytes(binary), "Info.plist");
  REQUIRE(q);
  REQUIRE(*q);
  CHECK(plist_dict_get_size(plist::get(*q)) == 2000);
  CHECK(plist::string_item(plist::get(*q), "k1").empty());  // an integer, not a string
  {
    LimitGuard limit(64 << 10);
    auto r = plist::parse(b, "Info.plist", plist::Syntax::kXml, 0x40);
    REQUIRE(!r);
    CHECK(r.error().message().rfind("Info.plist at 0x40: needs ", 0) == 0);
    CHECK(r.error().message().find("over the --max-memory limit of 64.0 KiB") != std::string::npos);
  }
}

TEST_CASE("plist: an OTA's Info.plist that is a reference bomb is refused, naming the file", "[plist][ota]") {
  auto bomb = test::read_bytes(test::source_dir() / "tests/malformed/plist/reference-bomb.bplist");
  ota::Metadata m;
  auto st = ota::merge_plist(Bytes(bomb), "AssetData/Info.plist", false, m);
  REQUIRE(!st);
  CHECK(st.error().code == ErrorCode::kLimit);
  CHECK(st.error().message().find("AssetData/Info.plist") != std::string::npos);
}
