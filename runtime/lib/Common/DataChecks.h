//===- DataChecks.h - Checking index data on host memory --------*- C++ -*-===//
//
// Part of the attn project, the runtime library (libattnrt).
//
//===----------------------------------------------------------------------===//
//
// Private to the runtime. On a device whose memory the host can read (the
// CPU), the kernel objects also check the index tensors' values before a
// launch, so that a bad block table or cu_seqlens gives an error rather than
// an out-of-bounds read: cu_seqlens non-decreasing and within the token
// count, query_len <= seq_len, seq_len within the block table, block ids
// within the cache, slots within the cache. The cost is O(num_seqs + blocks
// in use), no allocation.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_RUNTIME_LIB_COMMON_DATACHECKS_H
#define ATTN_RUNTIME_LIB_COMMON_DATACHECKS_H

#include "attn/Runtime/Status.h"

#include <cstdint>

namespace attn {
namespace rt {
namespace detail {

/// cu_seqlens[0..numSeqs]: >= 0, non-decreasing, last <= total.
Status checkCuSeqlens(const char *kernel, const char *what,
                      const int32_t *cuSeqlens, int64_t numSeqs, int64_t total,
                      const char *totalName);

/// Paged attention: per sequence, query_len <= seq_len <= capacity and the
/// used block ids in [0, numBlocks). Sets maxSeqLen to the longest seq_len.
Status checkPagedSequences(const char *kernel, const int32_t *cuSeqlensQ,
                           const int32_t *seqLens, const int32_t *blockTable,
                           int64_t numSeqs, int64_t maxBlocksPerSeq,
                           int64_t blockSize, int64_t numBlocks,
                           int64_t &maxSeqLen);

/// Longest key range of a varlen batch (after checkCuSeqlens).
int64_t maxVarlenKeyLength(const int32_t *cuSeqlensK, int64_t numSeqs);

/// slot_mapping[0..numTokens): -1 (skip) or in [0, numSlots).
Status checkSlotMapping(const char *kernel, const int64_t *slotMapping,
                        int64_t numTokens, int64_t numSlots);

} // namespace detail
} // namespace rt
} // namespace attn

#endif // ATTN_RUNTIME_LIB_COMMON_DATACHECKS_H
