//===- Passes.td - attn dialect passes ---------------------*- tablegen -*-===//

#ifndef ATTN_DIALECT_ATTN_TRANSFORMS_PASSES_TD
#define ATTN_DIALECT_ATTN_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def AttnPlanPass : Pass<"attn-plan", "ModuleOp"> {
  let summary = "Choose a schedule (#attn.plan) for every attention op";
  let description = [{
    Attaches `plan #attn.plan<...>` to each `attn.paged_attention` and
    `attn.varlen_attention` op. The choice depends only on the target and
    the variant (head sizes, GQA group, dtypes), so it is deterministic;
    every field can be overridden by an option for tuning. An op that
    already has a plan keeps it.

    The query tile packs `block_q` tokens times the `heads / kv_heads` query
    heads of one kv head into `block_m = block_q * group` rows (so a decode
    step of a GQA model fills the tile with heads, not tokens).

    Before:
    ```mlir
    attn.paged_attention ... scale(0.0883883461) causal
    ```
    After `--attn-plan=target=host`:
    ```mlir
    attn.paged_attention ... scale(0.0883883461) causal
        plan <target = <host>, block_q = 4, block_m = 16, block_n = 32,
              warps = 1, stages = 1, segments = 4>
    ```
  }];
  let options = [
    Option<"target", "target", "std::string", "\"host\"",
           "target chip: host, sm_80, sm_90a, gfx90a, gfx942">,
    Option<"blockM", "block-m", "int64_t", "0",
           "rows of the query tile (0 = the target's choice); rounded to a "
           "multiple of the GQA group">,
    Option<"blockN", "block-n", "int64_t", "0",
           "keys per KV tile (0 = the target's choice)">,
    Option<"warps", "warps", "int64_t", "0", "warps per program (0 = choice)">,
    Option<"stages", "stages", "int64_t", "0",
           "pipeline stages (0 = choice)">,
    Option<"segments", "segments", "int64_t", "-1",
           "split-KV segments (-1 = the target's choice, 0 = no split form)">,
    Option<"wideBlockM", "wide-block-m", "int64_t", "-1",
           "rows of the wide (prefill) form's query tile (-1 = the target's "
           "choice, 0 = no wide form); rounded down to a multiple of "
           "block_m, kept only above it">
  ];
  let dependentDialects = ["::mlir::attn::AttnDialect"];
}

#endif // ATTN_DIALECT_ATTN_TRANSFORMS_PASSES_TD
