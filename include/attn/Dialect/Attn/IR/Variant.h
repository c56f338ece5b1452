//===- Variant.h - a flat view of one attention op --------------*- C++ -*-===//
//
// `Variant` collects what an attention op computes (sizes, dtypes, mask,
// modifiers) into plain fields, so the verifier, attn-plan and the tiles
// lowering read an op the same way whichever op it is.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_DIALECT_ATTN_IR_VARIANT_H
#define ATTN_DIALECT_ATTN_IR_VARIANT_H

#include "attn/Dialect/Attn/IR/AttnOps.h"

#include <optional>

namespace mlir::attn {

/// The operands of an attention op, whichever op it is. For varlen ops
/// `blockTable`/`seqLens` are null and `cuSeqlensK` is set.
struct AttentionOperands {
  Value q, k, v, blockTable, seqLens, cuSeqlensQ, cuSeqlensK;
  Value sinks, alibiSlopes, mmPrefixRanges, qqBias, kScale, vScale, outScale;
  Value out, lse;
};

/// A flat description of an attention op.
struct Variant {
  bool paged = true;
  int64_t heads = 0, kvHeads = 0, headSizeQK = 0, headSizeV = 0;
  int64_t blockSize = 0; ///< 0 for varlen K/V.
  Type dtype;            ///< q element type.
  Type kvType;           ///< cache element type.
  Type outType;          ///< out element type.
  std::optional<KVQuant> kvQuant;
  double scale = 1.0;
  bool causal = false;
  int64_t windowLeft = -1, windowRight = -1;
  int64_t chunkSize = 0, chunkLookback = 0;
  double softcap = 0.0;
  std::optional<AlibiKind> alibi;
  bool sinks = false, mmPrefix = false, qqBias = false, lse = false;
  bool split = false;
  int64_t segments = 0; ///< out's leading dim in the split form.
  PlanAttr plan;

  int64_t groupSize() const { return heads / kvHeads; }
  bool perTokenHead() const {
    return kvQuant && *kvQuant != KVQuant::per_tensor;
  }
  /// Bytes (elements) of one cache row of K / V, scale included.
  int64_t kRowElems() const { return headSizeQK + (perTokenHead() ? 4 : 0); }
  int64_t vRowElems() const { return headSizeV + (perTokenHead() ? 4 : 0); }
};

/// Returns the operands of `op` (a paged_attention or varlen_attention op),
/// or failure for any other op.
FailureOr<AttentionOperands> getAttentionOperands(Operation *op);

/// Reads the variant of a verified attention op.
FailureOr<Variant> getVariant(Operation *op);

/// True for head sizes the kernels support: multiples of 8 in [32, 256].
inline bool isSupportedHeadSize(int64_t d) {
  return d >= 32 && d <= 256 && d % 8 == 0;
}

} // namespace mlir::attn

#endif // ATTN_DIALECT_ATTN_IR_VARIANT_H
