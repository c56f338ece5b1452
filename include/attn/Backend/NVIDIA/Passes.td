//===- Passes.td - NVIDIA backend passes -------------------*- tablegen -*-===//

#ifndef ATTN_BACKEND_NVIDIA_PASSES_TD
#define ATTN_BACKEND_NVIDIA_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertAttnTilesToNVVMPass : Pass<"convert-attn-tiles-to-nvvm", "ModuleOp"> {
  let summary = "Map the tiled schedule onto CUDA threads and tensor cores";
  let description = [{
    Each kernel function becomes a `gpu.func` in `gpu.module
    @attn_kernels` (with the `#nvvm.target` of `chip`), one CUDA block per
    program (block ids are the program ids).

    `mapping=tensor-core` (the default) maps attention kernels with 16-bit
    queries and head sizes that are multiples of 16 onto `mma.sync`
    m16n8k16 (sm_80 and newer): each warp owns `rows-per-warp` (16 or 32)
    query rows; scores and the accumulator in the mma.sync accumulator
    layout (which is also the A-operand layout, so Q and P never leave
    registers); row reductions by `shfl.xor`; `exp` as `ex2.approx`, `tanh`
    as `tanh.approx`; K/V tiles gathered through the block table into padded
    shared memory with `cp.async`, double-buffered so that the copies of
    tile i + 1 overlap the products of tile i (16-bit caches), or
    dequantized into it by the threads (fp8 / int8, rounded to the compute
    type), and read as B fragments with `ldmatrix` (`.trans` for V). P is
    rounded to the 16-bit compute type before `P V`, as in FlashAttention.

    On `chip=sm_90a` (with `warpgroup-mma`, the default) the two products
    are Hopper's warpgroup MMA instead, where the sizes allow it (16 rows
    per warp, block_m a multiple of 64, head sizes multiples of 64,
    head_size_v at most 256): `wgmma.mma_async` m64nNk16 with P from
    registers (the same layout) and Q, K, V read by the tensor cores from
    dynamic shared memory through matrix descriptors (Q stored once before
    the KV loop); the staging writes them in 128-byte-swizzled atoms of 64
    columns (no padding) and fences the async proxy before the products;
    one barrier per KV tile. The warps of a warpgroup compute together, so
    the per-warp skip of idle warps is off there. These kernels carry
    `nvvm.minctasm` (PTX `.minnctapersm`): the blocks per SM that 128
    registers a thread allow, where their shared memory fits that many
    (4 at head 128), so that ptxas keeps to 128 registers.

    All other kernels (f32 models, head sizes that are not multiples of 16,
    reduce and cache-write kernels) and every kernel with `mapping=simt` use
    the SIMT mapping, the correctness baseline. In its attention kernels thread
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
    Option<"mapping", "mapping", "std::string", "\"tensor-core\"",
           "tensor-core (mma.sync where it applies, SIMT elsewhere) or simt">,
    Option<"rowsPerWarp", "rows-per-warp", "int64_t", "16",
           "query rows per warp of the tensor-core mapping (16 or 32)">,
    Option<"features", "features", "std::string", "\"+ptx80\"",
           "PTX features">,
    Option<"warpgroupMma", "warpgroup-mma", "bool", "true",
           "on sm_90a, the tensor-core mapping's products as wgmma where "
           "the sizes allow it">
  ];
  let dependentDialects = [
    "::mlir::gpu::GPUDialect", "::mlir::NVVM::NVVMDialect",
    "::mlir::LLVM::LLVMDialect", "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect", "::mlir::arith::ArithDialect",
    "::mlir::memref::MemRefDialect"
  ];
}

#endif // ATTN_BACKEND_NVIDIA_PASSES_TD
