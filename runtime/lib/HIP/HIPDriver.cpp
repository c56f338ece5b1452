//===- HIPDriver.cpp - The HIP runtime, loaded at run time ----------------===//
//
// Part of the attn project, the runtime library (libattnrt).
//
//===----------------------------------------------------------------------===//

#include "HIP/HIPDriver.h"

#include <cstring>
#include <mutex>

namespace attn {
namespace rt {
namespace hip {

namespace {
/// Resolves `symbol` into `slot`; false when the runtime does not export it.
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

StatusOr<std::shared_ptr<HIPDriver>> HIPDriver::load() {
  // Loaded once per process and never unloaded: ROCm's runtime starts
  // threads and registers exit handlers, so unloading it while the process
  // runs is not safe (and a process that also uses PyTorch shares it).
  static std::mutex mutex;
  static std::shared_ptr<HIPDriver> *loaded = nullptr; // Never destroyed.
  std::lock_guard<std::mutex> lock(mutex);
  if (loaded)
    return *loaded;

  std::shared_ptr<HIPDriver> driver(new HIPDriver());
  // A library that exists but does not load (a missing dependency) is
  // reported as such, not as a missing runtime.
  Status loadError;
  for (const char *name : kDriverLibraries) {
    StatusOr<detail::DynamicLibrary> library =
        detail::DynamicLibrary::open(name);
    if (library.isOk()) {
      driver->library_ = std::move(*library);
      driver->libraryName_ = name;
      break;
    }
    if (loadError.isOk() && library.status().code() != StatusCode::NotFound)
      loadError = library.status();
  }
  if (!driver->library_.isOpen()) {
    if (!loadError.isOk())
      return unavailable("no usable HIP runtime (", loadError.message(), ")");
    return unavailable("no HIP runtime (", kDriverLibrary, " not found)");
  }
  const detail::DynamicLibrary &lib = driver->library_;
  const std::string &libraryName = driver->libraryName_;
  DriverApi &api = driver->api_;

#define ATTN_HIP_RESOLVE(field)                                                \
  if (!resolve(lib, #field, api.field))                                        \
    return unavailable("the HIP runtime (", libraryName,                       \
                       ") does not export " #field                             \
                       " (the runtime is too old; the backend needs ROCm 5 "   \
                       "or newer)");
#define ATTN_HIP_RESOLVE_OPTIONAL(field) (void)resolve(lib, #field, api.field);
  ATTN_HIP_RESOLVE(hipInit)
  ATTN_HIP_RESOLVE(hipGetErrorName)
  ATTN_HIP_RESOLVE(hipGetErrorString)
  ATTN_HIP_RESOLVE(hipGetDeviceCount)
  ATTN_HIP_RESOLVE(hipDeviceGet)
  ATTN_HIP_RESOLVE(hipSetDevice)
  ATTN_HIP_RESOLVE(hipGetDevice)
  ATTN_HIP_RESOLVE(hipDeviceGetName)
  ATTN_HIP_RESOLVE(hipDeviceGetAttribute)
  ATTN_HIP_RESOLVE(hipDeviceSynchronize)
  ATTN_HIP_RESOLVE(hipMalloc)
  ATTN_HIP_RESOLVE(hipFree)
  ATTN_HIP_RESOLVE(hipMemcpy)
  ATTN_HIP_RESOLVE(hipMemset)
  ATTN_HIP_RESOLVE(hipModuleLoadData)
  ATTN_HIP_RESOLVE(hipModuleUnload)
  ATTN_HIP_RESOLVE(hipModuleGetFunction)
  ATTN_HIP_RESOLVE(hipFuncSetAttribute)
  ATTN_HIP_RESOLVE(hipModuleLaunchKernel)
  ATTN_HIP_RESOLVE(hipStreamCreate)
  ATTN_HIP_RESOLVE(hipStreamCreateWithFlags)
  ATTN_HIP_RESOLVE(hipStreamDestroy)
  ATTN_HIP_RESOLVE(hipStreamSynchronize)
  ATTN_HIP_RESOLVE_OPTIONAL(hipFuncGetAttribute)
  ATTN_HIP_RESOLVE_OPTIONAL(hipStreamBeginCapture)
  ATTN_HIP_RESOLVE_OPTIONAL(hipStreamEndCapture)
  ATTN_HIP_RESOLVE_OPTIONAL(hipGraphInstantiateWithFlags)
  ATTN_HIP_RESOLVE_OPTIONAL(hipGraphLaunch)
  ATTN_HIP_RESOLVE_OPTIONAL(hipGraphDestroy)
  ATTN_HIP_RESOLVE_OPTIONAL(hipGraphExecDestroy)
#undef ATTN_HIP_RESOLVE_OPTIONAL
#undef ATTN_HIP_RESOLVE
  loaded = new std::shared_ptr<HIPDriver>(driver);
  return driver;
}

namespace {
/// Names of the errors the runtime declares, for runtimes that cannot name
/// them.
const char *knownErrorName(hipError_t result) {
  switch (result) {
#define ATTN_HIP_ERROR_NAME(name)                                              \
  case name:                                                                   \
    return #name;
    ATTN_HIP_ERROR_NAME(hipSuccess)
    ATTN_HIP_ERROR_NAME(hipErrorInvalidValue)
    ATTN_HIP_ERROR_NAME(hipErrorOutOfMemory)
    ATTN_HIP_ERROR_NAME(hipErrorNotInitialized)
    ATTN_HIP_ERROR_NAME(hipErrorDeinitialized)
    ATTN_HIP_ERROR_NAME(hipErrorInvalidConfiguration)
    ATTN_HIP_ERROR_NAME(hipErrorInvalidDevicePointer)
    ATTN_HIP_ERROR_NAME(hipErrorInvalidMemcpyDirection)
    ATTN_HIP_ERROR_NAME(hipErrorInsufficientDriver)
    ATTN_HIP_ERROR_NAME(hipErrorInvalidDeviceFunction)
    ATTN_HIP_ERROR_NAME(hipErrorNoDevice)
    ATTN_HIP_ERROR_NAME(hipErrorInvalidDevice)
    ATTN_HIP_ERROR_NAME(hipErrorInvalidImage)
    ATTN_HIP_ERROR_NAME(hipErrorInvalidContext)
    ATTN_HIP_ERROR_NAME(hipErrorNoBinaryForGpu)
    ATTN_HIP_ERROR_NAME(hipErrorInvalidKernelFile)
    ATTN_HIP_ERROR_NAME(hipErrorInvalidSource)
    ATTN_HIP_ERROR_NAME(hipErrorFileNotFound)
    ATTN_HIP_ERROR_NAME(hipErrorSharedObjectSymbolNotFound)
    ATTN_HIP_ERROR_NAME(hipErrorSharedObjectInitFailed)
    ATTN_HIP_ERROR_NAME(hipErrorInvalidHandle)
    ATTN_HIP_ERROR_NAME(hipErrorNotFound)
    ATTN_HIP_ERROR_NAME(hipErrorIllegalAddress)
    ATTN_HIP_ERROR_NAME(hipErrorLaunchOutOfResources)
    ATTN_HIP_ERROR_NAME(hipErrorLaunchFailure)
    ATTN_HIP_ERROR_NAME(hipErrorNotSupported)
    ATTN_HIP_ERROR_NAME(hipErrorUnknown)
#undef ATTN_HIP_ERROR_NAME
  default:
    return nullptr;
  }
}
} // namespace

namespace {
/// The runtime's name of `result`, or null when it does not know the code
/// (it calls those "hipErrorUnknown").
const char *runtimeName(const DriverApi &api, hipError_t result) {
  const char *name = api.hipGetErrorName(result);
  if (!name || !*name ||
      (result != hipErrorUnknown && std::strcmp(name, "hipErrorUnknown") == 0))
    return nullptr;
  return name;
}
} // namespace

std::string HIPDriver::errorName(hipError_t result) const {
  if (const char *name = runtimeName(api_, result))
    return name;
  if (const char *known = knownErrorName(result))
    return known;
  return "HIP error " + std::to_string(result);
}

std::string HIPDriver::describe(hipError_t result) const {
  std::string text = errorName(result);
  // The runtime's text of a code it does not know is not about it.
  if (!runtimeName(api_, result))
    return text;
  const char *meaning = api_.hipGetErrorString(result);
  if (meaning && *meaning && text != meaning)
    text += std::string(" (") + meaning + ")";
  return text;
}

Status HIPDriver::check(const char *call, hipError_t result) const {
  if (result == hipSuccess)
    return Status::ok();
  return Status(statusCodeFor(result),
                std::string(call) + " failed: " + describe(result));
}

StatusCode statusCodeFor(hipError_t result) {
  switch (result) {
  case hipSuccess:
    return StatusCode::Ok;
  case hipErrorOutOfMemory:
    return StatusCode::OutOfMemory;
  case hipErrorNotInitialized:
  case hipErrorDeinitialized:
  case hipErrorInsufficientDriver:
  case hipErrorNoDevice:
  case hipErrorNotSupported:
    return StatusCode::Unavailable;
  case hipErrorInvalidValue:
  case hipErrorInvalidConfiguration:
  case hipErrorInvalidDevicePointer:
  case hipErrorInvalidMemcpyDirection:
  case hipErrorInvalidDeviceFunction:
  case hipErrorInvalidDevice:
  case hipErrorInvalidImage:
  case hipErrorNoBinaryForGpu:
  case hipErrorInvalidKernelFile:
  case hipErrorInvalidSource:
  case hipErrorFileNotFound:
  case hipErrorSharedObjectSymbolNotFound:
  case hipErrorSharedObjectInitFailed:
  case hipErrorInvalidHandle:
  case hipErrorNotFound:
    return StatusCode::InvalidArgument;
  default:
    return StatusCode::Internal;
  }
}

} // namespace hip
} // namespace rt
} // namespace attn
