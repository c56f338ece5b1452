//===- SIMTMapping.h - the tiled schedule on GPU threads --------*- C++ -*-===//
//
// The SIMT mapping shared by the NVIDIA and AMD backends: each kernel of the
// tiled schedule becomes a gpu.func in `gpu.module @attn_kernels` with the
// given target attribute; one block per program, one thread per query-tile
// row, K/V tiles through shared memory; launch metadata (block size) is
// added to the module's manifest entries.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_BACKEND_GPU_SIMTMAPPING_H
#define ATTN_BACKEND_GPU_SIMTMAPPING_H

#include "attn/Backend/GPU/KernelMapping.h"

namespace mlir::attn {

/// Maps every kernel function of `module` (convert-attn-to-tiles output)
/// onto GPU threads; `target` is the gpu.module target attribute
/// (#nvvm.target / #rocdl.target), `chip` is recorded in the manifest.
/// `fast` (a tensor-core mapping) is tried first for every kernel; kernels
/// it does not handle get the SIMT mapping. fp8 -> f32 extensions are
/// lowered to integer and f16 code before the mapping, except e4m3fn /
/// e5m2 ones when `keepFp8Ext` (the caller lowers those afterwards, to the
/// target's own conversions).
LogicalResult mapKernelsToGPU(ModuleOp module, Attribute target,
                              StringRef chip, const KernelMapper &fast = {},
                              bool keepFp8Ext = false);

} // namespace mlir::attn

#endif // ATTN_BACKEND_GPU_SIMTMAPPING_H
