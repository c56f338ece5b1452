//===- MergeStatesOpToTiles.cpp - the split-KV reduce ---------------------===//
//
// The reduce kernel: merges partial (out, lse) pairs per (token, head). It
// serves both the split form of attention and attn.merge_states.
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

Value mlir::attn::splitSegmentsUsed(TileBuilder &t, Value arg,
                                    int64_t segments) {
  Value n = t.toIndex(arg), all = t.idx(segments);
  Value given = t.cmp(arith::CmpIPredicate::sgt, n, t.idx(0));
  return t.select(given, t.min(n, all), all);
}

void mlir::attn::buildReduceKernel(ModuleOp module, StringRef sym,
                                   int64_t heads, int64_t headSizeV,
                                   int64_t segments, Type outType, Type qType,
                                   Type kvType, bool sinks, bool lse) {
  OpBuilder b(module.getContext());
  Type f32 = b.getF32Type(), i32 = b.getI32Type();
  SmallVector<Type> buffers = {qType, kvType, kvType, i32, i32, i32,
                               i32,   f32,    f32,    i32, f32, f32,
                               f32,   f32,    outType, f32, f32, f32};
  func::FuncOp fn = createKernelFunc(
      b, module, sym, buffers, abi::kNumAttentionArgs - abi::kFirstAttentionScalar,
      {-1, heads, 1}, "reduce");
  TileBuilder t(b, module.getLoc());
  auto arg = [&](unsigned i) { return fn.getArgument(abi::kNumPids + i); };
  Value tok = fn.getArgument(abi::kPidX), h = fn.getArgument(abi::kPidY);
  Value numTokens = t.toIndex(arg(abi::kNumTokens));
  Value row = t.add(t.mul(tok, t.idx(heads)), h);
  // The segments the split launch wrote (split_segments; all when 0): the
  // others' partials are stale and are not read into the result; their
  // loads read segment 0's row again (cached) instead of more memory.
  Value used = splitSegmentsUsed(t, arg(abi::kSplitSegments), segments);
  SmallVector<Value> wrote, readSeg;
  for (int64_t s = 0; s < segments; ++s) {
    wrote.push_back(t.cmp(arith::CmpIPredicate::ult, t.idx(s), used));
    readSeg.push_back(t.select(wrote[s], t.idx(s), t.idx(0)));
  }

  // lse_s of every segment and their max (the sink counts as one more).
  SmallVector<Value> lses;
  Value mx = t.negInf();
  for (int64_t s = 0; s < segments; ++s) {
    Value at = t.add(t.mul(readSeg[s], t.mul(numTokens, t.idx(heads))), row);
    lses.push_back(
        t.select(wrote[s], t.load(arg(abi::kPartialLse), at), t.negInf()));
    mx = arith::MaxNumFOp::create(b, t.loc, mx, lses.back());
  }
  Value sink;
  if (sinks) {
    sink = t.load(arg(abi::kSinks), h);
    mx = arith::MaxNumFOp::create(b, t.loc, mx, sink);
  }
  Value isInf = t.fcmp(CmpFPredicate::OEQ, mx, t.negInf());
  Value mSafe = t.select(isInf, t.f32(0.0), mx);

  VectorType rowT = VectorType::get({headSizeV}, f32);
  Value acc = t.floatConst(rowT, 0.0), den = t.f32(0.0);
  for (int64_t s = 0; s < segments; ++s) {
    Value w = math::ExpOp::create(b, t.loc, t.fsub(lses[s], mSafe));
    Value at =
        t.mul(t.add(t.mul(readSeg[s], t.mul(numTokens, t.idx(heads))), row),
              t.idx(headSizeV));
    Value part = vector::LoadOp::create(b, t.loc, rowT, arg(abi::kPartialOut),
                                        ValueRange{at});
    acc = t.select(wrote[s], t.fadd(acc, t.fmul(part, t.splat(w, {headSizeV}))),
                   acc);
    den = t.fadd(den, w);
  }
  if (sinks)
    den = t.fadd(den, math::ExpOp::create(b, t.loc, t.fsub(sink, mSafe)));
  Value hasKeys = t.fcmp(CmpFPredicate::OGT, den, t.f32(0.0));
  Value inv = t.select(hasKeys, t.fdiv(t.f32(1.0), den), t.f32(0.0));
  Value o = t.fmul(acc, t.splat(inv, {headSizeV}));
  if (isa<Float8E4M3FNType>(outType)) {
    Value scale = t.load(arg(abi::kOutScale), t.idx(0));
    o = t.fdiv(o, t.splat(scale, {headSizeV}));
    o = arith::MinimumFOp::create(b, t.loc, o, t.floatConst(rowT, 448.0));
    o = arith::MaximumFOp::create(b, t.loc, o, t.floatConst(rowT, -448.0));
  }
  o = t.convertFloat(o, outType);
  vector::StoreOp::create(b, t.loc, o, arg(abi::kOut),
                          ValueRange{t.mul(row, t.idx(headSizeV))});
  if (lse) {
    Value l = t.select(hasKeys,
                       t.fadd(mSafe, math::LogOp::create(b, t.loc, den)),
                       t.negInf());
    memref::StoreOp::create(b, t.loc, l, arg(abi::kLse), ValueRange{row});
  }
}

FailureOr<DictionaryAttr>
mlir::attn::lowerMergeStatesToTiles(ModuleOp module, StringRef name,
                                    MergeStatesOp op) {
  MemRefType po = op.getPartialOut().getType();
  if (ShapedType::isDynamic(po.getDimSize(0)))
    return op.emitOpError() << "merge_states needs a static number of "
                               "segments to be lowered; got "
                            << po;
  int64_t heads = po.getDimSize(2), dv = po.getDimSize(3),
          segs = po.getDimSize(0);
  Type outType = op.getOut().getType().getElementType();
  Type f32 = Float32Type::get(module.getContext());
  buildReduceKernel(module, (name + "_reduce").str(), heads, dv, segs, outType,
                    f32, f32, op.getSinks() != nullptr, op.getLse() != nullptr);
  Builder b(module.getContext());
  NamedAttrList fns;
  fns.append("reduce", b.getStringAttr((name + "_reduce").str()));
  NamedAttrList e;
  e.append("name", b.getStringAttr(name));
  e.append("kind", b.getStringAttr("merge_states"));
  e.append("heads", b.getI64IntegerAttr(heads));
  e.append("head_size_v", b.getI64IntegerAttr(dv));
  e.append("segments", b.getI64IntegerAttr(segs));
  e.append("sinks", b.getI64IntegerAttr(op.getSinks() != nullptr));
  e.append("lse", b.getI64IntegerAttr(op.getLse() != nullptr));
  e.append("functions", fns.getDictionary(module.getContext()));
  return e.getDictionary(module.getContext());
}
