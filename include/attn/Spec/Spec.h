//===- Spec.h - the compact variant spec string -----------------*- C++ -*-===//
//
// A variant spec is a comma-separated list of key=value pairs, e.g.
//   heads=32,kv_heads=8,head_size=128,dtype=bf16,kv_dtype=fp8_e4m3,
//   block_size=16,causal=1,window=1023:0,softcap=30,sinks=1
// It is parsed here, and only here, into a VariantSpec; buildVariantModule
// (SpecToIR.h) turns that into attn IR. This file has no MLIR dependency so
// that tools and tests without the compiler can use it.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_SPEC_SPEC_H
#define ATTN_SPEC_SPEC_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace attn {

struct VariantSpec {
  std::string name = "attn";      ///< symbol prefix of the kernels
  std::string kind = "attention"; ///< attention | cache_write
  std::string kv = "paged";       ///< paged | varlen (no cache)
  int64_t heads = 32;
  int64_t kvHeads = 8;
  int64_t headSize = 128;
  int64_t headSizeV = 0;           ///< 0: same as headSize
  std::string dtype = "bf16";      ///< f16 | bf16 | f32
  std::string kvDtype = "auto";    ///< auto | fp8_e4m3 | fp8_e5m2 |
                                   ///< fp8_e4m3fnuz | fp8_e5m2fnuz |
                                   ///< int8_per_token_head | fp8_per_token_head
  std::string outDtype;            ///< empty: same as dtype; or fp8_e4m3
  int64_t blockSize = 16;
  bool causal = true;
  int64_t windowLeft = -1, windowRight = -1;
  double softcap = 0.0;
  bool sinks = false;
  std::string alibi = "0";         ///< 0 | 1 | sqrt
  bool mmPrefix = false;
  int64_t chunkSize = 0, chunkLookback = 0;
  bool qqBias = false;
  bool lse = false;
  double scale = 0.0;              ///< 0: 1/sqrt(head_size)

  int64_t effectiveHeadSizeV() const { return headSizeV ? headSizeV : headSize; }
  double effectiveScale() const;
  std::string effectiveOutDtype() const { return outDtype.empty() ? dtype : outDtype; }
  /// True for the per-tensor fp8 kv dtypes (fp8_e4m3, fp8_e5m2,
  /// fp8_e4m3fnuz, fp8_e5m2fnuz).
  bool perTensorKv() const {
    return kvDtype == "fp8_e4m3" || kvDtype == "fp8_e5m2" ||
           kvDtype == "fp8_e4m3fnuz" || kvDtype == "fp8_e5m2fnuz";
  }
};

/// The spec used when none is given (a Llama-3-8B layer).
extern const char *const kDefaultSpec;

/// Parses `text`. On error returns nullopt and sets `error` to a message
/// that names the offending key or value.
std::optional<VariantSpec> parseSpec(const std::string &text,
                                     std::string &error);

/// The canonical spec string of `spec` (every key, fixed order); parsing it
/// gives `spec` back.
std::string formatSpec(const VariantSpec &spec);

/// The keys the parser accepts, in canonical order.
const std::vector<std::string> &specKeys();

} // namespace attn

#endif // ATTN_SPEC_SPEC_H
