//===- Pipeline.cpp - attn-host-pipeline ----------------------------------===//

#include "attn/Backend/Host/Passes.h"
#include "attn/Conversion/Passes.h"
#include "attn/Dialect/Attn/Transforms/Passes.h"

#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVMPass.h"
#include "mlir/Conversion/IndexToLLVM/IndexToLLVM.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/MathToLibm/MathToLibm.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Conversion/UBToLLVM/UBToLLVM.h"
#include "mlir/Conversion/VectorToLLVM/ConvertVectorToLLVMPass.h"
#include "mlir/Dialect/Vector/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

namespace {
struct HostPipelineOptions
    : public PassPipelineOptions<HostPipelineOptions> {
  Option<int64_t> blockM{*this, "block-m", llvm::cl::desc("query tile rows "
                                                          "(0 = choice)"),
                         llvm::cl::init(0)};
  Option<int64_t> blockN{*this, "block-n",
                         llvm::cl::desc("keys per tile (0 = choice)"),
                         llvm::cl::init(0)};
  Option<int64_t> segments{*this, "segments",
                           llvm::cl::desc("split-KV segments (-1 = choice)"),
                           llvm::cl::init(-1)};
  Option<int64_t> wideBlockM{
      *this, "wide-block-m",
      llvm::cl::desc("rows of the wide 2D form (-1 = choice: none on the "
                     "host, 0 = none)"),
      llvm::cl::init(-1)};
};

} // namespace

void mlir::attn::host::buildHostPipeline(OpPassManager &pm, int64_t blockM,
                                         int64_t blockN, int64_t segments,
                                         int64_t wideBlockM) {
  attn::AttnPlanPassOptions plan;
  plan.target = "host";
  plan.blockM = blockM;
  plan.blockN = blockN;
  plan.segments = segments;
  plan.wideBlockM = wideBlockM;
  pm.addPass(attn::createAttnPlanPass(plan));
  pm.addPass(attn::createConvertAttnToTilesPass());
  pm.addPass(attn::host::createConvertAttnTilesToHostPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addNestedPass<func::FuncOp>(vector::createLowerVectorMultiReductionPass());
  ConvertVectorToLLVMPassOptions vec;
  vec.vectorContractLowering = vector::VectorContractLowering::OuterProduct;
  vec.reassociateFPReductions = true;
  pm.addPass(createConvertVectorToLLVMPass(vec));
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createUBToLLVMConversionPass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(attn::host::createConvertAttnHostEntryPointsPass());
  pm.addPass(createCanonicalizerPass());
}

void mlir::attn::host::registerHostPipeline() {
  PassPipelineRegistration<HostPipelineOptions>(
      "attn-host-pipeline",
      "attn IR to the LLVM dialect for the host CPU (plan, tiles, host "
      "backend, upstream lowering)",
      [](OpPassManager &pm, const HostPipelineOptions &o) {
        buildHostPipeline(pm, o.blockM, o.blockN, o.segments, o.wideBlockM);
      });
}
