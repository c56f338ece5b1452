//===- HIPTestUtil.h - Helpers of the HIP backend tests ---------*- C++ -*-===//
//
// Part of the attn project, the runtime unit tests.
//
//===----------------------------------------------------------------------===//
//
// The probe bundle of the HIP tests (HIPDeviceTest.cpp,
// HIPFakeRuntimeTest.cpp): its manifest, its code object (the real one built
// from HIPProbe.hip, or the text image of the fake runtime, FakeHIPRuntime.h),
// and a temporary directory to write bundles into.
//
// Probe shapes: heads 4, kv_heads 2, head_size 8, block_size 4, block_q 2,
// segments 3, lse=1; launch metadata
//
//   probe_2d      block [32, 1, 1],  0 shared bytes
//   probe_split   block [64, 1, 1],  65536 shared bytes (above 48 KiB)
//   probe_reduce  block [16, 2, 1],  1024 shared bytes
//   probe_write   block [32],        0 shared bytes
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_UNITTESTS_RUNTIME_HIPTESTUTIL_H
#define ATTN_UNITTESTS_RUNTIME_HIPTESTUTIL_H

#include "TestFiles.h"
#include "gtest/gtest.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#ifdef ATTN_TEST_FAKE_HIP
#include "FakeHIPRuntime.h"
#endif

namespace attn {
namespace rt {
namespace test {
namespace hiptest {

using test::contains;
using test::TempDir;

constexpr const char *kLaunch2d =
    R"("probe_2d": {"block": [32, 1, 1], "shared_bytes": 0})";
constexpr const char *kLaunchSplit =
    R"("probe_split": {"block": [64, 1, 1], "shared_bytes": 65536})";
constexpr const char *kLaunchReduce =
    R"("probe_reduce": {"block": [16, 2, 1], "shared_bytes": 1024})";
constexpr const char *kLaunchWrite =
    R"("probe_write": {"block": [32], "shared_bytes": 0})";

inline std::string defaultLaunch() {
  return std::string("{") + kLaunch2d + ", " + kLaunchSplit + ", " +
         kLaunchReduce + "}";
}

/// The manifest of the probe bundle; `launch` is the attention kernel's
/// "launch" value (empty: no "launch" key).
inline std::string probeManifest(const std::string &launch) {
  std::string text =
      R"({"version": 2, "kernels": [
 {"name": "probe", "kind": "attention", "spec": "probe",
  "heads": 4, "kv_heads": 2, "head_size": 8, "head_size_v": 8,
  "block_size": 4, "kv_layout": "paged", "dtype": "f32",
  "kv_dtype": "auto", "out_dtype": "f32", "causal": 1, "sinks": 0,
  "alibi": "none", "mm_prefix": 0, "qq_bias": 0, "lse": 1,
  "scale": 0.35, "block_q": 2, "block_m": 4, "block_n": 4, "segments": 3,
  "functions": {"2d": "probe_2d", "split": "probe_split",
                "reduce": "probe_reduce"})";
  if (!launch.empty())
    text += ",\n  \"launch\": " + launch;
  text += R"(},
 {"name": "cache", "kind": "cache_write", "kv_heads": 2, "head_size": 8,
  "block_size": 4, "dtype": "f32", "kv_dtype": "auto",
  "functions": {"write": "probe_write"},
  "launch": {)";
  text += kLaunchWrite;
  text += "}}\n]}\n";
  return text;
}

/// The probe's code object for the runtime this test program uses: the
/// fake runtime's text image, or the one the build made from HIPProbe.hip;
/// empty when there is none (`why` says so).
inline std::string probeImage(std::string &why) {
#if defined(ATTN_TEST_FAKE_HIP)
  (void)why;
  return std::string(ATTN_FAKE_HIP_MAGIC) +
         "\nprobe_2d attention 1 0\nprobe_split attention 16 6\n"
         "probe_reduce attention 256 12\nprobe_write write\n";
#elif defined(ATTN_TEST_HIP_PROBE_PATH)
  std::ifstream file(ATTN_TEST_HIP_PROBE_PATH, std::ios::binary);
  std::string image((std::istreambuf_iterator<char>(file)),
                    std::istreambuf_iterator<char>());
  if (image.empty())
    why = std::string("cannot read the probe code object '") +
          ATTN_TEST_HIP_PROBE_PATH + "'";
  return image;
#else
  why = "no probe code object: this build's C++ compiler cannot build "
        "HIPProbe.hip (it needs clang with the AMDGPU target)";
  return std::string();
#endif
}

} // namespace hiptest
} // namespace test
} // namespace rt
} // namespace attn

#endif // ATTN_UNITTESTS_RUNTIME_HIPTESTUTIL_H
