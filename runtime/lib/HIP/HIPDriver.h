//===- HIPDriver.h - The HIP runtime, loaded at run time --------*- C++ -*-===//
//
// Part of the attn project, the runtime library (libattnrt).
//
//===----------------------------------------------------------------------===//
//
// Private to the runtime. The runtime never links libamdhip64 and never
// includes the HIP headers: it dlopen()s the HIP runtime (libamdhip64.so,
// else libamdhip64.so.6, else libamdhip64.so.5) and resolves the entry points
// it uses, once, into a table of function pointers. The few types and enum
// values it needs are declared here with the numeric values of the ROCm 6.x
// headers (hip/hip_runtime_api.h and hip/driver_types.h; the values the
// runtime uses are the same in ROCm 5.x and 7.x).
//
// Every runtime call is checked; check() turns a failure into a Status
// naming the call and the runtime's error name and text:
//   "hipModuleLoadData failed: hipErrorInvalidImage (device kernel image is
//    invalid)".
//
// This backend has not been run on AMD hardware: it is tested against a fake
// HIP runtime (unittests/Runtime/FakeHIPRuntime.c) that checks the calls the
// backend makes, not what a GPU does with them.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_RUNTIME_LIB_HIP_HIPDRIVER_H
#define ATTN_RUNTIME_LIB_HIP_HIPDRIVER_H

#include "Common/DynamicLibrary.h"
#include "attn/Runtime/Status.h"

#include <cstddef>
#include <memory>
#include <string>

namespace attn {
namespace rt {
namespace hip {

/// The names the HIP runtime is loaded by, in order: the development
/// symlink, then the sonames of ROCm 6 and ROCm 5.
constexpr const char *kDriverLibraries[] = {
    "libamdhip64.so", "libamdhip64.so.6", "libamdhip64.so.5"};
/// The name errors give.
constexpr const char *kDriverLibrary = kDriverLibraries[0];

//===----------------------------------------------------------------------===//
// Runtime API types (ROCm 6.x hip/hip_runtime_api.h, hip/driver_types.h)
//===----------------------------------------------------------------------===//

using hipError_t = int;
using hipDevice_t = int;
using hipModule_t = struct ihipModule_t *;
using hipFunction_t = struct ihipModuleSymbol_t *;
using hipStream_t = struct ihipStream_t *;
using hipGraph_t = struct ihipGraph *;
using hipGraphExec_t = struct hipGraphExec *;

// hipError_t values the runtime looks at.
constexpr hipError_t hipSuccess = 0;
constexpr hipError_t hipErrorInvalidValue = 1;
constexpr hipError_t hipErrorOutOfMemory = 2;
constexpr hipError_t hipErrorNotInitialized = 3;
constexpr hipError_t hipErrorDeinitialized = 4;
constexpr hipError_t hipErrorInvalidConfiguration = 9;
constexpr hipError_t hipErrorInvalidDevicePointer = 17;
constexpr hipError_t hipErrorInvalidMemcpyDirection = 21;
constexpr hipError_t hipErrorInsufficientDriver = 35;
constexpr hipError_t hipErrorInvalidDeviceFunction = 98;
constexpr hipError_t hipErrorNoDevice = 100;
constexpr hipError_t hipErrorInvalidDevice = 101;
constexpr hipError_t hipErrorInvalidImage = 200;
constexpr hipError_t hipErrorInvalidContext = 201;
constexpr hipError_t hipErrorNoBinaryForGpu = 209;
constexpr hipError_t hipErrorInvalidKernelFile = 218;
constexpr hipError_t hipErrorInvalidSource = 300;
constexpr hipError_t hipErrorFileNotFound = 301;
constexpr hipError_t hipErrorSharedObjectSymbolNotFound = 302;
constexpr hipError_t hipErrorSharedObjectInitFailed = 303;
constexpr hipError_t hipErrorInvalidHandle = 400;
constexpr hipError_t hipErrorNotFound = 500;
constexpr hipError_t hipErrorIllegalAddress = 700;
constexpr hipError_t hipErrorLaunchOutOfResources = 701;
constexpr hipError_t hipErrorLaunchFailure = 719;
constexpr hipError_t hipErrorNotSupported = 801;
constexpr hipError_t hipErrorUnknown = 999;

// hipDeviceAttribute_t values (the CUDA-compatible range, which starts at 0).
using hipDeviceAttribute_t = int;
constexpr hipDeviceAttribute_t hipDeviceAttributeMaxBlockDimX = 26;
constexpr hipDeviceAttribute_t hipDeviceAttributeMaxBlockDimY = 27;
constexpr hipDeviceAttribute_t hipDeviceAttributeMaxBlockDimZ = 28;
constexpr hipDeviceAttribute_t hipDeviceAttributeMaxGridDimX = 29;
constexpr hipDeviceAttribute_t hipDeviceAttributeMaxGridDimY = 30;
constexpr hipDeviceAttribute_t hipDeviceAttributeMaxGridDimZ = 31;
constexpr hipDeviceAttribute_t hipDeviceAttributeMaxThreadsPerBlock = 56;
constexpr hipDeviceAttribute_t hipDeviceAttributeMultiprocessorCount = 63;
constexpr hipDeviceAttribute_t hipDeviceAttributeMaxSharedMemoryPerBlock = 74;
constexpr hipDeviceAttribute_t hipDeviceAttributeWarpSize = 87;

// hipMemcpyKind values.
using hipMemcpyKind = int;
constexpr hipMemcpyKind hipMemcpyHostToHost = 0;
constexpr hipMemcpyKind hipMemcpyHostToDevice = 1;
constexpr hipMemcpyKind hipMemcpyDeviceToHost = 2;
constexpr hipMemcpyKind hipMemcpyDeviceToDevice = 3;
constexpr hipMemcpyKind hipMemcpyDefault = 4;

// hipFuncAttribute values (hipFuncSetAttribute).
using hipFuncAttribute = int;
constexpr hipFuncAttribute hipFuncAttributeMaxDynamicSharedMemorySize = 8;

// hipFunction_attribute values (hipFuncGetAttribute).
using hipFunction_attribute = int;
constexpr hipFunction_attribute HIP_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK = 0;

// hipStreamCreateWithFlags flags and hipStreamCaptureMode values.
constexpr unsigned hipStreamDefault = 0x0;
constexpr unsigned hipStreamNonBlocking = 0x1;
using hipStreamCaptureMode = int;
constexpr hipStreamCaptureMode hipStreamCaptureModeGlobal = 0;
constexpr hipStreamCaptureMode hipStreamCaptureModeThreadLocal = 1;
constexpr hipStreamCaptureMode hipStreamCaptureModeRelaxed = 2;

/// Dynamic shared memory (LDS) above which the runtime raises a function's
/// hipFuncAttributeMaxDynamicSharedMemorySize at load, as on CUDA. On AMD
/// GPUs the attribute is a hint (every function may use the device's whole
/// LDS per block, 64 KiB on CDNA3); the manifest is checked against
/// hipDeviceAttributeMaxSharedMemoryPerBlock.
constexpr unsigned kDefaultMaxDynamicSharedBytes = 48 * 1024;

//===----------------------------------------------------------------------===//
// The entry point table
//===----------------------------------------------------------------------===//

/// The runtime functions, resolved from the HIP runtime by their own names
/// (HIP has no versioned symbols for these). The graph functions serve
/// tests and tools that capture launches; they are null when the runtime
/// lacks them.
struct DriverApi {
  hipError_t (*hipInit)(unsigned flags);
  const char *(*hipGetErrorName)(hipError_t error);
  const char *(*hipGetErrorString)(hipError_t error);
  hipError_t (*hipGetDeviceCount)(int *count);
  hipError_t (*hipDeviceGet)(hipDevice_t *device, int ordinal);
  hipError_t (*hipSetDevice)(int ordinal);
  hipError_t (*hipGetDevice)(int *ordinal);
  hipError_t (*hipDeviceGetName)(char *name, int length, hipDevice_t device);
  hipError_t (*hipDeviceGetAttribute)(int *value,
                                      hipDeviceAttribute_t attribute,
                                      int ordinal);
  hipError_t (*hipDeviceSynchronize)();
  hipError_t (*hipMalloc)(void **ptr, size_t bytes);
  hipError_t (*hipFree)(void *ptr);
  hipError_t (*hipMemcpy)(void *dst, const void *src, size_t bytes,
                          hipMemcpyKind kind);
  hipError_t (*hipMemset)(void *dst, int value, size_t bytes);
  hipError_t (*hipModuleLoadData)(hipModule_t *module, const void *image);
  hipError_t (*hipModuleUnload)(hipModule_t module);
  hipError_t (*hipModuleGetFunction)(hipFunction_t *function,
                                     hipModule_t module, const char *name);
  // Takes a `const void *` function; the runtime accepts the function of a
  // loaded module there.
  hipError_t (*hipFuncSetAttribute)(const void *function,
                                    hipFuncAttribute attribute, int value);
  hipError_t (*hipModuleLaunchKernel)(hipFunction_t function, unsigned gridX,
                                      unsigned gridY, unsigned gridZ,
                                      unsigned blockX, unsigned blockY,
                                      unsigned blockZ, unsigned sharedBytes,
                                      hipStream_t stream, void **kernelParams,
                                      void **extra);
  hipError_t (*hipStreamCreate)(hipStream_t *stream);
  hipError_t (*hipStreamCreateWithFlags)(hipStream_t *stream, unsigned flags);
  hipError_t (*hipStreamDestroy)(hipStream_t stream);
  hipError_t (*hipStreamSynchronize)(hipStream_t stream);
  // Optional (null when absent). hipFuncGetAttribute gives a function's
  // compiled limit on threads per block, which loading checks the
  // manifest's block against.
  hipError_t (*hipFuncGetAttribute)(int *value, hipFunction_attribute attribute,
                                    hipFunction_t function);
  hipError_t (*hipStreamBeginCapture)(hipStream_t stream,
                                      hipStreamCaptureMode mode);
  hipError_t (*hipStreamEndCapture)(hipStream_t stream, hipGraph_t *graph);
  hipError_t (*hipGraphInstantiateWithFlags)(hipGraphExec_t *exec,
                                             hipGraph_t graph,
                                             unsigned long long flags);
  hipError_t (*hipGraphLaunch)(hipGraphExec_t exec, hipStream_t stream);
  hipError_t (*hipGraphDestroy)(hipGraph_t graph);
  hipError_t (*hipGraphExecDestroy)(hipGraphExec_t exec);
};

class HIPDriver {
public:
  /// Loads the HIP runtime (kDriverLibraries, in order) and resolves every
  /// required entry point of DriverApi. Unavailable: "no HIP runtime
  /// (libamdhip64.so not found)", or a runtime that lacks an entry point
  /// ("... does not export hipModuleLaunchKernel"). Does not call hipInit.
  /// The first successful load is kept for the life of the process (the
  /// runtime is never unloaded); later calls return it.
  static StatusOr<std::shared_ptr<HIPDriver>> load();

  const DriverApi &api() const { return api_; }
  const DriverApi *operator->() const { return &api_; }
  /// The name the runtime was loaded by ("libamdhip64.so.6").
  const std::string &libraryName() const { return libraryName_; }

  /// "hipErrorInvalidImage", or "HIP error 12345" for unknown codes.
  std::string errorName(hipError_t result) const;
  /// "hipErrorInvalidImage (device kernel image is invalid)".
  std::string describe(hipError_t result) const;
  /// Ok for hipSuccess; else "<call> failed: <describe(result)>" with a
  /// code chosen by statusCodeFor().
  Status check(const char *call, hipError_t result) const;

private:
  HIPDriver() = default;

  detail::DynamicLibrary library_;
  std::string libraryName_;
  DriverApi api_ = {};
};

/// The Status code a runtime error maps to: OutOfMemory for
/// hipErrorOutOfMemory; Unavailable when the runtime or device cannot be
/// used (no device, driver too old, not initialized); InvalidArgument for
/// bad images, values, functions and handles; Internal otherwise.
StatusCode statusCodeFor(hipError_t result);

} // namespace hip
} // namespace rt
} // namespace attn

#endif // ATTN_RUNTIME_LIB_HIP_HIPDRIVER_H
