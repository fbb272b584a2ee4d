// BXDIFF50: the real sharingd patch (MANIFEST §7 ground truth), apply round trips against
// Debian's bsdiff/bspatch, and one case per validation rule with its exact message.
#include <filesystem>
#include <cstring>
#include <fstream>

#include <fmt/format.h>

#include "bxdiff50/bxdiff50.hpp"
#include "bxdiff50/structs.hpp"
#include "inspect/hash.hpp"
#include "inspect/text.hpp"
#include "test_support.hpp"

using namespace upscope;
using namespace upscope::test;
namespace fs = std::filesystem;

namespace {

bool have(const std::string& tool) { return run_shell("command -v " + tool + " >/dev/null 2>&1").exit_code == 0; }

SourcePtr mem(std::vector<uint8_t> b, std::string name = "patch") {
  return std::make_shared<MemorySource>(std::move(b), std::move(name));
}

void put_u64(std::vector<uint8_t>& b, size_t off, uint64_t v) {
  for (int i = 0; i < 8; ++i) b[off + i] = uint8_t(v >> (8 * i));
}
void push_u64be(std::vector<uint8_t>& b, uint64_t v) {
  for (int i = 7; i >= 0; --i) b.push_back(uint8_t(v >> (8 * i)));
}
void push_u64le(std::vector<uint8_t>& b, uint64_t v) {
  for (int i = 0; i < 8; ++i) b.push_back(uint8_t(v >> (8 * i)));
}

// A pbzx stream whose single chunk is stored (raw == stored): no compressor needed.
std::vector<uint8_t> stored_pbzx(const std::vector<uint8_t>& data) {
  std::vector<uint8_t> s = {'p', 'b', 'z', 'x'};
  push_u64be(s, 0x100000);
  if (!data.empty()) {
    push_u64be(s, data.size());
    push_u64be(s, data.size());
    s.insert(s.end(), data.begin(), data.end());
  }
  return s;
}

struct T3 { int64_t mix, copy, seek; };

// A BXDIFF50 patch with stored sections (SHA-1 fields zero).
std::vector<uint8_t> make_patch(const std::vector<T3>& triples, size_t diff_len, size_t extra_len, uint64_t patched) {
  std::vector<uint8_t> ctrl;
  for (auto t : triples) {
    push_u64le(ctrl, bxdiff50::encode_offtin(t.mix));
    push_u64le(ctrl, bxdiff50::encode_offtin(t.copy));
    push_u64le(ctrl, bxdiff50::encode_offtin(t.seek));
  }
  auto c = stored_pbzx(ctrl), d = stored_pbzx(std::vector<uint8_t>(diff_len, 0)),
       e = stored_pbzx(std::vector<uint8_t>(extra_len, 'x'));
  std::vector<uint8_t> p(88, 0);
  std::memcpy(p.data(), "BXDIFF50", 8);
  put_u64(p, 8, 1);
  put_u64(p, 16, patched);
  put_u64(p, 24, c.size());
  put_u64(p, 32, e.size());
  put_u64(p, 60, d.size());
  p.insert(p.end(), c.begin(), c.end());
  p.insert(p.end(), d.begin(), d.end());
  p.insert(p.end(), e.begin(), e.end());
  return p;
}

std::vector<std::string> diag_texts(const Diagnostics& d) {
  std::vector<std::string> out;
  for (const auto& i : d.items()) out.push_back(i.text());
  return out;
}

}  // namespace

TEST_CASE("offtin is sign-magnitude", "[bxdiff50]") {
  CHECK(bxdiff50::decode_offtin(0x8000000000000005ULL) == -5);
  CHECK(bxdiff50::decode_offtin(5) == 5);
  CHECK(bxdiff50::decode_offtin(0x8000000000000000ULL) == 0);
  CHECK(bxdiff50::encode_offtin(-32) == 0x8000000000000020ULL);
}

TEST_CASE("real BXDIFF50 sample matches MANIFEST §7", "[bxdiff50]") {
  UPSCOPE_REQUIRE_SAMPLE(path, "bxdiff50_sharingd.patch");
  auto src = FileSource::open(path.string());
  REQUIRE(src);
  ThreadPool pool(2);
  bxdiff50::ParseOptions po;
  po.pool = &pool;
  auto p = bxdiff50::parse(**src, po);
  REQUIRE(p);
  CHECK(p->diagnostics.empty());
  const auto& h = p->header;
  CHECK(h.magic == "BXDIFF50");
  CHECK(*h.version == 1);
  CHECK(h.patched_size == 4833600);
  CHECK(to_hex(*h.output_sha1) == "39f32b1d9dd5f9f270c492120b15107c8d0398ae");
  CHECK(to_hex(*h.input_sha1) == "67ea5bc2c3fef7bd1bf1920354fd33a62109f538");
  REQUIRE(p->sections.size() == 3);
  CHECK(p->sections[0].size == 436);
  CHECK(*p->sections[0].decoded_size == 1752);
  CHECK(p->sections[1].size == 67708);
  CHECK(p->sections[1].layout.chunk_count == 5);
  CHECK(*p->sections[1].decoded_size == 4781368);
  CHECK(p->sections[2].size == 40816);
  CHECK(*p->sections[2].decoded_size == 52232);
  REQUIRE(p->triples.size() == 73);
  CHECK(p->triples.front().mix == 10926);
  CHECK(p->triples.front().copy == 0);
  CHECK(p->triples.front().seek == 80);
  CHECK(p->triples.back().mix == 918469);
  CHECK(p->triples.back().copy == 52121);
  CHECK(p->triples.back().seek == 34432);
  // Invariants: Σmix = decoded diff, Σcopy = decoded extra, Σ(mix+copy) = patched size.
  CHECK(p->mix_total == 4781368);
  CHECK(p->copy_total == 52232);
  CHECK(p->mix_total + p->copy_total == h.patched_size);
  CHECK(p->touched_known);
  CHECK(p->touched_bytes >= 52232);  // every copy byte is new
  CHECK(p->touched_bytes < h.patched_size);

  auto r = run_upscope({"patch", "info", "--json", path.string()});
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("\"triple_count\": 73") != std::string::npos);
  CHECK(r.out.find("\"schema\": \"upscope/patch/1\"") != std::string::npos);
  // Without the old file, apply must refuse on the input SHA-1 (the patch itself as OLD).
  auto dir = scratch_dir("bx-real");
  auto a = run_upscope({"patch", "apply", path.string(), path.string(), "-o", (dir / "new").string()});
  CHECK(a.exit_code == 2);
  CHECK(a.err.find(path.string() + ": input check: SHA-1 is " + sha1_hex(read_bytes(path))) != std::string::npos);
  CHECK(a.err.find("but the patch expects 67ea5bc2c3fef7bd1bf1920354fd33a62109f538") != std::string::npos);
  CHECK(!fs::exists(dir / "new"));
}

TEST_CASE("apply round trip: greedy writer, pbzx and xz sections, BSDIFF40 twin checked by bspatch", "[bxdiff50]") {
  auto dir = scratch_dir("bx-apply");
  // old/new: shared blocks, a move, inserted bytes and scattered edits.
  REQUIRE(run_shell("cd " + shell_quote(dir.string()) + " && python3 -c \"import random\n"
                    "r=random.Random(5)\nold=bytearray(r.randbytes(300000))\n"
                    "new=bytearray(old[:50000])+r.randbytes(3000)+old[60000:250000]+old[10000:20000]\n"
                    "for i in range(0,len(new),997): new[i]=(new[i]+1)&255\n"
                    "open('old','wb').write(old); open('new','wb').write(bytes(new))\"").exit_code == 0);
  for (std::string fmt_opt : {"--section-format pbzx --block-size 8192", "--section-format xz"}) {
    INFO(fmt_opt);
    REQUIRE(run_shell("cd " + shell_quote(dir.string()) + " && python3 " + test::writer_script("make_bxdiff50.py") +
                      " diff old new -o p50 --bsdiff40 p40 " + fmt_opt).exit_code == 0);
    auto patch = FileSource::open((dir / "p50").string());
    auto old = FileSource::open((dir / "old").string());
    REQUIRE(patch);
    REQUIRE(old);
    ThreadPool pool(2);
    bxdiff50::ApplyOptions ao;
    ao.pool = &pool;
    auto rep = bxdiff50::apply(**patch, **old, (dir / "out").string(), ao);
    REQUIRE(rep);
    CHECK(read_bytes(dir / "out") == read_bytes(dir / "new"));
    CHECK(rep->output_sha1 == sha1_hex(read_bytes(dir / "new")));
    if (have("bspatch")) {  // the writer's triples/sections, checked by an independent applier
      REQUIRE(run_shell("cd " + shell_quote(dir.string()) + " && bspatch old out40 p40").exit_code == 0);
      CHECK(read_bytes(dir / "out40") == read_bytes(dir / "new"));
    } else {
      WARN("SKIPPED: bspatch not installed (apt-get install bsdiff)");
    }
  }
  // Through the CLI, with -j1 (no pool).
  auto r = run_upscope({"-j", "1", "patch", "apply", (dir / "p50").string(), (dir / "old").string(), "-o",
                        (dir / "cli").string()});
  CHECK(r.exit_code == 0);
  CHECK(read_bytes(dir / "cli") == read_bytes(dir / "new"));
}

TEST_CASE("bsdiff-made patch re-wrapped as BXDIFF50 applies like bspatch", "[bxdiff50]") {
  if (!have("bsdiff") || !have("bspatch")) {
    WARN("SKIPPED: bsdiff/bspatch not installed (apt-get install bsdiff)");
    return;
  }
  auto dir = scratch_dir("bx-bsdiff");
  REQUIRE(run_shell("cd " + shell_quote(dir.string()) + " && python3 -c \"import random\n"
                    "r=random.Random(9)\nold=bytearray(r.randbytes(120000))\n"
                    "new=old[:40000]+b'INSERTED'*100+old[41000:100000]+old[:5000]\n"
                    "new=bytearray(new)\nfor i in range(0,len(new),331): new[i]^=0x5a\n"
                    "open('old','wb').write(old); open('new','wb').write(bytes(new))\" && "
                    "bsdiff old new p40 && bspatch old bs_out p40 && python3 " + test::writer_script("make_bxdiff50.py") +
                    " from-bsdiff40 p40 --old old --new new -o p50 --block-size 16384").exit_code == 0);
  auto r = run_upscope({"patch", "apply", (dir / "p50").string(), (dir / "old").string(), "-o", (dir / "ours").string()});
  CHECK(r.exit_code == 0);
  CHECK(read_bytes(dir / "ours") == read_bytes(dir / "bs_out"));
  CHECK(read_bytes(dir / "ours") == read_bytes(dir / "new"));
}

TEST_CASE("apply: output SHA-1 mismatch is reported and nothing is left behind", "[bxdiff50]") {
  auto dir = scratch_dir("bx-outsha");
  std::vector<uint8_t> old(100, 7);
  write_bytes(dir / "old", old);
  auto p = make_patch({{100, 0, 0}}, 100, 0, 100);
  // input SHA-1 = sha1(old); output SHA-1 left as zeros: must fail after writing.
  auto in_sha = sha1_hex(old);
  for (size_t i = 0; i < 20; ++i) p[68 + i] = uint8_t(std::stoul(in_sha.substr(2 * i, 2), nullptr, 16));
  write_bytes(dir / "p", p);
  auto r = run_upscope({"patch", "apply", (dir / "p").string(), (dir / "old").string(), "-o", (dir / "new").string()});
  CHECK(r.exit_code == 2);
  CHECK(r.err == "upscope: error: " + (dir / "new").string() + ": output check: SHA-1 is " + sha1_hex(old) +
                     ", but the patch expects 0000000000000000000000000000000000000000\n");
  CHECK(!fs::exists(dir / "new"));
  CHECK(!fs::exists(dir / "new.partial"));
  // input SHA-1 mismatch, exact message
  write_bytes(dir / "old2", std::vector<uint8_t>(100, 8));
  r = run_upscope({"patch", "apply", (dir / "p").string(), (dir / "old2").string(), "-o", (dir / "new").string()});
  CHECK(r.exit_code == 2);
  CHECK(r.err == "upscope: error: " + (dir / "old2").string() + ": input check: SHA-1 is " +
                     sha1_hex(std::vector<uint8_t>(100, 8)) + ", but the patch expects " + in_sha + "\n");
}

TEST_CASE("malformed BXDIFF50: one case per rule", "[bxdiff50]") {
  SECTION("truncated header") {
    auto p = make_patch({{1, 0, 0}}, 1, 0, 1);
    p.resize(40);
    auto r = bxdiff50::parse(*mem(p));
    REQUIRE(!r);
    CHECK(r.error().message() == "BXDIFF50 header at 0x0: needs 88 bytes, the file has 40");
  }
  SECTION("section sizes run past the file") {
    auto p = make_patch({{4, 0, 0}}, 4, 0, 4);
    size_t n = p.size();
    p.pop_back();
    auto r = bxdiff50::parse(*mem(p));
    REQUIRE(!r);
    CHECK(r.error().message() ==
          fmt::format("sections at 0x58: header (88) + control (52) + diff (32) + extra (12) = {} bytes, but the file has {}", n, n - 1));
  }
  SECTION("trailing bytes after the sections") {
    auto p = make_patch({{4, 0, 0}}, 4, 0, 4);
    size_t n = p.size();
    p.push_back(0);
    auto r = bxdiff50::parse(*mem(p));
    REQUIRE(r);
    CHECK(diag_texts(r->diagnostics) ==
          std::vector<std::string>{fmt::format("at {:#x}: sections: header (88) + control (52) + diff (32) + extra (12) = {} bytes, "
                                               "but the file has {} (1 trailing bytes)", n, n, n + 1)});
  }
  SECTION("control triples overrun patched_size") {
    auto r = bxdiff50::parse(*mem(make_patch({{4, 0, 0}, {3, 2, 0}}, 7, 2, 8)));
    REQUIRE(r);
    CHECK(diag_texts(r->diagnostics) ==
          std::vector<std::string>{"at 0x58: control triple 1: output range [4, 9) runs past patched_size 8"});
  }
  SECTION("triples produce fewer bytes than patched_size") {
    auto r = bxdiff50::parse(*mem(make_patch({{4, 0, 0}}, 4, 0, 9)));
    REQUIRE(r);
    CHECK(diag_texts(r->diagnostics) == std::vector<std::string>{"at 0x58: control section: triples produce 4 bytes, but patched_size is 9"});
  }
  SECTION("negative mix length") {
    auto r = bxdiff50::parse(*mem(make_patch({{-5, 0, 0}}, 0, 0, 0)));
    REQUIRE(r);
    CHECK(diag_texts(r->diagnostics) == std::vector<std::string>{"at 0x58: control triple 0: negative mix length -5"});
  }
  SECTION("negative copy length") {
    auto r = bxdiff50::parse(*mem(make_patch({{0, -2, 0}}, 0, 0, 0)));
    REQUIRE(r);
    CHECK(diag_texts(r->diagnostics) == std::vector<std::string>{"at 0x58: control triple 0: negative copy length -2"});
  }
  SECTION("decoded diff length differs from the mix total") {
    auto r = bxdiff50::parse(*mem(make_patch({{4, 0, 0}}, 5, 0, 4)));
    REQUIRE(r);
    CHECK(diag_texts(r->diagnostics) == std::vector<std::string>{"at 0x8c: diff section: decodes to 5 bytes, but the mix lengths add up to 4"});
  }
  SECTION("decoded extra length differs from the copy total") {
    auto r = bxdiff50::parse(*mem(make_patch({{0, 3, 0}}, 0, 2, 3)));
    REQUIRE(r);
    CHECK(diag_texts(r->diagnostics) == std::vector<std::string>{"at 0x98: extra section: decodes to 2 bytes, but the copy lengths add up to 3"});
  }
  SECTION("control length not a multiple of 24") {
    auto p = make_patch({}, 0, 0, 0);
    // replace the empty control stream with a stored 5-byte one
    auto bad = make_patch({}, 0, 0, 0);
    std::vector<uint8_t> ctrl = stored_pbzx({1, 2, 3, 4, 5});
    std::vector<uint8_t> q(bad.begin(), bad.begin() + 88);
    put_u64(q, 24, ctrl.size());
    q.insert(q.end(), ctrl.begin(), ctrl.end());
    q.insert(q.end(), bad.begin() + 100, bad.end());
    auto r = bxdiff50::parse(*mem(q));
    REQUIRE(r);
    CHECK(diag_texts(r->diagnostics) == std::vector<std::string>{"at 0x58: control section: decodes to 5 bytes, not a multiple of 24 (5 trailing bytes ignored)"});
  }
  SECTION("seek takes the old-file cursor out of range (old size known)") {
    bxdiff50::ParseOptions po;
    po.old_size = 10;
    auto r = bxdiff50::parse(*mem(make_patch({{4, 0, 20}, {0, 0, 0}}, 4, 0, 4)), po);
    REQUIRE(r);
    CHECK(diag_texts(r->diagnostics) ==
          std::vector<std::string>{"at 0x58: control triple 0: seek 20 moves the old-file cursor to 24, outside the old file (10 bytes)"});
  }
  SECTION("mix run past the old file") {
    bxdiff50::ParseOptions po;
    po.old_size = 3;
    auto r = bxdiff50::parse(*mem(make_patch({{4, 0, 0}}, 4, 0, 4)), po);
    REQUIRE(r);
    CHECK(diag_texts(r->diagnostics) ==
          std::vector<std::string>{"at 0x58: control triple 0: mix run reads old-file range [0, 4), past the old size 3"});
  }
  SECTION("mix run at a negative old offset") {
    auto r = bxdiff50::parse(*mem(make_patch({{0, 0, -3}, {2, 0, 0}}, 2, 0, 2)));
    REQUIRE(r);
    CHECK(diag_texts(r->diagnostics) == std::vector<std::string>{"at 0x58: control triple 1: mix run reads the old file at negative offset -3"});
  }
  SECTION("section is not pbzx or xz") {
    auto p = make_patch({{4, 0, 0}}, 4, 0, 4);
    std::memcpy(p.data() + 88, "junk", 4);
    auto r = bxdiff50::parse(*mem(p));
    REQUIRE(r);
    CHECK(diag_texts(r->diagnostics) == std::vector<std::string>{"at 0x58: control section: section: starts with junk\\x00\\x00, not a pbz* or xz stream"});
  }
  SECTION("pbzx chunk stored size above raw size") {
    auto p = make_patch({{4, 0, 0}}, 4, 0, 4);
    p[88 + 12 + 7] = 10;  // control chunk: raw 24 -> 10, stored stays 24
    auto r = bxdiff50::parse(*mem(p));
    REQUIRE(r);
    CHECK(diag_texts(r->diagnostics) == std::vector<std::string>{"at 0x64: control section: pbzx chunk 0: stored size 24 is larger than raw size 10"});
  }
  SECTION("apply refuses a patch with errors") {
    auto dir = scratch_dir("bx-refuse");
    write_bytes(dir / "p", make_patch({{-5, 0, 0}}, 0, 0, 0));
    write_bytes(dir / "old", {});
    auto r = run_upscope({"patch", "apply", "--no-input-check", (dir / "p").string(), (dir / "old").string(), "-o",
                          (dir / "n").string()});
    CHECK(r.exit_code == 2);
    CHECK(r.err == "upscope: error: " + (dir / "p").string() + ": patch: not applied: at 0x58: control triple 0: negative mix length -5\n");
  }
}

TEST_CASE("BXDIFF40/41 headers", "[bxdiff50]") {
  std::vector<uint8_t> p(32 + 20, 0);
  std::memcpy(p.data(), "BXDIFF41", 8);
  put_u64(p, 8, 0);
  put_u64(p, 16, 0);
  put_u64(p, 24, 77);
  p[32] = 0xab;
  auto r = bxdiff50::parse(*mem(p));
  REQUIRE(r);
  CHECK(r->header.magic == "BXDIFF41");
  CHECK(r->header.header_size == 52);
  CHECK(r->header.patched_size == 77);
  CHECK(to_hex(*r->header.input_sha1).substr(0, 2) == "ab");
  CHECK(!r->header.output_sha1);
  CHECK(r->sections.size() == 3);
  std::vector<uint8_t> t(20, 0);
  std::memcpy(t.data(), "BXDIFF40", 8);
  auto r2 = bxdiff50::parse(*mem(t));
  REQUIRE(!r2);
  CHECK(r2.error().message() == "BXDIFF40 header at 0x0: needs 32 bytes, the file has 20");
}
