//===- CUDADevice.cpp - The CUDA backend ----------------------------------===//
//
// Part of the attn project, the runtime library (libattnrt).
//
//===----------------------------------------------------------------------===//
//
// Opening a CUDA device loads the driver (CUDADriver). The device itself
// (cubin/PTX modules, cuLaunchKernel over the ABI's program grid, stream
// ordered launches) is not built yet: open() says so with Unavailable.
//
//===----------------------------------------------------------------------===//

#include "CUDA/CUDADriver.h"

#include "Common/Backends.h"

namespace attn {
namespace rt {
namespace detail {

StatusOr<std::unique_ptr<Device>> openCUDADevice(int ordinal) {
  StatusOr<cuda::CUDADriver> driver = cuda::CUDADriver::load();
  if (!driver.isOk())
    return driver.status();
  (void)ordinal;
  return unavailable("CUDA backend not built yet");
}

} // namespace detail
} // namespace rt
} // namespace attn
