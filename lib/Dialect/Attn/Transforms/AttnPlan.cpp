//===- AttnPlan.cpp - choose a schedule per attention op ------------------===//

#include "attn/Backend/TargetInfo.h"
#include "attn/Dialect/Attn/IR/AttnOps.h"
#include "attn/Dialect/Attn/IR/Variant.h"
#include "attn/Dialect/Attn/Transforms/Passes.h"

#include "llvm/Support/Debug.h"

#define DEBUG_TYPE "attn-plan"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNPLANPASS
#include "attn/Dialect/Attn/Transforms/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {
struct AttnPlanPass : public mlir::attn::impl::AttnPlanPassBase<AttnPlanPass> {
  using Base::Base;

  void runOnOperation() override {
    std::optional<Target> target = symbolizeTarget(this->target);
    if (!target) {
      getOperation().emitError()
          << "attn-plan: unknown target '" << this->target
          << "' (expected host, sm_80, sm_90a, gfx90a or gfx942)";
      return signalPassFailure();
    }
    std::unique_ptr<TargetInfo> info = getTargetInfo(*target);
    getOperation().walk([&](Operation *op) {
      if (!isa<PagedAttentionOp, VarlenAttentionOp>(op) || op->hasAttr("plan"))
        return;
      Variant v = *getVariant(op);
      int64_t group = v.groupSize();
      int64_t want = blockM > 0 ? blockM : info->preferredBlockM(v.headSizeQK);
      int64_t blockQ = std::max<int64_t>(1, want / group);
      int64_t m = blockQ * group;
      int64_t n = blockN > 0 ? blockN : info->preferredBlockN(v.headSizeQK);
      int64_t w = warps > 0 ? warps : info->preferredWarps(m);
      int64_t s = stages > 0 ? stages : info->preferredStages();
      int64_t seg = segments >= 0 ? segments : info->preferredSegments();
      // The split op form fixes its own segment count.
      if (v.split)
        seg = v.segments;
      // The wide form: whole GQA groups, above block_m and a multiple of it
      // (else none).
      int64_t wantWide =
          wideBlockM >= 0
              ? wideBlockM
              : info->preferredWideBlockM(v.headSizeQK, v.headSizeV,
                                          v.dtype.getIntOrFloatBitWidth());
      int64_t wide = (wantWide / m) * m;
      if (wide <= m || v.split)
        wide = 0;
      auto plan = PlanAttr::get(op->getContext(), *target, blockQ, m, n, w, s,
                                seg, wide);
      LLVM_DEBUG(llvm::dbgs() << "plan for " << *op << ": " << plan << "\n");
      op->setAttr("plan", plan);
    });
  }
};
} // namespace
