//===- LaunchParams.h - Arguments of one kernel launch ----------*- C++ -*-===//
//
// Part of the attn project, the runtime library (libattnrt).
//
//===----------------------------------------------------------------------===//
//
// The argument lists of docs/KernelABI.md as plain structs. Kernel objects
// (AttentionKernel, CacheWriteKernel) fill them after validation and hand
// them to Device::launch, which maps them onto the target's calling
// convention (a direct call per program range on the CPU, a kernel parameter
// array on a GPU).
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_RUNTIME_LAUNCHPARAMS_H
#define ATTN_RUNTIME_LAUNCHPARAMS_H

#include <cstdint>

namespace attn {
namespace rt {

/// Arguments of `_2d`, `_split` and `_reduce`, in ABI order. Unused inputs
/// are null.
struct AttentionLaunchParams {
  const void *q = nullptr;
  const void *k = nullptr;
  const void *v = nullptr;
  const int32_t *blockTable = nullptr;
  const int32_t *seqLens = nullptr;
  const int32_t *cuSeqlensQ = nullptr;
  const int32_t *cuSeqlensK = nullptr;
  const float *sinks = nullptr;
  const float *alibiSlopes = nullptr;
  const int32_t *mmPrefixRanges = nullptr;
  const float *qqBias = nullptr;
  const float *kScale = nullptr;
  const float *vScale = nullptr;
  const float *outScale = nullptr;
  void *out = nullptr;
  float *lse = nullptr;
  float *partialOut = nullptr;
  float *partialLse = nullptr;
  int32_t numSeqs = 0;
  int32_t numTokens = 0;
  int32_t maxBlocksPerSeq = 0;
  int32_t maxMmRanges = 0;
  int32_t qqBiasStride = 0;
  int32_t splitSegments = 0; // _split / _reduce: segments used (0: all)
};

/// Arguments of `_write`, in ABI order.
struct CacheWriteLaunchParams {
  const void *key = nullptr;
  const void *value = nullptr;
  void *kCache = nullptr;
  void *vCache = nullptr;
  const int64_t *slotMapping = nullptr;
  const float *kScale = nullptr;
  const float *vScale = nullptr;
  int32_t numTokens = 0;
  int32_t numSlots = 0;
};

} // namespace rt
} // namespace attn

#endif // ATTN_RUNTIME_LAUNCHPARAMS_H
