// RUN: attn-opt %s --split-input-file --verify-diagnostics

// Verifier errors of attn.paged_attention and attn.varlen_attention: shapes,
// heads, head sizes and the output. Variant attributes: invalid-variant.mlir;
// KV quantization: invalid-kv-cache.mlir; attn.cache_write:
// invalid-cache-write.mlir; split-KV and merge_states: invalid-split.mlir;
// #attn.plan: invalid-plan.mlir.
// Each case is the smallest change to a valid op that breaks one rule.

func.func @q_heads_dynamic(%q: memref<?x?x64xf16>, %kc: memref<?x16x2x64xf16>,
                           %vc: memref<?x16x2x64xf16>, %bt: memref<?x?xi32>, %sl: memref<?xi32>,
                           %cu: memref<?xi32>, %o: memref<?x8x64xf16>) {
  // expected-error @+1 {{q heads (dim 1) must be static; got 'memref<?x?x64xf16>'}}
  attn.paged_attention q(%q : memref<?x?x64xf16>) k_cache(%kc : memref<?x16x2x64xf16>)
      v_cache(%vc : memref<?x16x2x64xf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>) out(%o : memref<?x8x64xf16>)
      scale(0.125) causal
  return
}

// -----

func.func @q_head_size_dynamic(%q: memref<?x8x?xf16>, %kc: memref<?x16x2x64xf16>,
                               %vc: memref<?x16x2x64xf16>, %bt: memref<?x?xi32>, %sl: memref<?xi32>,
                               %cu: memref<?xi32>, %o: memref<?x8x64xf16>) {
  // expected-error @+1 {{q head_size (dim 2) must be static; got 'memref<?x8x?xf16>'}}
  attn.paged_attention q(%q : memref<?x8x?xf16>) k_cache(%kc : memref<?x16x2x64xf16>)
      v_cache(%vc : memref<?x16x2x64xf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>) out(%o : memref<?x8x64xf16>)
      scale(0.125) causal
  return
}

// -----

func.func @head_size_not_multiple_of_8(%q: memref<?x8x36xf16>, %kc: memref<?x16x2x36xf16>,
                                       %vc: memref<?x16x2x36xf16>, %bt: memref<?x?xi32>,
                                       %sl: memref<?xi32>, %cu: memref<?xi32>,
                                       %o: memref<?x8x36xf16>) {
  // expected-error @+1 {{query head_size (36) must be a multiple of 8 between 32 and 256}}
  attn.paged_attention q(%q : memref<?x8x36xf16>) k_cache(%kc : memref<?x16x2x36xf16>)
      v_cache(%vc : memref<?x16x2x36xf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>) out(%o : memref<?x8x36xf16>)
      scale(0.125) causal
  return
}

// -----

func.func @head_size_too_large(%q: memref<?x8x264xf16>, %kc: memref<?x16x2x264xf16>,
                               %vc: memref<?x16x2x264xf16>, %bt: memref<?x?xi32>, %sl: memref<?xi32>,
                               %cu: memref<?xi32>, %o: memref<?x8x264xf16>) {
  // expected-error @+1 {{query head_size (264) must be a multiple of 8 between 32 and 256}}
  attn.paged_attention q(%q : memref<?x8x264xf16>) k_cache(%kc : memref<?x16x2x264xf16>)
      v_cache(%vc : memref<?x16x2x264xf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>)
      out(%o : memref<?x8x264xf16>) scale(0.125) causal
  return
}

// -----

func.func @head_size_too_small(%q: memref<?x8x24xf16>, %kc: memref<?x16x2x24xf16>,
                               %vc: memref<?x16x2x24xf16>, %bt: memref<?x?xi32>, %sl: memref<?xi32>,
                               %cu: memref<?xi32>, %o: memref<?x8x24xf16>) {
  // expected-error @+1 {{query head_size (24) must be a multiple of 8 between 32 and 256}}
  attn.paged_attention q(%q : memref<?x8x24xf16>) k_cache(%kc : memref<?x16x2x24xf16>)
      v_cache(%vc : memref<?x16x2x24xf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>) out(%o : memref<?x8x24xf16>)
      scale(0.125) causal
  return
}

// -----

func.func @head_size_20(%q: memref<?x8x20xf16>, %kc: memref<?x16x2x20xf16>,
                        %vc: memref<?x16x2x20xf16>, %bt: memref<?x?xi32>, %sl: memref<?xi32>,
                        %cu: memref<?xi32>, %o: memref<?x8x20xf16>) {
  // expected-error @+1 {{query head_size (20) must be a multiple of 8 between 32 and 256}}
  attn.paged_attention q(%q : memref<?x8x20xf16>) k_cache(%kc : memref<?x16x2x20xf16>)
      v_cache(%vc : memref<?x16x2x20xf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>) out(%o : memref<?x8x20xf16>)
      scale(0.125) causal
  return
}

// -----

func.func @paged_k_cache_3d(%q: memref<?x8x64xf16>, %kc: memref<?x2x64xf16>,
                            %vc: memref<?x16x2x64xf16>, %bt: memref<?x?xi32>, %sl: memref<?xi32>,
                            %cu: memref<?xi32>, %o: memref<?x8x64xf16>) {
  // expected-error @+1 {{k_cache must be 4-D [num_blocks, block_size, kv_heads, head_size]; got 'memref<?x2x64xf16>'}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x2x64xf16>)
      v_cache(%vc : memref<?x16x2x64xf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>) out(%o : memref<?x8x64xf16>)
      scale(0.125) causal
  return
}

// -----

func.func @paged_v_cache_3d(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x64xf16>,
                            %vc: memref<?x2x64xf16>, %bt: memref<?x?xi32>, %sl: memref<?xi32>,
                            %cu: memref<?xi32>, %o: memref<?x8x64xf16>) {
  // expected-error @+1 {{v_cache must be 4-D [num_blocks, block_size, kv_heads, head_size]; got 'memref<?x2x64xf16>'}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x64xf16>)
      v_cache(%vc : memref<?x2x64xf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>) out(%o : memref<?x8x64xf16>)
      scale(0.125) causal
  return
}

// -----

func.func @varlen_k_4d(%q: memref<?x8x64xf16>, %k: memref<?x16x2x64xf16>, %v: memref<?x2x64xf16>,
                       %cq: memref<?xi32>, %ck: memref<?xi32>, %o: memref<?x8x64xf16>) {
  // expected-error @+1 {{k must be 3-D [num_kv_tokens, kv_heads, head_size]; got 'memref<?x16x2x64xf16>'}}
  attn.varlen_attention q(%q : memref<?x8x64xf16>) k(%k : memref<?x16x2x64xf16>)
      v(%v : memref<?x2x64xf16>) cu_seqlens_q(%cq : memref<?xi32>)
      cu_seqlens_k(%ck : memref<?xi32>) out(%o : memref<?x8x64xf16>) scale(0.125) causal
  return
}

// -----

func.func @varlen_v_4d(%q: memref<?x8x64xf16>, %k: memref<?x2x64xf16>, %v: memref<?x16x2x64xf16>,
                       %cq: memref<?xi32>, %ck: memref<?xi32>, %o: memref<?x8x64xf16>) {
  // expected-error @+1 {{v must be 3-D [num_kv_tokens, kv_heads, head_size]; got 'memref<?x16x2x64xf16>'}}
  attn.varlen_attention q(%q : memref<?x8x64xf16>) k(%k : memref<?x2x64xf16>)
      v(%v : memref<?x16x2x64xf16>) cu_seqlens_q(%cq : memref<?xi32>)
      cu_seqlens_k(%ck : memref<?xi32>) out(%o : memref<?x8x64xf16>) scale(0.125) causal
  return
}

// -----

func.func @varlen_kv_quant(%q: memref<?x8x64xf16>, %k: memref<?x2x64xf8E4M3FN>,
                           %v: memref<?x2x64xf8E4M3FN>, %cq: memref<?xi32>, %ck: memref<?xi32>,
                           %ks: memref<1xf32>, %vs: memref<1xf32>, %o: memref<?x8x64xf16>) {
  // expected-error @+1 {{kv_quant applies to paged caches only}}
  attn.varlen_attention q(%q : memref<?x8x64xf16>) k(%k : memref<?x2x64xf8E4M3FN>)
      v(%v : memref<?x2x64xf8E4M3FN>) cu_seqlens_q(%cq : memref<?xi32>)
      cu_seqlens_k(%ck : memref<?xi32>) k_scale(%ks : memref<1xf32>) v_scale(%vs : memref<1xf32>)
      out(%o : memref<?x8x64xf16>) scale(0.125) causal kv_quant <per_tensor>
  return
}

// -----

func.func @k_cache_block_size_dynamic(%q: memref<?x8x64xf16>, %kc: memref<?x?x2x64xf16>,
                                      %vc: memref<?x16x2x64xf16>, %bt: memref<?x?xi32>,
                                      %sl: memref<?xi32>, %cu: memref<?xi32>, %o: memref<?x8x64xf16>) {
  // expected-error @+1 {{k_cache block_size (dim 1) must be static; got 'memref<?x?x2x64xf16>'}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x?x2x64xf16>)
      v_cache(%vc : memref<?x16x2x64xf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>) out(%o : memref<?x8x64xf16>)
      scale(0.125) causal
  return
}

// -----

func.func @v_cache_block_size_dynamic(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x64xf16>,
                                      %vc: memref<?x?x2x64xf16>, %bt: memref<?x?xi32>,
                                      %sl: memref<?xi32>, %cu: memref<?xi32>, %o: memref<?x8x64xf16>) {
  // expected-error @+1 {{v_cache block_size (dim 1) must be static; got 'memref<?x?x2x64xf16>'}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x64xf16>)
      v_cache(%vc : memref<?x?x2x64xf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>) out(%o : memref<?x8x64xf16>)
      scale(0.125) causal
  return
}

// -----

func.func @block_size_mismatch(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x64xf16>,
                               %vc: memref<?x32x2x64xf16>, %bt: memref<?x?xi32>, %sl: memref<?xi32>,
                               %cu: memref<?xi32>, %o: memref<?x8x64xf16>) {
  // expected-error @+1 {{v_cache block_size (32) must equal 16; got 'memref<?x32x2x64xf16>'}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x64xf16>)
      v_cache(%vc : memref<?x32x2x64xf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>) out(%o : memref<?x8x64xf16>)
      scale(0.125) causal
  return
}

// -----

func.func @k_cache_kv_heads_dynamic(%q: memref<?x8x64xf16>, %kc: memref<?x16x?x64xf16>,
                                    %vc: memref<?x16x2x64xf16>, %bt: memref<?x?xi32>,
                                    %sl: memref<?xi32>, %cu: memref<?xi32>, %o: memref<?x8x64xf16>) {
  // expected-error @+1 {{k_cache kv_heads (dim 2) must be static; got 'memref<?x16x?x64xf16>'}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x?x64xf16>)
      v_cache(%vc : memref<?x16x2x64xf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>) out(%o : memref<?x8x64xf16>)
      scale(0.125) causal
  return
}

// -----

func.func @kv_heads_mismatch(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x64xf16>,
                             %vc: memref<?x16x4x64xf16>, %bt: memref<?x?xi32>, %sl: memref<?xi32>,
                             %cu: memref<?xi32>, %o: memref<?x8x64xf16>) {
  // expected-error @+1 {{v_cache kv_heads (4) must equal 2; got 'memref<?x16x4x64xf16>'}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x64xf16>)
      v_cache(%vc : memref<?x16x4x64xf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>) out(%o : memref<?x8x64xf16>)
      scale(0.125) causal
  return
}

// -----

func.func @varlen_kv_heads_mismatch(%q: memref<?x8x64xf16>, %k: memref<?x2x64xf16>,
                                    %v: memref<?x1x64xf16>, %cq: memref<?xi32>, %ck: memref<?xi32>,
                                    %o: memref<?x8x64xf16>) {
  // expected-error @+1 {{v kv_heads (1) must equal 2; got 'memref<?x1x64xf16>'}}
  attn.varlen_attention q(%q : memref<?x8x64xf16>) k(%k : memref<?x2x64xf16>)
      v(%v : memref<?x1x64xf16>) cu_seqlens_q(%cq : memref<?xi32>)
      cu_seqlens_k(%ck : memref<?xi32>) out(%o : memref<?x8x64xf16>) scale(0.125) causal
  return
}

// -----

func.func @k_cache_head_size_dynamic(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x?xf16>,
                                     %vc: memref<?x16x2x64xf16>, %bt: memref<?x?xi32>,
                                     %sl: memref<?xi32>, %cu: memref<?xi32>, %o: memref<?x8x64xf16>) {
  // expected-error @+1 {{k_cache head_size (dim 3) must be static; got 'memref<?x16x2x?xf16>'}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x?xf16>)
      v_cache(%vc : memref<?x16x2x64xf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>) out(%o : memref<?x8x64xf16>)
      scale(0.125) causal
  return
}

// -----

func.func @v_cache_head_size_dynamic(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x64xf16>,
                                     %vc: memref<?x16x2x?xf16>, %bt: memref<?x?xi32>,
                                     %sl: memref<?xi32>, %cu: memref<?xi32>, %o: memref<?x8x64xf16>) {
  // expected-error @+1 {{v_cache head_size (dim 3) must be static; got 'memref<?x16x2x?xf16>'}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x64xf16>)
      v_cache(%vc : memref<?x16x2x?xf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>) out(%o : memref<?x8x64xf16>)
      scale(0.125) causal
  return
}

// -----

func.func @heads_not_divisible(%q: memref<?x6x64xf16>, %kc: memref<?x16x4x64xf16>,
                               %vc: memref<?x16x4x64xf16>, %bt: memref<?x?xi32>, %sl: memref<?xi32>,
                               %cu: memref<?xi32>, %o: memref<?x6x64xf16>) {
  // expected-error @+1 {{query heads (6) must be a multiple of key/value heads (4)}}
  attn.paged_attention q(%q : memref<?x6x64xf16>) k_cache(%kc : memref<?x16x4x64xf16>)
      v_cache(%vc : memref<?x16x4x64xf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>) out(%o : memref<?x6x64xf16>)
      scale(0.125) causal
  return
}

// -----

func.func @varlen_heads_not_divisible(%q: memref<?x8x64xf16>, %k: memref<?x3x64xf16>,
                                      %v: memref<?x3x64xf16>, %cq: memref<?xi32>, %ck: memref<?xi32>,
                                      %o: memref<?x8x64xf16>) {
  // expected-error @+1 {{query heads (8) must be a multiple of key/value heads (3)}}
  attn.varlen_attention q(%q : memref<?x8x64xf16>) k(%k : memref<?x3x64xf16>)
      v(%v : memref<?x3x64xf16>) cu_seqlens_q(%cq : memref<?xi32>)
      cu_seqlens_k(%ck : memref<?xi32>) out(%o : memref<?x8x64xf16>) scale(0.125) causal
  return
}

// -----

func.func @head_size_mismatch(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x128xf16>,
                              %vc: memref<?x16x2x64xf16>, %bt: memref<?x?xi32>, %sl: memref<?xi32>,
                              %cu: memref<?xi32>, %o: memref<?x8x64xf16>) {
  // expected-error @+1 {{query head_size (64) must equal key head_size (128)}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x128xf16>)
      v_cache(%vc : memref<?x16x2x64xf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>) out(%o : memref<?x8x64xf16>)
      scale(0.125) causal
  return
}

// -----

func.func @varlen_head_size_mismatch(%q: memref<?x8x64xf16>, %k: memref<?x2x96xf16>,
                                     %v: memref<?x2x64xf16>, %cq: memref<?xi32>, %ck: memref<?xi32>,
                                     %o: memref<?x8x64xf16>) {
  // expected-error @+1 {{query head_size (64) must equal key head_size (96)}}
  attn.varlen_attention q(%q : memref<?x8x64xf16>) k(%k : memref<?x2x96xf16>)
      v(%v : memref<?x2x64xf16>) cu_seqlens_q(%cq : memref<?xi32>)
      cu_seqlens_k(%ck : memref<?xi32>) out(%o : memref<?x8x64xf16>) scale(0.125) causal
  return
}

// -----

func.func @value_head_size_unsupported(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x64xf16>,
                                       %vc: memref<?x16x2x36xf16>, %bt: memref<?x?xi32>,
                                       %sl: memref<?xi32>, %cu: memref<?xi32>,
                                       %o: memref<?x8x36xf16>) {
  // expected-error @+1 {{value head_size (36) must be a multiple of 8 between 32 and 256}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x64xf16>)
      v_cache(%vc : memref<?x16x2x36xf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>) out(%o : memref<?x8x36xf16>)
      scale(0.125) causal
  return
}

// -----

func.func @value_head_size_too_large(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x64xf16>,
                                     %vc: memref<?x16x2x512xf16>, %bt: memref<?x?xi32>,
                                     %sl: memref<?xi32>, %cu: memref<?xi32>, %o: memref<?x8x512xf16>) {
  // expected-error @+1 {{value head_size (512) must be a multiple of 8 between 32 and 256}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x64xf16>)
      v_cache(%vc : memref<?x16x2x512xf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>)
      out(%o : memref<?x8x512xf16>) scale(0.125) causal
  return
}

// -----

func.func @out_4d_without_split(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x64xf16>,
                                %vc: memref<?x16x2x64xf16>, %bt: memref<?x?xi32>, %sl: memref<?xi32>,
                                %cu: memref<?xi32>, %o: memref<2x?x8x64xf32>) {
  // expected-error @+1 {{out must be 3-D [num_tokens, heads, head_size_v]; got 'memref<2x?x8x64xf32>'}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x64xf16>)
      v_cache(%vc : memref<?x16x2x64xf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>)
      out(%o : memref<2x?x8x64xf32>) scale(0.125) causal
  return
}

// -----

func.func @out_heads_mismatch(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x64xf16>,
                              %vc: memref<?x16x2x64xf16>, %bt: memref<?x?xi32>, %sl: memref<?xi32>,
                              %cu: memref<?xi32>, %o: memref<?x16x64xf16>) {
  // expected-error @+1 {{out heads (16) must equal 8; got 'memref<?x16x64xf16>'}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x64xf16>)
      v_cache(%vc : memref<?x16x2x64xf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>)
      out(%o : memref<?x16x64xf16>) scale(0.125) causal
  return
}

// -----

func.func @out_heads_dynamic(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x64xf16>,
                             %vc: memref<?x16x2x64xf16>, %bt: memref<?x?xi32>, %sl: memref<?xi32>,
                             %cu: memref<?xi32>, %o: memref<?x?x64xf16>) {
  // expected-error @+1 {{out heads (dim 1) must be static; got 'memref<?x?x64xf16>'}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x64xf16>)
      v_cache(%vc : memref<?x16x2x64xf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>) out(%o : memref<?x?x64xf16>)
      scale(0.125) causal
  return
}

// -----

func.func @out_head_size_mismatch(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x64xf16>,
                                  %vc: memref<?x16x2x64xf16>, %bt: memref<?x?xi32>,
                                  %sl: memref<?xi32>, %cu: memref<?xi32>, %o: memref<?x8x128xf16>) {
  // expected-error @+1 {{out head_size_v (128) must equal 64; got 'memref<?x8x128xf16>'}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x64xf16>)
      v_cache(%vc : memref<?x16x2x64xf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>)
      out(%o : memref<?x8x128xf16>) scale(0.125) causal
  return
}

// -----

// With head_size_v != head_size the output follows v.
func.func @out_head_size_v_mismatch(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x64xf16>,
                                    %vc: memref<?x16x2x128xf16>, %bt: memref<?x?xi32>,
                                    %sl: memref<?xi32>, %cu: memref<?xi32>, %o: memref<?x8x96xf16>) {
  // expected-error @+1 {{out head_size_v (96) must equal 128; got 'memref<?x8x96xf16>'}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x64xf16>)
      v_cache(%vc : memref<?x16x2x128xf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>) out(%o : memref<?x8x96xf16>)
      scale(0.125) causal
  return
}

// -----

func.func @out_dtype_mismatch(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x64xf16>,
                              %vc: memref<?x16x2x64xf16>, %bt: memref<?x?xi32>, %sl: memref<?xi32>,
                              %cu: memref<?xi32>, %o: memref<?x8x64xbf16>) {
  // expected-error @+1 {{out dtype ('bf16') must be the query dtype ('f16') or f8E4M3FN}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x64xf16>)
      v_cache(%vc : memref<?x16x2x64xf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>)
      out(%o : memref<?x8x64xbf16>) scale(0.125) causal
  return
}

// -----

func.func @fp8_out_with_f32_query(%q: memref<?x8x64xf32>, %kc: memref<?x16x2x64xf32>,
                                  %vc: memref<?x16x2x64xf32>, %bt: memref<?x?xi32>,
                                  %sl: memref<?xi32>, %cu: memref<?xi32>, %os: memref<1xf32>,
                                  %o: memref<?x8x64xf8E4M3FN>) {
  // expected-error @+1 {{fp8 output requires a 16-bit query dtype; got f32}}
  attn.paged_attention q(%q : memref<?x8x64xf32>) k_cache(%kc : memref<?x16x2x64xf32>)
      v_cache(%vc : memref<?x16x2x64xf32>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>)
      out_scale(%os : memref<1xf32>) out(%o : memref<?x8x64xf8E4M3FN>) scale(0.125) causal
  return
}

// -----

func.func @fp8_out_without_out_scale(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x64xf16>,
                                     %vc: memref<?x16x2x64xf16>, %bt: memref<?x?xi32>,
                                     %sl: memref<?xi32>, %cu: memref<?xi32>,
                                     %o: memref<?x8x64xf8E4M3FN>) {
  // expected-error @+1 {{fp8 output requires out_scale}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x64xf16>)
      v_cache(%vc : memref<?x16x2x64xf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>)
      out(%o : memref<?x8x64xf8E4M3FN>) scale(0.125) causal
  return
}

// -----

func.func @out_scale_without_fp8_out(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x64xf16>,
                                     %vc: memref<?x16x2x64xf16>, %bt: memref<?x?xi32>,
                                     %sl: memref<?xi32>, %cu: memref<?xi32>, %os: memref<1xf32>,
                                     %o: memref<?x8x64xf16>) {
  // expected-error @+1 {{out_scale is only read for an f8E4M3FN output; out is 'f16'}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x64xf16>)
      v_cache(%vc : memref<?x16x2x64xf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>)
      out_scale(%os : memref<1xf32>) out(%o : memref<?x8x64xf16>) scale(0.125) causal
  return
}

// -----

func.func @out_scale_not_scalar(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x64xf16>,
                                %vc: memref<?x16x2x64xf16>, %bt: memref<?x?xi32>, %sl: memref<?xi32>,
                                %cu: memref<?xi32>, %os: memref<2xf32>, %o: memref<?x8x64xf8E4M3FN>) {
  // expected-error @+1 {{out_scale must be a memref<1xf32>; got 'memref<2xf32>'}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x64xf16>)
      v_cache(%vc : memref<?x16x2x64xf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>)
      out_scale(%os : memref<2xf32>) out(%o : memref<?x8x64xf8E4M3FN>) scale(0.125) causal
  return
}

// -----

func.func @lse_rank(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x64xf16>, %vc: memref<?x16x2x64xf16>,
                    %bt: memref<?x?xi32>, %sl: memref<?xi32>, %cu: memref<?xi32>,
                    %o: memref<?x8x64xf16>, %l: memref<1x?x8xf32>) {
  // expected-error @+1 {{lse must be [num_tokens, heads]; got 'memref<1x?x8xf32>'}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x64xf16>)
      v_cache(%vc : memref<?x16x2x64xf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>) out(%o : memref<?x8x64xf16>)
      lse(%l : memref<1x?x8xf32>) scale(0.125) causal
  return
}

// -----

func.func @lse_heads_mismatch(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x64xf16>,
                              %vc: memref<?x16x2x64xf16>, %bt: memref<?x?xi32>, %sl: memref<?xi32>,
                              %cu: memref<?xi32>, %o: memref<?x8x64xf16>, %l: memref<?x4xf32>) {
  // expected-error @+1 {{lse heads (4) must equal 8; got 'memref<?x4xf32>'}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x64xf16>)
      v_cache(%vc : memref<?x16x2x64xf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>) out(%o : memref<?x8x64xf16>)
      lse(%l : memref<?x4xf32>) scale(0.125) causal
  return
}

// -----

func.func @lse_heads_dynamic(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x64xf16>,
                             %vc: memref<?x16x2x64xf16>, %bt: memref<?x?xi32>, %sl: memref<?xi32>,
                             %cu: memref<?xi32>, %o: memref<?x8x64xf16>, %l: memref<?x?xf32>) {
  // expected-error @+1 {{lse heads (dim 1) must be static; got 'memref<?x?xf32>'}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x64xf16>)
      v_cache(%vc : memref<?x16x2x64xf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>) out(%o : memref<?x8x64xf16>)
      lse(%l : memref<?x?xf32>) scale(0.125) causal
  return
}
