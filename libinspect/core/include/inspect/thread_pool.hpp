// A small fixed-size thread pool, and an ordered parallel map with a bounded window, so that
// chunked streams (pbzx, UDIF chunks) decode on every core yet are written out in order.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace upscope {

// 0 means "all cores".
unsigned resolve_jobs(unsigned requested);

class ThreadPool {
 public:
  explicit ThreadPool(unsigned threads = 0);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  unsigned size() const { return static_cast<unsigned>(workers_.size()); }

  template <typename F>
  auto submit(F&& fn) -> std::future<decltype(fn())> {
    using R = decltype(fn());
    auto task = std::make_shared<std::packaged_task<R()>>(std::forward<F>(fn));
    std::future<R> fut = task->get_future();
    enqueue([task] { (*task)(); });
    return fut;
  }

 private:
  void enqueue(std::function<void()> job);
  void run();

  std::vector<std::thread> workers_;
  std::deque<std::function<void()>> queue_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
};

// Calls produce(i) for i in [0, count) on the pool with at most `window` results in flight, and
// consume(i, result) on the calling thread strictly in index order. Returns false as soon as
// consume returns false (the remaining in-flight work is drained, not consumed).
template <typename Produce, typename Consume>
bool ordered_parallel_map(ThreadPool& pool, size_t count, size_t window, Produce produce, Consume consume) {
  using R = decltype(produce(size_t{0}));
  if (window == 0) window = 1;
  std::deque<std::future<R>> inflight;
  size_t next = 0;
  bool ok = true;
  for (size_t done = 0; done < count; ++done) {
    while (ok && next < count && inflight.size() < window) {
      size_t i = next++;
      inflight.push_back(pool.submit([&produce, i] { return produce(i); }));
    }
    if (inflight.empty()) break;
    R r = inflight.front().get();
    inflight.pop_front();
    if (ok && !consume(done, std::move(r))) ok = false;
    if (!ok) break;
  }
  for (auto& f : inflight) f.wait();
  return ok;
}

// Index ranges [first, last) covering [0, count) in order, each of at most `max_items` items and, past
// its first item, at most `max_weight` of weight(i) in total. One pool task per range instead of one per
// item: a task costs a thread wake-up and a future, which dominates when items are small.
template <typename Weight>
std::vector<std::pair<size_t, size_t>> batch_ranges(size_t count, size_t max_items, uint64_t max_weight,
                                                    Weight weight) {
  std::vector<std::pair<size_t, size_t>> out;
  for (size_t i = 0; i < count;) {
    size_t j = i;
    uint64_t w = 0;
    while (j < count && j - i < max_items && (j == i || w < max_weight)) w += weight(j++);
    out.emplace_back(i, j);
    i = j;
  }
  return out;
}

}  // namespace upscope
