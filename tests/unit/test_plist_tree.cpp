// The owned plist tree (formats/plist/tree.hpp): every type printed like plutil -p and as JSON, from
// plists written by samples/gen/make_plists.py (python's plistlib); each rule of the binary frame
// check with its exact message; `upscope inspect` of plists that no semantic reader knows.
#include <plist/plist.h>

#include <cstdlib>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "plist/tree.hpp"
#include "test_support.hpp"

using namespace upscope;
using namespace upscope::test;
namespace fs = std::filesystem;

namespace {

fs::path generated_plists() {
  static const fs::path dir = [] {
    fs::path d = scratch_dir("plist-tree");
    auto r = run_shell("python3 " + shell_quote((source_dir() / "samples/gen/make_plists.py").string()) + " " +
                       shell_quote(d.string()) + " 2>&1");
    REQUIRE(r.exit_code == 0);
    return d;
  }();
  return dir;
}

Result<plist::Document> read_file_tree(const fs::path& p) {
  const auto bytes = read_bytes(p);  // the tree owns copies of everything it holds
  return plist::read(Bytes(bytes), "t.plist");
}

// A small binary plist written by libplist itself (a dict with one string), to damage.
std::vector<uint8_t> small_bplist() {
  plist_t d = plist_new_dict();
  plist_dict_set_item(d, "k", plist_new_string("v"));
  char* bin = nullptr;
  uint32_t len = 0;
  plist_to_bin(d, &bin, &len);
  plist_free(d);
  std::vector<uint8_t> out(bin, bin + len);
  std::free(bin);
  return out;
}

constexpr const char* kTypesText =
    "  {\n"
    "    \"string\" => \"say \\\"hi\\\"\\\\\\n\\ttab\"\n"
    "    \"negative\" => -32348\n"
    "    \"large\" => 17993721663\n"
    "    \"real\" => 1.5\n"
    "    \"yes\" => true\n"
    "    \"no\" => false\n"
    "    \"date\" => 2023-07-10 14:05:09 +0000\n"
    "    \"data\" => {length = 40, bytes = 0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f ...}\n"
    "    \"nested\" => {\n"
    "      \"array\" => [\n"
    "        0 => 1\n"
    "        1 => \"two\"\n"
    "        2 => [\n"
    "          0 => 3\n"
    "        ]\n"
    "      ]\n"
    "      \"empty_dict\" => {}\n"
    "      \"empty_array\" => []\n"
    "    }\n";

}  // namespace

TEST_CASE("plist tree: every type, binary and XML, printed like plutil -p in document order", "[plist]") {
  auto bin = read_file_tree(generated_plists() / "types.bplist");
  REQUIRE(bin);
  CHECK(bin->encoding == plist::Encoding::kBinary);
  CHECK(plist::to_text(bin->root, "  ") == std::string(kTypesText) + "    \"uid\" => <UID 7>\n  }\n");
  auto xml = read_file_tree(generated_plists() / "types.plist");
  REQUIRE(xml);
  CHECK(xml->encoding == plist::Encoding::kXml);
  CHECK(plist::to_text(xml->root, "  ") == std::string(kTypesText) + "  }\n");
  // root, 9 values, the nested dict's 3, the array's 3 and its inner array's 1, and the UID
  CHECK(bin->nodes == 1 + 9 + 3 + 3 + 1 + 1);
  CHECK(xml->nodes == bin->nodes - 1);
}

TEST_CASE("plist tree: JSON keeps JSON's types and tags data, dates and UIDs", "[plist]") {
  auto doc = read_file_tree(generated_plists() / "types.bplist");
  REQUIRE(doc);
  const auto j = nlohmann::json::parse(plist::to_json(doc->root).dump());
  CHECK(j["string"] == "say \"hi\"\\\n\ttab");
  CHECK(j["negative"] == -32348);
  CHECK(j["large"] == 17993721663LL);
  CHECK(j["real"] == 1.5);
  CHECK(j["yes"] == true);
  CHECK(j["date"] == nlohmann::json({{"$type", "date"}, {"value", "2023-07-10T14:05:09Z"},
                                     {"seconds_since_2001", 710690709.0}}));
  CHECK(j["data"]["$type"] == "data");
  CHECK(j["data"]["length"] == 40);
  CHECK(j["data"]["base64"] == "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJw==");
  CHECK(j["uid"] == nlohmann::json({{"$type", "uid"}, {"value", 7}}));
  CHECK(j["nested"]["array"] == nlohmann::json::parse(R"([1, "two", [3]])"));
  CHECK(j["nested"]["empty_dict"] == nlohmann::json::object());
  // document order, not sorted
  std::vector<std::string> keys;
  const auto ordered = plist::to_json(doc->root);
  for (auto it = ordered.begin(); it != ordered.end(); ++it) keys.push_back(it.key());
  CHECK(keys.front() == "string");
  CHECK(keys.back() == "uid");
}

TEST_CASE("plist tree: a binary plist's frame, one rule each, exact messages", "[plist][malformed]") {
  const std::vector<uint8_t> good = small_bplist();
  REQUIRE(good.size() > 40);
  REQUIRE(plist::read(Bytes(good), "t.plist"));
  const uint64_t t = good.size() - 32;  // the trailer
  auto message = [](std::vector<uint8_t> bytes) {
    auto r = plist::read(Bytes(bytes), "t.plist");
    REQUIRE_FALSE(r);
    return r.error().message();
  };
  auto patched = [&](size_t at, std::vector<uint8_t> with) {
    auto b = good;
    std::copy(with.begin(), with.end(), b.begin() + static_cast<std::ptrdiff_t>(at));
    return b;
  };
  const std::string at = fmt::format("t.plist at 0x{:x}: ", t);
  CHECK(message(std::vector<uint8_t>(good.begin(), good.begin() + 39)) ==
        "t.plist at 0x0: 39 bytes cannot hold the 8-byte header and the 32-byte trailer of a binary plist");
  CHECK(message(patched(t + 6, {0})) == at + "trailer gives 0-byte offsets and 1-byte references; neither may be 0");
  CHECK(message(patched(t + 8, {0, 0, 0, 0, 0, 0, 0, 0})) == at + "trailer: top object 0 is not below the object count 0");
  CHECK(message(patched(t + 16, {0, 0, 0, 0, 0, 0, 0, 9})) == at + "trailer: top object 9 is not below the object count 3");
  CHECK(message(patched(t + 24, {0, 0, 0, 0, 0, 0, 0, static_cast<uint8_t>(t - 2)})) ==
        at + fmt::format("trailer: offset table of 3 1-byte entries at 0x{:x} runs past the trailer", t - 2));
  // the frame is sound but the top object's marker is not a type libplist knows
  const uint8_t top_offset = good[good.size() - 32 + 24 + 7];  // the table holds 1-byte offsets
  auto bad_object = good;
  bad_object[good[top_offset]] = 0x70;
  CHECK(message(bad_object) == "t.plist: libplist could not read the binary plist: an object, offset or reference is malformed");
  const std::string xml = "<?xml version=\"1.0\"?><plist><dict><key>a</key></plist>";
  CHECK(message(std::vector<uint8_t>(xml.begin(), xml.end())) ==
        "t.plist: not a well-formed XML property list (libplist could not read it)");
}

TEST_CASE("upscope inspect: any plist is printed whole, --json gives the typed tree", "[plist][cli]") {
  const fs::path types = generated_plists() / "types.bplist";
  auto r = run_upscope({"inspect", types.string()});
  REQUIRE(r.exit_code == 0);
  // 18 values, the root included: as the tree test counts them (1 + 9 + 3 + 3 + 1 + 1)
  CHECK(r.out == types.string() + ": binary property list\n  binary plist, root dict, 18 values\n" + kTypesText +
                     "    \"uid\" => <UID 7>\n  }\n");
  auto j = run_upscope({"inspect", "--json", types.string()});
  REQUIRE(j.exit_code == 0);
  auto doc = nlohmann::json::parse(j.out);
  const auto& rep = doc["inputs"][0]["report"];
  CHECK(rep["format"] == "plist");
  CHECK(rep["encoding"] == "binary");
  CHECK(rep["kind"] == nullptr);
  CHECK(rep["tree"]["negative"] == -32348);
  // a broken one is an error naming the file and the rule
  const fs::path bad = scratch_dir("plist-inspect") / "cut.bplist";
  auto bytes = read_bytes(types);
  bytes.resize(30);
  write_bytes(bad, bytes);
  auto e = run_upscope({"inspect", bad.string()});
  CHECK(e.exit_code == 2);
  CHECK(e.err.find(bad.string() + ": property list at 0x0: 30 bytes cannot hold the 8-byte header") != std::string::npos);
}
