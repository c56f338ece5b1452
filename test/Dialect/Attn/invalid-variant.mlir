// RUN: attn-opt %s --split-input-file --verify-diagnostics

// Verifier errors of the variant attributes and modifier operands of the attention
// ops: scale, window, chunk, softcap, alibi, sinks, mm-prefix ranges, qq-bias.
// Each case is the smallest change to a valid op that breaks one rule.

func.func @scale_zero(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x64xf16>, %vc: memref<?x16x2x64xf16>,
                      %bt: memref<?x?xi32>, %sl: memref<?xi32>, %cu: memref<?xi32>,
                      %o: memref<?x8x64xf16>) {
  // expected-error @+1 {{scale (0.000000e+00) must be positive and finite}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x64xf16>)
      v_cache(%vc : memref<?x16x2x64xf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>) out(%o : memref<?x8x64xf16>)
      scale(0.0) causal
  return
}

// -----

func.func @scale_negative(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x64xf16>,
                          %vc: memref<?x16x2x64xf16>, %bt: memref<?x?xi32>, %sl: memref<?xi32>,
                          %cu: memref<?xi32>, %o: memref<?x8x64xf16>) {
  // expected-error @+1 {{scale (-1.250000e-01) must be positive and finite}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x64xf16>)
      v_cache(%vc : memref<?x16x2x64xf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>) out(%o : memref<?x8x64xf16>)
      scale(-0.125) causal
  return
}

// -----

// scale(0x7F800000) is +inf.
func.func @scale_infinite(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x64xf16>,
                          %vc: memref<?x16x2x64xf16>, %bt: memref<?x?xi32>, %sl: memref<?xi32>,
                          %cu: memref<?xi32>, %o: memref<?x8x64xf16>) {
  // expected-error-re @+1 {{scale ({{.*}}) must be positive and finite}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x64xf16>)
      v_cache(%vc : memref<?x16x2x64xf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>) out(%o : memref<?x8x64xf16>)
      scale(0x7F800000) causal
  return
}

// -----

func.func @window_left_below_minus_one(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x64xf16>,
                                       %vc: memref<?x16x2x64xf16>, %bt: memref<?x?xi32>,
                                       %sl: memref<?xi32>, %cu: memref<?xi32>,
                                       %o: memref<?x8x64xf16>) {
  // expected-error @+1 {{window left (-2) must be >= -1 (-1 = unbounded)}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x64xf16>)
      v_cache(%vc : memref<?x16x2x64xf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>) out(%o : memref<?x8x64xf16>)
      scale(0.125) causal window <left = -2, right = 0>
  return
}

// -----

func.func @window_right_below_minus_one(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x64xf16>,
                                        %vc: memref<?x16x2x64xf16>, %bt: memref<?x?xi32>,
                                        %sl: memref<?xi32>, %cu: memref<?xi32>,
                                        %o: memref<?x8x64xf16>) {
  // expected-error @+1 {{window right (-5) must be >= -1 (-1 = unbounded)}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x64xf16>)
      v_cache(%vc : memref<?x16x2x64xf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>) out(%o : memref<?x8x64xf16>)
      scale(0.125) causal window <left = 128, right = -5>
  return
}

// -----

func.func @chunk_with_window(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x64xf16>,
                             %vc: memref<?x16x2x64xf16>, %bt: memref<?x?xi32>, %sl: memref<?xi32>,
                             %cu: memref<?xi32>, %o: memref<?x8x64xf16>) {
  // expected-error @+1 {{chunked local attention replaces the sliding window; got both chunk and window}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x64xf16>)
      v_cache(%vc : memref<?x16x2x64xf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>) out(%o : memref<?x8x64xf16>)
      scale(0.125) causal window <left = 127, right = 0> chunk <size = 128, lookback = 0>
  return
}

// -----

func.func @chunk_size_zero(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x64xf16>,
                           %vc: memref<?x16x2x64xf16>, %bt: memref<?x?xi32>, %sl: memref<?xi32>,
                           %cu: memref<?xi32>, %o: memref<?x8x64xf16>) {
  // expected-error @+1 {{chunk size (0) must be positive}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x64xf16>)
      v_cache(%vc : memref<?x16x2x64xf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>) out(%o : memref<?x8x64xf16>)
      scale(0.125) causal chunk <size = 0, lookback = 0>
  return
}

// -----

func.func @chunk_size_negative(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x64xf16>,
                               %vc: memref<?x16x2x64xf16>, %bt: memref<?x?xi32>, %sl: memref<?xi32>,
                               %cu: memref<?xi32>, %o: memref<?x8x64xf16>) {
  // expected-error @+1 {{chunk size (-64) must be positive}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x64xf16>)
      v_cache(%vc : memref<?x16x2x64xf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>) out(%o : memref<?x8x64xf16>)
      scale(0.125) causal chunk <size = -64, lookback = 0>
  return
}

// -----

func.func @chunk_lookback_negative(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x64xf16>,
                                   %vc: memref<?x16x2x64xf16>, %bt: memref<?x?xi32>,
                                   %sl: memref<?xi32>, %cu: memref<?xi32>, %o: memref<?x8x64xf16>) {
  // expected-error @+1 {{chunk lookback (-1) must be >= 0}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x64xf16>)
      v_cache(%vc : memref<?x16x2x64xf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>) out(%o : memref<?x8x64xf16>)
      scale(0.125) causal chunk <size = 64, lookback = -1>
  return
}

// -----

func.func @softcap_zero(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x64xf16>,
                        %vc: memref<?x16x2x64xf16>, %bt: memref<?x?xi32>, %sl: memref<?xi32>,
                        %cu: memref<?xi32>, %o: memref<?x8x64xf16>) {
  // expected-error @+1 {{softcap (0.000000e+00) must be positive and finite}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x64xf16>)
      v_cache(%vc : memref<?x16x2x64xf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>) out(%o : memref<?x8x64xf16>)
      scale(0.125) causal softcap(0.0)
  return
}

// -----

func.func @softcap_negative(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x64xf16>,
                            %vc: memref<?x16x2x64xf16>, %bt: memref<?x?xi32>, %sl: memref<?xi32>,
                            %cu: memref<?xi32>, %o: memref<?x8x64xf16>) {
  // expected-error @+1 {{softcap (-3.000000e+01) must be positive and finite}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x64xf16>)
      v_cache(%vc : memref<?x16x2x64xf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>) out(%o : memref<?x8x64xf16>)
      scale(0.125) causal softcap(-30.0)
  return
}

// -----

// softcap(0x7FC00000) is NaN.
func.func @softcap_nan(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x64xf16>,
                       %vc: memref<?x16x2x64xf16>, %bt: memref<?x?xi32>, %sl: memref<?xi32>,
                       %cu: memref<?xi32>, %o: memref<?x8x64xf16>) {
  // expected-error-re @+1 {{softcap ({{.*}}) must be positive and finite}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x64xf16>)
      v_cache(%vc : memref<?x16x2x64xf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>) out(%o : memref<?x8x64xf16>)
      scale(0.125) causal softcap(0x7FC00000)
  return
}

// -----

func.func @alibi_without_slopes(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x64xf16>,
                                %vc: memref<?x16x2x64xf16>, %bt: memref<?x?xi32>, %sl: memref<?xi32>,
                                %cu: memref<?xi32>, %o: memref<?x8x64xf16>) {
  // expected-error @+1 {{alibi requires alibi_slopes [heads]}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x64xf16>)
      v_cache(%vc : memref<?x16x2x64xf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>) out(%o : memref<?x8x64xf16>)
      scale(0.125) causal alibi <plain>
  return
}

// -----

func.func @slopes_without_alibi(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x64xf16>,
                                %vc: memref<?x16x2x64xf16>, %bt: memref<?x?xi32>, %sl: memref<?xi32>,
                                %cu: memref<?xi32>, %slopes: memref<8xf32>, %o: memref<?x8x64xf16>) {
  // expected-error @+1 {{alibi_slopes given without an alibi <plain|sqrt> attribute}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x64xf16>)
      v_cache(%vc : memref<?x16x2x64xf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>)
      alibi_slopes(%slopes : memref<8xf32>) out(%o : memref<?x8x64xf16>) scale(0.125) causal
  return
}

// -----

// One slope per query head, not per kv head.
func.func @slopes_wrong_length(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x64xf16>,
                               %vc: memref<?x16x2x64xf16>, %bt: memref<?x?xi32>, %sl: memref<?xi32>,
                               %cu: memref<?xi32>, %slopes: memref<2xf32>, %o: memref<?x8x64xf16>) {
  // expected-error @+1 {{alibi_slopes must have one value per query head (8); got 'memref<2xf32>'}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x64xf16>)
      v_cache(%vc : memref<?x16x2x64xf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>)
      alibi_slopes(%slopes : memref<2xf32>) out(%o : memref<?x8x64xf16>) scale(0.125)
      causal alibi <sqrt>
  return
}

// -----

func.func @sinks_wrong_length(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x64xf16>,
                              %vc: memref<?x16x2x64xf16>, %bt: memref<?x?xi32>, %sl: memref<?xi32>,
                              %cu: memref<?xi32>, %s: memref<2xf32>, %o: memref<?x8x64xf16>) {
  // expected-error @+1 {{sinks must have one value per query head (8); got 'memref<2xf32>'}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x64xf16>)
      v_cache(%vc : memref<?x16x2x64xf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>) sinks(%s : memref<2xf32>)
      out(%o : memref<?x8x64xf16>) scale(0.125) causal
  return
}

// -----

func.func @sinks_dynamic_length(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x64xf16>,
                                %vc: memref<?x16x2x64xf16>, %bt: memref<?x?xi32>, %sl: memref<?xi32>,
                                %cu: memref<?xi32>, %s: memref<?xf32>, %o: memref<?x8x64xf16>) {
  // expected-error @+1 {{sinks must have one value per query head (8); got 'memref<?xf32>'}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x64xf16>)
      v_cache(%vc : memref<?x16x2x64xf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>) sinks(%s : memref<?xf32>)
      out(%o : memref<?x8x64xf16>) scale(0.125) causal
  return
}

// -----

func.func @mm_prefix_last_dim(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x64xf16>,
                              %vc: memref<?x16x2x64xf16>, %bt: memref<?x?xi32>, %sl: memref<?xi32>,
                              %cu: memref<?xi32>, %r: memref<?x?x3xi32>, %o: memref<?x8x64xf16>) {
  // expected-error @+1 {{mm_prefix_ranges must be [num_seqs, max_ranges, 2] (start, end); got 'memref<?x?x3xi32>'}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x64xf16>)
      v_cache(%vc : memref<?x16x2x64xf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>)
      mm_prefix_ranges(%r : memref<?x?x3xi32>) out(%o : memref<?x8x64xf16>) scale(0.125) causal
  return
}

// -----

func.func @mm_prefix_last_dim_dynamic(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x64xf16>,
                                      %vc: memref<?x16x2x64xf16>, %bt: memref<?x?xi32>,
                                      %sl: memref<?xi32>, %cu: memref<?xi32>, %r: memref<?x?x?xi32>,
                                      %o: memref<?x8x64xf16>) {
  // expected-error @+1 {{mm_prefix_ranges must be [num_seqs, max_ranges, 2] (start, end); got 'memref<?x?x?xi32>'}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x64xf16>)
      v_cache(%vc : memref<?x16x2x64xf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>)
      mm_prefix_ranges(%r : memref<?x?x?xi32>) out(%o : memref<?x8x64xf16>) scale(0.125) causal
  return
}

// -----

func.func @qq_bias_without_causal(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x64xf16>,
                                  %vc: memref<?x16x2x64xf16>, %bt: memref<?x?xi32>,
                                  %sl: memref<?xi32>, %cu: memref<?xi32>, %b: memref<?x?xf32>,
                                  %o: memref<?x8x64xf16>) {
  // expected-error @+1 {{qq_bias (tree attention) is added on top of the causal mask and requires causal}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x64xf16>)
      v_cache(%vc : memref<?x16x2x64xf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>)
      qq_bias(%b : memref<?x?xf32>) out(%o : memref<?x8x64xf16>) scale(0.125)
  return
}

// -----

func.func @varlen_qq_bias_without_causal(%q: memref<?x8x64xf16>, %k: memref<?x2x64xf16>,
                                         %v: memref<?x2x64xf16>, %cq: memref<?xi32>,
                                         %ck: memref<?xi32>, %b: memref<?x?xf32>,
                                         %o: memref<?x8x64xf16>) {
  // expected-error @+1 {{qq_bias (tree attention) is added on top of the causal mask and requires causal}}
  attn.varlen_attention q(%q : memref<?x8x64xf16>) k(%k : memref<?x2x64xf16>)
      v(%v : memref<?x2x64xf16>) cu_seqlens_q(%cq : memref<?xi32>)
      cu_seqlens_k(%ck : memref<?xi32>) qq_bias(%b : memref<?x?xf32>) out(%o : memref<?x8x64xf16>)
      scale(0.125)
  return
}

// -----

func.func @qq_bias_not_square(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x64xf16>,
                              %vc: memref<?x16x2x64xf16>, %bt: memref<?x?xi32>,
                              %sl: memref<?xi32>, %cu: memref<?xi32>, %b: memref<3x4xf32>,
                              %o: memref<?x8x64xf16>) {
  // expected-error @+1 {{qq_bias must be square [Q, Q]; got 'memref<3x4xf32>'}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x64xf16>)
      v_cache(%vc : memref<?x16x2x64xf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>)
      qq_bias(%b : memref<3x4xf32>) out(%o : memref<?x8x64xf16>) scale(0.125) causal
  return
}
