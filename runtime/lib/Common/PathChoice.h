//===- PathChoice.h - The GPU's choice between 2D and split-KV --*- C++ -*-===//
//
// Part of the attn project, the runtime library (libattnrt).
//
//===----------------------------------------------------------------------===//
//
// The cost model AttentionKernel::choosePath applies on a GPU, apart so that
// the unit tests can weigh it with a real device's figures on any machine.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_RUNTIME_LIB_COMMON_PATHCHOICE_H
#define ATTN_RUNTIME_LIB_COMMON_PATHCHOICE_H

#include "attn/Runtime/AttentionKernel.h"

#include <cstdint>

namespace attn {
namespace rt {
namespace detail {

/// Programs per SM below which a GPU's 2D grid leaves it short of work
/// (measured on the H100: several programs per SM stay in flight).
constexpr int64_t kGPUProgramsPerSM = 16;

/// One launch, counted in KV tiles (block_n keys).
struct GPUPathInputs {
  /// 2D programs: query blocks times kv heads.
  int64_t programs = 0;
  /// Tiles of the longest query block: the 2D path's longest program.
  int64_t longestTiles = 0;
  /// Mean tiles per query block; <= 0: unknown (no total_seq_len hint).
  int64_t meanTiles = 0;
  /// Segments a split launch would use (AttentionKernel::splitSegments).
  int64_t segments = 0;
  /// Multiprocessors.
  int64_t units = 0;
  /// Programs of the 2D and of the split kernel the device holds at once
  /// (Device::residentPrograms); <= 0: unknown.
  int64_t resident2D = 0;
  int64_t residentSplit = 0;
};

/// Split when the 2D path's span, max(longest, work / resident_2d), exceeds
/// the split path's, max(ceil(longest / segments), work / resident_split),
/// by more than a quarter (the split pays for its partials and the reduce
/// launch); work = programs * mean tiles. Without the mean or the
/// occupancies: split when segments >= 2 and programs < 16 * units.
Path chooseGPUPath(const GPUPathInputs &in);

} // namespace detail
} // namespace rt
} // namespace attn

#endif // ATTN_RUNTIME_LIB_COMMON_PATHCHOICE_H
