//===- TensorCoreDistributor.h - the tensor-core mapping's cloner -*- C++ -*-===//
//
// Private to the NVIDIA backend: the class that clones an attention kernel
// onto mma.sync fragments. TensorCoreMapping.cpp holds the layouts and the
// instructions of each op; TensorCorePipeline.cpp how K/V tiles reach
// shared memory (cp.async staging, the double-buffered KV loop, the
// per-warp gate of its products). On sm_90a the same layouts feed the
// warpgroup MMA (wgmma, WarpgroupMMA.cpp): the accumulator layout of
// mma.sync m16n8 is, warp by warp, the one of wgmma m64nN.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_LIB_BACKEND_NVIDIA_CONVERSION_TENSORCOREDISTRIBUTOR_H
#define ATTN_LIB_BACKEND_NVIDIA_CONVERSION_TENSORCOREDISTRIBUTOR_H

#include "attn/Backend/GPU/FragmentCloner.h"
#include "attn/Dialect/AttnTile/IR/AttnTile.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

namespace mlir::attn::nvidia {

constexpr int64_t kWarp = 32;
constexpr int64_t kPad = 8; // elements of padding per shared-memory row
// Warpgroup MMA staging: K/V tiles in atoms of [block_n x 64] elements,
// each row 128 bytes with its 16-byte chunks swizzled (chunk c of row r at
// c ^ r % 8), every buffer 1024-byte aligned.
constexpr int64_t kAtomCols = 64;
constexpr int64_t kSwizzleAlign = 1024; // bytes

class TensorCoreDistributor : public FragmentCloner {
public:
  TensorCoreDistributor(OpBuilder &b, int64_t bm, int64_t bn, int64_t dk,
                        int64_t dv, int64_t mt, FloatType cT,
                        KernelFrame &frame, bool rawK = false,
                        bool rawV = false, bool wgmma = false)
      : FragmentCloner(b, "tensor-core mapping", bm, bn, frame), dk(dk),
        dv(dv), wgmma(wgmma), rawK(rawK), rawV(rawV), mt(mt), cT(cT) {
    for (int64_t j = 0; j < bn / 8; ++j)
      for (int64_t c = 0; c < 2; ++c)
        colPattern.push_back(8 * j + c);
  }

  /// Which of K and V the KV loop of `fn` can copy raw: 8-bit tiles
  /// (fp8 / int8 caches) whose rows depend on the induction variable only.
  /// Their bytes are double-buffered, the converted tile is not.
  static std::pair<bool, bool> rawSides(func::FuncOp fn);
  /// Whether the products of a kernel of these sizes can be warpgroup MMAs
  /// (sm_90a): 16 rows per warp, block_m a multiple of 64 (one warpgroup
  /// per 64 rows), head sizes multiples of 64, head_size_v and block_n at
  /// most 256.
  static bool warpgroupFits(int64_t bm, int64_t bn, int64_t mt, int64_t dk,
                            int64_t dv) {
    return mt == 1 && bm % 64 == 0 && bn % 16 == 0 && bn <= 256 &&
           dk % kAtomCols == 0 && dv % kAtomCols == 0 && dv <= 256;
  }
  /// The warpgroup path's buffers, in dynamic shared memory (they outgrow
  /// the 48 KB of static shared memory at block_n 64), in bytes: 1024 of
  /// room to align (`q`, `k`, `v` are from the aligned base), the Q tile
  /// (read by Q K^T from shared memory, which frees its registers), the
  /// compute-type K and V buffers (two each, one where the loop copies raw
  /// 8-bit bytes); the raw buffers (`rawK`, `rawV`: from the unaligned
  /// base, past the aligned part's room) end at `total`.
  struct SharedLayout {
    int64_t q, k, v, rawK, rawV, total;
  };
  SharedLayout warpgroupLayout() {
    int64_t eb = cT.getWidth() / 8;
    SharedLayout l;
    l.q = 0;
    l.k = bm * dk * eb;
    l.v = l.k + (rawK ? 1 : 2) * bn * dk * eb;
    l.rawK = kSwizzleAlign + l.v + (rawV ? 1 : 2) * bn * dv * eb;
    l.rawV = l.rawK + (rawK ? 2 * bn * (dk + 16) : 0);
    l.total = l.rawV + (rawV ? 2 * bn * (dv + 16) : 0);
    return l;
  }

private:
  void prologue(Location l) override;
  Type mapType(Type t) const override;
  std::optional<LogicalResult> cloneTarget(Operation &op) override;
  // Columns of the thread in an m16n8 accumulator: 8j + c + 2q.
  ArrayRef<int64_t> columnPattern() const override { return colPattern; }
  Value columnBase() const override { return q2; }

  Value i32(int64_t v) {
    return arith::ConstantIntOp::create(b, loc, b.getI32Type(), v);
  }
  Value smemPtr(Value base, Value elemOffset) {
    return LLVM::GEPOp::create(b, loc, base.getType(), cT, base,
                               ValueRange{elemOffset});
  }

  bool isDirect(Value kv, tile::LoadRowsOp *load = nullptr) const;
  bool isReady(Value kv) const;
  SmallVector<Value> bFragments(bool qk, Value base, int64_t cols, int64_t j,
                                int64_t s, int64_t n);
  struct StageTile {
    Value kv, smem, base;
    int64_t cols;
    bool raw = false; // copy the bytes of rawSource(kv), row stride cols + 16
  };
  LogicalResult stage(ArrayRef<StageTile> tiles, bool commit = true);
  void copyAsync(tile::LoadRowsOp load, Value row, Value col, Value dst,
                 Value dstOffset, IRMapping &memo);
  Value bufPtr(Value base, Value buf, int64_t cols, bool raw = false);
  /// Element offset of (row, col) in a compute-type K/V buffer of `cols`
  /// columns (col a multiple of 8): padded rows for ldmatrix, swizzled
  /// atoms for wgmma.
  /// `atomRows`: rows of a swizzled atom (default block_n; block_m for Q).
  Value stagedOffset(Value row, Value col, int64_t cols, int64_t atomRows = 0);
  /// The barrier between writing staged tiles and the products reading
  /// them (wgmma reads through the async proxy: a proxy fence first).
  void productBarrier();

  int64_t dk, dv; // K and V tile widths
  // Warpgroup MMA (sm_90a): the products read Q, K and V from shared
  // memory through matrix descriptors, P from registers.
  bool wgmma;
  /// `between` (optional) runs after the products are issued and before
  /// they are waited for.
  LogicalResult warpgroupProduct(vector::ContractionOp op, Value a, bool qk,
                                 Value base, int64_t kDim, int64_t nDim,
                                 function_ref<LogicalResult()> between = {});
  // wgmma's KV loop meets one barrier per tile: iteration i waits for its
  // own tile (the only copies in flight), fences and meets the barrier,
  // and starts tile i + 1's copies only then: after issuing Q K^T (16-bit
  // tiles, so that the address work overlaps the products), or before
  // converting tile i (8-bit tiles).
  struct NextTile {
    Value iv, ub, buf;
  } next;
  LogicalResult prefetchNext();
  // The query tile in shared memory (warpgroup path): the loop-invariant Q
  // operand of Q K^T, stored once before the KV loop in K's layout (atoms
  // of [block_m x 64]); Q K^T then reads both operands from shared memory.
  Value qBase;   // !llvm.ptr<3>
  Value qStaged; // the 16-bit Q tile stored there (original value)
  void stageQuery(vector::ContractionOp qk, scf::ForOp forOp);

  // 8-bit K/V tiles of the pipelined loop (rawSides): cp.async copies
  // their bytes into kRaw / vRaw (two buffers of [block_n x cols + 16]);
  // after the wait the threads convert tile i into kSmem / vSmem (one
  // buffer), where the products read it.
  bool rawK, rawV;
  Value kRaw, vRaw;             // workgroup memrefs of i8
  Value kRawBase, vRawBase;     // !llvm.ptr<3> to them
  tile::LoadRowsOp kLoad, vLoad; // the raw-copied loads of the loop
  bool converting = false;      // chunkOf reads kLoad / vLoad from kRaw / vRaw
  Value stagedChunk(tile::LoadRowsOp load, Value row, Value col,
                    VectorType chunkT) override;
  /// Waits for tile i's copies (and converts its raw tiles).
  LogicalResult waitForTile();

  // Software pipelining of the KV loop (16-bit caches): tile i + 1 is
  // copied into the other half of a double buffer while tile i is used
  // (the rebuilt values of iteration i + 1 are FragmentCloner::shift).
  std::optional<LogicalResult> pipelineLoop(scf::ForOp forOp) override;
  LogicalResult prefetch(Value iv, Value ub, Value buf);
  Value buf; // index 0 / 1: the pipelined iteration's buffer

  // Warps none of whose rows is stored skip the pipelined loop's products
  // and softmax (a decode step fills 4 of 64 rows); they still copy their
  // share of every tile and meet every barrier.
  Value warpStores(scf::ForOp forOp);
  LogicalResult gateCompute(vector::ContractionOp qk);
  Value active;                 // i1, uniform per warp; null: no gating
  DenseSet<Operation *> gated;  // ops already cloned inside the gate
  bool waited = false;          // Q K^T's wait and barrier are emitted

  LogicalResult contract(vector::ContractionOp op) override;
  LogicalResult reduce(vector::MultiDimReductionOp op) override;
  LogicalResult loadTile(tile::LoadRowsOp op) override;
  LogicalResult storeTile(tile::StoreRowsOp op) override;
  LogicalResult broadcast(vector::BroadcastOp op) override;
  LogicalResult gatherRow(vector::GatherOp op) override;
  LogicalResult fastMath(Operation &op);
  std::optional<LogicalResult> lazyRescale(arith::MulFOp op);

  int64_t mt; // 16-row m-tiles per warp
  FloatType cT;
  SmallVector<int64_t> colPattern;
  int64_t threads = 0;
  Value lane, q2; // index, index (2q); rows: vector<2 mt x index>
  Value kSmem, vSmem;          // workgroup memrefs
  Value kBase, vBase;          // !llvm.ptr<3> to them
  DenseSet<Operation *> preStaged; // contractions whose rhs is in flight
};


} // namespace mlir::attn::nvidia

#endif // ATTN_LIB_BACKEND_NVIDIA_CONVERSION_TENSORCOREDISTRIBUTOR_H
