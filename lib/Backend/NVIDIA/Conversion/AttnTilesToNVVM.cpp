//===- AttnTilesToNVVM.cpp - the convert-attn-tiles-to-nvvm pass ----------===//
//
// The NVIDIA backend: the tensor-core mapping (TensorCoreMapping.h) where
// it applies, the shared GPU SIMT mapping (Backend/GPU/SIMTMapping.h)
// elsewhere, under an #nvvm.target. On sm_89 and newer, e4m3fn / e5m2
// values reach f32 through the hardware's paired conversion to f16.
//
//===----------------------------------------------------------------------===//

#include "attn/Backend/GPU/SIMTMapping.h"
#include "attn/Backend/NVIDIA/Passes.h"
#include "attn/Backend/NVIDIA/TensorCoreMapping.h"

#include "attn/Backend/SoftFloat.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cstdlib>

#define DEBUG_TYPE "convert-attn-tiles-to-nvvm"

namespace mlir::attn::nvidia {
#define GEN_PASS_DEF_CONVERTATTNTILESTONVVMPASS
#include "attn/Backend/NVIDIA/Passes.h.inc"
} // namespace mlir::attn::nvidia

using namespace mlir;

namespace {
/// fp8 (e4m3fn, e5m2) -> f32 on a vector of even length, two elements at a
/// time: cvt.rn.f16x2.{e4m3x2,e5m2x2} (sm_89+, exact; NaN stays NaN), then
/// f16 -> f32.
struct Fp8PairsToF32 : OpRewritePattern<arith::ExtFOp> {
  Fp8PairsToF32(MLIRContext *ctx) : OpRewritePattern(ctx, /*benefit=*/3) {}
  LogicalResult matchAndRewrite(arith::ExtFOp op,
                                PatternRewriter &rewriter) const override {
    auto from = dyn_cast<VectorType>(op.getIn().getType());
    if (!from || from.getRank() != 1 || from.getDimSize(0) % 2 != 0 ||
        !isa<Float8E4M3FNType, Float8E5M2Type>(from.getElementType()) ||
        !getElementTypeOrSelf(op.getType()).isF32())
      return rewriter.notifyMatchFailure(op, "not fp8 pairs to f32");
    Location loc = op.getLoc();
    int64_t n = from.getDimSize(0);
    Value bytes = arith::BitcastOp::create(
        rewriter, loc, VectorType::get({n}, rewriter.getI8Type()), op.getIn());
    auto f16x2 = VectorType::get({2}, rewriter.getF16Type());
    auto f32x2 = VectorType::get({2}, rewriter.getF32Type());
    SmallVector<Value> elems;
    for (int64_t p = 0; p < n; p += 2) {
      Value pair = vector::ShuffleOp::create(rewriter, loc, bytes, bytes,
                                             ArrayRef<int64_t>{p, p + 1});
      Value h = NVVM::ConvertF8x2ToF16x2Op::create(
          rewriter, loc, f16x2, pair, /*relu=*/false, from.getElementType());
      Value f = arith::ExtFOp::create(rewriter, loc, f32x2, h);
      for (int64_t i = 0; i < 2; ++i)
        elems.push_back(vector::ExtractOp::create(rewriter, loc, f,
                                                  ArrayRef<int64_t>{i}));
    }
    Value out =
        vector::FromElementsOp::create(rewriter, loc, op.getType(), elems);
    rewriter.replaceOp(op, out);
    return success();
  }
};

/// Whether `chip` (sm_NN[a]) converts fp8 pairs in hardware (sm_89+).
bool hasFp8Convert(StringRef chip) {
  return chip.consume_front("sm_") && std::atoi(chip.str().c_str()) >= 89;
}

struct ConvertAttnTilesToNVVMPass
    : public mlir::attn::nvidia::impl::ConvertAttnTilesToNVVMPassBase<
          ConvertAttnTilesToNVVMPass> {
  using Base::Base;

  void runOnOperation() override {
    auto target = NVVM::NVVMTargetAttr::get(&getContext(), /*optLevel=*/3,
                                            "nvptx64-nvidia-cuda", chip,
                                            features);
    if (mapping != "tensor-core" && mapping != "simt") {
      getOperation().emitError()
          << "convert-attn-tiles-to-nvvm: unknown mapping '" << mapping
          << "' (expected tensor-core or simt)";
      return signalPassFailure();
    }
    if (rowsPerWarp != 16 && rowsPerWarp != 32) {
      getOperation().emitError()
          << "convert-attn-tiles-to-nvvm: rows-per-warp must be 16 or 32, got "
          << rowsPerWarp;
      return signalPassFailure();
    }
    attn::KernelMapper fast;
    int64_t rows = rowsPerWarp;
    bool wgmma = warpgroupMma && chip == "sm_90a";
    if (mapping == "tensor-core")
      fast = [rows, wgmma](func::FuncOp fn, gpu::GPUModuleOp m) {
        return attn::nvidia::buildTensorCoreKernel(fn, m, rows, wgmma);
      };
    bool hwFp8 = hasFp8Convert(chip);
    if (failed(attn::mapKernelsToGPU(getOperation(), target, chip, fast,
                                     /*keepFp8Ext=*/hwFp8)))
      return signalPassFailure();
    if (!hwFp8)
      return;
    // What the mappings left of the fp8 extensions (vectors of pairs in
    // the K/V chunks; anything else through f16 as before).
    RewritePatternSet patterns(&getContext());
    patterns.add<Fp8PairsToF32>(&getContext());
    attn::populateFp8ViaHalfPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
