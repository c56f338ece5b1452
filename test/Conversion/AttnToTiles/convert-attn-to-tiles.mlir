// RUN: attn-opt %s --split-input-file --convert-attn-to-tiles --canonicalize --cse | FileCheck %s

// Causal: the KV loop stops at the last query position of the block
// (min(seq_len, max_pos + 1)): tiles above the diagonal are never visited.
// The loop carries the running max, the running sum and the accumulator.
// Scores without a modifier stay unscaled until the softmax: the row max
// is taken on them, scaled by scale * log2(e) (0.125 * 1.4427 = 0.18034),
// and each score meets it in one contractible multiply-subtract before
// exp2. The mask is built only under an scf.if taken by the tiles that
// reach past the sequence (j + 32 > seq_len) or past the block's first
// query (j + 32 > min_pos + 1); the other tiles yield the scores as they
// are. The running max moves only when a row's max grows by more than 8
// (log2 units); otherwise alpha is exactly 1.
// CHECK-LABEL: func.func @causal_2d
// CHECK-SAME:    attn.grid = array<i64: -1, 1, 1>
// CHECK:         scf.for {{.*}} iter_args
// CHECK:         scf.if
// CHECK:           %[[Q:.+]] = attn_tile.load_rows {{.*}} -> vector<4x64xf32>
// CHECK:           %[[QEND:.+]] = arith.minsi
// CHECK:           %[[END:.+]] = arith.addi %{{.+}}, %[[QEND]]
// CHECK:           %[[HI:.+]] = arith.minsi %{{.+}}, %[[END]]
// CHECK:           scf.for %[[J:.+]] = %c0 to %[[HI]] step %c32 iter_args(%[[M:.+]] = %{{.+}}, %[[L:.+]] = %{{.+}}, %[[ACC:.+]] = %{{.+}}) -> (vector<4xf32>, vector<4xf32>, vector<4x64xf32>)
// CHECK:             vector.gather
// CHECK:             %[[K:.+]] = attn_tile.load_rows {{.*}} -> vector<32x64xf32>
// CHECK:             %[[S:.+]] = vector.contract {{.*}} %[[Q]], %[[K]]
// CHECK:             %[[PAST:.+]] = arith.cmpi sgt, %[[JEND:.+]], %{{.+}} : index
// CHECK:             %[[DIAG:.+]] = arith.cmpi sgt, %[[JEND]], %{{.+}} : index
// CHECK:             %[[NEED:.+]] = arith.ori %[[PAST]], %[[DIAG]] : i1
// CHECK:             %[[MASKED:.+]] = scf.if %[[NEED]] -> (vector<4x32xf32>) {
// CHECK:               arith.cmpi sle
// CHECK:               %[[SEL:.+]] = arith.select %{{.+}}, %[[S]], %{{.+}} : vector<4x32xi1>, vector<4x32xf32>
// CHECK:               scf.yield %[[SEL]]
// CHECK:             } else {
// CHECK:               scf.yield %[[S]]
// CHECK:             }
// CHECK:             %[[RAWMAX:.+]] = vector.multi_reduction <maxnumf>, %[[MASKED]]
// CHECK:             %[[TMAX:.+]] = arith.mulf %[[RAWMAX]], %cst{{.*}} : vector<4xf32>
// CHECK:             %[[MTILE:.+]] = arith.maxnumf %[[M]], %[[TMAX]]
// CHECK:             %[[SCALED:.+]] = arith.mulf %[[MASKED]], %cst{{.*}} fastmath<contract> : vector<4x32xf32>
// CHECK:             %[[GROW:.+]] = arith.cmpf ogt, %{{.+}}, %cst{{.*}} : vector<4xf32>
// CHECK:             %[[MNEW:.+]] = arith.select %[[GROW]], %[[MTILE]], %[[M]]
// CHECK:             %[[ARG:.+]] = arith.subf %[[SCALED]], %{{.+}} fastmath<contract> : vector<4x32xf32>
// CHECK:             math.exp2 %[[ARG]]
// CHECK:             vector.multi_reduction <add>
// CHECK:             attn_tile.load_rows
// CHECK:             vector.contract
// CHECK:             scf.yield
// CHECK:           attn_tile.store_rows
// CHECK-NOT:     func.func @causal_split
// CHECK-NOT:     attn.paged_attention
func.func @causal(%q: memref<?x4x64xf32>, %k: memref<?x16x1x64xf32>, %v: memref<?x16x1x64xf32>,
                  %bt: memref<?x?xi32>, %sl: memref<?xi32>, %cu: memref<?xi32>, %o: memref<?x4x64xf32>) {
  attn.paged_attention q(%q : memref<?x4x64xf32>) k_cache(%k : memref<?x16x1x64xf32>)
      v_cache(%v : memref<?x16x1x64xf32>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>)
      out(%o : memref<?x4x64xf32>) scale(0.125) causal
      plan <target = host, block_q = 1, block_m = 4, block_n = 32, warps = 1, stages = 1, segments = 0>
  return
}

// -----

// Sliding window: the loop starts at the first tile the window reaches
// (max(0, min_pos - left), rounded down to a tile).
// CHECK-LABEL: func.func @window_2d
// CHECK:         %[[FROM:.+]] = arith.maxsi
// CHECK:         %[[DIV:.+]] = arith.divsi %[[FROM]], %c32
// CHECK:         %[[LO:.+]] = arith.muli %[[DIV]], %c32
// CHECK:         scf.for %{{.+}} = %[[LO]] to %{{.+}} step %c32
func.func @window(%q: memref<?x4x64xf32>, %k: memref<?x16x1x64xf32>, %v: memref<?x16x1x64xf32>,
                  %bt: memref<?x?xi32>, %sl: memref<?xi32>, %cu: memref<?xi32>, %o: memref<?x4x64xf32>) {
  attn.paged_attention q(%q : memref<?x4x64xf32>) k_cache(%k : memref<?x16x1x64xf32>)
      v_cache(%v : memref<?x16x1x64xf32>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>)
      out(%o : memref<?x4x64xf32>) scale(0.125) causal window <left = 127, right = 0>
      plan <target = host, block_q = 1, block_m = 4, block_n = 32, warps = 1, stages = 1, segments = 0>
  return
}

// -----

// Bidirectional (encoder, varlen K/V): every key of the sequence is visited;
// keys are rows cu_seqlens_k[s] + j of k, no block table.
// CHECK-LABEL: func.func @encoder_2d
// CHECK:         scf.if
// CHECK:           %[[KS:.+]] = memref.load %arg9
// CHECK:           %[[KE:.+]] = memref.load %arg9
// CHECK-NOT:       arith.minsi
// CHECK:           scf.for %{{.+}} = %c0 to %{{.+}} step %c16
// CHECK-NOT:         vector.gather
// CHECK:             attn_tile.load_rows
func.func @encoder(%q: memref<?x2x32xf16>, %k: memref<?x2x32xf16>, %v: memref<?x2x32xf16>,
                   %cq: memref<?xi32>, %ck: memref<?xi32>, %o: memref<?x2x32xf16>) {
  attn.varlen_attention q(%q : memref<?x2x32xf16>) k(%k : memref<?x2x32xf16>) v(%v : memref<?x2x32xf16>)
      cu_seqlens_q(%cq : memref<?xi32>) cu_seqlens_k(%ck : memref<?xi32>)
      out(%o : memref<?x2x32xf16>) scale(0.176776692)
      plan <target = host, block_q = 4, block_m = 4, block_n = 16, warps = 1, stages = 1, segments = 0>
  return
}

// -----

// mm-prefix ranges can reach past the diagonal, so the loop is not cut; the
// ranges are scanned per tile. Sinks start the softmax at (m = sink, l = 1),
// the sink in log2 units.
// CHECK-LABEL: func.func @vision_2d
// CHECK:         %[[SINK:.+]] = vector.gather %arg10
// CHECK:         %[[SINK2:.+]] = arith.mulf %[[SINK]], %cst{{.*}} : vector<4xf32>
// CHECK:         scf.for %{{.+}} = %c0 to %{{.+}} step %c32 iter_args(%{{.+}} = %[[SINK2]],
// CHECK:           scf.for {{.*}} -> (vector<4x32xi1>)
// CHECK:           arith.ori
func.func @vision(%q: memref<?x4x64xbf16>, %k: memref<?x16x1x64xbf16>, %v: memref<?x16x1x64xbf16>,
                  %bt: memref<?x?xi32>, %sl: memref<?xi32>, %cu: memref<?xi32>, %sinks: memref<4xf32>,
                  %mm: memref<?x?x2xi32>, %o: memref<?x4x64xbf16>) {
  attn.paged_attention q(%q : memref<?x4x64xbf16>) k_cache(%k : memref<?x16x1x64xbf16>)
      v_cache(%v : memref<?x16x1x64xbf16>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>)
      sinks(%sinks : memref<4xf32>) mm_prefix_ranges(%mm : memref<?x?x2xi32>)
      out(%o : memref<?x4x64xbf16>) scale(0.125) causal
      plan <target = host, block_q = 1, block_m = 4, block_n = 32, warps = 1, stages = 1, segments = 0>
  return
}

// -----

// Softcap, ALiBi (sqrt) and per-token-head int8 KV: scores go through tanh,
// the bias through sqrt (added by the cap's fma); each K/V row is
// dequantized by the f32 scale read from the 4 bytes after it.
// CHECK-LABEL: func.func @quant_2d
// CHECK:         attn_tile.load_rows {{.*}} -> vector<32x64xi8>
// CHECK:         arith.sitofp {{.*}} : vector<32x64xi8> to vector<32x64xf32>
// CHECK:         attn_tile.load_rows {{.*}} -> vector<32x4xi8>
// CHECK:         vector.bitcast {{.*}} : vector<32x4xi8> to vector<32x1xf32>
// CHECK:         %[[SQ:.+]] = math.sqrt
// CHECK:         %[[BIAS:.+]] = arith.mulf %{{.+}}, %{{.+}} : vector<4x32xf32>
// CHECK:         %[[T:.+]] = math.tanh
// CHECK:         math.fma %[[T]], %{{.+}}, %[[BIAS]]
func.func @quant(%q: memref<?x4x64xf16>, %k: memref<?x16x1x68xi8>, %v: memref<?x16x1x68xi8>,
                 %bt: memref<?x?xi32>, %sl: memref<?xi32>, %cu: memref<?xi32>, %al: memref<4xf32>,
                 %o: memref<?x4x64xf16>) {
  attn.paged_attention q(%q : memref<?x4x64xf16>) k_cache(%k : memref<?x16x1x68xi8>)
      v_cache(%v : memref<?x16x1x68xi8>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>)
      alibi_slopes(%al : memref<4xf32>) out(%o : memref<?x4x64xf16>) scale(0.125) causal
      softcap(30.0) alibi <sqrt> kv_quant <per_token_head_int8>
      plan <target = host, block_q = 1, block_m = 4, block_n = 32, warps = 1, stages = 1, segments = 0>
  return
}

// -----

// A plan with segments adds the split form (grid z = segments, writing f32
// partials and their lse) and the reduce kernel (one program per token and
// head) that merges them.
// CHECK-LABEL: func.func @split_2d
// CHECK-LABEL: func.func @split_split
// CHECK-SAME:    attn.grid = array<i64: -1, 1, 3>
// CHECK:         attn_tile.store_rows {{.*}} : vector<4x64xf32>, memref<?xf32>
// CHECK:         attn_tile.store_rows {{.*}} : vector<4x1xf32>, memref<?xf32>
// CHECK-LABEL: func.func @split_reduce
// CHECK-SAME:    attn.grid = array<i64: -1, 4, 1>, attn.kernel = "reduce"
// CHECK-COUNT-3: vector.load
// CHECK:         vector.store
func.func @split(%q: memref<?x4x64xf32>, %k: memref<?x16x1x64xf32>, %v: memref<?x16x1x64xf32>,
                 %bt: memref<?x?xi32>, %sl: memref<?xi32>, %cu: memref<?xi32>, %o: memref<?x4x64xf32>) {
  attn.paged_attention q(%q : memref<?x4x64xf32>) k_cache(%k : memref<?x16x1x64xf32>)
      v_cache(%v : memref<?x16x1x64xf32>) block_table(%bt : memref<?x?xi32>)
      seq_lens(%sl : memref<?xi32>) cu_seqlens_q(%cu : memref<?xi32>)
      out(%o : memref<?x4x64xf32>) scale(0.125) causal
      plan <target = host, block_q = 1, block_m = 4, block_n = 32, warps = 1, stages = 1, segments = 3>
  return
}

// -----

// Cache write: one program per (token, kv head); slot -1 (or out of range)
// writes nothing; per-tensor fp8 divides by the scale and saturates.
// CHECK-LABEL: func.func @write_write
// CHECK-SAME:    attn.grid = array<i64: -1, 2, 1>, attn.kernel = "cache_write"
// CHECK:         %[[SLOT:.+]] = memref.load %arg7
// CHECK:         arith.cmpi sge, %[[SLOT]]
// CHECK:         scf.if
// CHECK:           arith.divf
// CHECK:           arith.minimumf
// CHECK:           arith.truncf {{.*}} to vector<64xf8E4M3FN>
// CHECK:           vector.store
func.func @write(%key: memref<?x2x64xbf16>, %val: memref<?x2x64xbf16>,
                 %kc: memref<?x16x2x64xf8E4M3FN>, %vc: memref<?x16x2x64xf8E4M3FN>,
                 %slots: memref<?xi64>, %ks: memref<1xf32>, %vs: memref<1xf32>) {
  attn.cache_write key(%key : memref<?x2x64xbf16>) value(%val : memref<?x2x64xbf16>)
      k_cache(%kc : memref<?x16x2x64xf8E4M3FN>) v_cache(%vc : memref<?x16x2x64xf8E4M3FN>)
      slot_mapping(%slots : memref<?xi64>) k_scale(%ks : memref<1xf32>) v_scale(%vs : memref<1xf32>)
      kv_quant <per_tensor>
  return
}
