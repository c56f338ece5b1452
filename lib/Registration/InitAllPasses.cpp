//===- InitAllPasses.cpp - the passes attn-opt registers ------------------===//

#include "attn/InitAllPasses.h"
#include "attn/Backend/Host/Passes.h"
#include "attn/Config.h"
#if ATTN_HAS_NVIDIA_BACKEND
#include "attn/Backend/NVIDIA/Passes.h"
#endif
#if ATTN_HAS_AMD_BACKEND
#include "attn/Backend/AMD/Passes.h"
#endif
#include "attn/Conversion/Passes.h"
#include "attn/Dialect/Attn/Transforms/Passes.h"

#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVMPass.h"
#include "mlir/Conversion/GPUToNVVM/GPUToNVVMPass.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Conversion/IndexToLLVM/IndexToLLVM.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/MathToLibm/MathToLibm.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Conversion/UBToLLVM/UBToLLVM.h"
#include "mlir/Conversion/VectorToLLVM/ConvertVectorToLLVMPass.h"
#include "mlir/Dialect/Vector/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

void mlir::attn::registerAllPasses() {
  registerAttnTransformsPasses();
  registerAttnConversionPasses();
  host::registerAttnHostPasses();
  host::registerHostPipeline();
#if ATTN_HAS_NVIDIA_BACKEND
  nvidia::registerAttnNVIDIAPasses();
  nvidia::registerNVIDIAPipeline();
#endif
#if ATTN_HAS_AMD_BACKEND
  amd::registerAttnAMDPasses();
  amd::registerAMDPipeline();
#endif

  // Upstream passes, individually: the ones our pipelines use.
  registerCanonicalizerPass();
  registerCSEPass();
  registerSymbolDCEPass();
  registerInlinerPass();
  registerPass([] { return vector::createLowerVectorMultiReductionPass(); });
  registerPass([] { return createConvertVectorToLLVMPass(); });
  registerPass([] { return createConvertMathToLLVMPass(); });
  registerPass([] { return createConvertMathToLibmPass(); });
  registerPass([] { return createSCFToControlFlowPass(); });
  registerPass([] { return createArithToLLVMConversionPass(); });
  registerPass([] { return createConvertIndexToLLVMPass(); });
  registerPass([] { return createUBToLLVMConversionPass(); });
  registerPass([] { return createFinalizeMemRefToLLVMConversionPass(); });
  registerPass([] { return createConvertFuncToLLVMPass(); });
  registerPass([] { return createConvertControlFlowToLLVMPass(); });
  registerPass([] { return createReconcileUnrealizedCastsPass(); });
  registerPass([] { return createConvertGpuOpsToNVVMOps(); });
  registerPass([] { return createGpuModuleToBinaryPass(); });
}
