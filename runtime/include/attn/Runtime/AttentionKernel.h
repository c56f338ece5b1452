//===- AttentionKernel.h - Launching compiled attention ---------*- C++ -*-===//
//
// Part of the attn project, the runtime library (libattnrt).
//
//===----------------------------------------------------------------------===//
//
// An AttentionKernel is one attention variant of a loaded Module, ready to
// run: it owns the split-KV workspace (allocated once, at creation), checks
// every argument against the variant's manifest entry on each run(), picks
// the 2D or the split-KV path and launches per docs/KernelABI.md.
//
// run() allocates nothing and does not synchronize a GPU. One
// AttentionKernel must not run() from two threads at once (the workspace is
// shared); make one per stream.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_RUNTIME_ATTENTIONKERNEL_H
#define ATTN_RUNTIME_ATTENTIONKERNEL_H

#include "attn/Runtime/Device.h"
#include "attn/Runtime/Manifest.h"
#include "attn/Runtime/Module.h"
#include "attn/Runtime/Status.h"
#include "attn/Runtime/Tensor.h"

#include <cstdint>
#include <memory>
#include <string_view>

namespace attn {
namespace rt {

/// Which launch path run() takes. The values are part of the C API.
enum class Path : int32_t {
  /// Let the runtime choose (see AttentionKernel::choosePath).
  Auto = 0,
  /// One pass: `_2d` over num_q_blocks * kv_heads programs.
  TwoD = 1,
  /// `_split` over num_q_blocks * kv_heads * segments programs, then
  /// `_reduce` over num_tokens * heads programs.
  Split = 2,
  /// One pass of the wide form: `_2d_wide` over (num_tokens /
  /// wide_block_q + num_seqs) * kv_heads programs (variants whose plan
  /// has a wide_block_m).
  TwoDWide = 3,
};

/// "auto", "2d", "split", "2d_wide".
const char *pathName(Path path);

/// Arguments of one attention call; shapes as in docs/KernelABI.md. A tensor
/// the variant does not use may be left absent (null); if given, it is
/// ignored and the kernel receives null.
struct AttentionArgs {
  /// [num_tokens, heads, head_size], the kernel's dtype.
  TensorRef q;
  /// Paged: k_cache [num_blocks, block_size, kv_heads, head_size(+4)].
  /// Varlen: k [num_kv_tokens, kv_heads, head_size(+4)].
  TensorRef kCache;
  /// As kCache, with head_size_v.
  TensorRef vCache;
  /// [num_seqs, max_blocks_per_seq] i32 (paged).
  TensorRef blockTable;
  /// [num_seqs] i32, context + new tokens (paged).
  TensorRef seqLens;
  /// [num_seqs + 1] i32.
  TensorRef cuSeqlensQ;
  /// [num_seqs + 1] i32 (varlen).
  TensorRef cuSeqlensK;
  /// [heads] f32 (sinks=1).
  TensorRef sinks;
  /// [heads] f32 (alibi != "none").
  TensorRef alibiSlopes;
  /// [num_seqs, max_mm_ranges, 2] i32 (mm_prefix=1).
  TensorRef mmPrefixRanges;
  /// [n, n] f32 (qq_bias=1); n is passed as qq_bias_stride.
  TensorRef qqBias;
  /// Per-tensor descales, one f32 each ([] or [1]); needed when kv_dtype is
  /// fp8_e4m3 or fp8_e5m2.
  TensorRef kScale;
  TensorRef vScale;
  /// Output scale, one f32; needed when out_dtype is fp8.
  TensorRef outScale;
  /// [num_tokens, heads, head_size_v], out_dtype (u8 accepted for fp8).
  TensorRef out;
  /// [num_tokens, heads] f32 (lse=1).
  TensorRef lse;
  /// Number of sequences; < 0 means cu_seqlens_q.shape[0] - 1.
  int numSeqs = -1;
  /// Longest seq_len (paged) or key length (varlen) in the batch; a hint
  /// for choosing the path. <= 0: unknown (the CPU device then reads it
  /// from seq_lens / cu_seqlens_k; a GPU device takes the 2D path).
  int maxSeqLen = 0;
  /// Sum of the batch's seq_lens (paged) or key lengths (varlen); a hint
  /// that lets a GPU device weigh a batch's real work when choosing the
  /// path (one long sequence among short ones wants the split, a batch of
  /// equal lengths filling the GPU the 2D path). <= 0: unknown.
  int64_t totalSeqLen = 0;
  Path path = Path::Auto;
  /// The stream to launch on (cudaStream_t / hipStream_t); unused on CPU.
  void *stream = nullptr;
};

class AttentionKernel {
public:
  /// Finds attention variant `name` in `module` (loaded on `device`) and
  /// allocates its split-KV workspace for up to `maxNumTokens` query tokens:
  /// partial_out [segments, max_num_tokens, heads, head_size_v] f32 and
  /// partial_lse [segments, max_num_tokens, heads] f32. maxNumTokens = 0
  /// allocates nothing and always takes the 2D path.
  static StatusOr<std::unique_ptr<AttentionKernel>>
  create(Device &device, Module &module, std::string_view name,
         int64_t maxNumTokens);

  ~AttentionKernel();
  AttentionKernel(const AttentionKernel &) = delete;
  AttentionKernel &operator=(const AttentionKernel &) = delete;

  /// Validates `args` against the manifest entry and launches. Every
  /// mismatch is an InvalidArgument (or FailedPrecondition for a path that
  /// cannot be taken) naming the argument and the values.
  Status run(const AttentionArgs &args);

  /// The path Auto takes. TwoD unless the variant has a split form and
  /// num_tokens <= max_num_tokens. The keys a query block visits are
  /// K = min(max_seq_len, window_left + block_q). On the CPU: Split when
  /// num_q_blocks * kv_heads < 4 * threads and K >= 4 * block_n *
  /// segments. On a GPU: TwoD when splitSegments() < 2; with the
  /// total_seq_len hint and the kernels' occupancies known, the cost model
  /// of docs/Runtime.md (the spans of the longest program and of the work
  /// over the resident programs); else Split when num_q_blocks * kv_heads
  /// < 16 * multiprocessors.
  ///
  /// Where that is TwoD and the variant has a wide form, TwoDWide when the
  /// queries are long: num_tokens >= 8 * wide_block_q * num_seqs (a mean
  /// query of at least 8 wide blocks) and the wide grid has at least 8
  /// programs per unit of device parallelism.
  Path choosePath(int64_t numTokens, int64_t numSeqs, int64_t maxSeqLen,
                  int64_t totalSeqLen = 0) const;
  /// The segments a split launch uses (the `split_segments` kernel
  /// argument): ceil(T / P) of the plan's, T = ceil(K / block_n) the tiles
  /// of a query block, P the tiles per program: the batch's tiles (from
  /// total_seq_len when given, else as if every sequence had max_seq_len
  /// keys) over F programs per unit of device parallelism (F = 4 on the
  /// CPU, 16 on a GPU), between 1 and 16.
  int64_t splitSegments(int64_t numTokens, int64_t numSeqs, int64_t maxSeqLen,
                        int64_t totalSeqLen = 0) const;
  /// Programs of the 2D and of the split kernel the device runs at once
  /// (Device::residentPrograms, read at creation); 0: unknown.
  int64_t resident2D() const { return resident2D_; }
  int64_t residentSplit() const { return residentSplit_; }

  const KernelInfo &info() const { return info_; }
  int64_t maxNumTokens() const { return maxNumTokens_; }
  /// Bytes of split-KV workspace held.
  size_t workspaceBytes() const {
    return partialOut_.size() + partialLse_.size();
  }
  /// The path the last successful run() took (Auto before the first).
  Path lastPath() const { return lastPath_; }

private:
  AttentionKernel(Device &device, const KernelInfo &info, int64_t maxNumTokens);
  struct Shapes;
  Status validate(const AttentionArgs &args, AttentionLaunchParams &params,
                  Shapes &shapes) const;
  /// choosePath before the wide form: Split or TwoD.
  Path chooseSplit(int64_t numTokens, int64_t numSeqs, int64_t maxSeqLen,
                   int64_t totalSeqLen) const;

  Device &device_;
  KernelInfo info_;
  int64_t maxNumTokens_;
  Function twoD_, twoDWide_, split_, reduce_;
  Buffer partialOut_, partialLse_;
  Path lastPath_ = Path::Auto;
  int64_t resident2D_ = 0, residentSplit_ = 0;
};

} // namespace rt
} // namespace attn

#endif // ATTN_RUNTIME_ATTENTIONKERNEL_H
