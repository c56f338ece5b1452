//===- DataChecks.cpp - Checking index data on host memory ----------------===//
//
// Part of the attn project, the runtime library (libattnrt).
//
//===----------------------------------------------------------------------===//

#include "Common/DataChecks.h"

#include <algorithm>

namespace attn {
namespace rt {
namespace detail {

Status checkCuSeqlens(const char *kernel, const char *what,
                      const int32_t *cuSeqlens, int64_t numSeqs, int64_t total,
                      const char *totalName) {
  if (numSeqs <= 0 || !cuSeqlens)
    return Status::ok();
  if (cuSeqlens[0] < 0)
    return invalidArgument("kernel '", kernel, "': ", what,
                           "[0] = ", cuSeqlens[0], " is negative");
  for (int64_t s = 0; s < numSeqs; ++s) {
    if (cuSeqlens[s + 1] < cuSeqlens[s])
      return invalidArgument("kernel '", kernel, "': ", what,
                             " must be non-decreasing, but ", what, "[", s + 1,
                             "] = ", cuSeqlens[s + 1], " < ", what, "[", s,
                             "] = ", cuSeqlens[s]);
  }
  if (cuSeqlens[numSeqs] > total)
    return invalidArgument("kernel '", kernel, "': ", what, "[", numSeqs,
                           "] = ", cuSeqlens[numSeqs], " exceeds ", totalName,
                           " = ", total);
  return Status::ok();
}

Status checkPagedSequences(const char *kernel, const int32_t *cuSeqlensQ,
                           const int32_t *seqLens, const int32_t *blockTable,
                           int64_t numSeqs, int64_t maxBlocksPerSeq,
                           int64_t blockSize, int64_t numBlocks,
                           int64_t &maxSeqLen) {
  maxSeqLen = 0;
  for (int64_t s = 0; s < numSeqs; ++s) {
    int64_t seqLen = seqLens[s];
    int64_t queryLen = cuSeqlensQ[s + 1] - cuSeqlensQ[s];
    if (seqLen < queryLen)
      return invalidArgument("kernel '", kernel, "': sequence ", s,
                             " has seq_lens[", s, "] = ", seqLen,
                             " < its query length ", queryLen,
                             " (seq_lens counts context + new tokens)");
    int64_t capacity = maxBlocksPerSeq * blockSize;
    if (seqLen > capacity)
      return invalidArgument(
          "kernel '", kernel, "': sequence ", s, " has seq_lens[", s,
          "] = ", seqLen, " but block_table holds only ", maxBlocksPerSeq,
          " blocks of ", blockSize, " = ", capacity, " positions");
    int64_t usedBlocks = (seqLen + blockSize - 1) / blockSize;
    const int32_t *row = blockTable + s * maxBlocksPerSeq;
    for (int64_t b = 0; b < usedBlocks; ++b) {
      if (row[b] < 0 || row[b] >= numBlocks)
        return invalidArgument(
            "kernel '", kernel, "': block_table[", s, "][", b, "] = ", row[b],
            " is outside the cache's blocks [0, ", numBlocks, ")");
    }
    maxSeqLen = std::max(maxSeqLen, seqLen);
  }
  return Status::ok();
}

int64_t maxVarlenKeyLength(const int32_t *cuSeqlensK, int64_t numSeqs) {
  int64_t longest = 0;
  for (int64_t s = 0; s < numSeqs; ++s)
    longest = std::max<int64_t>(longest, cuSeqlensK[s + 1] - cuSeqlensK[s]);
  return longest;
}

Status checkSlotMapping(const char *kernel, const int64_t *slotMapping,
                        int64_t numTokens, int64_t numSlots) {
  for (int64_t t = 0; t < numTokens; ++t) {
    int64_t slot = slotMapping[t];
    if (slot < -1 || slot >= numSlots)
      return invalidArgument("kernel '", kernel, "': slot_mapping[", t,
                             "] = ", slot, " is outside the cache's slots [0, ",
                             numSlots, ") (-1 skips a token)");
  }
  return Status::ok();
}

} // namespace detail
} // namespace rt
} // namespace attn
