//===- ThreadPoolTest.cpp - Tests of the CPU launch thread pool -----------===//
//
// Part of the attn project, the runtime unit tests.
//
//===----------------------------------------------------------------------===//

#include "TestUtil.h"

#include "attn/Runtime/ThreadPool.h"

#include <atomic>
#include <set>
#include <thread>
#include <vector>

using namespace attn::rt;

namespace {

struct Counts {
  std::vector<std::atomic<int>> hits;
  std::atomic<int64_t> ranges{0};
  std::atomic<int64_t> badRange{0};
  int64_t grid;
  explicit Counts(int64_t grid) : hits(grid + 1), grid(grid) {}

  static void run(void *context, int64_t begin, int64_t end) {
    auto *self = static_cast<Counts *>(context);
    self->ranges.fetch_add(1);
    if (begin < 0 || end > self->grid || begin >= end)
      self->badRange.fetch_add(1);
    for (int64_t pid = begin; pid < end && pid <= self->grid; ++pid)
      self->hits[pid].fetch_add(1);
  }
};

TEST(ThreadPoolTest, EveryProgramRunsExactlyOnce) {
  for (int threads : {1, 2, 3, 8}) {
    ThreadPool pool(threads);
    EXPECT_EQ(pool.numThreads(), threads);
    for (int64_t grid : {0, 1, 2, 3, 7, 16, 63, 64, 65, 1000, 100003}) {
      Counts counts(grid);
      pool.parallelFor(grid, &Counts::run, &counts);
      EXPECT_EQ(counts.badRange.load(), 0);
      int64_t wrong = 0;
      for (int64_t pid = 0; pid < grid; ++pid)
        wrong += counts.hits[pid].load() != 1;
      EXPECT_EQ(wrong, 0) << "threads " << threads << " grid " << grid;
      EXPECT_EQ(counts.hits[grid].load(), 0);
      if (grid == 0)
        EXPECT_EQ(counts.ranges.load(), 0);
    }
  }
}

TEST(ThreadPoolTest, SplitsWorkAcrossThreads) {
  ThreadPool pool(4);
  EXPECT_EQ(pool.chunkSize(1), 1);
  EXPECT_EQ(pool.chunkSize(64), 1);
  EXPECT_EQ(pool.chunkSize(6400), 100);
  struct Seen {
    std::mutex mutex;
    std::set<std::thread::id> ids;
    static void run(void *context, int64_t, int64_t) {
      auto *self = static_cast<Seen *>(context);
      std::this_thread::sleep_for(std::chrono::microseconds(200));
      std::lock_guard<std::mutex> lock(self->mutex);
      self->ids.insert(std::this_thread::get_id());
    }
  } seen;
  pool.parallelFor(256, &Seen::run, &seen);
  EXPECT_GT(seen.ids.size(), 1u);
}

TEST(ThreadPoolTest, ZeroOrNegativeThreadsMeansOne) {
  ThreadPool pool(0);
  EXPECT_EQ(pool.numThreads(), 1);
  Counts counts(10);
  pool.parallelFor(10, &Counts::run, &counts);
  EXPECT_EQ(counts.ranges.load(), 1);
}

TEST(ThreadPoolTest, NestedCallsRunInline) {
  ThreadPool pool(4);
  struct Nested {
    ThreadPool *pool;
    std::atomic<int64_t> inner{0};
    static void innerRun(void *context, int64_t begin, int64_t end) {
      static_cast<Nested *>(context)->inner.fetch_add(end - begin);
    }
    static void outerRun(void *context, int64_t begin, int64_t end) {
      auto *self = static_cast<Nested *>(context);
      for (int64_t i = begin; i < end; ++i)
        self->pool->parallelFor(10, &Nested::innerRun, self);
    }
  } nested;
  nested.pool = &pool;
  pool.parallelFor(50, &Nested::outerRun, &nested);
  EXPECT_EQ(nested.inner.load(), 500);
}

TEST(ThreadPoolTest, ConcurrentCallersAreSerialized) {
  ThreadPool pool(3);
  std::vector<std::unique_ptr<Counts>> counts;
  for (int i = 0; i < 4; ++i)
    counts.push_back(std::make_unique<Counts>(5000 + i));
  std::vector<std::thread> callers;
  for (int i = 0; i < 4; ++i)
    callers.emplace_back([&, i] {
      for (int repeat = 0; repeat < 20; ++repeat)
        pool.parallelFor(counts[i]->grid, &Counts::run, counts[i].get());
    });
  for (std::thread &caller : callers)
    caller.join();
  for (auto &c : counts) {
    int64_t wrong = 0;
    for (int64_t pid = 0; pid < c->grid; ++pid)
      wrong += c->hits[pid].load() != 20;
    EXPECT_EQ(wrong, 0);
  }
}

TEST(AllocationCounterTest, CountsOperatorNew) {
  if (!test::countsAllocations())
    GTEST_SKIP() << "operator new is not replaceable in this build";
  uint64_t before = test::allocationCount();
  // Direct calls: new-expressions may be elided by the optimizer.
  void *a = ::operator new(16);
  void *b = ::operator new[](64);
  EXPECT_EQ(test::allocationCount() - before, 2u);
  ::operator delete(a);
  ::operator delete[](b);
}

TEST(ThreadPoolTest, LaunchAllocatesNothing) {
  if (!test::countsAllocations())
    GTEST_SKIP() << "operator new is not replaceable in this build";
  ThreadPool pool(4);
  Counts counts(1000);
  pool.parallelFor(1000, &Counts::run, &counts); // Warm up.
  uint64_t before = test::allocationCount();
  for (int i = 0; i < 10; ++i)
    pool.parallelFor(1000, &Counts::run, &counts);
  EXPECT_EQ(test::allocationCount() - before, 0u);
}

} // namespace
