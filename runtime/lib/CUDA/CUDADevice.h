//===- CUDADevice.h - The CUDA backend --------------------------*- C++ -*-===//
//
// Part of the attn project, the runtime library (libattnrt).
//
//===----------------------------------------------------------------------===//
//
// Private to the runtime. A CUDADevice is one GPU, driven through the CUDA
// driver API (CUDADriver, loaded at run time). It works in the device's
// primary context, the one the CUDA runtime (and so PyTorch) uses, retained
// at open and released when the device dies. Memory comes from cuMemAlloc;
// modules are GPU bundles (a .cubin, .fatbin or .ptx image plus its .json
// manifest, docs/KernelABI.md#gpu-bundles); launches are cuLaunchKernel on
// the caller's stream with the ABI's packed argument array.
//
// Every entry point makes the primary context current on the calling thread
// for the duration of the call. If another context was current, it is
// restored afterwards; if none was, the primary context stays current.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_RUNTIME_LIB_CUDA_CUDADEVICE_H
#define ATTN_RUNTIME_LIB_CUDA_CUDADEVICE_H

#include "CUDA/CUDADriver.h"

#include "Common/GPUModule.h"
#include "attn/Runtime/Device.h"

#include <memory>
#include <mutex>
#include <string>
#include <unordered_set>

namespace attn {
namespace rt {
namespace cuda {

/// What the device allows; read once at open. maxSharedOptin is the
/// largest dynamic shared memory a function may opt in to (at least
/// kDefaultMaxDynamicSharedBytes).
struct DeviceLimits : gpu::DeviceLimits {
  int computeMajor = 0;
  int computeMinor = 0;
};
static_assert(gpu::DeviceLimits().maxSharedOptin ==
                  static_cast<int>(kDefaultMaxDynamicSharedBytes),
              "the default opt-in limit is CUDA's default (48 KiB)");

class CUDADevice final : public Device {
public:
  CUDADevice(std::shared_ptr<CUDADriver> driver, int ordinal, CUdevice device,
             CUcontext context, std::string deviceName, DeviceLimits limits);
  ~CUDADevice() override;

  DeviceKind kind() const override { return DeviceKind::CUDA; }
  int ordinal() const override { return ordinal_; }
  /// "cuda:0 (NVIDIA H100 80GB HBM3, sm_90, 132 SMs)".
  std::string name() const override;
  bool isHostAccessible() const override { return false; }
  /// The number of streaming multiprocessors.
  int parallelism() const override { return limits_.multiprocessors; }
  StatusOr<int64_t> residentPrograms(const Function &fn) const override;

  StatusOr<void *> allocateRaw(size_t bytes) override;
  Status free(void *ptr) override;
  Status copyToDevice(void *dst, const void *src, size_t bytes) override;
  Status copyToHost(void *dst, const void *src, size_t bytes) override;
  Status copyOnDevice(void *dst, const void *src, size_t bytes) override;
  Status memset(void *dst, int value, size_t bytes) override;
  Status synchronize() override;

  /// Loads a GPU bundle: `path` is the image (.cubin, .fatbin or .ptx) with
  /// the manifest `<stem>.json` beside it, or the manifest itself.
  StatusOr<std::unique_ptr<Module>>
  loadModule(const std::string &path) override;

  Status launch(const Function &fn, int64_t grid,
                const AttentionLaunchParams &params, void *stream) override;
  Status launch(const Function &fn, int64_t grid,
                const CacheWriteLaunchParams &params, void *stream) override;

  const CUDADriver &driver() const { return *driver_; }
  CUcontext context() const { return context_; }
  const DeviceLimits &limits() const { return limits_; }

private:
  Status launchPacked(const Function &fn, int64_t grid, void **args,
                      int numArgs, void *stream);

  std::shared_ptr<CUDADriver> driver_;
  int ordinal_;
  CUdevice device_;
  CUcontext context_;
  std::string deviceName_;
  DeviceLimits limits_;
  std::mutex allocationsMutex_;
  std::unordered_set<CUdeviceptr> allocations_;
};

/// Makes a device's primary context current on the calling thread for the
/// guard's lifetime (see the file comment). Allocates nothing.
class ContextGuard {
public:
  explicit ContextGuard(const CUDADevice &device);
  ~ContextGuard();
  ContextGuard(const ContextGuard &) = delete;
  ContextGuard &operator=(const ContextGuard &) = delete;

  /// Ok, or why the context could not be made current.
  const Status &status() const { return status_; }

private:
  const CUDADriver &driver_;
  CUcontext previous_ = nullptr;
  bool restore_ = false;
  Status status_;
};

} // namespace cuda
} // namespace rt
} // namespace attn

#endif // ATTN_RUNTIME_LIB_CUDA_CUDADEVICE_H
