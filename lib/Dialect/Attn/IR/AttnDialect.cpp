//===- AttnDialect.cpp - the attn dialect ---------------------------------===//

#include "attn/Dialect/Attn/IR/AttnDialect.h"
#include "attn/Dialect/Attn/IR/AttnOps.h"

#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::attn;

#include "attn/Dialect/Attn/IR/AttnDialect.cpp.inc"
#include "attn/Dialect/Attn/IR/AttnEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "attn/Dialect/Attn/IR/AttnAttrs.cpp.inc"

void AttnDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "attn/Dialect/Attn/IR/AttnOps.cpp.inc"
      >();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "attn/Dialect/Attn/IR/AttnAttrs.cpp.inc"
      >();
}

LogicalResult PlanAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                               Target target, int64_t blockQ, int64_t blockM,
                               int64_t blockN, int64_t warps, int64_t stages,
                               int64_t segments, int64_t wideBlockM) {
  if (blockQ <= 0 || blockM <= 0 || blockN <= 0 || warps <= 0 || stages <= 0)
    return emitError() << "plan tile sizes, warps and stages must be "
                          "positive; got block_q = "
                       << blockQ << ", block_m = " << blockM
                       << ", block_n = " << blockN << ", warps = " << warps
                       << ", stages = " << stages;
  if (blockM % blockQ != 0)
    return emitError() << "plan block_m (" << blockM
                       << ") must be a multiple of block_q (" << blockQ << ")";
  if (segments < 0)
    return emitError() << "plan segments (" << segments
                       << ") must be >= 0 (0 = no split-KV form)";
  if (wideBlockM != 0 &&
      (wideBlockM <= blockM || wideBlockM % blockM != 0))
    return emitError() << "plan wide_block_m (" << wideBlockM
                       << ") must be a multiple of block_m (" << blockM
                       << ") above it, or 0 (no wide form)";
  return success();
}

PlanAttr PlanAttr::getWidePlan() const {
  int64_t wide = getWideBlockM();
  if (wide == 0)
    return PlanAttr();
  int64_t times = wide / getBlockM();
  return PlanAttr::get(getContext(), getTarget(), getBlockQ() * times, wide,
                       getBlockN(), getWarps() * times, getStages(),
                       /*segments=*/0, /*wide_block_m=*/0);
}
