//===- InitAllPasses.cpp - the passes attn-opt registers ------------------===//

#include "attn/InitAllPasses.h"

#include "mlir/Transforms/Passes.h"

void mlir::attn::registerAllPasses() {
  registerCanonicalizerPass();
  registerCSEPass();
  registerSymbolDCEPass();
  registerInlinerPass();
}
