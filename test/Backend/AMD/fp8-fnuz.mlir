// RUN: attn-opt %s --convert-attn-to-tiles --convert-attn-tiles-to-rocdl="chip=gfx942" | FileCheck %s
// RUN: attn-opt %s --attn-amd-pipeline="chip=gfx942" | attn-translate --attn-to-hsaco -o %t.942.hsaco
// RUN: llvm-readelf --notes %t.942.hsaco | FileCheck %s --check-prefixes=NOTES,NOTES942
// RUN: llvm-objdump -d --mcpu=gfx942 %t.942.hsaco | FileCheck %s --check-prefix=ISA942
// RUN: attn-opt %s --attn-amd-pipeline="chip=gfx90a" | attn-translate --attn-to-hsaco -o %t.90a.hsaco
// RUN: llvm-readelf --notes %t.90a.hsaco | FileCheck %s --check-prefixes=NOTES,NOTES90A

// MI300's fp8 KV formats (f8E4M3FNUZ, f8E5M2FNUZ) on the matrix-core path.
// gfx942 stores fp8 in these formats natively, but our dequantization is
// software (integer code and f16 conversions), so every chip takes every
// format: the same variants build for gfx90a too.

// e4m3fnuz -> f32 through f16: the magnitude moved into an f16 is the
// value times 2^-7 (bias 8), and 0x80 is the only NaN; then the descale,
// and bf16 into LDS for the mfma.
// CHECK-LABEL: gpu.func @e4m3fnuz_2d
// CHECK-SAME:    known_block_size = array<i32: 256, 1, 1>
// CHECK:         scf.for
// CHECK:           vector.load %{{.+}} : memref<?xf8E4M3FNUZ, 1>, vector<8xf8E4M3FNUZ>
// CHECK:           %[[W:.+]] = arith.extui %{{.+}} : vector<8xi8> to vector<8xi16>
// CHECK:           %[[C128:.+]] = arith.constant dense<128> : vector<8xi16>
// CHECK:           %[[NAN:.+]] = arith.cmpi eq, %[[W]], %[[C128]] : vector<8xi16>
// CHECK:           %[[H:.+]] = arith.bitcast %{{.+}} : vector<8xi16> to vector<8xf16>
// CHECK:           %[[F:.+]] = arith.extf %[[H]] : vector<8xf16> to vector<8xf32>
// CHECK:           %[[S:.+]] = arith.constant dense<1.280000e+02> : vector<8xf32>
// CHECK:           %[[X:.+]] = arith.mulf %[[F]], %[[S]] : vector<8xf32>
// CHECK:           arith.select %[[NAN]], %{{.+}}, %[[X]] : vector<8xi1>, vector<8xf32>
// CHECK:           arith.truncf %{{.+}} : vector<8xf32> to vector<8xbf16>
// CHECK:           rocdl.mfma.f32.16x16x16bf16.1k
// CHECK-NOT:       arith.extf %{{.+}} : vector<8xf8E4M3FNUZ>

// e5m2fnuz (bias 16) has no f16 bit trick (its top binade would read as
// inf/NaN in an f16): integer expansion, subnormals as man * 2^-17.
// CHECK-LABEL: gpu.func @e5m2fnuz_2d
// CHECK:           vector.load %{{.+}} : memref<?xf8E5M2FNUZ, 1>, vector<8xf8E5M2FNUZ>
// CHECK:           arith.uitofp %{{.+}} : vector<8xi32> to vector<8xf32>
// CHECK:           arith.constant dense<7.62939453E-6> : vector<8xf32>
// CHECK:           rocdl.mfma.f32.16x16x16f16
// CHECK-NOT:       arith.extf %{{.+}} : vector<8xf8E5M2FNUZ>

// Cache write to e4m3fnuz: divided by the scale, clamped to +-240, rounded
// to nearest even by integer code, -0 stored as +0.
// CHECK-LABEL: gpu.func @write_write
// CHECK-DAG:     arith.constant dense<-2.400000e+02> : vector<64xf32>
// CHECK-DAG:     arith.constant dense<2.400000e+02> : vector<64xf32>
// CHECK:         arith.minimumf
// CHECK:         arith.maximumf
// CHECK:         math.roundeven
// CHECK:         arith.trunci %{{.+}} : vector<64xi32> to vector<64xi8>
// CHECK:         vector.store %{{.+}} : memref<?xf8E4M3FNUZ, 1>, vector<64xf8E4M3FNUZ>
// CHECK-NOT:     arith.truncf %{{.+}} to vector<64xf8E4M3FNUZ>

// NOTES-DAG:     .name: e4m3fnuz_2d
// NOTES-DAG:     .name: e4m3fnuz_split
// NOTES-DAG:     .name: e5m2fnuz_2d
// NOTES-DAG:     .name: write_write
// NOTES942:      amdhsa.target: amdgcn-amd-amdhsa--gfx942
// NOTES90A:      amdhsa.target: amdgcn-amd-amdhsa--gfx90a
// ISA942:        v_mfma_f32_16x16x16_bf16
// ISA942:        v_mfma_f32_16x16x16_f16

func.func @e4m3fnuz(%q: memref<?x32x128xbf16>, %k: memref<?x16x8x128xf8E4M3FNUZ>,
                    %v: memref<?x16x8x128xf8E4M3FNUZ>, %bt: memref<?x?xi32>, %sl: memref<?xi32>,
                    %cu: memref<?xi32>, %o: memref<?x32x128xbf16>,
                    %ks: memref<1xf32>, %vs: memref<1xf32>) {
  attn.paged_attention q(%q : memref<?x32x128xbf16>) k_cache(%k : memref<?x16x8x128xf8E4M3FNUZ>)
      v_cache(%v : memref<?x16x8x128xf8E4M3FNUZ>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>)
      k_scale(%ks : memref<1xf32>) v_scale(%vs : memref<1xf32>)
      out(%o : memref<?x32x128xbf16>) scale(0.088388) causal kv_quant <per_tensor>
      plan <target = gfx942, block_q = 16, block_m = 64, block_n = 32, warps = 4, stages = 2, segments = 8>
  return
}

func.func @e5m2fnuz(%q: memref<?x8x64xf16>, %k: memref<?x16x2x64xf8E5M2FNUZ>,
                    %v: memref<?x16x2x64xf8E5M2FNUZ>, %bt: memref<?x?xi32>, %sl: memref<?xi32>,
                    %cu: memref<?xi32>, %o: memref<?x8x64xf16>,
                    %ks: memref<1xf32>, %vs: memref<1xf32>) {
  attn.paged_attention q(%q : memref<?x8x64xf16>) k_cache(%k : memref<?x16x2x64xf8E5M2FNUZ>)
      v_cache(%v : memref<?x16x2x64xf8E5M2FNUZ>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>)
      k_scale(%ks : memref<1xf32>) v_scale(%vs : memref<1xf32>)
      out(%o : memref<?x8x64xf16>) scale(0.125) causal kv_quant <per_tensor>
      plan <target = gfx942, block_q = 16, block_m = 64, block_n = 32, warps = 4, stages = 2, segments = 0>
  return
}

func.func @write(%key: memref<?x2x64xbf16>, %val: memref<?x2x64xbf16>,
                 %kc: memref<?x16x2x64xf8E4M3FNUZ>, %vc: memref<?x16x2x64xf8E4M3FNUZ>,
                 %slots: memref<?xi64>, %ks: memref<1xf32>, %vs: memref<1xf32>) {
  attn.cache_write key(%key : memref<?x2x64xbf16>) value(%val : memref<?x2x64xbf16>)
      k_cache(%kc : memref<?x16x2x64xf8E4M3FNUZ>) v_cache(%vc : memref<?x16x2x64xf8E4M3FNUZ>)
      slot_mapping(%slots : memref<?xi64>) k_scale(%ks : memref<1xf32>) v_scale(%vs : memref<1xf32>)
      kv_quant <per_tensor>
  return
}
