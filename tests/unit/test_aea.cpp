// Apple Encrypted Archives (issue 25, docs/formats/aea.md). The real signed Shortcut of MANIFEST.md §10
// (profile 0, Apple-made) read whole: header, auth data, signature, every HMAC, the Apple Archive inside.
// Files of every profile from samples/gen/make_aea.py --suite (a known key, private key and password):
// decrypted with the right key, refused with the wrong one, described without one; one malformed
// input per validation rule with its exact message. Also the .aea member of an update package (issue 9).
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "aa/aa.hpp"
#include "aea/aea.hpp"
#include "inspect/hash.hpp"
#include "inspect/text.hpp"
#include "test_support.hpp"

using namespace upscope;
using namespace upscope::test;
namespace fs = std::filesystem;

namespace {

// Each diagnostic as "<severity>: <text>" (the checks say which are errors and which warnings).
std::string with_severity(const Diagnostics& d) {
  std::string s;
  for (const auto& x : d.items()) s += std::string(to_string(x.severity)) + ": " + x.text() + "\n";
  return s;
}

const char* kShortcut = "real/aea/contactVerificationTest.shortcut";

// make_aea.py --suite, written once per process (its docstring lists the files).
const fs::path& suite() {
  static const fs::path dir = [] {
    auto d = scratch_dir("aea-suite");
    auto r = run_writer("make_aea.py", "--suite " + shell_quote(d.string()));
    INFO(r.out);
    REQUIRE(r.exit_code == 0);
    return d;
  }();
  return dir;
}

fs::path file(const std::string& name) { return suite() / name; }
std::string arg(const std::string& name) { return file(name).string(); }

SourcePtr source(const fs::path& p) {
  auto s = FileSource::open(p.string());
  REQUIRE(s);
  return *s;
}

aea::Keys symmetric() {
  aea::Keys k;
  k.symmetric = read_bytes(file("key.bin"));
  return k;
}

aea::Keys keys_for(uint32_t profile) {
  aea::Keys k;
  if (profile == 1 || profile == 2) k = symmetric();
  if (profile == 3 || profile == 4) k.recipient_private_pem = read_file(file("recipient.pem"));
  if (profile == 5) k.password = "upscope";
  return k;
}

std::vector<uint8_t> plaintext(const fs::path& p, const aea::Keys& k) {
  auto plain = aea::open_decrypted(source(p), k);
  INFO(p.filename().string());
  REQUIRE(plain);
  std::vector<uint8_t> out((*plain)->size());
  REQUIRE((*plain)->read_at(0, out));
  return out;
}

// The message of the error open() fails with.
std::string open_error(const fs::path& p, const aea::Keys& k) {
  auto a = aea::open(source(p), k);
  REQUIRE(!a);
  return a.error().message();
}

// The message of the first segment that fails to decode.
std::string segment_error(const fs::path& p, const aea::Keys& k) {
  auto src = source(p);
  auto a = aea::open(src, k);
  REQUIRE(a);
  for (size_t i = 0; i < (*a)->segments.size(); ++i) {
    auto s = aea::decode_segment(**a, *src, i);
    if (!s) return s.error().message();
  }
  FAIL("every segment decoded");
  return {};
}

std::vector<uint8_t> patched(const fs::path& p, uint64_t at, uint8_t x) {
  auto b = read_bytes(p);
  REQUIRE(at < b.size());
  b[at] ^= x;
  return b;
}

fs::path write_variant(const std::string& name, const std::vector<uint8_t>& bytes) {
  auto p = scratch_dir("aea-variants") / name;
  write_bytes(p, bytes);
  return p;
}

}  // namespace

TEST_CASE("aea: the real signed Shortcut: header, profile 0 and the auth data", "[aea][samples]") {
  UPSCOPE_REQUIRE_SAMPLE(path, kShortcut);
  auto src = source(path);
  auto h = aea::read_header(*src);
  REQUIRE(h);
  CHECK(h->profile == 0);
  CHECK(std::string(h->info->name) == "hkdf_sha256_hmac__none__ecdsa_p256");
  CHECK(!h->info->encrypted);
  CHECK(h->info->is_signed);
  CHECK(h->scrypt_strength == 0);
  CHECK(h->auth.size == 0x1a68);
  REQUIRE(h->auth.kind == aea::AuthData::Kind::kPlist);
  std::vector<std::string> keys;
  for (const auto& [k, v] : h->auth.plist.items()) keys.push_back(k);
  CHECK(keys == std::vector<std::string>{"AppleIDValidationRecord", "SigningPublicKey", "AppleIDCertificateChain",
                                         "SigningPublicKeySignature"});
  REQUIRE(h->auth.signing_public_key);
  CHECK(to_hex(Bytes(*h->auth.signing_public_key).first(8)) == "04b84da6e46b1c51");
  REQUIRE(h->auth.certificate_info.size() == 2);
  CHECK(h->auth.certificate_info[0].subject == "CN=com.apple.idms.appleid.prd.000307-08-2b3451ec-7711-4dca-8abd-ddf6f54306bc");
  CHECK(h->auth.certificate_info[0].key_type == "RSA 2048");
  CHECK(h->auth.certificate_info[1].issuer == "CN=Apple Root CA,OU=Apple Certification Authority,O=Apple Inc.,C=US");
  CHECK(h->auth.key_url.empty());
  // Prologue (§4): 128-byte signature, the 32-byte archive key, salt, root header HMAC, root header,
  // first cluster HMAC; clusters at 12 + A + 304.
  CHECK(h->layout.signature == 0x1a74);
  CHECK(h->layout.key_material == 0x1af4);
  CHECK(h->layout.root_header == 0x1b54);
  CHECK(h->layout.clusters == 12 + 0x1a68 + 304);
}

TEST_CASE("aea: the real signed Shortcut: signature, every HMAC, and the Apple Archive inside", "[aea][samples]") {
  UPSCOPE_REQUIRE_SAMPLE(path, kShortcut);
  auto src = source(path);
  auto a = aea::open(src);
  REQUIRE(a);
  INFO(joined((*a)->diagnostics));
  CHECK((*a)->diagnostics.empty());
  const aea::RootHeader& r = (*a)->root;
  CHECK(r.plain_size == 145341);
  CHECK(r.container_size == 102752);
  CHECK(r.segment_size == 0x100000);
  CHECK(r.segments_per_cluster == 256);
  CHECK(r.compression == 'e');
  CHECK(r.checksum == 2);
  REQUIRE((*a)->clusters.size() == 1);
  REQUIRE((*a)->segments.size() == 1);
  CHECK((*a)->segments[0].stored_size == 77212);
  CHECK((*a)->segments[0].data_offset == 0x63c4);
  CHECK((*a)->data_end == 102752);
  CHECK((*a)->padding == 0);
  const aea::Checks& c = (*a)->checks;
  CHECK(c.signature == "verified (ECDSA P-256, SHA-256 of the prologue) with the auth data (SigningPublicKey) key");
  CHECK(c.macs);
  CHECK(c.root_header_mac);
  CHECK(c.cluster_header_macs == 1);
  CHECK(c.signing_key_signature == "verified (RSA-PSS SHA-256 by the first certificate of AppleIDCertificateChain)");
  CHECK(c.certificate_chain ==
        "first certificate signed by the second; the second's issuer (CN=Apple Root CA,OU=Apple Certification "
        "Authority,O=Apple Inc.,C=US) not checked: upscope ships no Apple root certificate");

  // The LZFSE segment decodes (HMAC and SHA-256 checked) to an Apple Archive.
  auto seg = aea::decode_segment(**a, *src, 0);
  REQUIRE(seg);
  CHECK(seg->size() == 145341);
  auto l = aa::list(*seg);
  REQUIRE(l);
  CHECK(l->diagnostics.empty());
  std::vector<std::string> listing;
  for (const auto& e : l->entries) listing.push_back(std::string(1, e.type().value_or('?')) + " " + e.path().value_or("?"));
  // The root directory's PAT field holds 0 bytes (AA01 at 0x0: "PATP" then length 0), so its path is empty.
  CHECK(listing == std::vector<std::string>{"D ", "F Shortcut.wflow"});

  // A checksum that passed before is not computed again while the HMAC is checked: a wrong
  // checksum is then not seen (the test alters the parsed header; the file's HMACs forbid it).
  // Without a checkable HMAC the checksum is always computed.
  aea::Archive altered = **a;
  altered.segments[0].checksum[0] ^= 1;
  auto bad = aea::decode_segment(altered, *src, 0);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message() ==
        "AEA cluster 0 segment 0 at 0x" + fmt::format("{:x}", altered.segments[0].data_offset) +
            ": sha256 checksum of the plaintext does not match the segment header");
  CHECK(aea::decode_segment(altered, *src, 0, true));
  altered.checks.macs = false;
  CHECK_FALSE(aea::decode_segment(altered, *src, 0, true));
}

TEST_CASE("aea: the real Shortcut through the CLI", "[aea][samples]") {
  UPSCOPE_REQUIRE_SAMPLE(path, kShortcut);
  const std::string p = path.string();
  auto id = run_upscope({"identify", p});
  CHECK(id.out == p + ": aea: Apple Encrypted Archive (AEA1), profile 0: signed, not encrypted; contents readable "
                      "without a key\n");

  auto in = run_upscope({"inspect", p});
  INFO(in.out << in.err);
  CHECK(in.exit_code == 0);
  for (const char* line :
       {"  profile: 0 hkdf_sha256_hmac__none__ecdsa_p256 (signed, not encrypted)\n",
        "  scrypt strength: 0 (unused: only profile 5 derives its key with scrypt)\n",
        "  auth data: 6760 bytes at 0xc, binary property list\n",
        "    SigningPublicKey: data, 65 bytes: P-256 public key "
        "04b84da6e46b1c51653d897153c861e5f1818ceb411254f2566a0c96bf59c5f52a884cf89932ad4508a3a90b2d10b96dd1745de9ebfef929f4555bb5ee0297acc0\n",
        "    AppleIDCertificateChain: 2 certificates\n",
        "  root header: plaintext 145341 bytes (141.9 KiB), container 102752 bytes, segments of 1.0 MiB, 256 per cluster, "
        "compression lzfse, checksum sha256\n",
        "  clusters: 1, segments: 1 (77212 stored bytes for 145341 plaintext bytes), padding: none\n",
        "  signature: verified (ECDSA P-256, SHA-256 of the prologue) with the auth data (SigningPublicKey) key\n",
        "  HMACs: root header verified, 1 of 1 cluster headers verified; padding: none\n",
        "  payload: Apple Archive (AA01) (apple-archive)\n",
        "    2 entries: 1 files, 1 directories, 0 symlinks (list them with `upscope aa list`)\n",
        "  segments: all 1 checked (HMAC, decryption, decompression, checksum)\n"}) {
    CHECK(in.out.find(line) != std::string::npos);
  }
  auto inj = run_upscope({"--json", "inspect", p});
  REQUIRE(inj.exit_code == 0);
  auto doc = nlohmann::json::parse(inj.out);
  const auto& rep = doc["inputs"][0]["report"];
  CHECK(rep["profile"] == 0);
  CHECK(rep["encrypted"] == false);
  CHECK(rep["contents"]["readable"] == true);
  CHECK(rep["auth_data"]["kind"] == "plist");
  CHECK(rep["auth_data"]["plist"]["SigningPublicKey"]["data"].get<std::string>().size() == 130);
  CHECK(rep["payload"]["format"] == "apple-archive");
  CHECK(rep["payload"]["report"]["entry_count"] == 2);

  auto ls = run_upscope({"aa", "list", p});
  CHECK(ls.exit_code == 0);
  CHECK(ls.out.rfind(p + ": Apple Archive, 2 entries (raw, in AEA profile 0 (signed, not encrypted), lzfse segments)\n", 0) == 0);
  CHECK(ls.out.find("Shortcut.wflow") != std::string::npos);
  auto ls2 = run_upscope({"ls", p});
  CHECK(ls2.exit_code == 0);
  CHECK(ls2.out.rfind(p + ": Apple Archive, 2 entries (raw, in AEA profile 0 (signed, not encrypted))\n", 0) == 0);
  CHECK(ls2.out.find(" Shortcut.wflow\n") != std::string::npos);

  auto dir = scratch_dir("aea-shortcut");
  auto ex = run_upscope({"aa", "extract", p, "-o", (dir / "x").string()});
  INFO(ex.err);
  CHECK(ex.exit_code == 0);
  CHECK(ex.out == (dir / "x").string() + ": 1 files (" + std::to_string(fs::file_size(dir / "x" / "Shortcut.wflow")) +
                      " bytes), 1 directories, 0 symlinks extracted; 0 skipped\n");
  // A Shortcut's workflow is a binary property list.
  CHECK(read_file(dir / "x" / "Shortcut.wflow").rfind("bplist00", 0) == 0);

  auto dec = run_upscope({"decompress", p, "-o", (dir / "plain.aar").string()});
  CHECK(dec.exit_code == 0);
  CHECK(fs::file_size(dir / "plain.aar") == 145341);
  CHECK(read_file(dir / "plain.aar").rfind("AA01", 0) == 0);
  auto ver = run_upscope({"aea", "verify", p});
  CHECK(ver.exit_code == 0);
  CHECK(ver.out.find("  HMACs verified: root header, 1 cluster headers, 1 segments; padding: none\n") != std::string::npos);
  CHECK(ver.out.find("  plaintext: 145341 bytes, SHA-256 " + sha256_hex(read_bytes(dir / "plain.aar")) + "\n") !=
        std::string::npos);
}

TEST_CASE("aea: every profile decrypts with what it needs", "[aea]") {
  const auto payload = read_bytes(file("payload.bin"));
  for (uint32_t p = 0; p <= 5; ++p) {
    INFO("profile " << p);
    const fs::path f = file("p" + std::to_string(p) + ".aea");
    auto a = aea::open(source(f), keys_for(p));
    REQUIRE(a);
    INFO(joined((*a)->diagnostics));
    CHECK((*a)->diagnostics.empty());
    CHECK((*a)->header.profile == p);
    CHECK((*a)->clusters.size() == 2);
    CHECK((*a)->segments.size() == 5);
    CHECK((*a)->checks.cluster_header_macs == 2);
    if (p == 0 || p == 2 || p == 4)
      CHECK((*a)->checks.signature ==
            "verified (ECDSA P-256, SHA-256 of the prologue) with the auth data (SigningPublicKey) key");
    else
      CHECK((*a)->checks.signature.empty());
    CHECK(plaintext(f, keys_for(p)) == payload);
  }
  // A random-access read across segment and cluster boundaries, through a one-segment cache.
  auto a = aea::open(source(file("p1.aea")), symmetric());
  REQUIRE(a);
  aea::PlainSource plain(*a, source(file("p1.aea")), 1);
  std::vector<uint8_t> mid(3000);
  REQUIRE(plain.read_at(1000, mid));
  CHECK(mid == std::vector<uint8_t>(payload.begin() + 1000, payload.begin() + 4000));
  CHECK(plain.segments_checked() == 4);
  CHECK(!plain.read_at(4999, std::span<uint8_t>(mid.data(), 2)));

  // Each decoded segment's stored bytes are released from the process (a mapped file's pages), with
  // the 64 KiB on either side that the kernel may have mapped around a fault.
  auto log = std::make_shared<ReleaseLog>(source(file("p1.aea")));
  aea::PlainSource logged(*a, log, 1);
  REQUIRE(logged.read_at(1000, mid));
  std::vector<std::pair<uint64_t, uint64_t>> stored;
  for (size_t i = 0; i < 4; ++i) {
    const auto& s = (*a)->segments[i];
    const uint64_t from = s.data_offset > 65536 ? s.data_offset - 65536 : 0;
    stored.emplace_back(from, s.data_offset - from + s.stored_size + 65536);
  }
  CHECK(log->calls == stored);
}

TEST_CASE("aea: codecs, checksums, padding and auth data kinds", "[aea]") {
  const auto payload = read_bytes(file("payload.bin"));
  for (const char* name : {"p1-none.aea", "p1-xz.aea", "p1-lzfse-stored.aea", "p1-murmur.aea", "p1-nosum.aea",
                           "p1-padded.aea", "p1-raw-auth.aea", "p1-no-auth.aea"}) {
    INFO(name);
    CHECK(plaintext(file(name), symmetric()) == payload);
  }
  auto padded = aea::open(source(file("p1-padded.aea")), symmetric());
  REQUIRE(padded);
  CHECK((*padded)->padding == 100);
  CHECK((*padded)->checks.padding == "100 bytes, HMAC verified");
  CHECK((*padded)->diagnostics.empty());

  auto kv = aea::read_header(*source(file("p1.aea")));
  REQUIRE(kv);
  CHECK(kv->auth.kind == aea::AuthData::Kind::kKeyValue);
  REQUIRE(kv->auth.pairs.size() == 2);
  CHECK(kv->auth.pairs[1].first == "com.apple.wkms.fcs-response");
  CHECK(kv->auth.key_url == "https://wkms-public.apple.com/fcs-keys/upscope-test.pem");
  auto raw = aea::read_header(*source(file("p1-raw-auth.aea")));
  REQUIRE(raw);
  CHECK(raw->auth.kind == aea::AuthData::Kind::kBlob);
  auto none = aea::read_header(*source(file("p1-no-auth.aea")));
  REQUIRE(none);
  CHECK(none->auth.kind == aea::AuthData::Kind::kEmpty);

  // Profile 0 whose auth data lacks the signing key: readable (nothing is encrypted), nothing checkable.
  auto nokey = aea::open(source(file("p0-nokey.aea")));
  REQUIRE(nokey);
  CHECK(!(*nokey)->checks.macs);
  CHECK((*nokey)->checks.signature == "not checked: no signing public key (the auth data has no SigningPublicKey)");
  CHECK(with_severity((*nokey)->diagnostics) ==
        "warning: at 0x121: AEA prologue: HMACs not checked: the main key's derivation includes the signing public key, "
        "which the auth data does not carry\n");
  CHECK(plaintext(file("p0-nokey.aea"), {}) == payload);
  for (const char* name : {"p0-unsigned.aea", "p2-unsigned.aea"}) {
    INFO(name);
    auto u = aea::open(source(file(name)), keys_for(name[1] - '0'));
    REQUIRE(u);
    CHECK((*u)->checks.signature == "absent: the signature is all zeros (written unsigned, to be signed later)");
  }
}

TEST_CASE("aea: a wrong key, no key, and the key options", "[aea]") {
  // Wrong keys fail the first check that depends on them: the root header's HMAC.
  aea::Keys wrong;
  wrong.symmetric = std::vector<uint8_t>(32, 0x42);
  CHECK(open_error(file("p1.aea"), wrong) ==
        "AEA root header at 0xed: HMAC does not match: the key is wrong, or the prologue or the auth data was altered");
  aea::Keys wrong_password;
  wrong_password.password = "not it";
  CHECK(open_error(file("p5.aea"), wrong_password) ==
        "AEA root header at 0xed: HMAC does not match: the password is wrong, or the prologue or the auth data was "
        "altered");
  // Without one: the profile, what it needs and the key URL.
  CHECK(open_error(file("p1.aea"), {}) ==
        "AEA prologue at 0xad: profile 1 (symmetric key encryption, not signed) is encrypted: reading it needs the "
        "32-byte symmetric archive key (the auth data names its key URL: "
        "https://wkms-public.apple.com/fcs-keys/upscope-test.pem)");
  CHECK(open_error(file("p3.aea"), {}).find("reading it needs the recipient's P-256 private key (PEM)") != std::string::npos);

  const std::string p1 = arg("p1.aea");
  auto in = run_upscope({"inspect", p1});
  CHECK(in.exit_code == 0);
  CHECK(in.out == p1 +
                      ": Apple Encrypted Archive (AEA1), profile 1: symmetric key encryption, not signed; contents need "
                      "the 32-byte symmetric archive key\n"
                      "  profile: 1 hkdf_sha256_aesctr_hmac__symmetric__none (symmetric key encryption, not signed)\n"
                      "  scrypt strength: 0 (unused: only profile 5 derives its key with scrypt)\n"
                      "  auth data: 161 bytes at 0xc, 2 key/value records\n"
                      "    com.apple.wkms.fcs-key-url: https://wkms-public.apple.com/fcs-keys/upscope-test.pem\n"
                      "    com.apple.wkms.fcs-response: {\"enc-request\":\"AAAA\",\"wrapped-key\":\"BBBB\"}\n"
                      "  key URL: https://wkms-public.apple.com/fcs-keys/upscope-test.pem\n"
                      "    (the archive key is wrapped for the private key published there; upscope never fetches it)\n"
                      "  prologue: salt 0xad, root header HMAC 0xcd, root header 0xed (encrypted), first cluster HMAC "
                      "0x11d; clusters from 0x13d\n"
                      "  contents: encrypted; reading them needs the 32-byte symmetric archive key; give it with --key "
                      "BASE64 or --key-file PATH\n");
  auto inj = run_upscope({"--json", "inspect", p1});
  REQUIRE(inj.exit_code == 0);
  auto doc = nlohmann::json::parse(inj.out);
  CHECK(doc["inputs"][0]["report"]["auth_data"]["key_url"] == "https://wkms-public.apple.com/fcs-keys/upscope-test.pem");
  CHECK(doc["inputs"][0]["report"]["contents"]["readable"] == false);

  auto ls = run_upscope({"ls", p1});
  CHECK(ls.exit_code == 2);
  CHECK(ls.err == "upscope: error: " + p1 +
                      ": AEA prologue at 0xad: profile 1 (symmetric key encryption, not signed) is encrypted: reading it "
                      "needs the 32-byte symmetric archive key (the auth data names its key URL: "
                      "https://wkms-public.apple.com/fcs-keys/upscope-test.pem); give it with --key BASE64 or --key-file "
                      "PATH\n");
  auto bad = run_upscope({"aea", "decrypt", p1, "-o", (suite() / "wrong.out").string(), "--key",
                          "QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkI="});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err == "upscope: error: " + p1 +
                       ": AEA root header at 0xed: HMAC does not match: the key is wrong, or the prologue or the auth data "
                       "was altered\n");
  CHECK(!fs::exists(suite() / "wrong.out"));
  auto short_key = run_upscope({"aea", "decrypt", p1, "-o", (suite() / "wrong.out").string(), "--key", "AAAA"});
  CHECK(short_key.err == "upscope: error: --key: the key is 3 bytes; an AEA symmetric key is 32\n");

  // The right key, three ways: raw key file, base64 key file, --key.
  const auto payload = read_bytes(file("payload.bin"));
  const std::string b64 = read_file(file("key.b64"));
  for (std::vector<std::string> how : {std::vector<std::string>{"--key-file", arg("key.bin")},
                                       std::vector<std::string>{"--key-file", arg("key.b64")},
                                       std::vector<std::string>{"--key", b64.substr(0, b64.size() - 1)}}) {
    INFO(how[0] << " " << how[1]);
    auto out = suite() / "plain.out";
    auto r = run_upscope({"--overwrite", "aea", "decrypt", p1, "-o", out.string(), how[0], how[1]});
    CHECK(r.exit_code == 0);
    CHECK(read_bytes(out) == payload);
  }
  auto dec = run_upscope({"decompress", arg("p4.aea"), "-o", (suite() / "p4.out").string(), "--key-file", arg("recipient.pem")});
  CHECK(dec.exit_code == 0);
  CHECK(read_bytes(suite() / "p4.out") == payload);
  auto pw = run_upscope({"aea", "verify", arg("p5.aea"), "--password-file", arg("password.txt")});
  CHECK(pw.exit_code == 0);
  CHECK(pw.out.find("  plaintext: 5000 bytes, SHA-256 " + sha256_hex(payload) + "\n") != std::string::npos);
}

TEST_CASE("aea: a disk image inside an AEA is read through the plaintext Source", "[aea][samples]") {
  UPSCOPE_REQUIRE_SAMPLE(dmg, "jb_test.dmg");
  auto dir = scratch_dir("aea-dmg");
  const fs::path aea_path = dir / "090-00000-001.dmg.aea", key = dir / "key";
  auto gen = run_writer("make_aea.py", shell_quote(aea_path.string()) + " --profile 1 --input " + shell_quote(dmg.string()) +
                                           " --segment-size 65536 --segments-per-cluster 32 --write-key " +
                                           shell_quote(key.string()));
  INFO(gen.out);
  REQUIRE(gen.exit_code == 0);
  auto ls = run_upscope({"ls", aea_path.string(), "--key-file", key.string()});
  INFO(ls.err);
  CHECK(ls.exit_code == 0);
  CHECK(ls.out.find(" /hello.txt\n") != std::string::npos);
  auto in = run_upscope({"inspect", aea_path.string(), "--key-file", key.string()});
  CHECK(in.exit_code == 0);
  CHECK(in.out.find("  payload: UDIF disk image (koly v4), 20572 sectors (10.0 MiB decoded) (udif)\n") != std::string::npos);
  // Read on demand: the plaintext Source feeds the UDIF reader directly.
  aea::Keys k;
  k.symmetric = read_bytes(key);
  auto plain = aea::open_decrypted(source(aea_path), k);
  REQUIRE(plain);
  CHECK((*plain)->size() == fs::file_size(dmg));
  auto h = hash_source(HashKind::kSha256, **plain);
  REQUIRE(h);
  CHECK(*h == sha256_hex(read_bytes(dmg)));
}

TEST_CASE("aea: one message per broken rule", "[aea]") {
  const aea::Keys k = symmetric();
  auto header_error = [](const std::vector<uint8_t>& bytes) {
    MemorySource src(bytes, "mem");
    auto h = aea::read_header(src);
    REQUIRE(!h);
    return h.error().message();
  };
  std::vector<uint8_t> p1 = read_bytes(file("p1.aea"));
  CHECK(header_error({'A', 'E', 'A', '1', 1}) == "AEA header at 0x0: the file has 5 bytes; the header needs 12");
  auto magic = p1;
  magic[3] = '2';
  CHECK(header_error(magic) == "AEA header at 0x0: magic is 'AEA2', not 'AEA1'");
  auto profile = p1;
  profile[4] = 9;
  CHECK(header_error(profile) == "AEA header at 0x4: unknown profile 9 (AEA defines profiles 0 to 5)");
  auto strength = p1;
  strength[7] = 4;
  CHECK(header_error(strength) == "AEA header at 0x7: scrypt strength 4 is not 0 to 3");
  auto auth = p1;
  auth[10] = 1;  // auth data size 0x100a1
  CHECK(header_error(auth) == "AEA auth data at 0xc: 65697 bytes run past the end of the 1908-byte file");
  CHECK(header_error(std::vector<uint8_t>(p1.begin(), p1.begin() + 300)) ==
        "AEA prologue at 0xad: profile 1 needs 144 bytes after the auth data; the file has 127");

  // Rules of the root header, the clusters and the segments, each broken by the writer under valid HMACs.
  const std::vector<std::pair<std::string, std::string>> open_rules = {
      {"segment-size-zero", "AEA root header at 0xfd: segment size is 0"},
      {"segment-size-huge", "AEA root header at 0xfd: segment size 134217728 is over upscope's limit of 64.0 MiB"},
      {"spc-zero", "AEA root header at 0x101: segments per cluster is 0"},
      {"codec", "AEA root header at 0x105: compression 'Q' is not one of - 4 b e f x z"},
      {"checksum-kind", "AEA root header at 0x106: checksum 7 is not 0 (none), 1 (MurmurHash64A) or 2 (SHA-256)"},
      {"reserved", "AEA root header at 0x107: reserved byte 26 is not zero"},
      {"container-size", "AEA root header at 0xf5: the archive is 1909 bytes, the file only 1908: truncated"},
      {"segment-oversize", "AEA cluster 0 segment 0 at 0x13d: holds 1025 plaintext bytes, more than the segment size 1024"},
      {"stored-larger", "AEA cluster 0 segment 0 at 0x141: stored size 1025 is larger than its plaintext size 1024"},
      {"zero-stored", "AEA cluster 0 segment 0 at 0x141: stores 0 bytes for 1024 plaintext bytes"},
      {"short-segment",
       "AEA cluster 0 segment 1 at 0x165: follows a segment shorter than the segment size (1024 bytes at plaintext "
       "offset 0x0): only the last segment may be short"},
      {"gap", "AEA cluster 0 segment 1 at 0x165: holds data after an empty segment"},
      {"empty-stored", "AEA cluster 1 segment 1 at 0x64b: an empty segment with a stored size of 7"},
      {"sum-mismatch",
       "AEA cluster 1 segment 0 at 0x623: runs past the plaintext size 4999 the root header gives (4096 bytes before it)"},
      {"early-end", "AEA cluster 1 at 0x623: its segments end the data at 5000 of the 5001 plaintext bytes"},
      {"signing-key-size", "AEA signing public key at 0xc: 10 bytes, not a 65-byte uncompressed P-256 point"},
  };
  for (const auto& [rule, message] : open_rules) {
    INFO(rule);
    CHECK(open_error(file("break-" + rule + ".aea"), rule == "signing-key-size" ? aea::Keys{} : k) == message);
  }

  // Rules checked as a segment is read.
  CHECK(segment_error(file("break-checksum.aea"), k) ==
        "AEA cluster 0 segment 0 at 0x27d: sha256 checksum of the plaintext does not match the segment header");
  CHECK(segment_error(file("break-codec-b.aea"), k) ==
        "AEA cluster 0 segment 0 at 0x27d: lzbitmap data does not decode: LZBITMAP: LZBITMAP-compressed segments are "
        "not supported (no decoder)");
  CHECK(segment_error(file("break-plain-size-lie.aea"), k) ==
        "AEA cluster 1 segment 0 at 0x763: zlib data decodes to 904 bytes, the segment header says 905");
  CHECK(segment_error(file("break-bad-compressed-data.aea"), k).rfind(
            "AEA cluster 0 segment 0 at 0x27d: zlib data does not decode: ", 0) == 0);

  // Integrity: one altered byte in each authenticated part.
  CHECK(open_error(write_variant("auth.aea", patched(file("p1.aea"), 0x20, 1)), k) ==
        "AEA root header at 0xed: HMAC does not match: the key is wrong, or the prologue or the auth data was altered");
  CHECK(open_error(write_variant("cluster.aea", patched(file("p1.aea"), 0x13d, 1)), k) ==
        "AEA cluster 0 at 0x13d: header HMAC does not match the prologue's first cluster HMAC (the header was altered)");
  CHECK(segment_error(write_variant("segment.aea", patched(file("p1.aea"), 0x280, 1)), k) ==
        "AEA cluster 0 segment 0 at 0x27d: HMAC does not match: the segment's stored bytes were altered");
  // Profile 0: the signature covers the prologue; a byte of r changed no longer verifies.
  auto sig = aea::open(source(write_variant("sig.aea", patched(file("p0.aea"), 0xbc + 8, 1))));
  REQUIRE(sig);
  CHECK((*sig)->checks.signature == "failed: does not verify with the auth data (SigningPublicKey) key");
  CHECK(with_severity((*sig)->diagnostics) ==
        "error: at 0xbc: AEA signature: the ECDSA signature does not verify with the auth data (SigningPublicKey) key\n");
  auto garbage = aea::open(source(file("break-signature-garbage.aea")));
  REQUIRE(garbage);
  CHECK(with_severity((*garbage)->diagnostics) ==
        "error: at 0xbc: AEA signature: not a DER ECDSA signature (a SEQUENCE of at most 126 bytes)\n");
  auto padding = aea::open(source(file("break-padding-mac.aea")), k);
  REQUIRE(padding);
  CHECK(with_severity((*padding)->diagnostics) ==
        "warning: at 0x774: AEA padding: 64 bytes after the last cluster: their HMAC does not match the last cluster's "
        "next-HMAC slot (checked as public decoders do; not confirmed on Apple-made files)\n");

  // Truncation inside the clusters (profile 0 without a signing key checks no HMAC, so the container
  // size can be patched to the cut): a cluster header, then segment data, past the end.
  auto nokey = read_bytes(file("p0-nokey.aea"));
  auto cut = [&](size_t n) {
    std::vector<uint8_t> b(nokey.begin(), nokey.begin() + static_cast<ptrdiff_t>(n));
    const size_t container = 0x121 + 32 + 8;  // root header (at 0x121 + 32) + 8
    for (int i = 0; i < 8; ++i) b[container + i] = static_cast<uint8_t>(uint64_t(n) >> (8 * i));
    return write_variant("cut-" + std::to_string(n) + ".aea", b);
  };
  CHECK(open_error(cut(0x191 + 100), {}) ==
        "AEA cluster 0 at 0x191: its header (320 bytes) runs past the end of the 501-byte file");
  CHECK(open_error(cut(0x191 + 330), {}) ==
        "AEA cluster 0 segment 0 at 0x191: its 361 stored bytes at 0x2d1 run past the end of the file");
}

TEST_CASE("aea: an .aea member of an update zip or directory is named encrypted", "[aea]") {
  auto dir = scratch_dir("aea-ota");
  auto zip = dir / "delta.zip", tree = dir / "delta-dir";
  auto gen = run_shell("python3 " + shell_quote((source_dir() / "samples/gen/make_ota.py").string()) + " delta " +
                       shell_quote(zip.string()) + " --dir " + shell_quote(tree.string()) + " >/dev/null 2>&1");
  REQUIRE(gen.exit_code == 0);
  const std::string member = "AssetData/boot/090-00001-001.dmg.aea";
  const std::string reason = "encrypted (Apple Encrypted Archive, AEA1): what it writes cannot be read without the key";
  for (const auto& in : {zip, tree}) {
    INFO(in);
    auto r = run_upscope({"inspect", in.string()});
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("not analysed: " + member + ": " + reason) != std::string::npos);
    auto j = run_upscope({"--json", "inspect", in.string()});
    REQUIRE(j.exit_code == 0);
    auto doc = nlohmann::json::parse(j.out);
    bool found = false;
    for (const auto& it : doc["inputs"][0]["report"]["items"])
      if (it["path"] == member) {
        found = true;
        CHECK(it["role"] == "encrypted");
        CHECK(it["format"] == "aea");
      }
    CHECK(found);
    // ls lists what can be read and names the encrypted member (not an error: the rest is complete).
    auto l = run_upscope({"ls", in.string()});
    CHECK(l.exit_code == 0);
    CHECK(l.out.find("not analysed: " + member + ": " + reason + "\n") != std::string::npos);
  }
}
