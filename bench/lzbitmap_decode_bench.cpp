// lzbitmap_decode_bench IN [RUNS]: decodes a ZBM stream with upscope's lzbitmap_decode RUNS times
// (default 9) into a buffer sized from the chunk headers, and prints the median decode speed in MB of
// output per second, by wall clock and by process CPU time (the one to trust on a shared machine),
// plus the output's SHA-256 so a run can be checked. Built by bench/bench_lzbitmap.sh.
#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "compress/codec.hpp"
#include "compress/lzbitmap.hpp"
#include "inspect/hash.hpp"

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: %s IN [RUNS]\n", argv[0]);
    return 2;
  }
  const int runs = argc == 3 ? std::max(1, std::atoi(argv[2])) : 9;
  std::FILE* f = std::fopen(argv[1], "rb");
  if (!f) return std::perror(argv[1]), 2;
  std::vector<uint8_t> in;
  uint8_t buf[1 << 16];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) in.insert(in.end(), buf, buf + n);
  std::fclose(f);

  auto layout = upscope::compress::lzbitmap_layout(upscope::ByteReader(in));
  if (!layout) return std::fprintf(stderr, "%s\n", layout.error().message().c_str()), 1;
  std::vector<uint8_t> out(layout->decoded_size);
  std::vector<double> wall, cpu;
  for (int i = 0; i < runs; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    const std::clock_t c0 = std::clock();
    auto n = upscope::compress::lzbitmap_decode(upscope::Bytes(in), std::span<uint8_t>(out));
    const double c = double(std::clock() - c0) / CLOCKS_PER_SEC;
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!n) return std::fprintf(stderr, "%s\n", n.error().message().c_str()), 1;
    wall.push_back(double(*n) / s / 1e6);
    cpu.push_back(double(*n) / std::max(c, 1e-6) / 1e6);
  }
  std::sort(wall.begin(), wall.end());
  std::sort(cpu.begin(), cpu.end());
  std::printf("%s: %zu -> %zu bytes, %zu chunks, median %.1f MB/s wall, %.1f MB/s CPU (%d runs), sha256 %s\n", argv[1],
              in.size(), out.size(), layout->chunks.size(), wall[wall.size() / 2], cpu[cpu.size() / 2], runs,
              upscope::sha256_hex(upscope::Bytes(out)).c_str());
  return 0;
}
