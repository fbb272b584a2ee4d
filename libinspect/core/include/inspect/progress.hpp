// A progress bar on stderr, drawn only when stderr is a terminal (or when forced), throttled to
// about 10 redraws a second. Thread-safe advance(). Never writes to stdout.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace upscope {

enum class ProgressMode { kAuto, kAlways, kNever };

// Set once by the CLI from --progress/-q; readers only create Progress objects.
void set_progress_mode(ProgressMode mode);
ProgressMode progress_mode();
bool progress_enabled();

// " ETA 1m05s" for `done` of `total` after `secs`; empty before a second has passed or once done.
std::string eta_text(double secs, uint64_t done, uint64_t total);

class Progress {
 public:
  Progress(std::string label, uint64_t total);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;
  void advance(uint64_t n);
  void set(uint64_t done);
  void finish();
  uint64_t done() const { return done_.load(); }

 private:
  void draw(bool final);
  std::string label_;
  uint64_t total_;
  std::atomic<uint64_t> done_{0};
  bool enabled_;
  bool finished_ = false;
  std::mutex mu_;
  std::chrono::steady_clock::time_point last_draw_{};
  std::chrono::steady_clock::time_point start_;
};

// The part of a bar that one piece of work is worth (`weight` of its total), reported as the
// fraction of that work done: a volume's files read so far. One thread reports; the rest of the
// weight is added when the share is destroyed, so a piece that stops early still fills its part.
class ProgressShare {
 public:
  ProgressShare(Progress* bar, uint64_t weight) : bar_(bar), weight_(weight) {}
  ~ProgressShare() { set_fraction(1, 1); }
  ProgressShare(const ProgressShare&) = delete;
  ProgressShare& operator=(const ProgressShare&) = delete;
  void set_fraction(uint64_t done, uint64_t total);

 private:
  Progress* bar_;
  uint64_t weight_;
  uint64_t reported_ = 0;
};

}  // namespace upscope
