//===- Passes.h - NVIDIA backend passes -------------------------*- C++ -*-===//

#ifndef ATTN_BACKEND_NVIDIA_PASSES_H
#define ATTN_BACKEND_NVIDIA_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"

namespace mlir::attn::nvidia {

#define GEN_PASS_DECL
#include "attn/Backend/NVIDIA/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "attn/Backend/NVIDIA/Passes.h.inc"

/// Adds the NVIDIA pipeline (attn IR -> gpu.binary holding PTX) to `pm`;
/// `warpgroupMma`: on sm_90a, the products as wgmma where they fit.
void buildNVIDIAPipeline(OpPassManager &pm, const std::string &chip,
                         const std::string &mapping = "tensor-core",
                         int64_t rowsPerWarp = 16, bool warpgroupMma = true);

/// Registers `attn-nvidia-pipeline`.
void registerNVIDIAPipeline();

} // namespace mlir::attn::nvidia

#endif // ATTN_BACKEND_NVIDIA_PASSES_H
