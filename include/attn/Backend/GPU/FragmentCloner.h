//===- FragmentCloner.h - tiles in matrix-unit fragments -------*- C++ -*-===//
//
// What the matrix-unit mappings of attention kernels share (NVIDIA
// mma.sync: TensorCoreMapping; AMD mfma: MatrixCoreMapping): the value
// classes by shape, the rebuilding of key-side vectors per column or per
// row, of K/V tiles 8 elements at a time, and of loop-body values for the
// next iteration (software pipelining). The mappings supply the layouts
// and the instructions.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_BACKEND_GPU_FRAGMENTCLONER_H
#define ATTN_BACKEND_GPU_FRAGMENTCLONER_H

#include "attn/Backend/GPU/KernelMapping.h"
#include "attn/Dialect/AttnTile/IR/AttnTile.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

namespace mlir::attn {

/// The known divisor of an integer value (or of every element of an integer
/// vector): used to prove the alignment of row offsets.
int64_t knownMultiple(Value v, int depth = 0);
/// Largest power of two dividing `x`, at most `cap`.
int64_t pow2Divisor(int64_t x, int64_t cap);
/// A single-result elementwise op without regions.
bool isElementwise(Operation *def);
/// Whether `v` depends, inside `body`, only on the induction variable `iv`
/// and values from outside the loop, through ops that can be recomputed.
bool onlyOnIv(Value v, Block *body, Value iv, DenseSet<Value> &seen);

/// An attention kernel that a matrix-unit mapping can take: block_m and
/// block_n multiples of 16 and different, contraction sizes multiples of
/// 16, f32 accumulation, Q of a 16-bit type (the compute type, bf16 or
/// f16), query-side tiles of width 1 or a multiple of colMultiple.
struct MatrixKernel {
  int64_t bm, bn; // block_m, block_n
  int64_t dk, dv; // K and V tile widths
  FloatType cT;   // compute type
};
std::optional<MatrixKernel> matchMatrixKernel(func::FuncOp fn,
                                              int64_t colMultiple);

class FragmentCloner : public TileCloner {
protected:
  FragmentCloner(OpBuilder &b, StringRef what, int64_t bm, int64_t bn,
                 KernelFrame &frame)
      : TileCloner(b, what), bm(bm), bn(bn), frame(frame) {}

public:
  /// Rebuilds the body of kernel `fn` into the frame's gpu.func; `map`
  /// holds fn's arguments (createKernelFrame).
  LogicalResult cloneKernel(func::FuncOp fn, IRMapping map) {
    this->map = std::move(map);
    prologue(fn.getLoc());
    return cloneBlock(fn.getBody().front());
  }

protected:
  /// The thread-index values the mapping's layouts need (and `rows`).
  virtual void prologue(Location l) = 0;

  /// Dispatches the ops a matrix-unit mapping distributes: K/V-side tiles
  /// are skipped (built where a product needs them), the two products, the
  /// KV loop, row reductions, row loads / stores, broadcasts into tiles and
  /// row gathers go to the mapping's hooks; row indices (`vector.step` of
  /// block_m), splat constants and shape casts between row / column and
  /// tile / flat forms are handled here.
  std::optional<LogicalResult> cloneSpecial(Operation &op) override;
  /// Mapping-specific ops, tried first (std::nullopt: not handled).
  virtual std::optional<LogicalResult> cloneTarget(Operation &op) {
    return std::nullopt;
  }
  virtual LogicalResult contract(vector::ContractionOp op) = 0;
  /// The KV loop (software pipelining); std::nullopt: cloned as it is.
  virtual std::optional<LogicalResult> pipelineLoop(scf::ForOp forOp) = 0;
  virtual LogicalResult reduce(vector::MultiDimReductionOp op) = 0;
  virtual LogicalResult loadTile(tile::LoadRowsOp op) = 0;
  virtual LogicalResult storeTile(tile::StoreRowsOp op) = 0;
  virtual LogicalResult broadcast(vector::BroadcastOp op) = 0;
  virtual LogicalResult gatherRow(vector::GatherOp op) = 0;
  /// A chunk of K/V row load `load` that the mapping already holds (raw
  /// bytes staged in shared memory); null: chunkOf loads it from memory.
  virtual Value stagedChunk(tile::LoadRowsOp load, Value row, Value col,
                            VectorType chunkT) {
    return Value();
  }

  // Value classes by shape (block_m != block_n).
  bool isRow(Type t) const { return isVec(t, 1, bm); }
  bool isTile(Type t) const { return isVec(t, 2, bm); }
  bool isColumn(Type t) const { // [block_m x 1]
    return isTile(t) && cast<VectorType>(t).getDimSize(1) == 1;
  }
  bool isFlat(Type t) const { return isVec(t, 1, bm * bn); }
  bool isKV(Type t) const { return isVec(t, 2, bn); }
  bool isKeyVec(Type t) const { return isVec(t, 1, bn); }

  // Small builders.
  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return arith::MulIOp::create(b, loc, x, y); }
  Value toIndex(Value v) {
    return v.getType().isIndex()
               ? v
               : arith::IndexCastOp::create(b, loc, b.getIndexType(), v);
  }
  Value splat(Type vt, Value s) {
    return vector::BroadcastOp::create(b, loc, vt, s);
  }
  Value zeros(Type t) {
    return arith::ConstantOp::create(b, loc, t, b.getZeroAttr(t));
  }
  Value extract(Value v, int64_t i) {
    return vector::ExtractOp::create(b, loc, v, ArrayRef<int64_t>{i});
  }
  Value shuffle(Value v, ArrayRef<int64_t> mask) {
    return vector::ShuffleOp::create(b, loc, v, v, mask);
  }
  Value ifThenElse(Value cond, Type t, function_ref<Value()> then,
                   function_ref<Value()> otherwise);

  /// The thread's columns of a key-side vector: columnPattern()[k] +
  /// columnBase() (block_n / 4 of them).
  virtual ArrayRef<int64_t> columnPattern() const = 0;
  virtual Value columnBase() const = 0;

  /// The thread's columns of key-side vector `v` (rebuilt from its
  /// producers with the key index replaced by the column, or extracted).
  Value colOf(Value v);
  /// Element `row` of key-side vector `v`, rebuilt from its producers (the
  /// block-table gather becomes one load).
  Value scalarAt(Value v, Value row, IRMapping &memo);
  /// Elements [col, col + w) of row `row` of a K/V-side tile (col a
  /// multiple of colMult), rebuilt from its producers: row loads,
  /// elementwise dequantization, broadcasts, bitcasts.
  FailureOr<Value> chunkOf(Value kv, Value row, Value col, int64_t colMult,
                           int64_t w, IRMapping &memo);

  /// Values of the loop body at iteration shift.shiftIv, for prefetching
  /// the next tile: while shift.shifting, cur() rebuilds them.
  struct Shift {
    Block *body = nullptr; // the original loop body
    Value iv;              // its induction variable
    vector::ContractionOp qk, pv; // its two products
    Value shiftIv;         // the iteration `shifted` values are built for
    Value inRange;         // optional: masks the rebuilt row loads
    IRMapping shifted;
    bool shifting = false;
  } shift;
  Value cur(Value v) { return shift.shifting ? shiftedValue(v) : get(v); }
  /// The two products (Q K^T, P V) directly in a loop body; null if absent.
  static std::pair<vector::ContractionOp, vector::ContractionOp>
  loopProducts(scf::ForOp forOp);
  /// Starts pipelining `forOp` (shift.body, iv, qk, pv).
  void startPipeline(scf::ForOp forOp, vector::ContractionOp qk,
                     vector::ContractionOp pv) {
    shift.body = forOp.getBody();
    shift.iv = forOp.getInductionVar();
    shift.qk = qk;
    shift.pv = pv;
  }
  /// Whether `op` is a product of the loop being pipelined.
  bool isPipelined(vector::ContractionOp op) const {
    return shift.body && (op == shift.qk || op == shift.pv);
  }
  Value shiftedValue(Value v);

  int64_t bm, bn;
  KernelFrame &frame;
  Value rows; // the thread's query rows (a vector of index), set by the mapping
  DenseMap<Value, std::pair<Block *, Value>> colCache;

private:
  static bool isVec(Type t, int64_t rank, int64_t dim0) {
    auto v = dyn_cast<VectorType>(t);
    return v && v.getRank() == rank && v.getDimSize(0) == dim0;
  }
};

} // namespace mlir::attn

#endif // ATTN_BACKEND_GPU_FRAGMENTCLONER_H
