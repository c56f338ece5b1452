//===- Inputs.h - Batches and random inputs for attention -------*- C++ -*-===//
//
// Part of the attn project, the numerics test library (AttnReference).
//
//===----------------------------------------------------------------------===//
//
// A Batch is the per-sequence (query_len, seq_len) list of one attention
// call, written "Q:S,Q:S,..." (`--batch=` of attn-bench). For kv=paged,
// seq_len counts context + new tokens (S >= Q); for kv=varlen it is the
// key length of the sequence (any S: Q == S is an encoder, Q != S cross
// attention).
//
// makeAttentionInputs() builds every tensor a variant reads, deterministic
// in the seed: q/k/v from N(0, 1) rounded to the storage dtype, the cache
// quantized as the kv_dtype requires; a shuffled, non-contiguous block
// table over a cache with spare blocks; NaN in every cache slot no
// sequence uses (a kernel must never let them reach the output); ALiBi
// slopes, sink logits, mm-prefix ranges (valid, degenerate and padding
// ranges), a qq bias wider than the longest query; `out` (and lse) filled
// with NaN so that rows a kernel forgets to write show up.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_TEST_REFERENCE_INPUTS_H
#define ATTN_TEST_REFERENCE_INPUTS_H

#include "Reference/Reference.h"

#include "attn/Runtime/AttentionKernel.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace attn {
namespace ref {

struct SeqShape {
  int64_t queryLen = 0;
  int64_t seqLen = 0;
};

struct Batch {
  std::vector<SeqShape> seqs;

  int64_t numSeqs() const { return static_cast<int64_t>(seqs.size()); }
  int64_t numTokens() const;
  /// Sum of seq_len (the varlen key tokens).
  int64_t numKeys() const;
  int64_t maxSeqLen() const;
  int64_t maxQueryLen() const;
  /// "Q:S,Q:S".
  std::string str() const;
};

/// Parses "Q:S,Q:S,..." (Q, S integers >= 0, at least one sequence).
std::optional<Batch> parseBatch(const std::string &text, std::string &error);

/// Checks that `batch` fits `spec` (at least one sequence; for kv=paged,
/// seq_len >= query_len). Returns an empty string or the error.
std::string checkBatch(const VariantSpec &spec, const Batch &batch);

/// Deterministic random numbers (splitmix64; Box-Muller normals), the same
/// on every platform.
class Rng {
public:
  explicit Rng(uint64_t seed) : state_(seed * 0x9E3779B97F4A7C15ull + 1) {}
  uint64_t next();
  /// Uniform in [0, 1).
  double uniform();
  /// Uniform integer in [lo, hi] (inclusive).
  int64_t range(int64_t lo, int64_t hi);
  double normal();

private:
  uint64_t state_;
  bool hasSpare_ = false;
  double spare_ = 0;
};

struct GenOptions {
  uint64_t seed = 1;
  /// Cache blocks no sequence uses (filled with NaN when poisonUnused).
  int64_t spareBlocks = 3;
  /// Put NaN (or, for int8 caches, NaN scales) into unused cache slots.
  bool poisonUnused = true;
  /// Standard deviations of the random q, k, v.
  double qStd = 1.0, kStd = 1.0, vStd = 1.0;
  /// Sink logits: N(sinkMean, sinkStd).
  double sinkMean = 1.0, sinkStd = 1.5;
  /// qq bias: N(0, qqBiasStd); its side is max query_len + qqBiasPad.
  double qqBiasStd = 1.0;
  int64_t qqBiasPad = 2;
  /// mm-prefix range slots per sequence (valid ranges, a degenerate one
  /// and (0, 0) padding).
  int64_t mmRanges = 4;
  /// fp8 output scale (0: chosen so the output spans the fp8 range).
  double outScale = 0.0;
};

/// Builds every input of `spec` for `batch`. Returns nullopt with `error`
/// for a batch the layout cannot hold (paged: seq_len < query_len) or a
/// cache_write spec.
/// The runtime arguments that point at `d`'s tensors, on path `path`.
rt::AttentionArgs attentionArgs(AttentionData &d, rt::Path path);

std::optional<AttentionData> makeAttentionInputs(const VariantSpec &spec,
                                                 const Batch &batch,
                                                 const GenOptions &options,
                                                 std::string &error);

/// Random keys/values and a slot mapping for a cache_write spec: `numTokens`
/// tokens written to distinct random slots of a cache of `numBlocks`
/// blocks, every `padEvery`-th token (if > 0) skipped with slot -1. The
/// caches start filled with the byte 0x5a, so that untouched rows are
/// checked too.
CacheWriteData makeCacheWriteInputs(const VariantSpec &spec, int64_t numTokens,
                                    int64_t numBlocks, int64_t padEvery,
                                    uint64_t seed);

/// For an end-to-end test: keys/values for every position of every
/// sequence of `data` (an attention problem of a paged `spec`), with the
/// slot mapping that puts position j of sequence s where data.blockTable
/// says, plus `padTokens` tokens with slot -1, and the caches of `data`
/// (copied, so that untouched slots keep their contents). kScale/vScale
/// are those of `data`.
CacheWriteData makeCacheWriteForAttention(const VariantSpec &spec,
                                          const AttentionData &data,
                                          int64_t padTokens, uint64_t seed);

/// The cache_write spec that fills the cache of attention spec `spec`.
std::string cacheWriteSpecFor(const VariantSpec &spec, const std::string &name);

} // namespace ref
} // namespace attn

#endif // ATTN_TEST_REFERENCE_INPUTS_H
