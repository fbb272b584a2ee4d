// Replays the fuzz regression corpus (every crash, hang or leak a fuzzer found, kept as a file) and
// every real sample, whole and truncated, through every fuzz target. Under the ASan+UBSan build
// this is the standing guarantee that fixed findings stay fixed.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "fuzz_targets.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace upscope;

TEST_CASE("every fuzz target has a libFuzzer executable", "[fuzz]") {
  std::string cmake = test::read_file(test::source_dir() / "tests/fuzz/CMakeLists.txt");
  for (const auto& t : fuzz::targets()) {
    INFO("target " << t.name);
    CHECK(cmake.find(std::string(" ") + t.name) != std::string::npos);
  }
}

TEST_CASE("the fuzz regression corpus replays cleanly", "[fuzz]") {
  const fs::path root = test::source_dir() / "tests/fuzz/regressions";
  size_t replayed = 0;
  for (const auto& t : fuzz::targets()) {
    const fs::path dir = root / t.name;
    if (!fs::is_directory(dir)) continue;
    for (const auto& e : fs::directory_iterator(dir)) {
      if (!e.is_regular_file()) continue;
      INFO("target " << t.name << " input " << e.path().filename().string());
      auto bytes = test::read_bytes(e.path());
      t.run(Bytes(bytes));
      ++replayed;
    }
  }
  // Inputs whose target is not (or no longer) known would silently stop being replayed.
  if (fs::is_directory(root)) {
    for (const auto& e : fs::directory_iterator(root)) {
      INFO("regression directory " << e.path().filename().string());
      CHECK(fuzz::find_target(e.path().filename().string()) != nullptr);
    }
  }
  SUCCEED("replayed " << replayed << " regression inputs");
}

TEST_CASE("every real sample, whole and truncated, through every fuzz target", "[fuzz][samples]") {
  auto dir = test::samples_dir();
  if (!dir) {
    WARN("SKIPPED: UPSCOPE_SAMPLES is not set; samples are not replayed through the fuzz targets");
    return;
  }
  for (const auto& e : fs::recursive_directory_iterator(*dir)) {
    if (!e.is_regular_file()) continue;
    auto bytes = test::read_bytes(e.path());
    for (size_t cut : {bytes.size(), bytes.size() / 2, size_t{4096}, size_t{513}, size_t{17}}) {
      if (cut > bytes.size()) continue;
      for (const auto& t : fuzz::targets()) {
        INFO("sample " << e.path().filename().string() << " cut at " << cut << " target " << t.name);
        t.run(Bytes(bytes.data(), cut));
      }
    }
  }
}
