// RUN: attn-opt %s --convert-attn-to-tiles --convert-attn-tiles-to-nvvm="mapping=simt" | FileCheck %s
// RUN: attn-opt %s --convert-attn-to-tiles --convert-attn-tiles-to-nvvm="chip=sm_90a mapping=simt" | FileCheck %s --check-prefix=SM90
// RUN: attn-opt %s --attn-nvidia-pipeline="mapping=simt" | attn-translate --attn-to-cuda-ptx | FileCheck %s --check-prefix=PTX

// The SIMT mapping (mapping=simt; also what f32 models get): one CUDA block per program (block ids are the program
// ids), one thread per query-tile row (block_m = 64 threads), buffers as
// global pointers in ABI order, K and V tiles staged in shared memory
// between barriers.
// CHECK:       gpu.module @attn_kernels [#nvvm.target<O = 3, chip = "sm_80", features = "+ptx80">]
// CHECK-LABEL: gpu.func @llama_2d
// CHECK-SAME:    (%{{.+}}: !llvm.ptr<1>,
// CHECK-SAME:    %{{.+}}: i32)
// CHECK-SAME:    workgroup(%[[KS:.+]] : memref<32x64xf32, #gpu.address_space<workgroup>>, %[[VS:.+]] : memref<32x64xf32, #gpu.address_space<workgroup>>)
// CHECK-SAME:    kernel attributes {known_block_size = array<i32: 64, 1, 1>}
// CHECK:         %[[TID:.+]] = gpu.thread_id x
// CHECK:         gpu.block_id x
// CHECK:         scf.for
// CHECK:           gpu.barrier
// CHECK:           scf.for %{{.+}} = %[[TID]] to %{{.+}} step %{{.+}} {
// CHECK:             vector.store %{{.+}}, %[[KS]]
// CHECK:           gpu.barrier
// CHECK:           vector.load %[[KS]]
// CHECK:           vector.reduction <add>
// CHECK:           vector.store %{{.+}}, %[[VS]]
// CHECK:           vector.fma
// CHECK:       gpu.func @llama_reduce
// CHECK-SAME:    known_block_size = array<i32: 16, 1, 1>
// CHECK-NOT:   func.func
// SM90:        #nvvm.target<O = 3, chip = "sm_90a", features = "+ptx80">
// PTX:         .entry llama_2d(
// PTX:         .shared .align {{[0-9]+}} .b8 __wg_llama_2d_0[8192]
// PTX:         bar.sync
// PTX:         .entry llama_split(
// PTX:         .entry llama_reduce(
func.func @llama(%q: memref<?x8x64xf16>, %k: memref<?x16x2x64xf16>, %v: memref<?x16x2x64xf16>,
                 %bt: memref<?x?xi32>, %sl: memref<?xi32>, %cu: memref<?xi32>, %o: memref<?x8x64xf16>) {
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%k : memref<?x16x2x64xf16>)
      v_cache(%v : memref<?x16x2x64xf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>)
      out(%o : memref<?x8x64xf16>) scale(0.125) causal
      plan <target = sm_80, block_q = 16, block_m = 64, block_n = 32, warps = 2, stages = 2, segments = 4>
  return
}
