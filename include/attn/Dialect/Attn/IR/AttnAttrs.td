//===- AttnAttrs.td - attn attributes ----------------------*- tablegen -*-===//
//
// The attributes that spell an attention variant and its schedule.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_DIALECT_ATTN_IR_ATTNATTRS_TD
#define ATTN_DIALECT_ATTN_IR_ATTNATTRS_TD

include "attn/Dialect/Attn/IR/AttnDialect.td"
include "attn/Dialect/Attn/IR/AttnEnums.td"
include "mlir/IR/AttrTypeBase.td"

class Attn_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<Attn_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

def Attn_AlibiAttr : EnumAttr<Attn_Dialect, Attn_AlibiKind, "alibi"> {
  let assemblyFormat = "`<` $value `>`";
  let summary = "ALiBi bias kind";
  let description = [{
    `plain`: `s += slope[h] * (j - i)`. `sqrt`: `s += slope[h] * -sqrt(i - j)`
    for `j <= i`, 0 otherwise. The slopes are the `alibi_slopes` operand.

    ```mlir
    #attn.alibi<sqrt>
    ```
  }];
}

def Attn_KVQuantAttr : EnumAttr<Attn_Dialect, Attn_KVQuant, "kv_quant"> {
  let assemblyFormat = "`<` $value `>`";
  let summary = "KV cache quantization scheme";
  let description = [{
    `per_tensor`: the caches hold fp8 and are multiplied by the `k_scale` /
    `v_scale` descales. The fp8 type is one of the OCP formats `f8E4M3FN`
    (max 448) and `f8E5M2` (max 57344), used by NVIDIA and gfx950, or one of
    MI300's (gfx942) "fnuz" formats `f8E4M3FNUZ` (max 240) and `f8E5M2FNUZ`
    (max 57344), which have no infinity and no negative zero (0x80 is their
    only NaN). Dequantization is done in software, so every target accepts
    every format. `per_token_head_int8`
    and `per_token_head_fp8`: the caches are bytes (`i8`); each (block, slot,
    kv head) row holds `head_size` int8 (or fp8 e4m3) values followed by
    its float32 scale (4 bytes), so the last cache dimension is
    `head_size + 4`.

    ```mlir
    #attn.kv_quant<per_token_head_int8>
    ```
  }];
}

def Attn_TargetAttr : EnumAttr<Attn_Dialect, Attn_Target, "target"> {
  let assemblyFormat = "`<` $value `>`";
  let summary = "code generation target";
  let description = [{
    The chip a schedule is planned for: `host` (the CPU), `sm_80`, `sm_90a`,
    `gfx90a`, `gfx942`.
  }];
}

def Attn_WindowAttr : Attn_Attr<"Window", "window"> {
  let summary = "sliding window (left, right)";
  let description = [{
    Keep key `j` for query `i` when `i - left <= j <= i + right`; `-1` means
    unbounded on that side. Decoders use `right = 0`.

    ```mlir
    #attn.window<left = 1023, right = 0>
    ```
  }];
  let parameters = (ins "int64_t":$left, "int64_t":$right);
  let assemblyFormat = "`<` `left` `=` $left `,` `right` `=` $right `>`";
}

def Attn_ChunkAttr : Attn_Attr<"Chunk", "chunk"> {
  let summary = "chunked local attention (size, lookback)";
  let description = [{
    Llama-4 style local attention: keep key `j` for query `i` when
    `i / size - j / size <= lookback` (in place of a sliding window).

    ```mlir
    #attn.chunk<size = 8192, lookback = 0>
    ```
  }];
  let parameters = (ins "int64_t":$size, "int64_t":$lookback);
  let assemblyFormat = "`<` `size` `=` $size `,` `lookback` `=` $lookback `>`";
}

def Attn_PlanAttr : Attn_Attr<"Plan", "plan"> {
  let summary = "the schedule of one attention op for one target";
  let description = [{
    Chosen by `attn-plan`, read by `convert-attn-to-tiles`. A program owns
    `block_q` query tokens of one sequence times the `block_m / block_q`
    query heads that share one kv head (GQA packing), and walks the keys
    `block_n` at a time. `segments > 0` adds a split-KV form: the keys of a
    sequence are cut into `segments` parts computed by separate programs and
    merged by a reduce kernel; the runtime picks the 2D or the split form per
    call. `wide_block_m > 0` adds a third form for prefills: a 2D kernel
    whose programs own `wide_block_m` rows (`wide_block_m / (block_m /
    block_q)` tokens), with `wide_block_m / block_m` times the warps; the
    runtime takes it when a batch's queries are long.

    ```mlir
    #attn.plan<target = host, block_q = 4, block_m = 16, block_n = 32,
               warps = 1, stages = 1, segments = 4>
    #attn.plan<target = sm_90a, block_q = 16, block_m = 64, block_n = 32,
               warps = 4, stages = 2, segments = 16, wide_block_m = 128>
    ```
  }];
  let parameters = (ins "::mlir::attn::Target":$target, "int64_t":$block_q,
                        "int64_t":$block_m, "int64_t":$block_n,
                        "int64_t":$warps, "int64_t":$stages,
                        "int64_t":$segments,
                        DefaultValuedParameter<"int64_t", "0">:$wide_block_m);
  let assemblyFormat = [{
    `<` `target` `=` $target `,` `block_q` `=` $block_q `,`
    `block_m` `=` $block_m `,` `block_n` `=` $block_n `,`
    `warps` `=` $warps `,` `stages` `=` $stages `,`
    `segments` `=` $segments (`,` `wide_block_m` `=` $wide_block_m^)? `>`
  }];
  let extraClassDeclaration = [{
    /// The plan of the wide form's kernel (wide_block_m rows, the warps
    /// scaled with them, no split form); null when there is none.
    PlanAttr getWidePlan() const;
  }];
  let genVerifyDecl = 1;
}

#endif // ATTN_DIALECT_ATTN_IR_ATTNATTRS_TD
