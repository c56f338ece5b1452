//===- ThreadPool.cpp - Persistent workers for CPU launches ---------------===//
//
// Part of the attn project, the runtime library (libattnrt).
//
//===----------------------------------------------------------------------===//
//
// A launch publishes (fn, context, grid, chunk) under the mutex, bumps the
// generation and wakes the workers. Everyone, the caller included, then
// claims chunks with one atomic fetch_add until the grid is exhausted. The
// caller returns once every worker has reported that it saw the generation
// and ran out of chunks, so the job fields are never rewritten while a
// worker still reads them.
//
//===----------------------------------------------------------------------===//

#include "attn/Runtime/ThreadPool.h"

#include <algorithm>

namespace attn {
namespace rt {

namespace {
/// True on pool workers and on a caller while it runs chunks: a nested
/// parallelFor then runs inline instead of deadlocking.
thread_local bool tlsInsidePool = false;

void runRange(ThreadPool::RangeFn fn, void *context, int64_t grid,
              int64_t chunk, std::atomic<int64_t> &next) {
  for (;;) {
    int64_t begin = next.fetch_add(chunk, std::memory_order_relaxed);
    if (begin >= grid)
      return;
    fn(context, begin, std::min(grid, begin + chunk));
  }
}
} // namespace

ThreadPool::ThreadPool(int numThreads) {
  int workers = std::max(1, numThreads) - 1;
  workers_.reserve(workers);
  for (int i = 0; i < workers; ++i)
    workers_.emplace_back([this] { workerLoop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread &worker : workers_)
    worker.join();
}

int64_t ThreadPool::chunkSize(int64_t grid) const {
  // About 16 chunks per thread: small enough to balance programs of uneven
  // cost (query blocks past the end of their sequence return at once), large
  // enough that the shared counter is not contended.
  int64_t pieces = static_cast<int64_t>(numThreads()) * 16;
  return std::max<int64_t>(1, (grid + pieces - 1) / pieces);
}

void ThreadPool::parallelFor(int64_t grid, RangeFn fn, void *context) {
  if (grid <= 0 || !fn)
    return;
  if (workers_.empty() || grid == 1 || tlsInsidePool) {
    fn(context, 0, grid);
    return;
  }
  std::lock_guard<std::mutex> launchLock(launchMutex_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    fn_ = fn;
    context_ = context;
    grid_ = grid;
    chunk_ = chunkSize(grid);
    next_.store(0, std::memory_order_relaxed);
    pendingWorkers_ = static_cast<int>(workers_.size());
    ++generation_;
  }
  wake_.notify_all();

  tlsInsidePool = true;
  runRange(fn, context, grid, chunk_, next_);
  tlsInsidePool = false;

  std::unique_lock<std::mutex> lock(mutex_);
  done_.wait(lock, [this] { return pendingWorkers_ == 0; });
}

void ThreadPool::workerLoop() {
  tlsInsidePool = true;
  uint64_t seen = 0;
  for (;;) {
    RangeFn fn;
    void *context;
    int64_t grid, chunk;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
      if (stopping_)
        return;
      seen = generation_;
      fn = fn_;
      context = context_;
      grid = grid_;
      chunk = chunk_;
    }
    runRange(fn, context, grid, chunk, next_);
    bool last;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      last = --pendingWorkers_ == 0;
    }
    if (last)
      done_.notify_one();
  }
}

} // namespace rt
} // namespace attn
