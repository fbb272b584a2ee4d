// The upscope binary as a user runs it: exit codes, --help, --version, JSON documents, -o.
#include <catch2/catch.hpp>

#include <cctype>
#include <sstream>

#include <fmt/format.h>
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

// One rule for every file a command writes: an existing -o FILE is refused before any work starts
// and replaced only with --overwrite; the input itself never; files written into -o DIR alike.
TEST_CASE("written files: an existing one is replaced only with --overwrite, the input never", "[cli]") {
  auto dir = scratch_dir("cli-overwrite");
  const fs::path in = dir / "disk.raw", out = dir / "copy.raw", report = dir / "identify.txt";
  write_bytes(in, std::vector<uint8_t>(4096, 0x5a));
  write_bytes(out, {'o', 'l', 'd'});
  const std::string refused = "upscope: error: " + out.string() + ": the file exists; add --overwrite to replace it\n";
  auto r = run_upscope({"-o", out.string(), "extract", "--raw", in.string()});
  CHECK(r.exit_code == 2);
  CHECK(r.err == refused);
  CHECK(read_file(out) == "old");
  // The flag may follow the subcommand, as every global option.
  r = run_upscope({"-o", out.string(), "extract", "--raw", in.string(), "--overwrite"});
  CHECK(r.exit_code == 0);
  CHECK(read_bytes(out) == read_bytes(in));
  // Reports to -o follow the same rule.
  write_bytes(report, {'x'});
  r = run_upscope({"-o", report.string(), "identify", in.string()});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find(report.string() + ": the file exists; add --overwrite") != std::string::npos);
  CHECK(read_file(report) == "x");
  r = run_upscope({"--overwrite", "-o", report.string(), "identify", in.string()});
  CHECK(r.exit_code == 0);
  CHECK(read_file(report).find("disk.raw") != std::string::npos);
  // The input is never written over, --overwrite or not.
  for (const char* cmd : {"extract", "decompress"}) {
    INFO(cmd);
    r = run_upscope({"--overwrite", "-o", in.string(), cmd, in.string()});
    CHECK(r.exit_code == 2);
    CHECK(r.err == fmt::format("upscope {}: the output is the input file: refusing to overwrite it\n", cmd));
    CHECK(read_bytes(in) == std::vector<uint8_t>(4096, 0x5a));
  }
}

TEST_CASE("written files: extract IMAGE:/path into a directory refuses existing files unless --overwrite", "[cli]") {
  UPSCOPE_REQUIRE_SAMPLE(p, "jb_test.dmg");
  auto dir = scratch_dir("cli-overwrite-dir");
  const fs::path files = dir / "files";
  fs::create_directories(files);
  write_bytes(files / "hello.txt", {'o', 'l', 'd'});
  auto r = run_upscope({"-o", files.string(), "extract", p.string() + ":/"});  // a directory is written into
  CHECK(r.exit_code == 2);
  CHECK(r.err.find((files / "hello.txt").string() + ": exists; not overwritten") != std::string::npos);
  CHECK(read_file(files / "hello.txt") == "old");
  CHECK(fs::file_size(files / ".DS_Store") == 6148);  // the rest is extracted
  // A symlink in the way is replaced, never written through.
  fs::remove(files / "hello.txt");
  fs::create_symlink(dir / "elsewhere.txt", files / "hello.txt");
  r = run_upscope({"-o", files.string(), "--overwrite", "extract", p.string() + ":/hello.txt"});
  CHECK(r.exit_code == 0);
  CHECK(!fs::is_symlink(files / "hello.txt"));
  CHECK(read_file(files / "hello.txt") == "Hello world\n");
  CHECK(!fs::exists(dir / "elsewhere.txt"));
}

// The man page cannot fall behind the binary: every command and global option `upscope --help`
// lists, every exit status, and every JSON document with a schema has its place in docs/upscope.1.
TEST_CASE("man page: every command, global option, exit status and JSON document", "[cli]") {
  const std::string man = read_file(fs::path(UPSCOPE_SOURCE_DIR) / "docs" / "upscope.1");
  auto unescape = [](std::string s) {
    for (size_t p; (p = s.find("\\-")) != std::string::npos;) s.erase(p, 1);
    return s;
  };
  const std::string text = unescape(man);
  auto help = run_upscope({"--help"});
  REQUIRE(help.exit_code == 0);
  std::istringstream lines(help.out);
  std::string line;
  bool in_commands = false;
  size_t commands = 0, options = 0;
  while (std::getline(lines, line)) {
    if (line.rfind("Subcommands:", 0) == 0) {
      in_commands = true;
      continue;
    }
    if (in_commands && line.rfind("  ", 0) == 0 && line.size() > 2 && line[2] != ' ') {
      const std::string name = line.substr(2, line.find(' ', 2) - 2);
      INFO("command " << name);
      CHECK(man.find("\n.SS " + name + "\n") != std::string::npos);
      ++commands;
    } else if (!in_commands) {
      for (size_t p = 0; (p = line.find("--", p)) != std::string::npos;) {
        size_t e = p + 2;
        while (e < line.size() && (std::isalnum(static_cast<unsigned char>(line[e])) || line[e] == '-')) ++e;
        const std::string opt = line.substr(p, e - p);
        if (opt != "--help" && opt != "--version" && (p == 0 || line[p - 1] == ' ' || line[p - 1] == ',')) {
          INFO("option " << opt);
          CHECK(text.find(opt) != std::string::npos);
          ++options;
        }
        p = e;
      }
    }
  }
  CHECK(commands >= 17);
  CHECK(options >= 14);
  for (const char* code : {"\n.B 0\n", "\n.B 1\n", "\n.B 2\n", "\n.B 3\n"}) CHECK(man.find(code) != std::string::npos);
  size_t schemas = 0;
  for (const auto& e : fs::directory_iterator(fs::path(UPSCOPE_SOURCE_DIR) / "reports" / "schemas")) {
    std::string name = e.path().filename().string();
    name = name.substr(0, name.find(".schema.json"));
    INFO("schema " << name);
    CHECK(text.find("upscope/" + name + "/1") != std::string::npos);
    ++schemas;
  }
  CHECK(schemas >= 29);
}
