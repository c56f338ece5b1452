//===- TestUtil.h - Helpers shared by the runtime tests ---------*- C++ -*-===//
//
// Part of the attn project, the runtime unit tests.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_UNITTESTS_RUNTIME_TESTUTIL_H
#define ATTN_UNITTESTS_RUNTIME_TESTUTIL_H

#include "TestKernels.h"

#include "attn/Runtime/Device.h"
#include "attn/Runtime/Status.h"

#include "gtest/gtest.h"

#include <cstdint>
#include <memory>
#include <string>

namespace attn {
namespace rt {
namespace test {

/// Number of operator new calls so far in this process (AllocationCounter).
uint64_t allocationCount();
/// False in builds where operator new cannot be replaced (ThreadSanitizer).
bool countsAllocations();

/// Opens the CPU device with `threads` worker threads (0: the default).
std::unique_ptr<Device> openCPU(int threads = 0);

/// The recording area of the good test bundle (ATTN_TEST_KERNELS_PATH).
attn_test_record *testRecords();
/// Zeroes the records.
void resetTestRecords();

/// Programs of record `fn` that ran a number of times other than once in
/// [0, grid), or ran at or past grid; 0 when every program ran exactly once.
int64_t badPrograms(const attn_test_record &record, int64_t grid);

} // namespace test
} // namespace rt
} // namespace attn

/// Asserts a Status/StatusOr is Ok, printing the error otherwise.
#define ASSERT_OK(expr)                                                        \
  do {                                                                         \
    const auto &attnTestStatus_ = (expr);                                      \
    ASSERT_TRUE(attnTestStatus_.isOk())                                        \
        << ::attn::rt::test::statusText(attnTestStatus_);                      \
  } while (false)
#define EXPECT_OK(expr)                                                        \
  do {                                                                         \
    const auto &attnTestStatus_ = (expr);                                      \
    EXPECT_TRUE(attnTestStatus_.isOk())                                        \
        << ::attn::rt::test::statusText(attnTestStatus_);                      \
  } while (false)

namespace attn {
namespace rt {
namespace test {
inline std::string statusText(const Status &status) {
  return status.toString();
}
template <typename T> std::string statusText(const StatusOr<T> &statusOr) {
  return statusOr.status().toString();
}
} // namespace test
} // namespace rt
} // namespace attn

#endif // ATTN_UNITTESTS_RUNTIME_TESTUTIL_H
