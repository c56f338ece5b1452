//===- FragmentCloner.cpp - tiles in matrix-unit fragments ----------------===//

#include "attn/Backend/GPU/FragmentCloner.h"
#include "attn/Dialect/AttnTile/IR/AttnTile.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include <numeric>

using namespace mlir;
using namespace mlir::attn;

int64_t mlir::attn::knownMultiple(Value v, int depth) {
  constexpr int64_t kCap = 1 << 20;
  Operation *def = v.getDefiningOp();
  if (!def || depth > 12)
    return 1;
  if (auto cst = dyn_cast<arith::ConstantOp>(def)) {
    APInt value;
    if (auto i = dyn_cast<IntegerAttr>(cst.getValue()))
      value = i.getValue();
    else if (auto d = dyn_cast<DenseIntElementsAttr>(cst.getValue());
             d && d.isSplat())
      value = d.getSplatValue<APInt>();
    else
      return 1;
    int64_t x = std::abs(value.getSExtValue());
    return x == 0 ? kCap : std::min(x, kCap);
  }
  if (isa<arith::MulIOp>(def))
    return std::min(kCap, knownMultiple(def->getOperand(0), depth + 1) *
                              knownMultiple(def->getOperand(1), depth + 1));
  if (isa<arith::AddIOp, arith::SubIOp>(def))
    return std::gcd(knownMultiple(def->getOperand(0), depth + 1),
                    knownMultiple(def->getOperand(1), depth + 1));
  if (isa<arith::ExtSIOp, arith::ExtUIOp, arith::IndexCastOp,
          vector::BroadcastOp>(def))
    return knownMultiple(def->getOperand(0), depth + 1);
  return 1;
}

int64_t mlir::attn::pow2Divisor(int64_t x, int64_t cap) {
  int64_t a = 1;
  while (a < cap && x % (a * 2) == 0)
    a *= 2;
  return a;
}

bool mlir::attn::isElementwise(Operation *def) {
  return def && def->getNumRegions() == 0 && def->getNumResults() == 1 &&
         OpTrait::hasElementwiseMappableTraits(def);
}

bool mlir::attn::onlyOnIv(Value v, Block *body, Value iv, DenseSet<Value> &seen) {
  if (v == iv || !seen.insert(v).second)
    return true;
  Operation *loop = body->getParentOp();
  if (auto arg = dyn_cast<BlockArgument>(v))
    return !loop->isAncestor(arg.getOwner()->getParentOp());
  Operation *def = v.getDefiningOp();
  if (!loop->isProperAncestor(def))
    return true;
  if (def->getNumRegions() != 0 ||
      (!isMemoryEffectFree(def) && !isa<vector::GatherOp, memref::LoadOp>(def)))
    return false;
  return llvm::all_of(def->getOperands(), [&](Value o) {
    return onlyOnIv(o, body, iv, seen);
  });
}

Value FragmentCloner::ifThenElse(Value cond, Type t,
                                        function_ref<Value()> then,
                                        function_ref<Value()> otherwise) {
  auto ifOp = scf::IfOp::create(b, loc, TypeRange{t}, cond,
                                /*withElseRegion=*/true);
  for (auto [region, fill] : {std::pair{&ifOp.getThenRegion(), then},
                              std::pair{&ifOp.getElseRegion(), otherwise}}) {
    OpBuilder::InsertionGuard guard(b);
    Block &blk = region->front();
    if (!blk.empty() && isa<scf::YieldOp>(blk.back()))
      blk.back().erase();
    b.setInsertionPointToEnd(&blk);
    scf::YieldOp::create(b, loc, fill());
  }
  return ifOp.getResult(0);
}

Value FragmentCloner::colOf(Value v) {
  auto hit = colCache.find(v);
  if (hit != colCache.end() && hit->second.first == b.getInsertionBlock())
    return hit->second.second;
  auto vt = cast<VectorType>(v.getType());
  auto colT = VectorType::get({bn / 4}, vt.getElementType());
  Operation *def = v.getDefiningOp();
  Value result;
  if (isa_and_nonnull<vector::StepOp>(def)) {
    SmallVector<APInt> base;
    for (int64_t c : columnPattern())
      base.push_back(APInt(64, c));
    Value cst = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(colT, base));
    result = add(cst, splat(colT, columnBase()));
  } else if (auto cst = dyn_cast_or_null<arith::ConstantOp>(def);
             cst && cast<DenseElementsAttr>(cst.getValue()).isSplat()) {
    auto dense = cast<DenseElementsAttr>(cst.getValue());
    result = arith::ConstantOp::create(
        b, loc,
        DenseElementsAttr::get(colT, dense.getSplatValue<Attribute>()));
  } else if (auto bc = dyn_cast_or_null<vector::BroadcastOp>(def);
             bc && !isa<VectorType>(bc.getSource().getType())) {
    result = splat(colT, get(bc.getSource()));
  } else if (isElementwise(def) &&
             llvm::all_of(def->getOperands(), [&](Value o) {
               return !isa<VectorType>(o.getType()) || isKeyVec(o.getType());
             })) {
    IRMapping local;
    for (Value o : def->getOperands())
      local.map(o, isKeyVec(o.getType()) ? colOf(o) : get(o));
    Operation *clone = b.clone(*def, local);
    clone->getResult(0).setType(VectorType::get(
        {bn / 4}, cast<VectorType>(def->getResult(0).getType())
                      .getElementType()));
    result = clone->getResult(0);
  } else {
    Value whole = get(v);
    SmallVector<Value> elems;
    for (int64_t c : columnPattern())
      elems.push_back(vector::ExtractOp::create(
          b, loc, whole, ArrayRef<OpFoldResult>{add(idx(c), columnBase())}));
    result = vector::FromElementsOp::create(b, loc, colT, elems);
  }
  colCache[v] = {b.getInsertionBlock(), result};
  return result;
}

Value FragmentCloner::scalarAt(Value v, Value row, IRMapping &memo) {
  if (Value done = memo.lookupOrNull(v))
    return done;
  Type et = cast<VectorType>(v.getType()).getElementType();
  Operation *def = v.getDefiningOp();
  Value result;
  if (isa_and_nonnull<vector::StepOp>(def)) {
    result = row;
  } else if (auto cst = dyn_cast_or_null<arith::ConstantOp>(def);
             cst && cast<DenseElementsAttr>(cst.getValue()).isSplat()) {
    result = arith::ConstantOp::create(
        b, loc,
        cast<TypedAttr>(cast<DenseElementsAttr>(cst.getValue())
                            .getSplatValue<Attribute>()));
  } else if (auto bc = dyn_cast_or_null<vector::BroadcastOp>(def);
             bc && !isa<VectorType>(bc.getSource().getType())) {
    result = cur(bc.getSource());
  } else if (auto gather = dyn_cast_or_null<vector::GatherOp>(def);
             gather && gather.getIndexVectorType().getRank() == 1) {
    Value i = toIndex(scalarAt(gather.getIndices(), row, memo));
    Value m = scalarAt(gather.getMask(), row, memo);
    Value pass = scalarAt(gather.getPassThru(), row, memo);
    Value base = cur(gather.getBase());
    Value off = add(cur(gather.getOffsets()[0]), i);
    result = ifThenElse(
        m, et,
        [&] { return memref::LoadOp::create(b, loc, base, ValueRange{off}); },
        [&] { return pass; });
  } else if (isElementwise(def) &&
             llvm::all_of(def->getOperands(), [&](Value o) {
               return !isa<VectorType>(o.getType()) || isKeyVec(o.getType());
             })) {
    IRMapping local;
    for (Value o : def->getOperands())
      local.map(o, isKeyVec(o.getType()) ? scalarAt(o, row, memo) : cur(o));
    Operation *clone = b.clone(*def, local);
    clone->getResult(0).setType(et);
    result = clone->getResult(0);
  } else {
    result = vector::ExtractOp::create(b, loc, cur(v),
                                       ArrayRef<OpFoldResult>{row});
  }
  memo.map(v, result);
  return result;
}

FailureOr<Value> FragmentCloner::chunkOf(Value kv, Value row, Value col,
                                                int64_t colMult, int64_t w,
                                                IRMapping &memo) {
  if (Value done = memo.lookupOrNull(kv))
    return done;
  auto t = cast<VectorType>(kv.getType());
  auto chunkT = VectorType::get({w}, t.getElementType());
  Operation *def = kv.getDefiningOp();
  Value result;
  auto load = dyn_cast_or_null<tile::LoadRowsOp>(def);
  if (Value staged =
          load ? stagedChunk(load, row, col, chunkT) : Value()) {
    result = staged;
  } else if (load) {
    Value off = scalarAt(load.getOffsets(), row, memo);
    Value m = scalarAt(load.getMask(), row, memo);
    if (shift.shifting && shift.inRange)
      m = arith::AndIOp::create(b, loc, m, shift.inRange);
    // Branch-free, so that a thread's chunk loads can all be in flight: a
    // row outside the mask reads the buffer's first row (any buffer a
    // launch reaches holds one) and yields zeros.
    Value zero = arith::ConstantIntOp::create(b, loc, off.getType(), 0);
    off = arith::SelectOp::create(b, loc, m, off, zero);
    Value at = add(toIndex(off), col);
    int64_t bytes = t.getElementTypeBitWidth() / 8;
    int64_t align = pow2Divisor(
        std::gcd(knownMultiple(load.getOffsets()) * bytes, colMult * bytes),
        std::min<int64_t>(16, w * bytes));
    Value base = cur(load.getBase());
    Value x = vector::LoadOp::create(b, loc, chunkT, base, ValueRange{at},
                                     false, llvm::MaybeAlign(align));
    result = arith::SelectOp::create(b, loc, m, x, zeros(chunkT));
  } else if (auto bc = dyn_cast_or_null<vector::BroadcastOp>(def)) {
    Value src = bc.getSource();
    if (!isa<VectorType>(src.getType())) {
      result = splat(chunkT, cur(src));
    } else if (isKV(src.getType()) &&
               cast<VectorType>(src.getType()).getDimSize(1) == 1) {
      FailureOr<Value> one = chunkOf(src, row, idx(0), 1 << 20, 1, memo);
      if (failed(one))
        return failure();
      result = splat(chunkT, extract(*one, 0));
    } else {
      return error(def, "unexpected K/V-side broadcast"), failure();
    }
  } else if (auto bitcast = dyn_cast_or_null<vector::BitCastOp>(def)) {
    auto srcT = bitcast.getSourceVectorType();
    int64_t ratio = srcT.getDimSize(1) / t.getDimSize(1);
    FailureOr<Value> src =
        chunkOf(bitcast.getSource(), row, mul(col, idx(ratio)),
                colMult * ratio, w * ratio, memo);
    if (failed(src))
      return failure();
    result = vector::BitCastOp::create(b, loc, chunkT, *src);
  } else if (auto cst = dyn_cast_or_null<arith::ConstantOp>(def);
             cst && cast<DenseElementsAttr>(cst.getValue()).isSplat()) {
    result = arith::ConstantOp::create(
        b, loc,
        DenseElementsAttr::get(chunkT, cast<DenseElementsAttr>(cst.getValue())
                                           .getSplatValue<Attribute>()));
  } else if (isElementwise(def)) {
    IRMapping local;
    for (Value o : def->getOperands()) {
      if (isKV(o.getType())) {
        FailureOr<Value> c = chunkOf(o, row, col, colMult, w, memo);
        if (failed(c))
          return failure();
        local.map(o, *c);
      } else if (!isa<VectorType>(o.getType())) {
        local.map(o, cur(o));
      } else {
        return error(def, "unexpected operand of a K/V-side op"), failure();
      }
    }
    Operation *clone = b.clone(*def, local);
    clone->getResult(0).setType(chunkT);
    result = clone->getResult(0);
  } else {
    return error(def ? def : kv.getParentRegion()->getParentOp(),
                 "cannot distribute this K/V-side tile producer"),
           failure();
  }
  memo.map(kv, result);
  return result;
}

Value FragmentCloner::shiftedValue(Value v) {
  if (v == shift.iv)
    return shift.shiftIv;
  Operation *def = v.getDefiningOp();
  if (!def || !shift.body->getParentOp()->isProperAncestor(def))
    return get(v);
  if (Value done = shift.shifted.lookupOrNull(v))
    return done;
  IRMapping local;
  for (Value o : def->getOperands())
    local.map(o, shiftedValue(o));
  Operation *clone = b.clone(*def, local);
  for (OpResult r : clone->getResults())
    r.setType(mapType(r.getType()));
  for (auto [o, n] : llvm::zip(def->getResults(), clone->getResults()))
    shift.shifted.map(o, n);
  return shift.shifted.lookup(v);
}

std::optional<LogicalResult> FragmentCloner::cloneSpecial(Operation &op) {
  if (op.getNumResults() == 1 && isKV(op.getResult(0).getType()))
    return success();
  if (std::optional<LogicalResult> done = cloneTarget(op))
    return done;
  if (auto c = dyn_cast<vector::ContractionOp>(op))
    return contract(c);
  if (auto forOp = dyn_cast<scf::ForOp>(op))
    return pipelineLoop(forOp);
  if (auto red = dyn_cast<vector::MultiDimReductionOp>(op))
    return reduce(red);
  if (auto load = dyn_cast<tile::LoadRowsOp>(op))
    return loadTile(load);
  if (auto store = dyn_cast<tile::StoreRowsOp>(op))
    return storeTile(store);
  if (auto step = dyn_cast<vector::StepOp>(op)) {
    if (!isRow(step.getType()))
      return std::nullopt; // [block_n]: cloned, computed by every thread
    map.map(step.getResult(), rows);
    return success();
  }
  if (auto cst = dyn_cast<arith::ConstantOp>(op)) {
    Type t = cst.getType();
    if (mapType(t) == t)
      return std::nullopt;
    Value splat = splatConstantAs(b, loc, cst, mapType(t));
    if (!splat)
      return error(&op, "non-splat constant tile");
    map.map(cst.getResult(), splat);
    return success();
  }
  if (auto bc = dyn_cast<vector::BroadcastOp>(op)) {
    if (mapType(bc.getType()) == bc.getType())
      return std::nullopt;
    return broadcast(bc);
  }
  if (auto sc = dyn_cast<vector::ShapeCastOp>(op)) {
    Type s = sc.getSource().getType(), d = sc.getType();
    if (((isRow(s) || isColumn(s)) && (isRow(d) || isColumn(d))) ||
        (isTile(s) && isFlat(d)) || (isFlat(s) && isTile(d))) {
      map.map(sc.getResult(), get(sc.getSource()));
      return success();
    }
    return error(&op, "unexpected shape_cast");
  }
  if (auto gather = dyn_cast<vector::GatherOp>(op)) {
    if (!isRow(gather.getType()))
      return std::nullopt; // key-side or flat: elementwise in its indices
    return gatherRow(gather);
  }
  return std::nullopt;
}

std::optional<MatrixKernel>
mlir::attn::matchMatrixKernel(func::FuncOp fn, int64_t colMultiple) {
  auto tileAttr = fn->getAttrOfType<DenseI64ArrayAttr>("attn.tile");
  auto kind = fn->getAttrOfType<StringAttr>("attn.kernel");
  if (!tileAttr || !kind || kind.getValue() != "attention")
    return std::nullopt;
  int64_t bm = tileAttr[0], bn = tileAttr[1];
  FloatType cT;
  bool ok = bm % 16 == 0 && bn % 16 == 0 && bm != bn;
  fn.walk([&](Operation *op) {
    for (Type t : op->getResultTypes()) {
      auto v = dyn_cast<VectorType>(t);
      if (v && v.getRank() == 2 && v.getDimSize(0) == bm &&
          v.getDimSize(1) != 1 && v.getDimSize(1) % colMultiple)
        ok = false;
    }
    auto c = dyn_cast<vector::ContractionOp>(op);
    if (!c)
      return;
    auto lhs = cast<VectorType>(c.getLhsType());
    auto rhs = cast<VectorType>(c.getRhsType());
    if (lhs.getDimSize(1) % 16 || rhs.getDimSize(1) % 16 ||
        !cast<VectorType>(c.getAccType()).getElementType().isF32())
      ok = false;
    if (!isScoreProduct(c))
      return;
    auto ext = c.getLhs().getDefiningOp<arith::ExtFOp>();
    auto et = ext ? dyn_cast<FloatType>(
                        cast<VectorType>(ext.getIn().getType())
                            .getElementType())
                  : FloatType();
    if (et && (et.isBF16() || et.isF16()))
      cT = et;
    else
      ok = false;
  });
  if (!ok)
    return std::nullopt;
  auto [dk, dv] = kvTileWidths(fn);
  return MatrixKernel{bm, bn, dk, dv, cT};
}

std::pair<vector::ContractionOp, vector::ContractionOp>
FragmentCloner::loopProducts(scf::ForOp forOp) {
  vector::ContractionOp qk, pv;
  for (Operation &o : *forOp.getBody())
    if (auto c = dyn_cast<vector::ContractionOp>(o))
      (isScoreProduct(c) ? qk : pv) = c;
  return {qk, pv};
}
