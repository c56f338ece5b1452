// RUN: attn-opt %s --attn-plan --convert-attn-to-tiles | attn-translate --attn-to-kernel-manifest | FileCheck %s

// Keys are written in sorted order.
// CHECK:      {"version": 2, "kernels": [
// CHECK-NEXT: {"alibi": "none"
// CHECK-SAME: "block_size": 16, "causal": 1
// CHECK-SAME: "dtype": "bf16", "functions": {"2d": "gemma_2d", "reduce": "gemma_reduce", "split": "gemma_split"}
// CHECK-SAME: "head_size": 256, "head_size_v": 256, "heads": 8, "kind": "attention", "kv_dtype": "auto", "kv_heads": 4, "kv_layout": "paged"
// CHECK-SAME: "name": "gemma", "out_dtype": "bf16"
// CHECK-SAME: "softcap": 30
// CHECK-SAME: "window_left": 1023, "window_right": 0}
// CHECK-NEXT: ]}
func.func @gemma(%q: memref<?x8x256xbf16>, %k: memref<?x16x4x256xbf16>, %v: memref<?x16x4x256xbf16>,
                 %bt: memref<?x?xi32>, %sl: memref<?xi32>, %cu: memref<?xi32>, %o: memref<?x8x256xbf16>) {
  attn.paged_attention q(%q : memref<?x8x256xbf16>) k_cache(%k : memref<?x16x4x256xbf16>)
      v_cache(%v : memref<?x16x4x256xbf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>)
      out(%o : memref<?x8x256xbf16>) scale(0.0625) causal window <left = 1023, right = 0> softcap(30.0)
  return
}
