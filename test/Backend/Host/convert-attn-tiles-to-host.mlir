// RUN: attn-opt %s --convert-attn-to-tiles --convert-attn-tiles-to-host | FileCheck %s

// The kernel becomes a private program plus a `_range` loop over linear
// program ids (pid = (x * 2 + y) * 1 + z, z folded to 0); tile row loads become one guarded
// vector load per row; bf16 conversions become integer code; the manifest
// is embedded.
// CHECK-LABEL: func.func private @bf16_2d_program
// CHECK-NOT:     attn_tile.load_rows
// CHECK-NOT:     arith.extf {{.*}}bf16
// CHECK:         scf.if
// CHECK:           vector.load {{.*}} : memref<?xbf16>, vector<64xbf16>
// CHECK:         arith.shli
// CHECK:         arith.bitcast {{.*}} to vector<4x64xf32>
// CHECK:         vector.store {{.*}} : memref<?xbf16>, vector<64xbf16>
// CHECK-LABEL: func.func @bf16_2d_range
// CHECK-SAME:    (%[[B:.+]]: i64, %[[E:.+]]: i64,
// CHECK-SAME:    attn.abi = array<i32: 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0>
// CHECK:         scf.for %[[PID:.+]] =
// CHECK:           %[[Y:.+]] = arith.remsi %[[PID]], %c2
// CHECK:           %[[X:.+]] = arith.divsi %[[PID]], %c2
// CHECK:           func.call @bf16_2d_program(%[[X]], %[[Y]], %c0,
// CHECK:       llvm.mlir.global external constant @attn_manifest("{\22version\22: 2
// CHECK-SAME:    \22name\22: \22bf16\22
// CHECK-NOT:   attn_tile.
func.func @bf16(%q: memref<?x4x64xbf16>, %k: memref<?x16x2x64xbf16>, %v: memref<?x16x2x64xbf16>,
                %bt: memref<?x?xi32>, %sl: memref<?xi32>, %cu: memref<?xi32>, %o: memref<?x4x64xbf16>) {
  attn.paged_attention q(%q : memref<?x4x64xbf16>) k_cache(%k : memref<?x16x2x64xbf16>)
      v_cache(%v : memref<?x16x2x64xbf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>)
      out(%o : memref<?x4x64xbf16>) scale(0.125) causal
      plan <target = host, block_q = 2, block_m = 4, block_n = 16, warps = 1, stages = 1, segments = 0>
  return
}
