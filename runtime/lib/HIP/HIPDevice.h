//===- HIPDevice.h - The HIP backend ----------------------------*- C++ -*-===//
//
// Part of the attn project, the runtime library (libattnrt).
//
//===----------------------------------------------------------------------===//
//
// Private to the runtime. A HIPDevice is one AMD GPU, driven through the HIP
// runtime API (HIPDriver, loaded at run time). Memory comes from hipMalloc;
// modules are GPU bundles (a .hsaco code object plus its .json manifest,
// docs/KernelABI.md#gpu-bundles), loaded with hipModuleLoadData; launches
// are hipModuleLaunchKernel on the caller's stream with the ABI's packed
// argument array, exactly as on CUDA (Common/GPUModule.h).
//
// HIP has no contexts to manage: each thread has a current device. Every
// entry point makes this device current on the calling thread for the
// duration of the call (hipSetDevice) and restores the thread's previous
// current device afterwards, so a caller that works on several GPUs keeps
// its own current device.
//
// Not run on AMD hardware yet: the tests drive it through a fake HIP
// runtime (unittests/Runtime/FakeHIPRuntime.c).
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_RUNTIME_LIB_HIP_HIPDEVICE_H
#define ATTN_RUNTIME_LIB_HIP_HIPDEVICE_H

#include "HIP/HIPDriver.h"

#include "Common/GPUModule.h"
#include "attn/Runtime/Device.h"

#include <memory>
#include <mutex>
#include <string>
#include <unordered_set>

namespace attn {
namespace rt {
namespace hip {

/// What the device allows; read once at open. maxSharedOptin is the
/// device's LDS per block (hipDeviceAttributeMaxSharedMemoryPerBlock).
struct DeviceLimits : gpu::DeviceLimits {
  int warpSize = 64;
};

class HIPDevice final : public Device {
public:
  HIPDevice(std::shared_ptr<HIPDriver> driver, int ordinal,
            std::string deviceName, DeviceLimits limits);
  ~HIPDevice() override;

  DeviceKind kind() const override { return DeviceKind::HIP; }
  int ordinal() const override { return ordinal_; }
  /// "hip:0 (AMD Instinct MI300X, 304 CUs, wave64)".
  std::string name() const override;
  bool isHostAccessible() const override { return false; }
  /// The number of compute units.
  int parallelism() const override { return limits_.multiprocessors; }

  StatusOr<void *> allocateRaw(size_t bytes) override;
  Status free(void *ptr) override;
  Status copyToDevice(void *dst, const void *src, size_t bytes) override;
  Status copyToHost(void *dst, const void *src, size_t bytes) override;
  Status copyOnDevice(void *dst, const void *src, size_t bytes) override;
  Status memset(void *dst, int value, size_t bytes) override;
  Status synchronize() override;

  /// Loads a GPU bundle: `path` is the code object (.hsaco) with the
  /// manifest `<stem>.json` beside it, or the manifest itself.
  StatusOr<std::unique_ptr<Module>>
  loadModule(const std::string &path) override;

  Status launch(const Function &fn, int64_t grid,
                const AttentionLaunchParams &params, void *stream) override;
  Status launch(const Function &fn, int64_t grid,
                const CacheWriteLaunchParams &params, void *stream) override;

  const HIPDriver &driver() const { return *driver_; }
  const DeviceLimits &limits() const { return limits_; }

private:
  Status launchPacked(const Function &fn, int64_t grid, void **args,
                      int numArgs, void *stream);

  std::shared_ptr<HIPDriver> driver_;
  int ordinal_;
  std::string deviceName_;
  DeviceLimits limits_;
  std::mutex allocationsMutex_;
  std::unordered_set<void *> allocations_;
};

/// Makes a device current on the calling thread for the guard's lifetime
/// (see the file comment). Allocates nothing.
class DeviceGuard {
public:
  explicit DeviceGuard(const HIPDevice &device);
  ~DeviceGuard();
  DeviceGuard(const DeviceGuard &) = delete;
  DeviceGuard &operator=(const DeviceGuard &) = delete;

  /// Ok, or why the device could not be made current.
  const Status &status() const { return status_; }

private:
  const HIPDriver &driver_;
  int previous_ = 0;
  bool restore_ = false;
  Status status_;
};

} // namespace hip
} // namespace rt
} // namespace attn

#endif // ATTN_RUNTIME_LIB_HIP_HIPDEVICE_H
