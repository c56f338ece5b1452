//===- CPUDevice.cpp - The host CPU backend -------------------------------===//
//
// Part of the attn project, the runtime library (libattnrt).
//
//===----------------------------------------------------------------------===//

#include "CPU/CPUDevice.h"

#include "Common/Backends.h"
#include "attn/Runtime/KernelABI.h"
#include "attn/Runtime/Module.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>

namespace attn {
namespace rt {
namespace cpu {

StatusOr<int> threadCountFromEnvironment() {
  const char *text = std::getenv("ATTN_NUM_THREADS");
  if (!text || !*text) {
    unsigned hardware = std::thread::hardware_concurrency();
    return hardware ? static_cast<int>(hardware) : 1;
  }
  char *end = nullptr;
  errno = 0;
  long value = std::strtol(text, &end, 10);
  if (errno != 0 || *end != '\0' || value < 1 || value > 4096)
    return invalidArgument("ATTN_NUM_THREADS='", text,
                           "' is not an integer in [1, 4096]");
  return static_cast<int>(value);
}

CPUDevice::CPUDevice(int numThreads) : pool_(numThreads) {}

CPUDevice::~CPUDevice() {
  // Memory the user did not free goes with the device.
  for (auto &entry : allocations_)
    std::free(entry.first);
}

std::string CPUDevice::name() const {
  int threads = pool_.numThreads();
  return "cpu (" + std::to_string(threads) +
         (threads == 1 ? " thread)" : " threads)");
}

StatusOr<void *> CPUDevice::allocateRaw(size_t bytes) {
  if (bytes == 0)
    return invalidArgument("cannot allocate 0 bytes on the cpu device");
  if (bytes > SIZE_MAX - kAlignment)
    return outOfMemory("cannot allocate ", bytes, " bytes on the cpu device");
  size_t rounded = (bytes + kAlignment - 1) / kAlignment * kAlignment;
  void *ptr = std::aligned_alloc(kAlignment, rounded);
  if (!ptr)
    return outOfMemory("cannot allocate ", bytes, " bytes on the cpu device");
  std::lock_guard<std::mutex> lock(allocationsMutex_);
  allocations_.emplace(ptr, bytes);
  return ptr;
}

Status CPUDevice::free(void *ptr) {
  if (!ptr)
    return Status::ok();
  {
    std::lock_guard<std::mutex> lock(allocationsMutex_);
    auto it = allocations_.find(ptr);
    if (it == allocations_.end())
      return invalidArgument("cpu device: free(", ptr,
                             ") of memory this device did not allocate "
                             "(or already freed)");
    allocations_.erase(it);
  }
  std::free(ptr);
  return Status::ok();
}

Status CPUDevice::copyToDevice(void *dst, const void *src, size_t bytes) {
  ATTN_RT_RETURN_IF_ERROR(detail::checkCopy("copy to device", dst, src, bytes));
  if (bytes)
    std::memmove(dst, src, bytes);
  return Status::ok();
}

Status CPUDevice::copyToHost(void *dst, const void *src, size_t bytes) {
  ATTN_RT_RETURN_IF_ERROR(detail::checkCopy("copy to host", dst, src, bytes));
  if (bytes)
    std::memmove(dst, src, bytes);
  return Status::ok();
}

Status CPUDevice::copyOnDevice(void *dst, const void *src, size_t bytes) {
  ATTN_RT_RETURN_IF_ERROR(detail::checkCopy("copy on device", dst, src, bytes));
  if (bytes)
    std::memmove(dst, src, bytes);
  return Status::ok();
}

Status CPUDevice::memset(void *dst, int value, size_t bytes) {
  if (bytes && !dst)
    return invalidArgument("memset of ", bytes, " bytes at a null pointer");
  if (bytes)
    std::memset(dst, value, bytes);
  return Status::ok();
}

StatusOr<std::unique_ptr<Module>>
CPUDevice::loadModule(const std::string &path) {
  return loadHostBundle(*this, path);
}

namespace {
/// A kernel call with its packed argument array (docs/KernelABI.md); built
/// on the stack of the launch, so launching allocates nothing.
template <int N> struct PackedCall {
  attn_host_kernel_fn fn;
  void *args[N];

  static void run(void *context, int64_t begin, int64_t end) {
    const PackedCall &c = *static_cast<const PackedCall *>(context);
    c.fn(begin, end, c.args);
  }
};

template <typename... Ts> void pack(void **args, Ts *...values) {
  int i = 0;
  ((args[i++] = const_cast<void *>(static_cast<const void *>(values))), ...);
}

Status checkLaunch(const Function &fn, int64_t grid) {
  if (!fn.isValid())
    return invalidArgument("launch of a null function");
  if (grid < 0)
    return invalidArgument("launch of '", fn.name ? fn.name : "?",
                           "' with a negative grid (", grid, ")");
  return Status::ok();
}
} // namespace

Status CPUDevice::launch(const Function &fn, int64_t grid,
                         const AttentionLaunchParams &params, void *) {
  ATTN_RT_RETURN_IF_ERROR(checkLaunch(fn, grid));
  const AttentionLaunchParams &p = params;
  PackedCall<ATTN_ATTENTION_NUM_ARGS> call;
  call.fn = reinterpret_cast<attn_host_kernel_fn>(fn.handle);
  pack(call.args, &p.q, &p.k, &p.v, &p.blockTable, &p.seqLens, &p.cuSeqlensQ,
       &p.cuSeqlensK, &p.sinks, &p.alibiSlopes, &p.mmPrefixRanges, &p.qqBias,
       &p.kScale, &p.vScale, &p.outScale, &p.out, &p.lse, &p.partialOut,
       &p.partialLse, &p.numSeqs, &p.numTokens, &p.maxBlocksPerSeq,
       &p.maxMmRanges, &p.qqBiasStride, &p.splitSegments);
  pool_.parallelFor(grid, &PackedCall<ATTN_ATTENTION_NUM_ARGS>::run, &call);
  return Status::ok();
}

Status CPUDevice::launch(const Function &fn, int64_t grid,
                         const CacheWriteLaunchParams &params, void *) {
  ATTN_RT_RETURN_IF_ERROR(checkLaunch(fn, grid));
  const CacheWriteLaunchParams &p = params;
  PackedCall<ATTN_CACHE_WRITE_NUM_ARGS> call;
  call.fn = reinterpret_cast<attn_host_kernel_fn>(fn.handle);
  pack(call.args, &p.key, &p.value, &p.kCache, &p.vCache, &p.slotMapping,
       &p.kScale, &p.vScale, &p.numTokens, &p.numSlots);
  pool_.parallelFor(grid, &PackedCall<ATTN_CACHE_WRITE_NUM_ARGS>::run, &call);
  return Status::ok();
}

} // namespace cpu

namespace detail {
StatusOr<std::unique_ptr<Device>> openCPUDevice(int ordinal) {
  if (ordinal != 0)
    return notFound("cpu device ordinal ", ordinal,
                    " does not exist (the cpu backend has device 0 only)");
  StatusOr<int> threads = cpu::threadCountFromEnvironment();
  if (!threads.isOk())
    return threads.status();
  return std::unique_ptr<Device>(new cpu::CPUDevice(*threads));
}
} // namespace detail

} // namespace rt
} // namespace attn
