// RUN: attn-opt %s --split-input-file --convert-attn-to-tiles --verify-diagnostics

func.func @no_plan(%q: memref<?x4x64xf32>, %k: memref<?x16x1x64xf32>, %v: memref<?x16x1x64xf32>,
                   %bt: memref<?x?xi32>, %sl: memref<?xi32>, %cu: memref<?xi32>, %o: memref<?x4x64xf32>) {
  // expected-error @+1 {{has no schedule; run attn-plan before convert-attn-to-tiles}}
  attn.paged_attention q(%q : memref<?x4x64xf32>) k_cache(%k : memref<?x16x1x64xf32>)
      v_cache(%v : memref<?x16x1x64xf32>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>)
      out(%o : memref<?x4x64xf32>) scale(0.125) causal
  return
}

// -----

func.func @plan_not_packed(%q: memref<?x4x64xf32>, %k: memref<?x16x1x64xf32>, %v: memref<?x16x1x64xf32>,
                           %bt: memref<?x?xi32>, %sl: memref<?xi32>, %cu: memref<?xi32>, %o: memref<?x4x64xf32>) {
  // expected-error @+1 {{plan block_m (8) must equal block_q (1) times the heads per kv head (4)}}
  attn.paged_attention q(%q : memref<?x4x64xf32>) k_cache(%k : memref<?x16x1x64xf32>)
      v_cache(%v : memref<?x16x1x64xf32>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>)
      out(%o : memref<?x4x64xf32>) scale(0.125) causal
      plan <target = host, block_q = 1, block_m = 8, block_n = 32, warps = 1, stages = 1, segments = 0>
  return
}

// -----

// expected-error @+1 {{a variant function must hold exactly one attn op in a single block; @two holds 2}}
func.func @two(%key: memref<?x2x64xf32>, %val: memref<?x2x64xf32>,
               %kc: memref<?x16x2x64xf32>, %vc: memref<?x16x2x64xf32>, %slots: memref<?xi64>) {
  attn.cache_write key(%key : memref<?x2x64xf32>) value(%val : memref<?x2x64xf32>)
      k_cache(%kc : memref<?x16x2x64xf32>) v_cache(%vc : memref<?x16x2x64xf32>)
      slot_mapping(%slots : memref<?xi64>)
  attn.cache_write key(%key : memref<?x2x64xf32>) value(%val : memref<?x2x64xf32>)
      k_cache(%kc : memref<?x16x2x64xf32>) v_cache(%vc : memref<?x16x2x64xf32>)
      slot_mapping(%slots : memref<?xi64>)
  return
}
