// RUN: attn-opt %s --convert-attn-to-tiles --convert-attn-tiles-to-nvvm | FileCheck %s
// RUN: attn-opt %s --attn-nvidia-pipeline | attn-translate --attn-to-cuda-ptx | FileCheck %s --check-prefix=PTX
// RUN: attn-opt %s --attn-nvidia-pipeline="chip=sm_90" | attn-translate --attn-to-cuda-ptx | FileCheck %s --check-prefix=SM90
// RUN: not attn-opt %s --convert-attn-to-tiles --convert-attn-tiles-to-nvvm="mapping=wmma" 2>&1 | FileCheck %s --check-prefix=BAD

// The tensor-core mapping (sm_80 path): block_m / 16 warps, scores and the
// accumulator in the mma.sync accumulator layout, K/V tiles gathered with
// cp.async into a double buffer (the copies of tile i + 1 overlap the
// products of tile i; K and V rows share their block-table lookups and one
// commit group), B fragments with ldmatrix (.trans for V),
// mma.sync m16n8k16 with f32 accumulation, row reductions by shfl.xor.
// CHECK-LABEL: gpu.func @tc_2d
// CHECK-SAME:    workgroup(%{{.+}} : memref<64x72xbf16, #gpu.address_space<workgroup>>, %{{.+}} : memref<64x72xbf16, #gpu.address_space<workgroup>>)
// CHECK-SAME:    known_block_size = array<i32: 128, 1, 1>
// Only the KV tiles that the causal window can reach are visited: the loop
// runs from the window's first tile to min(seq_len, last query + 1).
// CHECK:         arith.minsi
// CHECK:         %[[HI:.+]] = arith.minsi
// CHECK:         %[[FIRST:.+]] = arith.maxsi
// CHECK:         %[[TILE:.+]] = arith.divsi %[[FIRST]], %c32
// CHECK:         %[[LO:.+]] = arith.muli %[[TILE]], %c32
// Whether the warp owns a stored row (a decode step's rows all sit in warp
// 0): the others skip the products and the softmax of every tile.
// CHECK:         %[[ACTIVE:.+]] = nvvm.vote.sync  any %{{.+}}, %{{.+}} -> i1
// Prologue: tile 0 of K and V, one commit group.
// CHECK:         nvvm.cp.async.shared.global %{{.+}}, %{{.+}}, 16, cache =  cg, %{{.+}} : !llvm.ptr<3>, !llvm.ptr<1>, i32
// CHECK:         nvvm.cp.async.commit.group
// CHECK:         scf.for %{{.+}} = %[[LO]] to %[[HI]] step %c32
// CHECK:           gpu.barrier
// CHECK:           nvvm.cp.async.shared.global
// CHECK:           nvvm.cp.async.commit.group
// CHECK-NOT:       nvvm.cp.async.commit.group
// CHECK:           nvvm.cp.async.wait.group 1
// CHECK:           gpu.barrier
// CHECK:           scf.if %[[ACTIVE]] -> (vector<2xf32>, vector<2xf32>, vector<32xf32>) {
// CHECK:           nvvm.ldmatrix %{{.+}} {eltType = #nvvm.ld_st_matrix_elt_type<b16>, layout = #nvvm.mma_layout<row>, num = 4 : i32, shape = #nvvm.ld_st_matrix_shape<m = 8, n = 8>}
// CHECK:           nvvm.mma.sync A[{{.+}}] B[{{.+}}] C[{{.+}}] {layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>, multiplicandAPtxType = #nvvm.mma_type<bf16>, multiplicandBPtxType = #nvvm.mma_type<bf16>, shape = #nvvm.shape<m = 16, n = 8, k = 16>}
// The mask only on tiles that reach the diagonal or the sequence's end.
// CHECK:           scf.if %{{.+}} -> (vector<16xf32>) {
// CHECK:             arith.select
// CHECK:           } else {
// CHECK:           gpu.shuffle  xor %{{.+}}, %c1_i32{{.*}}, %c32_i32{{.*}} : f32
// CHECK:           gpu.shuffle  xor %{{.+}}, %c2_i32{{.*}}, %c32_i32{{.*}} : f32
// Softmax on the special-function unit: exp2 of one fused
// multiply-subtract per score (the scale meets the row max there).
// CHECK:           arith.mulf %{{.+}}, %{{.+}} fastmath<contract> : vector<16xf32>
// CHECK:           %[[ARG:.+]] = arith.subf %{{.+}}, %{{.+}} fastmath<contract> : vector<16xf32>
// CHECK:           %[[X:.+]] = vector.extract %[[ARG]][0]
// CHECK-NEXT:      llvm.call_intrinsic "llvm.nvvm.ex2.approx.ftz.f32"(%[[X]])
// The accumulator is rescaled only when a row's max moved (vote.sync.any
// of alpha != 1); inline PTX keeps LLVM from turning the branch into
// selects.
// CHECK:           %[[MOVED:.+]] = nvvm.vote.sync  any %{{.+}}, %{{.+}} -> i1
// CHECK:           scf.if %[[MOVED]] -> (vector<32xf32>) {
// CHECK-COUNT-32:    llvm.inline_asm has_side_effects "mul.f32 $0, $1, $2;"
// CHECK:           } else {
// CHECK-NOT:       gpu.barrier
// CHECK:           nvvm.ldmatrix %{{.+}} {eltType = #nvvm.ld_st_matrix_elt_type<b16>, layout = #nvvm.mma_layout<col>, num = 4 : i32
// CHECK:           nvvm.mma.sync
// CHECK-LABEL: gpu.func @tc_split
// CHECK:         nvvm.mma.sync
// The merge of the split form is not a product: the row mapping, dv / 4
// threads, each loading four elements of every partial row at once.
// CHECK-LABEL: gpu.func @tc_reduce
// CHECK-SAME:    known_block_size = array<i32: 16, 1, 1>
// CHECK:         vector.load %{{.+}}[%{{.+}}] {alignment = 16 : i64} : memref<?xf32, 1>, vector<4xf32>

// An fp8 cache is copied raw: cp.async moves its bytes into a double
// buffer ([2 block_n x 128 + 16] i8, tile i + 1 in flight), and after the
// wait the threads dequantize tile i into one bf16 buffer (64 + 16 bytes
// of the former per 128 of the latter), read with ldmatrix like a bf16 tile.
// CHECK-LABEL: gpu.func @fp8_2d
// CHECK-SAME:    workgroup(%[[KC:.+]] : memref<32x136xbf16, #gpu.address_space<workgroup>>, %{{.+}} : memref<32x136xbf16, #gpu.address_space<workgroup>>, %[[KR:.+]] : memref<64x144xi8, #gpu.address_space<workgroup>>, %{{.+}} : memref<64x144xi8, #gpu.address_space<workgroup>>)
// CHECK-SAME:    known_block_size = array<i32: 128, 1, 1>
// CHECK:         nvvm.cp.async.shared.global %{{.+}}, %{{.+}}, 16, cache =  cg
// CHECK:         nvvm.cp.async.commit.group
// CHECK:         scf.for
// CHECK:           gpu.barrier
// CHECK:           nvvm.cp.async.shared.global
// CHECK:           nvvm.cp.async.commit.group
// CHECK:           nvvm.cp.async.wait.group 1
// CHECK-NEXT:      gpu.barrier
// CHECK:           vector.load %[[KR]][%{{.+}}, %{{.+}}] {alignment = 8 : i64} : memref<64x144xi8, #gpu.address_space<workgroup>>, vector<8xi8>
// fp8 -> f32 goes through f16: the e4m3 byte moved into an f16 (x 2^-8).
// CHECK:           arith.extui %{{.+}} : vector<8xi8> to vector<8xi16>
// CHECK:           arith.bitcast %{{.+}} : vector<8xi16> to vector<8xf16>
// CHECK:           arith.extf %{{.+}} : vector<8xf16> to vector<8xf32>
// CHECK:           arith.mulf %{{.+}}, %{{.+}} : vector<8xf32>
// CHECK:           vector.store %{{.+}}, %[[KC]][%{{.+}}, %{{.+}}] {alignment = 16 : i64} : memref<32x136xbf16, #gpu.address_space<workgroup>>, vector<8xbf16>
// CHECK:           gpu.barrier
// CHECK:           nvvm.ldmatrix
// CHECK:           nvvm.mma.sync

// f32 queries have no 16-bit MMA: the SIMT mapping (one thread per row).
// CHECK-LABEL: gpu.func @f32_2d
// CHECK-SAME:    known_block_size = array<i32: 64, 1, 1>
// CHECK-NOT:     nvvm.mma.sync
// CHECK-LABEL: gpu.func @f32_reduce

// PTX:         .entry tc_2d(
// PTX:         cp.async.cg.shared.global [%{{.+}}], [%{{.+}}], 16, %{{.+}};
// PTX:         cp.async.wait_group 1;
// PTX:         ldmatrix.sync.aligned.m8n8.x4.shared.b16
// PTX:         mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// PTX:         shfl.sync.bfly.b32
// PTX:         fma.rn.f32
// PTX:         ex2.approx.ftz.f32
// PTX:         vote.sync.any.pred
// PTX:         ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16
// PTX:         .entry fp8_2d(
// PTX:         mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32

// sm_89 and newer convert fp8 pairs in hardware (sm_80 takes integer code).
// PTX-NOT:     cvt.rn.f16x2.e4m3x2
// SM90:        .target sm_90
// SM90:        .entry fp8_2d(
// SM90:        cp.async.cg.shared.global
// SM90:        cvt.rn.f16x2.e4m3x2
// SM90:        cvt.f32.f16
// SM90:        mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32

// BAD: unknown mapping 'wmma' (expected tensor-core or simt)

func.func @tc(%q: memref<?x8x64xbf16>, %k: memref<?x16x2x64xbf16>, %v: memref<?x16x2x64xbf16>,
              %bt: memref<?x?xi32>, %sl: memref<?xi32>, %cu: memref<?xi32>, %o: memref<?x8x64xbf16>) {
  attn.paged_attention q(%q : memref<?x8x64xbf16>) k_cache(%k : memref<?x16x2x64xbf16>)
      v_cache(%v : memref<?x16x2x64xbf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>)
      out(%o : memref<?x8x64xbf16>) scale(0.125) causal window <left = 255, right = 0>
      plan <target = sm_80, block_q = 16, block_m = 64, block_n = 32, warps = 4, stages = 2, segments = 4>
  return
}

func.func @fp8(%q: memref<?x32x128xbf16>, %k: memref<?x16x8x128xf8E4M3FN>, %v: memref<?x16x8x128xf8E4M3FN>,
               %bt: memref<?x?xi32>, %sl: memref<?xi32>, %cu: memref<?xi32>, %o: memref<?x32x128xbf16>,
               %ks: memref<1xf32>, %vs: memref<1xf32>) {
  attn.paged_attention q(%q : memref<?x32x128xbf16>) k_cache(%k : memref<?x16x8x128xf8E4M3FN>)
      v_cache(%v : memref<?x16x8x128xf8E4M3FN>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>)
      k_scale(%ks : memref<1xf32>) v_scale(%vs : memref<1xf32>) out(%o : memref<?x32x128xbf16>)
      scale(0.088388) causal kv_quant <per_tensor>
      plan <target = sm_80, block_q = 16, block_m = 64, block_n = 32, warps = 4, stages = 2, segments = 0>
  return
}

func.func @f32(%q: memref<?x8x64xf32>, %k: memref<?x16x2x64xf32>, %v: memref<?x16x2x64xf32>,
               %bt: memref<?x?xi32>, %sl: memref<?xi32>, %cu: memref<?xi32>, %o: memref<?x8x64xf32>) {
  attn.paged_attention q(%q : memref<?x8x64xf32>) k_cache(%k : memref<?x16x2x64xf32>)
      v_cache(%v : memref<?x16x2x64xf32>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>)
      out(%o : memref<?x8x64xf32>) scale(0.125) causal
      plan <target = sm_80, block_q = 16, block_m = 64, block_n = 32, warps = 4, stages = 2, segments = 4>
  return
}
