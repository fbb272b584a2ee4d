#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "inspect/thread_pool.hpp"

using namespace upscope;

TEST_CASE("thread pool runs every task and returns results", "[core][threads]") {
  ThreadPool pool(3);
  CHECK(pool.size() == 3);
  std::vector<std::future<int>> futs;
  for (int i = 0; i < 100; ++i) futs.push_back(pool.submit([i] { return i * i; }));
  int sum = 0;
  for (auto& f : futs) sum += f.get();
  CHECK(sum == 328350);
}

TEST_CASE("ordered_parallel_map consumes in order with a bounded window", "[core][threads]") {
  ThreadPool pool(4);
  std::atomic<int> in_flight{0}, peak{0};
  std::vector<size_t> order;
  bool ok = ordered_parallel_map(
      pool, 50, 3,
      [&](size_t i) {
        int now = ++in_flight;
        int p = peak.load();
        while (now > p && !peak.compare_exchange_weak(p, now)) {}
        // later items finish first, so ordering is really exercised
        std::this_thread::sleep_for(std::chrono::microseconds((50 - i) * 20));
        --in_flight;
        return i;
      },
      [&](size_t idx, size_t v) {
        CHECK(idx == v);
        order.push_back(v);
        return true;
      });
  CHECK(ok);
  REQUIRE(order.size() == 50);
  for (size_t i = 0; i < order.size(); ++i) CHECK(order[i] == i);
  CHECK(peak.load() <= 3);
}

TEST_CASE("ordered_parallel_map stops when the consumer fails", "[core][threads]") {
  ThreadPool pool(2);
  size_t consumed = 0;
  bool ok = ordered_parallel_map(pool, 100, 4, [](size_t i) { return i; },
                                 [&](size_t, size_t v) { ++consumed; return v < 9; });
  CHECK_FALSE(ok);
  CHECK(consumed == 10);
}

TEST_CASE("resolve_jobs maps 0 to the core count", "[core][threads]") {
  CHECK(resolve_jobs(0) >= 1);
  CHECK(resolve_jobs(5) == 5);
}
