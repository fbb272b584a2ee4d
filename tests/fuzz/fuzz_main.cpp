// libFuzzer driver for one target; UPSCOPE_FUZZ_TARGET names it (set by CMake per executable).
#include <cstdio>
#include <cstdlib>

#include "fuzz_targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const upscope::fuzz::Target* target = [] {
    auto* t = upscope::fuzz::find_target(UPSCOPE_FUZZ_TARGET);
    if (!t) {
      std::fprintf(stderr, "no fuzz target named %s\n", UPSCOPE_FUZZ_TARGET);
      std::abort();
    }
    return t;
  }();
  target->run(upscope::Bytes(data, size));
  return 0;
}
