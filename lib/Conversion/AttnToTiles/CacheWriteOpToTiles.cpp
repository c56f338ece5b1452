//===- CacheWriteOpToTiles.cpp - K/V rows into the paged cache ------------===//
//
// One program per (token, kv head): reads the new key and value rows,
// quantizes them as the cache requires and writes them to their slot.
//
//===----------------------------------------------------------------------===//

#include "PatternsInternal.h"
#include "TileBuilder.h"

#include "attn/Conversion/AttnToTiles/KernelABI.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace mlir::attn;
using arith::CmpFPredicate;
using arith::CmpIPredicate;

namespace {
/// Quantizes one row (vector<d x f32>) and stores it at element `at` of
/// `cache`.
void writeRow(TileBuilder &t, Value x, Value cache, Value at, Type cacheType,
              std::optional<KVQuant> quant, Value descale) {
  OpBuilder &b = t.b;
  int64_t d = cast<VectorType>(x.getType()).getDimSize(0);
  VectorType fT = VectorType::get({d}, b.getF32Type());
  auto clamp = [&](Value v, double bound) {
    v = arith::MinimumFOp::create(b, t.loc, v, t.floatConst(fT, bound));
    return arith::MaximumFOp::create(b, t.loc, v, t.floatConst(fT, -bound));
  };
  if (!quant) {
    vector::StoreOp::create(b, t.loc, t.convertFloat(x, cacheType), cache,
                            ValueRange{at});
    return;
  }
  if (*quant == KVQuant::per_tensor) {
    Value q = clamp(t.fdiv(x, t.splat(descale, {d})), fp8MaxFinite(cacheType));
    vector::StoreOp::create(b, t.loc, t.convertFloat(q, cacheType), cache,
                            ValueRange{at});
    return;
  }
  bool isInt8 = *quant == KVQuant::per_token_head_int8;
  double qmax = isInt8 ? 127.0 : 448.0;
  Value amax = vector::ReductionOp::create(
      b, t.loc, vector::CombiningKind::MAXNUMF,
      math::AbsFOp::create(b, t.loc, x));
  Value scale = t.select(t.fcmp(CmpFPredicate::OGT, amax, t.f32(0.0)),
                         t.fdiv(amax, t.f32(qmax)), t.f32(1.0));
  Value q = clamp(t.fdiv(x, t.splat(scale, {d})), qmax);
  VectorType i8T = VectorType::get({d}, b.getI8Type());
  Value bytes;
  if (isInt8) {
    bytes = arith::FPToSIOp::create(b, t.loc, i8T,
                                    math::RoundEvenOp::create(b, t.loc, q));
  } else {
    bytes = arith::BitcastOp::create(
        b, t.loc, i8T, t.convertFloat(q, b.getType<Float8E4M3FNType>()));
  }
  vector::StoreOp::create(b, t.loc, bytes, cache, ValueRange{at});
  Value scaleVec = t.splat(scale, {1});
  Value scaleBytes = vector::BitCastOp::create(
      b, t.loc, VectorType::get({4}, b.getI8Type()), scaleVec);
  vector::StoreOp::create(b, t.loc, scaleBytes, cache,
                          ValueRange{t.add(at, t.idx(d))});
}
} // namespace

FailureOr<DictionaryAttr>
mlir::attn::lowerCacheWriteToTiles(ModuleOp module, StringRef name,
                                   CacheWriteOp op) {
  OpBuilder b(module.getContext());
  MemRefType key = op.getKey().getType(), value = op.getValue().getType();
  MemRefType kc = op.getKCache().getType();
  std::optional<KVQuant> quant = op.getKvQuant();
  bool pth = quant && *quant != KVQuant::per_tensor;
  int64_t kvHeads = key.getDimSize(1), dk = key.getDimSize(2),
          dv = value.getDimSize(2), bs = kc.getDimSize(1);
  Type dtype = key.getElementType(), cacheType = kc.getElementType();
  Type f32 = b.getF32Type(), i64 = b.getI64Type();
  func::FuncOp fn = createKernelFunc(
      b, module, (name + "_write").str(),
      {dtype, dtype, cacheType, cacheType, i64, f32, f32},
      abi::kNumCacheWriteArgs - abi::kFirstCacheWriteScalar, {-1, kvHeads, 1},
      "cache_write");
  TileBuilder t(b, op.getLoc());
  auto arg = [&](unsigned i) { return fn.getArgument(abi::kNumPids + i); };
  Value tok = fn.getArgument(abi::kPidX), kvh = fn.getArgument(abi::kPidY);

  Value slot64 = t.load(arg(abi::kSlotMapping), tok);
  Value numSlots = arith::ExtSIOp::create(b, t.loc, i64, arg(abi::kNumSlots));
  Value zero64 = arith::ConstantIntOp::create(b, t.loc, 0, 64);
  Value live = t.land(t.cmp(CmpIPredicate::sge, slot64, zero64),
                      t.cmp(CmpIPredicate::slt, slot64, numSlots));
  auto ifOp = scf::IfOp::create(b, t.loc, live, /*withElse=*/false);
  b.setInsertionPointToStart(&ifOp.getThenRegion().front());
  Value slot = t.toIndex(slot64);
  Value row = t.add(t.mul(slot, t.idx(kvHeads)), kvh);
  Value srcRow = t.add(t.mul(tok, t.idx(kvHeads)), kvh);
  Value kScale, vScale;
  if (quant && *quant == KVQuant::per_tensor) {
    kScale = t.load(arg(abi::kWriteKScale), t.idx(0));
    vScale = t.load(arg(abi::kWriteVScale), t.idx(0));
  }
  struct Side {
    unsigned src, cache;
    int64_t d;
    Value descale;
  };
  for (Side s : {Side{abi::kKey, abi::kKCache, dk, kScale},
                 Side{abi::kValue, abi::kVCache, dv, vScale}}) {
    Value x = vector::LoadOp::create(b, t.loc, VectorType::get({s.d}, dtype),
                                     arg(s.src),
                                     ValueRange{t.mul(srcRow, t.idx(s.d))});
    x = t.convertFloat(x, f32);
    Value at = t.mul(row, t.idx(s.d + (pth ? 4 : 0)));
    writeRow(t, x, arg(s.cache), at, cacheType, quant, s.descale);
  }

  NamedAttrList fns;
  fns.append("write", b.getStringAttr((name + "_write").str()));
  NamedAttrList e;
  e.append("name", b.getStringAttr(name));
  e.append("kind", b.getStringAttr("cache_write"));
  e.append("dtype", b.getStringAttr(dtypeName(dtype)));
  e.append("kv_dtype", b.getStringAttr(kvDtypeName(cacheType, quant)));
  e.append("kv_heads", b.getI64IntegerAttr(kvHeads));
  e.append("head_size", b.getI64IntegerAttr(dk));
  e.append("head_size_v", b.getI64IntegerAttr(dv));
  e.append("block_size", b.getI64IntegerAttr(bs));
  e.append("functions", fns.getDictionary(module.getContext()));
  return e.getDictionary(module.getContext());
}
