// RUN: attn-opt %s --split-input-file | FileCheck %s
// RUN: attn-opt %s --split-input-file | attn-opt --split-input-file | FileCheck %s
// RUN: attn-opt %s --split-input-file --mlir-print-op-generic | attn-opt --split-input-file | FileCheck %s

// Round trip of the split-KV form: the partial attention op (`split`) and
// attn.merge_states, which reduces the partial results.

// The partial op writes f32 [segments, tokens, heads, head_size_v] outputs
// and [segments, tokens, heads] lse.
// CHECK-LABEL: func.func @paged_split
// CHECK-SAME:    %[[PO:[a-zA-Z0-9_]+]]: memref<4x?x32x128xf32>, %[[PL:[a-zA-Z0-9_]+]]: memref<4x?x32xf32>
// CHECK:         attn.paged_attention
// CHECK-SAME:      out(%[[PO]] : memref<4x?x32x128xf32>) lse(%[[PL]] : memref<4x?x32xf32>)
// CHECK-SAME:      scale(0.0883883461) causal split
// CHECK-SAME:      plan <target = sm_90a, block_q = 1, block_m = 4, block_n = 64, warps = 4, stages = 2, segments = 4>{{$}}
func.func @paged_split(%q: memref<?x32x128xbf16>, %kc: memref<?x16x8x128xbf16>,
                       %vc: memref<?x16x8x128xbf16>, %bt: memref<?x?xi32>,
                       %sl: memref<?xi32>, %cu: memref<?xi32>,
                       %po: memref<4x?x32x128xf32>, %pl: memref<4x?x32xf32>) {
  attn.paged_attention q(%q : memref<?x32x128xbf16>)
      k_cache(%kc : memref<?x16x8x128xbf16>) v_cache(%vc : memref<?x16x8x128xbf16>)
      block_table(%bt : memref<?x?xi32>) seq_lens(%sl : memref<?xi32>)
      cu_seqlens_q(%cu : memref<?xi32>)
      out(%po : memref<4x?x32x128xf32>) lse(%pl : memref<4x?x32xf32>)
      scale(0.0883883461) causal split
      plan <target = sm_90a, block_q = 1, block_m = 4, block_n = 64, warps = 4, stages = 2, segments = 4>
  return
}

// -----

// The split form with a quantized cache, window, softcap and ALiBi.
// CHECK-LABEL: func.func @paged_split_fp8_window_alibi
// CHECK:         attn.paged_attention
// CHECK-SAME:      alibi_slopes(%{{[^ ]+}} : memref<8xf32>) k_scale(%{{[^ ]+}} : memref<1xf32>) v_scale(%{{[^ ]+}} : memref<1xf32>)
// CHECK-SAME:      out(%{{[^ ]+}} : memref<8x?x8x64xf32>) lse(%{{[^ ]+}} : memref<8x?x8xf32>)
// CHECK-SAME:      causal window <left = 1023, right = 0> softcap(3.000000e+01) alibi <plain> kv_quant <per_tensor> split{{$}}
func.func @paged_split_fp8_window_alibi(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x64xf8E4M3FN>,
                                        %vc: memref<?x16x2x64xf8E4M3FN>, %bt: memref<?x?xi32>,
                                        %sl: memref<?xi32>, %cu: memref<?xi32>,
                                        %slopes: memref<8xf32>, %ks: memref<1xf32>, %vs: memref<1xf32>,
                                        %po: memref<8x?x8x64xf32>, %pl: memref<8x?x8xf32>) {
  attn.paged_attention q(%q : memref<?x8x64xf16>)
      k_cache(%kc : memref<?x16x2x64xf8E4M3FN>) v_cache(%vc : memref<?x16x2x64xf8E4M3FN>)
      block_table(%bt : memref<?x?xi32>) seq_lens(%sl : memref<?xi32>)
      cu_seqlens_q(%cu : memref<?xi32>) alibi_slopes(%slopes : memref<8xf32>)
      k_scale(%ks : memref<1xf32>) v_scale(%vs : memref<1xf32>)
      out(%po : memref<8x?x8x64xf32>) lse(%pl : memref<8x?x8xf32>) scale(0.125)
      causal window <left = 1023, right = 0> softcap(30.0) alibi <plain> kv_quant <per_tensor> split
  return
}

// -----

// The partial op for a split of one segment, with head_size_v != head_size.
// CHECK-LABEL: func.func @paged_split_one_segment_head_size_v
// CHECK:         attn.paged_attention
// CHECK-SAME:      out(%{{[^ ]+}} : memref<1x?x16x128xf32>) lse(%{{[^ ]+}} : memref<1x?x16xf32>)
// CHECK-SAME:      causal split{{$}}
func.func @paged_split_one_segment_head_size_v(%q: memref<?x16x192xbf16>, %kc: memref<?x16x2x192xbf16>,
                                               %vc: memref<?x16x2x128xbf16>, %bt: memref<?x?xi32>,
                                               %sl: memref<?xi32>, %cu: memref<?xi32>,
                                               %po: memref<1x?x16x128xf32>, %pl: memref<1x?x16xf32>) {
  attn.paged_attention q(%q : memref<?x16x192xbf16>)
      k_cache(%kc : memref<?x16x2x192xbf16>) v_cache(%vc : memref<?x16x2x128xbf16>)
      block_table(%bt : memref<?x?xi32>) seq_lens(%sl : memref<?xi32>)
      cu_seqlens_q(%cu : memref<?xi32>)
      out(%po : memref<1x?x16x128xf32>) lse(%pl : memref<1x?x16xf32>)
      scale(0.0721687824) causal split
  return
}

// -----

// merge_states with only the required operands.
// CHECK-LABEL: func.func @merge_states
// CHECK-SAME:    %[[PO:[a-zA-Z0-9_]+]]: memref<4x?x32x128xf32>, %[[PL:[a-zA-Z0-9_]+]]: memref<4x?x32xf32>
// CHECK-SAME:    %[[O:[a-zA-Z0-9_]+]]: memref<?x32x128xbf16>
// CHECK:         attn.merge_states partial_out(%[[PO]] : memref<4x?x32x128xf32>)
// CHECK-SAME:      partial_lse(%[[PL]] : memref<4x?x32xf32>) out(%[[O]] : memref<?x32x128xbf16>){{$}}
func.func @merge_states(%po: memref<4x?x32x128xf32>, %pl: memref<4x?x32xf32>,
                        %o: memref<?x32x128xbf16>) {
  attn.merge_states partial_out(%po : memref<4x?x32x128xf32>)
      partial_lse(%pl : memref<4x?x32xf32>) out(%o : memref<?x32x128xbf16>)
  return
}

// -----

// merge_states with sinks (the split form leaves them to the merge) and an
// lse output (for a further merge, e.g. across devices); dynamic segments.
// CHECK-LABEL: func.func @merge_states_sinks_lse
// CHECK-SAME:    %[[S:[a-zA-Z0-9_]+]]: memref<32xf32>
// CHECK-SAME:    %[[O:[a-zA-Z0-9_]+]]: memref<?x32x64xf16>, %[[L:[a-zA-Z0-9_]+]]: memref<?x32xf32>
// CHECK:         attn.merge_states partial_out(%{{[^ ]+}} : memref<?x?x32x64xf32>)
// CHECK-SAME:      partial_lse(%{{[^ ]+}} : memref<?x?x32xf32>) sinks(%[[S]] : memref<32xf32>)
// CHECK-SAME:      out(%[[O]] : memref<?x32x64xf16>) lse(%[[L]] : memref<?x32xf32>){{$}}
func.func @merge_states_sinks_lse(%po: memref<?x?x32x64xf32>, %pl: memref<?x?x32xf32>,
                                  %s: memref<32xf32>, %o: memref<?x32x64xf16>,
                                  %l: memref<?x32xf32>) {
  attn.merge_states partial_out(%po : memref<?x?x32x64xf32>)
      partial_lse(%pl : memref<?x?x32xf32>) sinks(%s : memref<32xf32>)
      out(%o : memref<?x32x64xf16>) lse(%l : memref<?x32xf32>)
  return
}

// -----

// merge_states into an fp8 output with its scale.
// CHECK-LABEL: func.func @merge_states_fp8_out
// CHECK-SAME:    %[[OS:[a-zA-Z0-9_]+]]: memref<1xf32>, %[[O:[a-zA-Z0-9_]+]]: memref<?x8x128xf8E4M3FN>
// CHECK:         attn.merge_states
// CHECK-SAME:      out_scale(%[[OS]] : memref<1xf32>) out(%[[O]] : memref<?x8x128xf8E4M3FN>){{$}}
func.func @merge_states_fp8_out(%po: memref<2x?x8x128xf32>, %pl: memref<2x?x8xf32>,
                                %os: memref<1xf32>, %o: memref<?x8x128xf8E4M3FN>) {
  attn.merge_states partial_out(%po : memref<2x?x8x128xf32>)
      partial_lse(%pl : memref<2x?x8xf32>) out_scale(%os : memref<1xf32>)
      out(%o : memref<?x8x128xf8E4M3FN>)
  return
}

// -----

// merge_states with every optional operand.
// CHECK-LABEL: func.func @merge_states_everything
// CHECK:         attn.merge_states
// CHECK-SAME:      sinks(%{{[^ ]+}} : memref<8xf32>) out_scale(%{{[^ ]+}} : memref<1xf32>)
// CHECK-SAME:      out(%{{[^ ]+}} : memref<?x8x64xf8E4M3FN>) lse(%{{[^ ]+}} : memref<?x8xf32>){{$}}
func.func @merge_states_everything(%po: memref<2x?x8x64xf32>, %pl: memref<2x?x8xf32>,
                                   %s: memref<8xf32>, %os: memref<1xf32>,
                                   %o: memref<?x8x64xf8E4M3FN>, %l: memref<?x8xf32>) {
  attn.merge_states partial_out(%po : memref<2x?x8x64xf32>)
      partial_lse(%pl : memref<2x?x8xf32>) sinks(%s : memref<8xf32>)
      out_scale(%os : memref<1xf32>) out(%o : memref<?x8x64xf8E4M3FN>)
      lse(%l : memref<?x8xf32>)
  return
}

// -----

// merge_states into f32, static sizes.
// CHECK-LABEL: func.func @merge_states_f32
// CHECK:         attn.merge_states partial_out(%{{[^ ]+}} : memref<2x3x8x64xf32>)
// CHECK-SAME:      partial_lse(%{{[^ ]+}} : memref<2x3x8xf32>) out(%{{[^ ]+}} : memref<3x8x64xf32>){{$}}
func.func @merge_states_f32(%po: memref<2x3x8x64xf32>, %pl: memref<2x3x8xf32>,
                            %o: memref<3x8x64xf32>) {
  attn.merge_states partial_out(%po : memref<2x3x8x64xf32>)
      partial_lse(%pl : memref<2x3x8xf32>) out(%o : memref<3x8x64xf32>)
  return
}
