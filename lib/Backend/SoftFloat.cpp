//===- SoftFloat.cpp - small-float conversions as integer code ------------===//
//
// arith.extf from f16 / bf16 / f8E4M3FN / f8E5M2 / f8E4M3FNUZ / f8E5M2FNUZ
// to f32 and arith.truncf back, written with integer operations (round to
// nearest even; E4M3FN and the fnuz formats saturate, IEEE-like formats
// overflow to inf). Backends use it for the formats their instruction set
// (or LLVM) cannot convert: the host for all of them (no compiler-runtime
// helpers needed), the GPUs for fp8.
//
//===----------------------------------------------------------------------===//

#include "attn/Backend/SoftFloat.h"

#include "mlir/IR/TypeUtilities.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <limits>

using namespace mlir;
using namespace mlir::attn;

namespace {

/// What the special encodings of a small float format are.
enum class Special {
  /// IEEE-like: the all-ones exponent is inf (mantissa 0) or NaN.
  IEEE,
  /// E4M3FN: no inf; only S.1111.111 is NaN.
  FN,
  /// FNUZ (E4M3FNUZ, E5M2FNUZ): no inf, no negative zero; 0x80 (the
  /// negative-zero pattern) is the only NaN, every other byte is finite.
  FNUZ,
};

/// A small binary float format: exponent bits, mantissa bits, bias, and
/// its special encodings.
struct Format {
  int e, m, bias;
  Special special;
  int bits() const { return 1 + e + m; }
};

std::optional<Format> formatOf(Type t) {
  if (t.isF16())
    return Format{5, 10, 15, Special::IEEE};
  if (t.isBF16())
    return Format{8, 7, 127, Special::IEEE};
  if (isa<Float8E4M3FNType>(t))
    return Format{4, 3, 7, Special::FN};
  if (isa<Float8E5M2Type>(t))
    return Format{5, 2, 15, Special::IEEE};
  if (isa<Float8E4M3FNUZType>(t))
    return Format{4, 3, 8, Special::FNUZ};
  if (isa<Float8E5M2FNUZType>(t))
    return Format{5, 2, 16, Special::FNUZ};
  return std::nullopt;
}

/// Integer / float helpers over a scalar or vector shape.
struct Ops {
  OpBuilder &b;
  Location loc;
  Type shapeOf; // the original operand type (scalar or vector)

  Type like(Type elem) {
    if (auto v = dyn_cast<VectorType>(shapeOf))
      return VectorType::get(v.getShape(), elem);
    return elem;
  }
  Value c32(int64_t v) {
    Type t = like(b.getI32Type());
    if (auto vt = dyn_cast<VectorType>(t))
      return arith::ConstantOp::create(
          b, loc, DenseElementsAttr::get(vt, b.getI32IntegerAttr(int32_t(v))));
    return arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(int32_t(v)));
  }
  Value f(double v) {
    Type t = like(b.getF32Type());
    if (auto vt = dyn_cast<VectorType>(t))
      return arith::ConstantOp::create(
          b, loc, DenseElementsAttr::get(vt, b.getF32FloatAttr(float(v))));
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(float(v)));
  }
  Value shl(Value x, int s) { return arith::ShLIOp::create(b, loc, x, c32(s)); }
  Value shr(Value x, int s) { return arith::ShRUIOp::create(b, loc, x, c32(s)); }
  Value band(Value x, int64_t m) { return arith::AndIOp::create(b, loc, x, c32(m)); }
  Value bor(Value x, Value y) { return arith::OrIOp::create(b, loc, x, y); }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value sub(Value x, Value y) { return arith::SubIOp::create(b, loc, x, y); }
  Value eq(Value x, int64_t v) {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, x, c32(v));
  }
  Value ugt(Value x, int64_t v) {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ugt, x, c32(v));
  }
  Value ult(Value x, int64_t v) {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, x, c32(v));
  }
  Value sel(Value c, Value x, Value y) {
    return arith::SelectOp::create(b, loc, c, x, y);
  }
  Value toF32Bits(Value f32v) {
    return arith::BitcastOp::create(b, loc, like(b.getI32Type()), f32v);
  }
  Value fromF32Bits(Value i32v) {
    return arith::BitcastOp::create(b, loc, like(b.getF32Type()), i32v);
  }
};

/// Small float -> f32.
Value extend(OpBuilder &b, Location loc, Value x, Format fmt) {
  Ops o{b, loc, x.getType()};
  Type small = o.like(b.getIntegerType(fmt.bits()));
  Value bits = arith::BitcastOp::create(b, loc, small, x);
  bits = arith::ExtUIOp::create(b, loc, o.like(b.getI32Type()), bits);
  if (fmt.e == 8) // bf16: the top half of an f32
    return o.fromF32Bits(o.shl(bits, 16));
  Value sign = o.shl(o.shr(bits, fmt.e + fmt.m), 31);
  Value exp = o.band(o.shr(bits, fmt.m), (1 << fmt.e) - 1);
  Value man = o.band(bits, (1 << fmt.m) - 1);
  Value normal = o.bor(o.shl(o.add(exp, o.c32(127 - fmt.bias)), 23),
                       o.shl(man, 23 - fmt.m));
  // Subnormal: man * 2^(1 - bias - m), exact in f32.
  Value manF = arith::UIToFPOp::create(b, loc, o.like(b.getF32Type()), man);
  Value sub = o.toF32Bits(arith::MulFOp::create(
      b, loc, manF, o.f(std::ldexp(1.0, 1 - fmt.bias - fmt.m))));
  Value mag = o.sel(o.eq(exp, 0), sub, normal);
  int maxExp = (1 << fmt.e) - 1;
  switch (fmt.special) {
  case Special::IEEE: {
    Value special = o.bor(o.c32(0x7f800000), o.shl(man, 23 - fmt.m));
    mag = o.sel(o.eq(exp, maxExp), special, mag);
    break;
  }
  case Special::FN:
    // E4M3FN: only S.1111.111 is NaN.
    mag = o.sel(o.eq(o.band(bits, 0x7f), 0x7f), o.c32(0x7fc00000), mag);
    break;
  case Special::FNUZ:
    // Every exponent is finite; 0x80 (sign, zero magnitude) is the NaN.
    return o.fromF32Bits(
        o.sel(o.eq(bits, 0x80), o.c32(0x7fc00000), o.bor(mag, sign)));
  }
  return o.fromF32Bits(o.bor(mag, sign));
}

/// f32 -> small float, round to nearest even.
Value truncate(OpBuilder &b, Location loc, Value x, Format fmt, Type toType) {
  Ops o{b, loc, x.getType()};
  Value bits = o.toF32Bits(x);
  Value a = o.band(bits, 0x7fffffff);
  Value isNan = o.ugt(a, 0x7f800000);
  int shift = 23 - fmt.m;
  // Round the mantissa at bit `shift` (nearest, ties to even).
  Value lsb = o.band(o.shr(a, shift), 1);
  Value rounded = o.add(o.add(a, o.c32((1 << (shift - 1)) - 1)), lsb);
  Value normal = o.sub(o.shr(rounded, shift), o.c32((127 - fmt.bias) << fmt.m));
  Value res;
  int maxExp = (1 << fmt.e) - 1;
  int64_t nan, overflow, maxBits;
  switch (fmt.special) {
  case Special::IEEE:
    nan = (int64_t(maxExp) << fmt.m) | (1 << (fmt.m - 1));
    maxBits = (int64_t(maxExp - 1) << fmt.m) | ((1 << fmt.m) - 1);
    overflow = int64_t(maxExp) << fmt.m; // inf
    break;
  case Special::FN:
    nan = 0x7f;
    maxBits = 0x7e;
    overflow = 0x7e; // saturate
    break;
  case Special::FNUZ:
    nan = 0x80; // the sign bit alone; or-ing the sign below keeps it
    maxBits = 0x7f;
    overflow = 0x7f; // saturate (no inf), as E4M3FN
    break;
  }
  if (fmt.e == 8) {
    // bf16 keeps the f32 exponent: rounding alone is the conversion (inf
    // stays inf, values that round past the largest finite become inf).
    res = o.shr(rounded, shift);
  } else {
    // Below the smallest normal: an integer count of the smallest subnormal
    // (which reaches 1 << m, the smallest normal, exactly when it should).
    Value ax = o.fromF32Bits(a);
    Value scaled = arith::MulFOp::create(
        b, loc, ax, o.f(std::ldexp(1.0, fmt.bias + fmt.m - 1)));
    Value sub = arith::FPToUIOp::create(
        b, loc, o.like(b.getI32Type()),
        math::RoundEvenOp::create(b, loc, scaled));
    Value isSub = o.ult(a, int64_t(127 - fmt.bias + 1) << 23);
    Value tooBig = o.bor(o.ugt(a, 0x7f7fffff), o.ugt(normal, maxBits));
    res = o.sel(isSub, sub, o.sel(tooBig, o.c32(overflow), normal));
  }
  res = o.sel(isNan, o.c32(nan), res);
  Value sign = o.shl(o.shr(bits, 31), fmt.e + fmt.m);
  if (fmt.special == Special::FNUZ) {
    // No negative zero: -0 and negative values that round to zero give
    // +0 (0x80 would be the NaN).
    sign = o.sel(o.eq(res, 0), o.c32(0), sign);
  }
  res = o.bor(res, sign);
  Type small = o.like(b.getIntegerType(fmt.bits()));
  Value narrow = arith::TruncIOp::create(b, loc, small, res);
  return arith::BitcastOp::create(b, loc, toType, narrow);
}

Type elementOf(Type t) { return getElementTypeOrSelf(t); }

struct ExtFToInteger : OpRewritePattern<arith::ExtFOp> {
  ExtFToInteger(MLIRContext *ctx, bool fp8Only)
      : OpRewritePattern(ctx), fp8Only(fp8Only) {}
  bool fp8Only;
  LogicalResult matchAndRewrite(arith::ExtFOp op,
                                PatternRewriter &rewriter) const override {
    Type from = elementOf(op.getIn().getType());
    std::optional<Format> fmt = formatOf(from);
    if (fp8Only && from.getIntOrFloatBitWidth() != 8)
      return rewriter.notifyMatchFailure(op, "not fp8");
    if (!fmt || !elementOf(op.getType()).isF32())
      return rewriter.notifyMatchFailure(op, "not a small float to f32");
    rewriter.replaceOp(op, extend(rewriter, op.getLoc(), op.getIn(), *fmt));
    return success();
  }
};

struct TruncFToInteger : OpRewritePattern<arith::TruncFOp> {
  TruncFToInteger(MLIRContext *ctx, bool fp8Only)
      : OpRewritePattern(ctx), fp8Only(fp8Only) {}
  bool fp8Only;
  LogicalResult matchAndRewrite(arith::TruncFOp op,
                                PatternRewriter &rewriter) const override {
    Type to = elementOf(op.getType());
    std::optional<Format> fmt = formatOf(to);
    if (fp8Only && to.getIntOrFloatBitWidth() != 8)
      return rewriter.notifyMatchFailure(op, "not fp8");
    if (!fmt || !elementOf(op.getIn().getType()).isF32())
      return rewriter.notifyMatchFailure(op, "not f32 to a small float");
    rewriter.replaceOp(op, truncate(rewriter, op.getLoc(), op.getIn(), *fmt,
                                    op.getType()));
    return success();
  }
};

} // namespace

/// fp8 -> f32 through f16, for targets that convert f16 natively: an
/// e5m2 byte is the top byte of an f16; an e4m3 byte's magnitude moved into
/// an f16's exponent and mantissa fields is the value times 2^(bias - 15)
/// (normal and subnormal alike: 2^-8 for e4m3fn, bias 7; 2^-7 for
/// e4m3fnuz, bias 8), and the NaNs are 0x7f / 0xff (e4m3fn) or 0x80
/// (e4m3fnuz). e5m2fnuz (bias 16) has no such trick: as the top byte of an
/// f16 its largest binade would read as inf/NaN, so it takes the integer
/// expansion.
struct Fp8ExtFViaHalf : OpRewritePattern<arith::ExtFOp> {
  Fp8ExtFViaHalf(MLIRContext *ctx) : OpRewritePattern(ctx, /*benefit=*/2) {}
  LogicalResult matchAndRewrite(arith::ExtFOp op,
                                PatternRewriter &rewriter) const override {
    Type from = elementOf(op.getIn().getType());
    bool e4m3fn = isa<Float8E4M3FNType>(from);
    bool e4m3fnuz = isa<Float8E4M3FNUZType>(from);
    bool e4m3 = e4m3fn || e4m3fnuz;
    if (!(e4m3 || isa<Float8E5M2Type>(from)) ||
        !elementOf(op.getType()).isF32())
      return rewriter.notifyMatchFailure(op, "not e4m3fn/e4m3fnuz/e5m2 to f32");
    Location loc = op.getLoc();
    Type shape = op.getIn().getType();
    auto like = [&](Type e) -> Type {
      if (auto v = dyn_cast<VectorType>(shape))
        return VectorType::get(v.getShape(), e);
      return e;
    };
    auto cst = [&](Type t, Attribute a) -> Value {
      if (auto v = dyn_cast<VectorType>(t))
        return arith::ConstantOp::create(rewriter, loc,
                                         DenseElementsAttr::get(v, a));
      return arith::ConstantOp::create(rewriter, loc, cast<TypedAttr>(a));
    };
    Type i16 = like(rewriter.getI16Type());
    auto c16 = [&](int64_t v) {
      return cst(i16, rewriter.getI16IntegerAttr(int16_t(v)));
    };
    Value bits = arith::BitcastOp::create(
        rewriter, loc, like(rewriter.getI8Type()), op.getIn());
    Value w = arith::ExtUIOp::create(rewriter, loc, i16, bits);
    Value h;
    if (e4m3) {
      Value sign = arith::ShLIOp::create(
          rewriter, loc, arith::AndIOp::create(rewriter, loc, w, c16(0x80)),
          c16(8));
      Value mag = arith::AndIOp::create(rewriter, loc, w, c16(0x7f));
      h = arith::OrIOp::create(
          rewriter, loc, sign, arith::ShLIOp::create(rewriter, loc, mag, c16(7)));
      Value half = arith::BitcastOp::create(
          rewriter, loc, like(rewriter.getF16Type()), h);
      Type f32 = like(rewriter.getF32Type());
      Value f = arith::ExtFOp::create(rewriter, loc, f32, half);
      // 2^(15 - bias): 256 (e4m3fn), 128 (e4m3fnuz).
      f = arith::MulFOp::create(
          rewriter, loc, f,
          cst(f32, rewriter.getF32FloatAttr(e4m3fn ? 256.0f : 128.0f)));
      Value nan =
          e4m3fn
              ? arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::eq,
                                      mag, c16(0x7f))
              : arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::eq,
                                      w, c16(0x80));
      Value qnan = cst(f32, rewriter.getF32FloatAttr(
                                std::numeric_limits<float>::quiet_NaN()));
      rewriter.replaceOpWithNewOp<arith::SelectOp>(op, nan, qnan, f);
      return success();
    }
    h = arith::ShLIOp::create(rewriter, loc, w, c16(8));
    Value half =
        arith::BitcastOp::create(rewriter, loc, like(rewriter.getF16Type()), h);
    rewriter.replaceOpWithNewOp<arith::ExtFOp>(op, op.getType(), half);
    return success();
  }
};

void mlir::attn::populateFp8ViaHalfPatterns(RewritePatternSet &patterns) {
  patterns.add<Fp8ExtFViaHalf>(patterns.getContext());
}

void mlir::attn::populateSoftFloatPatterns(RewritePatternSet &patterns,
                                           bool fp8Only) {
  patterns.add<ExtFToInteger, TruncFToInteger>(patterns.getContext(),
                                               fp8Only);
}
