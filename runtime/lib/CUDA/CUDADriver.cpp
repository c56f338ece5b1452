//===- CUDADriver.cpp - The CUDA driver, loaded at run time ---------------===//
//
// Part of the attn project, the runtime library (libattnrt).
//
//===----------------------------------------------------------------------===//

#include "CUDA/CUDADriver.h"

namespace attn {
namespace rt {
namespace cuda {

namespace {
/// Resolves `symbol` into `slot`; false when the driver does not export it.
template <typename Fn>
bool resolve(const detail::DynamicLibrary &library, const char *symbol,
             Fn &slot) {
  void *address = library.symbol(symbol);
  if (!address)
    return false;
  slot = reinterpret_cast<Fn>(address);
  return true;
}
} // namespace

StatusOr<std::shared_ptr<CUDADriver>> CUDADriver::load() {
  StatusOr<detail::DynamicLibrary> library =
      detail::DynamicLibrary::open(kDriverLibrary);
  if (!library.isOk())
    return unavailable("no CUDA driver (", kDriverLibrary, " not found)");
  std::shared_ptr<CUDADriver> driver(new CUDADriver());
  driver->library_ = std::move(*library);
  const detail::DynamicLibrary &lib = driver->library_;
  DriverApi &api = driver->api_;

#define ATTN_CUDA_RESOLVE(field, symbol)                                       \
  if (!resolve(lib, symbol, api.field))                                        \
    return unavailable("the CUDA driver (", kDriverLibrary,                    \
                       ") does not export ", symbol,                           \
                       " (the driver is too old; the runtime needs CUDA "      \
                       "11.4 or newer)");
  ATTN_CUDA_RESOLVE(cuInit, "cuInit")
  ATTN_CUDA_RESOLVE(cuDriverGetVersion, "cuDriverGetVersion")
  ATTN_CUDA_RESOLVE(cuGetErrorName, "cuGetErrorName")
  ATTN_CUDA_RESOLVE(cuGetErrorString, "cuGetErrorString")
  ATTN_CUDA_RESOLVE(cuDeviceGet, "cuDeviceGet")
  ATTN_CUDA_RESOLVE(cuDeviceGetCount, "cuDeviceGetCount")
  ATTN_CUDA_RESOLVE(cuDeviceGetName, "cuDeviceGetName")
  ATTN_CUDA_RESOLVE(cuDeviceGetAttribute, "cuDeviceGetAttribute")
  ATTN_CUDA_RESOLVE(cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain")
  ATTN_CUDA_RESOLVE(cuDevicePrimaryCtxRelease, "cuDevicePrimaryCtxRelease_v2")
  ATTN_CUDA_RESOLVE(cuCtxSetCurrent, "cuCtxSetCurrent")
  ATTN_CUDA_RESOLVE(cuCtxGetCurrent, "cuCtxGetCurrent")
  ATTN_CUDA_RESOLVE(cuCtxSynchronize, "cuCtxSynchronize")
  ATTN_CUDA_RESOLVE(cuMemAlloc, "cuMemAlloc_v2")
  ATTN_CUDA_RESOLVE(cuMemFree, "cuMemFree_v2")
  ATTN_CUDA_RESOLVE(cuMemcpyHtoD, "cuMemcpyHtoD_v2")
  ATTN_CUDA_RESOLVE(cuMemcpyDtoH, "cuMemcpyDtoH_v2")
  ATTN_CUDA_RESOLVE(cuMemcpyDtoD, "cuMemcpyDtoD_v2")
  ATTN_CUDA_RESOLVE(cuMemsetD8, "cuMemsetD8_v2")
  ATTN_CUDA_RESOLVE(cuModuleLoadData, "cuModuleLoadData")
  ATTN_CUDA_RESOLVE(cuModuleLoadDataEx, "cuModuleLoadDataEx")
  ATTN_CUDA_RESOLVE(cuModuleUnload, "cuModuleUnload")
  ATTN_CUDA_RESOLVE(cuModuleGetFunction, "cuModuleGetFunction")
  ATTN_CUDA_RESOLVE(cuFuncSetAttribute, "cuFuncSetAttribute")
  ATTN_CUDA_RESOLVE(cuOccupancyMaxActiveBlocksPerMultiprocessor,
                    "cuOccupancyMaxActiveBlocksPerMultiprocessor")
  ATTN_CUDA_RESOLVE(cuLaunchKernel, "cuLaunchKernel")
  ATTN_CUDA_RESOLVE(cuStreamCreate, "cuStreamCreate")
  ATTN_CUDA_RESOLVE(cuStreamDestroy, "cuStreamDestroy_v2")
  ATTN_CUDA_RESOLVE(cuStreamSynchronize, "cuStreamSynchronize")
  ATTN_CUDA_RESOLVE(cuStreamBeginCapture, "cuStreamBeginCapture_v2")
  ATTN_CUDA_RESOLVE(cuStreamEndCapture, "cuStreamEndCapture")
  ATTN_CUDA_RESOLVE(cuGraphInstantiate, "cuGraphInstantiateWithFlags")
  ATTN_CUDA_RESOLVE(cuGraphLaunch, "cuGraphLaunch")
  ATTN_CUDA_RESOLVE(cuGraphDestroy, "cuGraphDestroy")
  ATTN_CUDA_RESOLVE(cuGraphExecDestroy, "cuGraphExecDestroy")
#undef ATTN_CUDA_RESOLVE
  return driver;
}

namespace {
/// Names of the errors the runtime declares, for drivers that cannot name
/// them (the toolkit's stub library).
const char *knownErrorName(CUresult result) {
  switch (result) {
#define ATTN_CUDA_ERROR_NAME(name)                                             \
  case name:                                                                   \
    return #name;
    ATTN_CUDA_ERROR_NAME(CUDA_ERROR_INVALID_VALUE)
    ATTN_CUDA_ERROR_NAME(CUDA_ERROR_OUT_OF_MEMORY)
    ATTN_CUDA_ERROR_NAME(CUDA_ERROR_NOT_INITIALIZED)
    ATTN_CUDA_ERROR_NAME(CUDA_ERROR_STUB_LIBRARY)
    ATTN_CUDA_ERROR_NAME(CUDA_ERROR_CALL_REQUIRES_NEWER_DRIVER)
    ATTN_CUDA_ERROR_NAME(CUDA_ERROR_DEVICE_UNAVAILABLE)
    ATTN_CUDA_ERROR_NAME(CUDA_ERROR_NO_DEVICE)
    ATTN_CUDA_ERROR_NAME(CUDA_ERROR_INVALID_DEVICE)
    ATTN_CUDA_ERROR_NAME(CUDA_ERROR_INVALID_IMAGE)
    ATTN_CUDA_ERROR_NAME(CUDA_ERROR_NO_BINARY_FOR_GPU)
    ATTN_CUDA_ERROR_NAME(CUDA_ERROR_INVALID_PTX)
    ATTN_CUDA_ERROR_NAME(CUDA_ERROR_JIT_COMPILER_NOT_FOUND)
    ATTN_CUDA_ERROR_NAME(CUDA_ERROR_UNSUPPORTED_PTX_VERSION)
    ATTN_CUDA_ERROR_NAME(CUDA_ERROR_INVALID_SOURCE)
    ATTN_CUDA_ERROR_NAME(CUDA_ERROR_FILE_NOT_FOUND)
    ATTN_CUDA_ERROR_NAME(CUDA_ERROR_INVALID_HANDLE)
    ATTN_CUDA_ERROR_NAME(CUDA_ERROR_NOT_FOUND)
    ATTN_CUDA_ERROR_NAME(CUDA_ERROR_SYSTEM_DRIVER_MISMATCH)
    ATTN_CUDA_ERROR_NAME(CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE)
#undef ATTN_CUDA_ERROR_NAME
  default:
    return nullptr;
  }
}
} // namespace

std::string CUDADriver::errorName(CUresult result) const {
  const char *name = nullptr;
  if (api_.cuGetErrorName(result, &name) == CUDA_SUCCESS && name)
    return name;
  if (const char *known = knownErrorName(result))
    return known;
  return "CUDA error " + std::to_string(result);
}

std::string CUDADriver::describe(CUresult result) const {
  std::string text = errorName(result);
  const char *meaning = nullptr;
  if (api_.cuGetErrorString(result, &meaning) == CUDA_SUCCESS && meaning &&
      *meaning)
    text += std::string(" (") + meaning + ")";
  return text;
}

Status CUDADriver::check(const char *call, CUresult result) const {
  if (result == CUDA_SUCCESS)
    return Status::ok();
  return Status(statusCodeFor(result),
                std::string(call) + " failed: " + describe(result));
}

StatusCode statusCodeFor(CUresult result) {
  switch (result) {
  case CUDA_SUCCESS:
    return StatusCode::Ok;
  case CUDA_ERROR_OUT_OF_MEMORY:
    return StatusCode::OutOfMemory;
  case CUDA_ERROR_NOT_INITIALIZED:
  case CUDA_ERROR_STUB_LIBRARY:
  case CUDA_ERROR_CALL_REQUIRES_NEWER_DRIVER:
  case CUDA_ERROR_DEVICE_UNAVAILABLE:
  case CUDA_ERROR_NO_DEVICE:
  case CUDA_ERROR_JIT_COMPILER_NOT_FOUND:
  case CUDA_ERROR_SYSTEM_DRIVER_MISMATCH:
  case CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE:
    return StatusCode::Unavailable;
  case CUDA_ERROR_INVALID_VALUE:
  case CUDA_ERROR_INVALID_DEVICE:
  case CUDA_ERROR_INVALID_IMAGE:
  case CUDA_ERROR_NO_BINARY_FOR_GPU:
  case CUDA_ERROR_INVALID_PTX:
  case CUDA_ERROR_UNSUPPORTED_PTX_VERSION:
  case CUDA_ERROR_INVALID_SOURCE:
  case CUDA_ERROR_FILE_NOT_FOUND:
  case CUDA_ERROR_INVALID_HANDLE:
  case CUDA_ERROR_NOT_FOUND:
    return StatusCode::InvalidArgument;
  default:
    return StatusCode::Internal;
  }
}

} // namespace cuda
} // namespace rt
} // namespace attn
