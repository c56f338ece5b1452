//===- Pipeline.cpp - attn-nvidia-pipeline --------------------------------===//

#include "attn/Backend/NVIDIA/Passes.h"
#include "attn/Conversion/Passes.h"
#include "attn/Dialect/Attn/Transforms/Passes.h"

#include "mlir/Conversion/GPUToNVVM/GPUToNVVMPass.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void mlir::attn::nvidia::buildNVIDIAPipeline(OpPassManager &pm,
                                             const std::string &chip,
                                             const std::string &mapping,
                                             int64_t rowsPerWarp,
                                             bool warpgroupMma) {
  attn::AttnPlanPassOptions plan;
  plan.target = chip == "sm_90a" ? "sm_90a" : "sm_80";
  // The wide form pays off with the warpgroup products only.
  if (!warpgroupMma || mapping != "tensor-core" || rowsPerWarp != 16)
    plan.wideBlockM = 0;
  pm.addPass(attn::createAttnPlanPass(plan));
  pm.addPass(attn::createConvertAttnToTilesPass());
  ConvertAttnTilesToNVVMPassOptions nv;
  nv.chip = chip;
  nv.mapping = mapping;
  nv.rowsPerWarp = rowsPerWarp;
  nv.warpgroupMma = warpgroupMma;
  pm.addPass(createConvertAttnTilesToNVVMPass(nv));
  OpPassManager &gpu = pm.nest<gpu::GPUModuleOp>();
  gpu.addPass(createSCFToControlFlowPass());
  gpu.addPass(createConvertGpuOpsToNVVMOps());
  gpu.addPass(createCanonicalizerPass());
  gpu.addPass(createCSEPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  GpuModuleToBinaryPassOptions bin;
  bin.compilationTarget = "isa";
  pm.addPass(createGpuModuleToBinaryPass(bin));
}

namespace {
struct NVIDIAPipelineOptions
    : public PassPipelineOptions<NVIDIAPipelineOptions> {
  Option<std::string> chip{*this, "chip", llvm::cl::desc("target chip"),
                           llvm::cl::init("sm_80")};
  Option<std::string> mapping{
      *this, "mapping",
      llvm::cl::desc("tensor-core (mma.sync where it applies) or simt"),
      llvm::cl::init("tensor-core")};
  Option<int64_t> rowsPerWarp{
      *this, "rows-per-warp",
      llvm::cl::desc("query rows per warp of the tensor-core mapping"),
      llvm::cl::init(16)};
  Option<bool> warpgroupMma{
      *this, "warpgroup-mma",
      llvm::cl::desc("on sm_90a, the products as wgmma where the sizes "
                     "allow it"),
      llvm::cl::init(true)};
};
} // namespace

void mlir::attn::nvidia::registerNVIDIAPipeline() {
  PassPipelineRegistration<NVIDIAPipelineOptions>(
      "attn-nvidia-pipeline",
      "attn IR to PTX in a gpu.binary (plan, tiles, NVIDIA tensor-core / "
      "SIMT mapping, upstream NVVM lowering)",
      [](OpPassManager &pm, const NVIDIAPipelineOptions &o) {
        buildNVIDIAPipeline(pm, o.chip, o.mapping, o.rowsPerWarp,
                            o.warpgroupMma);
      });
}
