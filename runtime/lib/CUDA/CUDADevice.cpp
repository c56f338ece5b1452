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
//===----------------------------------------------------------------------===//

#include "CUDA/CUDADevice.h"

#include "Common/Backends.h"
#include "attn/Runtime/Json.h"
#include "attn/Runtime/KernelABI.h"
#include "attn/Runtime/Module.h"

#include <sys/stat.h>

#include <cstdint>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
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

/// Prefixes a driver error with what was being done, keeping its code.
Status withContext(const Status &status, const std::string &what) {
  if (status.isOk())
    return status;
  return Status(status.code(), what + ": " + status.message());
}

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

static Status checkCopy(const char *what, void *dst, const void *src,
                        size_t bytes) {
  if (bytes && (!dst || !src))
    return invalidArgument(what, " of ", bytes, " bytes with a null ",
                           !dst ? "destination" : "source");
  return Status::ok();
}

Status CUDADevice::copyToDevice(void *dst, const void *src, size_t bytes) {
  ATTN_RT_RETURN_IF_ERROR(checkCopy("copy to device", dst, src, bytes));
  if (!bytes)
    return Status::ok();
  ContextGuard guard(*this);
  ATTN_RT_RETURN_IF_ERROR(guard.status());
  return driver_->check("cuMemcpyHtoD_v2",
                        (*driver_)->cuMemcpyHtoD(toDevicePtr(dst), src, bytes));
}

Status CUDADevice::copyToHost(void *dst, const void *src, size_t bytes) {
  ATTN_RT_RETURN_IF_ERROR(checkCopy("copy to host", dst, src, bytes));
  if (!bytes)
    return Status::ok();
  ContextGuard guard(*this);
  ATTN_RT_RETURN_IF_ERROR(guard.status());
  return driver_->check("cuMemcpyDtoH_v2",
                        (*driver_)->cuMemcpyDtoH(dst, toDevicePtr(src), bytes));
}

Status CUDADevice::copyOnDevice(void *dst, const void *src, size_t bytes) {
  ATTN_RT_RETURN_IF_ERROR(checkCopy("copy on device", dst, src, bytes));
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

/// Which ABI entry point a function is; fixes its grid and argument count.
enum class Role { TwoD, Split, Reduce, Write };

const char *roleName(Role role) {
  switch (role) {
  case Role::TwoD:
    return "2d";
  case Role::Split:
    return "split";
  case Role::Reduce:
    return "reduce";
  case Role::Write:
    return "write";
  }
  return "?";
}

constexpr uint32_t kGpuFunctionMagic = 0x41545446; // "ATTF"

/// What Function::handle points to for a CUDA module: the driver's function
/// and how to launch it. Owned by the CUDAModule; configured at load.
struct GpuFunction {
  uint32_t magic = kGpuFunctionMagic;
  const CUDADevice *device = nullptr;
  CUfunction function = nullptr;
  std::string symbol;
  // Set by the first kernel entry that names the function.
  bool configured = false;
  std::string kernel;
  Role role = Role::TwoD;
  int numArgs = 0;
  unsigned block[3] = {1, 1, 1};
  unsigned sharedBytes = 0;
  unsigned gridY = 1;
  unsigned gridZ = 1;
};

/// Launch metadata of one function, as read from the manifest.
struct LaunchInfo {
  unsigned block[3] = {1, 1, 1};
  unsigned sharedBytes = 0;
};

class CUDAModule final : public Module {
public:
  CUDAModule(CUDADevice &device, std::string path, CUmodule module)
      : Module(device, std::move(path)), device_(device), module_(module) {}

  ~CUDAModule() override {
    ContextGuard guard(device_);
    if (guard.status().isOk())
      (void)device_.driver()->cuModuleUnload(module_);
  }

  Status load(std::string manifestText) {
    ATTN_RT_RETURN_IF_ERROR(initialize(std::move(manifestText)));
    for (const KernelInfo &info : kernels())
      ATTN_RT_RETURN_IF_ERROR(configureKernel(info));
    return Status::ok();
  }

protected:
  StatusOr<void *> resolveFunction(const std::string &symbol) override {
    ContextGuard guard(device_);
    ATTN_RT_RETURN_IF_ERROR(guard.status());
    CUfunction function = nullptr;
    ATTN_RT_RETURN_IF_ERROR(device_.driver().check(
        "cuModuleGetFunction",
        device_.driver()->cuModuleGetFunction(&function, module_,
                                              symbol.c_str())));
    auto record = std::make_unique<GpuFunction>();
    record->device = &device_;
    record->function = function;
    record->symbol = symbol;
    void *handle = record.get();
    gpuFunctions_[symbol] = std::move(record);
    return handle;
  }

private:
  std::string where(const KernelInfo &info) const {
    return "module '" + path() + "': kernel '" + info.name + "'";
  }

  Status configureKernel(const KernelInfo &info) {
    StatusOr<json::Value> entry = json::parse(info.json);
    if (!entry.isOk())
      return internalError(where(info), ": cannot re-read its manifest entry: ",
                           entry.status().message());
    const json::Value *launch = entry->get("launch");
    if (!launch || !launch->isObject())
      return invalidArgument(
          where(info),
          ": no launch metadata; a GPU bundle's manifest entry needs "
          "\"launch\": {\"<function>\": {\"block\": [x, y, z], "
          "\"shared_bytes\": n}} for each function it names "
          "(docs/KernelABI.md, GPU bundles)");
    int64_t kvHeads = info.kvHeads;
    int64_t heads = info.heads > 0 ? info.heads : info.kvHeads;
    int64_t segments = info.segments > 0 ? info.segments : 1;
    struct {
      const std::string *symbol;
      Role role;
      int64_t gridY, gridZ;
    } roles[] = {
        {&info.functions.twoD, Role::TwoD, kvHeads, 1},
        {&info.functions.split, Role::Split, kvHeads, segments},
        {&info.functions.reduce, Role::Reduce, heads, 1},
        {&info.functions.write, Role::Write, kvHeads, 1},
    };
    for (const auto &r : roles) {
      if (r.symbol->empty())
        continue;
      ATTN_RT_RETURN_IF_ERROR(configureFunction(info, *launch, *r.symbol,
                                                r.role, r.gridY, r.gridZ));
    }
    return Status::ok();
  }

  StatusOr<LaunchInfo> readLaunchInfo(const KernelInfo &info,
                                      const json::Value &launch,
                                      const std::string &symbol) const {
    const DeviceLimits &limits = device_.limits();
    std::string prefix = where(info) + ": launch metadata of function '" +
                         symbol + "'";
    const json::Value *entry = launch.get(symbol);
    if (!entry)
      return invalidArgument(where(info), ": no launch metadata for function '",
                             symbol, "' (\"launch\" needs \"", symbol,
                             "\": {\"block\": [x, y, z], \"shared_bytes\": "
                             "n})");
    if (!entry->isObject())
      return invalidArgument(prefix, " must be an object {\"block\": [x, y, "
                                     "z], \"shared_bytes\": n}, got ",
                             json::serialize(*entry));
    LaunchInfo result;
    const json::Value *block = entry->get("block");
    if (!block)
      return invalidArgument(prefix, ": missing key \"block\" ([x, y, z])");
    if (!block->isArray() || block->size() < 1 || block->size() > 3)
      return invalidArgument(prefix,
                             ": \"block\" must be an array of 1 to 3 positive "
                             "integers, got ",
                             json::serialize(*block));
    int64_t threads = 1;
    for (size_t i = 0; i < block->size(); ++i) {
      const json::Value &dim = block->elements()[i];
      if (!dim.isInteger() || dim.asInteger() < 1 ||
          dim.asInteger() > limits.maxBlock[i])
        return invalidArgument(prefix, ": \"block\" dim ", i, " must be an "
                               "integer in [1, ", limits.maxBlock[i],
                               "], got ", json::serialize(*block));
      result.block[i] = static_cast<unsigned>(dim.asInteger());
      threads *= dim.asInteger();
    }
    if (threads > limits.maxThreadsPerBlock)
      return invalidArgument(prefix, ": \"block\" ", json::serialize(*block),
                             " has ", threads,
                             " threads; the device allows at most ",
                             limits.maxThreadsPerBlock, " per block");
    if (const json::Value *shared = entry->get("shared_bytes")) {
      if (!shared->isInteger() || shared->asInteger() < 0)
        return invalidArgument(prefix, ": \"shared_bytes\" must be a "
                               "non-negative integer, got ",
                               json::serialize(*shared));
      if (shared->asInteger() > limits.maxSharedOptin)
        return invalidArgument(prefix, ": \"shared_bytes\" = ",
                               shared->asInteger(),
                               " exceeds the device's limit of ",
                               limits.maxSharedOptin,
                               " bytes of shared memory per block");
      result.sharedBytes = static_cast<unsigned>(shared->asInteger());
    }
    return result;
  }

  Status configureFunction(const KernelInfo &info, const json::Value &launch,
                           const std::string &symbol, Role role, int64_t gridY,
                           int64_t gridZ) {
    const DeviceLimits &limits = device_.limits();
    auto it = gpuFunctions_.find(symbol);
    if (it == gpuFunctions_.end())
      return internalError(where(info), ": function '", symbol,
                           "' was not resolved");
    GpuFunction &fn = *it->second;
    ATTN_RT_ASSIGN_OR_RETURN(LaunchInfo launchInfo,
                             readLaunchInfo(info, launch, symbol));
    if (gridY < 1 || gridY > limits.maxGrid[1] || gridZ < 1 ||
        gridZ > limits.maxGrid[2])
      return invalidArgument(where(info), ": function '", symbol, "' (",
                             roleName(role), ") needs a grid of [n, ", gridY,
                             ", ", gridZ, "]; the device allows y <= ",
                             limits.maxGrid[1], " and z <= ",
                             limits.maxGrid[2]);
    int numArgs = role == Role::Write ? ATTN_CACHE_WRITE_NUM_ARGS
                                      : ATTN_ATTENTION_NUM_ARGS;
    if (fn.configured) {
      // Two manifest entries (or roles) share this function: they must
      // launch it the same way.
      bool same = fn.numArgs == numArgs && fn.gridY == gridY &&
                  fn.gridZ == gridZ &&
                  fn.sharedBytes == launchInfo.sharedBytes;
      for (int i = 0; i < 3; ++i)
        same = same && fn.block[i] == launchInfo.block[i];
      if (!same)
        return invalidArgument(
            where(info), ": function '", symbol, "' is also the ",
            roleName(fn.role), " function of kernel '", fn.kernel,
            "', with a different grid or launch metadata; use one function "
            "per launch shape");
      return Status::ok();
    }
    if (launchInfo.sharedBytes > kDefaultMaxDynamicSharedBytes) {
      ContextGuard guard(device_);
      ATTN_RT_RETURN_IF_ERROR(guard.status());
      ATTN_RT_RETURN_IF_ERROR(withContext(
          device_.driver().check(
              "cuFuncSetAttribute(CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_"
              "BYTES)",
              device_.driver()->cuFuncSetAttribute(
                  fn.function, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                  static_cast<int>(launchInfo.sharedBytes))),
          where(info) + ": function '" + symbol + "' with shared_bytes = " +
              std::to_string(launchInfo.sharedBytes)));
    }
    fn.configured = true;
    fn.kernel = info.name;
    fn.role = role;
    fn.numArgs = numArgs;
    for (int i = 0; i < 3; ++i)
      fn.block[i] = launchInfo.block[i];
    fn.sharedBytes = launchInfo.sharedBytes;
    fn.gridY = static_cast<unsigned>(gridY);
    fn.gridZ = static_cast<unsigned>(gridZ);
    return Status::ok();
  }

  CUDADevice &device_;
  CUmodule module_;
  std::map<std::string, std::unique_ptr<GpuFunction>> gpuFunctions_;
};

bool isDirectory(const std::string &path) {
  struct stat info;
  return ::stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
}

bool fileExists(const std::string &path) {
  struct stat info;
  return ::stat(path.c_str(), &info) == 0 && !S_ISDIR(info.st_mode);
}

Status readFile(const std::string &path, const char *what, std::string &out) {
  if (isDirectory(path))
    return invalidArgument("cannot load ", what, " '", path,
                           "': it is a directory");
  std::ifstream file(path, std::ios::binary);
  if (!file)
    return notFound("cannot load ", what, " '", path,
                    "': file not found or not readable");
  out.assign(std::istreambuf_iterator<char>(file),
             std::istreambuf_iterator<char>());
  if (file.bad())
    return invalidArgument("cannot load ", what, " '", path,
                           "': read error");
  return Status::ok();
}

/// Splits "dir/name.ext" into "dir/name" and "ext" (ext empty when none).
void splitExtension(const std::string &path, std::string &stem,
                    std::string &extension) {
  size_t slash = path.find_last_of('/');
  size_t dot = path.find_last_of('.');
  if (dot == std::string::npos ||
      (slash != std::string::npos && dot < slash) || dot + 1 == path.size()) {
    stem = path;
    extension.clear();
    return;
  }
  stem = path.substr(0, dot);
  extension = path.substr(dot + 1);
}

constexpr const char *kImageExtensions[] = {"cubin", "fatbin", "ptx"};

} // namespace

StatusOr<std::unique_ptr<Module>>
CUDADevice::loadModule(const std::string &path) {
  if (path.empty())
    return invalidArgument("module path is empty");

  // Find the image and the manifest.
  std::string stem, extension, imagePath, manifestPath;
  splitExtension(path, stem, extension);
  if (extension == "json") {
    manifestPath = path;
    for (const char *candidate : kImageExtensions) {
      std::string image = stem + "." + candidate;
      if (fileExists(image)) {
        imagePath = image;
        break;
      }
    }
    if (imagePath.empty()) {
      if (!fileExists(manifestPath))
        return notFound("cannot load cuda module '", path,
                        "': file not found");
      return notFound("cannot load cuda module '", path, "': no image ",
                      stem, ".cubin, ", stem, ".fatbin or ", stem,
                      ".ptx next to the manifest");
    }
  } else if (extension == "cubin" || extension == "fatbin" ||
             extension == "ptx") {
    imagePath = path;
    manifestPath = stem + ".json";
  } else {
    return invalidArgument(
        "cannot load cuda module '", path,
        "': a GPU bundle is loaded from its image (<stem>.cubin, "
        "<stem>.fatbin or <stem>.ptx, with the manifest <stem>.json beside "
        "it) or from its manifest (<stem>.json)");
  }

  std::string image, manifest;
  ATTN_RT_RETURN_IF_ERROR(readFile(imagePath, "cuda module", image));
  if (image.empty())
    return invalidArgument("cannot load cuda module '", imagePath,
                           "': the file is empty");
  if (!fileExists(manifestPath))
    return notFound("cannot load cuda module '", imagePath,
                    "': its manifest '", manifestPath,
                    "' does not exist (a GPU bundle is <stem>.cubin, "
                    ".fatbin or .ptx plus the manifest <stem>.json)");
  ATTN_RT_RETURN_IF_ERROR(readFile(manifestPath, "manifest", manifest));

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
  ATTN_RT_RETURN_IF_ERROR(module->load(std::move(manifest)));
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
       &p.maxMmRanges, &p.qqBiasStride);
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

// The hot path: no allocation (errors aside), no synchronization.
Status CUDADevice::launchPacked(const Function &fn, int64_t grid, void **args,
                                int numArgs, void *stream) {
  if (!fn.isValid())
    return invalidArgument("launch of a null function");
  const auto *f = static_cast<const GpuFunction *>(fn.handle);
  if (f->magic != kGpuFunctionMagic || f->device != this)
    return invalidArgument("launch of '", fn.name ? fn.name : "?", "' on ",
                           name(), ": the function was not loaded on it");
  if (!f->configured)
    return internalError("launch of '", f->symbol,
                         "': the function has no launch metadata");
  if (f->numArgs != numArgs)
    return invalidArgument("launch of '", f->symbol, "' with ", numArgs,
                           " arguments; it is a ", roleName(f->role),
                           " function taking ", f->numArgs);
  if (grid < 0)
    return invalidArgument("launch of '", f->symbol, "' with a negative grid (",
                           grid, ")");
  if (grid == 0)
    return Status::ok();
  int64_t inner = static_cast<int64_t>(f->gridY) * f->gridZ;
  if (grid % inner != 0)
    return internalError("launch of '", f->symbol, "': ", grid,
                         " programs are not a whole number of [", f->gridY,
                         ", ", f->gridZ, "] blocks");
  int64_t gridX = grid / inner;
  if (gridX > limits_.maxGrid[0])
    return invalidArgument("launch of '", f->symbol, "': grid x = ", gridX,
                           " exceeds the device's limit of ",
                           limits_.maxGrid[0]);

  ContextGuard guard(*this);
  ATTN_RT_RETURN_IF_ERROR(guard.status());
  CUresult result = (*driver_)->cuLaunchKernel(
      f->function, static_cast<unsigned>(gridX), f->gridY, f->gridZ,
      f->block[0], f->block[1], f->block[2], f->sharedBytes,
      static_cast<CUstream>(stream), args, nullptr);
  if (result != CUDA_SUCCESS)
    return withContext(
        driver_->check("cuLaunchKernel", result),
        detail::concat("launch of '", f->symbol, "' (grid [", gridX, ", ",
                       f->gridY, ", ", f->gridZ, "], block [", f->block[0],
                       ", ", f->block[1], ", ", f->block[2], "], ",
                       f->sharedBytes, " shared bytes, stream ", stream, ")"));
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
