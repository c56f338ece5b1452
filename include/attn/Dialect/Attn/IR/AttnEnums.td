//===- AttnEnums.td - attn enumerations --------------------*- tablegen -*-===//

#ifndef ATTN_DIALECT_ATTN_IR_ATTNENUMS_TD
#define ATTN_DIALECT_ATTN_IR_ATTNENUMS_TD

include "mlir/IR/EnumAttr.td"

def Attn_AlibiKind : I32EnumAttr<"AlibiKind", "ALiBi position bias", [
    I32EnumAttrCase<"plain", 0>,
    I32EnumAttrCase<"sqrt", 1>]> {
  let cppNamespace = "::mlir::attn";
  let genSpecializedAttr = 0;
}

def Attn_KVQuant : I32EnumAttr<"KVQuant", "KV cache quantization", [
    I32EnumAttrCase<"per_tensor", 0>,
    I32EnumAttrCase<"per_token_head_int8", 1>,
    I32EnumAttrCase<"per_token_head_fp8", 2>]> {
  let cppNamespace = "::mlir::attn";
  let genSpecializedAttr = 0;
}

def Attn_Target : I32EnumAttr<"Target", "code generation target", [
    I32EnumAttrCase<"host", 0>,
    I32EnumAttrCase<"sm_80", 1>,
    I32EnumAttrCase<"sm_90a", 2>,
    I32EnumAttrCase<"gfx90a", 3>,
    I32EnumAttrCase<"gfx942", 4>]> {
  let cppNamespace = "::mlir::attn";
  let genSpecializedAttr = 0;
}

#endif // ATTN_DIALECT_ATTN_IR_ATTNENUMS_TD
