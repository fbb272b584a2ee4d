// The upscope binary as a user runs it: exit codes, --help, --version, JSON documents, -o.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "test_support.hpp"

using namespace upscope::test;
namespace fs = std::filesystem;

TEST_CASE("version and help flags", "[cli]") {
  auto v = run_upscope({"--version"});
  CHECK(v.exit_code == 0);
  CHECK(v.out.rfind("upscope ", 0) == 0);
  auto h = run_upscope({"--help"});
  CHECK(h.exit_code == 0);
  CHECK(h.out.find("identify") != std::string::npos);
  CHECK(h.out.find("Exit codes") != std::string::npos);
  for (const char* sub : {"identify", "inspect"}) {
    auto s = run_upscope({sub, "--help"});
    INFO(sub);
    CHECK(s.exit_code == 0);
    CHECK(s.out.find("Usage") != std::string::npos);
  }
  CHECK(run_upscope({}).exit_code == 2);
  CHECK(run_upscope({"no-such-command"}).exit_code == 2);
  CHECK(run_upscope({"--format", "yaml", "identify", "x"}).exit_code == 2);
}

TEST_CASE("identify on bad input: empty, directory, missing, random, truncated", "[cli][identify]") {
  auto dir = scratch_dir("cli-identify");
  write_bytes(dir / "empty", {});
  write_bytes(dir / "truncated.macho", {0xCF, 0xFA, 0xED, 0xFE, 0x0C});
  std::vector<uint8_t> noise(4096);
  for (size_t i = 0; i < noise.size(); ++i) noise[i] = static_cast<uint8_t>((i * 2654435761u) >> 13);
  write_bytes(dir / "random", noise);

  auto empty = run_upscope({"identify", (dir / "empty").string()});
  CHECK(empty.exit_code == 0);
  CHECK(empty.out == (dir / "empty").string() + ": unknown: unknown (empty file)\n");

  auto d = run_upscope({"identify", dir.string()});
  CHECK(d.exit_code == 2);
  CHECK(d.err == "upscope: error: " + dir.string() + ": is a directory, not a file\n");

  auto missing = run_upscope({"identify", (dir / "missing").string()});
  CHECK(missing.exit_code == 2);
  CHECK(missing.err.find("cannot open: No such file or directory") != std::string::npos);

  auto random = run_upscope({"identify", (dir / "random").string()});
  CHECK(random.exit_code == 0);
  CHECK(random.out.find(": unknown: unknown (no known signature)") != std::string::npos);

  auto t = run_upscope({"identify", (dir / "truncated.macho").string()});
  CHECK(t.exit_code == 0);
  CHECK(t.out.find(": macho: Mach-O header truncated") != std::string::npos);
  CHECK(t.err.find("warning: the file ends at 5 bytes, inside the Mach-O header") != std::string::npos);
  CHECK(run_upscope({"--strict", "identify", (dir / "truncated.macho").string()}).exit_code == 2);

  // One unreadable input among readable ones: the others are still reported, exit 2.
  auto mixed = run_upscope({"identify", (dir / "empty").string(), dir.string()});
  CHECK(mixed.exit_code == 2);
  CHECK(mixed.out.find("unknown (empty file)") != std::string::npos);
}

TEST_CASE("identify --json documents carry schema and version", "[cli][identify][json]") {
  auto dir = scratch_dir("cli-json");
  write_bytes(dir / "x.pbzx", {'p', 'b', 'z', 'x', 0, 0, 0, 0, 0, 0x10, 0, 0});
  auto r = run_upscope({"identify", "--json", (dir / "x.pbzx").string(), (dir / "nope").string()});
  CHECK(r.exit_code == 2);
  auto doc = nlohmann::json::parse(r.out);
  CHECK(doc["schema"] == "upscope/identify/1");
  CHECK(doc["tool"]["name"] == "upscope");
  REQUIRE(doc["inputs"].size() == 2);
  CHECK(doc["inputs"][0]["format"] == "pbzx");
  CHECK(doc["inputs"][0]["details"]["block_size"] == 0x100000);
  CHECK(doc["inputs"][0]["size"] == 12);
  CHECK(doc["inputs"][1]["error"]["code"] == "io");

  // Global options may also follow the subcommand; -o writes the file and nothing on stdout.
  auto out = dir / "out.json";
  auto o = run_upscope({"identify", (dir / "x.pbzx").string(), "--format", "json", "-o", out.string()});
  CHECK(o.exit_code == 0);
  CHECK(o.out.empty());
  CHECK(nlohmann::json::parse(read_file(out))["inputs"][0]["format"] == "pbzx");

  auto bad_out = run_upscope({"identify", (dir / "x.pbzx").string(), "-o", (dir / "no/such/dir/f").string()});
  CHECK(bad_out.exit_code == 2);
  CHECK(bad_out.err.find("cannot open for writing") != std::string::npos);

  auto list = run_upscope({"identify", "--list-formats", "--json"});
  CHECK(list.exit_code == 0);
  CHECK(nlohmann::json::parse(list.out)["schema"] == "upscope/formats/1");
}

TEST_CASE("inspect: unreadable and unrecognised inputs are errors", "[cli][inspect]") {
  auto dir = scratch_dir("cli-inspect");
  write_bytes(dir / "noise", {1, 2, 3, 4, 5});
  auto r = run_upscope({"inspect", "--json", (dir / "noise").string(), dir.string()});
  CHECK(r.exit_code == 2);
  auto doc = nlohmann::json::parse(r.out);
  CHECK(doc["schema"] == "upscope/inspect/1");
  REQUIRE(doc["inputs"].size() == 2);
  CHECK(doc["inputs"][0]["error"]["code"] == "unsupported");
  CHECK(doc["inputs"][0]["error"]["rule"] == "not a format upscope recognises (see 'upscope identify --list-formats')");
  CHECK(doc["inputs"][1]["error"]["rule"] == "is a directory, not a file");
  auto t = run_upscope({"inspect", (dir / "noise").string()});
  CHECK(t.exit_code == 2);
  CHECK(t.err.find("not a format upscope recognises") != std::string::npos);
}
