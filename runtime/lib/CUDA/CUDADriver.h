//===- CUDADriver.h - The CUDA driver, loaded at run time -------*- C++ -*-===//
//
// Part of the attn project, the runtime library (libattnrt).
//
//===----------------------------------------------------------------------===//
//
// Private to the runtime. The runtime never links libcuda: it dlopen()s
// libcuda.so.1 so that one build runs with or without an NVIDIA driver.
// The entry points (cuInit, cuModuleLoadData, cuLaunchKernel, ...) will be
// resolved here, once, when the CUDA backend is built.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_RUNTIME_LIB_CUDA_CUDADRIVER_H
#define ATTN_RUNTIME_LIB_CUDA_CUDADRIVER_H

#include "Common/DynamicLibrary.h"
#include "attn/Runtime/Status.h"

namespace attn {
namespace rt {
namespace cuda {

/// The soname of the CUDA driver library.
constexpr const char *kDriverLibrary = "libcuda.so.1";

class CUDADriver {
public:
  /// Loads the driver library; Unavailable when it is not installed.
  static StatusOr<CUDADriver> load();

private:
  explicit CUDADriver(detail::DynamicLibrary library)
      : library_(std::move(library)) {}

  detail::DynamicLibrary library_;
};

} // namespace cuda
} // namespace rt
} // namespace attn

#endif // ATTN_RUNTIME_LIB_CUDA_CUDADRIVER_H
