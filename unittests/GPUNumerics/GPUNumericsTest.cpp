//===- GPUNumericsTest.cpp - The GPU variant suite against the reference --===//
//
// Part of the attn project, the GPU numerics unit tests.
//
//===----------------------------------------------------------------------===//
//
// The variant suite of scripts/gpu-bundles.sh (44 variants: every variant
// of the CPU numerics suite in f32 and in bf16/f16, fp8/int8 caches, head
// sizes 40-256, GQA, model combinations, four cache writes), precompiled
// into bundles, run on a device on both launch paths (2D and split-KV +
// reduce) against the double-precision reference of test/lib/Reference,
// with the tolerance suite.txt gives each variant. One test case per
// variant and device kind:
//
//   CUDA/GPUNumerics.Variant/<name>  bundles from $ATTN_GPU_BUNDLES
//                                    (scripts/gpu-bundles.sh DIR)
//   HIP/GPUNumerics.Variant/<name>   bundles from $ATTN_HIP_BUNDLES
//                                    (scripts/gpu-bundles.sh --target=hip DIR)
//   CPU/GPUNumerics.Variant/<name>   host bundles from $ATTN_CPU_BUNDLES
//                                    (scripts/gpu-bundles.sh --target=host
//                                    DIR; in a build with the compiler, a
//                                    few variants built here by default):
//                                    checks this harness where there is no GPU
//
// The test list comes from the directory when the program starts (ctest
// lists the cases when the test is built): on a GPU machine run the
// program itself, e.g. `ATTN_GPU_BUNDLES=DIR bin/AttnGPUNumericsTests
// --gtest_filter='CUDA/*'` (scripts/gpu-check.sh does). Without a
// directory there is one case per kind, bundles_unset, which skips saying
// so (and whether a device is present); without a device every case skips
// with "no CUDA device: <reason>" ("no HIP device: ..."). A broken
// directory (suite.txt missing or with a bad line, a bundle file missing)
// fails the cases concerned with a message naming the file and line.
//
// Needs no MLIR: it builds with ATTN_BUILD_COMPILER=OFF.
//
//===----------------------------------------------------------------------===//

#include "GPUSuite.h"

#include "attn/Runtime/Device.h"

#include "gtest/gtest.h"

#include <cmath>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

using namespace attn;
using namespace attn::gpunum;

namespace attn {
namespace gpunum {
/// What gtest prints for a parameter (instead of its bytes); ctest's test
/// names end with it.
void PrintTo(const SuiteEntry &e, std::ostream *os) {
  *os << e.target->label << " " << e.name;
  switch (e.state) {
  case SuiteEntry::State::Ready:
    *os << " (batch " << e.batch << ", tolerance " << e.tolerance << ")";
    break;
  case SuiteEntry::State::Skip:
    *os << " (" << e.target->envVar << " is not set)";
    break;
  case SuiteEntry::State::Error:
    *os << " (a broken suite entry)";
    break;
  }
}
} // namespace gpunum
} // namespace attn

namespace {

/// The devices of the suite, opened once (the first case of a kind that
/// needs one) and closed after the last test.
class Devices : public ::testing::Environment {
public:
  /// The device of `target`, or null with `reason` ("no CUDA device:
  /// Unavailable: ...").
  static rt::Device *get(const SuiteTarget &target, std::string &reason) {
    auto it = slots().find(target.kind);
    if (it == slots().end()) {
      Slot slot;
      auto opened = rt::Device::open(target.kind);
      if (opened.isOk())
        slot.device = std::move(*opened);
      else
        slot.reason = std::string("no ") + target.label +
                      " device: " + opened.status().toString();
      it = slots().emplace(target.kind, std::move(slot)).first;
    }
    reason = it->second.reason;
    return it->second.device.get();
  }

  void TearDown() override { slots().clear(); }

private:
  struct Slot {
    std::unique_ptr<rt::Device> device;
    std::string reason;
  };
  static std::map<rt::DeviceKind, Slot> &slots() {
    static std::map<rt::DeviceKind, Slot> s;
    return s;
  }
};

::testing::Environment *const devicesEnvironment =
    ::testing::AddGlobalTestEnvironment(new Devices);

class GPUNumerics : public ::testing::TestWithParam<SuiteEntry> {};

TEST_P(GPUNumerics, Variant) {
  const SuiteEntry &e = GetParam();
  const SuiteTarget &target = *e.target;
  if (e.state == SuiteEntry::State::Error)
    FAIL() << target.label << " suite: " << e.message;
  std::string noDevice;
  rt::Device *device = Devices::get(target, noDevice);
  if (e.state == SuiteEntry::State::Skip) {
    if (device)
      GTEST_SKIP() << e.message << " (a " << target.label
                   << " device is present: " << device->name() << ")";
    GTEST_SKIP() << e.message << "; and " << noDevice;
  }
  if (!device)
    GTEST_SKIP() << noDevice;

  std::vector<RunResult> results;
  rt::Status st = runVariant(*device, e, results);
  ASSERT_TRUE(st.isOk()) << st.toString();
  ASSERT_FALSE(results.empty());
  std::ostringstream summary;
  summary << "[   attn   ] " << target.label << " " << e.name << " on "
          << device->name() << ":";
  for (const RunResult &r : results) {
    EXPECT_TRUE(r.pass) << target.label << " variant '" << e.name << "' ("
                        << e.image << ", batch " << e.batch << "), " << r.what
                        << ": " << r.detail;
    summary << " " << r.what << (r.pass ? " ok" : " FAILED");
    if (!std::isnan(r.relErr))
      summary << " (rel_err " << r.relErr << ")";
  }
  std::cout << summary.str() << std::endl;
}

std::string entryName(const ::testing::TestParamInfo<SuiteEntry> &info) {
  return info.param.name;
}

// The suites are read when the tests are registered (at the start of
// main), not at static initialization.
INSTANTIATE_TEST_SUITE_P(
    CUDA, GPUNumerics, ::testing::ValuesIn(suiteFromEnvironment(cudaTarget())),
    entryName);
INSTANTIATE_TEST_SUITE_P(HIP, GPUNumerics,
                         ::testing::ValuesIn(suiteFromEnvironment(hipTarget())),
                         entryName);
INSTANTIATE_TEST_SUITE_P(CPU, GPUNumerics,
                         ::testing::ValuesIn(suiteFromEnvironment(cpuTarget())),
                         entryName);

} // namespace
