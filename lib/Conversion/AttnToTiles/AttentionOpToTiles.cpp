//===- AttentionOpToTiles.cpp - attention into the tiled schedule ---------===//
//
// The one place where the attention algorithm is written: sequence lookup,
// KV-tile bounds (skipping tiles the mask removes), paging through the
// block table, dequantization, score modifiers, masks, online softmax and
// the epilogue. Backends only choose instructions for what this emits.
//
//===----------------------------------------------------------------------===//

#include "PatternsInternal.h"
#include "TileBuilder.h"

#include "attn/Conversion/AttnToTiles/KernelABI.h"
#include "attn/Dialect/Attn/IR/Variant.h"
#include "attn/Dialect/AttnTile/IR/AttnTile.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/AffineMap.h"
#include "llvm/Support/Debug.h"

#define DEBUG_TYPE "convert-attn-to-tiles"

using namespace mlir;
using namespace mlir::attn;
using arith::CmpFPredicate;
using arith::CmpIPredicate;

namespace {

enum class Mode { TwoD, Split };

/// Builds one attention kernel (the 2D or the split form) of a variant.
class AttentionKernelBuilder {
public:
  AttentionKernelBuilder(const Variant &v, TileBuilder &t, func::FuncOp f,
                         Mode mode)
      : v(v), t(t), f(f), mode(mode) {
    bq = v.plan.getBlockQ();
    bm = v.plan.getBlockM();
    bn = v.plan.getBlockN();
    g = v.groupSize();
  }

  void build();

private:
  Value arg(unsigned i) { return f.getArgument(abi::kNumPids + i); }
  Value scalarArg(unsigned i) { return t.toIndex(arg(i)); }

  Value findSequence(Value qb);
  Value loadKVTile(Value mem, Value rowOff, Value valid, int64_t cols);
  Value scores(Value qTile, Value kTile, Value j0);
  Value maskNeeded(Value j0);
  /// Scores with no modifier leave scores() unscaled: the row max is taken
  /// on them and the scale joins the exponent as one fused multiply-add,
  /// exp2(s * scale * log2(e) - m).
  bool rawScores() const {
    return v.scale > 0 && v.softcap <= 0 && !v.alibi && !v.qqBias &&
           !perTensor();
  }
  /// Per-tensor K/V descales are folded out of the tiles: k_scale into the
  /// score scale, v_scale into the final normalization (the tiles hold the
  /// cache's exact values; the descales' signs are not assumed).
  bool perTensor() const {
    return v.kvQuant && *v.kvQuant == KVQuant::per_tensor;
  }
  /// Splat `c` (times k_scale when folded) of the scores' shape.
  Value scoreFactor(VectorType sT, double c) {
    if (!kScale)
      return t.floatConst(sT, c);
    return t.splat(t.fmul(kScale, t.floatConst(t.b.getF32Type(), c)),
                   sT.getShape());
  }
  void epilogue(Value m, Value l, Value acc);

  const Variant &v;
  TileBuilder &t;
  func::FuncOp f;
  Mode mode;
  int64_t bq, bm, bn, g;

  // Per-program values, set by build().
  Value seq, qStart, qLen, qBlk, seqLen, ctx, kvh, seg, kvBase;
  Value rowValid, posI, qi, head, token; // vector<bm>
  Value minPos, maxPos; // positions of the block's first and last query
  Value kScale, vScale; // per-tensor descales (f32), folded
  Value slopeRow;       // ALiBi: the row's slope times log2(e), vector<bm>
  Value segsUsed;       // _split: the launch's segment count (index)
};

} // namespace

/// Sequence of query block `qb`: the last s in [0, num_seqs) whose first
/// query block (cu_seqlens_q[s] / block_q + s, non-decreasing in s) is
/// <= qb, by binary search: ceil(log2(num_seqs)) halvings of [lo, hi) with
/// first(lo) <= qb < first(hi).
Value AttentionKernelBuilder::findSequence(Value qb) {
  OpBuilder &b = t.b;
  Value numSeqs = scalarArg(abi::kNumSeqs);
  Value cuQ = arg(abi::kCuSeqlensQ);
  // Halvings: ceil(log2(num_seqs)), the bit length of num_seqs - 1, read
  // from the exponent of its (exact) f32 value: 0 for a single sequence.
  Type i32 = b.getI32Type();
  auto c32 = [&](int64_t v) -> Value {
    return arith::ConstantIntOp::create(b, t.loc, i32, v);
  };
  Value m = arith::SubIOp::create(
      b, t.loc, arith::IndexCastOp::create(b, t.loc, i32, numSeqs), c32(1));
  Value bits = arith::BitcastOp::create(
      b, t.loc, i32, arith::SIToFPOp::create(b, t.loc, b.getF32Type(), m));
  Value len = arith::SubIOp::create(
      b, t.loc, arith::ShRUIOp::create(b, t.loc, bits, c32(23)), c32(126));
  Value one = arith::CmpIOp::create(b, t.loc, CmpIPredicate::sle, m, c32(0));
  Value steps = arith::IndexCastOp::create(
      b, t.loc, b.getIndexType(),
      arith::SelectOp::create(b, t.loc, one, c32(0), len));
  auto loop = scf::ForOp::create(
      b, t.loc, t.idx(0), steps, t.idx(1), ValueRange{t.idx(0), numSeqs},
      [&](OpBuilder &nb, Location loc, Value, ValueRange iter) {
        TileBuilder n(nb, loc);
        Value lo = iter[0], hi = iter[1];
        Value mid = n.div(n.add(lo, hi), n.idx(2));
        Value first = n.add(n.div(n.loadIndex(cuQ, mid), n.idx(bq)), mid);
        Value before = n.cmp(CmpIPredicate::sle, first, qb);
        scf::YieldOp::create(nb, loc,
                             ValueRange{n.select(before, mid, lo),
                                        n.select(before, hi, mid)});
      });
  return loop.getResult(0);
}

/// Loads a [bn, cols] K or V tile from rows at `rowOff` and dequantizes it
/// to f32.
Value AttentionKernelBuilder::loadKVTile(Value mem, Value rowOff, Value valid,
                                         int64_t cols) {
  OpBuilder &b = t.b;
  auto raw = tile::LoadRowsOp::create(
      b, t.loc, VectorType::get({bn, cols}, v.kvType), mem, rowOff, valid);
  VectorType f32Tile = VectorType::get({bn, cols}, b.getF32Type());
  if (!v.kvQuant)
    return t.convertFloat(raw, b.getF32Type());
  if (*v.kvQuant == KVQuant::per_tensor)
    return t.convertFloat(raw, b.getF32Type()); // descale folded
  // Per-token-head: data then the row's f32 scale in 4 bytes.
  Value data;
  if (*v.kvQuant == KVQuant::per_token_head_int8) {
    data = arith::SIToFPOp::create(b, t.loc, f32Tile, raw);
  } else {
    Value fp8 = arith::BitcastOp::create(
        b, t.loc, VectorType::get({bn, cols}, b.getType<Float8E4M3FNType>()),
        raw);
    data = t.convertFloat(fp8, b.getF32Type());
  }
  Value scaleOff = t.add(rowOff, t.splat(arith::ConstantIntOp::create(
                                             b, t.loc, cols, 64),
                                         {bn}));
  Value bytes = tile::LoadRowsOp::create(
      b, t.loc, VectorType::get({bn, 4}, b.getI8Type()), mem, scaleOff, valid);
  Value words = vector::BitCastOp::create(
      b, t.loc, VectorType::get({bn, 1}, b.getF32Type()), bytes);
  Value scale = vector::BroadcastOp::create(b, t.loc, f32Tile, words);
  return t.fmul(data, scale);
}

/// log2(e): scores are kept in log2 units (natural-log scores times
/// log2(e)) so that the softmax exponentials are exp2; the factor joins the
/// scale (one multiply per score, as before) and the log-sum-exp leaves the
/// kernel in natural units.
static constexpr double kLog2e = 1.4426950408889634;
static constexpr double kLn2 = 0.6931471805599453;
/// How far (log2 units) a row's scores may pass its running max before the
/// max moves: exp2 of a score is at most 2^8 = 256 (exact in bf16 and f16).
static constexpr double kMaxSlack = 8.0;

/// Whether the KV tile starting at key j0 can hold a pair the mask removes,
/// as a scalar: keys past the sequence; for causal a key after the block's
/// first query; for a window a key before the last query's left edge or
/// after the first query's right edge; for chunks a chunk too far back.
/// Rows past the sequence's queries are not considered: they are never
/// stored. An mm-prefix range only adds pairs, so it never makes a tile
/// whose causal/window mask is full need a mask.
Value AttentionKernelBuilder::maskNeeded(Value j0) {
  Value end = t.add(j0, t.idx(bn)); // one past the tile's last key
  Value need = t.cmp(CmpIPredicate::sgt, end, seqLen);
  auto any = [&](CmpIPredicate p, Value x, Value y) {
    need = t.lor(need, t.cmp(p, x, y));
  };
  if (v.causal)
    any(CmpIPredicate::sgt, end, t.add(minPos, t.idx(1)));
  if (v.windowLeft >= 0)
    any(CmpIPredicate::slt, j0, t.sub(maxPos, t.idx(v.windowLeft)));
  if (v.windowRight >= 0)
    any(CmpIPredicate::sgt, end, t.add(minPos, t.idx(v.windowRight + 1)));
  if (v.chunkSize > 0) {
    Value c = t.idx(v.chunkSize);
    any(CmpIPredicate::sgt, t.sub(t.div(maxPos, c), t.div(j0, c)),
        t.idx(v.chunkLookback));
  }
  return need;
}

/// S = scale * Q K^T (in log2 units; Q K^T alone when rawScores()) with
/// softcap, ALiBi, qq-bias and the mask applied, for the KV tile starting
/// at key position j0.
Value AttentionKernelBuilder::scores(Value qTile, Value kTile, Value j0) {
  OpBuilder &b = t.b;
  MLIRContext *mctx = b.getContext();
  VectorType sT = VectorType::get({bm, bn}, b.getF32Type());
  VectorType i32T = VectorType::get({bm, bn}, b.getI32Type());

  AffineExpr m, n, k;
  bindDims(mctx, m, n, k);
  auto par =
      vector::IteratorTypeAttr::get(mctx, vector::IteratorType::parallel);
  auto red =
      vector::IteratorTypeAttr::get(mctx, vector::IteratorType::reduction);
  Value zero = t.floatConst(sT, 0.0);
  Value s = vector::ContractionOp::create(
      b, t.loc, qTile, kTile, zero,
      b.getAffineMapArrayAttr({AffineMap::get(3, 0, {m, k}, mctx),
                               AffineMap::get(3, 0, {n, k}, mctx),
                               AffineMap::get(3, 0, {m, n}, mctx)}),
      b.getArrayAttr({par, par, red}));
  // Positions: i (query) per row, j (key) per column.
  Value cols = t.add(t.iota(bn, b.getI32Type()), t.splat(t.toI32(j0), {bn}));
  Value pi = t.rowsToTile(posI, bn), pj = t.colsToTile(cols, bm);

  // ALiBi's bias in log2 units, added by the scaling's fma.
  Value bias;
  if (v.alibi && *v.alibi == AlibiKind::plain) {
    // slope * (j - i) = slope * (j - j0) + slope * (j0 - i): one fma per
    // score from the tile's column offsets (a constant) and a per-row,
    // per-tile term; both conversions are exact (|j - i| < 2^24).
    VectorType colF = VectorType::get({bn}, b.getF32Type());
    Value offsets =
        arith::SIToFPOp::create(b, t.loc, colF, t.iota(bn, b.getI32Type()));
    Value fromTile = arith::SIToFPOp::create(
        b, t.loc, VectorType::get({bm}, b.getF32Type()),
        t.sub(t.splat(t.toI32(j0), {bm}), posI));
    bias = math::FmaOp::create(b, t.loc, t.rowsToTile(slopeRow, bn),
                               t.colsToTile(offsets, bm),
                               t.rowsToTile(t.fmul(slopeRow, fromTile), bn));
  } else if (v.alibi) {
    Value d = t.max(t.sub(pi, pj), t.intConst(i32T, 0));
    bias = t.fmul(t.rowsToTile(slopeRow, bn),
                  arith::NegFOp::create(
                      b, t.loc,
                      math::SqrtOp::create(
                          b, t.loc, arith::SIToFPOp::create(b, t.loc, sT, d))));
  }
  // x * c, or fma(x, c, bias) with ALiBi (never raw scores: rawScores()
  // excludes it).
  auto scaled = [&](Value x, Value c) -> Value {
    return bias ? math::FmaOp::create(b, t.loc, x, c, bias).getResult()
                : t.fmul(x, c);
  };
  if (v.softcap > 0) {
    // cap * tanh(scale * s / cap), times log2(e).
    s = t.fmul(s, scoreFactor(sT, v.scale / v.softcap));
    s = scaled(math::TanhOp::create(b, t.loc, s),
               t.floatConst(sT, v.softcap * kLog2e));
  } else if (!rawScores()) {
    s = scaled(s, scoreFactor(sT, v.scale * kLog2e));
  }

  Value colValid = t.cmp(CmpIPredicate::slt, pj,
                         t.splat(t.toI32(seqLen), {bm, bn}));
  Value keep = t.land(colValid, t.rowsToTile(rowValid, bn));

  if (v.qqBias) {
    // Bias between query a (row) and key b = j - ctx of the query section.
    Value kb = t.sub(pj, t.splat(t.toI32(ctx), {bm, bn}));
    Value qa = t.rowsToTile(qi, bn);
    Value inQ = t.land(t.land(t.cmp(CmpIPredicate::sge, kb, t.intConst(i32T, 0)),
                              t.cmp(CmpIPredicate::slt, kb,
                                    t.splat(t.toI32(qLen), {bm, bn}))),
                       keep);
    Value stride = t.splat(arg(abi::kQqBiasStride), {bm, bn});
    Value idx = t.add(t.mul(qa, stride), kb);
    VectorType flatI = VectorType::get({bm * bn}, b.getI32Type());
    VectorType flatM = VectorType::get({bm * bn}, b.getI1Type());
    VectorType flatF = VectorType::get({bm * bn}, b.getF32Type());
    Value bias = vector::GatherOp::create(
        b, t.loc, flatF, arg(abi::kQqBias), ValueRange{t.idx(0)},
        vector::ShapeCastOp::create(b, t.loc, flatI, idx),
        vector::ShapeCastOp::create(b, t.loc, flatM, inQ),
        t.floatConst(flatF, 0.0));
    s = t.fadd(s, t.fmul(vector::ShapeCastOp::create(b, t.loc, sT, bias),
                         t.floatConst(sT, kLog2e)));
  }

  // The mask: (causal and window/chunk) or (i, j in one mm-prefix range),
  // built only for tiles that can hold a removed pair: a branch uniform
  // over the program, so the interior tiles of a causal or window block
  // (and all but the last tile of a decode step) pay nothing for it.
  auto masked = scf::IfOp::create(b, t.loc, TypeRange{sT}, maskNeeded(j0),
                                  /*withElseRegion=*/true);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&masked.getElseRegion().front());
  scf::YieldOp::create(b, t.loc, s);
  b.setInsertionPointToStart(&masked.getThenRegion().front());
  Value base = t.intConst(VectorType::get({bm, bn}, b.getI1Type()), 1);
  if (v.causal)
    base = t.land(base, t.cmp(CmpIPredicate::sle, pj, pi));
  if (v.windowLeft >= 0)
    base = t.land(base, t.cmp(CmpIPredicate::sge, pj,
                              t.sub(pi, t.intConst(i32T, v.windowLeft))));
  if (v.windowRight >= 0)
    base = t.land(base, t.cmp(CmpIPredicate::sle, pj,
                              t.add(pi, t.intConst(i32T, v.windowRight))));
  if (v.chunkSize > 0) {
    Value c = t.intConst(i32T, v.chunkSize);
    base = t.land(base, t.cmp(CmpIPredicate::sle,
                              t.sub(t.div(pi, c), t.div(pj, c)),
                              t.intConst(i32T, v.chunkLookback)));
  }
  if (v.mmPrefix) {
    Value ranges = arg(abi::kMmPrefixRanges);
    Value maxR = scalarArg(abi::kMaxMmRanges);
    Value none = t.intConst(VectorType::get({bm, bn}, b.getI1Type()), 0);
    auto loop = scf::ForOp::create(
        b, t.loc, t.idx(0), maxR, t.idx(1), ValueRange{none},
        [&](OpBuilder &nb, Location loc, Value r, ValueRange iter) {
          TileBuilder n(nb, loc);
          Value at = n.mul(n.add(n.mul(seq, maxR), r), n.idx(2));
          Value lo = n.load(ranges, at), hi = n.load(ranges, n.add(at, n.idx(1)));
          Value lov = n.splat(lo, {bm, bn}), hiv = n.splat(hi, {bm, bn});
          Value in = n.cmp(CmpIPredicate::slt, lov, hiv);
          for (Value p : {pi, pj})
            in = n.land(in, n.land(n.cmp(CmpIPredicate::sge, p, lov),
                                   n.cmp(CmpIPredicate::sle, p, hiv)));
          scf::YieldOp::create(nb, loc, n.lor(iter[0], in));
        });
    base = t.lor(base, loop.getResult(0));
  }
  keep = t.land(keep, base);
  Value ninf = t.splat(t.negInf(), {bm, bn});
  scf::YieldOp::create(b, t.loc, t.select(keep, s, ninf));
  return masked.getResult(0);
}

void AttentionKernelBuilder::epilogue(Value m, Value l, Value acc) {
  OpBuilder &b = t.b;
  int64_t dv = v.headSizeV;
  VectorType rowT = VectorType::get({bm}, b.getF32Type());
  Value zeroRow = t.floatConst(rowT, 0.0);
  Value hasKeys = t.fcmp(CmpFPredicate::OGT, l, zeroRow);
  Value one = vScale ? t.splat(vScale, {bm}) : t.floatConst(rowT, 1.0);
  Value inv = t.select(hasKeys, t.fdiv(one, l), zeroRow);
  Value o = t.fmul(acc, t.rowsToTile(inv, dv));
  // m is in log2 units; the log-sum-exp leaves in natural units.
  Value lse = t.select(hasKeys,
                       t.fadd(t.fmul(m, t.floatConst(rowT, kLn2)),
                              math::LogOp::create(b, t.loc, l)),
                       t.splat(t.negInf(), {bm}));

  VectorType i64Row = VectorType::get({bm}, b.getI64Type());
  Value heads = t.intConst(i64Row, v.heads);
  Value rowIdx = t.add(t.mul(t.ext64(token), heads), t.ext64(head));
  if (mode == Mode::Split) {
    // Partial buffers are [segments, num_tokens, heads(, dv)].
    Value segBase = t.mul(t.ext64(t.splat(t.toI32(seg), {bm})),
                          t.mul(t.ext64(t.splat(arg(abi::kNumTokens), {bm})),
                                heads));
    rowIdx = t.add(rowIdx, segBase);
  }
  Value outOff = t.mul(rowIdx, t.intConst(i64Row, dv));
  Value lseTile = vector::ShapeCastOp::create(
      b, t.loc, VectorType::get({bm, 1}, b.getF32Type()), lse);
  if (mode == Mode::Split) {
    tile::StoreRowsOp::create(b, t.loc, o, arg(abi::kPartialOut), outOff,
                              rowValid);
    tile::StoreRowsOp::create(b, t.loc, lseTile, arg(abi::kPartialLse), rowIdx,
                              rowValid);
    return;
  }
  if (isa<Float8E4M3FNType>(v.outType)) {
    Value scale = t.load(arg(abi::kOutScale), t.idx(0));
    VectorType oT = cast<VectorType>(o.getType());
    o = t.fdiv(o, t.splat(scale, {bm, dv}));
    o = arith::MinimumFOp::create(b, t.loc, o, t.floatConst(oT, 448.0));
    o = arith::MaximumFOp::create(b, t.loc, o, t.floatConst(oT, -448.0));
  }
  o = t.convertFloat(o, v.outType);
  tile::StoreRowsOp::create(b, t.loc, o, arg(abi::kOut), outOff, rowValid);
  if (v.lse)
    tile::StoreRowsOp::create(b, t.loc, lseTile, arg(abi::kLse), rowIdx,
                              rowValid);
}

void AttentionKernelBuilder::build() {
  OpBuilder &b = t.b;
  Type i32 = b.getI32Type();
  Value qb = f.getArgument(abi::kPidX);
  kvh = f.getArgument(abi::kPidY);
  seg = f.getArgument(abi::kPidZ);
  if (mode == Mode::Split) {
    // Segments past the launch's count (split_segments) do nothing.
    segsUsed = splitSegmentsUsed(t, arg(abi::kSplitSegments),
                                 v.plan.getSegments());
    auto used = scf::IfOp::create(
        b, t.loc, t.cmp(CmpIPredicate::ult, seg, segsUsed), false);
    b.setInsertionPointToStart(&used.getThenRegion().front());
  }

  seq = findSequence(qb);
  Value cuQ = arg(abi::kCuSeqlensQ);
  qStart = t.loadIndex(cuQ, seq);
  qLen = t.sub(t.loadIndex(cuQ, t.add(seq, t.idx(1))), qStart);
  qBlk = t.sub(qb, t.add(t.div(qStart, t.idx(bq)), seq));
  Value live = t.cmp(CmpIPredicate::slt, t.mul(qBlk, t.idx(bq)), qLen);
  auto ifOp = scf::IfOp::create(b, t.loc, live, /*withElse=*/false);
  b.setInsertionPointToStart(&ifOp.getThenRegion().front());

  if (v.paged) {
    seqLen = t.loadIndex(arg(abi::kSeqLens), seq);
    kvBase = t.idx(0);
  } else {
    Value cuK = arg(abi::kCuSeqlensK);
    kvBase = t.loadIndex(cuK, seq);
    seqLen = t.sub(t.loadIndex(cuK, t.add(seq, t.idx(1))), kvBase);
  }
  ctx = t.sub(seqLen, qLen);

  // Rows: token r / g of the block, head kvh * g + r % g.
  Value r = t.iota(bm, i32);
  Value gv = t.intConst(r.getType(), g);
  Value tok = t.div(r, gv);
  qi = t.add(tok, t.splat(t.toI32(t.mul(qBlk, t.idx(bq))), {bm}));
  rowValid = t.cmp(CmpIPredicate::slt, qi, t.splat(t.toI32(qLen), {bm}));
  posI = t.add(qi, t.splat(t.toI32(ctx), {bm}));
  head = t.add(t.rem(r, gv), t.splat(t.toI32(t.mul(kvh, t.idx(g))), {bm}));
  token = t.add(qi, t.splat(t.toI32(qStart), {bm}));
  if (v.alibi) {
    VectorType rowF = VectorType::get({bm}, b.getF32Type());
    Value slopes = vector::GatherOp::create(
        b, t.loc, rowF, arg(abi::kAlibiSlopes), ValueRange{t.idx(0)}, head,
        t.splat(arith::ConstantIntOp::create(b, t.loc, 1, 1), {bm}),
        t.floatConst(rowF, 0.0));
    slopeRow = t.fmul(slopes, t.floatConst(rowF, kLog2e));
  }

  VectorType i64Row = VectorType::get({bm}, b.getI64Type());
  Value qOff = t.mul(t.add(t.mul(t.ext64(token), t.intConst(i64Row, v.heads)),
                           t.ext64(head)),
                     t.intConst(i64Row, v.headSizeQK));
  Value qRaw = tile::LoadRowsOp::create(
      b, t.loc, VectorType::get({bm, v.headSizeQK}, v.dtype), arg(abi::kQ),
      qOff, rowValid);
  Value qTile = t.convertFloat(qRaw, b.getF32Type());

  // KV range this block's mask can reach, in whole tiles.
  minPos = t.add(ctx, t.mul(qBlk, t.idx(bq)));
  maxPos = t.sub(
      t.add(ctx, t.min(qLen, t.mul(t.add(qBlk, t.idx(1)), t.idx(bq)))),
      t.idx(1));
  Value lo = t.idx(0), hi = seqLen;
  if (!v.mmPrefix) {
    if (v.causal)
      hi = t.min(hi, t.add(maxPos, t.idx(1)));
    else if (v.windowRight >= 0)
      hi = t.min(hi, t.add(maxPos, t.idx(v.windowRight + 1)));
    if (v.windowLeft >= 0)
      lo = t.max(lo, t.sub(minPos, t.idx(v.windowLeft)));
    if (v.chunkSize > 0)
      lo = t.max(lo, t.mul(t.sub(t.div(minPos, t.idx(v.chunkSize)),
                                 t.idx(v.chunkLookback)),
                           t.idx(v.chunkSize)));
    lo = t.mul(t.div(lo, t.idx(bn)), t.idx(bn));
  }
  if (mode == Mode::Split) {
    // Segment `seg` takes its share of the reachable tiles, split over the
    // launch's segment count.
    Value span = t.max(t.sub(hi, lo), t.idx(0));
    Value tiles = t.div(t.add(span, t.idx(bn - 1)), t.idx(bn));
    Value per = t.div(t.add(tiles, t.sub(segsUsed, t.idx(1))), segsUsed);
    Value segLo = t.add(lo, t.mul(t.mul(seg, per), t.idx(bn)));
    hi = t.min(hi, t.add(segLo, t.mul(per, t.idx(bn))));
    lo = segLo;
  }

  if (perTensor()) {
    kScale = t.load(arg(abi::kKScale), t.idx(0));
    vScale = t.load(arg(abi::kVScale), t.idx(0));
  }

  VectorType rowT = VectorType::get({bm}, b.getF32Type());
  Value m0 = t.splat(t.negInf(), {bm});
  Value l0 = t.floatConst(rowT, 0.0);
  if (v.sinks && mode == Mode::TwoD) {
    // The sink joins the denominator: start from m = sink, l = 1.
    m0 = t.fmul(vector::GatherOp::create(
                    b, t.loc, rowT, arg(abi::kSinks), ValueRange{t.idx(0)},
                    head,
                    t.splat(arith::ConstantIntOp::create(b, t.loc, 1, 1), {bm}),
                    m0),
                t.floatConst(rowT, kLog2e));
    l0 = t.floatConst(rowT, 1.0);
  }
  VectorType accT = VectorType::get({bm, v.headSizeV}, b.getF32Type());
  Value acc0 = t.floatConst(accT, 0.0);

  auto loop = scf::ForOp::create(
      b, t.loc, lo, hi, t.idx(bn), ValueRange{m0, l0, acc0},
      [&](OpBuilder &nb, Location loc, Value j0, ValueRange iter) {
        TileBuilder n(nb, loc);
        std::swap(t.loc, loc); // build the body with the loop's location
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
        VectorType i32Col = VectorType::get({bn}, b.getI32Type());
        VectorType i64Col = VectorType::get({bn}, b.getI64Type());
        Value cols =
            t.add(t.iota(bn, b.getI32Type()), t.splat(t.toI32(j0), {bn}));
        Value valid = t.cmp(CmpIPredicate::slt, cols,
                            t.splat(t.toI32(seqLen), {bn}));
        // Row (cache slot) of each key, in elements of the cache.
        Value slotRow;
        if (v.paged) {
          Value bs = t.intConst(i32Col, v.blockSize);
          Value entry = t.add(t.splat(t.toI32(t.mul(
                                          seq, scalarArg(abi::kMaxBlocksPerSeq))),
                                      {bn}),
                              t.div(cols, bs));
          Value block = vector::GatherOp::create(
              b, t.loc, i32Col, arg(abi::kBlockTable), ValueRange{t.idx(0)},
              entry, valid, t.intConst(i32Col, 0));
          slotRow = t.add(t.mul(t.ext64(block), t.intConst(i64Col, v.blockSize)),
                          t.ext64(t.rem(cols, bs)));
        } else {
          slotRow = t.ext64(t.add(cols, t.splat(t.toI32(kvBase), {bn})));
        }
        Value headRow = t.add(t.mul(slotRow, t.intConst(i64Col, v.kvHeads)),
                              t.ext64(t.splat(t.toI32(kvh), {bn})));
        Value kOff = t.mul(headRow, t.intConst(i64Col, v.kRowElems()));
        Value vOff = t.mul(headRow, t.intConst(i64Col, v.vRowElems()));
        Value kTile = loadKVTile(arg(abi::kK), kOff, valid, v.headSizeQK);
        Value s = scores(qTile, kTile, j0);

        // Online softmax with a lazy running max: a row's max moves only
        // when the tile's scores pass it by more than kMaxSlack (log2
        // units), so p = exp2(s - m) stays below 2^kMaxSlack and, for most
        // tiles after the first ones, alpha is exactly 1 on every row (a
        // backend may then skip the accumulator's rescaling). The result is
        // the same softmax: o = acc / l and lse = m + log2(l) for any m.
        Value m = iter[0], l = iter[1], acc = iter[2];
        VectorType sT = cast<VectorType>(s.getType());
        Value mTile;
        Value sLog2 = s; // in log2 units
        if (rawScores()) {
          // The max of the unscaled scores, scaled (scale > 0); the scores
          // are scaled where they meet the max, in one fused multiply-add.
          double c = v.scale * kLog2e;
          Value rowMax = vector::MultiDimReductionOp::create(
              b, t.loc, vector::CombiningKind::MAXNUMF, s,
              t.splat(t.negInf(), {bm}), ArrayRef<int64_t>{1});
          mTile = arith::MaxNumFOp::create(
              b, t.loc, m, t.fmul(rowMax, t.floatConst(rowT, c)));
          sLog2 = arith::MulFOp::create(b, t.loc, s, t.floatConst(sT, c),
                                         arith::FastMathFlags::contract);
        } else {
          mTile = vector::MultiDimReductionOp::create(
              b, t.loc, vector::CombiningKind::MAXNUMF, s, m,
              ArrayRef<int64_t>{1});
        }
        // Unordered: false when both are -inf (nothing seen yet).
        Value grow = t.fcmp(CmpFPredicate::OGT, t.fsub(mTile, m),
                            t.floatConst(rowT, kMaxSlack));
        Value mNew = t.select(grow, mTile, m);
        Value isInf = t.fcmp(CmpFPredicate::OEQ, mNew, t.splat(t.negInf(), {bm}));
        Value mSafe = t.select(isInf, t.floatConst(rowT, 0.0), mNew);
        Value p = math::Exp2Op::create(
            b, t.loc,
            arith::SubFOp::create(b, t.loc, sLog2, t.rowsToTile(mSafe, bn),
                                  arith::FastMathFlags::contract));
        Value alpha =
            t.select(grow, math::Exp2Op::create(b, t.loc, t.fsub(m, mSafe)),
                     t.floatConst(rowT, 1.0));
        Value rowSum = vector::MultiDimReductionOp::create(
            b, t.loc, vector::CombiningKind::ADD, p, t.floatConst(rowT, 0.0),
            ArrayRef<int64_t>{1});
        Value lNew = t.fadd(t.fmul(l, alpha), rowSum);

        Value vTile = loadKVTile(arg(abi::kV), vOff, valid, v.headSizeV);
        MLIRContext *ctx = b.getContext();
        AffineExpr dm, dd, dk;
        bindDims(ctx, dm, dd, dk);
        auto par =
            vector::IteratorTypeAttr::get(ctx, vector::IteratorType::parallel);
        auto red =
            vector::IteratorTypeAttr::get(ctx, vector::IteratorType::reduction);
        Value scaled = t.fmul(acc, t.rowsToTile(alpha, v.headSizeV));
        Value accNew = vector::ContractionOp::create(
            b, t.loc, p, vTile, scaled,
            b.getAffineMapArrayAttr({AffineMap::get(3, 0, {dm, dk}, ctx),
                                     AffineMap::get(3, 0, {dk, dd}, ctx),
                                     AffineMap::get(3, 0, {dm, dd}, ctx)}),
            b.getArrayAttr({par, par, red}));
        scf::YieldOp::create(b, t.loc, ValueRange{mNew, lNew, accNew});
        std::swap(t.loc, loc);
      });
  epilogue(loop.getResult(0), loop.getResult(1), loop.getResult(2));
}

//===----------------------------------------------------------------------===//
// Entry
//===----------------------------------------------------------------------===//

static SmallVector<Type> attentionBufferTypes(Builder &b, const Variant &v) {
  Type f32 = b.getF32Type(), i32 = b.getI32Type();
  // Order of abi::AttentionArg.
  return {v.dtype, v.kvType, v.kvType, i32, i32, i32, i32, f32, f32,
          i32,     f32,      f32,      f32, f32, v.outType, f32, f32, f32};
}

static constexpr unsigned kNumAttentionScalars =
    abi::kNumAttentionArgs - abi::kFirstAttentionScalar;

FailureOr<DictionaryAttr>
mlir::attn::lowerAttentionToTiles(ModuleOp module, StringRef name,
                                  Operation *op) {
  FailureOr<Variant> maybe = getVariant(op);
  if (failed(maybe))
    return failure();
  Variant v = *maybe;
  if (!v.plan)
    return op->emitOpError()
           << "has no schedule; run attn-plan before convert-attn-to-tiles";
  if (v.split)
    return op->emitOpError()
           << "the explicit split form is lowered through attn-plan's "
              "segments; write the unsplit op and merge with "
              "attn.merge_states only across devices";
  if (v.plan.getBlockM() != v.plan.getBlockQ() * v.groupSize())
    return op->emitOpError()
           << "plan block_m (" << v.plan.getBlockM()
           << ") must equal block_q (" << v.plan.getBlockQ()
           << ") times the heads per kv head (" << v.groupSize() << ")";

  OpBuilder b(module.getContext());
  Builder &bb = b;
  SmallVector<Type> buffers = attentionBufferTypes(bb, v);
  int64_t segs = v.plan.getSegments();
  auto emit = [&](const Variant &kv, StringRef suffix, Mode mode, int64_t z) {
    func::FuncOp fn =
        createKernelFunc(b, module, (name + suffix).str(), buffers,
                         kNumAttentionScalars, {-1, v.kvHeads, z}, "attention");
    // The tile shape, for backends that distribute tiles over threads.
    fn->setAttr("attn.tile", b.getDenseI64ArrayAttr(
                                 {kv.plan.getBlockM(), kv.plan.getBlockN()}));
    TileBuilder t(b, op->getLoc());
    AttentionKernelBuilder(kv, t, fn, mode).build();
  };
  emit(v, "_2d", Mode::TwoD, 1);
  // The wide form: the same 2D kernel over wide_block_m rows.
  Variant wide = v;
  wide.plan = v.plan.getWidePlan();
  if (wide.plan)
    emit(wide, "_2d_wide", Mode::TwoD, 1);
  if (segs > 0) {
    emit(v, "_split", Mode::Split, segs);
    buildReduceKernel(module, (name + "_reduce").str(), v.heads, v.headSizeV,
                      segs, v.outType, v.dtype, v.kvType, v.sinks, v.lse);
  }

  MLIRContext *ctx = module.getContext();
  auto str = [&](StringRef s) { return StringAttr::get(ctx, s); };
  auto num = [&](int64_t x) { return b.getI64IntegerAttr(x); };
  NamedAttrList fns;
  fns.append("2d", str((name + "_2d").str()));
  if (wide.plan)
    fns.append("2d_wide", str((name + "_2d_wide").str()));
  if (segs > 0) {
    fns.append("split", str((name + "_split").str()));
    fns.append("reduce", str((name + "_reduce").str()));
  }
  NamedAttrList e;
  e.append("name", str(name));
  e.append("kind", str("attention"));
  e.append("heads", num(v.heads));
  e.append("kv_heads", num(v.kvHeads));
  e.append("head_size", num(v.headSizeQK));
  e.append("head_size_v", num(v.headSizeV));
  if (v.paged) // varlen K/V has no blocks
    e.append("block_size", num(v.blockSize));
  e.append("kv_layout", str(v.paged ? "paged" : "varlen"));
  e.append("dtype", str(dtypeName(v.dtype)));
  e.append("kv_dtype", str(kvDtypeName(v.kvType, v.kvQuant)));
  e.append("out_dtype", str(dtypeName(v.outType)));
  e.append("kv_row_bytes",
           num(v.kRowElems() * (v.kvType.getIntOrFloatBitWidth() / 8)));
  e.append("causal", num(v.causal));
  e.append("window_left", num(v.windowLeft));
  e.append("window_right", num(v.windowRight));
  e.append("chunk_size", num(v.chunkSize));
  e.append("chunk_lookback", num(v.chunkLookback));
  e.append("softcap", b.getF64FloatAttr(v.softcap));
  e.append("sinks", num(v.sinks));
  e.append("alibi", str(v.alibi ? stringifyAlibiKind(*v.alibi) : "none"));
  e.append("mm_prefix", num(v.mmPrefix));
  e.append("qq_bias", num(v.qqBias));
  e.append("lse", num(v.lse));
  e.append("scale", b.getF64FloatAttr(v.scale));
  e.append("target", str(stringifyTarget(v.plan.getTarget())));
  e.append("block_q", num(v.plan.getBlockQ()));
  e.append("block_m", num(v.plan.getBlockM()));
  e.append("block_n", num(v.plan.getBlockN()));
  e.append("segments", num(segs));
  if (wide.plan) {
    e.append("wide_block_q", num(wide.plan.getBlockQ()));
    e.append("wide_block_m", num(wide.plan.getBlockM()));
  }
  e.append("functions", fns.getDictionary(ctx));
  return e.getDictionary(ctx);
}
