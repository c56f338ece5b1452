//===- TileBuilder.h - small helpers of the tiles lowering ------*- C++ -*-===//
//
// Private to lib/Conversion/AttnToTiles: constants, index casts, row/column
// broadcasts and the kernel-function skeleton shared by the op families.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_LIB_CONVERSION_ATTNTOTILES_TILEBUILDER_H
#define ATTN_LIB_CONVERSION_ATTNTOTILES_TILEBUILDER_H

#include "attn/Dialect/Attn/IR/AttnAttrs.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"

namespace mlir::attn {

class TileBuilder {
public:
  TileBuilder(OpBuilder &b, Location loc) : b(b), loc(loc) {}

  OpBuilder &b;
  Location loc;

  Type idxT() { return b.getIndexType(); }
  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value i32(int64_t v) { return arith::ConstantIntOp::create(b, loc, v, 32); }
  Value f32(double v) {
    return arith::ConstantFloatOp::create(b, loc, b.getF32Type(),
                                          llvm::APFloat(float(v)));
  }
  Value negInf() {
    return arith::ConstantFloatOp::create(
        b, loc, b.getF32Type(),
        llvm::APFloat::getInf(llvm::APFloat::IEEEsingle(), true));
  }

  /// A vector of `shape` filled with scalar `s` (a value).
  Value splat(Value s, ArrayRef<int64_t> shape) {
    return vector::BroadcastOp::create(
        b, loc, VectorType::get(shape, s.getType()), s);
  }
  /// [0, 1, ..., n-1] as a vector of `elem` (an integer type).
  Value iota(int64_t n, Type elem) {
    Value step = vector::StepOp::create(
        b, loc, VectorType::get({n}, b.getIndexType()));
    return arith::IndexCastOp::create(b, loc, VectorType::get({n}, elem),
                                      step);
  }
  /// vector<M> -> vector<MxN>, each row the row's value.
  Value rowsToTile(Value v, int64_t n) {
    auto t = cast<VectorType>(v.getType());
    int64_t m = t.getDimSize(0);
    Value col = vector::ShapeCastOp::create(
        b, loc, VectorType::get({m, 1}, t.getElementType()), v);
    return vector::BroadcastOp::create(
        b, loc, VectorType::get({m, n}, t.getElementType()), col);
  }
  /// vector<N> -> vector<MxN>, each column the column's value.
  Value colsToTile(Value v, int64_t m) {
    auto t = cast<VectorType>(v.getType());
    return vector::BroadcastOp::create(
        b, loc, VectorType::get({m, t.getDimSize(0)}, t.getElementType()), v);
  }

  Value toIndex(Value v) {
    return arith::IndexCastOp::create(b, loc, b.getIndexType(), v);
  }
  Value toI32(Value v) {
    return arith::IndexCastOp::create(b, loc, b.getI32Type(), v);
  }
  Value ext64(Value v) {
    auto t = cast<VectorType>(v.getType());
    return arith::ExtSIOp::create(
        b, loc, VectorType::get(t.getShape(), b.getI64Type()), v);
  }
  /// memref.load of element `i` (an index).
  Value load(Value mem, Value i) {
    return memref::LoadOp::create(b, loc, mem, ValueRange{i});
  }
  /// An i32 element loaded and cast to index.
  Value loadIndex(Value mem, Value i) { return toIndex(load(mem, i)); }

  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value sub(Value x, Value y) { return arith::SubIOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return arith::MulIOp::create(b, loc, x, y); }
  Value div(Value x, Value y) { return arith::DivSIOp::create(b, loc, x, y); }
  Value rem(Value x, Value y) { return arith::RemSIOp::create(b, loc, x, y); }
  Value min(Value x, Value y) { return arith::MinSIOp::create(b, loc, x, y); }
  Value max(Value x, Value y) { return arith::MaxSIOp::create(b, loc, x, y); }
  Value cmp(arith::CmpIPredicate p, Value x, Value y) {
    return arith::CmpIOp::create(b, loc, p, x, y);
  }
  Value land(Value x, Value y) { return arith::AndIOp::create(b, loc, x, y); }
  Value lor(Value x, Value y) { return arith::OrIOp::create(b, loc, x, y); }
  Value select(Value c, Value x, Value y) {
    return arith::SelectOp::create(b, loc, c, x, y);
  }
  Value fadd(Value x, Value y) { return arith::AddFOp::create(b, loc, x, y); }
  Value fsub(Value x, Value y) { return arith::SubFOp::create(b, loc, x, y); }
  Value fmul(Value x, Value y) { return arith::MulFOp::create(b, loc, x, y); }
  Value fdiv(Value x, Value y) { return arith::DivFOp::create(b, loc, x, y); }
  Value fcmp(arith::CmpFPredicate p, Value x, Value y) {
    return arith::CmpFOp::create(b, loc, p, x, y);
  }

  /// A constant of the (scalar or vector) integer type `t`.
  Value intConst(Type t, int64_t v) {
    if (auto vt = dyn_cast<VectorType>(t))
      return arith::ConstantOp::create(
          b, loc, DenseElementsAttr::get(
                      vt, b.getIntegerAttr(vt.getElementType(), v)));
    return arith::ConstantOp::create(b, loc, b.getIntegerAttr(t, v));
  }
  /// A constant of the (scalar or vector) f32 type `t`.
  Value floatConst(Type t, double v) {
    if (auto vt = dyn_cast<VectorType>(t))
      return arith::ConstantOp::create(
          b, loc, DenseElementsAttr::get(vt, b.getF32FloatAttr(float(v))));
    return f32(v);
  }
  /// Converts float vector `v` to `to` (extf / truncf; identity if equal).
  Value convertFloat(Value v, Type toElem) {
    auto t = cast<VectorType>(v.getType());
    if (t.getElementType() == toElem)
      return v;
    auto to = VectorType::get(t.getShape(), toElem);
    if (toElem.getIntOrFloatBitWidth() >
        t.getElementType().getIntOrFloatBitWidth())
      return arith::ExtFOp::create(b, loc, to, v);
    return arith::TruncFOp::create(b, loc, to, v);
  }
};

/// Manifest name of a q / out / cache element type ("bf16", "fp8_e4m3", ...).
inline std::string dtypeName(Type t) {
  if (t.isF16())
    return "f16";
  if (t.isBF16())
    return "bf16";
  if (t.isF32())
    return "f32";
  if (isa<Float8E4M3FNType>(t))
    return "fp8_e4m3";
  if (isa<Float8E5M2Type>(t))
    return "fp8_e5m2";
  if (isa<Float8E4M3FNUZType>(t))
    return "fp8_e4m3fnuz";
  if (isa<Float8E5M2FNUZType>(t))
    return "fp8_e5m2fnuz";
  return "i8";
}

/// Largest finite value of an fp8 cache type (the saturation bound on
/// write): 448 (e4m3fn), 240 (e4m3fnuz), 57344 (e5m2, e5m2fnuz).
inline double fp8MaxFinite(Type t) {
  if (isa<Float8E4M3FNType>(t))
    return 448.0;
  if (isa<Float8E4M3FNUZType>(t))
    return 240.0;
  return 57344.0;
}

/// Manifest kv_dtype of a cache element type under a quantization scheme.
inline std::string kvDtypeName(Type cacheType, std::optional<KVQuant> quant) {
  if (!quant)
    return "auto";
  switch (*quant) {
  case KVQuant::per_tensor:
    return dtypeName(cacheType);
  case KVQuant::per_token_head_int8:
    return "int8_per_token_head";
  case KVQuant::per_token_head_fp8:
    return "fp8_per_token_head";
  }
  return "auto";
}

/// Creates `func.func @sym(%pid_x, %pid_y, %pid_z : index, <1-D memrefs of
/// bufferElems>, <i32 x numScalars>)` with `attn.grid` and `attn.kernel`
/// attributes, at the end of `module`, and positions `b` in its body.
func::FuncOp createKernelFunc(OpBuilder &b, ModuleOp module, StringRef sym,
                              ArrayRef<Type> bufferElems, unsigned numScalars,
                              ArrayRef<int64_t> grid, StringRef kind);

} // namespace mlir::attn

#endif // ATTN_LIB_CONVERSION_ATTNTOTILES_TILEBUILDER_H
