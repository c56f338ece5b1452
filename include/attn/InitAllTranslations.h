//===- InitAllTranslations.h - attn-translate registrations -----*- C++ -*-===//

#ifndef ATTN_INITALLTRANSLATIONS_H
#define ATTN_INITALLTRANSLATIONS_H

namespace mlir::attn {

/// Registers the translations out of MLIR (LLVM IR, host objects,
/// manifests).
void registerAllTranslations();

} // namespace mlir::attn

#endif // ATTN_INITALLTRANSLATIONS_H
