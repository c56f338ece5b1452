// RUN: attn-opt %s --convert-attn-to-tiles --convert-attn-tiles-to-nvvm="chip=sm_90a" | FileCheck %s
// RUN: attn-opt %s --attn-nvidia-pipeline="chip=sm_90a" | attn-translate --attn-to-cuda-ptx -o %t.ptx
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: FileCheck %s --check-prefix=FENCE < %t.ptx
// RUN: FileCheck %s --check-prefix=OCC < %t.ptx
// RUN: attn-opt %s --attn-nvidia-pipeline="chip=sm_90a" | attn-translate --attn-to-kernel-manifest | FileCheck %s --check-prefix=MANIFEST
// RUN: attn-opt %s --attn-nvidia-pipeline="chip=sm_90a warpgroup-mma=0" | attn-translate --attn-to-cuda-ptx | FileCheck %s --check-prefix=OFF
// RUN: attn-opt %s --attn-nvidia-pipeline="chip=sm_90a rows-per-warp=32" | attn-translate --attn-to-cuda-ptx | FileCheck %s --check-prefix=OFF
// RUN: attn-opt %s --attn-nvidia-pipeline="chip=sm_90" | attn-translate --attn-to-cuda-ptx | FileCheck %s --check-prefix=OFF

// On sm_90a the tensor-core mapping's two products are warpgroup MMAs:
// the four warps of the block (one warpgroup, 64 rows) issue wgmma with Q
// and P from registers (the mma.sync layouts) and K / V read from shared
// memory through matrix descriptors. Q, K and V are staged unpadded in
// 128-byte-swizzled atoms of 64 columns in dynamic shared memory (the
// manifest's shared_bytes: 1024 to align + Q 64 x 64 + two buffers each
// of K and V 32 x 64, bf16 = 25600).
// CHECK-LABEL: gpu.func @wg_2d
// CHECK-NOT:     workgroup(
// CHECK:         gpu.dynamic_shared_memory : memref<?xi8, #gpu.address_space<workgroup>>
// The warpgroup computes together: no per-warp skip of idle warps before
// the KV loop (the only vote is the lazy rescale's, after Q K^T).
// CHECK-NOT:     nvvm.vote.sync
// CHECK:         nvvm.cp.async.commit.group
// Q, loop-invariant, is stored once (its fragments, a pair per store); Q
// K^T reads it from shared memory, which frees its registers.
// CHECK-COUNT-16: llvm.store %{{.+}}, %{{.+}} {alignment = 4 : i64} : vector<2xbf16>, !llvm.ptr<3>
// One barrier per tile: iteration i waits for its own tile (the only
// copies in flight), and the tensor cores read shared memory through the
// async proxy: a proxy fence in every thread before the barrier.
// CHECK:         scf.for
// CHECK-NOT:       gpu.barrier
// CHECK:           nvvm.cp.async.wait.group 0
// CHECK-NEXT:      nvvm.fence.proxy {kind = #nvvm.proxy_kind<async.shared>, space = #nvvm.shared_space<cta>}
// CHECK-NEXT:      gpu.barrier
// Q K^T: K-major B, 128-byte swizzle (layout type 1 << 62), stride 1024
// bytes between 8-row groups (64 << 32), one m64n32k16 per 16 columns of
// the head (4 of them), no transpose; issued, not waited for yet.
// CHECK:           arith.ori %{{.+}}, %c4611686293305360384_i64
// Both operands through descriptors (A: Q's, B: K's).
// CHECK:           llvm.inline_asm has_side_effects "wgmma.fence.sync.aligned;\0Awgmma.mma_async.sync.aligned.m64n32k16.f32.bf16.bf16 {$0, {{.+}}, $15}, $32, $36, 1, 1, 1, 0, 0;\0A{{.+}}, $35, $39, 1, 1, 1, 0, 0;\0Awgmma.commit_group.sync.aligned;", "=f,{{.+}},=f,0,1,{{.+}},15,l,l,l,l,l,l,l,l"
// While they run, the copies of tile i + 1 start (the swizzle: a 16-byte
// chunk lands at chunk ^ row % 8 of its row), then the wait.
// CHECK:           arith.xori
// CHECK:           nvvm.cp.async.shared.global
// CHECK:           nvvm.cp.async.commit.group
// CHECK:           llvm.inline_asm has_side_effects "wgmma.wait_group.sync.aligned 0;", "=f,{{.+}},=f,0,1,{{.+}},15"
// CHECK:           nvvm.vote.sync  any
// P V: MN-major B (V rows are keys), transposed, 64-column atoms 32 x 128
// bytes apart (256 << 16); one m64n64k16 per 16 keys (2 of them).
// CHECK:           arith.ori %{{.+}}, %c4611686293322072064_i64
// CHECK:           llvm.inline_asm has_side_effects "wgmma.fence.sync.aligned;\0Awgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16 {$0, {{.+}}, $31}, {$64, $65, $66, $67}, $72, 1, 1, 1, 1;\0A{{.+}}{$68, $69, $70, $71}, $73, 1, 1, 1, 1;\0Awgmma.commit_group
// CHECK-LABEL: gpu.func @wg_split
// CHECK:         llvm.inline_asm has_side_effects "wgmma.fence.sync.aligned

// A head size that is not a multiple of 64 keeps mma.sync on sm_90a.
// CHECK-LABEL: gpu.func @h80_2d
// CHECK-NOT:     wgmma
// CHECK:         nvvm.ldmatrix
// CHECK:         nvvm.mma.sync
// CHECK-NOT:     wgmma
// CHECK-LABEL: gpu.func @h80_reduce

// The blocks of the PTX are in layout order, not program order.
// PTX:         .target sm_90a
// PTX-LABEL:   .entry wg_2d(
// PTX-NOT:     ldmatrix
// PTX-DAG:     wgmma.mma_async.sync.aligned.m64n32k16.f32.bf16.bf16
// PTX-DAG:     wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16
// PTX-DAG:     wgmma.commit_group.sync.aligned;
// PTX-DAG:     wgmma.wait_group.sync.aligned 0;
// PTX-NOT:     ldmatrix
// PTX-LABEL:   .entry wg_split(
// FENCE-LABEL: .entry wg_2d(
// FENCE:       cp.async.wait_group 0;
// FENCE-NEXT:  fence.proxy.async.shared::cta;
// FENCE-NEXT:  bar.sync 0;
// FENCE-LABEL: .entry wg_split(
// PTX:         .entry h80_2d(
// PTX-NOT:     wgmma
// PTX:         mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32

// The wgmma kernels ask ptxas for 4 blocks per SM (128 registers a
// thread; their shared memory allows 8); the mma.sync ones ask nothing.
// OCC-LABEL:   .entry wg_2d(
// OCC:         .maxntid 128, 1, 1
// OCC-NEXT:    .minnctapersm 4
// OCC-LABEL:   .entry wg_split(
// OCC:         .maxntid 128, 1, 1
// OCC-NEXT:    .minnctapersm 4
// OCC-LABEL:   .entry h80_2d(
// OCC-NOT:     .minnctapersm

// The manifest names the dynamic shared memory each launch needs (the
// mma.sync kernels of h80 use static shared memory only).
// MANIFEST: "launch": {"wg_2d": {"block": [128, 1, 1], "shared_bytes": 25600}, "wg_reduce": {"block": [16, 1, 1], "shared_bytes": 0}, "wg_split": {"block": [128, 1, 1], "shared_bytes": 25600}}
// MANIFEST: "launch": {"h80_2d": {"block": [128, 1, 1], "shared_bytes": 0}

// Without the warpgroup products the plan has no wide form.
// OFF-NOT:     _2d_wide
// OFF-NOT:     wgmma
// OFF:         mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// OFF-NOT:     wgmma

func.func @wg(%q: memref<?x8x64xbf16>, %k: memref<?x16x2x64xbf16>, %v: memref<?x16x2x64xbf16>,
              %bt: memref<?x?xi32>, %sl: memref<?xi32>, %cu: memref<?xi32>, %o: memref<?x8x64xbf16>) {
  attn.paged_attention q(%q : memref<?x8x64xbf16>) k_cache(%k : memref<?x16x2x64xbf16>)
      v_cache(%v : memref<?x16x2x64xbf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>)
      out(%o : memref<?x8x64xbf16>) scale(0.125) causal
      plan <target = sm_90a, block_q = 16, block_m = 64, block_n = 32, warps = 4, stages = 2, segments = 4>
  return
}

func.func @h80(%q: memref<?x8x80xf16>, %k: memref<?x16x2x80xf16>, %v: memref<?x16x2x80xf16>,
               %bt: memref<?x?xi32>, %sl: memref<?xi32>, %cu: memref<?xi32>, %o: memref<?x8x80xf16>) {
  attn.paged_attention q(%q : memref<?x8x80xf16>) k_cache(%k : memref<?x16x2x80xf16>)
      v_cache(%v : memref<?x16x2x80xf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>)
      out(%o : memref<?x8x80xf16>) scale(0.11) causal
      plan <target = sm_90a, block_q = 16, block_m = 64, block_n = 32, warps = 4, stages = 2, segments = 4>
  return
}
