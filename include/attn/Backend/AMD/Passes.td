//===- Passes.td - AMD backend passes ----------------------*- tablegen -*-===//

#ifndef ATTN_BACKEND_AMD_PASSES_TD
#define ATTN_BACKEND_AMD_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertAttnTilesToROCDLPass : Pass<"convert-attn-tiles-to-rocdl", "ModuleOp"> {
  let summary = "Map the tiled schedule onto AMD GPU waves and matrix cores";
  let description = [{
    Each kernel function becomes a `gpu.func` in `gpu.module
    @attn_kernels` (with the `#rocdl.target` of `chip` and the code object
    version `abi`: 500 for ROCm 6.0-6.2, 600 for newer), one workgroup per
    program (block ids are the program ids).

    `mapping=matrix-core` (the default) maps attention kernels with 16-bit
    queries and head sizes that are multiples of 16 onto mfma 16x16x16
    (`rocdl.mfma.f32.16x16x16bf16.1k`, `rocdl.mfma.f32.16x16x16f16`;
    gfx90a and gfx942): `block_m / 16` waves of 64 lanes, each owning 16
    query rows. Both products run transposed, `S^T = K Q^T` and
    `O^T = V^T P^T`, so that lane `l` holds query row `l % 16` of its wave in
    every query-side value: a `[block_m x C]` tile is `C / 4` elements per
    thread (columns `16t + 4 (l / 16) + i`), a row vector is one element,
    and the accumulator layout of `S^T` is the B-operand layout of `P^T`
    (Q and P feed the products from registers; P is rounded to the 16-bit
    compute type, as in FlashAttention). Row reductions are in-thread, then
    shuffles across the four lanes of a row (xor 16, 32). K and V tiles
    are written to LDS in the compute type (K row-major, V transposed, rows
    padded against bank conflicts): plain loads of the cache for 16-bit
    caches, dequantized chunks for fp8 / int8; each thread reads its A
    operands from there (8-byte reads). The KV loop is software-pipelined
    through registers: the cache loads of tile i + 1 are issued before the
    products of tile i and written to LDS after them (one LDS buffer, two
    barriers per tile).

    All other kernels (f32 models, head sizes that are not multiples of 16,
    reduce and cache-write kernels) and every kernel with `mapping=simt` use
    the shared GPU SIMT mapping, the correctness baseline: one thread per
    query-tile row, K/V tiles through LDS (f32); reduce and cache-write
    kernels on one thread per workgroup. Buffers arrive as `!llvm.ptr<1>`
    kernel parameters in the order of docs/KernelABI.md; the launch
    metadata (block size) is added to the module's `attn.kernels` manifest
    entries.
  }];
  let options = [
    Option<"chip", "chip", "std::string", "\"gfx942\"",
           "target chip: gfx90a, gfx942">,
    Option<"abi", "abi", "std::string", "\"600\"",
           "code object version: 500 or 600">,
    Option<"mapping", "mapping", "std::string", "\"matrix-core\"",
           "matrix-core (mfma where it applies, SIMT elsewhere) or simt">
  ];
  let dependentDialects = [
    "::mlir::gpu::GPUDialect", "::mlir::ROCDL::ROCDLDialect",
    "::mlir::LLVM::LLVMDialect", "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect", "::mlir::arith::ArithDialect",
    "::mlir::memref::MemRefDialect"
  ];
}

#endif // ATTN_BACKEND_AMD_PASSES_TD
