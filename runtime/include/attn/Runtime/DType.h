//===- DType.h - Element types of runtime tensors ---------------*- C++ -*-===//
//
// Part of the attn project, the runtime library (libattnrt).
//
//===----------------------------------------------------------------------===//
//
// DType is the element type of a tensor handed to the runtime; KvDType is the
// "kv_dtype" of a kernel manifest entry (how the KV cache is stored). Names
// are the manifest strings ("f32", "bf16", "fp8_e4m3", "auto", ...). The
// numeric values of DType and KvDType are part of the C API: new values are
// appended, existing ones never renumbered.
//
// fp8 formats: fp8_e4m3 / fp8_e5m2 are the OCP formats (MLIR f8E4M3FN,
// f8E5M2; NVIDIA, gfx950); fp8_e4m3fnuz / fp8_e5m2fnuz are the "fnuz"
// formats of AMD MI300 (gfx942; MLIR f8E4M3FNUZ, f8E5M2FNUZ: exponent bias
// 8 / 16, no infinity, no negative zero, 0x80 the only NaN).
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_RUNTIME_DTYPE_H
#define ATTN_RUNTIME_DTYPE_H

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace attn {
namespace rt {

enum class DType : int32_t {
  F32 = 0,
  F16 = 1,
  BF16 = 2,
  Fp8E4M3 = 3,
  Fp8E5M2 = 4,
  I8 = 5,
  U8 = 6,
  I32 = 7,
  I64 = 8,
  Fp8E4M3Fnuz = 9,
  Fp8E5M2Fnuz = 10,
};

/// Number of DType values (they are 0 .. kNumDTypes-1).
constexpr int32_t kNumDTypes = 11;

/// "f32", "f16", "bf16", "fp8_e4m3", "fp8_e5m2", "i8", "u8", "i32", "i64",
/// "fp8_e4m3fnuz", "fp8_e5m2fnuz"; "invalid" for an out-of-range value.
const char *dtypeName(DType dtype);
/// Parses a name returned by dtypeName().
std::optional<DType> parseDType(std::string_view name);
/// Size of one element in bytes (0 for an out-of-range value).
size_t dtypeSize(DType dtype);
/// True when `code` is the value of a DType.
bool isValidDType(int32_t code);
/// True for the four fp8 formats (fp8_e4m3, fp8_e5m2, fp8_e4m3fnuz,
/// fp8_e5m2fnuz).
bool isFloat8(DType dtype);
/// True for fp8_e4m3fnuz and fp8_e5m2fnuz.
bool isFnuz(DType dtype);

/// How a kernel stores its KV cache (manifest key "kv_dtype").
enum class KvDType : int32_t {
  /// Same element type as the query ("dtype").
  Auto = 0,
  F32 = 1,
  F16 = 2,
  BF16 = 3,
  /// FP8 with one per-tensor descale each for K and V (k_scale, v_scale).
  Fp8E4M3 = 4,
  Fp8E5M2 = 5,
  /// One byte per element plus a float32 scale per (block, slot, kv head),
  /// stored inline after the head's data: the cache's last dimension is
  /// head_size + 4 bytes.
  Int8PerTokenHead = 6,
  Fp8PerTokenHead = 7,
  /// MI300's fp8 formats, per-tensor descales as for Fp8E4M3 / Fp8E5M2.
  Fp8E4M3Fnuz = 8,
  Fp8E5M2Fnuz = 9,
};

/// Number of KvDType values (they are 0 .. kNumKvDTypes-1).
constexpr int32_t kNumKvDTypes = 10;

/// "auto", "f32", "f16", "bf16", "fp8_e4m3", "fp8_e5m2",
/// "int8_per_token_head", "fp8_per_token_head", "fp8_e4m3fnuz",
/// "fp8_e5m2fnuz"; "invalid" for an out-of-range value.
const char *kvDTypeName(KvDType kvDType);
std::optional<KvDType> parseKvDType(std::string_view name);
/// True when `code` is the value of a KvDType.
bool isValidKvDType(int32_t code);
/// True for the per-token-head kinds (inline float32 scales).
bool isPerTokenHead(KvDType kvDType);
/// True for the per-tensor fp8 kinds (which need k_scale and v_scale).
bool needsPerTensorScale(KvDType kvDType);
/// The element type of the cache tensor for a kernel whose query type is
/// `queryDType`. Per-token-head caches are byte arrays (I8; U8 is accepted
/// too).
DType kvStorageDType(KvDType kvDType, DType queryDType);

} // namespace rt
} // namespace attn

#endif // ATTN_RUNTIME_DTYPE_H
