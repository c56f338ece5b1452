//===- CUDADriver.cpp - The CUDA driver, loaded at run time ---------------===//
//
// Part of the attn project, the runtime library (libattnrt).
//
//===----------------------------------------------------------------------===//

#include "CUDA/CUDADriver.h"

namespace attn {
namespace rt {
namespace cuda {

StatusOr<CUDADriver> CUDADriver::load() {
  StatusOr<detail::DynamicLibrary> library =
      detail::DynamicLibrary::open(kDriverLibrary);
  if (!library.isOk())
    return unavailable("no CUDA driver (", kDriverLibrary, " not found)");
  return CUDADriver(std::move(*library));
}

} // namespace cuda
} // namespace rt
} // namespace attn
