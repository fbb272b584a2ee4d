// apfs_floor_bench IMAGE [-r RUNS] [-j JOBS] [--check LS.json]: the decode + SHA-256 floor of
// `upscope ls IMAGE --hash sha256` (issue 28: ls within 1.3x of it).
// Untimed: the image is opened and walked with upscope's APFS reader, as `ls` does, and for every
// regular file the bytes `ls --hash` has to decode are copied into memory: the com.apple.decmpfs
// xattr and the com.apple.ResourceFork stream of a decmpfs file, the data stream of a plain one.
// Timed, RUNS times: every file decoded from those bytes through decmpfs::open (resource forks as
// MemorySources) and hashed by hash_sources on a pool of JOBS threads (default: every core), the
// calls `ls` makes. So the floor leaves out only the metadata walk and the reads of the image.
// Every run must give the same digests; --check compares them with the "sha256" of every file in
// `upscope --json ls IMAGE --hash sha256` output and fails on any difference.
// Prints files, decoded and compressed bytes, median wall and CPU (all threads) ms, decoded MB/s.
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "apfs/locate.hpp"
#include "apfs/volume.hpp"
#include "compress/decmpfs.hpp"
#include "inspect/hash.hpp"
#include "inspect/source.hpp"
#include "inspect/thread_pool.hpp"

namespace {

using namespace upscope;

// One regular file's stored bytes. A plain file's data is `rsrc` (hashed as it is).
struct StoredFile {
  size_t volume = 0;        // index in the container, as in ls's JSON
  std::string path;
  std::string name;         // the Source name ls gives the file
  bool decmpfs = false;
  std::vector<uint8_t> xattr;  // com.apple.decmpfs, whole
  SourcePtr rsrc;              // resource fork (decmpfs) or data (plain); null when absent
};

[[noreturn]] void die(const std::string& msg) {
  std::fprintf(stderr, "apfs_floor_bench: %s\n", msg.c_str());
  std::exit(1);
}

Result<SourcePtr> in_memory(const Source& s) {
  UPSCOPE_TRY(auto bytes, s.read_vector(0, s.size()));
  return SourcePtr(std::make_shared<MemorySource>(std::move(bytes), s.name()));
}

// The bytes ls reads to produce one file's content (Volume::open_data's inputs).
Result<StoredFile> store(const apfs::Volume& v, const apfs::FileEntry& e) {
  StoredFile f;
  f.volume = v.info().index;
  f.path = e.path;
  f.name = fmt::format("{}:{}", v.display_name(), e.path);
  const apfs::Inode& ino = e.inode;
  if (!ino.compressed()) {
    UPSCOPE_TRY(auto data, v.open_data(ino, e.path));
    UPSCOPE_TRY(f.rsrc, in_memory(*data));
    return f;
  }
  f.decmpfs = true;
  UPSCOPE_TRY(auto xs, v.xattrs(ino.id));
  bool have = false;
  for (const auto& x : xs) {
    if (x.name != "com.apple.decmpfs" && x.name != "com.apple.ResourceFork") continue;
    UPSCOPE_TRY(auto s, v.open_xattr(ino, x));
    if (x.name == "com.apple.ResourceFork") {
      UPSCOPE_TRY(f.rsrc, in_memory(*s));
    } else {
      UPSCOPE_TRY(f.xattr, s->read_vector(0, s->size()));
      have = true;
    }
  }
  if (!have) return fail(ErrorCode::kMalformed, f.name, "UF_COMPRESSED is set but there is no com.apple.decmpfs xattr");
  return f;
}

Result<SourcePtr> open_stored(const StoredFile& f) {
  if (!f.decmpfs) return f.rsrc ? f.rsrc : SourcePtr(std::make_shared<MemorySource>(std::vector<uint8_t>{}, f.name));
  return compress::decmpfs::open(
      f.xattr, f.name,
      [&]() -> Result<SourcePtr> {
        if (!f.rsrc) return fail(ErrorCode::kMalformed, f.name, "no com.apple.ResourceFork xattr");
        return f.rsrc;
      },
      f.name + ": com.apple.ResourceFork");
}

double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto s = [](const timeval& t) { return double(t.tv_sec) + double(t.tv_usec) * 1e-6; };
  return s(ru.ru_utime) + s(ru.ru_stime);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// Every file's digest against the "sha256" ls reported for (volume index, path); false on any difference.
bool check(const std::string& json_path, const std::vector<StoredFile>& files, const std::vector<std::string>& digests) {
  std::ifstream in(json_path);
  if (!in) die("cannot read " + json_path);
  const auto doc = nlohmann::json::parse(in, nullptr, false);
  if (doc.is_discarded() || !doc.contains("volumes")) die(json_path + " is not `upscope --json ls` output");
  std::map<std::pair<size_t, std::string>, std::string> theirs;
  for (const auto& vol : doc["volumes"])
    for (const auto& f : vol.value("files", nlohmann::json::array()))
      if (f.value("type", "") == "file") {
        const auto h = f.find("sha256");
        theirs[{vol.value("index", size_t{0}), f.value("path", "")}] =
            h != f.end() && h->is_string() ? h->get<std::string>() : "(none)";
      }
  size_t bad = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    auto it = theirs.find({files[i].volume, files[i].path});
    const std::string want = it == theirs.end() ? "(not listed)" : it->second;
    if (want != digests[i] && bad++ < 10)
      std::fprintf(stderr, "MISMATCH volume %zu %s: floor %s, ls %s\n", files[i].volume, files[i].path.c_str(),
                   digests[i].c_str(), want.c_str());
  }
  if (theirs.size() != files.size()) {
    std::fprintf(stderr, "MISMATCH: ls lists %zu regular files, the floor hashed %zu\n", theirs.size(), files.size());
    ++bad;
  }
  std::fprintf(stderr, "checked %zu files against %s: %zu differ\n", files.size(), json_path.c_str(), bad);
  return bad == 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string image, check_json;
  unsigned runs = 5, jobs = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if ((a == "-r" || a == "-j" || a == "--check") && i + 1 < argc) {
      const char* v = argv[++i];
      if (a == "-r") runs = unsigned(std::strtoul(v, nullptr, 10));
      else if (a == "-j") jobs = unsigned(std::strtoul(v, nullptr, 10));
      else check_json = v;
    } else if (image.empty() && !a.empty() && a[0] != '-') {
      image = a;
    } else {
      image.clear();
      break;
    }
  }
  if (image.empty() || runs == 0) {
    std::fprintf(stderr, "usage: apfs_floor_bench IMAGE [-r RUNS] [-j JOBS] [--check LS.json]\n");
    return 2;
  }

  // Untimed: walk every volume, as ls does without a volume argument, and copy out the stored bytes.
  Diagnostics diags;
  auto opened = apfs::open_image(image, &diags);
  if (!opened) die(opened.error().message());
  const auto& c = *opened->container;
  std::vector<StoredFile> files;
  for (const auto& info : c.volumes()) {
    if (info.name.empty() && !info.error.empty()) die(fmt::format("volume {}: {}", info.index, info.error));
    auto vol = c.open_volume(info.index);
    if (!vol) die(vol.error().message());
    auto root = (*vol)->lookup("/");
    if (!root) die(root.error().message());
    std::vector<apfs::FileEntry> entries;
    auto st = (*vol)->walk(*root, "/", [&](const apfs::FileEntry& e) {
      if (e.inode.is_reg()) entries.push_back(e);
      return true;
    }, diags);
    if (!st) die(st.error().message());
    for (const auto& e : entries) {
      auto f = store(**vol, e);
      if (!f) die(f.error().message());
      files.push_back(std::move(*f));
    }
  }
  if (diags.has_errors()) die(fmt::format("{} errors while walking the image", diags.count(Severity::kError)));
  size_t packed = 0;
  uint64_t compressed = 0, plain = 0;
  for (const auto& f : files) {
    packed += f.decmpfs;
    (f.decmpfs ? compressed : plain) += f.xattr.size() + (f.rsrc ? f.rsrc->size() : 0);
  }

  // Timed: decode + hash of every file from memory, RUNS times.
  ThreadPool pool(resolve_jobs(jobs));
  SourceBatch batch;
  batch.count = files.size();
  batch.open = [&](size_t i) { return open_stored(files[i]); };
  std::vector<double> wall, cpu;
  std::vector<std::string> first;
  uint64_t decoded = 0;
  for (unsigned r = 0; r < runs; ++r) {
    std::atomic<uint64_t> bytes{0};
    batch.hashed = [&](size_t, uint64_t n) { bytes += n; };
    const double c0 = cpu_seconds();
    const auto t0 = std::chrono::steady_clock::now();
    auto hashes = hash_sources(HashKind::kSha256, batch, &pool);
    wall.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    cpu.push_back(cpu_seconds() - c0);
    std::vector<std::string> digests;
    for (size_t i = 0; i < hashes.size(); ++i) {
      if (!hashes[i]) die(fmt::format("{}: {}", files[i].path, hashes[i].error().message()));
      digests.push_back(std::move(*hashes[i]));
    }
    if (r == 0) {
      first = std::move(digests);
      decoded = bytes;
    } else if (digests != first || bytes != decoded) {
      die(fmt::format("run {} gave other digests or sizes than run 1", r + 1));
    }
  }
  if (!check_json.empty() && !check(check_json, files, first)) die("digests differ from upscope ls");

  const double wall_ms = median(wall) * 1e3, cpu_ms = median(cpu) * 1e3;
  std::printf("files %zu (decmpfs %zu)\n", files.size(), packed);
  std::printf("decoded bytes %llu\n", static_cast<unsigned long long>(decoded));
  std::printf("compressed bytes %llu (decmpfs xattrs and resource forks; plain files' data %llu)\n",
              static_cast<unsigned long long>(compressed), static_cast<unsigned long long>(plain));
  std::printf("median wall ms %.1f\n", wall_ms);
  std::printf("median cpu ms %.1f\n", cpu_ms);
  std::printf("decoded MB/s %.1f\n", double(decoded) / 1e6 / (wall_ms / 1e3));
  std::printf("runs %u, jobs %u\n", runs, pool.size());
  return 0;
}
