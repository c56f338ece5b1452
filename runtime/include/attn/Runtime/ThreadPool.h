//===- ThreadPool.h - Persistent workers for CPU launches -------*- C++ -*-===//
//
// Part of the attn project, the runtime library (libattnrt).
//
//===----------------------------------------------------------------------===//
//
// A fixed set of worker threads, started once, that run a range of program
// ids [0, grid) split into chunks. The calling thread works too, so a pool
// of N threads starts N - 1 workers. parallelFor allocates nothing.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_RUNTIME_THREADPOOL_H
#define ATTN_RUNTIME_THREADPOOL_H

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace attn {
namespace rt {

class ThreadPool {
public:
  /// Runs programs [begin, end); called concurrently with disjoint ranges.
  using RangeFn = void (*)(void *context, int64_t begin, int64_t end);

  /// `numThreads` counts the caller; values below 1 mean 1.
  explicit ThreadPool(int numThreads);
  ~ThreadPool();
  ThreadPool(const ThreadPool &) = delete;
  ThreadPool &operator=(const ThreadPool &) = delete;

  int numThreads() const { return static_cast<int>(workers_.size()) + 1; }

  /// Runs fn over [0, grid) and returns when every program has run. Calls
  /// from several threads are serialized; a call from inside a running
  /// range (nested) runs inline on the calling thread.
  void parallelFor(int64_t grid, RangeFn fn, void *context);

  /// The chunk size parallelFor uses for `grid` programs.
  int64_t chunkSize(int64_t grid) const;

private:
  void workerLoop();

  std::vector<std::thread> workers_;
  std::mutex launchMutex_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  uint64_t generation_ = 0;
  int pendingWorkers_ = 0;
  bool stopping_ = false;

  // The current job; written under mutex_ before generation_ changes.
  RangeFn fn_ = nullptr;
  void *context_ = nullptr;
  int64_t grid_ = 0;
  int64_t chunk_ = 1;
  std::atomic<int64_t> next_{0};
};

} // namespace rt
} // namespace attn

#endif // ATTN_RUNTIME_THREADPOOL_H
