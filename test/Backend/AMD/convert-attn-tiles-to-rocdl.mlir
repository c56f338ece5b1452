// RUN: attn-opt %s --convert-attn-to-tiles --convert-attn-tiles-to-rocdl="mapping=simt" | FileCheck %s --check-prefixes=CHECK,CDNA3
// RUN: attn-opt %s --convert-attn-to-tiles --convert-attn-tiles-to-rocdl="chip=gfx90a abi=500 mapping=simt" | FileCheck %s --check-prefixes=CHECK,CDNA2
// RUN: not attn-opt %s --convert-attn-to-tiles --convert-attn-tiles-to-rocdl="abi=400" 2>&1 | FileCheck %s --check-prefix=BADABI

// The SIMT mapping (mapping=simt here; the default matrix-core mapping is
// tested in matrix-core.mlir), the AMD mirror of the NVIDIA one: one
// workgroup per program, one thread per query-tile row, K/V tiles through
// LDS.
// CDNA3:       gpu.module @attn_kernels [#rocdl.target<O = 3, chip = "gfx942">]
// CDNA2:       gpu.module @attn_kernels [#rocdl.target<O = 3, chip = "gfx90a", abi = "500">]
// CHECK-LABEL: gpu.func @llama_2d
// CHECK-SAME:    workgroup(%{{.+}} : memref<32x64xf32, #gpu.address_space<workgroup>>
// CHECK-SAME:    kernel attributes {known_block_size = array<i32: 64, 1, 1>}
// CHECK:         gpu.barrier
// CHECK-NOT:   func.func
// BADABI: code object version '400' is not supported (expected 500 or 600)
func.func @llama(%q: memref<?x8x64xbf16>, %k: memref<?x16x2x64xbf16>, %v: memref<?x16x2x64xbf16>,
                 %bt: memref<?x?xi32>, %sl: memref<?xi32>, %cu: memref<?xi32>, %o: memref<?x8x64xbf16>) {
  attn.paged_attention q(%q : memref<?x8x64xbf16>) k_cache(%k : memref<?x16x2x64xbf16>)
      v_cache(%v : memref<?x16x2x64xbf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>)
      out(%o : memref<?x8x64xbf16>) scale(0.125) causal
      plan <target = gfx942, block_q = 16, block_m = 64, block_n = 32, warps = 1, stages = 2, segments = 4>
  return
}
