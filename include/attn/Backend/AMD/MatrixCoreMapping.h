//===- MatrixCoreMapping.h - attention tiles on mfma ------------*- C++ -*-===//
//
// The CDNA matrix-core mapping of the tiled schedule's attention kernels
// (gfx90a, gfx942; wave64): waves own 16-row slices of the query tile, the
// products run as S^T = K Q^T and O^T = V^T P^T on mfma 16x16x16 so that
// every query-side value keeps its query row in lane % 16, and K/V tiles
// are staged in LDS (V transposed) in the 16-bit compute type, the cache
// loads of the next tile in flight (in registers) while a tile is used.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_BACKEND_AMD_MATRIXCOREMAPPING_H
#define ATTN_BACKEND_AMD_MATRIXCOREMAPPING_H

#include "attn/Backend/GPU/KernelMapping.h"

namespace mlir::attn::amd {

/// Builds the gpu.func of `fn` with the matrix-core mapping and returns its
/// block size, or 0 if the mapping does not apply to `fn` (not an attention
/// kernel, 32-bit queries, head sizes or tile sizes not multiples of 16):
/// the caller then uses the SIMT mapping.
FailureOr<int64_t> buildMatrixCoreKernel(func::FuncOp fn,
                                         gpu::GPUModuleOp gpuModule);

} // namespace mlir::attn::amd

#endif // ATTN_BACKEND_AMD_MATRIXCOREMAPPING_H
