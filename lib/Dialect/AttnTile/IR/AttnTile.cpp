//===- AttnTile.cpp - tile-level memory ops -------------------------------===//

#include "attn/Dialect/AttnTile/IR/AttnTile.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace mlir::attn::tile;

#include "attn/Dialect/AttnTile/IR/AttnTileDialect.cpp.inc"

void AttnTileDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "attn/Dialect/AttnTile/IR/AttnTile.cpp.inc"
      >();
}

#define GET_OP_CLASSES
#include "attn/Dialect/AttnTile/IR/AttnTile.cpp.inc"

static LogicalResult verifyRows(Operation *op, VectorType tile,
                                MemRefType base, VectorType offsets,
                                VectorType mask) {
  if (tile.getElementType() != base.getElementType())
    return op->emitOpError() << "tile element type (" << tile.getElementType()
                             << ") must equal the memref element type ("
                             << base.getElementType() << ")";
  int64_t rows = tile.getDimSize(0);
  if (offsets.getDimSize(0) != rows || mask.getDimSize(0) != rows)
    return op->emitOpError()
           << "offsets (" << offsets.getDimSize(0) << ") and mask ("
           << mask.getDimSize(0) << ") must have one entry per tile row ("
           << rows << ")";
  return success();
}

LogicalResult LoadRowsOp::verify() {
  return verifyRows(*this, getResult().getType(), getBase().getType(),
                    getOffsets().getType(), getMask().getType());
}

LogicalResult StoreRowsOp::verify() {
  return verifyRows(*this, getValue().getType(), getBase().getType(),
                    getOffsets().getType(), getMask().getType());
}
