//===- Passes.td - host backend passes ---------------------*- tablegen -*-===//

#ifndef ATTN_BACKEND_HOST_PASSES_TD
#define ATTN_BACKEND_HOST_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertAttnTilesToHostPass : Pass<"convert-attn-tiles-to-host", "ModuleOp"> {
  let summary = "Choose host instructions for the tiled schedule";
  let description = [{
    The host (CPU) backend, run on the output of `convert-attn-to-tiles`:

    - each kernel function `@k(pid_x, pid_y, pid_z, buffers..., scalars...)`
      becomes the private `@k_program`, and a public `@k(pid_begin : i64,
      pid_end : i64, buffers..., scalars...)` runs the programs of a range
      of linear program ids (the host ABI of docs/KernelABI.md);
    - `attn_tile.load_rows` / `store_rows` become one contiguous vector
      load / store per row, guarded by the row's mask;
    - conversions from and to f16, bf16 and the fp8 formats (f8E4M3FN,
      f8E5M2, f8E4M3FNUZ, f8E5M2FNUZ) become integer bit manipulation
      (round to nearest even; e4m3fn and the fnuz formats saturate), so the
      object needs no compiler runtime helpers;
    - the manifest (JSON) is embedded as the global `attn_manifest`.

    What remains is upstream vector/scf/arith/math/memref, which the
    `attn-host-pipeline` lowers to the LLVM dialect.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect", "::mlir::LLVM::LLVMDialect",
    "::mlir::func::FuncDialect", "::mlir::math::MathDialect"
  ];
}

def ConvertAttnHostEntryPointsPass
    : Pass<"convert-attn-host-entry-points", "ModuleOp"> {
  let summary = "Add the packed-argument C entry points of host kernels";
  let description = [{
    Runs after the lowering to the LLVM dialect. For every `@<k>_range`
    function (the program-range loop of kernel `k`, carrying an `attn.abi`
    list that tells buffers from i32 scalars), adds the exported

    ```
    llvm.func @<k>(%pid_begin: i64, %pid_end: i64, %args: !llvm.ptr)
    ```

    where `args[i]` points to the value of argument `i` (a buffer pointer
    or an `int32_t`), as CUDA's `kernelParams` do; it unpacks them into the
    memref descriptors of `@<k>_range` and calls it.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

#endif // ATTN_BACKEND_HOST_PASSES_TD
