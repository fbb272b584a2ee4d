// lzfse_inproc_bench [-r RUNS] FILE...: the decode loop alone, upscope's lzfse_decode against the
// reference's lzfse_decode_buffer, in one process on the same bytes. Each file is read once, both
// decoders must produce the same output, then the two alternate RUNS times (so a change of load on
// the machine hits both alike) into one output buffer that is already faulted in. Prints, per
// file, its blocks by kind and one Markdown row: median MB/s of output per decoder by thread CPU
// time and by wall time, and the ratio ours/reference (above 1: upscope faster).
// Bench-only: bench/bench_lzfse.sh compiles it against the build tree and the reference's
// liblzfse.a (a peer built from LZFSE_SRC, never vendored).
// -only ours|ref: decode each file RUNS times with one decoder and print nothing else, for
// `valgrind --tool=callgrind` (instruction counts do not depend on the load of the machine).
// -roundtrip: reads NUL-separated paths from stdin; each file is encoded whole by the reference's
// lzfse_encode_buffer (bvxn under 4 KiB, bvx2 above, bvx- when nothing is gained) and decoded by
// upscope, which must give back the file's bytes. Prints the count of files and blocks by kind.
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "compress/codec.hpp"
#include "compress/lzfse_blocks.hpp"

extern "C" {
// The reference library's public API (lzfse.h).
size_t lzfse_decode_scratch_size(void);
size_t lzfse_decode_buffer(uint8_t* dst, size_t dst_size, const uint8_t* src, size_t src_size, void* scratch);
size_t lzfse_encode_scratch_size(void);
size_t lzfse_encode_buffer(uint8_t* dst, size_t dst_size, const uint8_t* src, size_t src_size, void* scratch);
}

namespace {

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

double wall_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::vector<uint8_t> read_file(const char* path) {
  std::vector<uint8_t> data;
  std::FILE* f = std::fopen(path, "rb");
  if (!f) return data;
  std::fseek(f, 0, SEEK_END);
  data.resize(size_t(std::ftell(f)));
  std::fseek(f, 0, SEEK_SET);
  if (std::fread(data.data(), 1, data.size(), f) != data.size()) data.clear();
  std::fclose(f);
  return data;
}

// Blocks by kind ("bvx2 3 blocks / 1234 bytes, ..."); empty when the stream does not parse.
std::string census(const std::vector<uint8_t>& stream, std::map<std::string, std::pair<size_t, uint64_t>>& kinds) {
  auto layout = upscope::compress::lzfse_block_layout(upscope::ByteReader(upscope::Bytes(stream.data(), stream.size())));
  if (!layout) return "";
  for (const auto& b : layout->blocks)
    if (b.magic != "bvx$") {
      ++kinds[b.magic].first;
      kinds[b.magic].second += b.raw_size;
    }
  std::string out;
  for (const auto& [magic, k] : kinds)
    out += (out.empty() ? "" : ", ") + magic + " " + std::to_string(k.first) + " blocks / " +
           std::to_string(k.second) + " bytes";
  return out;
}

int round_trip() {
  std::vector<uint8_t> scratch(lzfse_encode_scratch_size());
  std::map<std::string, std::pair<size_t, uint64_t>> kinds;
  size_t files = 0;
  uint64_t bytes = 0;
  std::string path;
  for (int c; (c = std::getchar()) != EOF;) {
    if (c != 0) {
      path += char(c);
      continue;
    }
    const std::vector<uint8_t> raw = read_file(path.c_str());
    if (!raw.empty()) {
      std::vector<uint8_t> enc(2 * raw.size() + 4096);
      enc.resize(lzfse_encode_buffer(enc.data(), enc.size(), raw.data(), raw.size(), scratch.data()));
      std::vector<uint8_t> dec(raw.size());
      auto n = upscope::compress::lzfse_decode(upscope::Bytes(enc.data(), enc.size()), std::span<uint8_t>(dec));
      if (enc.empty() || !n || *n != raw.size() || dec != raw) {
        std::fprintf(stderr, "round trip failed: %s (%s)\n", path.c_str(),
                     enc.empty() ? "the reference did not encode it" : n ? "bytes differ" : n.error().message().c_str());
        return 1;
      }
      census(enc, kinds);
      ++files;
      bytes += raw.size();
    }
    path.clear();
  }
  std::string text;
  for (const auto& [magic, k] : kinds)
    text += (text.empty() ? "" : ", ") + magic + " " + std::to_string(k.first) + " blocks";
  std::printf("round trip: %zu files, %llu bytes, encoded by the reference and decoded by upscope, all equal (%s)\n",
              files, (unsigned long long)bytes, text.c_str());
  return 0;
}

// Times both decoders on one stream and prints its rows; false when they disagree (or fail).
bool time_stream(const std::string& label, const std::vector<uint8_t>& in, int runs, const std::string& only,
                 std::vector<uint8_t>& scratch) {
  auto layout = upscope::compress::lzfse_block_layout(upscope::ByteReader(upscope::Bytes(in.data(), in.size())));
  if (!layout) {
    std::fprintf(stderr, "%s: %s\n", label.c_str(), layout.error().message().c_str());
    return false;
  }
  std::map<std::string, std::pair<size_t, uint64_t>> kinds;  // magic -> blocks, decoded bytes
  const std::string blocks = census(in, kinds);
  std::string kind_names;
  for (const auto& k : kinds) kind_names += (kind_names.empty() ? "" : "+") + k.first;

  const size_t size = layout->decoded_size;
  // One byte of room more than needed: the reference reports a full buffer as out_size == capacity.
  std::vector<uint8_t> ours(size + 1), ref(size + 1);
  bool ok = true;
  auto run_ours = [&] {
    auto n = upscope::compress::lzfse_decode(upscope::Bytes(in.data(), in.size()), std::span<uint8_t>(ours));
    if (!n) std::fprintf(stderr, "%s: %s\n", label.c_str(), n.error().message().c_str());
    ok = ok && n;
    return n ? *n : 0;
  };
  auto run_ref = [&] { return lzfse_decode_buffer(ref.data(), ref.size(), in.data(), in.size(), scratch.data()); };
  if (!only.empty()) {
    for (int r = 0; r < runs; ++r) only == "ref" ? void(run_ref()) : void(run_ours());
    return ok;
  }
  if (run_ours() != size || run_ref() != size || std::memcmp(ours.data(), ref.data(), size) != 0) {
    std::fprintf(stderr, "%s: the decoders disagree\n", label.c_str());
    return false;
  }
  std::vector<double> cpu_ours, cpu_ref, wall_ours, wall_ref;
  for (int r = 0; r < runs; ++r) {
    double c0 = thread_cpu_seconds(), w0 = wall_seconds();
    run_ours();
    double c1 = thread_cpu_seconds(), w1 = wall_seconds();
    run_ref();
    double c2 = thread_cpu_seconds(), w2 = wall_seconds();
    cpu_ours.push_back(c1 - c0);
    wall_ours.push_back(w1 - w0);
    cpu_ref.push_back(c2 - c1);
    wall_ref.push_back(w2 - w1);
  }
  const double mb = double(size) / 1e6;
  const double co = mb / median(cpu_ours), cr = mb / median(cpu_ref);
  const double wo = mb / median(wall_ours), wr = mb / median(wall_ref);
  std::printf("%s: %zu bytes -> %zu bytes; %s\n", label.c_str(), in.size(), size, blocks.c_str());
  std::printf("| in-process %s [%s], CPU time | %.0f MB/s | %.0f MB/s | %.2fx |\n", label.c_str(), kind_names.c_str(),
              co, cr, co / cr);
  std::printf("| in-process %s [%s], wall time | %.0f MB/s | %.0f MB/s | %.2fx |\n", label.c_str(), kind_names.c_str(),
              wo, wr, wo / wr);
  std::fflush(stdout);
  return ok;
}

// The blocks of one kind, in order, then bvx$: a stream of its own when those blocks reach no
// history in the blocks left out (true of chunk-coded bvxn and of bvx-, not of a bvx2 stream).
std::vector<uint8_t> blocks_of_kind(const std::vector<uint8_t>& in, const std::string& magic) {
  std::vector<uint8_t> out;
  auto layout = upscope::compress::lzfse_block_layout(upscope::ByteReader(upscope::Bytes(in.data(), in.size())));
  if (!layout) return out;
  for (const auto& b : layout->blocks)
    if (b.magic == magic) out.insert(out.end(), in.begin() + long(b.offset), in.begin() + long(b.offset + b.block_size));
  const char end[] = "bvx$";
  out.insert(out.end(), end, end + 4);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 7;
  int first = 1;
  std::string only;
  if (argc == 2 && std::string(argv[1]) == "-roundtrip") return round_trip();
  while (first + 1 < argc && (std::string(argv[first]) == "-r" || std::string(argv[first]) == "-only")) {
    if (std::string(argv[first]) == "-r")
      runs = std::max(1, std::atoi(argv[first + 1]));
    else
      only = argv[first + 1];
    first += 2;
  }
  if (first >= argc) {
    std::fprintf(stderr, "usage: %s [-r RUNS] [-only ours|ref] FILE... | %s -roundtrip < NUL-separated paths\n", argv[0],
                 argv[0]);
    return 2;
  }
  std::vector<uint8_t> scratch(lzfse_decode_scratch_size());
  for (int a = first; a < argc; ++a) {
    const char* path = argv[a];
    const std::vector<uint8_t> in = read_file(path);
    if (in.empty()) return std::perror(path), 2;
    const char* name = std::strrchr(path, '/') ? std::strrchr(path, '/') + 1 : path;
    if (!time_stream(name, in, runs, only, scratch)) return 1;
    // A stream of several kinds: each kind alone too, when its blocks stand alone (the chunk-coded
    // bvxn stream holds bvx- chunks that LZVN could not shrink).
    std::map<std::string, std::pair<size_t, uint64_t>> kinds;
    census(in, kinds);
    if (kinds.size() > 1 && only.empty())
      for (const auto& k : kinds) {
        if (k.first != "bvxn" && k.first != "bvx-") continue;
        if (!time_stream(std::string(name) + ", its " + k.first + " blocks alone", blocks_of_kind(in, k.first), runs,
                         only, scratch))
          return 1;
      }
  }
  return 0;
}
