//===- SIMTMapping.cpp - the tiled schedule on GPU threads ----------------===//
//
// The SIMT mapping of the target-neutral tiles, shared by the NVIDIA and AMD
// backends (which differ only in the gpu.module's target attribute and the
// upstream lowering that follows): one block (workgroup) per program, thread
// t owns row t of the query-side tiles, K/V tiles go through shared memory
// (LDS). This file only decides where each tile element lives and which
// instructions compute it; the algorithm is the one convert-attn-to-tiles
// wrote.
//
//===----------------------------------------------------------------------===//

#include "attn/Backend/GPU/SIMTMapping.h"
#include "attn/Dialect/AttnTile/IR/AttnTile.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/Support/Debug.h"

#define DEBUG_TYPE "attn-simt-mapping"

using namespace mlir;
using namespace mlir::attn;

namespace {

/// Rebuilds one kernel body inside a gpu.func, distributing tiles.
class Distributor : public TileCloner {
public:
  Distributor(OpBuilder &b, int64_t bm, int64_t bn, bool distribute, Value tid,
              Value kSmem, Value vSmem)
      : TileCloner(b, "SIMT mapping"), bm(bm), bn(bn), distribute(distribute),
        tid(tid), kSmem(kSmem), vSmem(vSmem) {}

private:
  Type mapType(Type t) const override;
  std::optional<LogicalResult> cloneSpecial(Operation &op) override;
  bool isKV(Type t) const {
    auto v = dyn_cast<VectorType>(t);
    return distribute && v && v.getRank() == 2 && v.getDimSize(0) == bn;
  }
  bool isRowVec(Type t) const {
    auto v = dyn_cast<VectorType>(t);
    return distribute && v && v.getRank() == 1 && v.getDimSize(0) == bm;
  }
  bool isTile(Type t) const {
    auto v = dyn_cast<VectorType>(t);
    return distribute && v && v.getRank() == 2 && v.getDimSize(0) == bm;
  }
  bool isFlat(Type t) const {
    auto v = dyn_cast<VectorType>(t);
    return distribute && v && v.getRank() == 1 &&
           v.getDimSize(0) == bm * bn;
  }
  LogicalResult contract(vector::ContractionOp op);
  Value materialize(Value kvTile, Value smem);
  Value rowOf(Value kv, Value n, IRMapping &rows);
  Value zeros(Type t) {
    return arith::ConstantOp::create(b, loc, t, b.getZeroAttr(t));
  }
  Value rowLoad(Value base, Value off, Value mask, VectorType rowT);

  int64_t bm, bn;
  bool distribute;
  Value tid, kSmem, vSmem;
};

} // namespace

Type Distributor::mapType(Type t) const {
  auto v = dyn_cast<VectorType>(t);
  if (!distribute || !v)
    return t;
  if (isRowVec(t))
    return v.getElementType();
  if (isTile(t))
    return VectorType::get({v.getDimSize(1)}, v.getElementType());
  if (isFlat(t))
    return VectorType::get({bn}, v.getElementType());
  return t;
}

/// A row load: base[off .. off + n) where `mask`, zeros elsewhere.
Value Distributor::rowLoad(Value base, Value off, Value mask,
                           VectorType rowT) {
  Value idx = arith::IndexCastOp::create(b, loc, b.getIndexType(), off);
  auto ifOp = scf::IfOp::create(
      b, loc, mask,
      [&](OpBuilder &nb, Location l) {
        Value row = vector::LoadOp::create(nb, l, rowT, base, ValueRange{idx});
        scf::YieldOp::create(nb, l, row);
      },
      [&](OpBuilder &nb, Location l) {
        Value z = arith::ConstantOp::create(nb, l, rowT, nb.getZeroAttr(rowT));
        scf::YieldOp::create(nb, l, z);
      });
  return ifOp.getResult(0);
}

/// Row `n` of a K/V-side tile (dim 0 = block_n), rebuilt from its
/// producers: row loads, elementwise dequantization and broadcasts.
Value Distributor::rowOf(Value kv, Value n, IRMapping &rows) {
  if (Value done = rows.lookupOrNull(kv))
    return done;
  auto t = cast<VectorType>(kv.getType());
  VectorType rowT = VectorType::get({t.getDimSize(1)}, t.getElementType());
  Operation *def = kv.getDefiningOp();
  Value result;
  if (auto load = dyn_cast_or_null<tile::LoadRowsOp>(def)) {
    Value off = vector::ExtractOp::create(b, loc, get(load.getOffsets()),
                                          ArrayRef<OpFoldResult>{n});
    Value mask = vector::ExtractOp::create(b, loc, get(load.getMask()),
                                           ArrayRef<OpFoldResult>{n});
    result = rowLoad(get(load.getBase()), off, mask, rowT);
  } else if (auto bc = dyn_cast_or_null<vector::BroadcastOp>(def)) {
    Value src = bc.getSource();
    if (isKV(src.getType())) {
      Value r = rowOf(src, n, rows); // vector<1>
      Value s = vector::ExtractOp::create(b, loc, r, ArrayRef<int64_t>{0});
      result = vector::BroadcastOp::create(b, loc, rowT, s);
    } else {
      result = vector::BroadcastOp::create(b, loc, rowT, get(src));
    }
  } else if (auto bitcast = dyn_cast_or_null<vector::BitCastOp>(def)) {
    result = vector::BitCastOp::create(b, loc, rowT,
                                       rowOf(bitcast.getSource(), n, rows));
  } else if (auto cst = dyn_cast_or_null<arith::ConstantOp>(def)) {
    auto dense = cast<DenseElementsAttr>(cst.getValue());
    result = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(rowT, dense.getSplatValue<Attribute>()));
  } else if (def && def->getNumRegions() == 0 &&
             OpTrait::hasElementwiseMappableTraits(def)) {
    IRMapping local;
    for (Value operand : def->getOperands())
      local.map(operand, isKV(operand.getType()) ? rowOf(operand, n, rows)
                                                 : get(operand));
    Operation *clone = b.clone(*def, local);
    clone->getResult(0).setType(rowT);
    result = clone->getResult(0);
  } else {
    def->emitError("SIMT mapping: cannot distribute the "
                   "K/V-side tile producer ")
        << def->getName();
    return nullptr;
  }
  rows.map(kv, result);
  return result;
}

/// Stores every row of `kvTile` to `smem` ([block_n, cols] f32): thread t
/// computes rows t, t + block_m, ...; barriers before and after.
Value Distributor::materialize(Value kvTile, Value smem) {
  gpu::BarrierOp::create(b, loc);
  Value bnV = arith::ConstantIndexOp::create(b, loc, bn);
  Value step = arith::ConstantIndexOp::create(b, loc, bm);
  bool ok = true;
  scf::ForOp::create(
      b, loc, tid, bnV, step, ValueRange{},
      [&](OpBuilder &nb, Location l, Value n, ValueRange) {
        IRMapping rows;
        Value row = rowOf(kvTile, n, rows);
        if (!row) {
          ok = false;
        } else {
          Value zero = arith::ConstantIndexOp::create(nb, l, 0);
          vector::StoreOp::create(nb, l, row, smem, ValueRange{n, zero});
        }
        scf::YieldOp::create(nb, l);
      });
  gpu::BarrierOp::create(b, loc);
  return ok ? smem : nullptr;
}

/// The two tile products of attention, per thread row:
///   S[n] = q . K[n]           (q: vector<D>, K in shared memory)
///   acc += sum_n P[n] * V[n]  (P: vector<BN>, V in shared memory)
LogicalResult Distributor::contract(vector::ContractionOp op) {
  auto rhsT = cast<VectorType>(op.getRhsType());
  if (!isTile(op.getLhsType()) || !isKV(rhsT))
    return op.emitError("SIMT mapping: unexpected contraction");
  bool qk = isScoreProduct(op);
  Value smem = materialize(op.getRhs(), qk ? kSmem : vSmem);
  if (!smem)
    return failure();
  Value lhs = get(op.getLhs()), acc = get(op.getAcc());
  Type f32 = b.getF32Type();
  int64_t cols = rhsT.getDimSize(1);
  VectorType rowT = VectorType::get({cols}, f32);
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  for (int64_t n = 0; n < bn; ++n) {
    Value nI = arith::ConstantIndexOp::create(b, loc, n);
    Value row =
        vector::LoadOp::create(b, loc, rowT, smem, ValueRange{nI, zero});
    if (qk) {
      Value prod = arith::MulFOp::create(b, loc, lhs, row);
      Value a = vector::ExtractOp::create(b, loc, acc, ArrayRef<int64_t>{n});
      Value dot = vector::ReductionOp::create(
          b, loc, vector::CombiningKind::ADD, prod, a);
      acc = vector::InsertOp::create(b, loc, dot, acc, ArrayRef<int64_t>{n});
    } else {
      Value p = vector::ExtractOp::create(b, loc, lhs, ArrayRef<int64_t>{n});
      Value ps = vector::BroadcastOp::create(b, loc, rowT, p);
      acc = vector::FMAOp::create(b, loc, ps, row, acc);
    }
  }
  map.map(op.getResult(), acc);
  return success();
}

std::optional<LogicalResult> Distributor::cloneSpecial(Operation &op) {
  // K/V-side tiles are built lazily, row by row, where a product needs them.
  if (op.getNumResults() == 1 && isKV(op.getResult(0).getType()))
    return success();

  if (auto c = dyn_cast<vector::ContractionOp>(op))
    return contract(c);

  if (auto step = dyn_cast<vector::StepOp>(op)) {
    if (isRowVec(step.getType())) {
      map.map(step.getResult(), tid);
      return success();
    }
    // Computed by every thread: a constant [0, n).
    SmallVector<APInt> values;
    for (int64_t i = 0, e = step.getType().getDimSize(0); i < e; ++i)
      values.push_back(APInt(64, i));
    map.map(step.getResult(),
            arith::ConstantOp::create(
                b, loc, DenseElementsAttr::get(step.getType(), values)));
    return success();
  }
  if (auto cst = dyn_cast<arith::ConstantOp>(op)) {
    Type t = cst.getType();
    if (isRowVec(t) || isTile(t) || isFlat(t)) {
      auto dense = cast<DenseElementsAttr>(cst.getValue());
      if (!dense.isSplat())
        return op.emitError("SIMT mapping: non-splat constant "
                            "tile");
      Type nt = mapType(t);
      Attribute v = dense.getSplatValue<Attribute>();
      Attribute a = isa<VectorType>(nt)
                        ? Attribute(DenseElementsAttr::get(
                              cast<ShapedType>(nt), v))
                        : v;
      map.map(cst.getResult(),
              arith::ConstantOp::create(b, loc, cast<TypedAttr>(a)));
      return success();
    }
  }
  if (auto bc = dyn_cast<vector::BroadcastOp>(op)) {
    Type srcT = bc.getSource().getType(), dstT = bc.getType();
    if (isRowVec(dstT)) { // scalar -> per-thread scalar
      map.map(bc.getResult(), get(bc.getSource()));
      return success();
    }
    if (isTile(dstT)) {
      Type nt = mapType(dstT);
      Value src = get(bc.getSource());
      auto st = dyn_cast<VectorType>(srcT);
      if (st && st.getRank() == 2) // [bm x 1] -> [bm x C]
        src = vector::ExtractOp::create(b, loc, src, ArrayRef<int64_t>{0});
      // [bn] -> [bm x bn]: every thread holds the column vector already.
      if (st && st.getRank() == 1 && src.getType() == nt) {
        map.map(bc.getResult(), src);
        return success();
      }
      map.map(bc.getResult(), vector::BroadcastOp::create(b, loc, nt, src));
      return success();
    }
  }
  if (auto sc = dyn_cast<vector::ShapeCastOp>(op)) {
    Type srcT = sc.getSource().getType(), dstT = sc.getType();
    if (isRowVec(srcT) && isTile(dstT)) { // [bm] -> [bm x 1]
      map.map(sc.getResult(),
              vector::BroadcastOp::create(b, loc, mapType(dstT),
                                          get(sc.getSource())));
      return success();
    }
    if ((isTile(srcT) && isFlat(dstT)) || (isFlat(srcT) && isTile(dstT))) {
      map.map(sc.getResult(), get(sc.getSource()));
      return success();
    }
  }
  if (auto red = dyn_cast<vector::MultiDimReductionOp>(op)) {
    if (isTile(red.getSourceVectorType())) {
      map.map(red.getResult(),
              vector::ReductionOp::create(b, loc, red.getKind(),
                                          get(red.getSource()),
                                          get(red.getAcc())));
      return success();
    }
  }
  if (auto load = dyn_cast<tile::LoadRowsOp>(op)) {
    VectorType rowT = cast<VectorType>(mapType(load.getType()));
    map.map(load.getResult(), rowLoad(get(load.getBase()),
                                      get(load.getOffsets()),
                                      get(load.getMask()), rowT));
    return success();
  }
  if (auto store = dyn_cast<tile::StoreRowsOp>(op)) {
    Value idx = arith::IndexCastOp::create(b, loc, b.getIndexType(),
                                           get(store.getOffsets()));
    Value row = get(store.getValue());
    Value base = get(store.getBase());
    scf::IfOp::create(b, loc, get(store.getMask()),
                      [&](OpBuilder &nb, Location l) {
                        vector::StoreOp::create(nb, l, row, base,
                                                ValueRange{idx});
                        scf::YieldOp::create(nb, l);
                      });
    return success();
  }
  if (auto gather = dyn_cast<vector::GatherOp>(op)) {
    if (isRowVec(gather.getType())) { // one element per thread
      Value base = get(gather.getBase());
      Value idx = arith::IndexCastOp::create(b, loc, b.getIndexType(),
                                             get(gather.getIndices()));
      Value pass = get(gather.getPassThru());
      auto ifOp = scf::IfOp::create(
          b, loc, get(gather.getMask()),
          [&](OpBuilder &nb, Location l) {
            Value v = memref::LoadOp::create(nb, l, base, ValueRange{idx});
            scf::YieldOp::create(nb, l, v);
          },
          [&](OpBuilder &nb, Location l) { scf::YieldOp::create(nb, l, pass); });
      map.map(gather.getResult(), ifOp.getResult(0));
      return success();
    }
  }
  return std::nullopt;
}

/// Builds the gpu.func of kernel `fn` in `gpuModule`; returns the block
/// size it needs.
FailureOr<int64_t> mlir::attn::buildSIMTKernel(func::FuncOp fn,
                                               gpu::GPUModuleOp gpuModule) {
  OpBuilder b(gpuModule.getBodyRegion());
  MLIRContext *ctx = b.getContext();
  auto tileAttr = fn->getAttrOfType<DenseI64ArrayAttr>("attn.tile");
  bool distribute = tileAttr != nullptr;
  int64_t bm = distribute ? tileAttr[0] : 1, bn = distribute ? tileAttr[1] : 0;
  if (distribute && (bm == bn || bm * bn == bn))
    return fn.emitError() << "the GPU SIMT mapping needs block_m ("
                          << bm << ") != block_n (" << bn << ")";

  SmallVector<Type> workgroup;
  if (distribute) {
    auto [dk, dv] = kvTileWidths(fn);
    auto ws = gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup);
    workgroup.push_back(MemRefType::get({bn, dk}, b.getF32Type(), nullptr, ws));
    workgroup.push_back(MemRefType::get({bn, dv}, b.getF32Type(), nullptr, ws));
  }
  int64_t threads = distribute ? bm : 1;
  IRMapping map;
  KernelFrame frame =
      createKernelFrame(b, fn, gpuModule, workgroup, threads, map);
  Value kSmem, vSmem;
  if (distribute) {
    kSmem = frame.func.getWorkgroupAttributions()[0];
    vSmem = frame.func.getWorkgroupAttributions()[1];
  }
  Distributor d(b, bm, bn, distribute, frame.tid, kSmem, vSmem);
  d.map = std::move(map);
  if (failed(d.cloneBlock(fn.getBody().front())))
    return failure();
  return threads;
}
