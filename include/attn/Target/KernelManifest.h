//===- KernelManifest.h - the JSON the runtime loads ------------*- C++ -*-===//

#ifndef ATTN_TARGET_KERNELMANIFEST_H
#define ATTN_TARGET_KERNELMANIFEST_H

#include "mlir/IR/BuiltinOps.h"

#include <string>

namespace mlir::attn {

/// The manifest (docs/KernelABI.md) of the kernels recorded in `module`'s
/// `attn.kernels` attribute, as JSON text. Empty kernel list when absent.
std::string buildKernelManifest(ModuleOp module);

/// Registers `--attn-to-kernel-manifest` and `--attn-to-host-object`.
void registerKernelTranslations();

/// Registers `--attn-to-cubin` (PTX through ptxas; the PTX without it).
void registerCudaBinaryTranslation();

} // namespace mlir::attn

#endif // ATTN_TARGET_KERNELMANIFEST_H
