// RUN: attn-opt %s --split-input-file --verify-diagnostics

// Verifier errors specific to MI300's fp8 formats (f8E4M3FNUZ, f8E5M2FNUZ)
// as KV caches: they follow the rules of the OCP fp8 caches (per-tensor
// quantization only, K and V of one type, scales required) and are KV
// formats only (not output types).
// Each case is the smallest change to a valid op that breaks one rule.

func.func @fnuz_cache_without_quant(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x64xf8E4M3FNUZ>,
                                    %vc: memref<?x16x2x64xf8E4M3FNUZ>, %bt: memref<?x?xi32>,
                                    %sl: memref<?xi32>, %cu: memref<?xi32>,
                                    %o: memref<?x8x64xf16>) {
  // expected-error @+1 {{k_cache dtype ('f8E4M3FNUZ') must equal the query dtype ('f16') without kv_quant}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x64xf8E4M3FNUZ>)
      v_cache(%vc : memref<?x16x2x64xf8E4M3FNUZ>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>) out(%o : memref<?x8x64xf16>)
      scale(0.125) causal
  return
}

// -----

// fnuz K with OCP V: one fp8 format for both caches.
func.func @fnuz_k_ocp_v(%q: memref<?x8x64xbf16>, %kc: memref<?x16x2x64xf8E4M3FNUZ>,
                        %vc: memref<?x16x2x64xf8E4M3FN>, %bt: memref<?x?xi32>,
                        %sl: memref<?xi32>, %cu: memref<?xi32>, %ks: memref<1xf32>,
                        %vs: memref<1xf32>, %o: memref<?x8x64xbf16>) {
  // expected-error @+1 {{k_cache dtype ('f8E4M3FNUZ') must equal v_cache dtype ('f8E4M3FN')}}
  attn.paged_attention q(%q : memref<?x8x64xbf16>) k_cache(%kc : memref<?x16x2x64xf8E4M3FNUZ>)
      v_cache(%vc : memref<?x16x2x64xf8E4M3FN>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>) k_scale(%ks : memref<1xf32>)
      v_scale(%vs : memref<1xf32>) out(%o : memref<?x8x64xbf16>) scale(0.125)
      causal kv_quant <per_tensor>
  return
}

// -----

func.func @e4m3fnuz_k_e5m2fnuz_v(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x64xf8E4M3FNUZ>,
                                 %vc: memref<?x16x2x64xf8E5M2FNUZ>, %bt: memref<?x?xi32>,
                                 %sl: memref<?xi32>, %cu: memref<?xi32>, %ks: memref<1xf32>,
                                 %vs: memref<1xf32>, %o: memref<?x8x64xf16>) {
  // expected-error @+1 {{k_cache dtype ('f8E4M3FNUZ') must equal v_cache dtype ('f8E5M2FNUZ')}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x64xf8E4M3FNUZ>)
      v_cache(%vc : memref<?x16x2x64xf8E5M2FNUZ>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>) k_scale(%ks : memref<1xf32>)
      v_scale(%vs : memref<1xf32>) out(%o : memref<?x8x64xf16>) scale(0.125)
      causal kv_quant <per_tensor>
  return
}

// -----

func.func @fnuz_per_tensor_without_scales(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x64xf8E5M2FNUZ>,
                                          %vc: memref<?x16x2x64xf8E5M2FNUZ>, %bt: memref<?x?xi32>,
                                          %sl: memref<?xi32>, %cu: memref<?xi32>,
                                          %o: memref<?x8x64xf16>) {
  // expected-error @+1 {{kv_quant <per_tensor> requires k_scale and v_scale}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x64xf8E5M2FNUZ>)
      v_cache(%vc : memref<?x16x2x64xf8E5M2FNUZ>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>) out(%o : memref<?x8x64xf16>)
      scale(0.125) causal kv_quant <per_tensor>
  return
}

// -----

// Per-token-head caches are bytes, even when their values are fp8.
func.func @fnuz_per_token_head(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x68xf8E4M3FNUZ>,
                               %vc: memref<?x16x2x68xf8E4M3FNUZ>, %bt: memref<?x?xi32>,
                               %sl: memref<?xi32>, %cu: memref<?xi32>,
                               %o: memref<?x8x64xf16>) {
  // expected-error @+1 {{kv_quant <per_token_head_fp8> stores bytes: k_cache must be i8; got 'f8E4M3FNUZ'}}
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x68xf8E4M3FNUZ>)
      v_cache(%vc : memref<?x16x2x68xf8E4M3FNUZ>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>) out(%o : memref<?x8x64xf16>)
      scale(0.125) causal kv_quant <per_token_head_fp8>
  return
}

// -----

// The output may be f8E4M3FN, not a fnuz format.
func.func @fnuz_output(%q: memref<?x8x64xbf16>, %kc: memref<?x16x2x64xf8E4M3FNUZ>,
                       %vc: memref<?x16x2x64xf8E4M3FNUZ>, %bt: memref<?x?xi32>,
                       %sl: memref<?xi32>, %cu: memref<?xi32>, %ks: memref<1xf32>,
                       %vs: memref<1xf32>, %os: memref<1xf32>, %o: memref<?x8x64xf8E4M3FNUZ>) {
  // expected-error @+1 {{operand #9 must be 3D/4D memref of 16-bit float or bfloat16 type or 32-bit float or f8E4M3FN type values, but got 'memref<?x8x64xf8E4M3FNUZ>'}}
  attn.paged_attention q(%q : memref<?x8x64xbf16>) k_cache(%kc : memref<?x16x2x64xf8E4M3FNUZ>)
      v_cache(%vc : memref<?x16x2x64xf8E4M3FNUZ>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>) k_scale(%ks : memref<1xf32>)
      v_scale(%vs : memref<1xf32>) out_scale(%os : memref<1xf32>) out(%o : memref<?x8x64xf8E4M3FNUZ>)
      scale(0.125) causal kv_quant <per_tensor>
  return
}

// -----

func.func @cache_write_fnuz_without_quant(%k: memref<?x2x64xf16>, %v: memref<?x2x64xf16>,
                                          %kc: memref<?x16x2x64xf8E5M2FNUZ>,
                                          %vc: memref<?x16x2x64xf8E5M2FNUZ>, %sm: memref<?xi64>) {
  // expected-error @+1 {{k_cache dtype ('f8E5M2FNUZ') must equal the query dtype ('f16') without kv_quant}}
  attn.cache_write key(%k : memref<?x2x64xf16>) value(%v : memref<?x2x64xf16>)
      k_cache(%kc : memref<?x16x2x64xf8E5M2FNUZ>) v_cache(%vc : memref<?x16x2x64xf8E5M2FNUZ>)
      slot_mapping(%sm : memref<?xi64>)
  return
}

// -----

func.func @cache_write_ocp_k_fnuz_v(%k: memref<?x2x64xbf16>, %v: memref<?x2x64xbf16>,
                                    %kc: memref<?x16x2x64xf8E5M2>, %vc: memref<?x16x2x64xf8E5M2FNUZ>,
                                    %s: memref<?xi64>, %ks: memref<1xf32>, %vs: memref<1xf32>) {
  // expected-error @+1 {{k_cache dtype ('f8E5M2') must equal v_cache dtype ('f8E5M2FNUZ')}}
  attn.cache_write key(%k : memref<?x2x64xbf16>) value(%v : memref<?x2x64xbf16>)
      k_cache(%kc : memref<?x16x2x64xf8E5M2>) v_cache(%vc : memref<?x16x2x64xf8E5M2FNUZ>)
      slot_mapping(%s : memref<?xi64>) k_scale(%ks : memref<1xf32>) v_scale(%vs : memref<1xf32>)
      kv_quant <per_tensor>
  return
}

// -----

func.func @cache_write_fnuz_without_v_scale(%k: memref<?x2x64xf16>, %v: memref<?x2x64xf16>,
                                            %kc: memref<?x16x2x64xf8E4M3FNUZ>,
                                            %vc: memref<?x16x2x64xf8E4M3FNUZ>, %sm: memref<?xi64>,
                                            %ks: memref<1xf32>) {
  // expected-error @+1 {{kv_quant <per_tensor> requires k_scale and v_scale}}
  attn.cache_write key(%k : memref<?x2x64xf16>) value(%v : memref<?x2x64xf16>)
      k_cache(%kc : memref<?x16x2x64xf8E4M3FNUZ>) v_cache(%vc : memref<?x16x2x64xf8E4M3FNUZ>)
      slot_mapping(%sm : memref<?xi64>) k_scale(%ks : memref<1xf32>) kv_quant <per_tensor>
  return
}

// -----

// fnuz keys/values: the new rows are f16/bf16/f32, never fp8.
func.func @cache_write_fnuz_key(%k: memref<?x2x64xf8E4M3FNUZ>, %v: memref<?x2x64xf8E4M3FNUZ>,
                                %kc: memref<?x16x2x64xf8E4M3FNUZ>, %vc: memref<?x16x2x64xf8E4M3FNUZ>,
                                %sm: memref<?xi64>, %ks: memref<1xf32>, %vs: memref<1xf32>) {
  // expected-error @+1 {{operand #0 must be 3D memref of 16-bit float or bfloat16 type or 32-bit float values, but got 'memref<?x2x64xf8E4M3FNUZ>'}}
  attn.cache_write key(%k : memref<?x2x64xf8E4M3FNUZ>) value(%v : memref<?x2x64xf8E4M3FNUZ>)
      k_cache(%kc : memref<?x16x2x64xf8E4M3FNUZ>) v_cache(%vc : memref<?x16x2x64xf8E4M3FNUZ>)
      slot_mapping(%sm : memref<?xi64>) k_scale(%ks : memref<1xf32>) v_scale(%vs : memref<1xf32>)
      kv_quant <per_tensor>
  return
}
