//===- Passes.h - AMD backend passes ----------------------------*- C++ -*-===//

#ifndef ATTN_BACKEND_AMD_PASSES_H
#define ATTN_BACKEND_AMD_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/ROCDLDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"

namespace mlir::attn::amd {

#define GEN_PASS_DECL
#include "attn/Backend/AMD/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "attn/Backend/AMD/Passes.h.inc"

/// Adds the AMD pipeline (attn IR -> gpu.binary holding an hsaco) to `pm`.
/// `rocmRoot` is a folder with llvm/bin/ld.lld and amdgcn/bitcode;
/// `mapping` is matrix-core or simt (convert-attn-tiles-to-rocdl).
void buildAMDPipeline(OpPassManager &pm, const std::string &chip,
                      const std::string &abi, const std::string &rocmRoot,
                      const std::string &mapping = "matrix-core");

/// Registers `attn-amd-pipeline`.
void registerAMDPipeline();

} // namespace mlir::attn::amd

#endif // ATTN_BACKEND_AMD_PASSES_H
