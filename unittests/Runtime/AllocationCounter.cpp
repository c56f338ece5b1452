//===- AllocationCounter.cpp - Counting operator new calls ----------------===//
//
// Part of the attn project, the runtime unit tests.
//
//===----------------------------------------------------------------------===//
//
// Replaces the global operator new/delete of the test program so that tests
// can check that the runtime's launch path allocates nothing. The shared
// libattnrt binds to these definitions too (ELF symbol interposition).
// Also holds the helpers of TestUtil.h.
//
//===----------------------------------------------------------------------===//

#include "TestUtil.h"

#include <dlfcn.h>

#include <atomic>
#include <cstdlib>
#include <new>

// ThreadSanitizer's runtime defines operator new itself; allocations are not
// counted there and the tests that need counts skip.
#if defined(__SANITIZE_THREAD__)
#define ATTN_TEST_COUNT_ALLOCATIONS 0
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define ATTN_TEST_COUNT_ALLOCATIONS 0
#endif
#endif
#ifndef ATTN_TEST_COUNT_ALLOCATIONS
#define ATTN_TEST_COUNT_ALLOCATIONS 1
#endif

namespace {
std::atomic<uint64_t> gAllocations{0};
} // namespace

#if ATTN_TEST_COUNT_ALLOCATIONS
namespace {
void *allocate(std::size_t size) {
  gAllocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(size ? size : 1);
}

void *allocateAligned(std::size_t size, std::align_val_t align) {
  gAllocations.fetch_add(1, std::memory_order_relaxed);
  std::size_t alignment = static_cast<std::size_t>(align);
  std::size_t rounded = (size + alignment - 1) / alignment * alignment;
  return std::aligned_alloc(alignment, rounded ? rounded : alignment);
}
} // namespace

void *operator new(std::size_t size) {
  if (void *ptr = allocate(size))
    return ptr;
  throw std::bad_alloc();
}
void *operator new[](std::size_t size) { return operator new(size); }
void *operator new(std::size_t size, const std::nothrow_t &) noexcept {
  return allocate(size);
}
void *operator new[](std::size_t size, const std::nothrow_t &) noexcept {
  return allocate(size);
}
void *operator new(std::size_t size, std::align_val_t align) {
  if (void *ptr = allocateAligned(size, align))
    return ptr;
  throw std::bad_alloc();
}
void *operator new[](std::size_t size, std::align_val_t align) {
  return operator new(size, align);
}
void operator delete(void *ptr) noexcept { std::free(ptr); }
void operator delete[](void *ptr) noexcept { std::free(ptr); }
void operator delete(void *ptr, std::size_t) noexcept { std::free(ptr); }
void operator delete[](void *ptr, std::size_t) noexcept { std::free(ptr); }
void operator delete(void *ptr, std::align_val_t) noexcept { std::free(ptr); }
void operator delete[](void *ptr, std::align_val_t) noexcept { std::free(ptr); }
void operator delete(void *ptr, std::size_t, std::align_val_t) noexcept {
  std::free(ptr);
}
void operator delete[](void *ptr, std::size_t, std::align_val_t) noexcept {
  std::free(ptr);
}
#endif // ATTN_TEST_COUNT_ALLOCATIONS

namespace attn {
namespace rt {
namespace test {

bool countsAllocations() { return ATTN_TEST_COUNT_ALLOCATIONS; }

uint64_t allocationCount() {
  return gAllocations.load(std::memory_order_relaxed);
}

std::unique_ptr<Device> openCPU(int threads) {
  if (threads > 0)
    setenv("ATTN_NUM_THREADS", std::to_string(threads).c_str(), 1);
  StatusOr<std::unique_ptr<Device>> device = Device::open(DeviceKind::CPU, 0);
  if (threads > 0)
    unsetenv("ATTN_NUM_THREADS");
  if (!device.isOk()) {
    ADD_FAILURE() << device.status().toString();
    return nullptr;
  }
  return std::move(*device);
}

attn_test_record *testRecords() {
  // The same file as the modules the tests load, so the same instance.
  static void *handle = dlopen(ATTN_TEST_KERNELS_PATH, RTLD_NOW | RTLD_LOCAL);
  if (!handle)
    return nullptr;
  return static_cast<attn_test_record *>(dlsym(handle, "attn_test_records"));
}

void resetTestRecords() {
  static void *handle = dlopen(ATTN_TEST_KERNELS_PATH, RTLD_NOW | RTLD_LOCAL);
  auto reset =
      reinterpret_cast<attn_test_reset_fn>(dlsym(handle, "attn_test_reset"));
  if (reset)
    reset();
}

int64_t badPrograms(const attn_test_record &record, int64_t grid) {
  int64_t bad = record.out_of_range;
  for (int64_t pid = 0; pid < ATTN_TEST_MAX_PIDS; ++pid) {
    int32_t expected = pid < grid ? 1 : 0;
    if (record.hits[pid] != expected)
      ++bad;
  }
  return bad;
}

} // namespace test
} // namespace rt
} // namespace attn
