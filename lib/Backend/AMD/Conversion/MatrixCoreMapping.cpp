//===- MatrixCoreMapping.cpp - attention tiles on mfma --------------------===//
//
// The CDNA matrix-core mapping of attention kernels (gfx90a, gfx942,
// wave64). With w = wave, r = lane % 16, g = lane / 16:
//
//  - both tile products run transposed on mfma 16x16x16 (bf16 or f16
//    inputs, f32 accumulation), one 16x16 block per instruction:
//      S^T = K Q^T    (A: 16 rows of K,   B: Q^T, C/D: S^T)
//      O^T = V^T P^T  (A: 16 rows of V^T, B: P^T, C/D: O^T)
//    In the three operand layouts of mfma 16x16x16, lane l holds row r of
//    A, column r of B and of C/D, and the four consecutive indices
//    4g .. 4g + 3 of the other dimension. Transposed, the query row is the
//    column of B and C/D: every query-side value of a thread belongs to ONE
//    query row, 16w + r, and the C/D layout of S^T is the B layout of P^T,
//    so Q and P feed the products from registers (P rounded to the 16-bit
//    compute type, as in FlashAttention);
//  - a query-side tile [block_m x C] (C a multiple of 16) is held by each
//    thread as vector<C/4>: element 4t + i is column 16t + 4g + i;
//  - a row vector [block_m] and a column [block_m x 1] are vector<1>;
//  - a key-side vector [block_n] (positions, block-table entries) is held
//    whole by every thread; its columns of a tile are rebuilt from its
//    producers where it is broadcast into a tile;
//  - a K/V tile [block_n x C] is never held: threads write it to LDS in the
//    compute type in 8-element chunks (loaded from the cache; dequantized
//    for fp8 / int8 caches), K row-major and V transposed, with rows padded
//    to 4 mod 8 elements so that the 8-byte A-operand reads of 16 lanes
//    (4 consecutive elements of one LDS row each) hit distinct banks;
//  - the KV loop is software-pipelined through registers: iteration i
//    starts with a barrier (tile i is in LDS) and the cache loads of tile
//    i + 1, runs the products of tile i, and ends with a barrier and the
//    LDS writes (dequantization included) of tile i + 1; a prologue writes
//    tile 0. One LDS buffer, two barriers per tile (a loop whose tiles
//    cannot be built for the next iteration writes K and V at the first
//    product instead);
//  - row reductions are in-thread, then across the four lanes of a row
//    (shuffle xor 16 and 32).
//
// The algorithm is the one convert-attn-to-tiles wrote; this file decides
// where each element lives and which instructions compute it.
//
//===----------------------------------------------------------------------===//

#include "attn/Backend/AMD/MatrixCoreMapping.h"
#include "attn/Backend/GPU/FragmentCloner.h"
#include "attn/Dialect/AttnTile/IR/AttnTile.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/ROCDLDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/STLExtras.h"

#include <numeric>

using namespace mlir;
using namespace mlir::attn;

namespace {

constexpr int64_t kWave = 64;
constexpr int64_t kPad = 4; // elements of padding per LDS row

/// Indices [4 * i, 4 * i + 4): the mfma operand of block i of a thread's
/// vector.
SmallVector<int64_t> quad(int64_t i) {
  return {4 * i, 4 * i + 1, 4 * i + 2, 4 * i + 3};
}

class MatrixCoreDistributor : public FragmentCloner {
public:
  MatrixCoreDistributor(OpBuilder &b, int64_t bm, int64_t bn, FloatType cT,
                        KernelFrame &frame)
      : FragmentCloner(b, "matrix-core mapping", bm, bn, frame), cT(cT) {
    for (int64_t t = 0; t < bn / 16; ++t)
      for (int64_t i = 0; i < 4; ++i)
        colPattern.push_back(16 * t + i);
  }

private:
  void prologue(Location l) override;
  Type mapType(Type t) const override;
  std::optional<LogicalResult> cloneTarget(Operation &op) override;
  // Columns of the thread in an mfma 16x16 C tile: 16t + i + 4 (lane / 16).
  ArrayRef<int64_t> columnPattern() const override { return colPattern; }
  Value columnBase() const override { return g4; }

  Value concat(ArrayRef<Value> parts, VectorType t);

  // Distribution helpers.
  bool isReady(Value kv) const;
  std::tuple<Value, Value, Value> chunkPos(int64_t k, bool transposed,
                                           int64_t cols, bool clamp);
  Value directSource(Value kv) const;
  void storeChunk(Value x, bool transposed, Value row, Value col);
  LogicalResult stage(Value kv, bool transposed);
  Value mfma(Value a, Value bOperand, Value c);

  // Software pipelining of the KV loop: the cache loads of tile i + 1 are
  // issued into registers at the start of iteration i and written to LDS
  // at its end, after the products of tile i have read it.
  std::optional<LogicalResult> pipelineLoop(scf::ForOp forOp) override;
  LogicalResult prefetchLoads(Value kv, Value row, Value col, int64_t colMult,
                              int64_t w, IRMapping &memo);
  LogicalResult finishPrefetch();
  struct Chunk {
    Value kv, id, row, col;
    bool transposed;
    IRMapping memo;
  };
  // (The rebuilt values of iteration i + 1 are FragmentCloner::shift; its
  // inRange, shiftIv < upper bound, masks the prefetched loads.)
  SmallVector<Chunk> prefetched; // to be written to LDS at the body end

  LogicalResult contract(vector::ContractionOp op) override;
  LogicalResult reduce(vector::MultiDimReductionOp op) override;
  LogicalResult loadTile(tile::LoadRowsOp op) override;
  LogicalResult storeTile(tile::StoreRowsOp op) override;
  LogicalResult broadcast(vector::BroadcastOp op) override;
  LogicalResult gatherRow(vector::GatherOp op) override;

  FloatType cT;
  SmallVector<int64_t> colPattern;
  int64_t threads = 0;
  Value r16, g4; // index (lane % 16), index (4 (lane / 16)); rows: vector<1>
  // LDS: K [block_n x (D + pad)] and V^T [Dv x (block_n + pad)].
  Value kSmem, vSmem;
  DenseSet<Operation *> preStaged; // P V products whose V is in LDS already
};

} // namespace

void MatrixCoreDistributor::prologue(Location l) {
  loc = l;
  threads = bm / 16 * kWave;
  Value tid = frame.tid;
  Value lane = arith::RemUIOp::create(b, loc, tid, idx(kWave));
  Value wave = arith::DivUIOp::create(b, loc, tid, idx(kWave));
  r16 = arith::RemUIOp::create(b, loc, lane, idx(16));
  g4 = mul(arith::DivUIOp::create(b, loc, lane, idx(16)), idx(4));
  Value row = add(mul(wave, idx(16)), r16);
  rows = splat(VectorType::get({1}, b.getIndexType()), row);
  auto wg = frame.func.getWorkgroupAttributions();
  kSmem = wg[0];
  vSmem = wg[1];
}

Type MatrixCoreDistributor::mapType(Type t) const {
  auto v = dyn_cast<VectorType>(t);
  if (!v)
    return t;
  Type e = v.getElementType();
  if (isRow(t) || isColumn(t))
    return VectorType::get({1}, e);
  if (isTile(t))
    return VectorType::get({v.getDimSize(1) / 4}, e);
  if (isFlat(t))
    return VectorType::get({bn / 4}, e);
  return t;
}

/// The vector<4 n> made of n vector<4> parts, in order.
Value MatrixCoreDistributor::concat(ArrayRef<Value> parts, VectorType t) {
  SmallVector<Value> elems;
  for (Value p : parts)
    for (int64_t i = 0, n = cast<VectorType>(p.getType()).getDimSize(0);
         i < n; ++i)
      elems.push_back(extract(p, i));
  return vector::FromElementsOp::create(b, loc, t, elems);
}

/// Whether every value that chunkOf needs to build the K/V-side tile `kv`
/// has been cloned already (so that the tile can be staged early).
bool MatrixCoreDistributor::isReady(Value kv) const {
  Operation *def = kv.getDefiningOp();
  if (!def)
    return false;
  if (auto load = dyn_cast<tile::LoadRowsOp>(def))
    return map.contains(load.getOffsets()) && map.contains(load.getMask()) &&
           map.contains(load.getBase());
  if (isa<arith::ConstantOp>(def))
    return true;
  if (!isa<vector::BroadcastOp, vector::BitCastOp>(def) && !isElementwise(def))
    return false;
  return llvm::all_of(def->getOperands(), [&](Value o) {
    return isKV(o.getType()) ? isReady(o) : map.contains(o);
  });
}

/// Chunk k of a thread when the threads write a K/V tile of `cols` columns
/// to LDS in 8-element chunks: (chunk id, row, column). K: consecutive
/// threads take consecutive chunks of a row; V (transposed in LDS):
/// consecutive threads take consecutive rows, so that their 2-byte writes
/// fall into distinct banks. With `clamp`, ids past the end address the
/// last chunk (the caller skips its store).
std::tuple<Value, Value, Value>
MatrixCoreDistributor::chunkPos(int64_t k, bool transposed, int64_t cols,
                                bool clamp) {
  int64_t perRow = cols / 8, total = bn * perRow;
  Value id = add(frame.tid, idx(k * threads));
  Value at = id;
  if (clamp && (k + 1) * threads > total)
    at = arith::MinUIOp::create(b, loc, id, idx(total - 1));
  if (transposed)
    return {id, arith::RemUIOp::create(b, loc, at, idx(bn)),
            mul(arith::DivUIOp::create(b, loc, at, idx(bn)), idx(8))};
  return {id, arith::DivUIOp::create(b, loc, at, idx(perRow)),
          mul(arith::RemUIOp::create(b, loc, at, idx(perRow)), idx(8))};
}

/// The row load under `kv` when the tile is a plain row load in the
/// compute type (copied to LDS as it is), else `kv` itself (computed chunk
/// by chunk: dequantization).
Value MatrixCoreDistributor::directSource(Value kv) const {
  if (auto ext = kv.getDefiningOp<arith::ExtFOp>();
      ext && getElementTypeOrSelf(ext.getIn().getType()) == cT &&
      ext.getIn().getDefiningOp<tile::LoadRowsOp>())
    return ext.getIn();
  return kv;
}

/// Rounds an 8-element chunk to the compute type and writes it to LDS at
/// (row, col) of K or (col .. col + 7, row) of V^T.
void MatrixCoreDistributor::storeChunk(Value x, bool transposed, Value row,
                                       Value col) {
  auto xt = cast<VectorType>(x.getType());
  if (xt.getElementType() != cT) {
    auto f32T = VectorType::get({8}, b.getF32Type());
    if (!xt.getElementType().isF32())
      x = isa<FloatType>(xt.getElementType())
              ? Value(arith::ExtFOp::create(b, loc, f32T, x))
              : Value(arith::SIToFPOp::create(b, loc, f32T, x));
    x = arith::TruncFOp::create(b, loc, VectorType::get({8}, cT), x);
  }
  if (!transposed) {
    vector::StoreOp::create(b, loc, x, kSmem, ValueRange{row, col}, false,
                            llvm::MaybeAlign(8));
    return;
  }
  for (int64_t c = 0; c < 8; ++c)
    memref::StoreOp::create(b, loc, extract(x, c), vSmem,
                            ValueRange{add(col, idx(c)), row});
}

/// Writes every row of the K/V-side tile `kv` ([block_n x C]) to LDS in the
/// compute type: K row-major ([block_n x (C + pad)]), V transposed
/// ([C x (block_n + pad)]), one 8-element chunk per thread at a time.
LogicalResult MatrixCoreDistributor::stage(Value kv, bool transposed) {
  int64_t cols = cast<VectorType>(kv.getType()).getDimSize(1);
  int64_t total = bn * (cols / 8);
  Value src = directSource(kv);
  for (int64_t k = 0; k * threads < total; ++k) {
    OpBuilder::InsertionGuard guard(b);
    auto [id, row, col] = chunkPos(k, transposed, cols, /*clamp=*/false);
    // Values rebuilt for another iteration inside the guard stay there.
    std::optional<IRMapping> outside;
    if ((k + 1) * threads > total) {
      Value inRange = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                            id, idx(total));
      auto ifOp = scf::IfOp::create(b, loc, inRange, false);
      b.setInsertionPointToStart(&ifOp.getThenRegion().front());
      outside = shift.shifted;
    }
    IRMapping memo;
    FailureOr<Value> chunk = chunkOf(src, row, col, 8, 8, memo);
    if (failed(chunk))
      return failure();
    storeChunk(*chunk, transposed, row, col);
    if (outside)
      shift.shifted = std::move(*outside);
  }
  return success();
}

/// Whether the K/V-side tile `kv` can be built for another iteration: its
/// producers are row loads, elementwise ops, broadcasts and bitcasts whose
/// other operands (row offsets, masks, scales) depend on the induction
/// variable only.
static bool prefetchable(Value kv, Block *body, Value iv, int64_t bn) {
  Operation *def = kv.getDefiningOp();
  if (!def)
    return false;
  DenseSet<Value> seen;
  if (auto load = dyn_cast<tile::LoadRowsOp>(def))
    return onlyOnIv(load.getOffsets(), body, iv, seen) &&
           onlyOnIv(load.getMask(), body, iv, seen) &&
           onlyOnIv(load.getBase(), body, iv, seen);
  if (isa<arith::ConstantOp>(def))
    return true;
  if (!isa<vector::BroadcastOp, vector::BitCastOp>(def) && !isElementwise(def))
    return false;
  return llvm::all_of(def->getOperands(), [&](Value o) {
    auto vt = dyn_cast<VectorType>(o.getType());
    if (vt && vt.getRank() == 2 && vt.getDimSize(0) == bn)
      return prefetchable(o, body, iv, bn);
    return !vt && onlyOnIv(o, body, iv, seen);
  });
}

/// Issues the cache loads (only) of a chunk of the K/V-side tile `kv`: the
/// row loads under it are built into `memo`, the rest of the chunk is
/// built from them later by chunkOf.
LogicalResult MatrixCoreDistributor::prefetchLoads(Value kv, Value row,
                                                   Value col, int64_t colMult,
                                                   int64_t w,
                                                   IRMapping &memo) {
  Operation *def = kv.getDefiningOp();
  if (isa_and_nonnull<tile::LoadRowsOp>(def))
    return success(succeeded(chunkOf(kv, row, col, colMult, w, memo)));
  if (auto bc = dyn_cast_or_null<vector::BroadcastOp>(def)) {
    if (isKV(bc.getSource().getType()))
      return prefetchLoads(bc.getSource(), row, idx(0), 1 << 20, 1, memo);
    return success();
  }
  if (auto bitcast = dyn_cast_or_null<vector::BitCastOp>(def)) {
    int64_t ratio = bitcast.getSourceVectorType().getDimSize(1) /
                    cast<VectorType>(kv.getType()).getDimSize(1);
    return prefetchLoads(bitcast.getSource(), row, mul(col, idx(ratio)),
                         colMult * ratio, w * ratio, memo);
  }
  if (def)
    for (Value o : def->getOperands())
      if (isKV(o.getType()) &&
          failed(prefetchLoads(o, row, col, colMult, w, memo)))
        return failure();
  return success();
}

/// Writes the chunks prefetched at the start of the loop body to LDS (at
/// its end, after a barrier): dequantization happens here, once the loads
/// have landed.
LogicalResult MatrixCoreDistributor::finishPrefetch() {
  gpu::BarrierOp::create(b, loc);
  shift.shifting = true;
  for (Chunk &c : prefetched) {
    OpBuilder::InsertionGuard guard(b);
    int64_t cols = cast<VectorType>(c.kv.getType()).getDimSize(1);
    std::optional<IRMapping> outside;
    if (c.id) {
      Value inRange = arith::CmpIOp::create(
          b, loc, arith::CmpIPredicate::ult, c.id, idx(bn * (cols / 8)));
      auto ifOp = scf::IfOp::create(b, loc, inRange, false);
      b.setInsertionPointToStart(&ifOp.getThenRegion().front());
      outside = shift.shifted;
    }
    FailureOr<Value> x =
        chunkOf(directSource(c.kv), c.row, c.col, 8, 8, c.memo);
    if (failed(x))
      return failure();
    storeChunk(*x, c.transposed, c.row, c.col);
    if (outside)
      shift.shifted = std::move(*outside);
  }
  shift.shifting = false;
  prefetched.clear();
  return success();
}

/// The KV loop, software-pipelined when both of its tiles can be built for
/// the next iteration: a prologue writes tile 0 to LDS; iteration i starts
/// with a barrier (tile i is in LDS) and the cache loads of tile i + 1
/// (into registers, masked past the end), runs the products of tile i, and
/// ends with a barrier and the LDS writes of tile i + 1.
std::optional<LogicalResult>
MatrixCoreDistributor::pipelineLoop(scf::ForOp forOp) {
  if (shift.body)
    return std::nullopt;
  auto [qk, pv] = loopProducts(forOp);
  Block *body = forOp.getBody();
  Value iv = forOp.getInductionVar();
  if (!qk || !pv || !prefetchable(qk.getRhs(), body, iv, bn) ||
      !prefetchable(pv.getRhs(), body, iv, bn))
    return std::nullopt;
  startPipeline(forOp, qk, pv);
  Value lb = get(forOp.getLowerBound()), ub = get(forOp.getUpperBound());
  Value step = get(forOp.getStep());
  auto tiles = {std::pair{qk.getRhs(), false}, std::pair{pv.getRhs(), true}};

  // Prologue: tile 0, straight to LDS (the first barrier of the body
  // publishes it).
  gpu::BarrierOp::create(b, loc);
  shift.shifting = true;
  shift.shiftIv = lb;
  shift.inRange =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, lb, ub);
  for (auto [kv, transposed] : tiles)
    if (failed(stage(kv, transposed)))
      return failure();
  shift.shifting = false;
  shift.shifted = IRMapping();

  LogicalResult result = cloneFor(forOp, [&]() -> LogicalResult {
    gpu::BarrierOp::create(b, loc);
    Value next = add(get(iv), step);
    shift.shifting = true;
    shift.shiftIv = next;
    shift.inRange =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, next, ub);
    for (auto [kv, transposed] : tiles) {
      int64_t cols = cast<VectorType>(kv.getType()).getDimSize(1);
      int64_t total = bn * (cols / 8);
      Value src = directSource(kv);
      for (int64_t k = 0; k * threads < total; ++k) {
        auto [id, row, col] = chunkPos(k, transposed, cols, /*clamp=*/true);
        Chunk &c = prefetched.emplace_back();
        c.kv = kv;
        c.id = (k + 1) * threads > total ? id : Value();
        c.row = row;
        c.col = col;
        c.transposed = transposed;
        if (failed(prefetchLoads(src, row, col, 8, 8, c.memo)))
          return failure();
      }
    }
    shift.shifting = false;
    return success();
  });
  prefetched.clear();
  shift = Shift();
  return result;
}

/// D = A B + C on one 16x16x16 block: A and B vector<4> of the compute
/// type, C and D vector<4xf32>.
Value MatrixCoreDistributor::mfma(Value a, Value bOperand, Value c) {
  Value zero = arith::ConstantIntOp::create(b, loc, b.getI32Type(), 0);
  SmallVector<Value> args = {a, bOperand, c, zero, zero, zero};
  if (cT.isBF16()) {
    // The bf16 instruction takes its operands as vector<4xi16>.
    auto i16x4 = VectorType::get({4}, b.getI16Type());
    args[0] = vector::BitCastOp::create(b, loc, i16x4, a);
    args[1] = vector::BitCastOp::create(b, loc, i16x4, bOperand);
    return ROCDL::mfma_f32_16x16x16bf16_1k::create(b, loc, c.getType(), args);
  }
  return ROCDL::mfma_f32_16x16x16f16::create(b, loc, c.getType(), args);
}

/// The two tile products on mfma 16x16x16, transposed:
/// S^T = K Q^T (A: K from LDS, B: Q) and O^T += V^T P^T (A: V^T from LDS,
/// B: P). Block m of the result (16 keys of S, 16 columns of O) is
/// elements 4m .. 4m + 3 of the thread's accumulator.
LogicalResult MatrixCoreDistributor::contract(vector::ContractionOp op) {
  auto rhsT = cast<VectorType>(op.getRhsType());
  auto lhsT = cast<VectorType>(op.getLhsType());
  if (!isTile(lhsT) || !isKV(rhsT))
    return error(op, "unexpected contraction");
  bool qk = isScoreProduct(op);

  bool pipelined = isPipelined(op);
  if (!pipelined && !preStaged.contains(op)) {
    gpu::BarrierOp::create(b, loc);
    if (failed(stage(op.getRhs(), /*transposed=*/!qk)))
      return failure();
    // Stage the V tile of the next P V as well when it can be built here:
    // its loads then overlap those of K, and P V needs no barrier.
    if (qk)
      for (Operation *o = op->getNextNode(); o; o = o->getNextNode()) {
        auto pv = dyn_cast<vector::ContractionOp>(o);
        if (!pv)
          continue;
        if (!isScoreProduct(pv) &&
            isReady(pv.getRhs())) {
          if (failed(stage(pv.getRhs(), /*transposed=*/true)))
            return failure();
          preStaged.insert(pv);
        }
        break;
      }
    gpu::BarrierOp::create(b, loc);
  }

  // B operand: the thread's 16-bit values of the query-side tile.
  Value lhs = op.getLhs();
  int64_t kDim = lhsT.getDimSize(1);
  Value bv;
  auto ext = lhs.getDefiningOp<arith::ExtFOp>();
  if (ext && getElementTypeOrSelf(ext.getIn().getType()) == cT)
    bv = get(ext.getIn());
  else
    bv = arith::TruncFOp::create(b, loc, VectorType::get({kDim / 4}, cT),
                                 get(lhs));

  Value acc = get(op.getAcc());
  int64_t blocks = (qk ? rhsT.getDimSize(0) : rhsT.getDimSize(1)) / 16;
  int64_t slabs = kDim / 16;
  Value smem = qk ? kSmem : vSmem;
  auto opT = VectorType::get({4}, cT);
  SmallVector<Value> c;
  for (int64_t m = 0; m < blocks; ++m)
    c.push_back(shuffle(acc, quad(m)));
  // Slabs outside, blocks inside: consecutive mfma are independent.
  for (int64_t s = 0; s < slabs; ++s) {
    Value bs = shuffle(bv, quad(s));
    Value col = add(idx(16 * s), g4);
    for (int64_t m = 0; m < blocks; ++m) {
      Value a = vector::LoadOp::create(b, loc, opT, smem,
                                       ValueRange{add(idx(16 * m), r16), col},
                                       false, llvm::MaybeAlign(8));
      c[m] = mfma(a, bs, c[m]);
    }
  }
  map.map(op.getResult(), concat(c, cast<VectorType>(acc.getType())));
  return success();
}

/// Row reduction of a [block_m x C] tile: in-thread over the thread's
/// columns, then across the four lanes of the row (xor 16, 32).
LogicalResult MatrixCoreDistributor::reduce(vector::MultiDimReductionOp op) {
  auto srcT = op.getSourceVectorType();
  if (!isTile(srcT) || op.getReductionDims() != ArrayRef<int64_t>{1})
    return error(op, "unexpected reduction");
  Value part =
      vector::ReductionOp::create(b, loc, op.getKind(), get(op.getSource()));
  for (int32_t x : {16, 32}) {
    Value other = gpu::ShuffleOp::create(b, loc, part, x, kWave,
                                         gpu::ShuffleMode::XOR)
                      .getShuffleResult();
    part = vector::makeArithReduction(b, loc, op.getKind(), part, other);
  }
  Value acc = get(op.getAcc());
  part = vector::makeArithReduction(b, loc, op.getKind(), part,
                                    extract(acc, 0));
  map.map(op.getResult(), splat(acc.getType(), part));
  return success();
}

/// A query-side row load: each thread loads the 4-element runs of its row.
LogicalResult MatrixCoreDistributor::loadTile(tile::LoadRowsOp op) {
  auto t = op.getType();
  int64_t cols = t.getDimSize(1);
  if (cols != 1 && cols % 16)
    return error(op, "query-side tile width must be 1 or a multiple of 16");
  Value base = get(op.getBase());
  Value off = toIndex(extract(get(op.getOffsets()), 0));
  Type et = t.getElementType();
  int64_t bytes = t.getElementTypeBitWidth() / 8;
  int64_t run = cols == 1 ? 1 : 4, runs = cols == 1 ? 1 : cols / 16;
  int64_t align =
      pow2Divisor(knownMultiple(op.getOffsets()) * bytes, run * bytes);
  auto runT = VectorType::get({run}, et);
  auto vt = cast<VectorType>(mapType(t));
  Value v = ifThenElse(
      extract(get(op.getMask()), 0), vt,
      [&]() -> Value {
        SmallVector<Value> parts;
        for (int64_t s = 0; s < runs; ++s) {
          Value at = cols == 1 ? off : add(off, add(idx(16 * s), g4));
          parts.push_back(vector::LoadOp::create(
              b, loc, runT, base, ValueRange{at}, false,
              llvm::MaybeAlign(align)));
        }
        return parts.size() == 1 ? parts[0] : concat(parts, vt);
      },
      [&] { return zeros(vt); });
  map.map(op.getResult(), v);
  return success();
}

/// A query-side row store: the 4-element runs of the thread's row; a
/// [block_m x 1] tile (the LSE) is stored by the first lane of each row.
LogicalResult MatrixCoreDistributor::storeTile(tile::StoreRowsOp op) {
  auto t = cast<VectorType>(op.getValue().getType());
  int64_t cols = t.getDimSize(1);
  if (cols != 1 && cols % 16)
    return error(op, "query-side tile width must be 1 or a multiple of 16");
  Value base = get(op.getBase()), val = get(op.getValue());
  Value off = toIndex(extract(get(op.getOffsets()), 0));
  Value m = extract(get(op.getMask()), 0);
  int64_t bytes = t.getElementTypeBitWidth() / 8;
  int64_t align =
      pow2Divisor(knownMultiple(op.getOffsets()) * bytes, 4 * bytes);
  if (cols == 1)
    m = arith::AndIOp::create(
        b, loc, m,
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, g4, idx(0)));
  auto ifOp = scf::IfOp::create(b, loc, m, false);
  OpBuilder::InsertionGuard g(b);
  b.setInsertionPointToStart(&ifOp.getThenRegion().front());
  if (cols == 1) {
    vector::StoreOp::create(b, loc, val, base, ValueRange{off});
    return success();
  }
  for (int64_t s = 0; s < cols / 16; ++s)
    vector::StoreOp::create(b, loc, shuffle(val, quad(s)), base,
                            ValueRange{add(off, add(idx(16 * s), g4))}, false,
                            llvm::MaybeAlign(align));
  return success();
}

LogicalResult MatrixCoreDistributor::broadcast(vector::BroadcastOp op) {
  Type srcT = op.getSource().getType(), dstT = op.getType();
  Type nt = mapType(dstT);
  if (!isa<VectorType>(srcT)) {
    map.map(op.getResult(), splat(nt, get(op.getSource())));
    return success();
  }
  if (isColumn(srcT)) { // [bm x 1] -> [bm x C]
    Value src = get(op.getSource());
    map.map(op.getResult(),
            isColumn(dstT) ? src : splat(nt, extract(src, 0)));
    return success();
  }
  if (isKeyVec(srcT) && isTile(dstT) &&
      cast<VectorType>(dstT).getDimSize(1) == bn) {
    map.map(op.getResult(), colOf(op.getSource()));
    return success();
  }
  return error(op, "unexpected broadcast into a query-side tile");
}

/// A gather of one element per query row.
LogicalResult MatrixCoreDistributor::gatherRow(vector::GatherOp op) {
  Value at = add(get(op.getOffsets()[0]),
                 toIndex(extract(get(op.getIndices()), 0)));
  Value base = get(op.getBase());
  Value pass = extract(get(op.getPassThru()), 0);
  Value x = ifThenElse(
      extract(get(op.getMask()), 0), pass.getType(),
      [&]() -> Value {
        return memref::LoadOp::create(b, loc, base, ValueRange{at});
      },
      [&] { return pass; });
  map.map(op.getResult(), splat(mapType(op.getType()), x));
  return success();
}

std::optional<LogicalResult>
MatrixCoreDistributor::cloneTarget(Operation &op) {
  // The loop body's end: write the prefetched tile to LDS, then clone the
  // yield as usual.
  if (auto yield = dyn_cast<scf::YieldOp>(op);
      yield && shift.body && yield->getBlock() == shift.body)
    if (failed(finishPrefetch()))
      return failure();
  return std::nullopt;
}


FailureOr<int64_t>
mlir::attn::amd::buildMatrixCoreKernel(func::FuncOp fn,
                                       gpu::GPUModuleOp gpuModule) {
  std::optional<MatrixKernel> k = matchMatrixKernel(fn, /*colMultiple=*/16);
  if (!k)
    return int64_t(0);
  auto [bm, bn, dk, dv, cT] = *k;
  MLIRContext *ctx = fn.getContext();
  OpBuilder b(gpuModule.getBodyRegion());
  auto ws = gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup);
  SmallVector<Type> workgroup = {
      MemRefType::get({bn, dk + kPad}, cT, nullptr, ws),
      MemRefType::get({dv, bn + kPad}, cT, nullptr, ws)};
  int64_t threads = bm / 16 * kWave;
  IRMapping map;
  KernelFrame frame =
      createKernelFrame(b, fn, gpuModule, workgroup, threads, map);
  MatrixCoreDistributor d(b, bm, bn, cT, frame);
  if (failed(d.cloneKernel(fn, std::move(map))))
    return failure();
  return threads;
}
