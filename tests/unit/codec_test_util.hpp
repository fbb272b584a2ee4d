// Shared by test_codecs.cpp and test_pbzx.cpp: runs a command-line compressor (an independent
// encoder or decoder) over bytes through scratch files.
#pragma once

#include <unistd.h>

#include <string>
#include <vector>

#include "test_support.hpp"

namespace upscope::test {

// `command` reads stdin and writes stdout (e.g. "xz -c -6"). Empty result + FAIL when it fails.
inline std::vector<uint8_t> pipe_through(const std::string& command, const std::vector<uint8_t>& input,
                                         const std::string& tag = "codec") {
  // Per process and per call: ctest runs test cases in parallel processes.
  static int counter = 0;
  auto dir = std::filesystem::temp_directory_path() /
             ("upscope-test-pipe-" + tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  std::filesystem::create_directories(dir);
  auto in = dir / "in", out = dir / "out";
  write_bytes(in, input);
  auto r = run_shell(command + " < " + shell_quote(in.string()) + " > " + shell_quote(out.string()));
  if (r.exit_code != 0) {
    FAIL("command failed: " << command);
    return {};
  }
  auto bytes = read_bytes(out);
  std::filesystem::remove_all(dir);
  return bytes;
}

inline bool have_tool(const std::string& name) {
  return run_shell("command -v " + name + " >/dev/null 2>&1").exit_code == 0;
}

// Deterministic, moderately compressible test data.
inline std::vector<uint8_t> sample_text(size_t n, uint32_t seed = 1) {
  std::vector<uint8_t> v(n);
  uint32_t x = seed;
  for (size_t i = 0; i < n; ++i) {
    x = x * 1103515245u + 12345u;
    // Mostly a few letters, sometimes a newline: compresses several-fold but not to nothing.
    uint32_t r = (x >> 16) % 20;
    v[i] = r == 0 ? '\n' : static_cast<uint8_t>('a' + r % 7);
  }
  return v;
}

inline std::vector<uint8_t> byte_vector(const std::string& s) { return std::vector<uint8_t>(s.begin(), s.end()); }

}  // namespace upscope::test
