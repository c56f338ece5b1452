//===- RowOpsToHost.cpp - row gathers/scatters on the CPU -----------------===//
//
// attn_tile.load_rows / store_rows become one contiguous vector load/store
// per tile row, each guarded by the row's mask (scf.if), so masked rows
// never touch memory.
//
//===----------------------------------------------------------------------===//

#include "attn/Backend/Host/Passes.h"
#include "attn/Dialect/AttnTile/IR/AttnTile.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace mlir::attn;

namespace {

Value rowOffset(OpBuilder &b, Location loc, Value offsets, int64_t r) {
  Value off = vector::ExtractOp::create(b, loc, offsets, ArrayRef<int64_t>{r});
  return arith::IndexCastOp::create(b, loc, b.getIndexType(), off);
}

struct LoadRowsToHost : OpRewritePattern<tile::LoadRowsOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tile::LoadRowsOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    VectorType tileT = op.getResult().getType();
    int64_t rows = tileT.getDimSize(0), cols = tileT.getDimSize(1);
    VectorType rowT = VectorType::get({cols}, tileT.getElementType());
    Value zeroRow = arith::ConstantOp::create(
        rewriter, loc, rowT, rewriter.getZeroAttr(rowT));
    Value tile = arith::ConstantOp::create(rewriter, loc, tileT,
                                           rewriter.getZeroAttr(tileT));
    for (int64_t r = 0; r < rows; ++r) {
      Value valid = vector::ExtractOp::create(rewriter, loc, op.getMask(),
                                              ArrayRef<int64_t>{r});
      auto ifOp = scf::IfOp::create(
          rewriter, loc, valid,
          [&](OpBuilder &b, Location l) {
            Value off = rowOffset(b, l, op.getOffsets(), r);
            Value row = vector::LoadOp::create(b, l, rowT, op.getBase(),
                                               ValueRange{off});
            scf::YieldOp::create(b, l, row);
          },
          [&](OpBuilder &b, Location l) { scf::YieldOp::create(b, l, zeroRow); });
      tile = vector::InsertOp::create(rewriter, loc, ifOp.getResult(0), tile,
                                      ArrayRef<int64_t>{r});
    }
    rewriter.replaceOp(op, tile);
    return success();
  }
};

struct StoreRowsToHost : OpRewritePattern<tile::StoreRowsOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tile::StoreRowsOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    int64_t rows = op.getValue().getType().getDimSize(0);
    for (int64_t r = 0; r < rows; ++r) {
      Value valid = vector::ExtractOp::create(rewriter, loc, op.getMask(),
                                              ArrayRef<int64_t>{r});
      scf::IfOp::create(rewriter, loc, valid, [&](OpBuilder &b, Location l) {
        Value off = rowOffset(b, l, op.getOffsets(), r);
        Value row = vector::ExtractOp::create(b, l, op.getValue(),
                                              ArrayRef<int64_t>{r});
        vector::StoreOp::create(b, l, row, op.getBase(), ValueRange{off});
        scf::YieldOp::create(b, l);
      });
    }
    rewriter.eraseOp(op);
    return success();
  }
};

} // namespace

void mlir::attn::host::populateRowOpsToHostPatterns(
    RewritePatternSet &patterns) {
  patterns.add<LoadRowsToHost, StoreRowsToHost>(patterns.getContext());
}
