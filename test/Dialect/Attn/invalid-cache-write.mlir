// RUN: attn-opt %s --split-input-file --verify-diagnostics

// Verifier errors of attn.cache_write.
// Each case is the smallest change to a valid op that breaks one rule.

func.func @cache_write_key_value_dtype(%k: memref<?x2x64xf16>, %v: memref<?x2x64xbf16>,
                                       %kc: memref<?x16x2x64xf16>, %vc: memref<?x16x2x64xf16>,
                                       %sm: memref<?xi64>) {
  // expected-error @+1 {{key dtype ('f16') must equal value dtype ('bf16')}}
  attn.cache_write key(%k : memref<?x2x64xf16>) value(%v : memref<?x2x64xbf16>)
      k_cache(%kc : memref<?x16x2x64xf16>) v_cache(%vc : memref<?x16x2x64xf16>)
      slot_mapping(%sm : memref<?xi64>)
  return
}

// -----

func.func @cache_write_key_kv_heads_dynamic(%k: memref<?x?x64xf16>, %v: memref<?x2x64xf16>,
                                            %kc: memref<?x16x2x64xf16>, %vc: memref<?x16x2x64xf16>,
                                            %sm: memref<?xi64>) {
  // expected-error @+1 {{key kv_heads (dim 1) must be static; got 'memref<?x?x64xf16>'}}
  attn.cache_write key(%k : memref<?x?x64xf16>) value(%v : memref<?x2x64xf16>)
      k_cache(%kc : memref<?x16x2x64xf16>) v_cache(%vc : memref<?x16x2x64xf16>)
      slot_mapping(%sm : memref<?xi64>)
  return
}

// -----

func.func @cache_write_value_head_size_dynamic(%k: memref<?x2x64xf16>, %v: memref<?x2x?xf16>,
                                               %kc: memref<?x16x2x64xf16>,
                                               %vc: memref<?x16x2x64xf16>, %sm: memref<?xi64>) {
  // expected-error @+1 {{value head_size (dim 2) must be static; got 'memref<?x2x?xf16>'}}
  attn.cache_write key(%k : memref<?x2x64xf16>) value(%v : memref<?x2x?xf16>)
      k_cache(%kc : memref<?x16x2x64xf16>) v_cache(%vc : memref<?x16x2x64xf16>)
      slot_mapping(%sm : memref<?xi64>)
  return
}

// -----

func.func @cache_write_block_size_dynamic(%k: memref<?x2x64xf16>, %v: memref<?x2x64xf16>,
                                          %kc: memref<?x?x2x64xf16>, %vc: memref<?x16x2x64xf16>,
                                          %sm: memref<?xi64>) {
  // expected-error @+1 {{k_cache block_size (dim 1) must be static; got 'memref<?x?x2x64xf16>'}}
  attn.cache_write key(%k : memref<?x2x64xf16>) value(%v : memref<?x2x64xf16>)
      k_cache(%kc : memref<?x?x2x64xf16>) v_cache(%vc : memref<?x16x2x64xf16>)
      slot_mapping(%sm : memref<?xi64>)
  return
}

// -----

func.func @cache_write_block_size_mismatch(%k: memref<?x2x64xf16>, %v: memref<?x2x64xf16>,
                                           %kc: memref<?x16x2x64xf16>, %vc: memref<?x8x2x64xf16>,
                                           %sm: memref<?xi64>) {
  // expected-error @+1 {{v_cache block_size (8) must equal 16; got 'memref<?x8x2x64xf16>'}}
  attn.cache_write key(%k : memref<?x2x64xf16>) value(%v : memref<?x2x64xf16>)
      k_cache(%kc : memref<?x16x2x64xf16>) v_cache(%vc : memref<?x8x2x64xf16>)
      slot_mapping(%sm : memref<?xi64>)
  return
}

// -----

func.func @cache_write_k_cache_kv_heads(%k: memref<?x2x64xf16>, %v: memref<?x2x64xf16>,
                                        %kc: memref<?x16x4x64xf16>, %vc: memref<?x16x2x64xf16>,
                                        %sm: memref<?xi64>) {
  // expected-error @+1 {{k_cache kv_heads (4) must equal 2; got 'memref<?x16x4x64xf16>'}}
  attn.cache_write key(%k : memref<?x2x64xf16>) value(%v : memref<?x2x64xf16>)
      k_cache(%kc : memref<?x16x4x64xf16>) v_cache(%vc : memref<?x16x2x64xf16>)
      slot_mapping(%sm : memref<?xi64>)
  return
}

// -----

func.func @cache_write_v_cache_kv_heads(%k: memref<?x2x64xf16>, %v: memref<?x2x64xf16>,
                                        %kc: memref<?x16x2x64xf16>, %vc: memref<?x16x1x64xf16>,
                                        %sm: memref<?xi64>) {
  // expected-error @+1 {{v_cache kv_heads (1) must equal 2; got 'memref<?x16x1x64xf16>'}}
  attn.cache_write key(%k : memref<?x2x64xf16>) value(%v : memref<?x2x64xf16>)
      k_cache(%kc : memref<?x16x2x64xf16>) v_cache(%vc : memref<?x16x1x64xf16>)
      slot_mapping(%sm : memref<?xi64>)
  return
}

// -----

func.func @cache_write_value_kv_heads(%k: memref<?x2x64xf16>, %v: memref<?x4x64xf16>,
                                      %kc: memref<?x16x2x64xf16>, %vc: memref<?x16x2x64xf16>,
                                      %sm: memref<?xi64>) {
  // expected-error @+1 {{value kv_heads (4) must equal 2; got 'memref<?x4x64xf16>'}}
  attn.cache_write key(%k : memref<?x2x64xf16>) value(%v : memref<?x4x64xf16>)
      k_cache(%kc : memref<?x16x2x64xf16>) v_cache(%vc : memref<?x16x2x64xf16>)
      slot_mapping(%sm : memref<?xi64>)
  return
}

// -----

func.func @cache_write_key_head_size(%k: memref<?x2x36xf16>, %v: memref<?x2x64xf16>,
                                     %kc: memref<?x16x2x36xf16>, %vc: memref<?x16x2x64xf16>,
                                     %sm: memref<?xi64>) {
  // expected-error @+1 {{key head_size (36) must be a multiple of 8 between 32 and 256}}
  attn.cache_write key(%k : memref<?x2x36xf16>) value(%v : memref<?x2x64xf16>)
      k_cache(%kc : memref<?x16x2x36xf16>) v_cache(%vc : memref<?x16x2x64xf16>)
      slot_mapping(%sm : memref<?xi64>)
  return
}

// -----

func.func @cache_write_value_head_size(%k: memref<?x2x64xf16>, %v: memref<?x2x264xf16>,
                                       %kc: memref<?x16x2x64xf16>, %vc: memref<?x16x2x264xf16>,
                                       %sm: memref<?xi64>) {
  // expected-error @+1 {{value head_size (264) must be a multiple of 8 between 32 and 256}}
  attn.cache_write key(%k : memref<?x2x64xf16>) value(%v : memref<?x2x264xf16>)
      k_cache(%kc : memref<?x16x2x64xf16>) v_cache(%vc : memref<?x16x2x264xf16>)
      slot_mapping(%sm : memref<?xi64>)
  return
}

// -----

func.func @cache_write_k_cache_row(%k: memref<?x2x64xf16>, %v: memref<?x2x64xf16>,
                                   %kc: memref<?x16x2x128xf16>, %vc: memref<?x16x2x64xf16>,
                                   %sm: memref<?xi64>) {
  // expected-error @+1 {{k_cache row size (128) must equal 64; got 'memref<?x16x2x128xf16>'}}
  attn.cache_write key(%k : memref<?x2x64xf16>) value(%v : memref<?x2x64xf16>)
      k_cache(%kc : memref<?x16x2x128xf16>) v_cache(%vc : memref<?x16x2x64xf16>)
      slot_mapping(%sm : memref<?xi64>)
  return
}

// -----

// head_size_v (128) != head_size (64): v_cache rows follow value.
func.func @cache_write_v_cache_row(%k: memref<?x2x64xf16>, %v: memref<?x2x128xf16>,
                                   %kc: memref<?x16x2x64xf16>, %vc: memref<?x16x2x64xf16>,
                                   %sm: memref<?xi64>) {
  // expected-error @+1 {{v_cache row size (64) must equal 128; got 'memref<?x16x2x64xf16>'}}
  attn.cache_write key(%k : memref<?x2x64xf16>) value(%v : memref<?x2x128xf16>)
      k_cache(%kc : memref<?x16x2x64xf16>) v_cache(%vc : memref<?x16x2x64xf16>)
      slot_mapping(%sm : memref<?xi64>)
  return
}

// -----

// Per-token-head rows carry 4 more bytes (the scale).
func.func @cache_write_per_token_head_row(%k: memref<?x2x64xf16>, %v: memref<?x2x64xf16>,
                                          %kc: memref<?x16x2x64xi8>, %vc: memref<?x16x2x68xi8>,
                                          %sm: memref<?xi64>) {
  // expected-error @+1 {{k_cache row size (64) must equal 68; got 'memref<?x16x2x64xi8>'}}
  attn.cache_write key(%k : memref<?x2x64xf16>) value(%v : memref<?x2x64xf16>)
      k_cache(%kc : memref<?x16x2x64xi8>) v_cache(%vc : memref<?x16x2x68xi8>)
      slot_mapping(%sm : memref<?xi64>) kv_quant <per_token_head_int8>
  return
}

// -----

func.func @cache_write_per_token_head_v_row(%k: memref<?x2x64xf16>, %v: memref<?x2x64xf16>,
                                            %kc: memref<?x16x2x68xi8>, %vc: memref<?x16x2x64xi8>,
                                            %sm: memref<?xi64>) {
  // expected-error @+1 {{v_cache row size (64) must equal 68; got 'memref<?x16x2x64xi8>'}}
  attn.cache_write key(%k : memref<?x2x64xf16>) value(%v : memref<?x2x64xf16>)
      k_cache(%kc : memref<?x16x2x68xi8>) v_cache(%vc : memref<?x16x2x64xi8>)
      slot_mapping(%sm : memref<?xi64>) kv_quant <per_token_head_fp8>
  return
}

// -----

func.func @cache_write_dtype_without_quant(%k: memref<?x2x64xf16>, %v: memref<?x2x64xf16>,
                                           %kc: memref<?x16x2x64xbf16>, %vc: memref<?x16x2x64xbf16>,
                                           %sm: memref<?xi64>) {
  // expected-error @+1 {{k_cache dtype ('bf16') must equal the query dtype ('f16') without kv_quant}}
  attn.cache_write key(%k : memref<?x2x64xf16>) value(%v : memref<?x2x64xf16>)
      k_cache(%kc : memref<?x16x2x64xbf16>) v_cache(%vc : memref<?x16x2x64xbf16>)
      slot_mapping(%sm : memref<?xi64>)
  return
}

// -----

func.func @cache_write_fp8_cache_without_quant(%k: memref<?x2x64xf16>, %v: memref<?x2x64xf16>,
                                               %kc: memref<?x16x2x64xf16>,
                                               %vc: memref<?x16x2x64xf8E4M3FN>, %sm: memref<?xi64>) {
  // expected-error @+1 {{v_cache dtype ('f8E4M3FN') must equal the query dtype ('f16') without kv_quant}}
  attn.cache_write key(%k : memref<?x2x64xf16>) value(%v : memref<?x2x64xf16>)
      k_cache(%kc : memref<?x16x2x64xf16>) v_cache(%vc : memref<?x16x2x64xf8E4M3FN>)
      slot_mapping(%sm : memref<?xi64>)
  return
}

// -----

func.func @cache_write_per_tensor_with_i8(%k: memref<?x2x64xf16>, %v: memref<?x2x64xf16>,
                                          %kc: memref<?x16x2x64xi8>, %vc: memref<?x16x2x64xi8>,
                                          %sm: memref<?xi64>, %ks: memref<1xf32>, %vs: memref<1xf32>) {
  // expected-error @+1 {{kv_quant <per_tensor> needs an fp8 k_cache (f8E4M3FN, f8E5M2, f8E4M3FNUZ or f8E5M2FNUZ); got 'i8'}}
  attn.cache_write key(%k : memref<?x2x64xf16>) value(%v : memref<?x2x64xf16>)
      k_cache(%kc : memref<?x16x2x64xi8>) v_cache(%vc : memref<?x16x2x64xi8>)
      slot_mapping(%sm : memref<?xi64>) k_scale(%ks : memref<1xf32>) v_scale(%vs : memref<1xf32>)
      kv_quant <per_tensor>
  return
}

// -----

func.func @cache_write_per_token_head_with_fp8(%k: memref<?x2x64xf16>, %v: memref<?x2x64xf16>,
                                               %kc: memref<?x16x2x68xf8E4M3FN>,
                                               %vc: memref<?x16x2x68xf8E4M3FN>, %sm: memref<?xi64>) {
  // expected-error @+1 {{kv_quant <per_token_head_fp8> stores bytes: k_cache must be i8; got 'f8E4M3FN'}}
  attn.cache_write key(%k : memref<?x2x64xf16>) value(%v : memref<?x2x64xf16>)
      k_cache(%kc : memref<?x16x2x68xf8E4M3FN>) v_cache(%vc : memref<?x16x2x68xf8E4M3FN>)
      slot_mapping(%sm : memref<?xi64>) kv_quant <per_token_head_fp8>
  return
}

// -----

func.func @cache_write_per_tensor_without_scales(%k: memref<?x2x64xf16>, %v: memref<?x2x64xf16>,
                                                 %kc: memref<?x16x2x64xf8E4M3FN>,
                                                 %vc: memref<?x16x2x64xf8E4M3FN>, %sm: memref<?xi64>,
                                                 %ks: memref<1xf32>) {
  // expected-error @+1 {{kv_quant <per_tensor> requires k_scale and v_scale}}
  attn.cache_write key(%k : memref<?x2x64xf16>) value(%v : memref<?x2x64xf16>)
      k_cache(%kc : memref<?x16x2x64xf8E4M3FN>) v_cache(%vc : memref<?x16x2x64xf8E4M3FN>)
      slot_mapping(%sm : memref<?xi64>) k_scale(%ks : memref<1xf32>) kv_quant <per_tensor>
  return
}

// -----

func.func @cache_write_scales_without_quant(%k: memref<?x2x64xf16>, %v: memref<?x2x64xf16>,
                                            %kc: memref<?x16x2x64xf16>, %vc: memref<?x16x2x64xf16>,
                                            %sm: memref<?xi64>, %ks: memref<1xf32>,
                                            %vs: memref<1xf32>) {
  // expected-error @+1 {{k_scale/v_scale are only read with kv_quant <per_tensor>}}
  attn.cache_write key(%k : memref<?x2x64xf16>) value(%v : memref<?x2x64xf16>)
      k_cache(%kc : memref<?x16x2x64xf16>) v_cache(%vc : memref<?x16x2x64xf16>)
      slot_mapping(%sm : memref<?xi64>) k_scale(%ks : memref<1xf32>) v_scale(%vs : memref<1xf32>)
  return
}

// -----

func.func @cache_write_scales_with_per_token_head(%k: memref<?x2x64xf16>, %v: memref<?x2x64xf16>,
                                                  %kc: memref<?x16x2x68xi8>,
                                                  %vc: memref<?x16x2x68xi8>, %sm: memref<?xi64>,
                                                  %ks: memref<1xf32>, %vs: memref<1xf32>) {
  // expected-error @+1 {{k_scale/v_scale are only read with kv_quant <per_tensor>}}
  attn.cache_write key(%k : memref<?x2x64xf16>) value(%v : memref<?x2x64xf16>)
      k_cache(%kc : memref<?x16x2x68xi8>) v_cache(%vc : memref<?x16x2x68xi8>)
      slot_mapping(%sm : memref<?xi64>) k_scale(%ks : memref<1xf32>) v_scale(%vs : memref<1xf32>)
      kv_quant <per_token_head_int8>
  return
}

// -----

func.func @cache_write_k_scale_not_scalar(%k: memref<?x2x64xf16>, %v: memref<?x2x64xf16>,
                                          %kc: memref<?x16x2x64xf8E4M3FN>,
                                          %vc: memref<?x16x2x64xf8E4M3FN>, %sm: memref<?xi64>,
                                          %ks: memref<2xf32>, %vs: memref<1xf32>) {
  // expected-error @+1 {{k_scale must be a memref<1xf32>; got 'memref<2xf32>'}}
  attn.cache_write key(%k : memref<?x2x64xf16>) value(%v : memref<?x2x64xf16>)
      k_cache(%kc : memref<?x16x2x64xf8E4M3FN>) v_cache(%vc : memref<?x16x2x64xf8E4M3FN>)
      slot_mapping(%sm : memref<?xi64>) k_scale(%ks : memref<2xf32>) v_scale(%vs : memref<1xf32>)
      kv_quant <per_tensor>
  return
}

// -----

func.func @cache_write_v_scale_not_scalar(%k: memref<?x2x64xf16>, %v: memref<?x2x64xf16>,
                                          %kc: memref<?x16x2x64xf8E4M3FN>,
                                          %vc: memref<?x16x2x64xf8E4M3FN>, %sm: memref<?xi64>,
                                          %ks: memref<1xf32>, %vs: memref<8xf32>) {
  // expected-error @+1 {{v_scale must be a memref<1xf32>; got 'memref<8xf32>'}}
  attn.cache_write key(%k : memref<?x2x64xf16>) value(%v : memref<?x2x64xf16>)
      k_cache(%kc : memref<?x16x2x64xf8E4M3FN>) v_cache(%vc : memref<?x16x2x64xf8E4M3FN>)
      slot_mapping(%sm : memref<?xi64>) k_scale(%ks : memref<1xf32>) v_scale(%vs : memref<8xf32>)
      kv_quant <per_tensor>
  return
}

// -----

func.func @cache_write_mixed_fp8(%k: memref<?x2x64xbf16>, %v: memref<?x2x64xbf16>,
                                 %kc: memref<?x16x2x64xf8E4M3FN>, %vc: memref<?x16x2x64xf8E5M2>,
                                 %s: memref<?xi64>, %ks: memref<1xf32>, %vs: memref<1xf32>) {
  // expected-error @+1 {{k_cache dtype ('f8E4M3FN') must equal v_cache dtype ('f8E5M2')}}
  attn.cache_write key(%k : memref<?x2x64xbf16>) value(%v : memref<?x2x64xbf16>)
      k_cache(%kc : memref<?x16x2x64xf8E4M3FN>) v_cache(%vc : memref<?x16x2x64xf8E5M2>)
      slot_mapping(%s : memref<?xi64>) k_scale(%ks : memref<1xf32>) v_scale(%vs : memref<1xf32>)
      kv_quant <per_tensor>
  return
}
