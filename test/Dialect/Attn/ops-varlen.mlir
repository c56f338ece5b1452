// RUN: attn-opt %s --split-input-file | FileCheck %s
// RUN: attn-opt %s --split-input-file | attn-opt --split-input-file | FileCheck %s
// RUN: attn-opt %s --split-input-file --mlir-print-op-generic | attn-opt --split-input-file | FileCheck %s

// Round trip of attn.varlen_attention: attention over contiguous K/V rows
// (encoder self-attention, cross attention, causal prefill without a cache).

// A ViT-style encoder layer: bidirectional, head size 80.
// CHECK-LABEL: func.func @varlen_encoder
// CHECK-SAME:    %[[Q:[a-zA-Z0-9_]+]]: memref<?x16x80xf16>, %[[K:[a-zA-Z0-9_]+]]: memref<?x16x80xf16>
// CHECK-SAME:    %[[V:[a-zA-Z0-9_]+]]: memref<?x16x80xf16>, %[[CQ:[a-zA-Z0-9_]+]]: memref<?xi32>
// CHECK-SAME:    %[[CK:[a-zA-Z0-9_]+]]: memref<?xi32>, %[[O:[a-zA-Z0-9_]+]]: memref<?x16x80xf16>
// CHECK:         attn.varlen_attention q(%[[Q]] : memref<?x16x80xf16>) k(%[[K]] : memref<?x16x80xf16>)
// CHECK-SAME:      v(%[[V]] : memref<?x16x80xf16>) cu_seqlens_q(%[[CQ]] : memref<?xi32>)
// CHECK-SAME:      cu_seqlens_k(%[[CK]] : memref<?xi32>) out(%[[O]] : memref<?x16x80xf16>)
// CHECK-SAME:      scale(0.111803398){{$}}
func.func @varlen_encoder(%q: memref<?x16x80xf16>, %k: memref<?x16x80xf16>,
                          %v: memref<?x16x80xf16>, %cq: memref<?xi32>, %ck: memref<?xi32>,
                          %o: memref<?x16x80xf16>) {
  attn.varlen_attention q(%q : memref<?x16x80xf16>)
      k(%k : memref<?x16x80xf16>) v(%v : memref<?x16x80xf16>)
      cu_seqlens_q(%cq : memref<?xi32>) cu_seqlens_k(%ck : memref<?xi32>)
      out(%o : memref<?x16x80xf16>) scale(0.111803398)
  return
}

// -----

// Cross attention: different (static) query and key token counts, GQA,
// head_size_v != head_size, lse.
// CHECK-LABEL: func.func @varlen_cross
// CHECK:         attn.varlen_attention q(%{{[^ ]+}} : memref<12x8x64xbf16>)
// CHECK-SAME:      k(%{{[^ ]+}} : memref<300x2x64xbf16>) v(%{{[^ ]+}} : memref<300x2x32xbf16>)
// CHECK-SAME:      cu_seqlens_q(%{{[^ ]+}} : memref<3xi32>) cu_seqlens_k(%{{[^ ]+}} : memref<3xi32>)
// CHECK-SAME:      out(%{{[^ ]+}} : memref<12x8x32xbf16>) lse(%{{[^ ]+}} : memref<12x8xf32>)
// CHECK-SAME:      scale(1.250000e-01){{$}}
func.func @varlen_cross(%q: memref<12x8x64xbf16>, %k: memref<300x2x64xbf16>,
                        %v: memref<300x2x32xbf16>, %cq: memref<3xi32>, %ck: memref<3xi32>,
                        %o: memref<12x8x32xbf16>, %l: memref<12x8xf32>) {
  attn.varlen_attention q(%q : memref<12x8x64xbf16>)
      k(%k : memref<300x2x64xbf16>) v(%v : memref<300x2x32xbf16>)
      cu_seqlens_q(%cq : memref<3xi32>) cu_seqlens_k(%ck : memref<3xi32>)
      out(%o : memref<12x8x32xbf16>) lse(%l : memref<12x8xf32>) scale(0.125)
  return
}

// -----

// Causal prefill without a cache, with window, softcap and sinks.
// CHECK-LABEL: func.func @varlen_causal_window_softcap_sinks
// CHECK:         attn.varlen_attention
// CHECK-SAME:      sinks(%{{[^ ]+}} : memref<8xf32>) out(
// CHECK-SAME:      causal window <left = 127, right = 0> softcap(2.000000e+01){{$}}
func.func @varlen_causal_window_softcap_sinks(%q: memref<?x8x128xf32>, %k: memref<?x8x128xf32>,
                                              %v: memref<?x8x128xf32>, %cq: memref<?xi32>,
                                              %ck: memref<?xi32>, %s: memref<8xf32>,
                                              %o: memref<?x8x128xf32>) {
  attn.varlen_attention q(%q : memref<?x8x128xf32>)
      k(%k : memref<?x8x128xf32>) v(%v : memref<?x8x128xf32>)
      cu_seqlens_q(%cq : memref<?xi32>) cu_seqlens_k(%ck : memref<?xi32>)
      sinks(%s : memref<8xf32>) out(%o : memref<?x8x128xf32>) scale(0.0883883461)
      causal window <left = 127, right = 0> softcap(20.0)
  return
}

// -----

// Chunked local attention and ALiBi (plain) on varlen K/V.
// CHECK-LABEL: func.func @varlen_chunk_alibi
// CHECK:         attn.varlen_attention
// CHECK-SAME:      alibi_slopes(%{{[^ ]+}} : memref<8xf32>) out(
// CHECK-SAME:      causal chunk <size = 256, lookback = 1> alibi <plain>{{$}}
func.func @varlen_chunk_alibi(%q: memref<?x8x64xf16>, %k: memref<?x4x64xf16>,
                              %v: memref<?x4x64xf16>, %cq: memref<?xi32>, %ck: memref<?xi32>,
                              %slopes: memref<8xf32>, %o: memref<?x8x64xf16>) {
  attn.varlen_attention q(%q : memref<?x8x64xf16>)
      k(%k : memref<?x4x64xf16>) v(%v : memref<?x4x64xf16>)
      cu_seqlens_q(%cq : memref<?xi32>) cu_seqlens_k(%ck : memref<?xi32>)
      alibi_slopes(%slopes : memref<8xf32>) out(%o : memref<?x8x64xf16>) scale(0.125)
      causal chunk <size = 256, lookback = 1> alibi <plain>
  return
}

// -----

// mm-prefix ranges, qq-bias, sqrt ALiBi and an fp8 output on varlen K/V.
// CHECK-LABEL: func.func @varlen_mm_prefix_qq_bias_fp8_out
// CHECK:         attn.varlen_attention
// CHECK-SAME:      alibi_slopes(%{{[^ ]+}} : memref<8xf32>) mm_prefix_ranges(%{{[^ ]+}} : memref<?x?x2xi32>)
// CHECK-SAME:      qq_bias(%{{[^ ]+}} : memref<?x?xf32>) out_scale(%{{[^ ]+}} : memref<1xf32>)
// CHECK-SAME:      out(%{{[^ ]+}} : memref<?x8x64xf8E4M3FN>)
// CHECK-SAME:      causal alibi <sqrt>{{$}}
func.func @varlen_mm_prefix_qq_bias_fp8_out(%q: memref<?x8x64xbf16>, %k: memref<?x8x64xbf16>,
                                            %v: memref<?x8x64xbf16>, %cq: memref<?xi32>,
                                            %ck: memref<?xi32>, %slopes: memref<8xf32>,
                                            %r: memref<?x?x2xi32>, %b: memref<?x?xf32>,
                                            %os: memref<1xf32>, %o: memref<?x8x64xf8E4M3FN>) {
  attn.varlen_attention q(%q : memref<?x8x64xbf16>)
      k(%k : memref<?x8x64xbf16>) v(%v : memref<?x8x64xbf16>)
      cu_seqlens_q(%cq : memref<?xi32>) cu_seqlens_k(%ck : memref<?xi32>)
      alibi_slopes(%slopes : memref<8xf32>) mm_prefix_ranges(%r : memref<?x?x2xi32>)
      qq_bias(%b : memref<?x?xf32>) out_scale(%os : memref<1xf32>)
      out(%o : memref<?x8x64xf8E4M3FN>) scale(0.125) causal alibi <sqrt>
  return
}

// -----

// The split-KV partial form and a plan on varlen K/V.
// CHECK-LABEL: func.func @varlen_split
// CHECK:         attn.varlen_attention
// CHECK-SAME:      out(%{{[^ ]+}} : memref<2x?x8x64xf32>) lse(%{{[^ ]+}} : memref<2x?x8xf32>)
// CHECK-SAME:      scale(1.250000e-01) split
// CHECK-SAME:      plan <target = sm_80, block_q = 16, block_m = 64, block_n = 64, warps = 4, stages = 2, segments = 2>{{$}}
func.func @varlen_split(%q: memref<?x8x64xf16>, %k: memref<?x8x64xf16>,
                        %v: memref<?x8x64xf16>, %cq: memref<?xi32>, %ck: memref<?xi32>,
                        %po: memref<2x?x8x64xf32>, %pl: memref<2x?x8xf32>) {
  attn.varlen_attention q(%q : memref<?x8x64xf16>)
      k(%k : memref<?x8x64xf16>) v(%v : memref<?x8x64xf16>)
      cu_seqlens_q(%cq : memref<?xi32>) cu_seqlens_k(%ck : memref<?xi32>)
      out(%po : memref<2x?x8x64xf32>) lse(%pl : memref<2x?x8xf32>) scale(0.125) split
      plan <target = sm_80, block_q = 16, block_m = 64, block_n = 64, warps = 4, stages = 2, segments = 2>
  return
}
