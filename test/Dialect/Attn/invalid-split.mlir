// RUN: attn-opt %s --split-input-file --verify-diagnostics

// Verifier errors of the split-KV form: the partial attention op (`split`) and
// attn.merge_states. #attn.plan: invalid-plan.mlir.
// Each case is the smallest change to a valid op that breaks one rule.

func.func @split_out_3d(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x64xf16>,
                        %vc: memref<?x16x2x64xf16>, %bt: memref<?x?xi32>, %sl: memref<?xi32>,
                        %cu: memref<?xi32>, %o: memref<?x8x64xf16>, %l: memref<?x8xf32>) {
  // expected-error @+1 {{the split form writes f32 partial outputs [segments, num_tokens, heads, head_size_v]; got 'memref<?x8x64xf16>'}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x64xf16>)
      v_cache(%vc : memref<?x16x2x64xf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>) out(%o : memref<?x8x64xf16>)
      lse(%l : memref<?x8xf32>) scale(0.125) causal split
  return
}

// -----

func.func @split_out_not_f32(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x64xf16>,
                             %vc: memref<?x16x2x64xf16>, %bt: memref<?x?xi32>, %sl: memref<?xi32>,
                             %cu: memref<?xi32>, %o: memref<4x?x8x64xf16>, %l: memref<4x?x8xf32>) {
  // expected-error @+1 {{the split form writes f32 partial outputs [segments, num_tokens, heads, head_size_v]; got 'memref<4x?x8x64xf16>'}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x64xf16>)
      v_cache(%vc : memref<?x16x2x64xf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>)
      out(%o : memref<4x?x8x64xf16>) lse(%l : memref<4x?x8xf32>) scale(0.125) causal split
  return
}

// -----

func.func @split_segments_dynamic(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x64xf16>,
                                  %vc: memref<?x16x2x64xf16>, %bt: memref<?x?xi32>,
                                  %sl: memref<?xi32>, %cu: memref<?xi32>, %o: memref<?x?x8x64xf32>,
                                  %l: memref<?x?x8xf32>) {
  // expected-error @+1 {{out segments (dim 0) must be static; got 'memref<?x?x8x64xf32>'}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x64xf16>)
      v_cache(%vc : memref<?x16x2x64xf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>)
      out(%o : memref<?x?x8x64xf32>) lse(%l : memref<?x?x8xf32>) scale(0.125) causal split
  return
}

// -----

func.func @split_segments_zero(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x64xf16>,
                               %vc: memref<?x16x2x64xf16>, %bt: memref<?x?xi32>, %sl: memref<?xi32>,
                               %cu: memref<?xi32>, %o: memref<0x?x8x64xf32>, %l: memref<0x?x8xf32>) {
  // expected-error @+1 {{split segments must be positive; got 0}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x64xf16>)
      v_cache(%vc : memref<?x16x2x64xf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>)
      out(%o : memref<0x?x8x64xf32>) lse(%l : memref<0x?x8xf32>) scale(0.125) causal split
  return
}

// -----

func.func @split_without_lse(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x64xf16>,
                             %vc: memref<?x16x2x64xf16>, %bt: memref<?x?xi32>, %sl: memref<?xi32>,
                             %cu: memref<?xi32>, %o: memref<4x?x8x64xf32>) {
  // expected-error @+1 {{the split form requires lse [segments, num_tokens, heads]}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x64xf16>)
      v_cache(%vc : memref<?x16x2x64xf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>)
      out(%o : memref<4x?x8x64xf32>) scale(0.125) causal split
  return
}

// -----

func.func @split_with_sinks(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x64xf16>,
                            %vc: memref<?x16x2x64xf16>, %bt: memref<?x?xi32>, %sl: memref<?xi32>,
                            %cu: memref<?xi32>, %s: memref<8xf32>, %o: memref<4x?x8x64xf32>,
                            %l: memref<4x?x8xf32>) {
  // expected-error @+1 {{in the split form sinks are applied by attn.merge_states, not by the partial op}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x64xf16>)
      v_cache(%vc : memref<?x16x2x64xf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>) sinks(%s : memref<8xf32>)
      out(%o : memref<4x?x8x64xf32>) lse(%l : memref<4x?x8xf32>) scale(0.125) causal split
  return
}

// -----

func.func @split_with_out_scale(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x64xf16>,
                                %vc: memref<?x16x2x64xf16>, %bt: memref<?x?xi32>, %sl: memref<?xi32>,
                                %cu: memref<?xi32>, %os: memref<1xf32>, %o: memref<4x?x8x64xf32>,
                                %l: memref<4x?x8xf32>) {
  // expected-error @+1 {{the split form has no fp8 output}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x64xf16>)
      v_cache(%vc : memref<?x16x2x64xf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>)
      out_scale(%os : memref<1xf32>) out(%o : memref<4x?x8x64xf32>) lse(%l : memref<4x?x8xf32>)
      scale(0.125) causal split
  return
}

// -----

func.func @split_out_heads(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x64xf16>,
                           %vc: memref<?x16x2x64xf16>, %bt: memref<?x?xi32>, %sl: memref<?xi32>,
                           %cu: memref<?xi32>, %o: memref<4x?x4x64xf32>, %l: memref<4x?x4xf32>) {
  // expected-error @+1 {{out heads (4) must equal 8; got 'memref<4x?x4x64xf32>'}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x64xf16>)
      v_cache(%vc : memref<?x16x2x64xf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>)
      out(%o : memref<4x?x4x64xf32>) lse(%l : memref<4x?x4xf32>) scale(0.125) causal split
  return
}

// -----

func.func @split_out_head_size_v(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x64xf16>,
                                 %vc: memref<?x16x2x64xf16>, %bt: memref<?x?xi32>,
                                 %sl: memref<?xi32>, %cu: memref<?xi32>, %o: memref<4x?x8x128xf32>,
                                 %l: memref<4x?x8xf32>) {
  // expected-error @+1 {{out head_size_v (128) must equal 64; got 'memref<4x?x8x128xf32>'}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x64xf16>)
      v_cache(%vc : memref<?x16x2x64xf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>)
      out(%o : memref<4x?x8x128xf32>) lse(%l : memref<4x?x8xf32>) scale(0.125) causal split
  return
}

// -----

func.func @split_lse_rank(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x64xf16>,
                          %vc: memref<?x16x2x64xf16>, %bt: memref<?x?xi32>, %sl: memref<?xi32>,
                          %cu: memref<?xi32>, %o: memref<4x?x8x64xf32>, %l: memref<?x8xf32>) {
  // expected-error @+1 {{lse must be [segments, num_tokens, heads]; got 'memref<?x8xf32>'}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x64xf16>)
      v_cache(%vc : memref<?x16x2x64xf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>)
      out(%o : memref<4x?x8x64xf32>) lse(%l : memref<?x8xf32>) scale(0.125) causal split
  return
}

// -----

func.func @split_lse_heads(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x64xf16>,
                           %vc: memref<?x16x2x64xf16>, %bt: memref<?x?xi32>, %sl: memref<?xi32>,
                           %cu: memref<?xi32>, %o: memref<4x?x8x64xf32>, %l: memref<4x?x2xf32>) {
  // expected-error @+1 {{lse heads (2) must equal 8; got 'memref<4x?x2xf32>'}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x64xf16>)
      v_cache(%vc : memref<?x16x2x64xf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>)
      out(%o : memref<4x?x8x64xf32>) lse(%l : memref<4x?x2xf32>) scale(0.125) causal split
  return
}

// -----

func.func @split_lse_segments(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x64xf16>,
                              %vc: memref<?x16x2x64xf16>, %bt: memref<?x?xi32>, %sl: memref<?xi32>,
                              %cu: memref<?xi32>, %o: memref<4x?x8x64xf32>, %l: memref<2x?x8xf32>) {
  // expected-error @+1 {{lse segments (2) must equal out segments (4)}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x64xf16>)
      v_cache(%vc : memref<?x16x2x64xf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>)
      out(%o : memref<4x?x8x64xf32>) lse(%l : memref<2x?x8xf32>) scale(0.125) causal split
  return
}

// -----

func.func @varlen_split_without_lse(%q: memref<?x8x64xf16>, %k: memref<?x2x64xf16>,
                                    %v: memref<?x2x64xf16>, %cq: memref<?xi32>, %ck: memref<?xi32>,
                                    %o: memref<4x?x8x64xf32>) {
  // expected-error @+1 {{the split form requires lse [segments, num_tokens, heads]}}
  attn.varlen_attention q(%q : memref<?x8x64xf16>) k(%k : memref<?x2x64xf16>)
      v(%v : memref<?x2x64xf16>) cu_seqlens_q(%cq : memref<?xi32>)
      cu_seqlens_k(%ck : memref<?xi32>) out(%o : memref<4x?x8x64xf32>) scale(0.125) split
  return
}

// -----

func.func @merge_heads_dynamic(%po: memref<4x?x?x64xf32>, %pl: memref<4x?x8xf32>,
                               %o: memref<?x8x64xf16>) {
  // expected-error @+1 {{partial_out heads (dim 2) must be static; got 'memref<4x?x?x64xf32>'}}
  attn.merge_states partial_out(%po : memref<4x?x?x64xf32>) partial_lse(%pl : memref<4x?x8xf32>)
      out(%o : memref<?x8x64xf16>)
  return
}

// -----

func.func @merge_head_size_dynamic(%po: memref<4x?x8x?xf32>, %pl: memref<4x?x8xf32>,
                                   %o: memref<?x8x64xf16>) {
  // expected-error @+1 {{partial_out head_size_v (dim 3) must be static; got 'memref<4x?x8x?xf32>'}}
  attn.merge_states partial_out(%po : memref<4x?x8x?xf32>) partial_lse(%pl : memref<4x?x8xf32>)
      out(%o : memref<?x8x64xf16>)
  return
}

// -----

func.func @merge_head_size_unsupported(%po: memref<4x?x8x36xf32>, %pl: memref<4x?x8xf32>,
                                       %o: memref<?x8x36xf16>) {
  // expected-error @+1 {{value head_size (36) must be a multiple of 8 between 32 and 256}}
  attn.merge_states partial_out(%po : memref<4x?x8x36xf32>) partial_lse(%pl : memref<4x?x8xf32>)
      out(%o : memref<?x8x36xf16>)
  return
}

// -----

func.func @merge_segments_mismatch(%po: memref<4x?x8x64xf32>, %pl: memref<2x?x8xf32>,
                                   %o: memref<?x8x64xf16>) {
  // expected-error @+1 {{partial_lse segments (2) must equal partial_out segments (4)}}
  attn.merge_states partial_out(%po : memref<4x?x8x64xf32>) partial_lse(%pl : memref<2x?x8xf32>)
      out(%o : memref<?x8x64xf16>)
  return
}

// -----

func.func @merge_lse_heads_mismatch(%po: memref<4x?x8x64xf32>, %pl: memref<4x?x4xf32>,
                                    %o: memref<?x8x64xf16>) {
  // expected-error @+1 {{partial_lse heads (4) must equal 8; got 'memref<4x?x4xf32>'}}
  attn.merge_states partial_out(%po : memref<4x?x8x64xf32>) partial_lse(%pl : memref<4x?x4xf32>)
      out(%o : memref<?x8x64xf16>)
  return
}

// -----

func.func @merge_lse_heads_dynamic(%po: memref<4x?x8x64xf32>, %pl: memref<4x?x?xf32>,
                                   %o: memref<?x8x64xf16>) {
  // expected-error @+1 {{partial_lse heads (dim 2) must be static; got 'memref<4x?x?xf32>'}}
  attn.merge_states partial_out(%po : memref<4x?x8x64xf32>) partial_lse(%pl : memref<4x?x?xf32>)
      out(%o : memref<?x8x64xf16>)
  return
}

// -----

func.func @merge_out_4d(%po: memref<4x?x8x64xf32>, %pl: memref<4x?x8xf32>, %o: memref<1x?x8x64xf16>) {
  // expected-error @+1 {{out must be 3-D [num_tokens, heads, head_size_v]; got 'memref<1x?x8x64xf16>'}}
  attn.merge_states partial_out(%po : memref<4x?x8x64xf32>) partial_lse(%pl : memref<4x?x8xf32>)
      out(%o : memref<1x?x8x64xf16>)
  return
}

// -----

func.func @merge_out_heads(%po: memref<4x?x8x64xf32>, %pl: memref<4x?x8xf32>,
                           %o: memref<?x16x64xf16>) {
  // expected-error @+1 {{out heads (16) must equal 8; got 'memref<?x16x64xf16>'}}
  attn.merge_states partial_out(%po : memref<4x?x8x64xf32>) partial_lse(%pl : memref<4x?x8xf32>)
      out(%o : memref<?x16x64xf16>)
  return
}

// -----

func.func @merge_out_head_size(%po: memref<4x?x8x64xf32>, %pl: memref<4x?x8xf32>,
                               %o: memref<?x8x128xf16>) {
  // expected-error @+1 {{out head_size_v (128) must equal 64; got 'memref<?x8x128xf16>'}}
  attn.merge_states partial_out(%po : memref<4x?x8x64xf32>) partial_lse(%pl : memref<4x?x8xf32>)
      out(%o : memref<?x8x128xf16>)
  return
}

// -----

func.func @merge_sinks_wrong_length(%po: memref<4x?x8x64xf32>, %pl: memref<4x?x8xf32>,
                                    %s: memref<4xf32>, %o: memref<?x8x64xf16>) {
  // expected-error @+1 {{sinks must have one value per query head (8); got 'memref<4xf32>'}}
  attn.merge_states partial_out(%po : memref<4x?x8x64xf32>) partial_lse(%pl : memref<4x?x8xf32>)
      sinks(%s : memref<4xf32>) out(%o : memref<?x8x64xf16>)
  return
}

// -----

func.func @merge_out_scale_not_scalar(%po: memref<4x?x8x64xf32>, %pl: memref<4x?x8xf32>,
                                      %os: memref<2xf32>, %o: memref<?x8x64xf8E4M3FN>) {
  // expected-error @+1 {{out_scale must be a memref<1xf32>; got 'memref<2xf32>'}}
  attn.merge_states partial_out(%po : memref<4x?x8x64xf32>) partial_lse(%pl : memref<4x?x8xf32>)
      out_scale(%os : memref<2xf32>) out(%o : memref<?x8x64xf8E4M3FN>)
  return
}

// -----

func.func @merge_fp8_out_without_out_scale(%po: memref<4x?x8x64xf32>, %pl: memref<4x?x8xf32>,
                                           %o: memref<?x8x64xf8E4M3FN>) {
  // expected-error @+1 {{fp8 output requires out_scale}}
  attn.merge_states partial_out(%po : memref<4x?x8x64xf32>) partial_lse(%pl : memref<4x?x8xf32>)
      out(%o : memref<?x8x64xf8E4M3FN>)
  return
}

// -----

func.func @merge_out_scale_without_fp8_out(%po: memref<4x?x8x64xf32>, %pl: memref<4x?x8xf32>,
                                           %os: memref<1xf32>, %o: memref<?x8x64xbf16>) {
  // expected-error @+1 {{out_scale is only read for an f8E4M3FN output; out is 'bf16'}}
  attn.merge_states partial_out(%po : memref<4x?x8x64xf32>) partial_lse(%pl : memref<4x?x8xf32>)
      out_scale(%os : memref<1xf32>) out(%o : memref<?x8x64xbf16>)
  return
}

// -----

func.func @merge_lse_rank(%po: memref<4x?x8x64xf32>, %pl: memref<4x?x8xf32>, %o: memref<?x8x64xf16>,
                          %l: memref<4x?x8xf32>) {
  // expected-error @+1 {{lse must be [num_tokens, heads]; got 'memref<4x?x8xf32>'}}
  attn.merge_states partial_out(%po : memref<4x?x8x64xf32>) partial_lse(%pl : memref<4x?x8xf32>)
      out(%o : memref<?x8x64xf16>) lse(%l : memref<4x?x8xf32>)
  return
}

// -----

func.func @merge_lse_heads(%po: memref<4x?x8x64xf32>, %pl: memref<4x?x8xf32>, %o: memref<?x8x64xf16>,
                           %l: memref<?x2xf32>) {
  // expected-error @+1 {{lse heads (2) must equal 8; got 'memref<?x2xf32>'}}
  attn.merge_states partial_out(%po : memref<4x?x8x64xf32>) partial_lse(%pl : memref<4x?x8xf32>)
      out(%o : memref<?x8x64xf16>) lse(%l : memref<?x2xf32>)
  return
}
