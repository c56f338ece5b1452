// RUN: attn-opt %s --split-input-file --attn-plan | FileCheck %s
// RUN: attn-opt %s --split-input-file --attn-plan="target=sm_90a" | FileCheck %s --check-prefix=SM90
// RUN: attn-opt %s --split-input-file --attn-plan="block-m=32 block-n=64 segments=0" | FileCheck %s --check-prefix=OVERRIDE
// RUN: not attn-opt %s --split-input-file --attn-plan="target=sm_75" 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: attn-opt %s --split-input-file --attn-plan="wide-block-m=40" | FileCheck %s --check-prefix=WIDE
// RUN: attn-opt %s --split-input-file --attn-plan="target=sm_90a wide-block-m=0" | FileCheck %s --check-prefix=NOWIDE
// RUN: attn-opt %s --split-input-file --attn-plan="wide-block-m=20" | FileCheck %s --check-prefix=NOWIDE

// GQA packing: 4 query heads per kv head, so block_q = 16 / 4 = 4. On
// sm_90a at head 128 the plan adds the wide (prefill) form of 128 rows;
// the host has none unless asked (a multiple of block_m: 40 -> 32; 20 ->
// 16, not above block_m: none).
// CHECK-LABEL: func.func @gqa4
// CHECK:         attn.paged_attention
// CHECK-SAME:      plan <target = host, block_q = 4, block_m = 16, block_n = 32, warps = 1, stages = 1, segments = 4>
// SM90-LABEL:  func.func @gqa4
// SM90:          plan <target = sm_90a, block_q = 16, block_m = 64, block_n = 32, warps = 2, stages = 2, segments = 16, wide_block_m = 128>
// WIDE-LABEL:  func.func @gqa4
// WIDE:          plan <target = host, block_q = 4, block_m = 16, block_n = 32, warps = 1, stages = 1, segments = 4, wide_block_m = 32>
// NOWIDE-LABEL: func.func @gqa4
// NOWIDE:        plan <target = {{sm_90a|host}}, block_q = {{16|4}}, block_m = {{64|16}}, block_n = 32, warps = {{2|1}}, stages = {{2|1}}, segments = {{16|4}}>
// OVERRIDE-LABEL: func.func @gqa4
// OVERRIDE:      plan <target = host, block_q = 8, block_m = 32, block_n = 64, warps = 1, stages = 1, segments = 0>
// BAD: attn-plan: unknown target 'sm_75'
func.func @gqa4(%q: memref<?x8x128xbf16>, %k: memref<?x16x2x128xbf16>, %v: memref<?x16x2x128xbf16>,
                %bt: memref<?x?xi32>, %sl: memref<?xi32>, %cu: memref<?xi32>, %o: memref<?x8x128xbf16>) {
  attn.paged_attention q(%q : memref<?x8x128xbf16>) k_cache(%k : memref<?x16x2x128xbf16>)
      v_cache(%v : memref<?x16x2x128xbf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>)
      out(%o : memref<?x8x128xbf16>) scale(0.0883883461) causal
  return
}

// -----

// Large head sizes take narrower KV tiles on the host, and no wide form on
// sm_90a (its 128-row Q tile would crowd out K and V).
// CHECK-LABEL: func.func @head256
// CHECK:         plan <target = host, block_q = 8, block_m = 16, block_n = 16,
// SM90-LABEL:  func.func @head256
// SM90:          plan <target = sm_90a, block_q = 32, block_m = 64, block_n = 16, warps = 2, stages = 2, segments = 16>
func.func @head256(%q: memref<?x4x256xf16>, %k: memref<?x16x2x256xf16>, %v: memref<?x16x2x256xf16>,
                   %bt: memref<?x?xi32>, %sl: memref<?xi32>, %cu: memref<?xi32>, %o: memref<?x4x256xf16>) {
  attn.paged_attention q(%q : memref<?x4x256xf16>) k_cache(%k : memref<?x16x2x256xf16>)
      v_cache(%v : memref<?x16x2x256xf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>)
      out(%o : memref<?x4x256xf16>) scale(0.0625)
  return
}

// -----

// An existing plan is kept.
// CHECK-LABEL: func.func @keeps_plan
// CHECK:         plan <target = host, block_q = 1, block_m = 2, block_n = 8, warps = 1, stages = 1, segments = 0>
func.func @keeps_plan(%q: memref<?x2x32xf32>, %k: memref<?x2x32xf32>, %v: memref<?x2x32xf32>,
                      %cq: memref<?xi32>, %ck: memref<?xi32>, %o: memref<?x2x32xf32>) {
  attn.varlen_attention q(%q : memref<?x2x32xf32>) k(%k : memref<?x2x32xf32>) v(%v : memref<?x2x32xf32>)
      cu_seqlens_q(%cq : memref<?xi32>) cu_seqlens_k(%ck : memref<?xi32>)
      out(%o : memref<?x2x32xf32>) scale(0.176776692)
      plan <target = host, block_q = 1, block_m = 2, block_n = 8, warps = 1, stages = 1, segments = 0>
  return
}
