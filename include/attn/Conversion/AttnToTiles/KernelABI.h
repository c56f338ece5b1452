//===- KernelABI.h - argument positions of the kernel ABI -------*- C++ -*-===//
//
// The argument lists of the kernel functions (docs/KernelABI.md), shared by
// the tiles lowering that defines them and the backends that wrap them.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_CONVERSION_ATTNTOTILES_KERNELABI_H
#define ATTN_CONVERSION_ATTNTOTILES_KERNELABI_H

namespace mlir::attn::abi {

/// Leading program-id arguments of every neutral kernel function.
enum : unsigned { kPidX = 0, kPidY, kPidZ, kNumPids };

/// Attention kernels (_2d, _split, _reduce), after the program ids.
enum AttentionArg : unsigned {
  kQ = 0, kK, kV, kBlockTable, kSeqLens, kCuSeqlensQ, kCuSeqlensK, kSinks,
  kAlibiSlopes, kMmPrefixRanges, kQqBias, kKScale, kVScale, kOutScale, kOut,
  kLse, kPartialOut, kPartialLse,
  // i32 scalars
  kNumSeqs, kNumTokens, kMaxBlocksPerSeq, kMaxMmRanges, kQqBiasStride,
  kSplitSegments, // segments a split launch uses (0: all of the plan's)
  kNumAttentionArgs
};
constexpr unsigned kFirstAttentionScalar = kNumSeqs;

/// Cache-write kernels (_write), after the program ids.
enum CacheWriteArg : unsigned {
  kKey = 0, kValue, kKCache, kVCache, kSlotMapping, kWriteKScale,
  kWriteVScale,
  // i32 scalars
  kWriteNumTokens, kNumSlots,
  kNumCacheWriteArgs
};
constexpr unsigned kFirstCacheWriteScalar = kWriteNumTokens;

} // namespace mlir::attn::abi

#endif // ATTN_CONVERSION_ATTNTOTILES_KERNELABI_H
