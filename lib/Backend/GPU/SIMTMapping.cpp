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
#include "attn/Backend/SoftFloat.h"
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
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/Support/Debug.h"

#define DEBUG_TYPE "attn-simt-mapping"

using namespace mlir;
using namespace mlir::attn;

namespace {

constexpr unsigned kGlobal = 1;

/// Rebuilds one kernel body inside a gpu.func, distributing tiles.
class Distributor {
public:
  Distributor(OpBuilder &b, int64_t bm, int64_t bn, bool distribute, Value tid,
              Value kSmem, Value vSmem)
      : b(b), bm(bm), bn(bn), distribute(distribute), tid(tid), kSmem(kSmem),
        vSmem(vSmem) {}

  LogicalResult cloneBlock(Block &src);
  IRMapping map;

private:
  Type mapType(Type t) const;
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
  Value get(Value v) { return map.lookup(v); }
  LogicalResult cloneOp(Operation &op);
  LogicalResult contract(vector::ContractionOp op);
  Value materialize(Value kvTile, Value smem);
  Value rowOf(Value kv, Value n, IRMapping &rows);
  Value zeros(Type t) {
    return arith::ConstantOp::create(b, loc, t, b.getZeroAttr(t));
  }
  Value rowLoad(Value base, Value off, Value mask, VectorType rowT);

  OpBuilder &b;
  Location loc = b.getUnknownLoc();
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
  AffineMap rhsMap = op.getIndexingMapsArray()[1];
  bool qk = rhsMap.getResult(0) == getAffineDimExpr(1, b.getContext());
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

LogicalResult Distributor::cloneBlock(Block &src) {
  for (Operation &op : src.without_terminator())
    if (failed(cloneOp(op)))
      return failure();
  Operation *term = src.getTerminator();
  if (isa<func::ReturnOp>(term)) {
    gpu::ReturnOp::create(b, loc);
    return success();
  }
  return cloneOp(*term);
}

LogicalResult Distributor::cloneOp(Operation &op) {
  loc = op.getLoc();
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
  if (auto forOp = dyn_cast<scf::ForOp>(op)) {
    SmallVector<Value> inits;
    for (Value v : forOp.getInitArgs())
      inits.push_back(get(v));
    auto newFor = scf::ForOp::create(b, loc, get(forOp.getLowerBound()),
                                     get(forOp.getUpperBound()),
                                     get(forOp.getStep()), inits);
    OpBuilder::InsertionGuard guard(b);
    Block *body = newFor.getBody();
    if (!body->empty() && isa<scf::YieldOp>(body->back()))
      body->back().erase();
    b.setInsertionPointToEnd(body);
    for (auto [o, n] : llvm::zip(forOp.getBody()->getArguments(),
                                 body->getArguments()))
      map.map(o, n);
    if (failed(cloneBlock(*forOp.getBody())))
      return failure();
    for (auto [o, n] : llvm::zip(forOp.getResults(), newFor.getResults()))
      map.map(o, n);
    return success();
  }
  if (auto ifOp = dyn_cast<scf::IfOp>(op)) {
    SmallVector<Type> types;
    for (Type t : ifOp.getResultTypes())
      types.push_back(mapType(t));
    auto newIf = scf::IfOp::create(b, loc, types, get(ifOp.getCondition()),
                                   !ifOp.getElseRegion().empty());
    for (auto [src, dst] : {std::pair{&ifOp.getThenRegion(),
                                      &newIf.getThenRegion()},
                            std::pair{&ifOp.getElseRegion(),
                                      &newIf.getElseRegion()}}) {
      if (src->empty())
        continue;
      OpBuilder::InsertionGuard guard(b);
      Block &blk = dst->front();
      if (!blk.empty() && isa<scf::YieldOp>(blk.back()))
        blk.back().erase();
      b.setInsertionPointToEnd(&blk);
      if (failed(cloneBlock(src->front())))
        return failure();
    }
    for (auto [o, n] : llvm::zip(ifOp.getResults(), newIf.getResults()))
      map.map(o, n);
    return success();
  }
  if (auto yield = dyn_cast<scf::YieldOp>(op)) {
    SmallVector<Value> vals;
    for (Value v : yield.getOperands())
      vals.push_back(get(v));
    scf::YieldOp::create(b, loc, vals);
    return success();
  }
  if (op.getNumRegions() != 0)
    return op.emitError("SIMT mapping: unexpected region op");

  // Everything else (scalars, [block_n] vectors computed by every thread,
  // elementwise ops on distributed tiles): clone with mapped types.
  for (Value v : op.getOperands())
    if (!map.contains(v))
      return op.emitError("SIMT mapping: operand not "
                          "distributed for ")
             << op.getName();
  Operation *clone = b.clone(op, map);
  for (OpResult r : clone->getResults())
    r.setType(mapType(r.getType()));
  return success();
}

/// Builds the gpu.func of kernel `fn` in `gpuModule`; returns the block
/// size it needs.
static FailureOr<int64_t> buildGpuKernel(func::FuncOp fn,
                                         gpu::GPUModuleOp gpuModule) {
  OpBuilder b(gpuModule.getBodyRegion());
  b.setInsertionPointToEnd(gpuModule.getBody());
  MLIRContext *ctx = b.getContext();
  Location loc = fn.getLoc();
  auto tileAttr = fn->getAttrOfType<DenseI64ArrayAttr>("attn.tile");
  bool distribute = tileAttr != nullptr;
  int64_t bm = distribute ? tileAttr[0] : 1, bn = distribute ? tileAttr[1] : 0;
  if (distribute && (bm == bn || bm * bn == bn))
    return fn.emitError() << "the GPU SIMT mapping needs block_m ("
                          << bm << ") != block_n (" << bn << ")";

  // Kernel parameters: buffers as global pointers, scalars as they are.
  auto ptrT = LLVM::LLVMPointerType::get(ctx, kGlobal);
  SmallVector<Type> params;
  for (Type t : fn.getArgumentTypes().drop_front(3))
    params.push_back(isa<MemRefType>(t) ? Type(ptrT) : t);
  SmallVector<Type> workgroup;
  int64_t dk = 0, dv = 0;
  if (distribute) {
    fn.walk([&](vector::ContractionOp c) {
      auto rhs = cast<VectorType>(c.getRhsType());
      bool qk = c.getIndexingMapsArray()[1].getResult(0) ==
                getAffineDimExpr(1, ctx);
      (qk ? dk : dv) = rhs.getDimSize(1);
    });
    auto ws = gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup);
    workgroup.push_back(MemRefType::get({bn, dk}, b.getF32Type(), nullptr, ws));
    workgroup.push_back(MemRefType::get({bn, dv}, b.getF32Type(), nullptr, ws));
  }
  auto gfn = gpu::GPUFuncOp::create(b, loc, fn.getSymName(),
                                    b.getFunctionType(params, {}), workgroup,
                                    TypeRange{});
  gfn->setAttr(gpu::GPUDialect::getKernelFuncAttrName(), b.getUnitAttr());
  int64_t threads = distribute ? bm : 1;
  gfn.setKnownBlockSizeAttr(
      b.getDenseI32ArrayAttr({int32_t(threads), 1, 1}));
  Block &entry = gfn.getBody().front();
  b.setInsertionPointToStart(&entry);

  Value tid = gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x);
  Value kSmem, vSmem;
  if (distribute) {
    kSmem = gfn.getWorkgroupAttributions()[0];
    vSmem = gfn.getWorkgroupAttributions()[1];
  }
  Distributor d(b, bm, bn, distribute, tid, kSmem, vSmem);
  d.map.map(fn.getArgument(0), gpu::BlockIdOp::create(b, loc, gpu::Dimension::x));
  d.map.map(fn.getArgument(1), gpu::BlockIdOp::create(b, loc, gpu::Dimension::y));
  d.map.map(fn.getArgument(2), gpu::BlockIdOp::create(b, loc, gpu::Dimension::z));

  // Buffers: a 1-D memref descriptor over each global pointer.
  Type i64 = b.getI64Type();
  Value zero = LLVM::ConstantOp::create(b, loc, i64, 0);
  Value one = LLVM::ConstantOp::create(b, loc, i64, 1);
  Value huge = LLVM::ConstantOp::create(b, loc, i64, INT64_MAX);
  auto descT = LLVM::LLVMStructType::getLiteral(
      ctx, {ptrT, ptrT, i64, LLVM::LLVMArrayType::get(i64, 1),
            LLVM::LLVMArrayType::get(i64, 1)});
  for (auto [i, t] : llvm::enumerate(fn.getArgumentTypes().drop_front(3))) {
    Value param = gfn.getArgument(i);
    auto mt = dyn_cast<MemRefType>(t);
    if (!mt) {
      d.map.map(fn.getArgument(3 + i), param);
      continue;
    }
    Value desc = LLVM::PoisonOp::create(b, loc, descT);
    desc = LLVM::InsertValueOp::create(b, loc, desc, param, ArrayRef<int64_t>{0});
    desc = LLVM::InsertValueOp::create(b, loc, desc, param, ArrayRef<int64_t>{1});
    desc = LLVM::InsertValueOp::create(b, loc, desc, zero, ArrayRef<int64_t>{2});
    desc = LLVM::InsertValueOp::create(b, loc, desc, huge,
                                       ArrayRef<int64_t>{3, 0});
    desc = LLVM::InsertValueOp::create(b, loc, desc, one,
                                       ArrayRef<int64_t>{4, 0});
    auto globalT = MemRefType::get(mt.getShape(), mt.getElementType(),
                                   MemRefLayoutAttrInterface(),
                                   b.getI64IntegerAttr(kGlobal));
    Value m = UnrealizedConversionCastOp::create(b, loc, globalT, desc)
                  .getResult(0);
    d.map.map(fn.getArgument(3 + i), m);
  }
  if (failed(d.cloneBlock(fn.getBody().front())))
    return failure();
  return threads;
}

LogicalResult mlir::attn::mapKernelsToGPU(ModuleOp module, Attribute target,
                                          StringRef chip) {
  MLIRContext *ctx = module.getContext();
  OpBuilder b(ctx);
  module->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
                  b.getUnitAttr());
  b.setInsertionPointToEnd(module.getBody());
  auto gpuModule = gpu::GPUModuleOp::create(
      b, module.getLoc(), "attn_kernels", b.getArrayAttr({target}));

  SmallVector<func::FuncOp> kernels;
  for (auto fn : module.getOps<func::FuncOp>())
    if (fn->hasAttr("attn.grid"))
      kernels.push_back(fn);
  // LLVM has no fp8 types: fp8 conversions become integer code (a
  // tensor-core path would use the chips' fp8 converts instead).
  {
    RewritePatternSet patterns(ctx);
    populateSoftFloatPatterns(patterns, /*fp8Only=*/true);
    FrozenRewritePatternSet frozen(std::move(patterns));
    for (func::FuncOp fn : kernels)
      if (failed(applyPatternsGreedily(fn, frozen)))
        return failure();
  }
  llvm::StringMap<int64_t> blockSizes;
  for (func::FuncOp fn : kernels) {
    FailureOr<int64_t> threads = buildGpuKernel(fn, gpuModule);
    if (failed(threads))
      return failure();
    blockSizes[fn.getSymName()] = *threads;
    fn.erase();
  }

  // Launch metadata for the runtime, per manifest entry.
  auto kernelsAttr = module->getAttrOfType<ArrayAttr>("attn.kernels");
  if (!kernelsAttr)
    return success();
  SmallVector<Attribute> entries;
  for (Attribute a : kernelsAttr) {
    auto entry = cast<DictionaryAttr>(a);
    NamedAttrList launch;
    if (auto fns = entry.getAs<DictionaryAttr>("functions"))
      for (NamedAttribute f : fns) {
        StringRef sym = cast<StringAttr>(f.getValue()).getValue();
        NamedAttrList l;
        int64_t t = blockSizes.lookup(sym);
        l.append("block", b.getArrayAttr({b.getI64IntegerAttr(t),
                                          b.getI64IntegerAttr(1),
                                          b.getI64IntegerAttr(1)}));
        l.append("shared_bytes", b.getI64IntegerAttr(0));
        launch.append(sym, l.getDictionary(ctx));
      }
    NamedAttrList e(entry.getValue());
    e.set("launch", launch.getDictionary(ctx));
    e.set("target", b.getStringAttr(chip));
    entries.push_back(e.getDictionary(ctx));
  }
  module->setAttr("attn.kernels", b.getArrayAttr(entries));
  return success();
}
