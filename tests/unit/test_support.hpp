// Helpers shared by the unit tests: where the real samples are, running the CLI, reading files.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "inspect/diagnostics.hpp"
#include "inspect/source.hpp"

namespace upscope::test {

// ../shared/samples through UPSCOPE_SAMPLES, or nullopt (the caller skips visibly).
inline std::optional<std::filesystem::path> samples_dir() {
  const char* env = std::getenv("UPSCOPE_SAMPLES");
  if (!env || !*env) return std::nullopt;
  std::filesystem::path p(env);
  if (!std::filesystem::is_directory(p)) return std::nullopt;
  return p;
}

// A sample file path, or nullopt with a visible warning when samples are not available.
inline std::optional<std::filesystem::path> sample(const std::string& rel) {
  auto dir = samples_dir();
  if (!dir) {
    WARN("SKIPPED: UPSCOPE_SAMPLES is not set (or not a directory); test needs sample " << rel);
    return std::nullopt;
  }
  auto p = *dir / rel;
  if (!std::filesystem::exists(p)) {
    WARN("SKIPPED: sample " << p.string() << " is missing");
    return std::nullopt;
  }
  return p;
}

// Use at the top of a test: returns from it (with a visible message) when the sample is absent.
#define UPSCOPE_REQUIRE_SAMPLE(var, rel)          \
  auto var##_opt = ::upscope::test::sample(rel);  \
  if (!var##_opt) return;                         \
  const std::filesystem::path var = *var##_opt

inline std::filesystem::path source_dir() { return UPSCOPE_SOURCE_DIR; }
inline std::string upscope_binary() { return UPSCOPE_BINARY; }

// A fresh scratch directory in the temp dir, per process (ctest runs test cases in parallel
// processes, and two checkouts may run their suites at once).
// The scratch directories this process made, removed when it exits (set UPSCOPE_KEEP_SCRATCH=1 to
// keep them for a look after a failure).
struct ScratchDirs {
  std::mutex mu;
  std::vector<std::filesystem::path> dirs;
  ~ScratchDirs() {
    if (std::getenv("UPSCOPE_KEEP_SCRATCH")) return;
    std::error_code ec;
    for (const auto& d : dirs) std::filesystem::remove_all(d, ec);
  }
};
inline ScratchDirs& scratch_dirs() {
  static ScratchDirs dirs;
  return dirs;
}

inline std::filesystem::path scratch_dir(const std::string& name) {
  auto p = std::filesystem::temp_directory_path() / ("upscope-test-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(p);
  std::filesystem::create_directories(p);
  {
    auto& s = scratch_dirs();
    std::lock_guard<std::mutex> lk(s.mu);
    s.dirs.push_back(p);
  }
  return p;
}

struct RunResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs the upscope binary with args (each shell-quoted here) and captures stdout and stderr.
RunResult run_upscope(const std::vector<std::string>& args);
// Runs any shell command; exit code and stdout.
RunResult run_shell(const std::string& command);
// Runs one of our writers, samples/gen/SCRIPT, with python3 and the (already shell-quoted) `args`;
// its stdout and stderr together in `out`.
RunResult run_writer(const std::string& script, const std::string& args);
// samples/gen/SCRIPT as a shell-quoted path, for commands that run a writer with more than its arguments.
std::string writer_script(const std::string& script);
std::string read_file(const std::filesystem::path& p);
std::vector<uint8_t> read_bytes(const std::filesystem::path& p);
void write_bytes(const std::filesystem::path& p, const std::vector<uint8_t>& data);
std::string shell_quote(const std::string& s);
// `npm pack PACKAGE` unpacked into a scratch directory; the path of `rel` inside the package, or
// nullopt after a visible "SKIPPED" warning when npm or the network is unavailable.
std::optional<std::filesystem::path> npm_package_file(const std::string& package, const std::string& rel);

// A source that passes reads through and writes down every release() it is asked for, so a test
// sees which spans a reader gave back (safe to call from several threads).
class ReleaseLog final : public Source {
 public:
  explicit ReleaseLog(SourcePtr file) : file_(std::move(file)) {}
  uint64_t size() const override { return file_->size(); }
  std::string name() const override { return file_->name(); }
  Status read_at(uint64_t off, std::span<uint8_t> out) const override { return file_->read_at(off, out); }
  void release(uint64_t off, uint64_t n) const override {
    std::lock_guard lock(mu_);
    calls.emplace_back(off, n);
  }
  mutable std::vector<std::pair<uint64_t, uint64_t>> calls;

 private:
  SourcePtr file_;
  mutable std::mutex mu_;
};

// Every diagnostic's text(), in order; and the same joined one per line (for INFO and find()).
std::vector<std::string> texts(const Diagnostics& d);
std::string joined(const Diagnostics& d);

}  // namespace upscope::test
