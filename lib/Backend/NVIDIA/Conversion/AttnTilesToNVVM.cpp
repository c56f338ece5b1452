//===- AttnTilesToNVVM.cpp - the convert-attn-tiles-to-nvvm pass ----------===//
//
// The NVIDIA backend's SIMT path: the shared GPU SIMT mapping
// (Backend/GPU/SIMTMapping.h) under an #nvvm.target.
//
//===----------------------------------------------------------------------===//

#include "attn/Backend/GPU/SIMTMapping.h"
#include "attn/Backend/NVIDIA/Passes.h"

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
    if (failed(attn::mapKernelsToGPU(getOperation(), target, chip)))
      signalPassFailure();
  }
};
} // namespace
