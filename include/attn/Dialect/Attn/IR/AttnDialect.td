//===- AttnDialect.td - the attn dialect -------------------*- tablegen -*-===//
//
// The dialect record and the base class of every attn op.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_DIALECT_ATTN_IR_ATTNDIALECT_TD
#define ATTN_DIALECT_ATTN_IR_ATTNDIALECT_TD

include "mlir/IR/OpBase.td"

def Attn_Dialect : Dialect {
  let name = "attn";
  let cppNamespace = "::mlir::attn";
  let summary = "Attention variants of LLM serving, as compiler input";
  let description = [{
    The `attn` dialect says *what* an attention kernel computes: the mask
    (causal or bidirectional, sliding window, chunked local attention,
    mm-prefix bidirectional ranges), the score modifiers (softcap, ALiBi,
    qq-bias, sinks), the KV cache (paged through a block table, or
    contiguous varlen K/V), its quantization, the head sizes, the softmax
    scale and the output dtype. Operands are memrefs in vLLM's layouts
    (`q` is `[num_tokens, heads, head_size]`, the paged caches are
    `[num_blocks, block_size, kv_heads, head_size]`), with the static sizes
    (heads, kv heads, head sizes, block size) in the types and the batch
    sizes dynamic.

    Lowering: `attn-plan` attaches a schedule (`#attn.plan`) to each op,
    `convert-attn-to-tiles` turns each op into target-neutral kernel
    functions, and a backend (host, NVIDIA, AMD) chooses instructions.
  }];
  let useDefaultAttributePrinterParser = 1;
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

class Attn_Op<string mnemonic, list<Trait> traits = []>
    : Op<Attn_Dialect, mnemonic, traits>;

#endif // ATTN_DIALECT_ATTN_IR_ATTNDIALECT_TD
