//===- Passes.td - NVIDIA backend passes -------------------*- tablegen -*-===//

#ifndef ATTN_BACKEND_NVIDIA_PASSES_TD
#define ATTN_BACKEND_NVIDIA_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertAttnTilesToNVVMPass : Pass<"convert-attn-tiles-to-nvvm", "ModuleOp"> {
  let summary = "Map the tiled schedule onto CUDA threads (SIMT path)";
  let description = [{
    The first NVIDIA backend: a SIMT mapping of the target-neutral tiles,
    the correctness baseline of the GPU path (the tensor-core mapping with
    mma.sync / wgmma replaces it; docs/design.md).

    Each kernel function becomes a `gpu.func` in `gpu.module
    @attn_kernels` (with the `#nvvm.target` of `chip`), one CUDA block per
    program (block ids are the program ids). In attention kernels thread
    `t` owns row `t` of every `[block_m x C]` tile (a `vector<C>` in its
    registers) and the value of row `t` of every `[block_m]` vector;
    `[block_n]` vectors (key positions, block-table entries) are computed by
    every thread; K and V tiles (`[block_n x C]`) are loaded cooperatively,
    dequantized, and stored to shared memory (f32), from where each thread
    computes its row of `Q K^T` and of `P V`. Reduce and cache-write kernels
    run on one thread per block. Buffers arrive as `!llvm.ptr<1>` kernel
    parameters in the order of docs/KernelABI.md; the launch metadata (block
    size) is added to the module's `attn.kernels` manifest entries.
  }];
  let options = [
    Option<"chip", "chip", "std::string", "\"sm_80\"", "target chip">,
    Option<"features", "features", "std::string", "\"+ptx80\"",
           "PTX features">
  ];
  let dependentDialects = [
    "::mlir::gpu::GPUDialect", "::mlir::NVVM::NVVMDialect",
    "::mlir::LLVM::LLVMDialect", "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect", "::mlir::arith::ArithDialect"
  ];
}

#endif // ATTN_BACKEND_NVIDIA_PASSES_TD
