// RUN: attn-opt %s --attn-host-pipeline | FileCheck %s
// RUN: attn-opt %s --attn-host-pipeline="segments=0" | FileCheck %s --check-prefix=NOSPLIT

// The whole host pipeline ends in the LLVM dialect with the packed-argument
// C entry points of docs/KernelABI.md.
// CHECK-DAG:   llvm.func @llama_2d(%{{.+}}: i64, %{{.+}}: i64, %{{.+}}: !llvm.ptr)
// CHECK-DAG:   llvm.func @llama_split(%{{.+}}: i64, %{{.+}}: i64, %{{.+}}: !llvm.ptr)
// CHECK-DAG:   llvm.func @llama_reduce(%{{.+}}: i64, %{{.+}}: i64, %{{.+}}: !llvm.ptr)
// CHECK-DAG:   llvm.mlir.global external constant @attn_manifest
// CHECK-NOT:   func.func
// CHECK-NOT:   vector.contract
// NOSPLIT:     llvm.func @llama_2d(
// NOSPLIT-NOT: llvm.func @llama_split(
func.func @llama(%q: memref<?x4x64xf16>, %k: memref<?x16x1x64xf16>, %v: memref<?x16x1x64xf16>,
                 %bt: memref<?x?xi32>, %sl: memref<?xi32>, %cu: memref<?xi32>, %o: memref<?x4x64xf16>) {
  attn.paged_attention q(%q : memref<?x4x64xf16>) k_cache(%k : memref<?x16x1x64xf16>)
      v_cache(%v : memref<?x16x1x64xf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>)
      out(%o : memref<?x4x64xf16>) scale(0.125) causal
  return
}
