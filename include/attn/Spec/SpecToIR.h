//===- SpecToIR.h - attn IR from a spec string ------------------*- C++ -*-===//

#ifndef ATTN_SPEC_SPECTOIR_H
#define ATTN_SPEC_SPECTOIR_H

#include "attn/Spec/Spec.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/STLFunctionalExtras.h"

namespace mlir::attn {

/// Builds the attn IR of `spec`: a module with one function `@<name>` whose
/// arguments are the op's operands and whose body is the op. Returns null
/// and sets `error` when the spec describes an invalid variant (the
/// verifier's message).
OwningOpRef<ModuleOp> buildVariantModule(MLIRContext *context,
                                         const ::attn::VariantSpec &spec,
                                         std::string &error);

/// Tool entry helper: when argv holds `--spec=STRING`, builds the variant
/// (optionally running `--spec-pipeline=PIPELINE` on it), writes it to a
/// temporary file and calls `main` with that file in place of the spec
/// options. Otherwise calls `main` unchanged. Spec errors print
/// "error: ..." and return 1.
int runWithSpecOption(int argc, char **argv,
                      llvm::function_ref<int(int, char **)> main);

} // namespace mlir::attn

#endif // ATTN_SPEC_SPECTOIR_H
