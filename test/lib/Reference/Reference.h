//===- Reference.h - Double-precision reference attention -------*- C++ -*-===//
//
// Part of the attn project, the numerics test library (AttnReference).
//
//===----------------------------------------------------------------------===//
//
// The plain, obviously-correct implementation of the semantics of
// /work/shared/DESIGN.md ("Semantics") that every compiled kernel is
// compared with: loops over sequences, heads, queries and keys, in double
// precision, reading the same host tensors the kernels read (the quantized
// KV cache is decoded exactly as stored, so only the kernel's arithmetic
// error remains in a comparison).
//
// Also here: the numeric formats (bf16, f16, fp8 e4m3fn / e5m2 /
// e4m3fnuz / e5m2fnuz encode and decode), HostTensor (a host array with a
// runtime dtype and a shape) and the comparison helpers. No MLIR; the
// runtime (attnrt) only for its DType and TensorRef.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_TEST_REFERENCE_REFERENCE_H
#define ATTN_TEST_REFERENCE_REFERENCE_H

#include "attn/Runtime/DType.h"
#include "attn/Runtime/Tensor.h"
#include "attn/Spec/Spec.h"

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace attn {
namespace ref {

//===----------------------------------------------------------------------===//
// Numeric formats (round to nearest even; NaN stays NaN)
//===----------------------------------------------------------------------===//

uint16_t floatToBf16(float x);
float bf16ToFloat(uint16_t bits);
uint16_t floatToF16(float x);
float f16ToFloat(uint16_t bits);
/// fp8 e4m3fn (max 448, no infinity, NaN = 0x7f/0xff). With `saturate`,
/// values beyond +-448 (and infinities) become +-448; else NaN.
uint8_t floatToFp8E4M3(float x, bool saturate = true);
float fp8E4M3ToFloat(uint8_t bits);
/// fp8 e5m2 (max 57344, has infinities). With `saturate`, values beyond
/// +-57344 become +-57344; else +-inf.
uint8_t floatToFp8E5M2(float x, bool saturate = true);
float fp8E5M2ToFloat(uint8_t bits);
/// fp8 e4m3fnuz (MI300; bias 8, max 240, no infinity, no negative zero,
/// NaN = 0x80 only). -0 and negative values that round to zero encode as
/// 0x00; NaN as 0x80. With `saturate`, values beyond +-240 (and
/// infinities) become +-240; else NaN (0x80).
uint8_t floatToFp8E4M3Fnuz(float x, bool saturate = true);
float fp8E4M3FnuzToFloat(uint8_t bits);
/// fp8 e5m2fnuz (MI300; bias 16, max 57344, otherwise as e4m3fnuz).
uint8_t floatToFp8E5M2Fnuz(float x, bool saturate = true);
float fp8E5M2FnuzToFloat(uint8_t bits);
/// The four fp8 formats by dtype (asserts on a non-fp8 dtype).
uint8_t floatToFp8(rt::DType dtype, float x, bool saturate = true);
float fp8ToFloat(rt::DType dtype, uint8_t bits);
/// A NaN byte of an fp8 dtype (0xff for e4m3fn / e5m2, 0x80 for the fnuz
/// formats, where 0xff is the finite -max).
uint8_t fp8NaNByte(rt::DType dtype);

/// The largest finite value of a float dtype (fp8: 448 / 57344 / 240 /
/// 57344).
double maxFinite(rt::DType dtype);
/// `x` rounded to `dtype` (f32, f16, bf16, fp8) and back.
double roundTo(rt::DType dtype, double x);

//===----------------------------------------------------------------------===//
// Host tensors
//===----------------------------------------------------------------------===//

/// A contiguous row-major host array. bf16/f16 elements are stored as their
/// 16-bit patterns, fp8 as bytes; per-token-head KV caches are I8 byte
/// arrays with a last dimension of head_size + 4.
struct HostTensor {
  rt::DType dtype = rt::DType::F32;
  /// Empty shape = absent tensor.
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;

  HostTensor() = default;
  HostTensor(rt::DType dtype, std::vector<int64_t> shape);

  bool given() const { return !shape.empty(); }
  int64_t numElements() const;
  void *data() { return bytes.empty() ? nullptr : bytes.data(); }
  const void *data() const { return bytes.empty() ? nullptr : bytes.data(); }
  template <typename T> T *as() { return reinterpret_cast<T *>(data()); }
  template <typename T> const T *as() const {
    return reinterpret_cast<const T *>(data());
  }
  /// A TensorRef over this tensor (absent: a null, rank-0 ref).
  rt::TensorRef ref();
  /// "[3, 16, 2, 64]".
  std::string shapeString() const;

  /// Element i of a float tensor (f32/f16/bf16/fp8) or an integer tensor,
  /// as double.
  double get(int64_t i) const;
  /// Stores `x` rounded to the tensor's dtype (saturating for fp8).
  void set(int64_t i, double x);
  /// Fills the storage with `byte`.
  void fillBytes(uint8_t byte);
};

/// A float/int tensor decoded to doubles.
std::vector<double> decode(const HostTensor &t);

//===----------------------------------------------------------------------===//
// KV storage
//===----------------------------------------------------------------------===//

/// Which kind of quantization a kv_dtype spec value means.
enum class KvQuant { None, PerTensor, PerTokenHeadInt8, PerTokenHeadFp8 };
KvQuant kvQuantOf(const VariantSpec &spec);
/// The runtime dtype of q / out / the cache storage of a spec.
rt::DType dtypeOf(const VariantSpec &spec);
rt::DType outDtypeOf(const VariantSpec &spec);
rt::DType kvStorageOf(const VariantSpec &spec);
/// Bytes of scale appended to each cache row (4 for per-token-head, else 0).
int64_t kvRowPad(const VariantSpec &spec);

/// Decodes a K or V tensor (paged cache [num_blocks, block_size, kv_heads,
/// d(+4)] or varlen [num_kv_tokens, kv_heads, d]) into the values the
/// kernel computes with: [rows, kv_heads, d] with rows = num_blocks *
/// block_size (paged) or num_kv_tokens. `scale` is the per-tensor descale
/// (fp8 per-tensor caches), ignored otherwise.
std::vector<double> dequantizeKV(const VariantSpec &spec, const HostTensor &t,
                                 int64_t d, double scale);

/// Quantizes one row of `d` values into cache row storage at `dst` (d
/// elements of the storage dtype, plus the f32 scale for per-token-head),
/// the way attn.cache_write does: per-tensor fp8 = fp8(x / scale)
/// saturated; per-token-head: scale = max|x| / 127 (int8, round half to
/// even) or / 448 (fp8 e4m3), 1 when the row is all zero, data = x / scale.
/// The divisions are done in f32 like the kernel's, the rest in double.
void quantizeRow(const VariantSpec &spec, const float *x, int64_t d,
                 float perTensorScale, uint8_t *dst);

//===----------------------------------------------------------------------===//
// Reference attention
//===----------------------------------------------------------------------===//

/// Everything an attention kernel reads, in host memory, in the layout of
/// docs/KernelABI.md. Absent optional inputs have an empty shape.
struct AttentionData {
  HostTensor q;              ///< [num_tokens, heads, head_size]
  HostTensor k, v;           ///< paged caches, or varlen k / v
  HostTensor blockTable;     ///< [num_seqs, max_blocks_per_seq] i32 (paged)
  HostTensor seqLens;        ///< [num_seqs] i32 (paged)
  HostTensor cuSeqlensQ;     ///< [num_seqs + 1] i32
  HostTensor cuSeqlensK;     ///< [num_seqs + 1] i32 (varlen)
  HostTensor sinks;          ///< [heads] f32
  HostTensor alibiSlopes;    ///< [heads] f32
  HostTensor mmPrefixRanges; ///< [num_seqs, max_ranges, 2] i32
  HostTensor qqBias;         ///< [n, n] f32
  HostTensor kScale, vScale, outScale; ///< [1] f32
  HostTensor out; ///< [num_tokens, heads, head_size_v], out dtype
  HostTensor lse; ///< [num_tokens, heads] f32 (lse=1)

  int64_t numSeqs() const {
    return cuSeqlensQ.given() ? cuSeqlensQ.shape[0] - 1 : 0;
  }
  int64_t numTokens() const { return q.given() ? q.shape[0] : 0; }
};

/// What the reference computes.
struct AttentionResult {
  /// [num_tokens, heads, head_size_v], in the units stored in `out`: the
  /// attention output, or for an fp8 output clamp(o / out_scale, +-448)
  /// before the rounding to fp8.
  std::vector<double> out;
  /// [num_tokens, heads]: log(sum_j e^{s_j} + e^{sink}); -inf for a row
  /// with no kept key and no sink.
  std::vector<double> lse;
};

/// The reference attention of `spec` on `data` (reads every input of
/// `data`, never out/lse).
AttentionResult referenceAttention(const VariantSpec &spec,
                                   const AttentionData &data);

/// The keep predicate of the semantics, for query position i and key
/// position j (0 <= j < seq_len), of sequence `seq`.
bool referenceKeep(const VariantSpec &spec, const AttentionData &data,
                   int64_t seq, int64_t i, int64_t j);

//===----------------------------------------------------------------------===//
// Reference cache write
//===----------------------------------------------------------------------===//

/// What a cache_write kernel reads and writes.
struct CacheWriteData {
  HostTensor key;            ///< [num_tokens, kv_heads, head_size], dtype
  HostTensor value;          ///< [num_tokens, kv_heads, head_size_v]
  HostTensor kCache, vCache; ///< [num_blocks, block_size, kv_heads, d(+4)]
  HostTensor slotMapping;    ///< [num_tokens] i64, -1 = skip
  HostTensor kScale, vScale; ///< [1] f32 (per-tensor fp8)
};

/// Writes key/value into kCache/vCache of `data` as attn.cache_write does.
void referenceCacheWrite(const VariantSpec &spec, CacheWriteData &data);

//===----------------------------------------------------------------------===//
// Comparison
//===----------------------------------------------------------------------===//

struct Comparison {
  int64_t count = 0;
  double maxAbsErr = 0;
  double maxAbsRef = 0;
  /// maxAbsErr / maxAbsRef (maxAbsErr when maxAbsRef is 0).
  double relErr = 0;
  /// Elements where the result is NaN (or inf where the reference is
  /// finite, or the infinities differ).
  int64_t numBad = 0;
  int64_t worstIndex = -1;
  double worstGot = 0, worstRef = 0;
  bool sizeMismatch = false;

  /// True when nothing is bad and relErr <= tol.
  bool within(double relTol) const {
    return !sizeMismatch && numBad == 0 && relErr <= relTol;
  }
  std::string str() const;
};

/// Compares `got` with `ref` elementwise. Equal infinities count as exact.
Comparison compare(const std::vector<double> &got,
                   const std::vector<double> &ref);

/// Comparison of a kernel-written cache with the reference-written one, on
/// the decoded values of every (slot, kv head) row.
struct CacheComparison {
  /// Rows (slot, kv head) whose values differ by more than one
  /// quantization step of the format, or whose scale differs.
  int64_t badRows = 0;
  /// Elements that are not bit-identical (one-step differences included).
  int64_t inexactElements = 0;
  int64_t elements = 0;
  double maxAbsErr = 0;
  int64_t firstBadRow = -1;
  std::string str() const;
  bool ok() const { return badRows == 0; }
};
CacheComparison compareCache(const VariantSpec &spec, const HostTensor &got,
                             const HostTensor &ref, int64_t d);

} // namespace ref
} // namespace attn

#endif // ATTN_TEST_REFERENCE_REFERENCE_H
