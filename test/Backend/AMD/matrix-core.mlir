// RUN: attn-opt %s --convert-attn-to-tiles --convert-attn-tiles-to-rocdl | FileCheck %s --check-prefixes=CHECK,GFX942
// RUN: attn-opt %s --convert-attn-to-tiles --convert-attn-tiles-to-rocdl="chip=gfx90a" | FileCheck %s --check-prefixes=CHECK,GFX90A
// RUN: attn-opt %s --convert-attn-to-tiles --convert-attn-tiles-to-rocdl="mapping=simt" | FileCheck %s --check-prefix=SIMT
// RUN: not attn-opt %s --convert-attn-to-tiles --convert-attn-tiles-to-rocdl="mapping=wmma" 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: attn-opt %s --attn-amd-pipeline="chip=gfx942" | attn-translate --attn-to-hsaco -o %t.942.hsaco
// RUN: llvm-objdump -d --mcpu=gfx942 %t.942.hsaco | FileCheck %s --check-prefix=ISA942
// RUN: llvm-readelf --notes %t.942.hsaco | FileCheck %s --check-prefix=NOTES
// RUN: attn-opt %s --attn-amd-pipeline="chip=gfx90a" | attn-translate --attn-to-hsaco -o %t.90a.hsaco
// RUN: llvm-objdump -d --mcpu=gfx90a %t.90a.hsaco | FileCheck %s --check-prefix=ISA90A
// RUN: llvm-readelf --notes %t.90a.hsaco | FileCheck %s --check-prefix=NOTES

// The matrix-core mapping (mfma 16x16x16, wave64): block_m / 16 waves of 64
// lanes; S^T = K Q^T and O^T = V^T P^T so that lane l holds query row
// l % 16 of its wave in every query-side value: a [64 x C] tile is C / 4
// elements per thread, a row vector one. K is staged row-major and V
// transposed in LDS (compute type, rows padded to 4 mod 8 elements); each
// thread reads its A operands with 8-byte loads. The KV loop is pipelined
// through registers: the cache loads of tile i + 1 are issued at the start
// of iteration i and written to LDS at its end.
// GFX942:      gpu.module @attn_kernels [#rocdl.target<O = 3, chip = "gfx942">]
// GFX90A:      gpu.module @attn_kernels [#rocdl.target<O = 3, chip = "gfx90a">]
// CHECK-LABEL: gpu.func @gqa_2d
// CHECK-SAME:    workgroup(%[[K:.+]] : memref<32x132xbf16, #gpu.address_space<workgroup>>, %[[V:.+]] : memref<128x36xbf16, #gpu.address_space<workgroup>>)
// CHECK-SAME:    known_block_size = array<i32: 256, 1, 1>
// Prologue: tile 0 straight to LDS, K in 8-element chunks, V transposed.
// CHECK:         gpu.barrier
// CHECK:         vector.load %{{.+}} {alignment = 16 : i64} : memref<?xbf16, 1>, vector<8xbf16>
// CHECK:         vector.store %{{.+}}, %[[K]][%{{.+}}, %{{.+}}] {alignment = 8 : i64} : memref<32x132xbf16, #gpu.address_space<workgroup>>, vector<8xbf16>
// CHECK:         memref.store %{{.+}}, %[[V]][%{{.+}}, %{{.+}}] : memref<128x36xbf16, #gpu.address_space<workgroup>>
// CHECK:         scf.for %{{.+}} iter_args(%{{.+}}, %{{.+}}, %{{.+}}) -> (vector<1xf32>, vector<1xf32>, vector<32xf32>)
// Iteration i: tile i is in LDS after the barrier; the loads of tile i + 1
// go to registers.
// CHECK:           gpu.barrier
// CHECK:           vector.load %{{.+}} {alignment = 16 : i64} : memref<?xbf16, 1>, vector<8xbf16>
// CHECK-NOT:       gpu.barrier
// CHECK:           vector.load %[[K]][%{{.+}}, %{{.+}}] {alignment = 8 : i64} : memref<32x132xbf16, #gpu.address_space<workgroup>>, vector<4xbf16>
// S^T: 2 key blocks x 8 head-dim slabs.
// CHECK-COUNT-16:  rocdl.mfma.f32.16x16x16bf16.1k %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}} : (vector<4xi16>, vector<4xi16>, vector<4xf32>, i32, i32, i32) -> vector<4xf32>
// Row max: 8 scores per thread, then the four lanes of the row.
// CHECK:           vector.reduction <maxnumf>, %{{.+}} : vector<8xf32> into f32
// CHECK:           gpu.shuffle  xor %{{.+}}, %c16_i32{{.*}}, %c64_i32{{.*}} : f32
// CHECK:           gpu.shuffle  xor %{{.+}}, %c32_i32{{.*}}, %c64_i32{{.*}} : f32
// CHECK:           math.exp2 %{{.+}} : vector<8xf32>
// P is rounded to bf16 in registers: the B operand of O^T = V^T P^T.
// CHECK:           arith.truncf %{{.+}} : vector<8xf32> to vector<8xbf16>
// CHECK-NOT:       gpu.barrier
// CHECK:           vector.load %[[V]][%{{.+}}, %{{.+}}] {alignment = 8 : i64} : memref<128x36xbf16, #gpu.address_space<workgroup>>, vector<4xbf16>
// O^T: 8 head-dim blocks x 2 key slabs.
// CHECK-COUNT-16:  rocdl.mfma.f32.16x16x16bf16.1k
// Tile i + 1 to LDS once every wave is done with tile i.
// CHECK:           gpu.barrier
// CHECK:           vector.store %{{.+}}, %[[K]]
// CHECK:           memref.store %{{.+}}, %[[V]]
// CHECK:           scf.yield %{{.+}}, %{{.+}}, %{{.+}} : vector<1xf32>, vector<1xf32>, vector<32xf32>
// Each thread stores the 4-element runs of its row.
// CHECK:         vector.store %{{.+}}, %{{.+}}[%{{.+}}] {alignment = 8 : i64} : memref<?xbf16, 1>, vector<4xbf16>
// CHECK-LABEL: gpu.func @gqa_split
// CHECK-SAME:    known_block_size = array<i32: 256, 1, 1>
// CHECK:         rocdl.mfma.f32.16x16x16bf16.1k
// The merge of the split form is not a product: the row mapping, dv / 4
// threads of four elements each.
// CHECK-LABEL: gpu.func @gqa_reduce
// CHECK-SAME:    known_block_size = array<i32: 32, 1, 1>

// An fp8 cache: the raw bytes of tile i + 1 are loaded at the start of
// iteration i, dequantized and stored to LDS as bf16 at its end.
// CHECK-LABEL: gpu.func @fp8_2d
// CHECK-SAME:    known_block_size = array<i32: 256, 1, 1>
// CHECK:         scf.for
// CHECK:           gpu.barrier
// CHECK:           vector.load %{{.+}} : memref<?xf8E4M3FN, 1>, vector<8xf8E4M3FN>
// CHECK:           rocdl.mfma.f32.16x16x16bf16.1k
// CHECK:           gpu.barrier
// CHECK:           arith.truncf %{{.+}} : vector<8xf32> to vector<8xbf16>
// CHECK:           vector.store %{{.+}}, %{{.+}} {alignment = 8 : i64} : memref<32x132xbf16, #gpu.address_space<workgroup>>, vector<8xbf16>
// CHECK:           scf.yield

// f16 takes f16 operands.
// CHECK-LABEL: gpu.func @f16_2d
// CHECK-SAME:    known_block_size = array<i32: 256, 1, 1>
// CHECK:         rocdl.mfma.f32.16x16x16f16 %{{.+}} : (vector<4xf16>, vector<4xf16>, vector<4xf32>, i32, i32, i32) -> vector<4xf32>

// f32 queries have no 16-bit mfma: the SIMT mapping (one thread per row).
// CHECK-LABEL: gpu.func @f32_2d
// CHECK-SAME:    known_block_size = array<i32: 64, 1, 1>
// CHECK-NOT:     rocdl.mfma

// mapping=simt: every kernel on the SIMT mapping.
// SIMT-LABEL:  gpu.func @gqa_2d
// SIMT-SAME:     known_block_size = array<i32: 64, 1, 1>
// SIMT-NOT:      rocdl.mfma

// BAD: unknown mapping 'wmma' (expected matrix-core or simt)

// The code objects: the mfma instructions survive, and the kernels of the
// 16-bit variants neither spill nor use scratch.
// ISA942-LABEL: <gqa_2d>:
// ISA942:         v_mfma_f32_16x16x16_bf16
// ISA942-LABEL: <gqa_split>:
// ISA942:         v_mfma_f32_16x16x16_bf16
// ISA942-LABEL: <fp8_2d>:
// ISA942:         v_mfma_f32_16x16x16_bf16
// ISA942-LABEL: <f16_2d>:
// ISA942:         v_mfma_f32_16x16x16_f16
// ISA942-LABEL: <f32_2d>:
// ISA942-NOT:     v_mfma
// ISA90A-LABEL: <gqa_2d>:
// ISA90A:         v_mfma_f32_16x16x16bf16_1k
// ISA90A-LABEL: <gqa_split>:
// ISA90A:         v_mfma_f32_16x16x16bf16_1k
// ISA90A-LABEL: <fp8_2d>:
// ISA90A:         v_mfma_f32_16x16x16bf16_1k
// ISA90A-LABEL: <f16_2d>:
// ISA90A:         v_mfma_f32_16x16x16f16
// ISA90A-LABEL: <f32_2d>:
// ISA90A-NOT:     v_mfma

// NOTES:       .group_segment_fixed_size: 17664
// NOTES:       .max_flat_workgroup_size: 256
// NOTES-NEXT:  .name: gqa_2d
// NOTES-NEXT:  .private_segment_fixed_size: 0
// NOTES:       .sgpr_spill_count: 0
// NOTES:       .vgpr_spill_count: 0
// NOTES:       .name: gqa_split
// NOTES-NEXT:  .private_segment_fixed_size: 0
// NOTES:       .sgpr_spill_count: 0
// NOTES:       .vgpr_spill_count: 0
// NOTES:       .group_segment_fixed_size: 17664
// NOTES:       .max_flat_workgroup_size: 256
// NOTES-NEXT:  .name: fp8_2d
// NOTES-NEXT:  .private_segment_fixed_size: 0
// NOTES:       .sgpr_spill_count: 0
// NOTES:       .vgpr_spill_count: 0
// NOTES:       .name: f16_2d
// NOTES-NEXT:  .private_segment_fixed_size: 0
// NOTES:       .sgpr_spill_count: 0
// NOTES:       .vgpr_spill_count: 0
// NOTES:       .name: f32_2d

// Llama-3-8B-like: 32 query heads over 8 KV heads, head 128, bf16.
func.func @gqa(%q: memref<?x32x128xbf16>, %k: memref<?x16x8x128xbf16>, %v: memref<?x16x8x128xbf16>,
               %bt: memref<?x?xi32>, %sl: memref<?xi32>, %cu: memref<?xi32>, %o: memref<?x32x128xbf16>) {
  attn.paged_attention q(%q : memref<?x32x128xbf16>) k_cache(%k : memref<?x16x8x128xbf16>)
      v_cache(%v : memref<?x16x8x128xbf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>)
      out(%o : memref<?x32x128xbf16>) scale(0.088388) causal
      plan <target = gfx942, block_q = 16, block_m = 64, block_n = 32, warps = 4, stages = 2, segments = 16>
  return
}

// The same with an fp8 (E4M3) cache, per-tensor scales.
func.func @fp8(%q: memref<?x32x128xbf16>, %k: memref<?x16x8x128xf8E4M3FN>, %v: memref<?x16x8x128xf8E4M3FN>,
               %bt: memref<?x?xi32>, %sl: memref<?xi32>, %cu: memref<?xi32>, %o: memref<?x32x128xbf16>,
               %ks: memref<1xf32>, %vs: memref<1xf32>) {
  attn.paged_attention q(%q : memref<?x32x128xbf16>) k_cache(%k : memref<?x16x8x128xf8E4M3FN>)
      v_cache(%v : memref<?x16x8x128xf8E4M3FN>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>)
      k_scale(%ks : memref<1xf32>) v_scale(%vs : memref<1xf32>)
      out(%o : memref<?x32x128xbf16>) scale(0.088388) causal kv_quant <per_tensor>
      plan <target = gfx942, block_q = 16, block_m = 64, block_n = 32, warps = 4, stages = 2, segments = 0>
  return
}

// GPT-OSS-like: f16, head 64, sinks, sliding window.
func.func @f16(%q: memref<?x8x64xf16>, %k: memref<?x16x2x64xf16>, %v: memref<?x16x2x64xf16>,
               %bt: memref<?x?xi32>, %sl: memref<?xi32>, %cu: memref<?xi32>, %o: memref<?x8x64xf16>,
               %sinks: memref<8xf32>) {
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%k : memref<?x16x2x64xf16>)
      v_cache(%v : memref<?x16x2x64xf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>)
      sinks(%sinks : memref<8xf32>) out(%o : memref<?x8x64xf16>) scale(0.125) causal
      window <left = 127, right = 0>
      plan <target = gfx942, block_q = 16, block_m = 64, block_n = 32, warps = 4, stages = 2, segments = 0>
  return
}

func.func @f32(%q: memref<?x8x64xf32>, %k: memref<?x16x2x64xf32>, %v: memref<?x16x2x64xf32>,
               %bt: memref<?x?xi32>, %sl: memref<?xi32>, %cu: memref<?xi32>, %o: memref<?x8x64xf32>) {
  attn.paged_attention q(%q : memref<?x8x64xf32>) k_cache(%k : memref<?x16x2x64xf32>)
      v_cache(%v : memref<?x16x2x64xf32>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>)
      out(%o : memref<?x8x64xf32>) scale(0.125) causal
      plan <target = gfx942, block_q = 16, block_m = 64, block_n = 32, warps = 4, stages = 2, segments = 0>
  return
}
