// RUN: attn-opt %s --split-input-file --verify-diagnostics

// Errors of the attn attributes themselves: PlanAttr::verify, and the enum
// parameters (target, alibi, kv_quant) that only accept their cases. The
// window and chunk parameters are checked by the op verifiers
// (invalid-variant.mlir).

func.func @plan_block_m_not_multiple_of_block_q(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x64xf16>,
                                                %vc: memref<?x16x2x64xf16>, %bt: memref<?x?xi32>,
                                                %sl: memref<?xi32>, %cu: memref<?xi32>,
                                                %o: memref<?x8x64xf16>) {
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%kc : memref<?x16x2x64xf16>)
      v_cache(%vc : memref<?x16x2x64xf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>) out(%o : memref<?x8x64xf16>)
      scale(0.125) causal
      // expected-error @+1 {{plan block_m (16) must be a multiple of block_q (3)}}
      plan <target = host, block_q = 3, block_m = 16, block_n = 32, warps = 1, stages = 1, segments = 0>
  return
}

// -----

// expected-error @+1 {{plan tile sizes, warps and stages must be positive; got block_q = 0, block_m = 16, block_n = 32, warps = 1, stages = 1}}
#plan_block_q_zero = #attn.plan<target = host, block_q = 0, block_m = 16, block_n = 32, warps = 1, stages = 1, segments = 0>

// -----

// expected-error @+1 {{plan tile sizes, warps and stages must be positive; got block_q = 4, block_m = -16, block_n = 32, warps = 1, stages = 1}}
#plan_block_m_negative = #attn.plan<target = sm_80, block_q = 4, block_m = -16, block_n = 32, warps = 1, stages = 1, segments = 0>

// -----

// expected-error @+1 {{plan tile sizes, warps and stages must be positive; got block_q = 4, block_m = 16, block_n = 0, warps = 4, stages = 2}}
#plan_block_n_zero = #attn.plan<target = sm_90a, block_q = 4, block_m = 16, block_n = 0, warps = 4, stages = 2, segments = 0>

// -----

// expected-error @+1 {{plan tile sizes, warps and stages must be positive; got block_q = 4, block_m = 16, block_n = 32, warps = 0, stages = 1}}
#plan_warps_zero = #attn.plan<target = gfx90a, block_q = 4, block_m = 16, block_n = 32, warps = 0, stages = 1, segments = 0>

// -----

// expected-error @+1 {{plan tile sizes, warps and stages must be positive; got block_q = 4, block_m = 16, block_n = 32, warps = 4, stages = 0}}
#plan_stages_zero = #attn.plan<target = gfx942, block_q = 4, block_m = 16, block_n = 32, warps = 4, stages = 0, segments = 0>

// -----

// expected-error @+1 {{plan segments (-1) must be >= 0 (0 = no split-KV form)}}
#plan_segments_negative = #attn.plan<target = host, block_q = 4, block_m = 16, block_n = 32, warps = 1, stages = 1, segments = -1>

// -----

// The generic form goes through the same verifier.
func.func @plan_generic_form(%q: memref<?x8x64xf16>, %kc: memref<?x16x2x64xf16>,
                             %vc: memref<?x16x2x64xf16>, %bt: memref<?x?xi32>,
                             %sl: memref<?xi32>, %cu: memref<?xi32>, %o: memref<?x8x64xf16>) {
  "attn.paged_attention"(%q, %kc, %vc, %bt, %sl, %cu, %o) <{causal,
      operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0>,
      // expected-error @+1 {{plan block_m (4) must be a multiple of block_q (8)}}
      plan = #attn.plan<target = host, block_q = 8, block_m = 4, block_n = 32, warps = 1, stages = 1, segments = 0>,
      scale = 1.250000e-01 : f32}>
      : (memref<?x8x64xf16>, memref<?x16x2x64xf16>, memref<?x16x2x64xf16>, memref<?x?xi32>,
         memref<?xi32>, memref<?xi32>, memref<?x8x64xf16>) -> ()
  return
}

// -----

// expected-error @+2 {{expected one of [host, sm_80, sm_90a, gfx90a, gfx942] for code generation target, got: sm_70}}
// expected-error @+1 {{failed to parse Attn_PlanAttr parameter 'target'}}
#plan_unknown_target = #attn.plan<target = sm_70, block_q = 4, block_m = 16, block_n = 32, warps = 1, stages = 1, segments = 0>

// -----

// expected-error @+2 {{expected ::mlir::attn::AlibiKind to be one of: plain, sqrt}}
// expected-error @+1 {{failed to parse Attn_AlibiAttr parameter 'value'}}
#alibi_unknown = #attn.alibi<cubic>

// -----

// expected-error @+2 {{expected ::mlir::attn::KVQuant to be one of: per_tensor, per_token_head_int8, per_token_head_fp8}}
// expected-error @+1 {{failed to parse Attn_KVQuantAttr parameter 'value'}}
#kv_quant_unknown = #attn.kv_quant<per_channel>

// -----

// expected-error @+1 {{plan wide_block_m (48) must be a multiple of block_m (32) above it, or 0 (no wide form)}}
#plan_wide_not_multiple = #attn.plan<target = sm_90a, block_q = 8, block_m = 32, block_n = 32, warps = 2, stages = 2, segments = 0, wide_block_m = 48>

// -----

// expected-error @+1 {{plan wide_block_m (32) must be a multiple of block_m (32) above it, or 0 (no wide form)}}
#plan_wide_not_above = #attn.plan<target = sm_90a, block_q = 8, block_m = 32, block_n = 32, warps = 2, stages = 2, segments = 0, wide_block_m = 32>
