//===- TensorCorePipeline.cpp - K/V tiles into shared memory --------------===//
//
// How the tensor-core mapping gets K/V tiles to shared memory: cp.async
// copies of plain 16-bit rows (16 bytes, zero-fill past the end) or
// dequantization by the threads, the double-buffered software pipeline of
// the KV loop (tile i + 1 copies while tile i computes), and the per-warp
// gate of the loop's products for warps with no stored row.
//
//===----------------------------------------------------------------------===//

#include "TensorCoreDistributor.h"

#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include <array>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::nvidia;

/// A K/V tile that is a plain row load in the compute type (through an
/// extf): copied to shared memory as it is, with cp.async.
bool TensorCoreDistributor::isDirect(Value kv, tile::LoadRowsOp *out) const {
  Value src = kv;
  if (auto ext = kv.getDefiningOp<arith::ExtFOp>())
    src = ext.getIn();
  auto load = src.getDefiningOp<tile::LoadRowsOp>();
  if (!load || load.getType().getElementType() != cT)
    return false;
  if (out)
    *out = load;
  return true;
}

/// Whether every value the K/V-side tile `kv` is computed from (row
/// offsets, masks, scales) has been mapped already.
bool TensorCoreDistributor::isReady(Value kv) const {
  Operation *def = kv.getDefiningOp();
  if (!def)
    return false;
  if (auto load = dyn_cast<tile::LoadRowsOp>(def))
    return map.contains(load.getBase()) && map.contains(load.getOffsets()) &&
           map.contains(load.getMask());
  if (isa<arith::ConstantOp>(def))
    return true;
  if (def->getNumRegions() != 0)
    return false;
  return llvm::all_of(def->getOperands(), [&](Value o) {
    if (isKV(o.getType()))
      return isReady(o);
    return !isa<VectorType>(o.getType()) && map.contains(o);
  });
}

/// The 8-bit row load that K/V-side tile `kv` is dequantized from: its
/// only load of the tile's width (loads of per-row scales may sit beside
/// it), when that width and the rows' offsets are multiples of 16 bytes
/// (cp.async's size and alignment; rows of a per-token-head cache, with
/// their scale inline, are not). Null otherwise.
static tile::LoadRowsOp rawSource(Value kv) {
  auto t = cast<VectorType>(kv.getType());
  tile::LoadRowsOp found;
  int count = 0;
  SmallVector<Value> work = {kv};
  DenseSet<Value> seen;
  while (!work.empty()) {
    Value v = work.pop_back_val();
    if (!seen.insert(v).second)
      continue;
    Operation *def = v.getDefiningOp();
    if (!def)
      return {};
    if (auto load = dyn_cast<tile::LoadRowsOp>(def)) {
      if (load.getType().getDimSize(1) == t.getDimSize(1)) {
        found = load;
        ++count;
      }
      continue;
    }
    for (Value o : def->getOperands())
      if (auto ot = dyn_cast<VectorType>(o.getType());
          ot && ot.getRank() == 2 && ot.getDimSize(0) == t.getDimSize(0))
        work.push_back(o);
  }
  if (count != 1 || found.getType().getElementTypeBitWidth() != 8 ||
      t.getDimSize(1) % 16 != 0 || knownMultiple(found.getOffsets()) % 16 != 0)
    return {};
  return found;
}

/// Whether the rows of `load` depend only on the loop's induction variable
/// (then the next iteration's can be computed ahead).
static bool rowsOnIv(tile::LoadRowsOp load, scf::ForOp forOp) {
  DenseSet<Value> seen;
  Block *body = forOp.getBody();
  Value iv = forOp.getInductionVar();
  return onlyOnIv(load.getOffsets(), body, iv, seen) &&
         onlyOnIv(load.getMask(), body, iv, seen);
}

std::pair<bool, bool> TensorCoreDistributor::rawSides(func::FuncOp fn) {
  bool k = false, v = false;
  fn.walk([&](scf::ForOp forOp) {
    auto [qk, pv] = loopProducts(forOp);
    if (!qk || !pv)
      return;
    tile::LoadRowsOp kl = rawSource(qk.getRhs()), vl = rawSource(pv.getRhs());
    k |= kl && rowsOnIv(kl, forOp);
    v |= vl && rowsOnIv(vl, forOp);
  });
  return {k, v};
}

/// One 16-byte cp.async of row `row`, columns [col, col + 16 bytes) of row
/// load `load` to element `dstOffset` of `dst`; rows outside the load's
/// mask are zero-filled.
void TensorCoreDistributor::copyAsync(tile::LoadRowsOp load, Value row,
                                      Value col, Value dst, Value dstOffset,
                                      IRMapping &memo) {
  Type et = load.getType().getElementType();
  if (et != cT)
    et = b.getIntegerType(load.getType().getElementTypeBitWidth());
  Value off = scalarAt(load.getOffsets(), row, memo);
  Value m = scalarAt(load.getMask(), row, memo);
  Value zero = arith::ConstantIntOp::create(b, loc, off.getType(), 0);
  off = arith::SelectOp::create(b, loc, m, off, zero);
  Value at = add(toIndex(off), col);
  Value gIdx = arith::IndexCastOp::create(b, loc, b.getI64Type(), at);
  Value src = LLVM::GEPOp::create(
      b, loc, LLVM::LLVMPointerType::get(b.getContext(), 1), et,
      frame.globalPtr.lookup(load.getBase()), ValueRange{gIdx});
  Value sIdx = arith::IndexCastOp::create(b, loc, b.getI32Type(), dstOffset);
  Value to = LLVM::GEPOp::create(b, loc, dst.getType(), et, dst,
                                 ValueRange{sIdx});
  Value size = arith::SelectOp::create(b, loc, m, i32(16), i32(0));
  NVVM::CpAsyncOp::create(b, loc, to, src, 16,
                          NVVM::LoadCacheModifierKind::CG, size);
}

/// Writes every row of the K/V-side tile `kv` ([block_n x cols]) to shared
/// memory (stagedOffset: row stride cols + 8 elements of the compute type,
/// or wgmma's swizzled atoms): threads take
/// 16-byte chunks in turn. Direct tiles go through cp.async (one commit
/// group; rows outside the mask are zero-filled), raw tiles too (the bytes
/// of their 8-bit load, row stride cols + 16); others are computed chunk
/// by chunk and stored.
LogicalResult TensorCoreDistributor::stage(ArrayRef<StageTile> tiles,
                                           bool commit) {
  bool anyDirect = false;
  for (size_t t0 = 0; t0 < tiles.size();) {
    // Tiles of the same width share the chunk loop and the row lookups.
    size_t t1 = t0 + 1;
    while (t1 < tiles.size() && tiles[t1].cols == tiles[t0].cols &&
           tiles[t1].raw == tiles[t0].raw)
      ++t1;
    int64_t cols = tiles[t0].cols;
    int64_t width = tiles[t0].raw ? 16 : 8; // elements per 16-byte chunk
    int64_t perRow = cols / width, total = bn * perRow;
    int64_t stride = cols + (tiles[t0].raw ? 16 : kPad);
    for (int64_t k = 0; k * threads < total; ++k) {
      Value id = add(frame.tid, idx(k * threads));
      std::optional<OpBuilder::InsertionGuard> guard;
      if ((k + 1) * threads > total) {
        Value inRange = arith::CmpIOp::create(
            b, loc, arith::CmpIPredicate::ult, id, idx(total));
        auto ifOp = scf::IfOp::create(b, loc, inRange, false);
        guard.emplace(b);
        b.setInsertionPointToStart(&ifOp.getThenRegion().front());
        shift.shifted = IRMapping();
      }
      Value row = arith::DivUIOp::create(b, loc, id, idx(perRow));
      Value col =
          mul(arith::RemUIOp::create(b, loc, id, idx(perRow)), idx(width));
      IRMapping memo;
      for (const StageTile &tile : tiles.slice(t0, t1 - t0)) {
        tile::LoadRowsOp load;
        bool direct = tile.raw ? bool(load = rawSource(tile.kv))
                               : !converting && isDirect(tile.kv, &load);
        anyDirect |= direct;
        Value at = tile.raw ? add(mul(row, idx(stride)), col)
                            : stagedOffset(row, col, cols);
        if (direct) {
          copyAsync(load, row, col, tile.base, at, memo);
          continue;
        }
        FailureOr<Value> chunk = chunkOf(tile.kv, row, col, 8, 8, memo);
        if (failed(chunk))
          return failure();
        Value x = *chunk;
        auto xt = cast<VectorType>(x.getType());
        auto f32T = VectorType::get({8}, b.getF32Type());
        auto cVecT = VectorType::get({8}, cT);
        if (xt.getElementType() != cT) {
          if (!xt.getElementType().isF32())
            x = isa<FloatType>(xt.getElementType())
                    ? Value(arith::ExtFOp::create(b, loc, f32T, x))
                    : Value(arith::SIToFPOp::create(b, loc, f32T, x));
          x = arith::TruncFOp::create(b, loc, cVecT, x);
        }
        if (wgmma)
          LLVM::StoreOp::create(
              b, loc, x,
              smemPtr(tile.base, arith::IndexCastOp::create(
                                     b, loc, b.getI32Type(), at)),
              16);
        else
          vector::StoreOp::create(b, loc, x, tile.smem, ValueRange{row, col},
                                  false, llvm::MaybeAlign(16));
      }
      if (guard)
        shift.shifted = IRMapping();
    }
    t0 = t1;
  }
  if (anyDirect && commit)
    NVVM::CpAsyncCommitGroupOp::create(b, loc);
  return success();
}

Value TensorCoreDistributor::stagedOffset(Value row, Value col, int64_t cols,
                                          int64_t atomRows) {
  if (!wgmma)
    return add(mul(row, idx(cols + kPad)), col);
  if (!atomRows)
    atomRows = bn;
  // Atom col / 64 of [block_n x 64]; row r at 64 r; its 16-byte chunk c at
  // (c ^ r % 8) * 8 (the 128-byte swizzle the descriptors name).
  Value atom = arith::DivUIOp::create(b, loc, col, idx(kAtomCols));
  Value chunk = arith::DivUIOp::create(
      b, loc, arith::RemUIOp::create(b, loc, col, idx(kAtomCols)), idx(8));
  Value swz = arith::XOrIOp::create(
      b, loc, chunk, arith::RemUIOp::create(b, loc, row, idx(8)));
  return add(add(mul(atom, idx(atomRows * kAtomCols)),
                 mul(row, idx(kAtomCols))),
             mul(swz, idx(8)));
}

/// Stores the thread's Q fragments (row 16 w + g + 8 r, columns 8 j + 2 q,
/// + 1) into the Q buffer, one 32-bit store per pair. The first tile's
/// fence and barrier order them before Q K^T.
void TensorCoreDistributor::stageQuery(vector::ContractionOp qk,
                                       scf::ForOp forOp) {
  auto ext = qk.getLhs().getDefiningOp<arith::ExtFOp>();
  if (!qBase || !ext || forOp->isAncestor(ext) || !map.contains(ext.getIn()) ||
      cast<VectorType>(ext.getIn().getType()).getElementType() != cT)
    return;
  int64_t cols = cast<VectorType>(ext.getIn().getType()).getDimSize(1);
  Value regs = get(ext.getIn());
  for (int64_t j = 0; j < cols / 8; ++j)
    for (int64_t r = 0; r < 2; ++r) {
      Value at = add(stagedOffset(extract(rows, r), idx(8 * j), cols, bm), q2);
      LLVM::StoreOp::create(
          b, loc, shuffle(regs, {4 * j + 2 * r, 4 * j + 2 * r + 1}),
          smemPtr(qBase, arith::IndexCastOp::create(b, loc, b.getI32Type(), at)),
          4);
    }
  qStaged = ext.getIn();
}

void TensorCoreDistributor::productBarrier() {
  if (wgmma)
    NVVM::FenceProxyOp::create(
        b, loc,
        NVVM::ProxyKindAttr::get(b.getContext(), NVVM::ProxyKind::async_shared),
        NVVM::SharedSpaceAttr::get(b.getContext(),
                                   NVVM::SharedSpace::shared_cta));
  gpu::BarrierOp::create(b, loc);
}

/// Buffer `buf` (0 or 1) of a double-buffered K/V tile of `cols` columns
/// (of the compute type, or raw bytes).
Value TensorCoreDistributor::bufPtr(Value base, Value buf, int64_t cols,
                                    bool raw) {
  int64_t rowElems = cols + (raw ? 16 : wgmma ? 0 : kPad);
  Value off = arith::IndexCastOp::create(b, loc, b.getI32Type(),
                                         mul(buf, idx(bn * rowElems)));
  return LLVM::GEPOp::create(b, loc, base.getType(),
                             raw ? Type(b.getI8Type()) : Type(cT), base,
                             ValueRange{off});
}

/// The chunk of a raw-copied load, read from its buffer while converting.
Value TensorCoreDistributor::stagedChunk(tile::LoadRowsOp load, Value row,
                                         Value col, VectorType chunkT) {
  if (!converting || (load != kLoad && load != vLoad))
    return Value();
  Value mem = load == kLoad ? kRaw : vRaw;
  auto bytesT = VectorType::get(chunkT.getShape(), b.getI8Type());
  Value x = vector::LoadOp::create(b, loc, bytesT, mem,
                                   ValueRange{add(mul(buf, idx(bn)), row), col},
                                   false, llvm::MaybeAlign(8));
  if (chunkT != bytesT)
    x = arith::BitcastOp::create(b, loc, chunkT, x);
  return x;
}

/// Waits for the copies of tile i (one group, tile i + 1's, may stay in
/// flight); raw tiles are then converted into their compute buffers by
/// all threads, between two barriers.
LogicalResult TensorCoreDistributor::waitForTile() {
  NVVM::CpAsyncWaitGroupOp::create(b, loc, wgmma ? 0 : 1);
  if (!kLoad && !vLoad) {
    productBarrier();
    return success();
  }
  gpu::BarrierOp::create(b, loc);
  if (wgmma && failed(prefetchNext()))
    return failure();
  SmallVector<StageTile> tiles;
  if (kLoad)
    tiles.push_back({shift.qk.getRhs(), kSmem, kBase, dk});
  if (vLoad)
    tiles.push_back({shift.pv.getRhs(), vSmem, vBase, dv});
  converting = true;
  LogicalResult r = stage(tiles, /*commit=*/false);
  converting = false;
  productBarrier();
  return r;
}

LogicalResult TensorCoreDistributor::prefetchNext() {
  if (!next.iv)
    return success();
  NextTile n = next;
  next = NextTile();
  return prefetch(n.iv, n.ub, n.buf);
}

/// Starts the copies of the K and V tiles of iteration `iv` (when iv < ub)
/// into buffer `buf`: one commit group (empty past the end); K and V rows
/// share their block-table lookups.
LogicalResult TensorCoreDistributor::prefetch(Value iv, Value ub, Value buf) {
  vector::ContractionOp qk = shift.qk, pv = shift.pv;
  Value inRange =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, iv, ub);
  auto ifOp = scf::IfOp::create(b, loc, inRange, false);
  {
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(&ifOp.getThenRegion().front());
    shift.shifting = true;
    shift.shiftIv = iv;
    shift.shifted = IRMapping();
    auto tile = [&](Value kv, tile::LoadRowsOp raw, Value smem, Value base,
                    Value rawBase, int64_t cols) -> StageTile {
      if (raw)
        return {kv, Value(), bufPtr(rawBase, buf, cols, true), cols, true};
      return {kv, smem, bufPtr(base, buf, cols), cols};
    };
    LogicalResult r =
        stage({tile(qk.getRhs(), kLoad, kSmem, kBase, kRawBase, dk),
               tile(pv.getRhs(), vLoad, vSmem, vBase, vRawBase, dv)},
              /*commit=*/false);
    shift.shifted = IRMapping();
    shift.shifting = false;
    if (failed(r))
      return failure();
  }
  NVVM::CpAsyncCommitGroupOp::create(b, loc);
  return success();
}

/// The KV loop, software-pipelined when both of its tiles are plain 16-bit
/// row loads or raw-copied 8-bit ones (rawSides) whose rows depend on the
/// induction variable only: a prologue copies tile 0; iteration i starts
/// the copies of tile i + 1 into the other buffer, then waits for its own
/// tile before Q K^T.
std::optional<LogicalResult>
TensorCoreDistributor::pipelineLoop(scf::ForOp forOp) {
  if (shift.body)
    return std::nullopt;
  auto [qk, pv] = loopProducts(forOp);
  if (!qk || !pv)
    return std::nullopt;
  tile::LoadRowsOp raws[2];
  for (auto [i, c] : llvm::enumerate(std::array{qk, pv})) {
    tile::LoadRowsOp load;
    if (i == 0 ? rawK : rawV)
      raws[i] = load = rawSource(c.getRhs());
    else if (!isDirect(c.getRhs(), &load))
      return std::nullopt;
    if (!load || !rowsOnIv(load, forOp))
      return std::nullopt;
  }
  kLoad = raws[0];
  vLoad = raws[1];
  startPipeline(forOp, qk, pv);
  // A warpgroup MMA is issued by all four warps of the warpgroup: no
  // per-warp gate.
  active = wgmma ? Value() : warpStores(forOp);
  Value lb = get(forOp.getLowerBound()), ub = get(forOp.getUpperBound());
  Value step = get(forOp.getStep());
  if (failed(prefetch(lb, ub, idx(0))))
    return failure();
  if (wgmma)
    stageQuery(qk, forOp);
  LogicalResult result = cloneFor(forOp, [&]() -> LogicalResult {
    Value now = get(forOp.getInductionVar());
    Value i = arith::DivSIOp::create(
        b, loc, arith::SubIOp::create(b, loc, now, lb), step);
    buf = arith::RemSIOp::create(b, loc, i, idx(2));
    Value nextIv = add(now, step);
    Value other = arith::SubIOp::create(b, loc, idx(1), buf);
    if (wgmma) { // after the wait for tile i (waitForTile, contract)
      next = {nextIv, ub, other};
      return success();
    }
    gpu::BarrierOp::create(b, loc);
    return prefetch(nextIv, ub, other);
  });
  shift = Shift();
  qStaged = Value();
  active = Value();
  kLoad = vLoad = tile::LoadRowsOp();
  return result;
}

/// Whether any row of the warp is written by the kernel: every store_rows
/// of the kernel must share one row mask computed before the loop (then
/// the loop's values of the other rows are never stored). Null when the
/// stores do not allow the conclusion.
Value TensorCoreDistributor::warpStores(scf::ForOp forOp) {
  Value mask;
  bool ok = true;
  forOp->getParentOfType<func::FuncOp>().walk([&](tile::StoreRowsOp st) {
    ok &= !mask || st.getMask() == mask;
    mask = st.getMask();
  });
  if (!ok || !mask || !map.contains(mask) ||
      forOp->isAncestor(mask.getParentBlock()->getParentOp()))
    return Value();
  Value rowsMask = get(mask), any;
  for (int64_t k = 0; k < 2 * mt; ++k) {
    Value r = extract(rowsMask, k);
    any = any ? arith::OrIOp::create(b, loc, any, r).getResult() : r;
  }
  return NVVM::VoteSyncOp::create(b, loc, b.getI1Type(), i32(-1), any,
                                  NVVM::VoteSyncKind::any);
}

/// From Q K^T to the end of the pipelined loop's body, under `active`:
/// after the wait for tile i (which every warp meets), the rest of the
/// iteration (products, softmax) runs in an scf.if whose else branch
/// passes the loop-carried values on.
LogicalResult TensorCoreDistributor::gateCompute(vector::ContractionOp qk) {
  if (failed(waitForTile()))
    return failure();
  Block *body = qk->getBlock();
  auto yield = cast<scf::YieldOp>(body->getTerminator());
  SmallVector<Type> types;
  for (Value v : yield.getOperands())
    types.push_back(mapType(v.getType()));
  auto ifOp = scf::IfOp::create(b, loc, types, active, /*withElse=*/true);
  {
    OpBuilder::InsertionGuard guard(b);
    Block &thenBlk = ifOp.getThenRegion().front();
    if (!thenBlk.empty())
      thenBlk.back().erase();
    b.setInsertionPointToEnd(&thenBlk);
    Value gate = active;
    active = Value();
    waited = true;
    for (Operation *o = qk; o != yield; o = o->getNextNode()) {
      if (failed(cloneOp(*o)))
        return failure();
      gated.insert(o);
    }
    waited = false;
    active = gate;
    SmallVector<Value> vals;
    for (Value v : yield.getOperands())
      vals.push_back(get(v));
    scf::YieldOp::create(b, loc, vals);
    Block &elseBlk = ifOp.getElseRegion().front();
    if (!elseBlk.empty())
      elseBlk.back().erase();
    b.setInsertionPointToEnd(&elseBlk);
    SmallVector<Value> carried;
    for (Value v : body->getArguments().drop_front())
      carried.push_back(get(v));
    scf::YieldOp::create(b, loc, carried);
  }
  for (auto [v, r] : llvm::zip(yield.getOperands(), ifOp.getResults()))
    map.map(v, r);
  return success();
}
