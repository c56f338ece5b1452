// RUN: attn-opt %s --split-input-file --verify-diagnostics

// Verifier errors of the KV cache in the attention ops: cache dtypes, kv_quant and
// the k/v scales.
// Each case is the smallest change to a valid op that breaks one rule.

func.func @kv_dtype_mismatch_without_quant(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x64xf8E4M3FN>,
                                           %vc: memref<?x16x2x64xf8E4M3FN>, %bt: memref<?x?xi32>,
                                           %sl: memref<?xi32>, %cu: memref<?xi32>,
                                           %o: memref<?x8x64xf16>) {
  // expected-error @+1 {{k_cache dtype ('f8E4M3FN') must equal the query dtype ('f16') without kv_quant}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x64xf8E4M3FN>)
      v_cache(%vc : memref<?x16x2x64xf8E4M3FN>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>) out(%o : memref<?x8x64xf16>)
      scale(0.125) causal
  return
}

// -----

func.func @v_dtype_mismatch_without_quant(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x64xf16>,
                                          %vc: memref<?x16x2x64xbf16>, %bt: memref<?x?xi32>,
                                          %sl: memref<?xi32>, %cu: memref<?xi32>,
                                          %o: memref<?x8x64xf16>) {
  // expected-error @+1 {{v_cache dtype ('bf16') must equal the query dtype ('f16') without kv_quant}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x64xf16>)
      v_cache(%vc : memref<?x16x2x64xbf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>) out(%o : memref<?x8x64xf16>)
      scale(0.125) causal
  return
}

// -----

func.func @varlen_kv_dtype_mismatch(%q: memref<?x8x64xf16>, %k: memref<?x2x64xf32>,
                                    %v: memref<?x2x64xf32>, %cq: memref<?xi32>, %ck: memref<?xi32>,
                                    %o: memref<?x8x64xf16>) {
  // expected-error @+1 {{k dtype ('f32') must equal the query dtype ('f16') without kv_quant}}
  attn.varlen_attention q(%q : memref<?x8x64xf16>) k(%k : memref<?x2x64xf32>)
      v(%v : memref<?x2x64xf32>) cu_seqlens_q(%cq : memref<?xi32>)
      cu_seqlens_k(%ck : memref<?xi32>) out(%o : memref<?x8x64xf16>) scale(0.125) causal
  return
}

// -----

func.func @per_tensor_with_f16_cache(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x64xf16>,
                                     %vc: memref<?x16x2x64xf16>, %bt: memref<?x?xi32>,
                                     %sl: memref<?xi32>, %cu: memref<?xi32>, %ks: memref<1xf32>,
                                     %vs: memref<1xf32>, %o: memref<?x8x64xf16>) {
  // expected-error @+1 {{kv_quant <per_tensor> needs an fp8 k_cache (f8E4M3FN, f8E5M2, f8E4M3FNUZ or f8E5M2FNUZ); got 'f16'}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x64xf16>)
      v_cache(%vc : memref<?x16x2x64xf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>) k_scale(%ks : memref<1xf32>)
      v_scale(%vs : memref<1xf32>) out(%o : memref<?x8x64xf16>) scale(0.125)
      causal kv_quant <per_tensor>
  return
}

// -----

func.func @per_tensor_with_i8_v_cache(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x64xf8E4M3FN>,
                                      %vc: memref<?x16x2x64xi8>, %bt: memref<?x?xi32>,
                                      %sl: memref<?xi32>, %cu: memref<?xi32>, %ks: memref<1xf32>,
                                      %vs: memref<1xf32>, %o: memref<?x8x64xf16>) {
  // expected-error @+1 {{kv_quant <per_tensor> needs an fp8 v_cache (f8E4M3FN, f8E5M2, f8E4M3FNUZ or f8E5M2FNUZ); got 'i8'}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x64xf8E4M3FN>)
      v_cache(%vc : memref<?x16x2x64xi8>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>) k_scale(%ks : memref<1xf32>)
      v_scale(%vs : memref<1xf32>) out(%o : memref<?x8x64xf16>) scale(0.125)
      causal kv_quant <per_tensor>
  return
}

// -----

func.func @per_tensor_mixed_fp8(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x64xf8E4M3FN>,
                                %vc: memref<?x16x2x64xf8E5M2>, %bt: memref<?x?xi32>,
                                %sl: memref<?xi32>, %cu: memref<?xi32>, %ks: memref<1xf32>,
                                %vs: memref<1xf32>, %o: memref<?x8x64xf16>) {
  // expected-error @+1 {{k_cache dtype ('f8E4M3FN') must equal v_cache dtype ('f8E5M2')}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x64xf8E4M3FN>)
      v_cache(%vc : memref<?x16x2x64xf8E5M2>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>) k_scale(%ks : memref<1xf32>)
      v_scale(%vs : memref<1xf32>) out(%o : memref<?x8x64xf16>) scale(0.125)
      causal kv_quant <per_tensor>
  return
}

// -----

func.func @per_tensor_without_scales(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x64xf8E4M3FN>,
                                     %vc: memref<?x16x2x64xf8E4M3FN>, %bt: memref<?x?xi32>,
                                     %sl: memref<?xi32>, %cu: memref<?xi32>, %o: memref<?x8x64xf16>) {
  // expected-error @+1 {{kv_quant <per_tensor> requires k_scale and v_scale}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x64xf8E4M3FN>)
      v_cache(%vc : memref<?x16x2x64xf8E4M3FN>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>) out(%o : memref<?x8x64xf16>)
      scale(0.125) causal kv_quant <per_tensor>
  return
}

// -----

func.func @per_tensor_without_v_scale(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x64xf8E4M3FN>,
                                      %vc: memref<?x16x2x64xf8E4M3FN>, %bt: memref<?x?xi32>,
                                      %sl: memref<?xi32>, %cu: memref<?xi32>, %ks: memref<1xf32>,
                                      %o: memref<?x8x64xf16>) {
  // expected-error @+1 {{kv_quant <per_tensor> requires k_scale and v_scale}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x64xf8E4M3FN>)
      v_cache(%vc : memref<?x16x2x64xf8E4M3FN>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>) k_scale(%ks : memref<1xf32>)
      out(%o : memref<?x8x64xf16>) scale(0.125) causal kv_quant <per_tensor>
  return
}

// -----

func.func @scales_without_quant(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x64xf16>,
                                %vc: memref<?x16x2x64xf16>, %bt: memref<?x?xi32>, %sl: memref<?xi32>,
                                %cu: memref<?xi32>, %ks: memref<1xf32>, %vs: memref<1xf32>,
                                %o: memref<?x8x64xf16>) {
  // expected-error @+1 {{k_scale/v_scale are only read with kv_quant <per_tensor>}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x64xf16>)
      v_cache(%vc : memref<?x16x2x64xf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>) k_scale(%ks : memref<1xf32>)
      v_scale(%vs : memref<1xf32>) out(%o : memref<?x8x64xf16>) scale(0.125) causal
  return
}

// -----

func.func @v_scale_without_quant(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x64xf16>,
                                 %vc: memref<?x16x2x64xf16>, %bt: memref<?x?xi32>,
                                 %sl: memref<?xi32>, %cu: memref<?xi32>, %vs: memref<1xf32>,
                                 %o: memref<?x8x64xf16>) {
  // expected-error @+1 {{k_scale/v_scale are only read with kv_quant <per_tensor>}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x64xf16>)
      v_cache(%vc : memref<?x16x2x64xf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>) v_scale(%vs : memref<1xf32>)
      out(%o : memref<?x8x64xf16>) scale(0.125) causal
  return
}

// -----

// Per-token-head scales live in the cache rows.
func.func @scales_with_per_token_head(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x68xi8>,
                                      %vc: memref<?x16x2x68xi8>, %bt: memref<?x?xi32>,
                                      %sl: memref<?xi32>, %cu: memref<?xi32>, %ks: memref<1xf32>,
                                      %vs: memref<1xf32>, %o: memref<?x8x64xf16>) {
  // expected-error @+1 {{k_scale/v_scale are only read with kv_quant <per_tensor>}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x68xi8>)
      v_cache(%vc : memref<?x16x2x68xi8>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>) k_scale(%ks : memref<1xf32>)
      v_scale(%vs : memref<1xf32>) out(%o : memref<?x8x64xf16>) scale(0.125)
      causal kv_quant <per_token_head_int8>
  return
}

// -----

func.func @k_scale_not_scalar(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x64xf8E4M3FN>,
                              %vc: memref<?x16x2x64xf8E4M3FN>, %bt: memref<?x?xi32>,
                              %sl: memref<?xi32>, %cu: memref<?xi32>, %ks: memref<2xf32>,
                              %vs: memref<1xf32>, %o: memref<?x8x64xf16>) {
  // expected-error @+1 {{k_scale must be a memref<1xf32>; got 'memref<2xf32>'}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x64xf8E4M3FN>)
      v_cache(%vc : memref<?x16x2x64xf8E4M3FN>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>) k_scale(%ks : memref<2xf32>)
      v_scale(%vs : memref<1xf32>) out(%o : memref<?x8x64xf16>) scale(0.125)
      causal kv_quant <per_tensor>
  return
}

// -----

func.func @v_scale_not_scalar(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x64xf8E4M3FN>,
                              %vc: memref<?x16x2x64xf8E4M3FN>, %bt: memref<?x?xi32>,
                              %sl: memref<?xi32>, %cu: memref<?xi32>, %ks: memref<1xf32>,
                              %vs: memref<?xf32>, %o: memref<?x8x64xf16>) {
  // expected-error @+1 {{v_scale must be a memref<1xf32>; got 'memref<?xf32>'}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x64xf8E4M3FN>)
      v_cache(%vc : memref<?x16x2x64xf8E4M3FN>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>) k_scale(%ks : memref<1xf32>)
      v_scale(%vs : memref<?xf32>) out(%o : memref<?x8x64xf16>) scale(0.125)
      causal kv_quant <per_tensor>
  return
}

// -----

func.func @per_token_head_int8_with_fp8_cache(%q: memref<?x8x64xf16>,
                                              %kc: memref<?x16x2x68xf8E4M3FN>,
                                              %vc: memref<?x16x2x68xf8E4M3FN>, %bt: memref<?x?xi32>,
                                              %sl: memref<?xi32>, %cu: memref<?xi32>,
                                              %o: memref<?x8x64xf16>) {
  // expected-error @+1 {{kv_quant <per_token_head_int8> stores bytes: k_cache must be i8; got 'f8E4M3FN'}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x68xf8E4M3FN>)
      v_cache(%vc : memref<?x16x2x68xf8E4M3FN>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>) out(%o : memref<?x8x64xf16>)
      scale(0.125) causal kv_quant <per_token_head_int8>
  return
}

// -----

func.func @per_token_head_fp8_with_f16_v_cache(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x68xi8>,
                                               %vc: memref<?x16x2x68xf16>, %bt: memref<?x?xi32>,
                                               %sl: memref<?xi32>, %cu: memref<?xi32>,
                                               %o: memref<?x8x64xf16>) {
  // expected-error @+1 {{kv_quant <per_token_head_fp8> stores bytes: v_cache must be i8; got 'f16'}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x68xi8>)
      v_cache(%vc : memref<?x16x2x68xf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>) out(%o : memref<?x8x64xf16>)
      scale(0.125) causal kv_quant <per_token_head_fp8>
  return
}

// -----

// The rows are head_size + 4 bytes; 64 leaves 60 for the data.
func.func @per_token_head_k_row_without_scale(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x64xi8>,
                                              %vc: memref<?x16x2x68xi8>, %bt: memref<?x?xi32>,
                                              %sl: memref<?xi32>, %cu: memref<?xi32>,
                                              %o: memref<?x8x64xf16>) {
  // expected-error @+1 {{query head_size (64) must equal key head_size (60) (the cache row minus its 4 scale bytes)}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x64xi8>)
      v_cache(%vc : memref<?x16x2x68xi8>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>) out(%o : memref<?x8x64xf16>)
      scale(0.125) causal kv_quant <per_token_head_int8>
  return
}

// -----

func.func @per_token_head_v_row_without_scale(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x68xi8>,
                                              %vc: memref<?x16x2x64xi8>, %bt: memref<?x?xi32>,
                                              %sl: memref<?xi32>, %cu: memref<?xi32>,
                                              %o: memref<?x8x60xf16>) {
  // expected-error @+1 {{value head_size (60) must be a multiple of 8 between 32 and 256}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x68xi8>)
      v_cache(%vc : memref<?x16x2x64xi8>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>) out(%o : memref<?x8x60xf16>)
      scale(0.125) causal kv_quant <per_token_head_fp8>
  return
}

// -----

// out is head_size_v wide, without the 4 scale bytes of the cache rows.
func.func @per_token_head_out_includes_scale_bytes(%q: memref<?x8x128xf16>,
                                                   %kc: memref<?x16x2x132xi8>,
                                                   %vc: memref<?x16x2x132xi8>, %bt: memref<?x?xi32>,
                                                   %sl: memref<?xi32>, %cu: memref<?xi32>,
                                                   %o: memref<?x8x132xf16>) {
  // expected-error @+1 {{out head_size_v (132) must equal 128; got 'memref<?x8x132xf16>'}}
  attn.paged_attention q(%q : memref<?x8x128xf16>) k_cache(%kc : memref<?x16x2x132xi8>)
      v_cache(%vc : memref<?x16x2x132xi8>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>)
      out(%o : memref<?x8x132xf16>) scale(0.125) causal kv_quant <per_token_head_int8>
  return
}
