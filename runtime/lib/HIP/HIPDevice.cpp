//===- HIPDevice.cpp - The HIP backend ------------------------------------===//
//
// Part of the attn project, the runtime library (libattnrt).
//
//===----------------------------------------------------------------------===//
//
// Opening a HIP device loads the HIP runtime (HIPDriver). The device itself
// (hsaco modules, hipModuleLaunchKernel over the ABI's program grid, stream
// ordered launches) is not built yet: open() says so with Unavailable.
//
//===----------------------------------------------------------------------===//

#include "HIP/HIPDriver.h"

#include "Common/Backends.h"

namespace attn {
namespace rt {
namespace detail {

StatusOr<std::unique_ptr<Device>> openHIPDevice(int ordinal) {
  StatusOr<hip::HIPDriver> driver = hip::HIPDriver::load();
  if (!driver.isOk())
    return driver.status();
  (void)ordinal;
  return unavailable("HIP backend not built yet");
}

} // namespace detail
} // namespace rt
} // namespace attn
