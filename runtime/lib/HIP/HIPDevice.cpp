//===- HIPDevice.cpp - The HIP backend ------------------------------------===//
//
// Part of the attn project, the runtime library (libattnrt).
//
//===----------------------------------------------------------------------===//
//
// The HIP device (memory, copies, launches) and its modules, GPU bundles:
//
//   <stem>.hsaco   the code object (or a clang offload bundle of code
//                  objects), loaded with hipModuleLoadData
//   <stem>.json    the manifest, the schema of host bundles plus "launch"
//
// The manifest, the launch metadata, the grids and the launch checks are
// the CUDA backend's (Common/GPUModule): a function runs the ABI's linear
// program range as the 3-D grid
//
//   _2d      (num_q_blocks, kv_heads, 1)
//   _split   (num_q_blocks, kv_heads, segments)
//   _reduce  (num_tokens,   heads,    1)
//   _write   (num_tokens,   kv_heads, 1)
//
// with the block and dynamic shared memory (LDS) of its "launch" entry, and
// gets the ABI's arguments without pid_begin/pid_end as kernelParams.
//
// This backend has not been run on AMD hardware.
//
//===----------------------------------------------------------------------===//

#include "HIP/HIPDevice.h"

#include "Common/Backends.h"
#include "attn/Runtime/KernelABI.h"
#include "attn/Runtime/Module.h"

#include <cstdint>

namespace attn {
namespace rt {
namespace hip {

using gpu::withContext;

//===----------------------------------------------------------------------===//
// DeviceGuard
//===----------------------------------------------------------------------===//

DeviceGuard::DeviceGuard(const HIPDevice &device) : driver_(device.driver()) {
  int current = -1;
  status_ = driver_.check("hipGetDevice", driver_->hipGetDevice(&current));
  if (!status_.isOk() || current == device.ordinal())
    return;
  status_ =
      driver_.check("hipSetDevice", driver_->hipSetDevice(device.ordinal()));
  if (status_.isOk() && current >= 0) {
    previous_ = current;
    restore_ = true;
  }
}

DeviceGuard::~DeviceGuard() {
  if (restore_)
    (void)driver_->hipSetDevice(previous_);
}

//===----------------------------------------------------------------------===//
// HIPDevice
//===----------------------------------------------------------------------===//

HIPDevice::HIPDevice(std::shared_ptr<HIPDriver> driver, int ordinal,
                     std::string deviceName, DeviceLimits limits)
    : driver_(std::move(driver)), ordinal_(ordinal),
      deviceName_(std::move(deviceName)), limits_(limits) {}

HIPDevice::~HIPDevice() {
  // Memory the user did not free goes with the device.
  DeviceGuard guard(*this);
  if (guard.status().isOk())
    for (void *ptr : allocations_)
      (void)(*driver_)->hipFree(ptr);
}

std::string HIPDevice::name() const {
  std::string text = "hip:" + std::to_string(ordinal_) + " (" + deviceName_ +
                     ", " + std::to_string(limits_.multiprocessors) + " CUs";
  if (limits_.warpSize > 0)
    text += ", wave" + std::to_string(limits_.warpSize);
  return text + ")";
}

StatusOr<void *> HIPDevice::allocateRaw(size_t bytes) {
  if (bytes == 0)
    return invalidArgument("cannot allocate 0 bytes on the hip device");
  DeviceGuard guard(*this);
  ATTN_RT_RETURN_IF_ERROR(guard.status());
  void *ptr = nullptr;
  Status status =
      driver_->check("hipMalloc", (*driver_)->hipMalloc(&ptr, bytes));
  if (!status.isOk())
    return Status(status.code() == StatusCode::InvalidArgument
                      ? StatusCode::OutOfMemory
                      : status.code(),
                  detail::concat("cannot allocate ", bytes, " bytes on ",
                                 name(), ": ", status.message()));
  if (!ptr)
    return internalError("hipMalloc returned a null pointer for ", bytes,
                         " bytes");
  std::lock_guard<std::mutex> lock(allocationsMutex_);
  allocations_.insert(ptr);
  return ptr;
}

Status HIPDevice::free(void *ptr) {
  if (!ptr)
    return Status::ok();
  {
    std::lock_guard<std::mutex> lock(allocationsMutex_);
    auto it = allocations_.find(ptr);
    if (it == allocations_.end())
      return invalidArgument("hip device: free(", ptr,
                             ") of memory this device did not allocate "
                             "(or already freed)");
    allocations_.erase(it);
  }
  DeviceGuard guard(*this);
  ATTN_RT_RETURN_IF_ERROR(guard.status());
  return driver_->check("hipFree", (*driver_)->hipFree(ptr));
}

Status HIPDevice::copyToDevice(void *dst, const void *src, size_t bytes) {
  ATTN_RT_RETURN_IF_ERROR(detail::checkCopy("copy to device", dst, src, bytes));
  if (!bytes)
    return Status::ok();
  DeviceGuard guard(*this);
  ATTN_RT_RETURN_IF_ERROR(guard.status());
  return driver_->check(
      "hipMemcpy(hipMemcpyHostToDevice)",
      (*driver_)->hipMemcpy(dst, src, bytes, hipMemcpyHostToDevice));
}

Status HIPDevice::copyToHost(void *dst, const void *src, size_t bytes) {
  ATTN_RT_RETURN_IF_ERROR(detail::checkCopy("copy to host", dst, src, bytes));
  if (!bytes)
    return Status::ok();
  DeviceGuard guard(*this);
  ATTN_RT_RETURN_IF_ERROR(guard.status());
  return driver_->check(
      "hipMemcpy(hipMemcpyDeviceToHost)",
      (*driver_)->hipMemcpy(dst, src, bytes, hipMemcpyDeviceToHost));
}

Status HIPDevice::copyOnDevice(void *dst, const void *src, size_t bytes) {
  ATTN_RT_RETURN_IF_ERROR(detail::checkCopy("copy on device", dst, src, bytes));
  if (!bytes)
    return Status::ok();
  DeviceGuard guard(*this);
  ATTN_RT_RETURN_IF_ERROR(guard.status());
  return driver_->check(
      "hipMemcpy(hipMemcpyDeviceToDevice)",
      (*driver_)->hipMemcpy(dst, src, bytes, hipMemcpyDeviceToDevice));
}

Status HIPDevice::memset(void *dst, int value, size_t bytes) {
  if (bytes && !dst)
    return invalidArgument("memset of ", bytes, " bytes at a null pointer");
  if (!bytes)
    return Status::ok();
  DeviceGuard guard(*this);
  ATTN_RT_RETURN_IF_ERROR(guard.status());
  return driver_->check(
      "hipMemset",
      (*driver_)->hipMemset(dst, static_cast<unsigned char>(value), bytes));
}

Status HIPDevice::synchronize() {
  DeviceGuard guard(*this);
  ATTN_RT_RETURN_IF_ERROR(guard.status());
  return driver_->check("hipDeviceSynchronize",
                        (*driver_)->hipDeviceSynchronize());
}

//===----------------------------------------------------------------------===//
// GPU bundles
//===----------------------------------------------------------------------===//

namespace {

/// A code object loaded with the runtime; the manifest, the functions and
/// their launch metadata are gpu::GPUModule's.
class HIPModule final : public gpu::GPUModule {
public:
  HIPModule(HIPDevice &device, std::string path, hipModule_t module)
      : GPUModule(device, std::move(path), device.limits(),
                  kDefaultMaxDynamicSharedBytes),
        device_(device), module_(module) {}

  ~HIPModule() override {
    DeviceGuard guard(device_);
    if (guard.status().isOk())
      (void)device_.driver()->hipModuleUnload(module_);
  }

protected:
  StatusOr<void *> getFunction(const std::string &symbol) override {
    DeviceGuard guard(device_);
    ATTN_RT_RETURN_IF_ERROR(guard.status());
    hipFunction_t function = nullptr;
    ATTN_RT_RETURN_IF_ERROR(device_.driver().check(
        "hipModuleGetFunction", device_.driver()->hipModuleGetFunction(
                                    &function, module_, symbol.c_str())));
    if (!function)
      return internalError("hipModuleGetFunction returned a null function "
                           "for '",
                           symbol, "'");
    return static_cast<void *>(function);
  }

  // As on CUDA, above 48 KiB the function's dynamic shared memory limit is
  // raised once, at load. On AMD GPUs this is a hint (any function may use
  // the device's LDS per block, which the manifest was checked against);
  // runtimes that check it reject a size the function's static LDS leaves
  // no room for (hipErrorInvalidValue), which is an error here too. A
  // runtime that does not accept a module's function there
  // (hipErrorInvalidDeviceFunction) has nothing to raise.
  Status setMaxDynamicSharedBytes(void *function, unsigned bytes,
                                  const std::string &what) override {
    DeviceGuard guard(device_);
    ATTN_RT_RETURN_IF_ERROR(guard.status());
    hipError_t result = device_.driver()->hipFuncSetAttribute(
        function, hipFuncAttributeMaxDynamicSharedMemorySize,
        static_cast<int>(bytes));
    if (result == hipErrorInvalidDeviceFunction)
      return Status::ok();
    return withContext(
        device_.driver().check(
            "hipFuncSetAttribute(hipFuncAttributeMaxDynamicSharedMemorySize)",
            result),
        what);
  }

  // The kernel's max_flat_workgroup_size; a launch with a larger block
  // fails (hipErrorLaunchFailure), so loading checks the manifest against
  // it. 0 (not checked) when the runtime cannot say.
  StatusOr<int> maxThreadsPerBlock(void *function) override {
    const HIPDriver &driver = device_.driver();
    if (!driver->hipFuncGetAttribute)
      return 0;
    DeviceGuard guard(device_);
    ATTN_RT_RETURN_IF_ERROR(guard.status());
    int value = 0;
    if (driver->hipFuncGetAttribute(
            &value, HIP_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK,
            static_cast<hipFunction_t>(function)) != hipSuccess)
      return 0;
    return value > 0 ? value : 0;
  }

private:
  HIPDevice &device_;
  hipModule_t module_;
};

} // namespace

StatusOr<std::unique_ptr<Module>>
HIPDevice::loadModule(const std::string &path) {
  ATTN_RT_ASSIGN_OR_RETURN(gpu::BundleFiles files,
                           gpu::readBundle(path, "hip", {"hsaco"}));
  const std::string &imagePath = files.imagePath;

  DeviceGuard guard(*this);
  ATTN_RT_RETURN_IF_ERROR(guard.status());
  hipModule_t hipModule = nullptr;
  hipError_t result =
      (*driver_)->hipModuleLoadData(&hipModule, files.image.data());
  if (result != hipSuccess) {
    Status status = driver_->check("hipModuleLoadData", result);
    bool wrongTarget = result == hipErrorInvalidImage ||
                       result == hipErrorNoBinaryForGpu ||
                       result == hipErrorInvalidKernelFile ||
                       result == hipErrorSharedObjectInitFailed;
    return Status(status.code(),
                  "cannot load hip module '" + imagePath +
                      "': " + status.message() +
                      (wrongTarget ? "; the .hsaco must be an AMDGPU code "
                                     "object (or an offload bundle of them) "
                                     "built for this GPU's architecture"
                                   : ""));
  }
  if (!hipModule)
    return internalError("hipModuleLoadData returned a null module for '",
                         imagePath, "'");

  auto module = std::make_unique<HIPModule>(*this, imagePath, hipModule);
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

/// An AMD dispatch counts work-items, not blocks, per dimension in 32 bits.
constexpr int64_t kMaxWorkItemsPerDim = 4294967295LL;
} // namespace

Status HIPDevice::launch(const Function &fn, int64_t grid,
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

Status HIPDevice::launch(const Function &fn, int64_t grid,
                         const CacheWriteLaunchParams &params, void *stream) {
  const CacheWriteLaunchParams &p = params;
  void *args[ATTN_CACHE_WRITE_NUM_ARGS];
  pack(args, &p.key, &p.value, &p.kCache, &p.vCache, &p.slotMapping, &p.kScale,
       &p.vScale, &p.numTokens, &p.numSlots);
  return launchPacked(fn, grid, args, ATTN_CACHE_WRITE_NUM_ARGS, stream);
}

// The hot path: no allocation (errors aside), no synchronization.
Status HIPDevice::launchPacked(const Function &fn, int64_t grid, void **args,
                               int numArgs, void *stream) {
  const gpu::GpuFunction *f = nullptr;
  int64_t gridX = 0;
  ATTN_RT_RETURN_IF_ERROR(
      gpu::checkLaunch(*this, limits_, fn, grid, numArgs, f, gridX));
  if (gridX == 0)
    return Status::ok();
  if (gridX * f->block[0] > kMaxWorkItemsPerDim)
    return invalidArgument("launch of '", f->symbol, "': grid x = ", gridX,
                           " blocks of ", f->block[0],
                           " threads exceeds the 2^32 - 1 work-items per "
                           "dimension of an AMD GPU dispatch");

  DeviceGuard guard(*this);
  ATTN_RT_RETURN_IF_ERROR(guard.status());
  hipError_t result = (*driver_)->hipModuleLaunchKernel(
      static_cast<hipFunction_t>(f->function), static_cast<unsigned>(gridX),
      f->gridY, f->gridZ, f->block[0], f->block[1], f->block[2], f->sharedBytes,
      static_cast<hipStream_t>(stream), args, nullptr);
  if (result != hipSuccess)
    return gpu::launchFailed(driver_->check("hipModuleLaunchKernel", result), *f, gridX,
                             stream);
  return Status::ok();
}

} // namespace hip

//===----------------------------------------------------------------------===//
// Opening
//===----------------------------------------------------------------------===//

namespace detail {

StatusOr<std::unique_ptr<Device>> openHIPDevice(int ordinal) {
  using namespace hip;
  StatusOr<std::shared_ptr<HIPDriver>> loaded = HIPDriver::load();
  if (!loaded.isOk())
    return loaded.status();
  std::shared_ptr<HIPDriver> driver = std::move(*loaded);
  const HIPDriver &d = *driver;

  // Errors of the runtime at open name it: "HIP runtime libamdhip64.so.6:
  // hipInit failed: hipErrorNoDevice (...)".
  const std::string runtime = "HIP runtime " + d.libraryName();
  hipError_t result = d->hipInit(0);
  if (result != hipSuccess) {
    Status status = d.check("hipInit", result);
    // Whatever hipInit says, the backend cannot run here.
    return unavailable(runtime, ": ", status.message());
  }
  int count = 0;
  ATTN_RT_RETURN_IF_ERROR(withContext(
      d.check("hipGetDeviceCount", d->hipGetDeviceCount(&count)), runtime));
  if (ordinal >= count)
    return notFound("hip device ", ordinal, " does not exist (", count,
                    count == 1 ? " device)" : " devices)");
  hipDevice_t device = 0;
  ATTN_RT_RETURN_IF_ERROR(
      d.check("hipDeviceGet", d->hipDeviceGet(&device, ordinal)));

  char nameBuffer[256] = {};
  ATTN_RT_RETURN_IF_ERROR(
      d.check("hipDeviceGetName",
              d->hipDeviceGetName(nameBuffer, sizeof(nameBuffer) - 1, device)));

  hip::DeviceLimits limits;
  struct {
    hipDeviceAttribute_t attribute;
    const char *name;
    int *value;
  } attributes[] = {
      {hipDeviceAttributeMultiprocessorCount,
       "hipDeviceAttributeMultiprocessorCount", &limits.multiprocessors},
      {hipDeviceAttributeMaxThreadsPerBlock,
       "hipDeviceAttributeMaxThreadsPerBlock", &limits.maxThreadsPerBlock},
      {hipDeviceAttributeMaxBlockDimX, "hipDeviceAttributeMaxBlockDimX",
       &limits.maxBlock[0]},
      {hipDeviceAttributeMaxBlockDimY, "hipDeviceAttributeMaxBlockDimY",
       &limits.maxBlock[1]},
      {hipDeviceAttributeMaxBlockDimZ, "hipDeviceAttributeMaxBlockDimZ",
       &limits.maxBlock[2]},
      {hipDeviceAttributeMaxGridDimX, "hipDeviceAttributeMaxGridDimX",
       &limits.maxGrid[0]},
      {hipDeviceAttributeMaxGridDimY, "hipDeviceAttributeMaxGridDimY",
       &limits.maxGrid[1]},
      {hipDeviceAttributeMaxGridDimZ, "hipDeviceAttributeMaxGridDimZ",
       &limits.maxGrid[2]},
      {hipDeviceAttributeMaxSharedMemoryPerBlock,
       "hipDeviceAttributeMaxSharedMemoryPerBlock", &limits.maxSharedOptin},
      {hipDeviceAttributeWarpSize, "hipDeviceAttributeWarpSize",
       &limits.warpSize},
  };
  for (const auto &a : attributes)
    ATTN_RT_RETURN_IF_ERROR(withContext(
        d.check("hipDeviceGetAttribute",
                d->hipDeviceGetAttribute(a.value, a.attribute, ordinal)),
        "hip device " + std::to_string(ordinal) + ": attribute " + a.name));
  if (limits.multiprocessors < 1)
    limits.multiprocessors = 1;
  return std::unique_ptr<Device>(
      new HIPDevice(std::move(driver), ordinal, nameBuffer, limits));
}

} // namespace detail
} // namespace rt
} // namespace attn
