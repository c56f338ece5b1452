//===- Passes.td - target-neutral conversions --------------*- tablegen -*-===//

#ifndef ATTN_CONVERSION_PASSES_TD
#define ATTN_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertAttnToTilesPass : Pass<"convert-attn-to-tiles", "ModuleOp"> {
  let summary = "Lower attn ops to the one target-neutral tiled schedule";
  let description = [{
    Replaces every function whose body is one attn op (a *variant
    function*, as `attn-opt --spec` builds) by the kernel functions of the
    kernel ABI (docs/KernelABI.md), written with scf, arith, math, vector
    and the two `attn_tile` row ops, and records each kernel in the module's
    `attn.kernels` attribute (the manifest).

    For `attn.paged_attention` / `attn.varlen_attention` (which need a
    `plan`): `@<name>_2d` and, when the plan has segments, `@<name>_split`
    and `@<name>_reduce`. A program finds its sequence from its query block,
    loads a `[block_m, head_size]` query tile (block_q tokens x the group's
    heads), walks the KV tiles that its mask can reach (tiles above the
    causal diagonal, left of the window or before the chunk are never
    visited), gathers K/V rows through the block table, dequantizes them,
    applies scale, softcap, ALiBi, qq-bias and the masks, and runs the
    online softmax in f32; the epilogue normalises, writes lse and
    quantizes fp8 output. `attn.merge_states` becomes `@<name>_reduce`,
    `attn.cache_write` becomes `@<name>_write`.

    Kernel functions take `(pid_x, pid_y, pid_z : index)` followed by the
    ABI's buffers as 1-D memrefs and its i32 scalars; the attribute
    `attn.grid = [x, y, z]` (x = -1: computed at run time) gives the grid.

    Before:
    ```mlir
    func.func @llama(%q: memref<?x32x128xbf16>, ...) {
      attn.paged_attention q(%q : ...) ... plan <...>
      return
    }
    ```
    After:
    ```mlir
    func.func @llama_2d(%pid_x: index, %pid_y: index, %pid_z: index,
                        %q: memref<?xbf16>, ...) attributes {attn.grid = [-1, 8, 1], ...} {
      ...
      scf.for %j = %lo to %hi step %c32 iter_args(%m = ..., %l = ..., %acc = ...) {
        %k = attn_tile.load_rows %kc[%rows], %valid : ... -> vector<32x128xbf16>
        %s = vector.contract ... 
        ...
      }
    }
    ```
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect", "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect", "::mlir::func::FuncDialect",
    "::mlir::attn::tile::AttnTileDialect"
  ];
}

#endif // ATTN_CONVERSION_PASSES_TD
