// Trust caches: the real IMG4 of the macOS 26.2 OTA (MANIFEST.md §10), raw and wrapped caches from
// samples/gen/make_trustcache.py, one malformed input per rule with its exact message, and `diff`
// (docs/formats/trustcache.md).
#include <filesystem>

#include <nlohmann/json.hpp>

#include "identify/identify.hpp"
#include "inspect/text.hpp"
#include "test_support.hpp"
#include "trustcache/trustcache.hpp"

using namespace upscope;
using namespace upscope::test;
namespace fs = std::filesystem;

namespace {

const char* kRealUuid = "1BAA5F41-F064-4885-A671-9A71FC66843B";
const char* kRealCdhash = "ed030a9730bdc4a1d0d6ea88aa9d24e1cea1dd03";

fs::path make_tc(const fs::path& dir, const std::string& name, const std::string& args) {
  auto out = dir / name;
  auto r = run_shell("python3 " + test::writer_script("make_trustcache.py") + " " + shell_quote(out.string()) + " " + args);
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  return out;
}

Result<trustcache::TrustCache> parse_file(const fs::path& p) {
  auto src = FileSource::open(p.string());
  REQUIRE(src);
  return trustcache::parse(**src);
}

Result<trustcache::TrustCache> parse_bytes(std::vector<uint8_t> b) {
  MemorySource src(std::move(b), "test.trustcache");
  return trustcache::parse(src);
}

Identification identify_file(const fs::path& p) {
  auto src = FileSource::open(p.string());
  REQUIRE(src);
  auto id = identify(**src);
  REQUIRE(id);
  return *id;
}

// A raw module: `n` entries whose cdhash is 20 times the byte i+1, hash type 2, flags 0.
std::vector<uint8_t> raw(uint32_t version, uint32_t count, size_t n) {
  const size_t each = version == 0 ? 20 : version == 1 ? 22 : 24;
  std::vector<uint8_t> b(24 + n * each, 0);
  b[0] = uint8_t(version);
  for (int i = 0; i < 16; ++i) b[4 + i] = uint8_t(0xA0 + i);
  for (int i = 0; i < 4; ++i) b[20 + i] = uint8_t(count >> (8 * i));
  for (size_t e = 0; e < n; ++e) {
    std::fill_n(b.begin() + 24 + e * each, 20, uint8_t(e + 1));
    if (version >= 1) b[24 + e * each + 20] = 2;
  }
  return b;
}

nlohmann::json json_of(const RunResult& r) {
  INFO(r.out << r.err);
  return nlohmann::json::parse(r.out);
}

std::string hash_of(char c) { return std::string(40, c); }

}  // namespace

TEST_CASE("trustcache: the real IMG4 holds a v1 trust cache of one entry", "[trustcache][samples]") {
  UPSCOPE_REQUIRE_SAMPLE(file, "real/ota-26.2/Bootability.dmg.trustcache");
  auto tc = parse_file(file);
  REQUIRE(tc);
  CHECK(tc->version == 1);
  CHECK(uuid_string(tc->uuid) == kRealUuid);
  CHECK(tc->declared_count == 1);
  REQUIRE(tc->entries.size() == 1);
  CHECK(to_hex(tc->entries[0].cdhash) == kRealCdhash);
  CHECK(tc->entries[0].hash_type == 2);
  CHECK(tc->entries[0].flags == 0);
  CHECK_FALSE(tc->entries[0].constraint_category);
  REQUIRE(tc->wrapper);
  CHECK(tc->wrapper->container == "img4");
  CHECK(tc->wrapper->type == "trbb");
  CHECK(tc->wrapper->description == "1");
  CHECK(tc->wrapper->payload_offset == 0x1d);
  CHECK(tc->wrapper->payload_length == 46);
  CHECK(tc->wrapper->manifest_offset == 79);
  CHECK(tc->diagnostics.empty());

  // identify keeps "img4" and says what the IM4P holds.
  auto id = identify_file(file);
  CHECK(id.format == "img4");
  CHECK(id.description ==
        "Image4 container (payload + manifest): IM4P 'trbb', raw payload of 46 bytes: bootability trust cache v1, 1 entry");
  CHECK(id.details["payload_type"] == "trbb");
  CHECK(id.details["payload_description"] == "1");
  CHECK(id.details["trust_cache"]["uuid"] == kRealUuid);
  CHECK(id.details["trust_cache"]["entry_count"] == 1);

  auto r = run_upscope({"inspect", file.string()});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find(std::string("trust cache v1, UUID ") + kRealUuid + ", 1 entry; in IMG4 > IM4P 'trbb'") !=
        std::string::npos);
  CHECK(r.out.find("IM4M manifest at 0x4f (not verified)") != std::string::npos);
  CHECK(r.out.find(std::string(kRealCdhash) + "  2 (sha256)") != std::string::npos);

  auto j = json_of(run_upscope({"ls", "--json", file.string()}));
  CHECK(j["schema"] == "upscope/trustcache-ls/1");
  CHECK(j["trust_cache"]["uuid"] == kRealUuid);
  CHECK(j["trust_cache"]["image4"]["payload_type"] == "trbb");
  CHECK(j["trust_cache"]["entries"][0]["cdhash"] == kRealCdhash);
  CHECK(j["trust_cache"]["entries"][0]["hash_type_name"] == "sha256");
  CHECK(j["trust_cache"]["entries"][0]["flag_names"].empty());
}

TEST_CASE("trustcache: the writer's IM4P is byte-identical to Apple's", "[trustcache][samples]") {
  UPSCOPE_REQUIRE_SAMPLE(file, "real/ota-26.2/Bootability.dmg.trustcache");
  auto dir = scratch_dir("trustcache-writer");
  auto ours = read_bytes(make_tc(dir, "boot.im4p", std::string("--version 1 --uuid ") + kRealUuid + " --entry " +
                                                       kRealCdhash + ":2:0 --wrap im4p --type trbb --description 1"));
  auto apple = read_bytes(file);
  REQUIRE(ours.size() == 65);
  CHECK(std::equal(ours.begin(), ours.end(), apple.begin() + 10));  // Apple's IM4P starts at 10
}

TEST_CASE("trustcache: raw v0, v1, v2 and IM4P / IMG4 from the writer", "[trustcache]") {
  auto dir = scratch_dir("trustcache-gen");
  const std::string entries = " --entry " + hash_of('c') + ":2:1:3 --entry " + hash_of('a') + ":2:0:0 --entry " +
                              hash_of('b') + ":1:3:9";
  for (int v : {0, 1, 2}) {
    INFO("version " << v);
    auto p = make_tc(dir, "v" + std::to_string(v), "--version " + std::to_string(v) + entries);
    auto id = identify_file(p);
    CHECK(id.format == "trustcache");
    CHECK(id.details["entry_count"] == 3);
    auto tc = parse_file(p);
    REQUIRE(tc);
    CHECK(tc->version == uint32_t(v));
    CHECK(uuid_string(tc->uuid) == "00112233-4455-6677-8899-AABBCCDDEEFF");
    REQUIRE(tc->entries.size() == 3);
    CHECK(to_hex(tc->entries[0].cdhash) == hash_of('a'));  // sorted by the writer
    CHECK(to_hex(tc->entries[2].cdhash) == hash_of('c'));
    CHECK(tc->entries[2].hash_type == (v >= 1 ? std::optional<uint8_t>(2) : std::nullopt));
    CHECK(tc->entries[2].flags == (v >= 1 ? std::optional<uint8_t>(1) : std::nullopt));
    CHECK(tc->entries[2].constraint_category == (v >= 2 ? std::optional<uint8_t>(3) : std::nullopt));
    CHECK(tc->diagnostics.empty());
  }
  auto v2 = parse_file(dir / "v2");
  REQUIRE(v2);
  CHECK(trustcache::entries_text(*v2).find(hash_of('b') + "  1 (sha1)              0x3 (amfid, ane-model)    9") !=
        std::string::npos);

  for (std::string wrap : {"im4p", "img4"}) {
    INFO(wrap);
    auto p = make_tc(dir, wrap, "--version 2 --wrap " + wrap + " --type ltrs --description test" + entries);
    auto id = identify_file(p);
    CHECK(id.format == wrap);
    CHECK(id.description.find(": loadable trust cache v2, 3 entries") != std::string::npos);
    auto tc = parse_file(p);
    REQUIRE(tc);
    CHECK(tc->entries.size() == 3);
    REQUIRE(tc->wrapper);
    CHECK(tc->wrapper->container == wrap);
    CHECK(tc->wrapper->type == "ltrs");
    CHECK(tc->wrapper->payload_offset == (wrap == "im4p" ? 0x16u : 0x1fu));
    CHECK(tc->wrapper->manifest_offset.has_value() == (wrap == "img4"));
    // inspect and ls of a bare IM4P go through the trust-cache reader, not the kernelcache one.
    auto ls = run_upscope({"ls", p.string()});
    INFO(ls.out << ls.err);
    CHECK(ls.exit_code == 0);
    CHECK(ls.out.find(hash_of('b') + "  1 (sha1)") != std::string::npos);
    auto in = run_upscope({"inspect", p.string()});
    CHECK(in.exit_code == 0);
    CHECK(in.out.find("trust cache v2, UUID 00112233-4455-6677-8899-AABBCCDDEEFF, 3 entries") != std::string::npos);
  }
  // DER checked by an independent reader where there is one.
  if (run_shell("command -v openssl >/dev/null").exit_code == 0) {
    auto r = run_shell("openssl asn1parse -inform DER -in " + shell_quote((dir / "img4").string()));
    INFO(r.out);
    CHECK(r.exit_code == 0);
    CHECK(r.out.find(":IMG4") != std::string::npos);
    CHECK(r.out.find(":ltrs") != std::string::npos);
    CHECK(r.out.find("l=  96 prim: OCTET STRING") != std::string::npos);  // 24 + 3 * 24
  }
}

TEST_CASE("trustcache: malformed inputs, one rule each, exact messages", "[trustcache]") {
  SECTION("raw: errors") {
    auto r = parse_bytes(std::vector<uint8_t>(10, 0));
    REQUIRE_FALSE(r);
    CHECK(r.error().message() == "trust cache header at 0x0: needs 24 bytes, the input has 10");
    auto v3 = raw(1, 1, 1);
    v3[0] = 3;
    r = parse_bytes(v3);
    REQUIRE_FALSE(r);
    CHECK(r.error().message() == "trust cache header at 0x0: version 3 is not 0, 1 or 2");
  }
  SECTION("raw: count past the end") {
    auto r = parse_bytes(raw(1, 5, 2));
    REQUIRE(r);
    CHECK(r->entries.size() == 2);
    CHECK(r->declared_count == 5);
    CHECK(joined(r->diagnostics) ==
          "at 0x18: trust cache entries: the header declares 5 entries of 22 bytes (110 bytes) but only 44 bytes "
          "follow it; 2 entries read\n");
    // A count as large as the field holds reads what is there, allocating nothing more.
    r = parse_bytes(raw(0, 0xffffffff, 1));
    REQUIRE(r);
    CHECK(r->entries.size() == 1);
  }
  SECTION("raw: truncated entry") {
    auto b = raw(1, 3, 3);
    b.erase(b.end() - 11, b.end());  // erase, not resize(size - 11): g++ -O1 warns on the unsigned wrap it imagines
    auto r = parse_bytes(b);
    REQUIRE(r);
    CHECK(r->entries.size() == 2);
    CHECK(texts(r->diagnostics).at(1) == "at 0x44: trust cache entry 2: truncated: 11 of its 22 bytes before the end of the input");
  }
  SECTION("raw: warnings") {
    auto b = raw(2, 2, 2);
    b.resize(b.size() + 4);
    auto r = parse_bytes(b);
    REQUIRE(r);
    CHECK(joined(r->diagnostics) == "at 0x48: trust cache: 4 bytes after the last entry\n");
    b = raw(1, 2, 2);
    std::fill_n(b.begin() + 24, 20, uint8_t(9));  // entry 0 after entry 1
    r = parse_bytes(b);
    REQUIRE(r);
    CHECK(joined(r->diagnostics) ==
          "at 0x2e: trust cache entry 1: cdhash 0202020202020202020202020202020202020202 sorts before entry 0's: a "
          "version 1 trust cache must be sorted by cdhash for the kernel's binary search\n");
    std::fill_n(b.begin() + 24, 20, uint8_t(2));
    r = parse_bytes(b);
    REQUIRE(r);
    CHECK(joined(r->diagnostics) == "at 0x2e: trust cache entry 1: repeats the cdhash of entry 0\n");
  }
  SECTION("IM4P of a trust-cache type with a bad payload") {
    auto dir = scratch_dir("trustcache-bad");
    const std::string e = " --entry " + hash_of('1');
    auto r = parse_file(make_tc(dir, "v9", "--version 9 --count 1 --wrap im4p --type trbb" + e));
    REQUIRE_FALSE(r);
    CHECK(r.error().message() == "IM4P 'trbb' trust cache header at 0x13: version 9 is not 0, 1 or 2");
    r = parse_file(make_tc(dir, "short", "--truncate 10 --wrap img4 --type trst" + e));
    REQUIRE_FALSE(r);
    CHECK(r.error().message() == "IM4P 'trst' trust cache header at 0x1b: needs 24 bytes, the input has 10");
    auto past = parse_file(make_tc(dir, "past", "--count 4 --wrap im4p --type ltrs" + e));
    REQUIRE(past);
    CHECK(joined(past->diagnostics) ==
          "at 0x2b: IM4P 'ltrs' trust cache entries: the header declares 4 entries of 22 bytes (88 bytes) but only 22 "
          "bytes follow it; 1 entry read\n");
    // A payload that is compressed (LZFSE magic) or a type that carries no trust cache.
    std::vector<uint8_t> bvx = read_bytes(make_tc(dir, "lz", "--wrap im4p" + e));
    bvx[0x13] = 'b', bvx[0x14] = 'v', bvx[0x15] = 'x', bvx[0x16] = '2';
    auto c = parse_bytes(bvx);
    REQUIRE_FALSE(c);
    CHECK(c.error().message() ==
          "IM4P 'trst' payload at 0x13: the payload is lzfse-compressed; trust caches are stored uncompressed");
    auto k = parse_file(make_tc(dir, "krnl", "--wrap im4p --type krnl" + e));
    REQUIRE_FALSE(k);
    CHECK(k.error().message() ==
          "IM4P 'krnl' at 0x0: the IM4P type is not one that carries a trust cache (trbb, trst, ltrs)");
    // identify says the payload is not a valid trust cache; inspect fails with the message.
    auto id = identify_file(dir / "v9");
    CHECK(id.format == "im4p");
    CHECK(id.description.find("bootability trust cache type, but the payload is not a valid trust cache") !=
          std::string::npos);
    auto in = run_upscope({"inspect", (dir / "v9").string()});
    CHECK(in.exit_code == 2);
    CHECK(in.err.find("IM4P 'trbb' trust cache header at 0x13: version 9 is not 0, 1 or 2") != std::string::npos);
  }
}

TEST_CASE("trustcache: diff reports added, removed and changed cdhashes", "[trustcache]") {
  auto dir = scratch_dir("trustcache-diff");
  auto a = make_tc(dir, "a.tc", "--version 1 --entry " + hash_of('1') + ":2:0 --entry " + hash_of('2') +
                                    ":2:0 --entry " + hash_of('3') + ":2:1");
  auto b = make_tc(dir, "b.img4", "--version 1 --uuid 99999999-0000-0000-0000-000000000000 --wrap img4 --entry " +
                                      hash_of('2') + ":2:1 --entry " + hash_of('3') + ":2:1 --entry " + hash_of('4') +
                                      ":2:0");
  auto r = run_upscope({"diff", a.string(), b.string()});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("+ " + hash_of('4') + "  hash type 2 (sha256), flags none") != std::string::npos);
  CHECK(r.out.find("- " + hash_of('1') + "  hash type 2 (sha256), flags none") != std::string::npos);
  CHECK(r.out.find("~ " + hash_of('2') + "  flags none -> 0x1 (amfid)") != std::string::npos);
  CHECK(r.out.find("uuid: 00112233-4455-6677-8899-AABBCCDDEEFF -> 99999999-0000-0000-0000-000000000000") !=
        std::string::npos);
  CHECK(r.out.find("1 added, 1 removed, 1 changed, 1 unchanged") != std::string::npos);

  auto j = json_of(run_upscope({"diff", "--json", a.string(), b.string()}));
  CHECK(j["schema"] == "upscope/trustcache-diff/1");
  CHECK(j["diff"]["same"] == false);
  CHECK(j["diff"]["changed"][0]["fields"] == nlohmann::json::array({"flags"}));
  CHECK(j["new"]["image4_type"] == "trst");

  // The same entries under another UUID and wrapping: the same (exit 0).
  auto c = make_tc(dir, "c.im4p", "--version 1 --uuid 11111111-0000-0000-0000-000000000000 --wrap im4p --entry " +
                                      hash_of('3') + ":2:1 --entry " + hash_of('1') + ":2:0 --entry " + hash_of('2') +
                                      ":2:0");
  auto same = run_upscope({"diff", a.string(), c.string()});
  INFO(same.out << same.err);
  CHECK(same.exit_code == 0);
  CHECK(same.out.find("0 added, 0 removed, 0 changed, 3 unchanged: the entries are the same") != std::string::npos);

  // v1 -> v2: the constraint category appears, which is a change.
  auto v2 = make_tc(dir, "v2.tc", "--version 2 --entry " + hash_of('1') + ":2:0:0 --entry " + hash_of('2') +
                                      ":2:0:0 --entry " + hash_of('3') + ":2:1:0");
  auto up = run_upscope({"diff", a.string(), v2.string()});
  CHECK(up.exit_code == 1);
  CHECK(up.out.find("version: 1 -> 2") != std::string::npos);
  CHECK(up.out.find("~ " + hash_of('1') + "  category absent -> 0") != std::string::npos);
}

TEST_CASE("trustcache: in a build tree, a cryptex's trust cache is a component diffed by cdhash", "[trustcache][inventory]") {
  auto dir = scratch_dir("trustcache-tree");
  const std::string preboot = "System/Volumes/Preboot/0123-4567/cryptex1/current/";
  for (const char* side : {"old", "new"}) fs::create_directories(dir / side / preboot);
  make_tc(dir, "old/" + preboot + "app.dmg.trustcache",
          "--version 2 --wrap im4p --entry " + hash_of('1') + ":2:0:1 --entry " + hash_of('2') + ":2:0:1");
  make_tc(dir, "new/" + preboot + "app.dmg.trustcache",
          "--version 2 --wrap im4p --entry " + hash_of('1') + ":2:0:1 --entry " + hash_of('3') + ":2:0:1");
  auto inv = json_of(run_upscope({"inventory", "--json", (dir / "old").string()}));
  const nlohmann::json* c = nullptr;
  for (const auto& x : inv["build"]["components"])
    if (x["id"] == "/" + preboot + "app.dmg.trustcache") c = &x;
  REQUIRE(c);
  CHECK((*c)["kind"] == "trust-cache");
  CHECK((*c)["location"] == "cryptex-app");
  CHECK(inv["build"]["not_analysed"].empty());

  auto d = json_of(run_upscope({"verdict", "--json", (dir / "old").string(), (dir / "new").string()}));
  REQUIRE(d["diff"]["changes"].size() == 1);
  const auto& ch = d["diff"]["changes"][0];
  CHECK(ch["classes"] == nlohmann::json::array({"content"}));
  CHECK(ch["summary"] == "content changed (cdhash " + hash_of('2') + " removed; cdhash " + hash_of('3') + " added)");
  // Only the trust cache changed, in the App cryptex: an RSR could ship it.
  CHECK(d["verdict"]["rsr_eligible"] == "yes");

  // Entries equal, the UUID changed: bytes differ, so a change (metadata), never "nothing changed".
  make_tc(dir, "new/" + preboot + "app.dmg.trustcache",
          "--version 2 --wrap im4p --uuid 99999999-0000-0000-0000-000000000000 --entry " + hash_of('1') +
              ":2:0:1 --entry " + hash_of('2') + ":2:0:1");
  auto m = json_of(run_upscope({"verdict", "--json", (dir / "old").string(), (dir / "new").string()}));
  REQUIRE(m["diff"]["changes"].size() == 1);
  CHECK(m["diff"]["changes"][0]["classes"] == nlohmann::json::array({"metadata"}));
}
