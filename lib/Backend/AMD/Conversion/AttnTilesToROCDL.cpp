//===- AttnTilesToROCDL.cpp - the convert-attn-tiles-to-rocdl pass --------===//
//
// The AMD backend: the matrix-core mapping (MatrixCoreMapping.h) where it
// applies, the shared GPU SIMT mapping (Backend/GPU/SIMTMapping.h)
// elsewhere, under a #rocdl.target.
//
//===----------------------------------------------------------------------===//

#include "attn/Backend/AMD/MatrixCoreMapping.h"
#include "attn/Backend/AMD/Passes.h"
#include "attn/Backend/GPU/SIMTMapping.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"

#define DEBUG_TYPE "convert-attn-tiles-to-rocdl"

namespace mlir::attn::amd {
#define GEN_PASS_DEF_CONVERTATTNTILESTOROCDLPASS
#include "attn/Backend/AMD/Passes.h.inc"
} // namespace mlir::attn::amd

using namespace mlir;

namespace {
struct ConvertAttnTilesToROCDLPass
    : public mlir::attn::amd::impl::ConvertAttnTilesToROCDLPassBase<
          ConvertAttnTilesToROCDLPass> {
  using Base::Base;

  void runOnOperation() override {
    if (abi != "500" && abi != "600") {
      getOperation().emitError()
          << "convert-attn-tiles-to-rocdl: code object version '" << abi
          << "' is not supported (expected 500 or 600)";
      return signalPassFailure();
    }
    if (mapping != "matrix-core" && mapping != "simt") {
      getOperation().emitError()
          << "convert-attn-tiles-to-rocdl: unknown mapping '" << mapping
          << "' (expected matrix-core or simt)";
      return signalPassFailure();
    }
    auto target = ROCDL::ROCDLTargetAttr::get(
        &getContext(), /*optLevel=*/3, "amdgcn-amd-amdhsa", chip,
        /*features=*/"", abi);
    attn::KernelMapper fast;
    if (mapping == "matrix-core")
      fast = attn::amd::buildMatrixCoreKernel;
    if (failed(attn::mapKernelsToGPU(getOperation(), target, chip, fast)))
      signalPassFailure();
  }
};
} // namespace
