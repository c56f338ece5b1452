//===- CUDADriver.h - The CUDA driver, loaded at run time -------*- C++ -*-===//
//
// Part of the attn project, the runtime library (libattnrt).
//
//===----------------------------------------------------------------------===//
//
// Private to the runtime. The runtime never links libcuda and never includes
// cuda.h: it dlopen()s libcuda.so.1 and resolves the driver API entry points
// it uses, once, into a table of function pointers. The few types and enum
// values it needs are declared here with the numeric values of cuda.h (they
// are part of the driver's stable ABI).
//
// Versioned entry points are resolved by their versioned symbol names, as
// cuda.h maps them (cuMemAlloc -> cuMemAlloc_v2, cuStreamDestroy ->
// cuStreamDestroy_v2, cuGraphInstantiate -> cuGraphInstantiateWithFlags,
// ...). Every driver call is checked; check() turns a failure into a Status
// naming the call and the driver's error name and text:
//   "cuModuleLoadDataEx failed: CUDA_ERROR_INVALID_PTX (a PTX JIT
//    compilation failed)".
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_RUNTIME_LIB_CUDA_CUDADRIVER_H
#define ATTN_RUNTIME_LIB_CUDA_CUDADRIVER_H

#include "Common/DynamicLibrary.h"
#include "attn/Runtime/Status.h"

#include <cstddef>
#include <memory>
#include <string>

namespace attn {
namespace rt {
namespace cuda {

/// The soname of the CUDA driver library.
constexpr const char *kDriverLibrary = "libcuda.so.1";

//===----------------------------------------------------------------------===//
// Driver API types (cuda.h)
//===----------------------------------------------------------------------===//

using CUresult = int;
using CUdevice = int;
using CUdeviceptr = unsigned long long;
using CUcontext = struct CUctx_st *;
using CUmodule = struct CUmod_st *;
using CUfunction = struct CUfunc_st *;
using CUstream = struct CUstream_st *;
using CUgraph = struct CUgraph_st *;
using CUgraphExec = struct CUgraphExec_st *;

// CUresult values the runtime looks at.
constexpr CUresult CUDA_SUCCESS = 0;
constexpr CUresult CUDA_ERROR_INVALID_VALUE = 1;
constexpr CUresult CUDA_ERROR_OUT_OF_MEMORY = 2;
constexpr CUresult CUDA_ERROR_NOT_INITIALIZED = 3;
constexpr CUresult CUDA_ERROR_STUB_LIBRARY = 34;
constexpr CUresult CUDA_ERROR_CALL_REQUIRES_NEWER_DRIVER = 36;
constexpr CUresult CUDA_ERROR_DEVICE_UNAVAILABLE = 46;
constexpr CUresult CUDA_ERROR_NO_DEVICE = 100;
constexpr CUresult CUDA_ERROR_INVALID_DEVICE = 101;
constexpr CUresult CUDA_ERROR_INVALID_IMAGE = 200;
constexpr CUresult CUDA_ERROR_NO_BINARY_FOR_GPU = 209;
constexpr CUresult CUDA_ERROR_INVALID_PTX = 218;
constexpr CUresult CUDA_ERROR_UNSUPPORTED_PTX_VERSION = 222;
constexpr CUresult CUDA_ERROR_JIT_COMPILER_NOT_FOUND = 221;
constexpr CUresult CUDA_ERROR_INVALID_SOURCE = 300;
constexpr CUresult CUDA_ERROR_FILE_NOT_FOUND = 301;
constexpr CUresult CUDA_ERROR_INVALID_HANDLE = 400;
constexpr CUresult CUDA_ERROR_NOT_FOUND = 500;
constexpr CUresult CUDA_ERROR_SYSTEM_DRIVER_MISMATCH = 803;
constexpr CUresult CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE = 804;

// CUdevice_attribute values.
using CUdevice_attribute = int;
constexpr CUdevice_attribute CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK = 1;
constexpr CUdevice_attribute CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_X = 2;
constexpr CUdevice_attribute CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Y = 3;
constexpr CUdevice_attribute CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Z = 4;
constexpr CUdevice_attribute CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_X = 5;
constexpr CUdevice_attribute CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Y = 6;
constexpr CUdevice_attribute CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Z = 7;
constexpr CUdevice_attribute CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT = 16;
constexpr CUdevice_attribute CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75;
constexpr CUdevice_attribute CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76;
constexpr CUdevice_attribute
    CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN = 97;

// CUfunction_attribute values.
using CUfunction_attribute = int;
constexpr CUfunction_attribute CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES =
    8;

// CUjit_option values.
using CUjit_option = int;
constexpr CUjit_option CU_JIT_ERROR_LOG_BUFFER = 5;
constexpr CUjit_option CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6;

// cuStreamCreate flags and CUstreamCaptureMode values.
constexpr unsigned CU_STREAM_DEFAULT = 0x0;
constexpr unsigned CU_STREAM_NON_BLOCKING = 0x1;
using CUstreamCaptureMode = int;
constexpr CUstreamCaptureMode CU_STREAM_CAPTURE_MODE_GLOBAL = 0;
constexpr CUstreamCaptureMode CU_STREAM_CAPTURE_MODE_THREAD_LOCAL = 1;
constexpr CUstreamCaptureMode CU_STREAM_CAPTURE_MODE_RELAXED = 2;

/// Dynamic shared memory a kernel may use without opting in (48 KiB).
constexpr unsigned kDefaultMaxDynamicSharedBytes = 48 * 1024;

//===----------------------------------------------------------------------===//
// The entry point table
//===----------------------------------------------------------------------===//

/// The driver functions, resolved from libcuda.so.1. The comment after each
/// names the symbol it is resolved from.
struct DriverApi {
  CUresult (*cuInit)(unsigned flags);
  CUresult (*cuDriverGetVersion)(int *version);
  CUresult (*cuGetErrorName)(CUresult error, const char **name);
  CUresult (*cuGetErrorString)(CUresult error, const char **text);
  CUresult (*cuDeviceGet)(CUdevice *device, int ordinal);
  CUresult (*cuDeviceGetCount)(int *count);
  CUresult (*cuDeviceGetName)(char *name, int length, CUdevice device);
  CUresult (*cuDeviceGetAttribute)(int *value, CUdevice_attribute attribute,
                                   CUdevice device);
  CUresult (*cuDevicePrimaryCtxRetain)(CUcontext *context, CUdevice device);
  CUresult (*cuDevicePrimaryCtxRelease)(CUdevice device); // _v2
  CUresult (*cuCtxSetCurrent)(CUcontext context);
  CUresult (*cuCtxGetCurrent)(CUcontext *context);
  CUresult (*cuCtxSynchronize)();
  CUresult (*cuMemAlloc)(CUdeviceptr *ptr, size_t bytes);             // _v2
  CUresult (*cuMemFree)(CUdeviceptr ptr);                             // _v2
  CUresult (*cuMemcpyHtoD)(CUdeviceptr dst, const void *src, size_t); // _v2
  CUresult (*cuMemcpyDtoH)(void *dst, CUdeviceptr src, size_t);       // _v2
  CUresult (*cuMemcpyDtoD)(CUdeviceptr dst, CUdeviceptr src, size_t); // _v2
  CUresult (*cuMemsetD8)(CUdeviceptr dst, unsigned char value,
                         size_t count); // _v2
  CUresult (*cuModuleLoadData)(CUmodule *module, const void *image);
  CUresult (*cuModuleLoadDataEx)(CUmodule *module, const void *image,
                                 unsigned numOptions, CUjit_option *options,
                                 void **optionValues);
  CUresult (*cuModuleUnload)(CUmodule module);
  CUresult (*cuModuleGetFunction)(CUfunction *function, CUmodule module,
                                  const char *name);
  CUresult (*cuFuncSetAttribute)(CUfunction function,
                                 CUfunction_attribute attribute, int value);
  CUresult (*cuOccupancyMaxActiveBlocksPerMultiprocessor)(
      int *blocks, CUfunction function, int blockSize, size_t sharedBytes);
  CUresult (*cuLaunchKernel)(CUfunction function, unsigned gridX,
                             unsigned gridY, unsigned gridZ, unsigned blockX,
                             unsigned blockY, unsigned blockZ,
                             unsigned sharedBytes, CUstream stream,
                             void **kernelParams, void **extra);
  // Streams and graphs: the runtime launches on the caller's streams; these
  // serve tests and tools that capture launches into a CUDA graph.
  CUresult (*cuStreamCreate)(CUstream *stream, unsigned flags);
  CUresult (*cuStreamDestroy)(CUstream stream); // _v2
  CUresult (*cuStreamSynchronize)(CUstream stream);
  CUresult (*cuStreamBeginCapture)(CUstream stream,
                                   CUstreamCaptureMode mode); // _v2
  CUresult (*cuStreamEndCapture)(CUstream stream, CUgraph *graph);
  CUresult (*cuGraphInstantiate)(CUgraphExec *exec, CUgraph graph,
                                 unsigned long long flags); // WithFlags
  CUresult (*cuGraphLaunch)(CUgraphExec exec, CUstream stream);
  CUresult (*cuGraphDestroy)(CUgraph graph);
  CUresult (*cuGraphExecDestroy)(CUgraphExec exec);
};

class CUDADriver {
public:
  /// Loads libcuda.so.1 and resolves every entry point of DriverApi.
  /// Unavailable: "no CUDA driver (libcuda.so.1 not found)", or a driver
  /// that lacks an entry point ("... does not export cuGraphLaunch").
  /// Does not call cuInit.
  static StatusOr<std::shared_ptr<CUDADriver>> load();

  const DriverApi &api() const { return api_; }
  const DriverApi *operator->() const { return &api_; }

  /// "CUDA_ERROR_INVALID_PTX", or "CUDA error 12345" for unknown codes.
  std::string errorName(CUresult result) const;
  /// "CUDA_ERROR_INVALID_PTX (a PTX JIT compilation failed)".
  std::string describe(CUresult result) const;
  /// Ok for CUDA_SUCCESS; else "<call> failed: <describe(result)>" with a
  /// code chosen by statusCodeFor().
  Status check(const char *call, CUresult result) const;

private:
  CUDADriver() = default;

  detail::DynamicLibrary library_;
  DriverApi api_ = {};
};

/// The Status code a driver error maps to: OutOfMemory for
/// CUDA_ERROR_OUT_OF_MEMORY; Unavailable when the driver or device cannot be
/// used (no device, stub library, driver too old); InvalidArgument for bad
/// images, PTX, values and handles; Internal otherwise.
StatusCode statusCodeFor(CUresult result);

} // namespace cuda
} // namespace rt
} // namespace attn

#endif // ATTN_RUNTIME_LIB_CUDA_CUDADRIVER_H
