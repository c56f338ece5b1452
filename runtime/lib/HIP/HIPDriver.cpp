//===- HIPDriver.cpp - The HIP runtime, loaded at run time ----------------===//
//
// Part of the attn project, the runtime library (libattnrt).
//
//===----------------------------------------------------------------------===//

#include "HIP/HIPDriver.h"

namespace attn {
namespace rt {
namespace hip {

StatusOr<HIPDriver> HIPDriver::load() {
  StatusOr<detail::DynamicLibrary> library =
      detail::DynamicLibrary::open(kDriverLibrary);
  if (!library.isOk())
    return unavailable("no HIP runtime (", kDriverLibrary, " not found)");
  return HIPDriver(std::move(*library));
}

} // namespace hip
} // namespace rt
} // namespace attn
