//===- InitAllTranslations.cpp - attn-translate registrations -------------===//

#include "attn/InitAllTranslations.h"
#include "attn/Target/KernelManifest.h"

#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Tools/mlir-translate/Translation.h"

namespace mlir {
void registerToLLVMIRTranslation();
} // namespace mlir

void mlir::attn::registerAllTranslations() {
  registerToLLVMIRTranslation();
  registerKernelTranslations();
  registerCudaBinaryTranslation();
}
