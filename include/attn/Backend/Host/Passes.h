//===- Passes.h - host backend passes ---------------------------*- C++ -*-===//

#ifndef ATTN_BACKEND_HOST_PASSES_H
#define ATTN_BACKEND_HOST_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"

namespace mlir::attn::host {

#define GEN_PASS_DECL
#include "attn/Backend/Host/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "attn/Backend/Host/Passes.h.inc"

/// attn_tile.load_rows / store_rows as per-row vector loads and stores.
void populateRowOpsToHostPatterns(RewritePatternSet &patterns);

/// Adds the host pipeline to `pm` (schedule overrides: 0 / -1 = choice).
void buildHostPipeline(OpPassManager &pm, int64_t blockM = 0,
                       int64_t blockN = 0, int64_t segments = -1,
                       int64_t wideBlockM = -1);

/// Registers `attn-host-pipeline`: attn IR (or a spec's variant) to the
/// LLVM dialect for the host CPU.
void registerHostPipeline();

} // namespace mlir::attn::host

#endif // ATTN_BACKEND_HOST_PASSES_H
