//===- CPUDevice.h - The host CPU backend -----------------------*- C++ -*-===//
//
// Part of the attn project, the runtime library (libattnrt).
//
//===----------------------------------------------------------------------===//
//
// Private to the runtime. Memory is 64-byte aligned host memory; modules are
// host bundles (shared objects); launches run a kernel function over chunks
// of the program range on a persistent thread pool and return when done.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_RUNTIME_LIB_CPU_CPUDEVICE_H
#define ATTN_RUNTIME_LIB_CPU_CPUDEVICE_H

#include "attn/Runtime/Device.h"
#include "attn/Runtime/ThreadPool.h"

#include <mutex>
#include <unordered_map>

namespace attn {
namespace rt {
namespace cpu {

/// Alignment of every CPU allocation, in bytes.
constexpr size_t kAlignment = 64;

/// Reads ATTN_NUM_THREADS: the hardware concurrency when unset or empty,
/// InvalidArgument when not an integer in [1, 4096].
StatusOr<int> threadCountFromEnvironment();

class CPUDevice final : public Device {
public:
  explicit CPUDevice(int numThreads);
  ~CPUDevice() override;

  DeviceKind kind() const override { return DeviceKind::CPU; }
  int ordinal() const override { return 0; }
  std::string name() const override;
  bool isHostAccessible() const override { return true; }
  int parallelism() const override { return pool_.numThreads(); }

  StatusOr<void *> allocateRaw(size_t bytes) override;
  Status free(void *ptr) override;
  Status copyToDevice(void *dst, const void *src, size_t bytes) override;
  Status copyToHost(void *dst, const void *src, size_t bytes) override;
  Status copyOnDevice(void *dst, const void *src, size_t bytes) override;
  Status memset(void *dst, int value, size_t bytes) override;
  Status synchronize() override { return Status::ok(); }

  StatusOr<std::unique_ptr<Module>>
  loadModule(const std::string &path) override;

  Status launch(const Function &fn, int64_t grid,
                const AttentionLaunchParams &params, void *stream) override;
  Status launch(const Function &fn, int64_t grid,
                const CacheWriteLaunchParams &params, void *stream) override;

  ThreadPool &threadPool() { return pool_; }

private:
  ThreadPool pool_;
  std::mutex allocationsMutex_;
  std::unordered_map<void *, size_t> allocations_;
};

/// Loads a host bundle for `device` (see CPUModule.cpp).
StatusOr<std::unique_ptr<Module>> loadHostBundle(Device &device,
                                                 const std::string &path);

} // namespace cpu
} // namespace rt
} // namespace attn

#endif // ATTN_RUNTIME_LIB_CPU_CPUDEVICE_H
