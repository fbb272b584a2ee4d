// The PostgreSQL server the catalogue tests run against: the one ctest's fixture started for the
// whole run (UPSCOPE_TEST_PGDIR, tests/CMakeLists.txt), or, when the tests are run by hand, one this
// process starts (tests/pg/pg_server.sh) and stops when it exits. No server is a visible SKIP.
#pragma once

#include <unistd.h>

#include <atomic>
#include <mutex>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "test_support.hpp"

namespace upscope::test {

struct PgServer {
  std::string dir;   // the socket directory
  std::string skip;  // why there is no server
  bool own = false;  // started by this process
  PgServer(const PgServer&) = delete;
  PgServer() = default;
  ~PgServer() {
    if (own) run_shell(shell_quote((source_dir() / "tests/pg/pg_server.sh").string()) + " stop " + shell_quote(dir));
  }
};

inline const PgServer& pg_server() {
  static PgServer s;
  static std::once_flag once;
  std::call_once(once, [] {
    namespace fs = std::filesystem;
    const char* env = std::getenv("UPSCOPE_TEST_PGDIR");
    std::string dir = env && *env ? env : "/tmp/upscope-test-pg-" + std::to_string(::getpid());
    if (!(env && *env)) {
      auto r = run_shell(shell_quote((source_dir() / "tests/pg/pg_server.sh").string()) + " start " +
                         shell_quote(dir) + " 2>&1");
      if (r.exit_code != 0) {
        s.skip = "the test PostgreSQL server did not start: " + r.out;
        return;
      }
      s.own = !fs::exists(fs::path(dir) / "SKIPPED");
    }
    if (fs::exists(fs::path(dir) / "SKIPPED")) {
      s.skip = read_file(fs::path(dir) / "SKIPPED");
      while (!s.skip.empty() && s.skip.back() == '\n') s.skip.pop_back();
    } else if (!fs::exists(fs::path(dir) / ".s.PGSQL.5432")) {
      s.skip = "no PostgreSQL server listening in " + dir;
    }
    s.dir = dir;
  });
  return s;
}

// True when the server is up; otherwise a visible "SKIPPED: reason" and false.
inline bool pg_available() {
  const PgServer& s = pg_server();
  if (s.skip.empty()) return true;
  WARN("SKIPPED: " << s.skip);
  return false;
}

inline std::string pg_uri(const std::string& database) {
  return "postgresql:///" + database + "?host=" + pg_server().dir;
}

// psql on `database` (-X: no ~/.psqlrc; -At: bare values, one row a line), stdout and stderr together.
inline RunResult psql(const std::string& database, const std::string& sql) {
  return run_shell("psql -X -q -At -v ON_ERROR_STOP=1 " + shell_quote(pg_uri(database)) + " -c " + shell_quote(sql) +
                   " 2>&1");
}

// A new empty database for one test; its name is unique in the run.
inline std::string pg_new_database(const std::string& name) {
  static std::atomic<int> counter{0};
  std::string db = name + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
  for (char& c : db)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) c = '_';
  auto r = psql("postgres", "CREATE DATABASE " + db);
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  return db;
}

}  // namespace upscope::test
