//===- Pipeline.cpp - attn-amd-pipeline -----------------------------------===//

#include "attn/Backend/AMD/Passes.h"
#include "attn/Conversion/Passes.h"
#include "attn/Dialect/Attn/Transforms/Passes.h"

#include "mlir/Conversion/GPUToROCDL/GPUToROCDLPass.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void mlir::attn::amd::buildAMDPipeline(OpPassManager &pm,
                                       const std::string &chip,
                                       const std::string &abi,
                                       const std::string &rocmRoot,
                                       const std::string &mapping) {
  attn::AttnPlanPassOptions plan;
  plan.target = chip;
  pm.addPass(attn::createAttnPlanPass(plan));
  pm.addPass(attn::createConvertAttnToTilesPass());
  ConvertAttnTilesToROCDLPassOptions amd;
  amd.chip = chip;
  amd.abi = abi;
  amd.mapping = mapping;
  pm.addPass(createConvertAttnTilesToROCDLPass(amd));
  OpPassManager &gpu = pm.nest<gpu::GPUModuleOp>();
  gpu.addPass(createSCFToControlFlowPass());
  ConvertGpuOpsToROCDLOpsOptions rocdl;
  rocdl.chipset = chip;
  rocdl.runtime = gpu::amd::Runtime::HIP;
  gpu.addPass(createConvertGpuOpsToROCDLOps(rocdl));
  gpu.addPass(createCanonicalizerPass());
  gpu.addPass(createCSEPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  GpuModuleToBinaryPassOptions bin;
  bin.compilationTarget = "bin";
  bin.toolkitPath = rocmRoot;
  pm.addPass(createGpuModuleToBinaryPass(bin));
}

namespace {
struct AMDPipelineOptions : public PassPipelineOptions<AMDPipelineOptions> {
  Option<std::string> chip{*this, "chip", llvm::cl::desc("gfx90a or gfx942"),
                           llvm::cl::init("gfx942")};
  Option<std::string> abi{*this, "abi",
                          llvm::cl::desc("code object version: 500 (ROCm "
                                         "6.0-6.2) or 600 (newer)"),
                          llvm::cl::init("600")};
  Option<std::string> rocmRoot{
      *this, "rocm-root",
      llvm::cl::desc("folder with llvm/bin/ld.lld and amdgcn/bitcode (the "
                     "build tree makes one: <build>/rocm-root)"),
      llvm::cl::init(ATTN_DEFAULT_ROCM_ROOT)};
  Option<std::string> mapping{
      *this, "mapping",
      llvm::cl::desc("matrix-core (mfma where it applies) or simt"),
      llvm::cl::init("matrix-core")};
};
} // namespace

void mlir::attn::amd::registerAMDPipeline() {
  PassPipelineRegistration<AMDPipelineOptions>(
      "attn-amd-pipeline",
      "attn IR to an hsaco in a gpu.binary (plan, tiles, AMD backend: mfma "
      "where it applies, SIMT elsewhere; upstream ROCDL lowering, ld.lld, "
      "ROCm device libraries)",
      [](OpPassManager &pm, const AMDPipelineOptions &o) {
        buildAMDPipeline(pm, o.chip, o.abi, o.rocmRoot, o.mapping);
      });
}
