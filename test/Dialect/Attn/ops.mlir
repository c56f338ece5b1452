// RUN: attn-opt %s --split-input-file | FileCheck %s
// RUN: attn-opt %s --split-input-file | attn-opt --split-input-file | FileCheck %s
// RUN: attn-opt %s --split-input-file --mlir-print-op-generic | attn-opt --split-input-file | FileCheck %s

// Round trip of attn.paged_attention: the masks (causal, bidirectional,
// window, chunk), the score modifiers (softcap, sinks, alibi, mm-prefix,
// qq-bias), the outputs (lse, fp8 out, head_size_v), dtypes, head sizes and
// the plan attribute. KV quantization: ops-kv-cache.mlir; varlen K/V:
// ops-varlen.mlir; split-KV and merge_states: ops-split.mlir.

// Llama-3 style: causal GQA (32 query heads over 8 kv heads), every operand
// in place.
// CHECK-LABEL: func.func @paged_causal_gqa
// CHECK-SAME:    %[[Q:[a-zA-Z0-9_]+]]: memref<?x32x128xbf16>
// CHECK-SAME:    %[[KC:[a-zA-Z0-9_]+]]: memref<?x16x8x128xbf16>
// CHECK-SAME:    %[[VC:[a-zA-Z0-9_]+]]: memref<?x16x8x128xbf16>
// CHECK-SAME:    %[[BT:[a-zA-Z0-9_]+]]: memref<?x?xi32>
// CHECK-SAME:    %[[SL:[a-zA-Z0-9_]+]]: memref<?xi32>
// CHECK-SAME:    %[[CU:[a-zA-Z0-9_]+]]: memref<?xi32>
// CHECK-SAME:    %[[O:[a-zA-Z0-9_]+]]: memref<?x32x128xbf16>
// CHECK:         attn.paged_attention q(%[[Q]] : memref<?x32x128xbf16>)
// CHECK-SAME:      k_cache(%[[KC]] : memref<?x16x8x128xbf16>) v_cache(%[[VC]] : memref<?x16x8x128xbf16>)
// CHECK-SAME:      block_table(%[[BT]] : memref<?x?xi32>) seq_lens(%[[SL]] : memref<?xi32>)
// CHECK-SAME:      cu_seqlens_q(%[[CU]] : memref<?xi32>) out(%[[O]] : memref<?x32x128xbf16>)
// CHECK-SAME:      scale(0.0883883461) causal{{$}}
func.func @paged_causal_gqa(%q: memref<?x32x128xbf16>, %kc: memref<?x16x8x128xbf16>,
                            %vc: memref<?x16x8x128xbf16>, %bt: memref<?x?xi32>,
                            %sl: memref<?xi32>, %cu: memref<?xi32>,
                            %o: memref<?x32x128xbf16>) {
  attn.paged_attention q(%q : memref<?x32x128xbf16>)
      k_cache(%kc : memref<?x16x8x128xbf16>) v_cache(%vc : memref<?x16x8x128xbf16>)
      block_table(%bt : memref<?x?xi32>) seq_lens(%sl : memref<?xi32>)
      cu_seqlens_q(%cu : memref<?xi32>)
      out(%o : memref<?x32x128xbf16>) scale(0.0883883461) causal
  return
}

// -----

// Without `causal` the op is bidirectional; nothing else is printed.
// CHECK-LABEL: func.func @paged_bidirectional
// CHECK:         attn.paged_attention
// CHECK-SAME:      out(%{{[^ ]+}} : memref<?x8x64xf16>) scale(1.250000e-01){{$}}
func.func @paged_bidirectional(%q: memref<?x8x64xf16>, %kc: memref<?x16x8x64xf16>,
                               %vc: memref<?x16x8x64xf16>, %bt: memref<?x?xi32>,
                               %sl: memref<?xi32>, %cu: memref<?xi32>,
                               %o: memref<?x8x64xf16>) {
  attn.paged_attention q(%q : memref<?x8x64xf16>)
      k_cache(%kc : memref<?x16x8x64xf16>) v_cache(%vc : memref<?x16x8x64xf16>)
      block_table(%bt : memref<?x?xi32>) seq_lens(%sl : memref<?xi32>)
      cu_seqlens_q(%cu : memref<?xi32>)
      out(%o : memref<?x8x64xf16>) scale(0.125)
  return
}

// -----

// Multi-query attention (one kv head), f32 everywhere, static batch sizes.
// CHECK-LABEL: func.func @paged_mqa_f32_static
// CHECK:         attn.paged_attention q(%{{[^ ]+}} : memref<7x16x64xf32>)
// CHECK-SAME:      k_cache(%{{[^ ]+}} : memref<10x32x1x64xf32>) v_cache(%{{[^ ]+}} : memref<10x32x1x64xf32>)
// CHECK-SAME:      block_table(%{{[^ ]+}} : memref<2x5xi32>) seq_lens(%{{[^ ]+}} : memref<2xi32>)
// CHECK-SAME:      cu_seqlens_q(%{{[^ ]+}} : memref<3xi32>) out(%{{[^ ]+}} : memref<7x16x64xf32>)
// CHECK-SAME:      scale(1.250000e-01) causal{{$}}
func.func @paged_mqa_f32_static(%q: memref<7x16x64xf32>, %kc: memref<10x32x1x64xf32>,
                                %vc: memref<10x32x1x64xf32>, %bt: memref<2x5xi32>,
                                %sl: memref<2xi32>, %cu: memref<3xi32>,
                                %o: memref<7x16x64xf32>) {
  attn.paged_attention q(%q : memref<7x16x64xf32>)
      k_cache(%kc : memref<10x32x1x64xf32>) v_cache(%vc : memref<10x32x1x64xf32>)
      block_table(%bt : memref<2x5xi32>) seq_lens(%sl : memref<2xi32>)
      cu_seqlens_q(%cu : memref<3xi32>)
      out(%o : memref<7x16x64xf32>) scale(0.125) causal
  return
}

// -----

// The smallest, the largest and an odd multiple of 8 of the head sizes.
// CHECK-LABEL: func.func @paged_head_size_32
// CHECK:         attn.paged_attention q(%{{[^ ]+}} : memref<?x4x32xf16>)
// CHECK-SAME:      out(%{{[^ ]+}} : memref<?x4x32xf16>)
func.func @paged_head_size_32(%q: memref<?x4x32xf16>, %kc: memref<?x16x4x32xf16>,
                              %vc: memref<?x16x4x32xf16>, %bt: memref<?x?xi32>,
                              %sl: memref<?xi32>, %cu: memref<?xi32>,
                              %o: memref<?x4x32xf16>) {
  attn.paged_attention q(%q : memref<?x4x32xf16>)
      k_cache(%kc : memref<?x16x4x32xf16>) v_cache(%vc : memref<?x16x4x32xf16>)
      block_table(%bt : memref<?x?xi32>) seq_lens(%sl : memref<?xi32>)
      cu_seqlens_q(%cu : memref<?xi32>)
      out(%o : memref<?x4x32xf16>) scale(0.176776692) causal
  return
}

// -----

// CHECK-LABEL: func.func @paged_head_size_80
// CHECK:         attn.paged_attention q(%{{[^ ]+}} : memref<?x4x80xf16>)
// CHECK-SAME:      out(%{{[^ ]+}} : memref<?x4x80xf16>)
func.func @paged_head_size_80(%q: memref<?x4x80xf16>, %kc: memref<?x16x4x80xf16>,
                              %vc: memref<?x16x4x80xf16>, %bt: memref<?x?xi32>,
                              %sl: memref<?xi32>, %cu: memref<?xi32>,
                              %o: memref<?x4x80xf16>) {
  attn.paged_attention q(%q : memref<?x4x80xf16>)
      k_cache(%kc : memref<?x16x4x80xf16>) v_cache(%vc : memref<?x16x4x80xf16>)
      block_table(%bt : memref<?x?xi32>) seq_lens(%sl : memref<?xi32>)
      cu_seqlens_q(%cu : memref<?xi32>)
      out(%o : memref<?x4x80xf16>) scale(0.111803398) causal
  return
}

// -----

// CHECK-LABEL: func.func @paged_head_size_256
// CHECK:         attn.paged_attention q(%{{[^ ]+}} : memref<?x4x256xf16>)
// CHECK-SAME:      out(%{{[^ ]+}} : memref<?x4x256xf16>)
func.func @paged_head_size_256(%q: memref<?x4x256xf16>, %kc: memref<?x16x4x256xf16>,
                               %vc: memref<?x16x4x256xf16>, %bt: memref<?x?xi32>,
                               %sl: memref<?xi32>, %cu: memref<?xi32>,
                               %o: memref<?x4x256xf16>) {
  attn.paged_attention q(%q : memref<?x4x256xf16>)
      k_cache(%kc : memref<?x16x4x256xf16>) v_cache(%vc : memref<?x16x4x256xf16>)
      block_table(%bt : memref<?x?xi32>) seq_lens(%sl : memref<?xi32>)
      cu_seqlens_q(%cu : memref<?xi32>)
      out(%o : memref<?x4x256xf16>) scale(0.0625) causal
  return
}

// -----

// DiffKV: head_size_v (128) differs from head_size (192).
// CHECK-LABEL: func.func @paged_head_size_v
// CHECK:         attn.paged_attention q(%{{[^ ]+}} : memref<?x16x192xbf16>)
// CHECK-SAME:      k_cache(%{{[^ ]+}} : memref<?x16x2x192xbf16>) v_cache(%{{[^ ]+}} : memref<?x16x2x128xbf16>)
// CHECK-SAME:      out(%{{[^ ]+}} : memref<?x16x128xbf16>)
func.func @paged_head_size_v(%q: memref<?x16x192xbf16>, %kc: memref<?x16x2x192xbf16>,
                             %vc: memref<?x16x2x128xbf16>, %bt: memref<?x?xi32>,
                             %sl: memref<?xi32>, %cu: memref<?xi32>,
                             %o: memref<?x16x128xbf16>) {
  attn.paged_attention q(%q : memref<?x16x192xbf16>)
      k_cache(%kc : memref<?x16x2x192xbf16>) v_cache(%vc : memref<?x16x2x128xbf16>)
      block_table(%bt : memref<?x?xi32>) seq_lens(%sl : memref<?xi32>)
      cu_seqlens_q(%cu : memref<?xi32>)
      out(%o : memref<?x16x128xbf16>) scale(0.0721687824) causal
  return
}

// -----

// Gemma-3 local layer: causal, sliding window 1024, softcap 30.
// CHECK-LABEL: func.func @paged_window_softcap
// CHECK:         attn.paged_attention
// CHECK-SAME:      scale(6.250000e-02) causal window <left = 1023, right = 0> softcap(3.000000e+01){{$}}
func.func @paged_window_softcap(%q: memref<?x8x256xbf16>, %kc: memref<?x16x4x256xbf16>,
                                %vc: memref<?x16x4x256xbf16>, %bt: memref<?x?xi32>,
                                %sl: memref<?xi32>, %cu: memref<?xi32>,
                                %o: memref<?x8x256xbf16>) {
  attn.paged_attention q(%q : memref<?x8x256xbf16>)
      k_cache(%kc : memref<?x16x4x256xbf16>) v_cache(%vc : memref<?x16x4x256xbf16>)
      block_table(%bt : memref<?x?xi32>) seq_lens(%sl : memref<?xi32>)
      cu_seqlens_q(%cu : memref<?xi32>)
      out(%o : memref<?x8x256xbf16>) scale(6.250000e-02)
      causal window <left = 1023, right = 0> softcap(3.000000e+01)
  return
}

// -----

// Windows with unbounded sides (-1) and a two-sided window without causal.
// The #attn.window spelling parses too.
// CHECK-LABEL: func.func @paged_window_forms
// CHECK:         attn.paged_attention
// CHECK-SAME:      causal window <left = -1, right = 0>{{$}}
// CHECK:         attn.paged_attention
// CHECK-SAME:      window <left = 255, right = -1>{{$}}
// CHECK:         attn.paged_attention
// CHECK-SAME:      scale(1.250000e-01) window <left = 64, right = 64>{{$}}
func.func @paged_window_forms(%q: memref<?x8x64xf16>, %kc: memref<?x16x8x64xf16>,
                              %vc: memref<?x16x8x64xf16>, %bt: memref<?x?xi32>,
                              %sl: memref<?xi32>, %cu: memref<?xi32>,
                              %o: memref<?x8x64xf16>) {
  attn.paged_attention q(%q : memref<?x8x64xf16>)
      k_cache(%kc : memref<?x16x8x64xf16>) v_cache(%vc : memref<?x16x8x64xf16>)
      block_table(%bt : memref<?x?xi32>) seq_lens(%sl : memref<?xi32>)
      cu_seqlens_q(%cu : memref<?xi32>)
      out(%o : memref<?x8x64xf16>) scale(0.125) causal window <left = -1, right = 0>
  attn.paged_attention q(%q : memref<?x8x64xf16>)
      k_cache(%kc : memref<?x16x8x64xf16>) v_cache(%vc : memref<?x16x8x64xf16>)
      block_table(%bt : memref<?x?xi32>) seq_lens(%sl : memref<?xi32>)
      cu_seqlens_q(%cu : memref<?xi32>)
      out(%o : memref<?x8x64xf16>) scale(0.125) causal window <left = 255, right = -1>
  attn.paged_attention q(%q : memref<?x8x64xf16>)
      k_cache(%kc : memref<?x16x8x64xf16>) v_cache(%vc : memref<?x16x8x64xf16>)
      block_table(%bt : memref<?x?xi32>) seq_lens(%sl : memref<?xi32>)
      cu_seqlens_q(%cu : memref<?xi32>)
      out(%o : memref<?x8x64xf16>) scale(0.125) window #attn.window<left = 64, right = 64>
  return
}

// -----

// Llama-4 chunked local attention, with and without lookback.
// CHECK-LABEL: func.func @paged_chunk
// CHECK:         attn.paged_attention
// CHECK-SAME:      causal chunk <size = 8192, lookback = 0>{{$}}
// CHECK:         attn.paged_attention
// CHECK-SAME:      causal chunk <size = 64, lookback = 2>{{$}}
func.func @paged_chunk(%q: memref<?x40x128xbf16>, %kc: memref<?x16x8x128xbf16>,
                       %vc: memref<?x16x8x128xbf16>, %bt: memref<?x?xi32>,
                       %sl: memref<?xi32>, %cu: memref<?xi32>,
                       %o: memref<?x40x128xbf16>) {
  attn.paged_attention q(%q : memref<?x40x128xbf16>)
      k_cache(%kc : memref<?x16x8x128xbf16>) v_cache(%vc : memref<?x16x8x128xbf16>)
      block_table(%bt : memref<?x?xi32>) seq_lens(%sl : memref<?xi32>)
      cu_seqlens_q(%cu : memref<?xi32>)
      out(%o : memref<?x40x128xbf16>) scale(0.0883883461) causal
      chunk <size = 8192, lookback = 0>
  attn.paged_attention q(%q : memref<?x40x128xbf16>)
      k_cache(%kc : memref<?x16x8x128xbf16>) v_cache(%vc : memref<?x16x8x128xbf16>)
      block_table(%bt : memref<?x?xi32>) seq_lens(%sl : memref<?xi32>)
      cu_seqlens_q(%cu : memref<?xi32>)
      out(%o : memref<?x40x128xbf16>) scale(0.0883883461) causal
      chunk #attn.chunk<size = 64, lookback = 2>
  return
}

// -----

// GPT-OSS: sinks (one logit per query head) with a sliding window.
// CHECK-LABEL: func.func @paged_sinks
// CHECK-SAME:    %[[S:[a-zA-Z0-9_]+]]: memref<64xf32>
// CHECK:         attn.paged_attention
// CHECK-SAME:      cu_seqlens_q(%{{[^ ]+}} : memref<?xi32>) sinks(%[[S]] : memref<64xf32>) out(
// CHECK-SAME:      causal window <left = 127, right = 0>{{$}}
func.func @paged_sinks(%q: memref<?x64x64xbf16>, %kc: memref<?x16x8x64xbf16>,
                       %vc: memref<?x16x8x64xbf16>, %bt: memref<?x?xi32>,
                       %sl: memref<?xi32>, %cu: memref<?xi32>, %s: memref<64xf32>,
                       %o: memref<?x64x64xbf16>) {
  attn.paged_attention q(%q : memref<?x64x64xbf16>)
      k_cache(%kc : memref<?x16x8x64xbf16>) v_cache(%vc : memref<?x16x8x64xbf16>)
      block_table(%bt : memref<?x?xi32>) seq_lens(%sl : memref<?xi32>)
      cu_seqlens_q(%cu : memref<?xi32>) sinks(%s : memref<64xf32>)
      out(%o : memref<?x64x64xbf16>) scale(0.125) causal window <left = 127, right = 0>
  return
}

// -----

// ALiBi, plain and sqrt, with the slopes operand.
// CHECK-LABEL: func.func @paged_alibi
// CHECK-SAME:    %[[SLOPES:[a-zA-Z0-9_]+]]: memref<8xf32>
// CHECK:         attn.paged_attention
// CHECK-SAME:      alibi_slopes(%[[SLOPES]] : memref<8xf32>) out(
// CHECK-SAME:      causal alibi <plain>{{$}}
// CHECK:         attn.paged_attention
// CHECK-SAME:      alibi_slopes(%[[SLOPES]] : memref<8xf32>) out(
// CHECK-SAME:      scale(1.250000e-01) alibi <sqrt>{{$}}
func.func @paged_alibi(%q: memref<?x8x64xf16>, %kc: memref<?x16x8x64xf16>,
                       %vc: memref<?x16x8x64xf16>, %bt: memref<?x?xi32>,
                       %sl: memref<?xi32>, %cu: memref<?xi32>, %slopes: memref<8xf32>,
                       %o: memref<?x8x64xf16>) {
  attn.paged_attention q(%q : memref<?x8x64xf16>)
      k_cache(%kc : memref<?x16x8x64xf16>) v_cache(%vc : memref<?x16x8x64xf16>)
      block_table(%bt : memref<?x?xi32>) seq_lens(%sl : memref<?xi32>)
      cu_seqlens_q(%cu : memref<?xi32>) alibi_slopes(%slopes : memref<8xf32>)
      out(%o : memref<?x8x64xf16>) scale(0.125) causal alibi <plain>
  attn.paged_attention q(%q : memref<?x8x64xf16>)
      k_cache(%kc : memref<?x16x8x64xf16>) v_cache(%vc : memref<?x16x8x64xf16>)
      block_table(%bt : memref<?x?xi32>) seq_lens(%sl : memref<?xi32>)
      cu_seqlens_q(%cu : memref<?xi32>) alibi_slopes(%slopes : memref<8xf32>)
      out(%o : memref<?x8x64xf16>) scale(0.125) alibi #attn.alibi<sqrt>
  return
}

// -----

// Qwen-VL style mm-prefix bidirectional ranges on a causal op.
// CHECK-LABEL: func.func @paged_mm_prefix
// CHECK-SAME:    %[[R:[a-zA-Z0-9_]+]]: memref<?x?x2xi32>
// CHECK:         attn.paged_attention
// CHECK-SAME:      mm_prefix_ranges(%[[R]] : memref<?x?x2xi32>) out(
// CHECK-SAME:      causal{{$}}
func.func @paged_mm_prefix(%q: memref<?x16x128xbf16>, %kc: memref<?x16x2x128xbf16>,
                           %vc: memref<?x16x2x128xbf16>, %bt: memref<?x?xi32>,
                           %sl: memref<?xi32>, %cu: memref<?xi32>, %r: memref<?x?x2xi32>,
                           %o: memref<?x16x128xbf16>) {
  attn.paged_attention q(%q : memref<?x16x128xbf16>)
      k_cache(%kc : memref<?x16x2x128xbf16>) v_cache(%vc : memref<?x16x2x128xbf16>)
      block_table(%bt : memref<?x?xi32>) seq_lens(%sl : memref<?xi32>)
      cu_seqlens_q(%cu : memref<?xi32>) mm_prefix_ranges(%r : memref<?x?x2xi32>)
      out(%o : memref<?x16x128xbf16>) scale(0.0883883461) causal
  return
}

// -----

// Tree attention: qq_bias on top of the causal mask.
// CHECK-LABEL: func.func @paged_qq_bias
// CHECK-SAME:    %[[B:[a-zA-Z0-9_]+]]: memref<?x?xf32>
// CHECK:         attn.paged_attention
// CHECK-SAME:      qq_bias(%[[B]] : memref<?x?xf32>) out(
// CHECK-SAME:      causal{{$}}
func.func @paged_qq_bias(%q: memref<?x32x128xf16>, %kc: memref<?x16x8x128xf16>,
                         %vc: memref<?x16x8x128xf16>, %bt: memref<?x?xi32>,
                         %sl: memref<?xi32>, %cu: memref<?xi32>, %b: memref<?x?xf32>,
                         %o: memref<?x32x128xf16>) {
  attn.paged_attention q(%q : memref<?x32x128xf16>)
      k_cache(%kc : memref<?x16x8x128xf16>) v_cache(%vc : memref<?x16x8x128xf16>)
      block_table(%bt : memref<?x?xi32>) seq_lens(%sl : memref<?xi32>)
      cu_seqlens_q(%cu : memref<?xi32>) qq_bias(%b : memref<?x?xf32>)
      out(%o : memref<?x32x128xf16>) scale(0.0883883461) causal
  return
}

// -----

// The log-sum-exp output.
// CHECK-LABEL: func.func @paged_lse
// CHECK-SAME:    memref<?xi32>, %[[O:[a-zA-Z0-9_]+]]: memref<?x8x64xf16>
// CHECK-SAME:    %[[L:[a-zA-Z0-9_]+]]: memref<?x8xf32>
// CHECK:         attn.paged_attention
// CHECK-SAME:      out(%[[O]] : memref<?x8x64xf16>) lse(%[[L]] : memref<?x8xf32>) scale(1.250000e-01) causal{{$}}
func.func @paged_lse(%q: memref<?x8x64xf16>, %kc: memref<?x16x8x64xf16>,
                     %vc: memref<?x16x8x64xf16>, %bt: memref<?x?xi32>,
                     %sl: memref<?xi32>, %cu: memref<?xi32>,
                     %o: memref<?x8x64xf16>, %l: memref<?x8xf32>) {
  attn.paged_attention q(%q : memref<?x8x64xf16>)
      k_cache(%kc : memref<?x16x8x64xf16>) v_cache(%vc : memref<?x16x8x64xf16>)
      block_table(%bt : memref<?x?xi32>) seq_lens(%sl : memref<?xi32>)
      cu_seqlens_q(%cu : memref<?xi32>)
      out(%o : memref<?x8x64xf16>) lse(%l : memref<?x8xf32>) scale(0.125) causal
  return
}

// -----

// fp8 e4m3 output of a bf16 op, with its out_scale.
// CHECK-LABEL: func.func @paged_fp8_out
// CHECK-SAME:    %[[OS:[a-zA-Z0-9_]+]]: memref<1xf32>
// CHECK-SAME:    %[[O:[a-zA-Z0-9_]+]]: memref<?x8x128xf8E4M3FN>
// CHECK:         attn.paged_attention
// CHECK-SAME:      out_scale(%[[OS]] : memref<1xf32>) out(%[[O]] : memref<?x8x128xf8E4M3FN>)
func.func @paged_fp8_out(%q: memref<?x8x128xbf16>, %kc: memref<?x16x8x128xbf16>,
                         %vc: memref<?x16x8x128xbf16>, %bt: memref<?x?xi32>,
                         %sl: memref<?xi32>, %cu: memref<?xi32>, %os: memref<1xf32>,
                         %o: memref<?x8x128xf8E4M3FN>) {
  attn.paged_attention q(%q : memref<?x8x128xbf16>)
      k_cache(%kc : memref<?x16x8x128xbf16>) v_cache(%vc : memref<?x16x8x128xbf16>)
      block_table(%bt : memref<?x?xi32>) seq_lens(%sl : memref<?xi32>)
      cu_seqlens_q(%cu : memref<?xi32>) out_scale(%os : memref<1xf32>)
      out(%o : memref<?x8x128xf8E4M3FN>) scale(0.0883883461) causal
  return
}

// -----

// Every optional operand and variant attribute at once (except k/v scales,
// see ops-kv-cache.mlir): the operands keep their order through the
// operand segments, and discardable attributes survive.
// CHECK-LABEL: func.func @paged_everything
// CHECK-SAME:    %[[S:[a-zA-Z0-9_]+]]: memref<16xf32>
// CHECK-SAME:    %[[SLOPES:[a-zA-Z0-9_]+]]: memref<16xf32>
// CHECK-SAME:    %[[R:[a-zA-Z0-9_]+]]: memref<?x?x2xi32>
// CHECK-SAME:    %[[B:[a-zA-Z0-9_]+]]: memref<?x?xf32>
// CHECK-SAME:    %[[OS:[a-zA-Z0-9_]+]]: memref<1xf32>
// CHECK-SAME:    %[[O:[a-zA-Z0-9_]+]]: memref<?x16x64xf8E4M3FN>
// CHECK-SAME:    %[[L:[a-zA-Z0-9_]+]]: memref<?x16xf32>
// CHECK:         attn.paged_attention
// CHECK-SAME:      sinks(%[[S]] : memref<16xf32>) alibi_slopes(%[[SLOPES]] : memref<16xf32>)
// CHECK-SAME:      mm_prefix_ranges(%[[R]] : memref<?x?x2xi32>) qq_bias(%[[B]] : memref<?x?xf32>)
// CHECK-SAME:      out_scale(%[[OS]] : memref<1xf32>) out(%[[O]] : memref<?x16x64xf8E4M3FN>)
// CHECK-SAME:      lse(%[[L]] : memref<?x16xf32>) scale(2.500000e-01) causal
// CHECK-SAME:      window <left = 511, right = 0> softcap(5.000000e+01) alibi <sqrt>
// CHECK-SAME:      plan <target = host, block_q = 4, block_m = 16, block_n = 32, warps = 1, stages = 1, segments = 0>
// CHECK-SAME:      {note = "kept"}
func.func @paged_everything(%q: memref<?x16x64xf16>, %kc: memref<?x32x4x64xf16>,
                            %vc: memref<?x32x4x64xf16>, %bt: memref<?x?xi32>,
                            %sl: memref<?xi32>, %cu: memref<?xi32>,
                            %s: memref<16xf32>, %slopes: memref<16xf32>,
                            %r: memref<?x?x2xi32>, %b: memref<?x?xf32>, %os: memref<1xf32>,
                            %o: memref<?x16x64xf8E4M3FN>, %l: memref<?x16xf32>) {
  attn.paged_attention q(%q : memref<?x16x64xf16>)
      k_cache(%kc : memref<?x32x4x64xf16>) v_cache(%vc : memref<?x32x4x64xf16>)
      block_table(%bt : memref<?x?xi32>) seq_lens(%sl : memref<?xi32>)
      cu_seqlens_q(%cu : memref<?xi32>)
      sinks(%s : memref<16xf32>) alibi_slopes(%slopes : memref<16xf32>)
      mm_prefix_ranges(%r : memref<?x?x2xi32>) qq_bias(%b : memref<?x?xf32>)
      out_scale(%os : memref<1xf32>) out(%o : memref<?x16x64xf8E4M3FN>)
      lse(%l : memref<?x16xf32>) scale(0.25) causal
      window <left = 511, right = 0> softcap(50.0) alibi <sqrt>
      plan <target = host, block_q = 4, block_m = 16, block_n = 32, warps = 1, stages = 1, segments = 0>
      {note = "kept"}
  return
}

// -----

// The plan attribute for every target, in both spellings.
// CHECK-LABEL: func.func @paged_plan_targets
// CHECK:         plan <target = host, block_q = 1, block_m = 4, block_n = 16, warps = 1, stages = 1, segments = 0>
// CHECK:         plan <target = sm_80, block_q = 16, block_m = 64, block_n = 64, warps = 4, stages = 2, segments = 0>
// CHECK:         plan <target = sm_90a, block_q = 32, block_m = 128, block_n = 128, warps = 8, stages = 3, segments = 16>
// CHECK:         plan <target = gfx90a, block_q = 8, block_m = 32, block_n = 64, warps = 4, stages = 1, segments = 2>
// CHECK:         plan <target = gfx942, block_q = 4, block_m = 4, block_n = 32, warps = 4, stages = 2, segments = 0>
func.func @paged_plan_targets(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x64xf16>,
                              %vc: memref<?x16x2x64xf16>, %bt: memref<?x?xi32>,
                              %sl: memref<?xi32>, %cu: memref<?xi32>,
                              %o: memref<?x8x64xf16>) {
  attn.paged_attention q(%q : memref<?x8x64xf16>)
      k_cache(%kc : memref<?x16x2x64xf16>) v_cache(%vc : memref<?x16x2x64xf16>)
      block_table(%bt : memref<?x?xi32>) seq_lens(%sl : memref<?xi32>)
      cu_seqlens_q(%cu : memref<?xi32>) out(%o : memref<?x8x64xf16>) scale(0.125) causal
      plan <target = host, block_q = 1, block_m = 4, block_n = 16, warps = 1, stages = 1, segments = 0>
  attn.paged_attention q(%q : memref<?x8x64xf16>)
      k_cache(%kc : memref<?x16x2x64xf16>) v_cache(%vc : memref<?x16x2x64xf16>)
      block_table(%bt : memref<?x?xi32>) seq_lens(%sl : memref<?xi32>)
      cu_seqlens_q(%cu : memref<?xi32>) out(%o : memref<?x8x64xf16>) scale(0.125) causal
      plan #attn.plan<target = sm_80, block_q = 16, block_m = 64, block_n = 64, warps = 4, stages = 2, segments = 0>
  attn.paged_attention q(%q : memref<?x8x64xf16>)
      k_cache(%kc : memref<?x16x2x64xf16>) v_cache(%vc : memref<?x16x2x64xf16>)
      block_table(%bt : memref<?x?xi32>) seq_lens(%sl : memref<?xi32>)
      cu_seqlens_q(%cu : memref<?xi32>) out(%o : memref<?x8x64xf16>) scale(0.125) causal
      plan <target = sm_90a, block_q = 32, block_m = 128, block_n = 128, warps = 8, stages = 3, segments = 16>
  attn.paged_attention q(%q : memref<?x8x64xf16>)
      k_cache(%kc : memref<?x16x2x64xf16>) v_cache(%vc : memref<?x16x2x64xf16>)
      block_table(%bt : memref<?x?xi32>) seq_lens(%sl : memref<?xi32>)
      cu_seqlens_q(%cu : memref<?xi32>) out(%o : memref<?x8x64xf16>) scale(0.125) causal
      plan <target = gfx90a, block_q = 8, block_m = 32, block_n = 64, warps = 4, stages = 1, segments = 2>
  attn.paged_attention q(%q : memref<?x8x64xf16>)
      k_cache(%kc : memref<?x16x2x64xf16>) v_cache(%vc : memref<?x16x2x64xf16>)
      block_table(%bt : memref<?x?xi32>) seq_lens(%sl : memref<?xi32>)
      cu_seqlens_q(%cu : memref<?xi32>) out(%o : memref<?x8x64xf16>) scale(0.125) causal
      plan <target = gfx942, block_q = 4, block_m = 4, block_n = 32, warps = 4, stages = 2, segments = 0>
  return
}
