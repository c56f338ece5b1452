//===- AttnTilesToNVVM.cpp - the convert-attn-tiles-to-nvvm pass ----------===//
//
// The NVIDIA backend: the tensor-core mapping (TensorCoreMapping.h) where
// it applies, the shared GPU SIMT mapping (Backend/GPU/SIMTMapping.h)
// elsewhere, under an #nvvm.target.
//
//===----------------------------------------------------------------------===//

#include "attn/Backend/GPU/SIMTMapping.h"
#include "attn/Backend/NVIDIA/Passes.h"
#include "attn/Backend/NVIDIA/TensorCoreMapping.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"

#define DEBUG_TYPE "convert-attn-tiles-to-nvvm"

namespace mlir::attn::nvidia {
#define GEN_PASS_DEF_CONVERTATTNTILESTONVVMPASS
#include "attn/Backend/NVIDIA/Passes.h.inc"
} // namespace mlir::attn::nvidia

using namespace mlir;

namespace {
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
    if (mapping == "tensor-core")
      fast = [rows](func::FuncOp fn, gpu::GPUModuleOp m) {
        return attn::nvidia::buildTensorCoreKernel(fn, m, rows);
      };
    if (failed(attn::mapKernelsToGPU(getOperation(), target, chip, fast)))
      signalPassFailure();
  }
};
} // namespace
