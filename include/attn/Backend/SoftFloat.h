//===- SoftFloat.h - small-float conversions as integer code ----*- C++ -*-===//

#ifndef ATTN_BACKEND_SOFTFLOAT_H
#define ATTN_BACKEND_SOFTFLOAT_H

#include "mlir/IR/PatternMatch.h"

namespace mlir::attn {

/// Rewrites arith.extf (small float -> f32) and arith.truncf (f32 -> small
/// float) of f16, bf16, f8E4M3FN, f8E5M2, f8E4M3FNUZ and f8E5M2FNUZ into
/// integer operations; with `fp8Only`, only the fp8 formats. truncf rounds
/// to nearest even; E4M3FN and the FNUZ formats saturate at their largest
/// finite value (FNUZ: -0 and negative values that round to zero become
/// +0, NaN becomes 0x80).
void populateSoftFloatPatterns(RewritePatternSet &patterns,
                               bool fp8Only = false);

/// Rewrites arith.extf from f8E4M3FN / f8E5M2 / f8E4M3FNUZ to f32 through
/// f16 (a few integer operations and one f16 -> f32 conversion), for GPU
/// targets with native f16 conversions; takes precedence over the integer
/// expansion (which f8E5M2FNUZ keeps).
void populateFp8ViaHalfPatterns(RewritePatternSet &patterns);

} // namespace mlir::attn

#endif // ATTN_BACKEND_SOFTFLOAT_H
