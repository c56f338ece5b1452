//===- TensorCoreMapping.cpp - attention tiles on mma.sync ----------------===//
//
// The sm_80 tensor-core mapping of attention kernels. Layouts, with
// w = warp, g = lane / 4, q = lane % 4:
//
//  - a warp owns mt = 1 or 2 m-tiles of 16 query rows (rows-per-warp 16 or
//    32); a query-side tile [block_m x C] (C a multiple of 8) is held by
//    each thread as vector<mt * C/2>: element e = i*C/2 + 4j + 2r + c is row
//    16(mt*w + i) + g + 8r, column 8j + 2q + c: the accumulator (C) layout
//    of mma.sync m16n8, which is also its A-operand layout when C is the
//    reduction dimension (so Q and P feed the MMAs from registers); each B
//    fragment read from shared memory serves the warp's mt m-tiles;
//  - a row vector [block_m] (and [block_m x 1]) is vector<2 mt> (row 2i + r);
//  - a key-side vector [block_n] (positions, block-table entries) is held
//    whole by every thread; its columns of a tile are rebuilt from its
//    producers where it is broadcast into a tile;
//  - a K/V tile [block_n x C] is never held: it is written to shared memory
//    in the compute type (cp.async gathers of its rows for 16-bit caches,
//    dequantized 8-element chunks otherwise) and read as mma.sync B
//    fragments with ldmatrix (.trans for V);
//  - row reductions are in-thread, then shfl.xor 1 and 2.
//
// The algorithm is the one convert-attn-to-tiles wrote; this file decides
// where each element lives and which instructions compute it.
//
//===----------------------------------------------------------------------===//

#include "attn/Backend/NVIDIA/TensorCoreMapping.h"
#include "TensorCoreDistributor.h"
#include "attn/Backend/GPU/FragmentCloner.h"
#include "attn/Dialect/AttnTile/IR/AttnTile.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/STLExtras.h"

#include <cmath>
#include <numeric>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::nvidia;

void TensorCoreDistributor::prologue(Location l) {
  loc = l;
  threads = bm / (16 * mt) * kWarp;
  Value tid = frame.tid;
  lane = arith::RemUIOp::create(b, loc, tid, idx(kWarp));
  Value warp = arith::DivUIOp::create(b, loc, tid, idx(kWarp));
  Value g = arith::DivUIOp::create(b, loc, lane, idx(4));
  Value q = arith::RemUIOp::create(b, loc, lane, idx(4));
  q2 = mul(q, idx(2));
  SmallVector<Value> rowIds;
  for (int64_t i = 0; i < mt; ++i)
    for (int64_t r = 0; r < 2; ++r)
      rowIds.push_back(add(mul(warp, idx(16 * mt)), add(g, idx(16 * i + 8 * r))));
  rows = vector::FromElementsOp::create(
      b, loc, VectorType::get({2 * mt}, b.getIndexType()), rowIds);
  auto ptr3 = LLVM::LLVMPointerType::get(b.getContext(), 3);
  auto toPtr = [&](Value m, bool swizzled = false) -> Value {
    Value i = memref::ExtractAlignedPointerAsIndexOp::create(b, loc, m);
    Value i64 = arith::IndexCastOp::create(b, loc, b.getI64Type(), i);
    if (swizzled) { // round up to the swizzle's 1024 bytes
      auto c = [&](int64_t v) {
        return arith::ConstantIntOp::create(b, loc, b.getI64Type(), v);
      };
      i64 = arith::AndIOp::create(
          b, loc, arith::AddIOp::create(b, loc, i64, c(kSwizzleAlign - 1)),
          c(-kSwizzleAlign));
    }
    return LLVM::IntToPtrOp::create(b, loc, ptr3, i64);
  };
  if (wgmma) {
    // One dynamic buffer: K and V (aligned to 1024 bytes), then raw bytes.
    auto ws = gpu::AddressSpaceAttr::get(b.getContext(),
                                         gpu::AddressSpace::Workgroup);
    auto i8 = b.getI8Type();
    Value dyn = gpu::DynamicSharedMemoryOp::create(
        b, loc, MemRefType::get({ShapedType::kDynamic}, i8, nullptr, ws));
    kSmem = vSmem = dyn;
    SharedLayout sl = warpgroupLayout();
    qBase = toPtr(dyn, /*swizzled=*/true);
    kBase = LLVM::GEPOp::create(b, loc, ptr3, i8, qBase, ValueRange{i32(sl.k)});
    vBase = LLVM::GEPOp::create(b, loc, ptr3, i8, qBase, ValueRange{i32(sl.v)});
    auto view = [&](int64_t at, int64_t cols) -> Value {
      return memref::ViewOp::create(
          b, loc, MemRefType::get({2 * bn, cols + 16}, i8, nullptr, ws), dyn,
          idx(at), ValueRange{});
    };
    if (rawK)
      kRawBase = toPtr(kRaw = view(sl.rawK, dk));
    if (rawV)
      vRawBase = toPtr(vRaw = view(sl.rawV, dv));
    return;
  }
  auto wg = frame.func.getWorkgroupAttributions();
  kSmem = wg[0];
  vSmem = wg[1];
  kBase = toPtr(kSmem);
  vBase = toPtr(vSmem);
  size_t next = 2;
  if (rawK)
    kRawBase = toPtr(kRaw = wg[next++]);
  if (rawV)
    vRawBase = toPtr(vRaw = wg[next++]);
}

Type TensorCoreDistributor::mapType(Type t) const {
  auto v = dyn_cast<VectorType>(t);
  if (!v)
    return t;
  Type e = v.getElementType();
  if (isRow(t) || isColumn(t))
    return VectorType::get({2 * mt}, e);
  if (isTile(t))
    return VectorType::get({mt * v.getDimSize(1) / 2}, e);
  if (isFlat(t))
    return VectorType::get({mt * bn / 2}, e);
  return t;
}

/// ldmatrix of mma.sync B fragments from a staged tile (row stride
/// cols + 8). QK^T (K rows are the n dimension): fragments (j, s) and
/// (j, s + 1) of n-tile j and k-slabs s, s + 1 (`n` = 2 or 1 slabs). PV (V
/// rows are the k dimension, .trans): fragments (j, s) and (j + 1, s).
/// Returns two i32 registers per fragment.
SmallVector<Value> TensorCoreDistributor::bFragments(bool qk, Value base,
                                                     int64_t cols, int64_t j,
                                                     int64_t s, int64_t n) {
  Value l8 = arith::RemUIOp::create(b, loc, lane, idx(8));
  Value m = arith::DivUIOp::create(b, loc, lane, idx(8)); // matrix 0..3
  Value mLo = arith::RemUIOp::create(b, loc, m, idx(2));
  Value mHi = arith::DivUIOp::create(b, loc, m, idx(2));
  if (n == 1)
    mHi = idx(0);
  Value row, col;
  if (qk) {
    row = add(idx(8 * j), l8);
    col = add(idx(16 * s), add(mul(mLo, idx(8)), mul(mHi, idx(16))));
  } else {
    row = add(idx(16 * s), add(mul(mLo, idx(8)), l8));
    col = add(idx(8 * j), mul(mHi, idx(8)));
  }
  Value at = arith::IndexCastOp::create(
      b, loc, b.getI32Type(), add(mul(row, idx(cols + kPad)), col));
  int64_t regs = 2 * n;
  SmallVector<Type> fields(regs, b.getI32Type());
  Type resT = regs == 1 ? Type(b.getI32Type())
                        : LLVM::LLVMStructType::getLiteral(b.getContext(),
                                                           fields);
  Value ld = NVVM::LdMatrixOp::create(
      b, loc, resT, smemPtr(base, at), regs,
      qk ? NVVM::MMALayout::row : NVVM::MMALayout::col,
      NVVM::LdStMatrixShapeAttr::get(b.getContext(), 8, 8),
      NVVM::LdStMatrixEltType::B16);
  SmallVector<Value> out;
  for (int64_t i = 0; i < regs; ++i)
    out.push_back(LLVM::ExtractValueOp::create(b, loc, ld, i));
  return out;
}

/// The two tile products on mma.sync m16n8k16 (16-bit inputs, f32
/// accumulation):  S = Q K^T  and  O += P V.
LogicalResult TensorCoreDistributor::contract(vector::ContractionOp op) {
  auto rhsT = cast<VectorType>(op.getRhsType());
  auto lhsT = cast<VectorType>(op.getLhsType());
  if (!isTile(lhsT) || !isKV(rhsT))
    return error(op, "unexpected contraction");
  bool qk = isScoreProduct(op);
  int64_t cols = rhsT.getDimSize(1);
  Value smem = qk ? kSmem : vSmem, base = qk ? kBase : vBase;

  if (isPipelined(op)) {
    // Outstanding: tile i (K and V) and tile i + 1; Q K^T waits for tile
    // i, P V finds it there.
    if (qk && !waited && failed(waitForTile()))
      return failure();
    // A raw-copied tile's converted form has one buffer.
    if (!(qk ? kLoad : vLoad))
      base = bufPtr(base, buf, cols);
  } else if (preStaged.contains(op)) {
    NVVM::CpAsyncWaitGroupOp::create(b, loc, 0);
    productBarrier();
  } else {
    gpu::BarrierOp::create(b, loc);
    // Stage the V tile with K when everything it is computed from is known
    // already: their copies (or loads) are then in flight together and the
    // rows share their block-table lookups.
    SmallVector<StageTile> tiles = {{op.getRhs(), smem, base, cols}};
    if (qk) {
      for (Operation *o = op->getNextNode(); o; o = o->getNextNode()) {
        auto pv = dyn_cast<vector::ContractionOp>(o);
        if (!pv)
          continue;
        if (isReady(pv.getRhs())) {
          tiles.push_back({pv.getRhs(), vSmem, vBase,
                           cast<VectorType>(pv.getRhsType()).getDimSize(1)});
          preStaged.insert(pv);
        }
        break;
      }
    }
    if (failed(stage(tiles)))
      return failure();
    if (llvm::any_of(tiles,
                     [&](const StageTile &t) { return isDirect(t.kv); }))
      NVVM::CpAsyncWaitGroupOp::create(b, loc, 0);
    productBarrier();
  }

  // A operand: 16-bit values of the query-side tile.
  Value a;
  Value lhs = op.getLhs();
  auto ext = lhs.getDefiningOp<arith::ExtFOp>();
  int64_t kDim = lhsT.getDimSize(1);
  if (ext && cast<VectorType>(ext.getIn().getType()).getElementType() == cT)
    a = get(ext.getIn());
  else
    a = arith::TruncFOp::create(b, loc, VectorType::get({mt * kDim / 2}, cT),
                                get(lhs));
  int64_t nDim = qk ? rhsT.getDimSize(0) : rhsT.getDimSize(1);
  if (wgmma)
    return warpgroupProduct(op, a, qk, base, kDim, nDim,
                            next.iv ? function_ref<LogicalResult()>(
                                          [&] { return prefetchNext(); })
                                    : nullptr);
  Type i32T = b.getI32Type();
  auto pair = VectorType::get({2}, cT);
  bool bf16 = cT.isBF16();
  auto reg = [&](int64_t e) -> Value { // elements e, e+1 of a as one register
    Value v = shuffle(a, {e, e + 1});
    return bf16 ? Value(LLVM::BitcastOp::create(b, loc, i32T, v)) : v;
  };
  auto bReg = [&](Value r) -> Value {
    return bf16 ? r : Value(LLVM::BitcastOp::create(b, loc, pair, r));
  };

  int64_t slabs = kDim / 16, nTiles = nDim / 8;
  // A registers of m-tile i, k-slab s: aRegs[(i * slabs + s) * 4 ...].
  SmallVector<Value> aRegs;
  for (int64_t i = 0; i < mt; ++i)
    for (int64_t s = 0; s < slabs; ++s)
      for (int64_t k = 0; k < 4; ++k)
        aRegs.push_back(reg(i * kDim / 2 + 8 * s + 2 * k));

  Value acc = get(op.getAcc());
  Type f32 = b.getF32Type();
  auto resT = LLVM::LLVMStructType::getLiteral(b.getContext(),
                                               {f32, f32, f32, f32});
  NVVM::MMATypes ptx = bf16 ? NVVM::MMATypes::bf16 : NVVM::MMATypes::f16;
  SmallVector<Value> outElems(mt * nDim / 2);
  // Output n-tiles in groups of two (the B fragments of one group are read
  // with ldmatrix, used by every m-tile of the warp, then dropped).
  for (int64_t j0 = 0; j0 < nTiles; j0 += 2) {
    int64_t nj = std::min<int64_t>(2, nTiles - j0);
    // frag[jj][s] = two registers.
    SmallVector<SmallVector<std::array<Value, 2>>> frag(
        nj, SmallVector<std::array<Value, 2>>(slabs));
    if (qk) {
      for (int64_t jj = 0; jj < nj; ++jj)
        for (int64_t s = 0; s < slabs; s += 2) {
          int64_t n = std::min<int64_t>(2, slabs - s);
          SmallVector<Value> r = bFragments(true, base, cols, j0 + jj, s, n);
          for (int64_t x = 0; x < n; ++x)
            frag[jj][s + x] = {r[2 * x], r[2 * x + 1]};
        }
    } else {
      for (int64_t s = 0; s < slabs; ++s) {
        SmallVector<Value> r = bFragments(false, base, cols, j0, s, 2);
        frag[0][s] = {r[0], r[1]};
        frag[1][s] = {r[2], r[3]};
      }
    }
    for (int64_t i = 0; i < mt; ++i)
      for (int64_t jj = 0; jj < nj; ++jj) {
        int64_t j = j0 + jj;
        SmallVector<Value> c;
        for (int64_t e = 0; e < 4; ++e)
          c.push_back(extract(acc, i * nDim / 2 + 4 * j + e));
        for (int64_t s = 0; s < slabs; ++s) {
          Value d = NVVM::MmaOp::create(
              b, loc, resT,
              ArrayRef<Value>(aRegs).slice((i * slabs + s) * 4, 4),
              ValueRange{bReg(frag[jj][s][0]), bReg(frag[jj][s][1])}, c,
              ArrayRef<int64_t>{16, 8, 16}, std::nullopt, std::nullopt,
              std::array<NVVM::MMATypes, 2>{ptx, ptx},
              std::array<NVVM::MMALayout, 2>{NVVM::MMALayout::row,
                                             NVVM::MMALayout::col});
          for (int64_t e = 0; e < 4; ++e)
            c[e] = LLVM::ExtractValueOp::create(b, loc, d, e);
        }
        for (int64_t e = 0; e < 4; ++e)
          outElems[i * nDim / 2 + 4 * j + e] = c[e];
      }
  }
  map.map(op.getResult(), vector::FromElementsOp::create(
                              b, loc, cast<VectorType>(acc.getType()),
                              outElems));
  return success();
}

/// Row reduction of a [block_m x C] tile: in-thread over the thread's
/// columns, then across the four lanes of a row (shfl.xor 1, 2).
LogicalResult TensorCoreDistributor::reduce(vector::MultiDimReductionOp op) {
  auto srcT = op.getSourceVectorType();
  if (!isTile(srcT) || op.getReductionDims() != ArrayRef<int64_t>{1})
    return error(op, "unexpected reduction");
  Value src = get(op.getSource()), acc = get(op.getAcc());
  int64_t n = srcT.getDimSize(1) / 2;
  SmallVector<Value> res;
  for (int64_t k = 0; k < 2 * mt; ++k) {
    int64_t i = k / 2, r = k % 2;
    SmallVector<int64_t> sel;
    for (int64_t e = 0; e < n; ++e)
      if ((e / 2) % 2 == r)
        sel.push_back(i * n + e);
    Value part = vector::ReductionOp::create(b, loc, op.getKind(),
                                             shuffle(src, sel));
    for (int32_t x : {1, 2}) {
      Value other = gpu::ShuffleOp::create(b, loc, part, x, kWarp,
                                           gpu::ShuffleMode::XOR)
                        .getShuffleResult();
      part = vector::makeArithReduction(b, loc, op.getKind(), part, other);
    }
    res.push_back(
        vector::makeArithReduction(b, loc, op.getKind(), part, extract(acc, k)));
  }
  map.map(op.getResult(),
          vector::FromElementsOp::create(b, loc, acc.getType(), res));
  return success();
}

/// A query-side row load: each thread loads its two rows' column pairs.
LogicalResult TensorCoreDistributor::loadTile(tile::LoadRowsOp op) {
  auto t = op.getType();
  int64_t cols = t.getDimSize(1);
  if (cols % 8)
    return error(op, "query-side tile width must be a multiple of 8");
  Value offs = get(op.getOffsets()), mask = get(op.getMask());
  Value base = get(op.getBase());
  Type et = t.getElementType();
  int64_t bytes = t.getElementTypeBitWidth() / 8;
  int64_t align =
      pow2Divisor(knownMultiple(op.getOffsets()) * bytes, 2 * bytes);
  auto pairT = VectorType::get({2}, et);
  auto halfT = VectorType::get({cols / 4}, et);
  SmallVector<Value> halves; // per row k of the thread: vector<cols/4>
  for (int64_t k = 0; k < 2 * mt; ++k) {
    Value off = toIndex(extract(offs, k));
    auto ifOp = scf::IfOp::create(
        b, loc, extract(mask, k),
        [&](OpBuilder &nb, Location l) {
          OpBuilder::InsertionGuard g(b);
          b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
          SmallVector<Value> elems;
          for (int64_t j = 0; j < cols / 8; ++j) {
            Value at = add(off, add(idx(8 * j), q2));
            Value x = vector::LoadOp::create(b, l, pairT, base, ValueRange{at},
                                             false, llvm::MaybeAlign(align));
            elems.push_back(extract(x, 0));
            elems.push_back(extract(x, 1));
          }
          Value v = vector::FromElementsOp::create(b, l, halfT, elems);
          scf::YieldOp::create(b, l, v);
        },
        [&](OpBuilder &nb, Location l) {
          Value z = arith::ConstantOp::create(nb, l, halfT,
                                              nb.getZeroAttr(halfT));
          scf::YieldOp::create(nb, l, z);
        });
    halves.push_back(ifOp.getResult(0));
  }
  // Element i*(cols/2) + 4j + 2r + c is column 8j + 2q + c of row 2i + r.
  SmallVector<Value> elems;
  for (int64_t e = 0; e < mt * cols / 2; ++e) {
    int64_t i = e / (cols / 2), l = e % (cols / 2);
    elems.push_back(extract(halves[2 * i + (l / 2) % 2], (l / 4) * 2 + l % 2));
  }
  map.map(op.getResult(), vector::FromElementsOp::create(
                              b, loc, VectorType::get({mt * cols / 2}, et),
                              elems));
  return success();
}

/// A query-side row store: column pairs of the thread's two rows; a
/// [block_m x 1] tile (the LSE) is stored by the first lane of each row.
LogicalResult TensorCoreDistributor::storeTile(tile::StoreRowsOp op) {
  auto t = cast<VectorType>(op.getValue().getType());
  int64_t cols = t.getDimSize(1);
  Value offs = get(op.getOffsets()), mask = get(op.getMask());
  Value base = get(op.getBase()), val = get(op.getValue());
  int64_t bytes = t.getElementTypeBitWidth() / 8;
  int64_t align =
      pow2Divisor(knownMultiple(op.getOffsets()) * bytes, 2 * bytes);
  Value firstLane = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                          q2, idx(0));
  for (int64_t k = 0; k < 2 * mt; ++k) {
    int64_t i = k / 2, r = k % 2;
    Value off = toIndex(extract(offs, k));
    Value m = extract(mask, k);
    if (cols == 1)
      m = arith::AndIOp::create(b, loc, m, firstLane);
    else if (cols % 8)
      return error(op, "query-side tile width must be a multiple of 8");
    auto ifOp = scf::IfOp::create(b, loc, m, false);
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(&ifOp.getThenRegion().front());
    if (cols == 1) {
      vector::StoreOp::create(b, loc, shuffle(val, {k}), base,
                              ValueRange{off});
      continue;
    }
    for (int64_t j = 0; j < cols / 8; ++j) {
      Value at = add(off, add(idx(8 * j), q2));
      int64_t e = i * cols / 2 + 4 * j + 2 * r;
      Value x = shuffle(val, {e, e + 1});
      vector::StoreOp::create(b, loc, x, base, ValueRange{at}, false,
                              llvm::MaybeAlign(align));
    }
  }
  return success();
}

LogicalResult TensorCoreDistributor::broadcast(vector::BroadcastOp op) {
  Type srcT = op.getSource().getType(), dstT = op.getType();
  Type nt = mapType(dstT);
  auto sv = dyn_cast<VectorType>(srcT);
  if (!sv) {
    map.map(op.getResult(), splat(nt, get(op.getSource())));
    return success();
  }
  if (isColumn(srcT)) { // [bm x 1] -> [bm x C]
    if (isColumn(dstT)) {
      map.map(op.getResult(), get(op.getSource()));
      return success();
    }
    SmallVector<int64_t> sel;
    int64_t per = cast<VectorType>(dstT).getDimSize(1) / 2;
    for (int64_t e = 0, n = cast<VectorType>(nt).getDimSize(0); e < n; ++e)
      sel.push_back(2 * (e / per) + ((e % per) / 2) % 2);
    map.map(op.getResult(), shuffle(get(op.getSource()), sel));
    return success();
  }
  if (isKeyVec(srcT) && cast<VectorType>(dstT).getDimSize(1) == bn) {
    Value cols = colOf(op.getSource());
    SmallVector<int64_t> sel;
    for (int64_t e = 0; e < mt * bn / 2; ++e)
      sel.push_back(((e % (bn / 2)) / 4) * 2 + e % 2);
    map.map(op.getResult(), shuffle(cols, sel));
    return success();
  }
  return error(op, "unexpected broadcast into a query-side tile");
}

/// exp2, exp and tanh of the distributed scores, on the special-function
/// unit: exp2(x) = ex2.approx.ftz(x), exp(x) = ex2.approx.ftz(x * log2(e))
/// (relative error 2^-22), tanh by
/// tanh.approx.f32 (2^-11; softcap's tanh, as FlashAttention computes it).
LogicalResult TensorCoreDistributor::fastMath(Operation &op) {
  Value x = get(op.getOperand(0));
  auto vt = cast<VectorType>(x.getType());
  if (!vt.getElementType().isF32())
    return error(&op, "expected f32 operands");
  bool exp = isa<math::ExpOp, math::Exp2Op>(op);
  Type f32 = b.getF32Type();
  if (isa<math::ExpOp>(op))
    x = arith::MulFOp::create(
        b, loc, x,
        arith::ConstantOp::create(
            b, loc, DenseElementsAttr::get(vt, b.getF32FloatAttr(M_LOG2E))));
  SmallVector<Value> elems;
  for (int64_t i = 0, n = vt.getDimSize(0); i < n; ++i) {
    Value e = extract(x, i);
    if (exp)
      e = LLVM::CallIntrinsicOp::create(
              b, loc, f32, b.getStringAttr("llvm.nvvm.ex2.approx.ftz.f32"),
              ValueRange{e})
              .getResult(0);
    else
      e = LLVM::InlineAsmOp::create(
              b, loc, f32, ValueRange{e}, "tanh.approx.f32 $0, $1;", "=f,f",
              false, false, LLVM::tailcallkind::TailCallKind::None, nullptr,
              nullptr)
              .getResult(0);
    elems.push_back(e);
  }
  map.map(op.getResult(0), vector::FromElementsOp::create(b, loc, vt, elems));
  return success();
}

/// acc * broadcast(alpha) where acc is a loop-carried query-side tile of
/// at least 32 columns (the accumulator's rescaling): the warp skips the
/// multiplies when alpha is exactly 1 on all its rows (vote.sync.any of
/// alpha != 1), which the schedule's lazy running max makes the common
/// case. Exact: the skipped products are x * 1.
std::optional<LogicalResult>
TensorCoreDistributor::lazyRescale(arith::MulFOp op) {
  Value acc = op.getLhs(), factor = op.getRhs();
  if (!isa<BlockArgument>(acc))
    std::swap(acc, factor);
  auto bc = factor.getDefiningOp<vector::BroadcastOp>();
  auto arg = dyn_cast<BlockArgument>(acc);
  if (!isTile(op.getType()) ||
      cast<VectorType>(op.getType()).getDimSize(1) < 32 || !bc ||
      !isColumn(bc.getSource().getType()) || !arg ||
      !isa<scf::ForOp>(arg.getOwner()->getParentOp()))
    return std::nullopt;
  Value rowFactors = get(bc.getSource());
  Value one = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(1.0));
  Value notOne;
  for (int64_t k = 0; k < 2 * mt; ++k) {
    Value ne = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNE,
                                     extract(rowFactors, k), one);
    notOne = notOne ? arith::OrIOp::create(b, loc, notOne, ne) : ne;
  }
  Value any = NVVM::VoteSyncOp::create(b, loc, b.getI1Type(), i32(-1), notOne,
                                       NVVM::VoteSyncKind::any);
  Value a = get(acc), f = get(factor);
  auto vt = cast<VectorType>(a.getType());
  // The products are inline PTX marked as having side effects: LLVM would
  // otherwise speculate them and turn the branch into selects.
  auto products = [&] {
    SmallVector<Value> elems;
    for (int64_t e = 0; e < vt.getDimSize(0); ++e)
      elems.push_back(
          LLVM::InlineAsmOp::create(
              b, loc, b.getF32Type(), ValueRange{extract(a, e), extract(f, e)},
              "mul.f32 $0, $1, $2;", "=f,f,f", /*has_side_effects=*/true,
              false, LLVM::tailcallkind::TailCallKind::None, nullptr, nullptr)
              .getResult(0));
    return vector::FromElementsOp::create(b, loc, vt, elems).getResult();
  };
  map.map(op.getResult(),
          ifThenElse(any, vt, products, [&] { return a; }));
  return success();
}

std::optional<LogicalResult>
TensorCoreDistributor::cloneTarget(Operation &op) {
  if (gated.contains(&op))
    return success();
  if (auto c = dyn_cast<vector::ContractionOp>(op);
      c && active && isPipelined(c) && isScoreProduct(c))
    return gateCompute(c);
  if (isa<math::ExpOp, math::Exp2Op, math::TanhOp>(op) &&
      op.getResult(0).getType() != mapType(op.getResult(0).getType()))
    return fastMath(op);
  if (auto mul = dyn_cast<arith::MulFOp>(op))
    return lazyRescale(mul);
  return std::nullopt;
}

/// A row gather ([block_m]): one element per row of the thread.
LogicalResult TensorCoreDistributor::gatherRow(vector::GatherOp gather) {
  Value idxs = get(gather.getIndices()), mask = get(gather.getMask());
  Value pass = get(gather.getPassThru()), base = get(gather.getBase());
  Value off = get(gather.getOffsets()[0]);
  SmallVector<Value> elems;
  for (int64_t k = 0; k < 2 * mt; ++k) {
    Value at = add(off, toIndex(extract(idxs, k)));
    Value p = extract(pass, k);
    elems.push_back(ifThenElse(
        extract(mask, k), p.getType(),
        [&] { return memref::LoadOp::create(b, loc, base, ValueRange{at}); },
        [&] { return p; }));
  }
  map.map(gather.getResult(),
          vector::FromElementsOp::create(b, loc, mapType(gather.getType()),
                                         elems));
  return success();
}


FailureOr<int64_t> mlir::attn::nvidia::buildTensorCoreKernel(
    func::FuncOp fn, gpu::GPUModuleOp gpuModule, int64_t rowsPerWarp,
    bool warpgroupMMA) {
  std::optional<MatrixKernel> k = matchMatrixKernel(fn, /*colMultiple=*/8);
  if (!k)
    return int64_t(0);
  auto [bm, bn, dk, dv, cT] = *k;
  MLIRContext *ctx = fn.getContext();
  OpBuilder b(gpuModule.getBodyRegion());
  auto ws = gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup);
  // K and V: two buffers each for the pipelined loop, one where the loop
  // copies the raw 8-bit bytes instead (two buffers of those after them).
  auto [rawK, rawV] = TensorCoreDistributor::rawSides(fn);
  // Warps own rowsPerWarp rows (16 or 32) when block_m allows it.
  int64_t mt = rowsPerWarp == 32 && bm % 32 == 0 ? 2 : 1;
  bool wgmma = warpgroupMMA &&
               TensorCoreDistributor::warpgroupFits(bm, bn, mt, dk, dv);
  SmallVector<Type> workgroup = {
      MemRefType::get({rawK ? bn : 2 * bn, dk + kPad}, cT, nullptr, ws),
      MemRefType::get({rawV ? bn : 2 * bn, dv + kPad}, cT, nullptr, ws)};
  auto i8 = IntegerType::get(ctx, 8);
  if (rawK)
    workgroup.push_back(MemRefType::get({2 * bn, dk + 16}, i8, nullptr, ws));
  if (rawV)
    workgroup.push_back(MemRefType::get({2 * bn, dv + 16}, i8, nullptr, ws));
  if (wgmma) // dynamic shared memory instead (the prologue carves it)
    workgroup.clear();
  int64_t threads = bm / (16 * mt) * kWarp;
  IRMapping map;
  KernelFrame frame =
      createKernelFrame(b, fn, gpuModule, workgroup, threads, map);
  TensorCoreDistributor d(b, bm, bn, dk, dv, mt, cT, frame, rawK, rawV,
                          wgmma);
  if (wgmma) {
    int64_t shared = d.warpgroupLayout().total;
    frame.func->setAttr(kDynamicSharedBytesAttr, b.getI64IntegerAttr(shared));
    // Ask ptxas for the blocks per SM that 128 registers a thread allow
    // where the shared memory holds them too (Hopper: 64K registers, 227 KB
    // of shared memory, 1 KB of it reserved per block): the split kernels
    // otherwise take 139-162 registers and lose a block per SM.
    int64_t blocks = std::min<int64_t>(65536 / (threads * 128),
                                       (227 * 1024) / (shared + 1024));
    if (blocks > 1)
      frame.func->setAttr(NVVM::NVVMDialect::getMinctasmAttrName(),
                          b.getI32IntegerAttr(blocks));
  }
  if (failed(d.cloneKernel(fn, std::move(map))))
    return failure();
  return threads;
}
