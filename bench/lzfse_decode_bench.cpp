// lzfse_decode_bench IN OUT [-v]: decodes an LZFSE stream with upscope's lzfse_decode the way the
// reference `lzfse -decode` does (read the whole input, decode into a buffer of 4x the input size,
// doubling it while the output does not fit, write the result), so hyperfine compares like work.
// Built by bench/bench_lzfse.sh against a build tree's static libraries.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <memory>

#include "compress/codec.hpp"
#include "compress/codec_internal.hpp"

int main(int argc, char** argv) {
  const bool verbose = argc == 4 && std::string(argv[3]) == "-v";
  if (argc != 3 && !verbose) {
    std::fprintf(stderr, "usage: %s IN OUT [-v]\n", argv[0]);
    return 2;
  }
  std::FILE* f = std::fopen(argv[1], "rb");
  if (!f) return std::perror(argv[1]), 2;
  std::fseek(f, 0, SEEK_END);
  const size_t in_size = size_t(std::ftell(f));
  std::fseek(f, 0, SEEK_SET);
  std::unique_ptr<uint8_t[]> in(new uint8_t[in_size + 1]);
  if (std::fread(in.get(), 1, in_size, f) != in_size) return std::perror(argv[1]), 2;
  std::fclose(f);

  const auto t0 = std::chrono::steady_clock::now();
  size_t cap = in_size * 4 + 4096;
  // malloc/realloc like the reference: a grown buffer keeps the pages already touched.
  uint8_t* out = static_cast<uint8_t*>(std::malloc(cap));
  size_t out_size = 0;
  for (;;) {
    if (!out) return std::perror("malloc"), 2;
    auto n = upscope::compress::lzfse_decode(upscope::Bytes(in.get(), in_size), std::span<uint8_t>(out, cap));
    if (n) {
      out_size = *n;
      break;
    }
    if (!upscope::compress::detail::is_output_full(n.error())) {
      std::fprintf(stderr, "%s\n", n.error().message().c_str());
      return 1;
    }
    cap *= 2;
    uint8_t* grown = static_cast<uint8_t*>(std::realloc(out, cap));
    if (!grown) std::free(out);
    out = grown;
  }
  // -v: the decode loop's speed, measured like the reference CLI's -v (retries included).
  if (verbose) {
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::fprintf(stderr, "Speed: %.2f MB/s\n", double(out_size) / s / 1e6);
  }
  std::FILE* o = std::fopen(argv[2], "wb");
  if (!o) return std::perror(argv[2]), 2;
  std::fwrite(out, 1, out_size, o);
  std::fclose(o);
  std::free(out);
  return 0;
}
