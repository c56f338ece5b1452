//===- AttnOps.td - attn operations ------------------------*- tablegen -*-===//
//
// Operations of the attn dialect: attention over a paged KV cache or over
// contiguous varlen K/V, the merge of split-KV partial results, and the
// write of new K/V rows into the paged cache.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_DIALECT_ATTN_IR_ATTNOPS_TD
#define ATTN_DIALECT_ATTN_IR_ATTNOPS_TD

include "attn/Dialect/Attn/IR/AttnDialect.td"
include "attn/Dialect/Attn/IR/AttnAttrs.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def AttentionGroup : OpDocGroup {
  let summary = "Attention";
  let description = "Operations that compute attention.";
}
def KVCacheGroup : OpDocGroup {
  let summary = "KV cache";
  let description = "Operations that write the paged KV cache.";
}

//===----------------------------------------------------------------------===//
// Operand constraints
//===----------------------------------------------------------------------===//

def Attn_ComputeFloat : AnyTypeOf<[F16, BF16, F32]>;
def Attn_QueryMemRef : MemRefRankOf<[F16, BF16, F32], [3]>;
// KV element types: the query's float type, the fp8 formats of per-tensor
// quantization (OCP e4m3fn / e5m2, and MI300's e4m3fnuz / e5m2fnuz), or
// bytes (per-token-head quantization).
def Attn_Fp8KVTypes {
  list<Type> types = [F8E4M3FN, F8E5M2, F8E4M3FNUZ, F8E5M2FNUZ];
}
def Attn_KVMemRef : MemRefRankOf<!listconcat([F16, BF16, F32],
                                             Attn_Fp8KVTypes.types, [I8]),
                                 [3, 4]>;
def Attn_CacheMemRef : MemRefRankOf<!listconcat([F16, BF16, F32],
                                                Attn_Fp8KVTypes.types, [I8]),
                                    [4]>;
def Attn_OutMemRef : MemRefRankOf<[F16, BF16, F32, F8E4M3FN], [3, 4]>;
def Attn_LseMemRef : MemRefRankOf<[F32], [2, 3]>;
def Attn_I32Vector : MemRefRankOf<[I32], [1]>;
def Attn_I32Matrix : MemRefRankOf<[I32], [2]>;
def Attn_F32Vector : MemRefRankOf<[F32], [1]>;
def Attn_F32Matrix : MemRefRankOf<[F32], [2]>;
def Attn_RangesMemRef : MemRefRankOf<[I32], [3]>;

// The inputs and attributes that every attention op shares, after the ones
// that say where K and V live.
defvar attnCommonAttentionArgs = (ins
    Arg<Optional<Attn_F32Vector>, "per-head sink logits", [MemRead]>:$sinks,
    Arg<Optional<Attn_F32Vector>, "per-head ALiBi slopes", [MemRead]>:$alibi_slopes,
    Arg<Optional<Attn_RangesMemRef>, "mm-prefix ranges", [MemRead]>:$mm_prefix_ranges,
    Arg<Optional<Attn_F32Matrix>, "query-query bias", [MemRead]>:$qq_bias,
    Arg<Optional<Attn_F32Vector>, "K descale", [MemRead]>:$k_scale,
    Arg<Optional<Attn_F32Vector>, "V descale", [MemRead]>:$v_scale,
    Arg<Optional<Attn_F32Vector>, "fp8 output scale", [MemRead]>:$out_scale,
    Arg<Attn_OutMemRef, "output", [MemWrite]>:$out,
    Arg<Optional<Attn_LseMemRef>, "log-sum-exp output", [MemWrite]>:$lse,
    F32Attr:$scale,
    UnitAttr:$causal,
    OptionalAttr<Attn_WindowAttr>:$window,
    OptionalAttr<Attn_ChunkAttr>:$chunk,
    OptionalAttr<F32Attr>:$softcap,
    OptionalAttr<Attn_AlibiAttr>:$alibi,
    OptionalAttr<Attn_KVQuantAttr>:$kv_quant,
    UnitAttr:$split,
    OptionalAttr<Attn_PlanAttr>:$plan);

defvar attnCommonAttentionFormat = [{
  (`sinks` `(` $sinks^ `:` type($sinks) `)`)?
  (`alibi_slopes` `(` $alibi_slopes^ `:` type($alibi_slopes) `)`)?
  (`mm_prefix_ranges` `(` $mm_prefix_ranges^ `:` type($mm_prefix_ranges) `)`)?
  (`qq_bias` `(` $qq_bias^ `:` type($qq_bias) `)`)?
  (`k_scale` `(` $k_scale^ `:` type($k_scale) `)`)?
  (`v_scale` `(` $v_scale^ `:` type($v_scale) `)`)?
  (`out_scale` `(` $out_scale^ `:` type($out_scale) `)`)?
  `out` `(` $out `:` type($out) `)`
  (`lse` `(` $lse^ `:` type($lse) `)`)?
  `scale` `(` $scale `)`
  (`causal` $causal^)?
  (`window` $window^)?
  (`chunk` $chunk^)?
  (`softcap` `(` $softcap^ `)`)?
  (`alibi` $alibi^)?
  (`kv_quant` $kv_quant^)?
  (`split` $split^)?
  (`plan` $plan^)?
  attr-dict
}];

defvar attnCommonAttentionDoc = [{

    Variant attributes and optional operands (any combination the verifier
    accepts):

    - `scale(s)`: softmax scale applied to `q . k` (the spec string's
      default is `1/sqrt(head_size)`).
    - `causal`: keep key `j` for query `i` when `j <= i`; without it the op is
      bidirectional. Query tokens are the last `query_len` positions of
      their sequence.
    - `window <left = L, right = R>`: keep `i - L <= j <= i + R` (-1 =
      unbounded side).
    - `chunk <size = C, lookback = B>`: keep `i / C - j / C <= B` (replaces
      the window; exclusive with it).
    - `softcap(c)`: `s = c * tanh(s / c)` after the scale, `c > 0`.
    - `alibi <plain|sqrt>` with `alibi_slopes [heads] f32`.
    - `sinks [heads] f32`: one logit per head that joins the softmax
      denominator only.
    - `mm_prefix_ranges [num_seqs, max_ranges, 2] i32`: inclusive position
      ranges `[start, end]` (valid when `start < end`) inside which attention
      is bidirectional: keep = (causal and window) or (i, j in one range).
    - `qq_bias [Q, Q] f32`: tree-attention bias added between the query
      tokens of each sequence (query `a`, key `b` of the query section, both
      relative to the first query token), on top of the causal mask; needs
      `causal`.
    - `kv_quant <per_tensor>` with fp8 caches (`f8E4M3FN`, `f8E5M2`, or
      MI300's `f8E4M3FNUZ`, `f8E5M2FNUZ`) and `k_scale`, `v_scale`
      (`[1] f32`) descales; `kv_quant <per_token_head_int8|per_token_head_fp8>`
      with `i8` caches whose last dimension is `head_size + 4` (data, then the
      row's float32 scale).
    - `out` dtype: the query dtype, or `f8E4M3FN` with `out_scale` (`[1]
      f32`, `out = o / out_scale`) for 16-bit queries.
    - `lse [num_tokens, heads] f32`: optional log-sum-exp of each row
      (natural log, scaled logits, sinks included), so that partial results
      can be merged with `attn.merge_states`.
    - `split`: the split-KV partial form. `out` is
      `[segments, num_tokens, heads, head_size_v] f32` (normalised per
      segment), `lse` is required and is `[segments, num_tokens, heads]`;
      segment `s` covers the `s`-th of `segments` equal parts of the
      sequence's keys; sinks are applied by `attn.merge_states`, not here.
    - `plan`: the schedule chosen by `attn-plan`.

    Rows with no key left (empty sequences, fully masked rows) produce
    zeros, never NaN; their lse is -inf.

    Head sizes: every multiple of 8 from 32 to 256 (for `q`, `k` and `v`).
}];

//===----------------------------------------------------------------------===//
// attn.paged_attention
//===----------------------------------------------------------------------===//

def Attn_PagedAttentionOp : Attn_Op<"paged_attention", [AttrSizedOperandSegments]> {
  let summary = "attention of a varlen query batch over a paged KV cache";
  let opDocGroup = AttentionGroup;
  let description = !strconcat([{
    vLLM's unified attention: a batch of `num_seqs` sequences, each with
    `query_len = cu_seqlens_q[s+1] - cu_seqlens_q[s]` new tokens (decode,
    chunked prefill or prefill, mixed freely) that attend to the
    `seq_lens[s]` keys of the sequence, read from the paged caches through
    the block table.

    - `q`: `[num_tokens, heads, head_size]`, f16 / bf16 / f32.
    - `k_cache`: `[num_blocks, block_size, kv_heads, head_size]` (NHD).
    - `v_cache`: `[num_blocks, block_size, kv_heads, head_size_v]`.
    - `block_table`: `[num_seqs, max_blocks_per_seq]` i32.
    - `seq_lens`: `[num_seqs]` i32 (context + new tokens).
    - `cu_seqlens_q`: `[num_seqs + 1]` i32.
    - GQA: query head `h` reads kv head `h / (heads / kv_heads)`.
  }], attnCommonAttentionDoc, [{

    Example (Gemma-3 local layer: causal, window 1024, softcap 30):

    ```mlir
    attn.paged_attention q(%q : memref<?x8x256xbf16>)
        k_cache(%kc : memref<?x16x4x256xbf16>) v_cache(%vc : memref<?x16x4x256xbf16>)
        block_table(%bt : memref<?x?xi32>) seq_lens(%sl : memref<?xi32>)
        cu_seqlens_q(%cu : memref<?xi32>)
        out(%o : memref<?x8x256xbf16>) scale(6.250000e-02)
        causal window <left = 1023, right = 0> softcap(3.000000e+01)
    ```
  }]);
  let arguments = !con((ins
      Arg<Attn_QueryMemRef, "query", [MemRead]>:$q,
      Arg<Attn_KVMemRef, "paged key cache", [MemRead]>:$k_cache,
      Arg<Attn_KVMemRef, "paged value cache", [MemRead]>:$v_cache,
      Arg<Attn_I32Matrix, "block table", [MemRead]>:$block_table,
      Arg<Attn_I32Vector, "sequence lengths", [MemRead]>:$seq_lens,
      Arg<Attn_I32Vector, "cumulative query lengths", [MemRead]>:$cu_seqlens_q),
    attnCommonAttentionArgs);
  let assemblyFormat = !strconcat([{
    `q` `(` $q `:` type($q) `)`
    `k_cache` `(` $k_cache `:` type($k_cache) `)`
    `v_cache` `(` $v_cache `:` type($v_cache) `)`
    `block_table` `(` $block_table `:` type($block_table) `)`
    `seq_lens` `(` $seq_lens `:` type($seq_lens) `)`
    `cu_seqlens_q` `(` $cu_seqlens_q `:` type($cu_seqlens_q) `)`
  }], attnCommonAttentionFormat);
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// attn.varlen_attention
//===----------------------------------------------------------------------===//

def Attn_VarlenAttentionOp : Attn_Op<"varlen_attention", [AttrSizedOperandSegments]> {
  let summary = "attention over contiguous varlen K/V (encoder, cross attention)";
  let opDocGroup = AttentionGroup;
  let description = !strconcat([{
    Attention without a cache: the keys and values of sequence `s` are rows
    `cu_seqlens_k[s] .. cu_seqlens_k[s+1]` of `k` and `v`. Without `causal`
    this is encoder (bidirectional) self-attention, or cross attention when
    the key lengths differ from the query lengths. With `causal`, query
    tokens are the last `query_len` positions of the key sequence.

    - `q`: `[num_tokens, heads, head_size]`.
    - `k`: `[num_kv_tokens, kv_heads, head_size]`, `v`:
      `[num_kv_tokens, kv_heads, head_size_v]`.
    - `cu_seqlens_q`, `cu_seqlens_k`: `[num_seqs + 1]` i32.
  }], attnCommonAttentionDoc, [{

    Example (a ViT-style encoder layer):

    ```mlir
    attn.varlen_attention q(%q : memref<?x16x80xf16>)
        k(%k : memref<?x16x80xf16>) v(%v : memref<?x16x80xf16>)
        cu_seqlens_q(%cq : memref<?xi32>) cu_seqlens_k(%ck : memref<?xi32>)
        out(%o : memref<?x16x80xf16>) scale(1.118034e-01)
    ```
  }]);
  let arguments = !con((ins
      Arg<Attn_QueryMemRef, "query", [MemRead]>:$q,
      Arg<Attn_KVMemRef, "keys", [MemRead]>:$k,
      Arg<Attn_KVMemRef, "values", [MemRead]>:$v,
      Arg<Attn_I32Vector, "cumulative query lengths", [MemRead]>:$cu_seqlens_q,
      Arg<Attn_I32Vector, "cumulative key lengths", [MemRead]>:$cu_seqlens_k),
    attnCommonAttentionArgs);
  let assemblyFormat = !strconcat([{
    `q` `(` $q `:` type($q) `)`
    `k` `(` $k `:` type($k) `)`
    `v` `(` $v `:` type($v) `)`
    `cu_seqlens_q` `(` $cu_seqlens_q `:` type($cu_seqlens_q) `)`
    `cu_seqlens_k` `(` $cu_seqlens_k `:` type($cu_seqlens_k) `)`
  }], attnCommonAttentionFormat);
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// attn.merge_states
//===----------------------------------------------------------------------===//

def Attn_MergeStatesOp : Attn_Op<"merge_states", [AttrSizedOperandSegments]> {
  let summary = "merge partial attention results by their log-sum-exp";
  let opDocGroup = AttentionGroup;
  let description = [{
    The reduce of split-KV, and the merge of partial results computed on
    different devices (context parallelism). For each (token, head):

    ```
    M   = max(max_s lse[s], sink)
    w_s = exp(lse[s] - M),  w_sink = exp(sink - M)  (0 without sinks)
    out = sum_s w_s * partial_out[s] / (sum_s w_s + w_sink)
    lse_out = M + log(sum_s w_s + w_sink)
    ```

    Rows whose partial lse are all -inf (no key) give zeros.

    - `partial_out`: `[segments, num_tokens, heads, head_size_v]` f32.
    - `partial_lse`: `[segments, num_tokens, heads]` f32.
    - `sinks`: optional `[heads]` f32.
    - `out`: `[num_tokens, heads, head_size_v]` (f16, bf16, f32, or
      `f8E4M3FN` with `out_scale`); `lse`: optional `[num_tokens, heads]`.

    ```mlir
    attn.merge_states partial_out(%po : memref<4x?x32x128xf32>)
        partial_lse(%pl : memref<4x?x32xf32>) out(%o : memref<?x32x128xbf16>)
    ```
  }];
  let arguments = (ins
      Arg<MemRefRankOf<[F32], [4]>, "partial outputs", [MemRead]>:$partial_out,
      Arg<MemRefRankOf<[F32], [3]>, "partial log-sum-exp", [MemRead]>:$partial_lse,
      Arg<Optional<Attn_F32Vector>, "per-head sink logits", [MemRead]>:$sinks,
      Arg<Optional<Attn_F32Vector>, "fp8 output scale", [MemRead]>:$out_scale,
      Arg<Attn_OutMemRef, "output", [MemWrite]>:$out,
      Arg<Optional<Attn_LseMemRef>, "log-sum-exp output", [MemWrite]>:$lse);
  let assemblyFormat = [{
    `partial_out` `(` $partial_out `:` type($partial_out) `)`
    `partial_lse` `(` $partial_lse `:` type($partial_lse) `)`
    (`sinks` `(` $sinks^ `:` type($sinks) `)`)?
    (`out_scale` `(` $out_scale^ `:` type($out_scale) `)`)?
    `out` `(` $out `:` type($out) `)`
    (`lse` `(` $lse^ `:` type($lse) `)`)?
    attr-dict
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// attn.cache_write
//===----------------------------------------------------------------------===//

def Attn_CacheWriteOp : Attn_Op<"cache_write", [AttrSizedOperandSegments]> {
  let summary = "write new K/V rows into the paged cache through a slot mapping";
  let opDocGroup = KVCacheGroup;
  let description = [{
    vLLM's `reshape_and_cache`: token `t`'s key and value rows go to slot
    `slot_mapping[t]` (block `slot / block_size`, offset
    `slot % block_size`) of every kv head. Slot -1 is skipped (padding).

    Quantization on write: with `kv_quant <per_tensor>`, rows are divided by
    `k_scale` / `v_scale` and stored as the cache's fp8 type (`f8E4M3FN`,
    `f8E5M2`, `f8E4M3FNUZ` or `f8E5M2FNUZ`), rounded to nearest even and
    saturated to the format's largest finite value (448, 57344, 240,
    57344); zero and negative zero are stored as +0 in the fnuz formats;
    with `per_token_head_int8` / `per_token_head_fp8`, each row's scale is
    `max|x| / 127` (int8) or `max|x| / 448` (fp8 e4m3), the row is divided by
    it and stored with the scale (float32, 4 bytes) right after it.

    - `key`: `[num_tokens, kv_heads, head_size]`, `value`:
      `[num_tokens, kv_heads, head_size_v]` (f16 / bf16 / f32).
    - `k_cache`, `v_cache`: as for `attn.paged_attention`.
    - `slot_mapping`: `[num_tokens]` i64.

    ```mlir
    attn.cache_write key(%k : memref<?x8x128xbf16>) value(%v : memref<?x8x128xbf16>)
        k_cache(%kc : memref<?x16x8x128xf8E4M3FN>) v_cache(%vc : memref<?x16x8x128xf8E4M3FN>)
        slot_mapping(%s : memref<?xi64>)
        k_scale(%ks : memref<1xf32>) v_scale(%vs : memref<1xf32>) kv_quant <per_tensor>
    ```
  }];
  let arguments = (ins
      Arg<Attn_QueryMemRef, "new keys", [MemRead]>:$key,
      Arg<Attn_QueryMemRef, "new values", [MemRead]>:$value,
      Arg<Attn_CacheMemRef, "paged key cache", [MemWrite]>:$k_cache,
      Arg<Attn_CacheMemRef, "paged value cache", [MemWrite]>:$v_cache,
      Arg<MemRefRankOf<[I64], [1]>, "slot of each token", [MemRead]>:$slot_mapping,
      Arg<Optional<Attn_F32Vector>, "K scale", [MemRead]>:$k_scale,
      Arg<Optional<Attn_F32Vector>, "V scale", [MemRead]>:$v_scale,
      OptionalAttr<Attn_KVQuantAttr>:$kv_quant);
  let assemblyFormat = [{
    `key` `(` $key `:` type($key) `)`
    `value` `(` $value `:` type($value) `)`
    `k_cache` `(` $k_cache `:` type($k_cache) `)`
    `v_cache` `(` $v_cache `:` type($v_cache) `)`
    `slot_mapping` `(` $slot_mapping `:` type($slot_mapping) `)`
    (`k_scale` `(` $k_scale^ `:` type($k_scale) `)`)?
    (`v_scale` `(` $v_scale^ `:` type($v_scale) `)`)?
    (`kv_quant` $kv_quant^)?
    attr-dict
  }];
  let hasVerifier = 1;
}

#endif // ATTN_DIALECT_ATTN_IR_ATTNOPS_TD
