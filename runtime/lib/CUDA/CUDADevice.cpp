//===- CUDADevice.cpp - The CUDA backend ----------------------------------===//
//
// Part of the attn project, the runtime library (libattnrt).
//
//===----------------------------------------------------------------------===//
//
// The CUDA device (memory, copies, launches) and its modules, GPU bundles:
//
//   <stem>.cubin | <stem>.fatbin | <stem>.ptx   the image, loaded with
//                                               cuModuleLoadDataEx (the
//                                               driver JITs PTX)
//   <stem>.json                                 the manifest, the schema of
//                                               host bundles plus "launch"
//
// Each manifest entry of a GPU bundle carries, per function it names, the
// launch metadata the image cannot tell: {"block": [x, y, z],
// "shared_bytes": n}. The grid comes from the ABI: a GPU kernel gets the
// ABI's linear program range as a 3-D grid whose blockIdx (x, y, z) are
// the row-major coordinates of the linear program id:
//
//   _2d      (num_q_blocks, kv_heads, 1)
//   _split   (num_q_blocks, kv_heads, segments)
//   _reduce  (num_tokens,   heads,    1)
//   _write   (num_tokens,   kv_heads, 1)
//
// so pid = (blockIdx.x * gridDim.y + blockIdx.y) * gridDim.z + blockIdx.z.
// The inner dims (y, z) are fixed per function by the manifest, so a launch
// of `grid` linear programs is (grid / (y * z), y, z). GPU kernels take the
// ABI's arguments without pid_begin/pid_end: kernelParams is exactly the
// 23 (attention) or 9 (cache write) argument pointers.
//
// The vendor-neutral part (reading the bundle and its launch metadata, the
// grids, the checks of a launch) is Common/GPUModule, shared with the HIP
// backend; this file has the driver calls.
//
//===----------------------------------------------------------------------===//

#include "CUDA/CUDADevice.h"

#include "Common/Backends.h"
#include "Common/GPUModule.h"
#include "attn/Runtime/KernelABI.h"
#include "attn/Runtime/Module.h"

#include <cstdint>
#include <vector>

namespace attn {
namespace rt {
namespace cuda {

namespace {

CUdeviceptr toDevicePtr(const void *ptr) {
  return static_cast<CUdeviceptr>(reinterpret_cast<uintptr_t>(ptr));
}

void *fromDevicePtr(CUdeviceptr ptr) {
  return reinterpret_cast<void *>(static_cast<uintptr_t>(ptr));
}

using gpu::withContext;

} // namespace

//===----------------------------------------------------------------------===//
// ContextGuard
//===----------------------------------------------------------------------===//

ContextGuard::ContextGuard(const CUDADevice &device)
    : driver_(device.driver()) {
  CUcontext current = nullptr;
  status_ =
      driver_.check("cuCtxGetCurrent", driver_->cuCtxGetCurrent(&current));
  if (!status_.isOk() || current == device.context())
    return;
  status_ = driver_.check("cuCtxSetCurrent",
                          driver_->cuCtxSetCurrent(device.context()));
  if (status_.isOk() && current) {
    previous_ = current;
    restore_ = true;
  }
}

ContextGuard::~ContextGuard() {
  if (restore_)
    (void)driver_->cuCtxSetCurrent(previous_);
}

//===----------------------------------------------------------------------===//
// CUDADevice
//===----------------------------------------------------------------------===//

CUDADevice::CUDADevice(std::shared_ptr<CUDADriver> driver, int ordinal,
                       CUdevice device, CUcontext context,
                       std::string deviceName, DeviceLimits limits)
    : driver_(std::move(driver)), ordinal_(ordinal), device_(device),
      context_(context), deviceName_(std::move(deviceName)), limits_(limits) {}

CUDADevice::~CUDADevice() {
  {
    // Memory the user did not free goes with the device.
    ContextGuard guard(*this);
    if (guard.status().isOk())
      for (CUdeviceptr ptr : allocations_)
        (void)(*driver_)->cuMemFree(ptr);
  }
  (void)(*driver_)->cuDevicePrimaryCtxRelease(device_);
}

std::string CUDADevice::name() const {
  std::string text = "cuda:" + std::to_string(ordinal_) + " (" + deviceName_;
  if (limits_.computeMajor > 0)
    text += ", sm_" + std::to_string(limits_.computeMajor) +
            std::to_string(limits_.computeMinor);
  text += ", " + std::to_string(limits_.multiprocessors) + " SMs)";
  return text;
}

StatusOr<void *> CUDADevice::allocateRaw(size_t bytes) {
  if (bytes == 0)
    return invalidArgument("cannot allocate 0 bytes on the cuda device");
  ContextGuard guard(*this);
  ATTN_RT_RETURN_IF_ERROR(guard.status());
  CUdeviceptr ptr = 0;
  Status status =
      driver_->check("cuMemAlloc_v2", (*driver_)->cuMemAlloc(&ptr, bytes));
  if (!status.isOk())
    return Status(status.code() == StatusCode::InvalidArgument
                      ? StatusCode::OutOfMemory
                      : status.code(),
                  detail::concat("cannot allocate ", bytes, " bytes on ",
                                 name(), ": ", status.message()));
  if (ptr == 0)
    return internalError("cuMemAlloc_v2 returned a null pointer for ", bytes,
                         " bytes");
  std::lock_guard<std::mutex> lock(allocationsMutex_);
  allocations_.insert(ptr);
  return fromDevicePtr(ptr);
}

Status CUDADevice::free(void *ptr) {
  if (!ptr)
    return Status::ok();
  CUdeviceptr devicePtr = toDevicePtr(ptr);
  {
    std::lock_guard<std::mutex> lock(allocationsMutex_);
    auto it = allocations_.find(devicePtr);
    if (it == allocations_.end())
      return invalidArgument("cuda device: free(", ptr,
                             ") of memory this device did not allocate "
                             "(or already freed)");
    allocations_.erase(it);
  }
  ContextGuard guard(*this);
  ATTN_RT_RETURN_IF_ERROR(guard.status());
  return driver_->check("cuMemFree_v2", (*driver_)->cuMemFree(devicePtr));
}

Status CUDADevice::copyToDevice(void *dst, const void *src, size_t bytes) {
  ATTN_RT_RETURN_IF_ERROR(detail::checkCopy("copy to device", dst, src, bytes));
  if (!bytes)
    return Status::ok();
  ContextGuard guard(*this);
  ATTN_RT_RETURN_IF_ERROR(guard.status());
  return driver_->check("cuMemcpyHtoD_v2",
                        (*driver_)->cuMemcpyHtoD(toDevicePtr(dst), src, bytes));
}

Status CUDADevice::copyToHost(void *dst, const void *src, size_t bytes) {
  ATTN_RT_RETURN_IF_ERROR(detail::checkCopy("copy to host", dst, src, bytes));
  if (!bytes)
    return Status::ok();
  ContextGuard guard(*this);
  ATTN_RT_RETURN_IF_ERROR(guard.status());
  return driver_->check("cuMemcpyDtoH_v2",
                        (*driver_)->cuMemcpyDtoH(dst, toDevicePtr(src), bytes));
}

Status CUDADevice::copyOnDevice(void *dst, const void *src, size_t bytes) {
  ATTN_RT_RETURN_IF_ERROR(detail::checkCopy("copy on device", dst, src, bytes));
  if (!bytes)
    return Status::ok();
  ContextGuard guard(*this);
  ATTN_RT_RETURN_IF_ERROR(guard.status());
  return driver_->check(
      "cuMemcpyDtoD_v2",
      (*driver_)->cuMemcpyDtoD(toDevicePtr(dst), toDevicePtr(src), bytes));
}

Status CUDADevice::memset(void *dst, int value, size_t bytes) {
  if (bytes && !dst)
    return invalidArgument("memset of ", bytes, " bytes at a null pointer");
  if (!bytes)
    return Status::ok();
  ContextGuard guard(*this);
  ATTN_RT_RETURN_IF_ERROR(guard.status());
  unsigned char byte = static_cast<unsigned char>(value);
  return driver_->check("cuMemsetD8_v2",
                        (*driver_)->cuMemsetD8(toDevicePtr(dst), byte, bytes));
}

Status CUDADevice::synchronize() {
  ContextGuard guard(*this);
  ATTN_RT_RETURN_IF_ERROR(guard.status());
  return driver_->check("cuCtxSynchronize", (*driver_)->cuCtxSynchronize());
}

//===----------------------------------------------------------------------===//
// GPU bundles
//===----------------------------------------------------------------------===//

namespace {

/// A GPU bundle loaded with the driver; the manifest, the functions and
/// their launch metadata are gpu::GPUModule's.
class CUDAModule final : public gpu::GPUModule {
public:
  CUDAModule(CUDADevice &device, std::string path, CUmodule module)
      : GPUModule(device, std::move(path), device.limits(),
                  kDefaultMaxDynamicSharedBytes),
        device_(device), module_(module) {}

  ~CUDAModule() override {
    ContextGuard guard(device_);
    if (guard.status().isOk())
      (void)device_.driver()->cuModuleUnload(module_);
  }

protected:
  StatusOr<void *> getFunction(const std::string &symbol) override {
    ContextGuard guard(device_);
    ATTN_RT_RETURN_IF_ERROR(guard.status());
    CUfunction function = nullptr;
    ATTN_RT_RETURN_IF_ERROR(device_.driver().check(
        "cuModuleGetFunction",
        device_.driver()->cuModuleGetFunction(&function, module_,
                                              symbol.c_str())));
    return static_cast<void *>(function);
  }

  // Above 48 KiB a function must opt in to its dynamic shared memory.
  Status setMaxDynamicSharedBytes(void *function, unsigned bytes,
                                  const std::string &what) override {
    ContextGuard guard(device_);
    ATTN_RT_RETURN_IF_ERROR(guard.status());
    return withContext(
        device_.driver().check(
            "cuFuncSetAttribute(CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_"
            "BYTES)",
            device_.driver()->cuFuncSetAttribute(
                static_cast<CUfunction>(function),
                CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                static_cast<int>(bytes))),
        what);
  }

private:
  CUDADevice &device_;
  CUmodule module_;
};

} // namespace

StatusOr<std::unique_ptr<Module>>
CUDADevice::loadModule(const std::string &path) {
  ATTN_RT_ASSIGN_OR_RETURN(
      gpu::BundleFiles files,
      gpu::readBundle(path, "cuda", {"cubin", "fatbin", "ptx"}));
  const std::string &imagePath = files.imagePath;
  const std::string &image = files.image;

  // Load the image; the driver JITs PTX (NUL-terminated: std::string is).
  ContextGuard guard(*this);
  ATTN_RT_RETURN_IF_ERROR(guard.status());
  std::vector<char> log(8192, '\0');
  CUjit_option options[] = {CU_JIT_ERROR_LOG_BUFFER,
                            CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES};
  void *optionValues[] = {
      log.data(), reinterpret_cast<void *>(static_cast<uintptr_t>(log.size()))};
  CUmodule cuModule = nullptr;
  CUresult result = (*driver_)->cuModuleLoadDataEx(&cuModule, image.data(), 2,
                                                   options, optionValues);
  if (result != CUDA_SUCCESS) {
    log.back() = '\0';
    std::string jitLog(log.data());
    while (!jitLog.empty() &&
           (jitLog.back() == '\n' || jitLog.back() == ' '))
      jitLog.pop_back();
    Status status = driver_->check("cuModuleLoadDataEx", result);
    return Status(status.code(),
                  "cannot load cuda module '" + imagePath + "': " +
                      status.message() +
                      (jitLog.empty() ? "" : "; JIT log: " + jitLog));
  }
  if (!cuModule)
    return internalError("cuModuleLoadDataEx returned a null module for '",
                         imagePath, "'");

  auto module = std::make_unique<CUDAModule>(*this, imagePath, cuModule);
  ATTN_RT_RETURN_IF_ERROR(module->load(std::move(files.manifest)));
  return std::unique_ptr<Module>(std::move(module));
}

//===----------------------------------------------------------------------===//
// Launches
//===----------------------------------------------------------------------===//

namespace {
template <typename... Ts> void pack(void **args, Ts *...values) {
  int i = 0;
  ((args[i++] = const_cast<void *>(static_cast<const void *>(values))), ...);
}
} // namespace

Status CUDADevice::launch(const Function &fn, int64_t grid,
                          const AttentionLaunchParams &params, void *stream) {
  const AttentionLaunchParams &p = params;
  void *args[ATTN_ATTENTION_NUM_ARGS];
  pack(args, &p.q, &p.k, &p.v, &p.blockTable, &p.seqLens, &p.cuSeqlensQ,
       &p.cuSeqlensK, &p.sinks, &p.alibiSlopes, &p.mmPrefixRanges, &p.qqBias,
       &p.kScale, &p.vScale, &p.outScale, &p.out, &p.lse, &p.partialOut,
       &p.partialLse, &p.numSeqs, &p.numTokens, &p.maxBlocksPerSeq,
       &p.maxMmRanges, &p.qqBiasStride, &p.splitSegments);
  return launchPacked(fn, grid, args, ATTN_ATTENTION_NUM_ARGS, stream);
}

Status CUDADevice::launch(const Function &fn, int64_t grid,
                          const CacheWriteLaunchParams &params, void *stream) {
  const CacheWriteLaunchParams &p = params;
  void *args[ATTN_CACHE_WRITE_NUM_ARGS];
  pack(args, &p.key, &p.value, &p.kCache, &p.vCache, &p.slotMapping,
       &p.kScale, &p.vScale, &p.numTokens, &p.numSlots);
  return launchPacked(fn, grid, args, ATTN_CACHE_WRITE_NUM_ARGS, stream);
}

StatusOr<int64_t> CUDADevice::residentPrograms(const Function &fn) const {
  const gpu::GpuFunction *f = nullptr;
  ATTN_RT_RETURN_IF_ERROR(gpu::resolveFunction(*this, fn, "occupancy", f));
  ContextGuard guard(*this);
  ATTN_RT_RETURN_IF_ERROR(guard.status());
  int blocks = 0;
  ATTN_RT_RETURN_IF_ERROR(withContext(
      driver_->check("cuOccupancyMaxActiveBlocksPerMultiprocessor",
                     (*driver_)->cuOccupancyMaxActiveBlocksPerMultiprocessor(
                         &blocks, static_cast<CUfunction>(f->function),
                         static_cast<int>(f->block[0] * f->block[1] *
                                          f->block[2]),
                         f->sharedBytes)),
      f->symbol));
  return static_cast<int64_t>(blocks) * limits_.multiprocessors;
}

// The hot path: no allocation (errors aside), no synchronization.
Status CUDADevice::launchPacked(const Function &fn, int64_t grid, void **args,
                                int numArgs, void *stream) {
  const gpu::GpuFunction *f = nullptr;
  int64_t gridX = 0;
  ATTN_RT_RETURN_IF_ERROR(
      gpu::checkLaunch(*this, limits_, fn, grid, numArgs, f, gridX));
  if (gridX == 0)
    return Status::ok();

  ContextGuard guard(*this);
  ATTN_RT_RETURN_IF_ERROR(guard.status());
  CUresult result = (*driver_)->cuLaunchKernel(
      static_cast<CUfunction>(f->function), static_cast<unsigned>(gridX),
      f->gridY, f->gridZ, f->block[0], f->block[1], f->block[2],
      f->sharedBytes, static_cast<CUstream>(stream), args, nullptr);
  if (result != CUDA_SUCCESS)
    return gpu::launchFailed(driver_->check("cuLaunchKernel", result), *f, gridX,
                             stream);
  return Status::ok();
}

} // namespace cuda

//===----------------------------------------------------------------------===//
// Opening
//===----------------------------------------------------------------------===//

namespace detail {

StatusOr<std::unique_ptr<Device>> openCUDADevice(int ordinal) {
  using namespace cuda;
  StatusOr<std::shared_ptr<CUDADriver>> loaded = CUDADriver::load();
  if (!loaded.isOk())
    return loaded.status();
  std::shared_ptr<CUDADriver> driver = std::move(*loaded);
  const CUDADriver &d = *driver;

  CUresult result = d->cuInit(0);
  if (result != CUDA_SUCCESS) {
    Status status = d.check("cuInit", result);
    // Whatever cuInit says, the backend cannot run here.
    return unavailable(status.message());
  }
  int count = 0;
  ATTN_RT_RETURN_IF_ERROR(
      d.check("cuDeviceGetCount", d->cuDeviceGetCount(&count)));
  if (ordinal >= count)
    return notFound("cuda device ", ordinal, " does not exist (", count,
                    count == 1 ? " device)" : " devices)");
  CUdevice device = 0;
  ATTN_RT_RETURN_IF_ERROR(
      d.check("cuDeviceGet", d->cuDeviceGet(&device, ordinal)));

  char nameBuffer[256] = {};
  ATTN_RT_RETURN_IF_ERROR(d.check(
      "cuDeviceGetName",
      d->cuDeviceGetName(nameBuffer, sizeof(nameBuffer) - 1, device)));

  DeviceLimits limits;
  struct {
    CUdevice_attribute attribute;
    int *value;
  } attributes[] = {
      {CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, &limits.multiprocessors},
      {CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK, &limits.maxThreadsPerBlock},
      {CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_X, &limits.maxBlock[0]},
      {CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Y, &limits.maxBlock[1]},
      {CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Z, &limits.maxBlock[2]},
      {CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_X, &limits.maxGrid[0]},
      {CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Y, &limits.maxGrid[1]},
      {CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Z, &limits.maxGrid[2]},
      {CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN,
       &limits.maxSharedOptin},
      {CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, &limits.computeMajor},
      {CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, &limits.computeMinor},
  };
  for (const auto &a : attributes)
    ATTN_RT_RETURN_IF_ERROR(withContext(
        d.check("cuDeviceGetAttribute",
                d->cuDeviceGetAttribute(a.value, a.attribute, device)),
        "cuda device " + std::to_string(ordinal) + ": attribute " +
            std::to_string(a.attribute)));
  if (limits.multiprocessors < 1)
    limits.multiprocessors = 1;
  if (limits.maxSharedOptin < static_cast<int>(kDefaultMaxDynamicSharedBytes))
    limits.maxSharedOptin = static_cast<int>(kDefaultMaxDynamicSharedBytes);

  CUcontext context = nullptr;
  result = d->cuDevicePrimaryCtxRetain(&context, device);
  if (result != CUDA_SUCCESS) {
    Status status = d.check("cuDevicePrimaryCtxRetain", result);
    return Status(status.code(), "cuda device " + std::to_string(ordinal) +
                                     ": " + status.message());
  }
  if (!context) {
    (void)d->cuDevicePrimaryCtxRelease(device);
    return internalError("cuDevicePrimaryCtxRetain returned a null context");
  }
  return std::unique_ptr<Device>(new CUDADevice(std::move(driver), ordinal,
                                                device, context, nameBuffer,
                                                limits));
}

} // namespace detail
} // namespace rt
} // namespace attn
