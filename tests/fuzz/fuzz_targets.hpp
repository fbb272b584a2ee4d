// Fuzz entry points: one per parser entry point. The same functions run under libFuzzer
// (UPSCOPE_FUZZ=ON, see run_fuzzers.sh) and in the normal test suite, which replays the regression
// corpus (tests/fuzz/regressions/<target>/) and every real sample through every target.
#pragma once

#include <string_view>
#include <vector>

#include "inspect/byte_reader.hpp"

namespace upscope::fuzz {

struct Target {
  const char* name;
  void (*run)(Bytes data);  // must never crash, hang, leak or allocate without bound
};

const std::vector<Target>& targets();
const Target* find_target(std::string_view name);

}  // namespace upscope::fuzz
