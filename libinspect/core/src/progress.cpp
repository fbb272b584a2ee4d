#include "inspect/progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include <fmt/format.h>

#include "inspect/text.hpp"

namespace upscope {

static std::atomic<ProgressMode> g_mode{ProgressMode::kAuto};

void set_progress_mode(ProgressMode mode) { g_mode = mode; }
ProgressMode progress_mode() { return g_mode; }
bool progress_enabled() {
  switch (g_mode.load()) {
    case ProgressMode::kAlways: return true;
    case ProgressMode::kNever: return false;
    case ProgressMode::kAuto: return ::isatty(STDERR_FILENO) == 1;
  }
  return false;
}

Progress::Progress(std::string label, uint64_t total)
    : label_(std::move(label)), total_(total), enabled_(progress_enabled()), start_(std::chrono::steady_clock::now()) {}

Progress::~Progress() { finish(); }

void Progress::advance(uint64_t n) {
  done_.fetch_add(n);
  if (enabled_) draw(false);
}

void Progress::set(uint64_t done) {
  done_.store(done);
  if (enabled_) draw(false);
}

void Progress::finish() {
  if (!enabled_) return;
  std::lock_guard<std::mutex> lk(mu_);
  if (finished_) return;
  finished_ = true;
  std::fputs("\r\033[K", stderr);  // clear the bar: results stay readable
  std::fflush(stderr);
}

// " ETA 1m05s": the rest at the rate so far, once there is a rate worth extrapolating.
std::string eta_text(double secs, uint64_t done, uint64_t total) {
  if (secs < 1.0 || done == 0 || done >= total) return "";
  const auto left = static_cast<uint64_t>(secs * static_cast<double>(total - done) / static_cast<double>(done) + 0.5);
  if (left >= 3600) return fmt::format(" ETA {}h{:02}m", left / 3600, left / 60 % 60);
  if (left >= 60) return fmt::format(" ETA {}m{:02}s", left / 60, left % 60);
  return fmt::format(" ETA {}s", left);
}

void Progress::draw(bool final) {
  auto now = std::chrono::steady_clock::now();
  std::unique_lock<std::mutex> lk(mu_, std::try_to_lock);
  if (!lk.owns_lock() || finished_) return;
  if (!final && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  uint64_t done = done_.load();
  double secs = std::chrono::duration<double>(now - start_).count();
  std::string rate = secs > 0 ? human_size(static_cast<uint64_t>(done / secs)) + "/s" : "";
  std::string line;
  if (total_ > 0) {
    double frac = std::min(1.0, static_cast<double>(done) / static_cast<double>(total_));
    constexpr int kWidth = 30;
    int fill = static_cast<int>(frac * kWidth);
    line = fmt::format("\r{} [{}{}] {:5.1f}% {} / {} {}{}", label_, std::string(fill, '#'),
                       std::string(kWidth - fill, '.'), frac * 100, human_size(done), human_size(total_), rate,
                       eta_text(secs, done, total_));
  } else {
    line = fmt::format("\r{} {} {}", label_, human_size(done), rate);
  }
  std::fputs(line.c_str(), stderr);
  std::fputs("\033[K", stderr);
  std::fflush(stderr);
}

void ProgressShare::set_fraction(uint64_t done, uint64_t total) {
  if (!bar_ || total == 0) return;
  const double frac = std::min(1.0, static_cast<double>(done) / static_cast<double>(total));
  const auto target = std::max(reported_, static_cast<uint64_t>(frac * static_cast<double>(weight_)));
  bar_->advance(target - reported_);
  reported_ = target;
}

}  // namespace upscope
