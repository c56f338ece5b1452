//===- KVCache.h - The paged KV cache ---------------------------*- C++ -*-===//
//
// Part of the attn project, the runtime library (libattnrt).
//
//===----------------------------------------------------------------------===//
//
// A PagedKVCache owns the K/V memory of every layer of a model in vLLM's
// paged NHD layout, [num_blocks, block_size, num_kv_heads, head_size] per
// layer and per K/V (docs/KernelABI.md), the block accounting of a
// BlockManager (shared by all layers: a block id names the same slots in
// every layer), and preallocated per-step metadata buffers.
//
// A serving loop per step:
//
//   cache->appendTokens(seq, &token, 1);            // per running sequence
//   auto step = cache->prepareStep(seqIds);         // COW copies + metadata
//   for (layer ...) {
//     cache->writeKV(layer, *writeKernel, key, value);   // new K/V rows
//     cache->runAttention(layer, *attention, q, out);    // paged attention
//   }
//
// Memory is allocated once, in create(): the cache (one allocation per
// layer, or one for all), the per-tensor scales, and the step metadata
// (device buffer and host staging buffer, sized by max_num_seqs,
// max_num_batched_tokens and max_blocks_per_seq). After that nothing
// allocates: not sequence management, not prepareStep, not the kernels.
//
// Lifetime: the Device must outlive the cache. Not thread-safe.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_RUNTIME_KVCACHE_H
#define ATTN_RUNTIME_KVCACHE_H

#include "attn/Runtime/AttentionKernel.h"
#include "attn/Runtime/BlockManager.h"
#include "attn/Runtime/CacheWriteKernel.h"
#include "attn/Runtime/DType.h"
#include "attn/Runtime/Device.h"
#include "attn/Runtime/Manifest.h"
#include "attn/Runtime/Status.h"
#include "attn/Runtime/Tensor.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace attn {
namespace rt {

struct KVCacheConfig {
  int64_t numLayers = 1;
  int64_t numBlocks = 0;
  int64_t blockSize = 16;
  int64_t numKvHeads = 0;
  /// head_size of K (and Q).
  int64_t headSize = 0;
  /// head_size of V; 0 means headSize.
  int64_t headSizeV = 0;
  /// The model's element type: the key/value rows written into the cache
  /// and the q of attention (f32, f16 or bf16).
  DType dtype = DType::BF16;
  /// How the cache stores K/V: auto (= dtype), fp8_e4m3 / fp8_e5m2 with a
  /// per-tensor descale per layer, int8 / fp8 per-token-head with a float32
  /// scale after each head's data (the last dim is then head_size + 4
  /// bytes).
  KvDType kvDType = KvDType::Auto;

  /// Per-step capacity of the metadata buffers: sequences in one step,
  /// new tokens in one step (padding included).
  int64_t maxNumSeqs = 256;
  int64_t maxNumBatchedTokens = 8192;
  /// Blocks one sequence may hold (block-table width); 0 means numBlocks.
  /// Set it to ceil(max_model_len / block_size).
  int64_t maxBlocksPerSeq = 0;
  /// Sequences alive at once (forks included); 0 means maxNumSeqs.
  int64_t maxLiveSeqs = 0;
  bool enablePrefixCaching = true;
  /// One device allocation for all layers instead of one per layer.
  bool singleAllocation = false;
};

/// One sequence of a step. Its new (query) tokens are the first uncomputed
/// tokens of the sequence: all of them, or at most maxNewTokens (>= 0) for
/// chunked prefill.
struct StepSequence {
  SeqId id = 0;
  int64_t maxNewTokens = -1;
};

/// What prepareStep() produced: views of the device metadata buffers (valid
/// until the next prepareStep) and the step's sizes.
struct StepMetadata {
  /// [num_seqs, width] i32: each sequence's blocks, padded with 0; width is
  /// the most blocks a sequence of the step holds (at least 1).
  TensorRef blockTable;
  /// [num_seqs] i32: computed + new tokens of each sequence.
  TensorRef seqLens;
  /// [num_seqs + 1] i32: prefix sums of the new-token counts.
  TensorRef cuSeqlensQ;
  /// [num_padded_tokens] i64: the cache slot of each new token (sequence
  /// after sequence, in order), -1 for padding.
  TensorRef slotMapping;
  int64_t numSeqs = 0;
  /// New tokens: the rows of q, key and value.
  int64_t numTokens = 0;
  /// Length of slotMapping (numTokens, or the padTo argument).
  int64_t numPaddedTokens = 0;
  int64_t maxSeqLen = 0;
  int64_t maxQueryLen = 0;
  /// Sum of the sequences' lengths (context + new tokens).
  int64_t totalSeqLen = 0;
  /// Copy-on-write block copies performed (in every layer) before the step.
  int64_t numBlockCopies = 0;
  /// Counts starting at 1; 0 means no step has been prepared.
  int64_t stepIndex = 0;
};

/// Block usage plus sizes of the cache.
struct KVCacheStats {
  BlockUsage blocks;
  BlockManagerStats counters;
  int64_t numSequences = 0;
  /// Bytes of K/V memory (all layers) and of step metadata (device).
  size_t cacheBytes = 0;
  size_t metadataBytes = 0;
};

class PagedKVCache {
public:
  /// Checks the configuration (InvalidArgument naming the field) and
  /// allocates everything (OutOfMemory if the device cannot). The cache is
  /// zeroed; per-tensor scales start at 1.
  static StatusOr<std::unique_ptr<PagedKVCache>>
  create(Device &device, const KVCacheConfig &config);

  ~PagedKVCache();
  PagedKVCache(const PagedKVCache &) = delete;
  PagedKVCache &operator=(const PagedKVCache &) = delete;

  /// The configuration with defaults resolved (headSizeV, maxBlocksPerSeq,
  /// maxLiveSeqs filled in).
  const KVCacheConfig &config() const { return config_; }
  Device &device() const { return device_; }
  BlockManager &blockManager() { return *blocks_; }
  const BlockManager &blockManager() const { return *blocks_; }

  //===--------------------------------------------------------------------===//
  // Sequences (see BlockManager for the rules and errors)
  //===--------------------------------------------------------------------===//

  /// Adds a sequence with its prompt; returns the prompt tokens found in
  /// the prefix cache (already computed: the first step computes the rest).
  StatusOr<int64_t> addSequence(SeqId id, const int32_t *tokens,
                                int64_t numTokens);
  StatusOr<int64_t> addSequence(SeqId id, const std::vector<int32_t> &tokens);
  Status appendTokens(SeqId id, const int32_t *tokens, int64_t numTokens);
  Status appendTokens(SeqId id, const std::vector<int32_t> &tokens);
  Status appendToken(SeqId id, int32_t token) {
    return appendTokens(id, &token, 1);
  }
  Status freeSequence(SeqId id);
  Status forkSequence(SeqId parent, SeqId child);

  //===--------------------------------------------------------------------===//
  // Steps
  //===--------------------------------------------------------------------===//

  /// Prepares one step over `seqs`: performs the pending copy-on-write
  /// block copies (every layer, Device::copyOnDevice), fills the metadata
  /// (one host-to-device copy) and marks the new tokens computed (full
  /// blocks become visible to the prefix cache). `padTo` > numTokens pads
  /// slotMapping with -1 (for graph capture with a fixed token count).
  /// Errors, all before any change: InvalidArgument (more than
  /// max_num_seqs sequences, a sequence listed twice, more than
  /// max_num_batched_tokens tokens, padTo beyond it), NotFound (unknown
  /// sequence); a failing device copy is returned as is.
  StatusOr<StepMetadata> prepareStep(const StepSequence *seqs, size_t numSeqs,
                                     int64_t padTo = 0);
  StatusOr<StepMetadata> prepareStep(const std::vector<StepSequence> &seqs,
                                     int64_t padTo = 0);
  /// Every uncomputed token of each listed sequence.
  StatusOr<StepMetadata> prepareStep(const std::vector<SeqId> &ids,
                                     int64_t padTo = 0);
  /// The last prepared step (stepIndex 0 before the first).
  const StepMetadata &lastStep() const { return step_; }
  /// Performs the pending copy-on-write copies now (prepareStep does it).
  /// Returns the number of block copies.
  StatusOr<int64_t> applyPendingCopies();

  //===--------------------------------------------------------------------===//
  // Layers and kernels
  //===--------------------------------------------------------------------===//

  /// [num_blocks, block_size, num_kv_heads, head_size(+4)] of `layer`;
  /// an absent TensorRef for a bad layer.
  TensorRef kCache(int64_t layer) const;
  TensorRef vCache(int64_t layer) const;
  /// [1] f32 descales of `layer` (fp8 per-tensor caches; absent otherwise).
  TensorRef kScale(int64_t layer) const;
  TensorRef vScale(int64_t layer) const;
  /// Sets the per-tensor descales of `layer` (-1: every layer).
  /// FailedPrecondition unless kv dtype is fp8_e4m3/fp8_e5m2; InvalidArgument
  /// for a bad layer or a scale that is not finite and positive.
  Status setScales(int64_t layer, float kScale, float vScale);

  /// InvalidArgument unless `kernel` (an attention or cache_write manifest
  /// entry) reads this cache: paged, same kv_heads, head sizes, block size,
  /// dtype and kv dtype. The message names the first difference.
  Status checkKernel(const KernelInfo &kernel) const;

  /// Writes the step's new K/V rows into `layer` with a compiled
  /// cache_write kernel: key [>= num_padded_tokens, kv_heads, head_size],
  /// value [..., head_size_v] in the cache's dtype, slots from the last
  /// step (quantizing on write as the kv dtype says). Errors:
  /// FailedPrecondition (no step prepared), InvalidArgument (bad layer, an
  /// incompatible kernel, key/value of the wrong dtype or shape).
  Status writeKV(int64_t layer, CacheWriteKernel &kernel, const TensorRef &key,
                 const TensorRef &value, void *stream = nullptr);
  /// As writeKV with an explicit slot mapping ([n] i64, -1 skips). On a
  /// host-accessible device each slot is checked: -1, or in [0, num_slots)
  /// and in a block some sequence holds (InvalidArgument otherwise).
  Status writeKV(int64_t layer, CacheWriteKernel &kernel, const TensorRef &key,
                 const TensorRef &value, const TensorRef &slotMapping,
                 void *stream = nullptr);

  /// Fills the cache fields of `args` for `layer` from the last step:
  /// kCache, vCache, blockTable, seqLens, cuSeqlensQ, kScale, vScale
  /// (fp8 per-tensor), numSeqs and maxSeqLen. FailedPrecondition before
  /// the first step, InvalidArgument for a bad layer.
  Status bindAttention(int64_t layer, AttentionArgs &args) const;
  /// bindAttention + checkKernel + kernel.run with q [num_tokens, heads,
  /// head_size] and out [num_tokens, heads, head_size_v] (num_tokens of the
  /// step, or its padded count).
  Status runAttention(int64_t layer, AttentionKernel &kernel,
                      const TensorRef &q, const TensorRef &out,
                      void *stream = nullptr);

  //===--------------------------------------------------------------------===//
  // Sizes and usage
  //===--------------------------------------------------------------------===//

  /// Bytes of one token slot of one layer (K + V, all kv heads).
  size_t bytesPerSlot() const;
  /// Bytes of one layer's cache (K + V).
  size_t bytesPerLayer() const;
  KVCacheStats stats() const;
  /// The storage element type of the cache tensors (i8 for per-token-head).
  DType storageDType() const;
  /// Last dims of the K and V cache tensors (head size, + 4 for
  /// per-token-head).
  int64_t kRowElems() const { return kRowElems_; }
  int64_t vRowElems() const { return vRowElems_; }

private:
  PagedKVCache(Device &device, const KVCacheConfig &config);
  Status checkLayer(int64_t layer) const;
  Status checkStepPrepared(const char *what) const;
  Status checkKeyValue(const TensorRef &key, const TensorRef &value,
                       int64_t numTokens) const;

  Device &device_;
  KVCacheConfig config_;
  std::unique_ptr<BlockManager> blocks_;
  int64_t kRowElems_ = 0, vRowElems_ = 0;
  size_t kBytes_ = 0;  // one layer's K
  size_t vOffset_ = 0; // offset of V within a layer
  size_t layerStride_ = 0;
  std::vector<Buffer> layerMemory_;
  std::vector<char *> layerBase_;
  Buffer scales_;                // [num_layers, 2] f32
  Buffer metadata_;              // device
  std::vector<uint8_t> staging_; // host
  /// Scratch of prepareStep (max_num_seqs entries).
  std::vector<int64_t> stepQueryLens_;
  std::vector<uint64_t> seenStamp_;
  uint64_t stamp_ = 0;
  StepMetadata step_;
};

} // namespace rt
} // namespace attn

#endif // ATTN_RUNTIME_KVCACHE_H
