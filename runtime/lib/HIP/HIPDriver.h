//===- HIPDriver.h - The HIP runtime, loaded at run time --------*- C++ -*-===//
//
// Part of the attn project, the runtime library (libattnrt).
//
//===----------------------------------------------------------------------===//
//
// Private to the runtime. The runtime never links libamdhip64: it dlopen()s
// libamdhip64.so so that one build runs with or without ROCm.
// The entry points (hipInit, hipModuleLoadData, hipModuleLaunchKernel, ...)
// will be resolved here, once, when the HIP backend is built.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_RUNTIME_LIB_HIP_HIPDRIVER_H
#define ATTN_RUNTIME_LIB_HIP_HIPDRIVER_H

#include "Common/DynamicLibrary.h"
#include "attn/Runtime/Status.h"

namespace attn {
namespace rt {
namespace hip {

/// The soname of the HIP runtime library.
constexpr const char *kDriverLibrary = "libamdhip64.so";

class HIPDriver {
public:
  /// Loads the driver library; Unavailable when it is not installed.
  static StatusOr<HIPDriver> load();

private:
  explicit HIPDriver(detail::DynamicLibrary library)
      : library_(std::move(library)) {}

  detail::DynamicLibrary library_;
};

} // namespace hip
} // namespace rt
} // namespace attn

#endif // ATTN_RUNTIME_LIB_HIP_HIPDRIVER_H
