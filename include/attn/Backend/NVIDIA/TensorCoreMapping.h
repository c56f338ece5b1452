//===- TensorCoreMapping.h - attention tiles on mma.sync --------*- C++ -*-===//
//
// The sm_80 tensor-core mapping of the tiled schedule's attention kernels
// (runs on Ampere, Ada and Hopper): warps own 16-row slices of the query
// tile, tiles live in the m16n8 accumulator layout of mma.sync, K/V tiles
// are gathered into shared memory with cp.async (16-bit caches) or
// dequantized into it (fp8 / int8), and read back with ldmatrix.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_BACKEND_NVIDIA_TENSORCOREMAPPING_H
#define ATTN_BACKEND_NVIDIA_TENSORCOREMAPPING_H

#include "attn/Backend/GPU/KernelMapping.h"

namespace mlir::attn::nvidia {

/// Builds the gpu.func of `fn` with the tensor-core mapping and returns its
/// block size, or 0 if the mapping does not apply to `fn` (not an attention
/// kernel, 32-bit queries, head sizes not multiples of 16): the caller then
/// uses the SIMT mapping. Each warp owns `rowsPerWarp` (16 or 32) query rows
/// when block_m is a multiple of it, else 16. With `warpgroupMMA` (sm_90a)
/// the products are wgmma where the sizes allow it (16 rows per warp,
/// block_m a multiple of 64, head sizes multiples of 64), mma.sync
/// elsewhere.
FailureOr<int64_t> buildTensorCoreKernel(func::FuncOp fn,
                                         gpu::GPUModuleOp gpuModule,
                                         int64_t rowsPerWarp = 16,
                                         bool warpgroupMMA = false);

} // namespace mlir::attn::nvidia

#endif // ATTN_BACKEND_NVIDIA_TENSORCOREMAPPING_H
