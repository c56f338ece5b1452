//===- Passes.td - AMD backend passes ----------------------*- tablegen -*-===//

#ifndef ATTN_BACKEND_AMD_PASSES_TD
#define ATTN_BACKEND_AMD_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertAttnTilesToROCDLPass : Pass<"convert-attn-tiles-to-rocdl", "ModuleOp"> {
  let summary = "Map the tiled schedule onto AMD GPU threads (SIMT path)";
  let description = [{
    The AMD mirror of `convert-attn-tiles-to-nvvm`: the shared GPU SIMT
    mapping (one workgroup per program, one thread per query-tile row, K/V
    tiles through LDS) under a `#rocdl.target` for `chip`, with the code
    object version `abi` (500 for ROCm 6.0-6.2, 600 for newer). The
    MFMA (matrix-core) mapping replaces it later; docs/design.md.
  }];
  let options = [
    Option<"chip", "chip", "std::string", "\"gfx942\"",
           "target chip: gfx90a, gfx942">,
    Option<"abi", "abi", "std::string", "\"600\"",
           "code object version: 500 or 600">
  ];
  let dependentDialects = [
    "::mlir::gpu::GPUDialect", "::mlir::ROCDL::ROCDLDialect",
    "::mlir::LLVM::LLVMDialect", "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect", "::mlir::arith::ArithDialect"
  ];
}

#endif // ATTN_BACKEND_AMD_PASSES_TD
