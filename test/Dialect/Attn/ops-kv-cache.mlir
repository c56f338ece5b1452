// RUN: attn-opt %s --split-input-file | FileCheck %s
// RUN: attn-opt %s --split-input-file | attn-opt --split-input-file | FileCheck %s
// RUN: attn-opt %s --split-input-file --mlir-print-op-generic | attn-opt --split-input-file | FileCheck %s

// Round trip of the quantized KV caches: attn.paged_attention reading them
// and attn.cache_write writing them, for every kv_quant scheme.

// fp8 e4m3 caches, per-tensor descales.
// CHECK-LABEL: func.func @paged_fp8_e4m3_per_tensor
// CHECK-SAME:    %[[KS:[a-zA-Z0-9_]+]]: memref<1xf32>, %[[VS:[a-zA-Z0-9_]+]]: memref<1xf32>
// CHECK:         attn.paged_attention
// CHECK-SAME:      k_cache(%{{[^ ]+}} : memref<?x16x8x128xf8E4M3FN>) v_cache(%{{[^ ]+}} : memref<?x16x8x128xf8E4M3FN>)
// CHECK-SAME:      k_scale(%[[KS]] : memref<1xf32>) v_scale(%[[VS]] : memref<1xf32>) out(
// CHECK-SAME:      causal kv_quant <per_tensor>{{$}}
func.func @paged_fp8_e4m3_per_tensor(%q: memref<?x32x128xbf16>, %kc: memref<?x16x8x128xf8E4M3FN>,
                                     %vc: memref<?x16x8x128xf8E4M3FN>, %bt: memref<?x?xi32>,
                                     %sl: memref<?xi32>, %cu: memref<?xi32>,
                                     %ks: memref<1xf32>, %vs: memref<1xf32>,
                                     %o: memref<?x32x128xbf16>) {
  attn.paged_attention q(%q : memref<?x32x128xbf16>)
      k_cache(%kc : memref<?x16x8x128xf8E4M3FN>) v_cache(%vc : memref<?x16x8x128xf8E4M3FN>)
      block_table(%bt : memref<?x?xi32>) seq_lens(%sl : memref<?xi32>)
      cu_seqlens_q(%cu : memref<?xi32>)
      k_scale(%ks : memref<1xf32>) v_scale(%vs : memref<1xf32>)
      out(%o : memref<?x32x128xbf16>) scale(0.0883883461) causal kv_quant <per_tensor>
  return
}

// -----

// fp8 e5m2 caches, per-tensor descales, f16 query; the #attn.kv_quant
// spelling parses too.
// CHECK-LABEL: func.func @paged_fp8_e5m2_per_tensor
// CHECK:         attn.paged_attention
// CHECK-SAME:      k_cache(%{{[^ ]+}} : memref<?x16x8x128xf8E5M2>) v_cache(%{{[^ ]+}} : memref<?x16x8x128xf8E5M2>)
// CHECK-SAME:      k_scale(%{{[^ ]+}} : memref<1xf32>) v_scale(%{{[^ ]+}} : memref<1xf32>) out(
// CHECK-SAME:      causal kv_quant <per_tensor>{{$}}
func.func @paged_fp8_e5m2_per_tensor(%q: memref<?x32x128xf16>, %kc: memref<?x16x8x128xf8E5M2>,
                                     %vc: memref<?x16x8x128xf8E5M2>, %bt: memref<?x?xi32>,
                                     %sl: memref<?xi32>, %cu: memref<?xi32>,
                                     %ks: memref<1xf32>, %vs: memref<1xf32>,
                                     %o: memref<?x32x128xf16>) {
  attn.paged_attention q(%q : memref<?x32x128xf16>)
      k_cache(%kc : memref<?x16x8x128xf8E5M2>) v_cache(%vc : memref<?x16x8x128xf8E5M2>)
      block_table(%bt : memref<?x?xi32>) seq_lens(%sl : memref<?xi32>)
      cu_seqlens_q(%cu : memref<?xi32>)
      k_scale(%ks : memref<1xf32>) v_scale(%vs : memref<1xf32>)
      out(%o : memref<?x32x128xf16>) scale(0.0883883461) causal
      kv_quant #attn.kv_quant<per_tensor>
  return
}

// -----

// MI300's fp8 e4m3fnuz caches (f8E4M3FNUZ), per-tensor descales.
// CHECK-LABEL: func.func @paged_fp8_e4m3fnuz_per_tensor
// CHECK:         attn.paged_attention
// CHECK-SAME:      k_cache(%{{[^ ]+}} : memref<?x16x8x128xf8E4M3FNUZ>) v_cache(%{{[^ ]+}} : memref<?x16x8x128xf8E4M3FNUZ>)
// CHECK-SAME:      k_scale(%{{[^ ]+}} : memref<1xf32>) v_scale(%{{[^ ]+}} : memref<1xf32>) out(
// CHECK-SAME:      causal kv_quant <per_tensor>{{$}}
func.func @paged_fp8_e4m3fnuz_per_tensor(%q: memref<?x32x128xbf16>, %kc: memref<?x16x8x128xf8E4M3FNUZ>,
                                         %vc: memref<?x16x8x128xf8E4M3FNUZ>, %bt: memref<?x?xi32>,
                                         %sl: memref<?xi32>, %cu: memref<?xi32>,
                                         %ks: memref<1xf32>, %vs: memref<1xf32>,
                                         %o: memref<?x32x128xbf16>) {
  attn.paged_attention q(%q : memref<?x32x128xbf16>)
      k_cache(%kc : memref<?x16x8x128xf8E4M3FNUZ>) v_cache(%vc : memref<?x16x8x128xf8E4M3FNUZ>)
      block_table(%bt : memref<?x?xi32>) seq_lens(%sl : memref<?xi32>)
      cu_seqlens_q(%cu : memref<?xi32>)
      k_scale(%ks : memref<1xf32>) v_scale(%vs : memref<1xf32>)
      out(%o : memref<?x32x128xbf16>) scale(0.0883883461) causal kv_quant <per_tensor>
  return
}

// -----

// MI300's fp8 e5m2fnuz caches (f8E5M2FNUZ), f16 query, with lse.
// CHECK-LABEL: func.func @paged_fp8_e5m2fnuz_per_tensor
// CHECK:         attn.paged_attention q(%{{[^ ]+}} : memref<?x32x64xf16>)
// CHECK-SAME:      k_cache(%{{[^ ]+}} : memref<?x16x4x64xf8E5M2FNUZ>) v_cache(%{{[^ ]+}} : memref<?x16x4x64xf8E5M2FNUZ>)
// CHECK-SAME:      k_scale(%{{[^ ]+}} : memref<1xf32>) v_scale(%{{[^ ]+}} : memref<1xf32>) out(
// CHECK-SAME:      lse(%{{[^ ]+}} : memref<?x32xf32>) {{.*}} kv_quant <per_tensor>{{$}}
func.func @paged_fp8_e5m2fnuz_per_tensor(%q: memref<?x32x64xf16>, %kc: memref<?x16x4x64xf8E5M2FNUZ>,
                                         %vc: memref<?x16x4x64xf8E5M2FNUZ>, %bt: memref<?x?xi32>,
                                         %sl: memref<?xi32>, %cu: memref<?xi32>,
                                         %ks: memref<1xf32>, %vs: memref<1xf32>,
                                         %o: memref<?x32x64xf16>, %lse: memref<?x32xf32>) {
  attn.paged_attention q(%q : memref<?x32x64xf16>)
      k_cache(%kc : memref<?x16x4x64xf8E5M2FNUZ>) v_cache(%vc : memref<?x16x4x64xf8E5M2FNUZ>)
      block_table(%bt : memref<?x?xi32>) seq_lens(%sl : memref<?xi32>)
      cu_seqlens_q(%cu : memref<?xi32>)
      k_scale(%ks : memref<1xf32>) v_scale(%vs : memref<1xf32>)
      out(%o : memref<?x32x64xf16>) lse(%lse : memref<?x32xf32>) scale(0.125) causal
      kv_quant <per_tensor>
  return
}

// -----

// fp8 KV in and fp8 out: k/v descales and the output scale together.
// CHECK-LABEL: func.func @paged_fp8_kv_fp8_out
// CHECK-SAME:    %[[KS:[a-zA-Z0-9_]+]]: memref<1xf32>, %[[VS:[a-zA-Z0-9_]+]]: memref<1xf32>, %[[OS:[a-zA-Z0-9_]+]]: memref<1xf32>
// CHECK:         attn.paged_attention
// CHECK-SAME:      k_scale(%[[KS]] : memref<1xf32>) v_scale(%[[VS]] : memref<1xf32>)
// CHECK-SAME:      out_scale(%[[OS]] : memref<1xf32>) out(%{{[^ ]+}} : memref<?x32x128xf8E4M3FN>)
// CHECK-SAME:      causal kv_quant <per_tensor>{{$}}
func.func @paged_fp8_kv_fp8_out(%q: memref<?x32x128xbf16>, %kc: memref<?x16x8x128xf8E4M3FN>,
                                %vc: memref<?x16x8x128xf8E4M3FN>, %bt: memref<?x?xi32>,
                                %sl: memref<?xi32>, %cu: memref<?xi32>,
                                %ks: memref<1xf32>, %vs: memref<1xf32>, %os: memref<1xf32>,
                                %o: memref<?x32x128xf8E4M3FN>) {
  attn.paged_attention q(%q : memref<?x32x128xbf16>)
      k_cache(%kc : memref<?x16x8x128xf8E4M3FN>) v_cache(%vc : memref<?x16x8x128xf8E4M3FN>)
      block_table(%bt : memref<?x?xi32>) seq_lens(%sl : memref<?xi32>)
      cu_seqlens_q(%cu : memref<?xi32>)
      k_scale(%ks : memref<1xf32>) v_scale(%vs : memref<1xf32>) out_scale(%os : memref<1xf32>)
      out(%o : memref<?x32x128xf8E4M3FN>) scale(0.0883883461) causal kv_quant <per_tensor>
  return
}

// -----

// int8 per-token-head: i8 caches whose rows are head_size + 4 bytes (data,
// then the f32 scale); no k/v scale operands.
// CHECK-LABEL: func.func @paged_int8_per_token_head
// CHECK:         attn.paged_attention
// CHECK-SAME:      k_cache(%{{[^ ]+}} : memref<?x16x8x132xi8>) v_cache(%{{[^ ]+}} : memref<?x16x8x132xi8>)
// CHECK-SAME:      cu_seqlens_q(%{{[^ ]+}} : memref<?xi32>) out(%{{[^ ]+}} : memref<?x32x128xbf16>)
// CHECK-SAME:      causal kv_quant <per_token_head_int8>{{$}}
func.func @paged_int8_per_token_head(%q: memref<?x32x128xbf16>, %kc: memref<?x16x8x132xi8>,
                                     %vc: memref<?x16x8x132xi8>, %bt: memref<?x?xi32>,
                                     %sl: memref<?xi32>, %cu: memref<?xi32>,
                                     %o: memref<?x32x128xbf16>) {
  attn.paged_attention q(%q : memref<?x32x128xbf16>)
      k_cache(%kc : memref<?x16x8x132xi8>) v_cache(%vc : memref<?x16x8x132xi8>)
      block_table(%bt : memref<?x?xi32>) seq_lens(%sl : memref<?xi32>)
      cu_seqlens_q(%cu : memref<?xi32>)
      out(%o : memref<?x32x128xbf16>) scale(0.0883883461) causal kv_quant <per_token_head_int8>
  return
}

// -----

// fp8 per-token-head, same byte layout.
// CHECK-LABEL: func.func @paged_fp8_per_token_head
// CHECK:         attn.paged_attention
// CHECK-SAME:      k_cache(%{{[^ ]+}} : memref<?x32x4x68xi8>) v_cache(%{{[^ ]+}} : memref<?x32x4x68xi8>)
// CHECK-SAME:      causal kv_quant <per_token_head_fp8>{{$}}
func.func @paged_fp8_per_token_head(%q: memref<?x16x64xf16>, %kc: memref<?x32x4x68xi8>,
                                    %vc: memref<?x32x4x68xi8>, %bt: memref<?x?xi32>,
                                    %sl: memref<?xi32>, %cu: memref<?xi32>,
                                    %o: memref<?x16x64xf16>) {
  attn.paged_attention q(%q : memref<?x16x64xf16>)
      k_cache(%kc : memref<?x32x4x68xi8>) v_cache(%vc : memref<?x32x4x68xi8>)
      block_table(%bt : memref<?x?xi32>) seq_lens(%sl : memref<?xi32>)
      cu_seqlens_q(%cu : memref<?xi32>)
      out(%o : memref<?x16x64xf16>) scale(0.125) causal kv_quant <per_token_head_fp8>
  return
}

// -----

// Per-token-head with head_size_v != head_size: rows of 192 + 4 and 128 + 4
// bytes, a 128-wide output.
// CHECK-LABEL: func.func @paged_per_token_head_head_size_v
// CHECK:         attn.paged_attention
// CHECK-SAME:      k_cache(%{{[^ ]+}} : memref<?x16x2x196xi8>) v_cache(%{{[^ ]+}} : memref<?x16x2x132xi8>)
// CHECK-SAME:      out(%{{[^ ]+}} : memref<?x16x128xbf16>)
// CHECK-SAME:      kv_quant <per_token_head_int8>{{$}}
func.func @paged_per_token_head_head_size_v(%q: memref<?x16x192xbf16>, %kc: memref<?x16x2x196xi8>,
                                            %vc: memref<?x16x2x132xi8>, %bt: memref<?x?xi32>,
                                            %sl: memref<?xi32>, %cu: memref<?xi32>,
                                            %o: memref<?x16x128xbf16>) {
  attn.paged_attention q(%q : memref<?x16x192xbf16>)
      k_cache(%kc : memref<?x16x2x196xi8>) v_cache(%vc : memref<?x16x2x132xi8>)
      block_table(%bt : memref<?x?xi32>) seq_lens(%sl : memref<?xi32>)
      cu_seqlens_q(%cu : memref<?xi32>)
      out(%o : memref<?x16x128xbf16>) scale(0.0721687824) causal kv_quant <per_token_head_int8>
  return
}

// -----

// Quantized KV with the other modifiers (sinks, window, softcap, lse).
// CHECK-LABEL: func.func @paged_fp8_kv_with_modifiers
// CHECK:         attn.paged_attention
// CHECK-SAME:      sinks(%{{[^ ]+}} : memref<32xf32>) k_scale(%{{[^ ]+}} : memref<1xf32>) v_scale(%{{[^ ]+}} : memref<1xf32>)
// CHECK-SAME:      lse(%{{[^ ]+}} : memref<?x32xf32>)
// CHECK-SAME:      causal window <left = 4095, right = 0> softcap(3.000000e+01) kv_quant <per_tensor>{{$}}
func.func @paged_fp8_kv_with_modifiers(%q: memref<?x32x128xbf16>, %kc: memref<?x16x8x128xf8E4M3FN>,
                                       %vc: memref<?x16x8x128xf8E4M3FN>, %bt: memref<?x?xi32>,
                                       %sl: memref<?xi32>, %cu: memref<?xi32>, %s: memref<32xf32>,
                                       %ks: memref<1xf32>, %vs: memref<1xf32>,
                                       %o: memref<?x32x128xbf16>, %l: memref<?x32xf32>) {
  attn.paged_attention q(%q : memref<?x32x128xbf16>)
      k_cache(%kc : memref<?x16x8x128xf8E4M3FN>) v_cache(%vc : memref<?x16x8x128xf8E4M3FN>)
      block_table(%bt : memref<?x?xi32>) seq_lens(%sl : memref<?xi32>)
      cu_seqlens_q(%cu : memref<?xi32>) sinks(%s : memref<32xf32>)
      k_scale(%ks : memref<1xf32>) v_scale(%vs : memref<1xf32>)
      out(%o : memref<?x32x128xbf16>) lse(%l : memref<?x32xf32>) scale(0.0883883461)
      causal window <left = 4095, right = 0> softcap(30.0) kv_quant <per_tensor>
  return
}

// -----

// cache_write into an unquantized cache.
// CHECK-LABEL: func.func @cache_write_plain
// CHECK-SAME:    %[[K:[a-zA-Z0-9_]+]]: memref<?x8x128xbf16>, %[[V:[a-zA-Z0-9_]+]]: memref<?x8x128xbf16>
// CHECK-SAME:    %[[KC:[a-zA-Z0-9_]+]]: memref<?x16x8x128xbf16>, %[[VC:[a-zA-Z0-9_]+]]: memref<?x16x8x128xbf16>
// CHECK-SAME:    %[[SM:[a-zA-Z0-9_]+]]: memref<?xi64>
// CHECK:         attn.cache_write key(%[[K]] : memref<?x8x128xbf16>) value(%[[V]] : memref<?x8x128xbf16>)
// CHECK-SAME:      k_cache(%[[KC]] : memref<?x16x8x128xbf16>) v_cache(%[[VC]] : memref<?x16x8x128xbf16>)
// CHECK-SAME:      slot_mapping(%[[SM]] : memref<?xi64>){{$}}
func.func @cache_write_plain(%k: memref<?x8x128xbf16>, %v: memref<?x8x128xbf16>,
                             %kc: memref<?x16x8x128xbf16>, %vc: memref<?x16x8x128xbf16>,
                             %sm: memref<?xi64>) {
  attn.cache_write key(%k : memref<?x8x128xbf16>) value(%v : memref<?x8x128xbf16>)
      k_cache(%kc : memref<?x16x8x128xbf16>) v_cache(%vc : memref<?x16x8x128xbf16>)
      slot_mapping(%sm : memref<?xi64>)
  return
}

// -----

// cache_write with f32 rows, static sizes and head_size_v != head_size.
// CHECK-LABEL: func.func @cache_write_f32_head_size_v
// CHECK:         attn.cache_write key(%{{[^ ]+}} : memref<5x2x192xf32>) value(%{{[^ ]+}} : memref<5x2x128xf32>)
// CHECK-SAME:      k_cache(%{{[^ ]+}} : memref<8x16x2x192xf32>) v_cache(%{{[^ ]+}} : memref<8x16x2x128xf32>)
// CHECK-SAME:      slot_mapping(%{{[^ ]+}} : memref<5xi64>){{$}}
func.func @cache_write_f32_head_size_v(%k: memref<5x2x192xf32>, %v: memref<5x2x128xf32>,
                                       %kc: memref<8x16x2x192xf32>, %vc: memref<8x16x2x128xf32>,
                                       %sm: memref<5xi64>) {
  attn.cache_write key(%k : memref<5x2x192xf32>) value(%v : memref<5x2x128xf32>)
      k_cache(%kc : memref<8x16x2x192xf32>) v_cache(%vc : memref<8x16x2x128xf32>)
      slot_mapping(%sm : memref<5xi64>)
  return
}

// -----

// cache_write quantizing to fp8 e4m3 with per-tensor scales.
// CHECK-LABEL: func.func @cache_write_fp8_e4m3
// CHECK-SAME:    %[[KS:[a-zA-Z0-9_]+]]: memref<1xf32>, %[[VS:[a-zA-Z0-9_]+]]: memref<1xf32>
// CHECK:         attn.cache_write
// CHECK-SAME:      k_cache(%{{[^ ]+}} : memref<?x16x8x128xf8E4M3FN>) v_cache(%{{[^ ]+}} : memref<?x16x8x128xf8E4M3FN>)
// CHECK-SAME:      slot_mapping(%{{[^ ]+}} : memref<?xi64>) k_scale(%[[KS]] : memref<1xf32>)
// CHECK-SAME:      v_scale(%[[VS]] : memref<1xf32>) kv_quant <per_tensor>{{$}}
func.func @cache_write_fp8_e4m3(%k: memref<?x8x128xbf16>, %v: memref<?x8x128xbf16>,
                                %kc: memref<?x16x8x128xf8E4M3FN>, %vc: memref<?x16x8x128xf8E4M3FN>,
                                %sm: memref<?xi64>, %ks: memref<1xf32>, %vs: memref<1xf32>) {
  attn.cache_write key(%k : memref<?x8x128xbf16>) value(%v : memref<?x8x128xbf16>)
      k_cache(%kc : memref<?x16x8x128xf8E4M3FN>) v_cache(%vc : memref<?x16x8x128xf8E4M3FN>)
      slot_mapping(%sm : memref<?xi64>)
      k_scale(%ks : memref<1xf32>) v_scale(%vs : memref<1xf32>) kv_quant <per_tensor>
  return
}

// -----

// cache_write quantizing to fp8 e5m2 with per-tensor scales.
// CHECK-LABEL: func.func @cache_write_fp8_e5m2
// CHECK:         attn.cache_write
// CHECK-SAME:      k_cache(%{{[^ ]+}} : memref<?x16x8x128xf8E5M2>) v_cache(%{{[^ ]+}} : memref<?x16x8x128xf8E5M2>)
// CHECK-SAME:      k_scale(%{{[^ ]+}} : memref<1xf32>) v_scale(%{{[^ ]+}} : memref<1xf32>) kv_quant <per_tensor>{{$}}
func.func @cache_write_fp8_e5m2(%k: memref<?x8x128xf16>, %v: memref<?x8x128xf16>,
                                %kc: memref<?x16x8x128xf8E5M2>, %vc: memref<?x16x8x128xf8E5M2>,
                                %sm: memref<?xi64>, %ks: memref<1xf32>, %vs: memref<1xf32>) {
  attn.cache_write key(%k : memref<?x8x128xf16>) value(%v : memref<?x8x128xf16>)
      k_cache(%kc : memref<?x16x8x128xf8E5M2>) v_cache(%vc : memref<?x16x8x128xf8E5M2>)
      slot_mapping(%sm : memref<?xi64>)
      k_scale(%ks : memref<1xf32>) v_scale(%vs : memref<1xf32>) kv_quant <per_tensor>
  return
}

// -----

// cache_write quantizing to MI300's fp8 e4m3fnuz and e5m2fnuz.
// CHECK-LABEL: func.func @cache_write_fp8_e4m3fnuz
// CHECK:         attn.cache_write
// CHECK-SAME:      k_cache(%{{[^ ]+}} : memref<?x16x8x128xf8E4M3FNUZ>) v_cache(%{{[^ ]+}} : memref<?x16x8x128xf8E4M3FNUZ>)
// CHECK-SAME:      k_scale(%{{[^ ]+}} : memref<1xf32>) v_scale(%{{[^ ]+}} : memref<1xf32>) kv_quant <per_tensor>{{$}}
func.func @cache_write_fp8_e4m3fnuz(%k: memref<?x8x128xbf16>, %v: memref<?x8x128xbf16>,
                                    %kc: memref<?x16x8x128xf8E4M3FNUZ>, %vc: memref<?x16x8x128xf8E4M3FNUZ>,
                                    %sm: memref<?xi64>, %ks: memref<1xf32>, %vs: memref<1xf32>) {
  attn.cache_write key(%k : memref<?x8x128xbf16>) value(%v : memref<?x8x128xbf16>)
      k_cache(%kc : memref<?x16x8x128xf8E4M3FNUZ>) v_cache(%vc : memref<?x16x8x128xf8E4M3FNUZ>)
      slot_mapping(%sm : memref<?xi64>)
      k_scale(%ks : memref<1xf32>) v_scale(%vs : memref<1xf32>) kv_quant <per_tensor>
  return
}

// -----

// CHECK-LABEL: func.func @cache_write_fp8_e5m2fnuz
// CHECK:         attn.cache_write
// CHECK-SAME:      k_cache(%{{[^ ]+}} : memref<?x16x8x128xf8E5M2FNUZ>) v_cache(%{{[^ ]+}} : memref<?x16x8x128xf8E5M2FNUZ>)
// CHECK-SAME:      kv_quant <per_tensor>{{$}}
func.func @cache_write_fp8_e5m2fnuz(%k: memref<?x8x128xf32>, %v: memref<?x8x128xf32>,
                                    %kc: memref<?x16x8x128xf8E5M2FNUZ>, %vc: memref<?x16x8x128xf8E5M2FNUZ>,
                                    %sm: memref<?xi64>, %ks: memref<1xf32>, %vs: memref<1xf32>) {
  attn.cache_write key(%k : memref<?x8x128xf32>) value(%v : memref<?x8x128xf32>)
      k_cache(%kc : memref<?x16x8x128xf8E5M2FNUZ>) v_cache(%vc : memref<?x16x8x128xf8E5M2FNUZ>)
      slot_mapping(%sm : memref<?xi64>)
      k_scale(%ks : memref<1xf32>) v_scale(%vs : memref<1xf32>) kv_quant <per_tensor>
  return
}

// -----

// cache_write quantizing per token and head to int8 (rows of head_size + 4).
// CHECK-LABEL: func.func @cache_write_int8_per_token_head
// CHECK:         attn.cache_write
// CHECK-SAME:      k_cache(%{{[^ ]+}} : memref<?x16x8x132xi8>) v_cache(%{{[^ ]+}} : memref<?x16x8x132xi8>)
// CHECK-SAME:      slot_mapping(%{{[^ ]+}} : memref<?xi64>) kv_quant <per_token_head_int8>{{$}}
func.func @cache_write_int8_per_token_head(%k: memref<?x8x128xbf16>, %v: memref<?x8x128xbf16>,
                                           %kc: memref<?x16x8x132xi8>, %vc: memref<?x16x8x132xi8>,
                                           %sm: memref<?xi64>) {
  attn.cache_write key(%k : memref<?x8x128xbf16>) value(%v : memref<?x8x128xbf16>)
      k_cache(%kc : memref<?x16x8x132xi8>) v_cache(%vc : memref<?x16x8x132xi8>)
      slot_mapping(%sm : memref<?xi64>) kv_quant <per_token_head_int8>
  return
}

// -----

// cache_write quantizing per token and head to fp8, with head_size_v.
// CHECK-LABEL: func.func @cache_write_fp8_per_token_head
// CHECK:         attn.cache_write
// CHECK-SAME:      k_cache(%{{[^ ]+}} : memref<?x16x8x100xi8>) v_cache(%{{[^ ]+}} : memref<?x16x8x68xi8>)
// CHECK-SAME:      slot_mapping(%{{[^ ]+}} : memref<?xi64>) kv_quant <per_token_head_fp8>{{$}}
func.func @cache_write_fp8_per_token_head(%k: memref<?x8x96xf16>, %v: memref<?x8x64xf16>,
                                          %kc: memref<?x16x8x100xi8>, %vc: memref<?x16x8x68xi8>,
                                          %sm: memref<?xi64>) {
  attn.cache_write key(%k : memref<?x8x96xf16>) value(%v : memref<?x8x64xf16>)
      k_cache(%kc : memref<?x16x8x100xi8>) v_cache(%vc : memref<?x16x8x68xi8>)
      slot_mapping(%sm : memref<?xi64>) kv_quant <per_token_head_fp8>
  return
}
