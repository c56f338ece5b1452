//===- AttnOps.cpp - attn operations and their verifiers ------------------===//

#include "attn/Dialect/Attn/IR/AttnOps.h"
#include "attn/Dialect/Attn/IR/Variant.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

#include <cmath>

using namespace mlir;
using namespace mlir::attn;

#define GET_OP_CLASSES
#include "attn/Dialect/Attn/IR/AttnOps.cpp.inc"

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

static MemRefType memrefOf(Value v) {
  return v ? cast<MemRefType>(v.getType()) : MemRefType();
}

/// The fp8 formats of per-tensor KV quantization (OCP and MI300 fnuz).
static bool isFp8(Type t) {
  return isa<Float8E4M3FNType, Float8E5M2Type, Float8E4M3FNUZType,
             Float8E5M2FNUZType>(t);
}

/// Checks that dim `i` of `v` (named `name`) is static and equals
/// `expected` (when expected >= 0); `what` names the dim.
static LogicalResult expectDim(Operation *op, Value v, StringRef name,
                               unsigned i, int64_t expected, StringRef what) {
  MemRefType t = memrefOf(v);
  int64_t got = t.getDimSize(i);
  if (ShapedType::isDynamic(got))
    return op->emitOpError() << name << " " << what << " (dim " << i
                             << ") must be static; got " << t;
  if (expected >= 0 && got != expected)
    return op->emitOpError() << name << " " << what << " (" << got
                             << ") must equal " << expected << "; got " << t;
  return success();
}

static LogicalResult expectHeadSize(Operation *op, StringRef name, int64_t d) {
  if (!isSupportedHeadSize(d))
    return op->emitOpError() << name << " (" << d
                             << ") must be a multiple of 8 between 32 and 256";
  return success();
}

/// Checks a per-head f32 vector operand ([heads]).
static LogicalResult expectPerHead(Operation *op, Value v, StringRef name,
                                   int64_t heads) {
  if (!v)
    return success();
  int64_t got = memrefOf(v).getDimSize(0);
  if (got != heads)
    return op->emitOpError()
           << name << " must have one value per query head (" << heads
           << "); got " << memrefOf(v);
  return success();
}

static LogicalResult expectScalar(Operation *op, Value v, StringRef name) {
  if (v && memrefOf(v).getDimSize(0) != 1)
    return op->emitOpError() << name << " must be a memref<1xf32>; got "
                             << memrefOf(v);
  return success();
}

/// The dtype rules of a K/V cache element type under a quantization scheme.
static LogicalResult verifyKVType(Operation *op, StringRef name, Type kvType,
                                  Type dtype, std::optional<KVQuant> quant) {
  if (!quant) {
    if (kvType != dtype)
      return op->emitOpError()
             << name << " dtype (" << kvType << ") must equal the query dtype ("
             << dtype << ") without kv_quant";
    return success();
  }
  if (*quant == KVQuant::per_tensor) {
    if (!isFp8(kvType))
      return op->emitOpError()
             << "kv_quant <per_tensor> needs an fp8 " << name
             << " (f8E4M3FN, f8E5M2, f8E4M3FNUZ or f8E5M2FNUZ); got " << kvType;
    return success();
  }
  if (!kvType.isInteger(8))
    return op->emitOpError() << "kv_quant <" << stringifyKVQuant(*quant)
                             << "> stores bytes: " << name
                             << " must be i8; got " << kvType;
  return success();
}

//===----------------------------------------------------------------------===//
// Variant
//===----------------------------------------------------------------------===//

FailureOr<AttentionOperands> mlir::attn::getAttentionOperands(Operation *op) {
  AttentionOperands o;
  auto fillCommon = [&](auto a) {
    o.q = a.getQ();
    o.cuSeqlensQ = a.getCuSeqlensQ();
    o.sinks = a.getSinks();
    o.alibiSlopes = a.getAlibiSlopes();
    o.mmPrefixRanges = a.getMmPrefixRanges();
    o.qqBias = a.getQqBias();
    o.kScale = a.getKScale();
    o.vScale = a.getVScale();
    o.outScale = a.getOutScale();
    o.out = a.getOut();
    o.lse = a.getLse();
  };
  if (auto a = dyn_cast<PagedAttentionOp>(op)) {
    fillCommon(a);
    o.k = a.getKCache();
    o.v = a.getVCache();
    o.blockTable = a.getBlockTable();
    o.seqLens = a.getSeqLens();
    return o;
  }
  if (auto a = dyn_cast<VarlenAttentionOp>(op)) {
    fillCommon(a);
    o.k = a.getK();
    o.v = a.getV();
    o.cuSeqlensK = a.getCuSeqlensK();
    return o;
  }
  return failure();
}

template <typename OpT>
static void fillVariantAttrs(OpT op, Variant &v) {
  v.scale = op.getScale().convertToDouble();
  v.causal = op.getCausal();
  if (auto w = op.getWindowAttr()) {
    v.windowLeft = w.getLeft();
    v.windowRight = w.getRight();
  }
  if (auto c = op.getChunkAttr()) {
    v.chunkSize = c.getSize();
    v.chunkLookback = c.getLookback();
  }
  if (auto s = op.getSoftcap())
    v.softcap = s->convertToDouble();
  v.alibi = op.getAlibi();
  v.kvQuant = op.getKvQuant();
  v.split = op.getSplit();
  v.plan = op.getPlanAttr();
}

FailureOr<Variant> mlir::attn::getVariant(Operation *op) {
  FailureOr<AttentionOperands> ops = getAttentionOperands(op);
  if (failed(ops))
    return failure();
  Variant v;
  if (auto a = dyn_cast<PagedAttentionOp>(op))
    fillVariantAttrs(a, v);
  else
    fillVariantAttrs(cast<VarlenAttentionOp>(op), v);
  MemRefType q = memrefOf(ops->q), k = memrefOf(ops->k),
             vt = memrefOf(ops->v), out = memrefOf(ops->out);
  v.paged = ops->blockTable != nullptr;
  v.heads = q.getDimSize(1);
  v.headSizeQK = q.getDimSize(2);
  v.dtype = q.getElementType();
  v.kvType = k.getElementType();
  v.outType = out.getElementType();
  unsigned kvHeadDim = v.paged ? 2 : 1;
  v.kvHeads = k.getDimSize(kvHeadDim);
  v.blockSize = v.paged ? k.getDimSize(1) : 0;
  v.headSizeV = vt.getDimSize(kvHeadDim + 1) - (v.perTokenHead() ? 4 : 0);
  v.sinks = ops->sinks != nullptr;
  v.mmPrefix = ops->mmPrefixRanges != nullptr;
  v.qqBias = ops->qqBias != nullptr;
  v.lse = ops->lse != nullptr;
  v.segments = v.split ? out.getDimSize(0) : 0;
  return v;
}

//===----------------------------------------------------------------------===//
// Attention verifier (shared by paged_attention and varlen_attention)
//===----------------------------------------------------------------------===//

static LogicalResult verifyAttention(Operation *op) {
  AttentionOperands o = *getAttentionOperands(op);
  bool paged = o.blockTable != nullptr;
  StringRef kName = paged ? "k_cache" : "k", vName = paged ? "v_cache" : "v";

  // Query.
  if (failed(expectDim(op, o.q, "q", 1, -1, "heads")) ||
      failed(expectDim(op, o.q, "q", 2, -1, "head_size")))
    return failure();
  MemRefType q = memrefOf(o.q);
  int64_t heads = q.getDimSize(1), headSize = q.getDimSize(2);
  Type dtype = q.getElementType();
  if (failed(expectHeadSize(op, "query head_size", headSize)))
    return failure();

  // Keys and values.
  unsigned rank = paged ? 4 : 3;
  MemRefType k = memrefOf(o.k), v = memrefOf(o.v);
  for (auto [t, name] : {std::pair{k, kName}, std::pair{v, vName}})
    if (t.getRank() != rank)
      return op->emitOpError()
             << name << " must be "
             << (paged ? "4-D [num_blocks, block_size, kv_heads, head_size]"
                       : "3-D [num_kv_tokens, kv_heads, head_size]")
             << "; got " << t;
  unsigned hd = rank - 2;
  std::optional<KVQuant> quant;
  if (auto a = op->getAttrOfType<KVQuantAttr>("kv_quant"))
    quant = a.getValue();
  if (quant && !paged)
    return op->emitOpError() << "kv_quant applies to paged caches only";
  bool pth = quant && *quant != KVQuant::per_tensor;
  if (paged) {
    if (failed(expectDim(op, o.k, kName, 1, -1, "block_size")) ||
        failed(expectDim(op, o.v, vName, 1, k.getDimSize(1), "block_size")))
      return failure();
  }
  if (failed(expectDim(op, o.k, kName, hd, -1, "kv_heads")) ||
      failed(expectDim(op, o.v, vName, hd, k.getDimSize(hd), "kv_heads")) ||
      failed(expectDim(op, o.k, kName, hd + 1, -1, "head_size")) ||
      failed(expectDim(op, o.v, vName, hd + 1, -1, "head_size")))
    return failure();
  int64_t kvHeads = k.getDimSize(hd);
  int64_t kHead = k.getDimSize(hd + 1) - (pth ? 4 : 0);
  int64_t vHead = v.getDimSize(hd + 1) - (pth ? 4 : 0);
  if (heads % kvHeads != 0)
    return op->emitOpError() << "query heads (" << heads
                             << ") must be a multiple of key/value heads ("
                             << kvHeads << ")";
  if (kHead != headSize)
    return op->emitOpError()
           << "query head_size (" << headSize << ") must equal key head_size ("
           << kHead << ")" << (pth ? " (the cache row minus its 4 scale bytes)"
                                   : "");
  if (!isSupportedHeadSize(vHead))
    return op->emitOpError()
           << "value head_size (" << vHead
           << ") must be a multiple of 8 between 32 and 256"
           << (pth ? " (the cache row minus its 4 scale bytes)" : "");
  if (failed(verifyKVType(op, kName, k.getElementType(), dtype, quant)) ||
      failed(verifyKVType(op, vName, v.getElementType(), dtype, quant)))
    return failure();
  if (k.getElementType() != v.getElementType())
    return op->emitOpError() << kName << " dtype (" << k.getElementType()
                             << ") must equal " << vName << " dtype ("
                             << v.getElementType() << ")";
  bool hasScales = o.kScale || o.vScale;
  if (quant && *quant == KVQuant::per_tensor && !(o.kScale && o.vScale))
    return op->emitOpError()
           << "kv_quant <per_tensor> requires k_scale and v_scale";
  if (hasScales && !(quant && *quant == KVQuant::per_tensor))
    return op->emitOpError()
           << "k_scale/v_scale are only read with kv_quant <per_tensor>";
  if (failed(expectScalar(op, o.kScale, "k_scale")) ||
      failed(expectScalar(op, o.vScale, "v_scale")) ||
      failed(expectScalar(op, o.outScale, "out_scale")))
    return failure();

  // Output and lse.
  bool split = op->hasAttr("split");
  MemRefType out = memrefOf(o.out);
  Type outType = out.getElementType();
  if (split) {
    if (out.getRank() != 4 || !outType.isF32())
      return op->emitOpError() << "the split form writes f32 partial outputs "
                                  "[segments, num_tokens, heads, head_size_v]"
                                  "; got "
                               << out;
    if (failed(expectDim(op, o.out, "out", 0, -1, "segments")))
      return failure();
    if (out.getDimSize(0) <= 0)
      return op->emitOpError() << "split segments must be positive; got "
                               << out.getDimSize(0);
    if (!o.lse)
      return op->emitOpError() << "the split form requires lse "
                                  "[segments, num_tokens, heads]";
    if (o.sinks)
      return op->emitOpError() << "in the split form sinks are applied by "
                                  "attn.merge_states, not by the partial op";
    if (o.outScale)
      return op->emitOpError() << "the split form has no fp8 output";
  } else if (out.getRank() != 3) {
    return op->emitOpError()
           << "out must be 3-D [num_tokens, heads, head_size_v]; got " << out;
  }
  unsigned od = split ? 1 : 0;
  if (failed(expectDim(op, o.out, "out", od + 1, heads, "heads")) ||
      failed(expectDim(op, o.out, "out", od + 2, vHead, "head_size_v")))
    return failure();
  if (!split && outType != dtype) {
    if (!isa<Float8E4M3FNType>(outType))
      return op->emitOpError() << "out dtype (" << outType
                               << ") must be the query dtype (" << dtype
                               << ") or f8E4M3FN";
    if (dtype.isF32())
      return op->emitOpError()
             << "fp8 output requires a 16-bit query dtype; got f32";
    if (!o.outScale)
      return op->emitOpError() << "fp8 output requires out_scale";
  }
  if (o.outScale && !isa<Float8E4M3FNType>(outType))
    return op->emitOpError() << "out_scale is only read for an f8E4M3FN "
                                "output; out is "
                             << outType;
  if (o.lse) {
    MemRefType lse = memrefOf(o.lse);
    if (lse.getRank() != (split ? 3 : 2))
      return op->emitOpError()
             << "lse must be "
             << (split ? "[segments, num_tokens, heads]" : "[num_tokens, heads]")
             << "; got " << lse;
    if (failed(expectDim(op, o.lse, "lse", od + 1, heads, "heads")))
      return failure();
    if (split && !lse.isDynamicDim(0) &&
        lse.getDimSize(0) != out.getDimSize(0))
      return op->emitOpError()
             << "lse segments (" << lse.getDimSize(0)
             << ") must equal out segments (" << out.getDimSize(0) << ")";
  }

  // Variant attributes.
  double scale = op->getAttrOfType<FloatAttr>("scale").getValueAsDouble();
  if (!(scale > 0.0) || !std::isfinite(scale))
    return op->emitOpError() << "scale (" << scale
                             << ") must be positive and finite";
  auto window = op->getAttrOfType<WindowAttr>("window");
  if (window) {
    if (window.getLeft() < -1)
      return op->emitOpError() << "window left (" << window.getLeft()
                               << ") must be >= -1 (-1 = unbounded)";
    if (window.getRight() < -1)
      return op->emitOpError() << "window right (" << window.getRight()
                               << ") must be >= -1 (-1 = unbounded)";
  }
  if (auto chunk = op->getAttrOfType<ChunkAttr>("chunk")) {
    if (window)
      return op->emitOpError() << "chunked local attention replaces the "
                                  "sliding window; got both chunk and window";
    if (chunk.getSize() <= 0)
      return op->emitOpError()
             << "chunk size (" << chunk.getSize() << ") must be positive";
    if (chunk.getLookback() < 0)
      return op->emitOpError() << "chunk lookback (" << chunk.getLookback()
                               << ") must be >= 0";
  }
  if (auto softcap = op->getAttrOfType<FloatAttr>("softcap")) {
    double c = softcap.getValueAsDouble();
    if (!(c > 0.0) || !std::isfinite(c))
      return op->emitOpError()
             << "softcap (" << c << ") must be positive and finite";
  }
  bool alibi = op->hasAttr("alibi");
  if (alibi && !o.alibiSlopes)
    return op->emitOpError() << "alibi requires alibi_slopes [heads]";
  if (!alibi && o.alibiSlopes)
    return op->emitOpError()
           << "alibi_slopes given without an alibi <plain|sqrt> attribute";
  if (failed(expectPerHead(op, o.alibiSlopes, "alibi_slopes", heads)) ||
      failed(expectPerHead(op, o.sinks, "sinks", heads)))
    return failure();
  if (o.mmPrefixRanges && memrefOf(o.mmPrefixRanges).getDimSize(2) != 2)
    return op->emitOpError()
           << "mm_prefix_ranges must be [num_seqs, max_ranges, 2] (start, "
              "end); got "
           << memrefOf(o.mmPrefixRanges);
  if (o.qqBias) {
    MemRefType qq = memrefOf(o.qqBias);
    if (!qq.isDynamicDim(0) && !qq.isDynamicDim(1) &&
        qq.getDimSize(0) != qq.getDimSize(1))
      return op->emitOpError() << "qq_bias must be square [Q, Q]; got " << qq;
  }
  if (o.qqBias && !op->hasAttr("causal"))
    return op->emitOpError() << "qq_bias (tree attention) is added on top of "
                                "the causal mask and requires causal";
  return success();
}

LogicalResult PagedAttentionOp::verify() { return verifyAttention(*this); }
LogicalResult VarlenAttentionOp::verify() { return verifyAttention(*this); }

//===----------------------------------------------------------------------===//
// MergeStatesOp
//===----------------------------------------------------------------------===//

LogicalResult MergeStatesOp::verify() {
  Operation *op = *this;
  MemRefType po = getPartialOut().getType(), pl = getPartialLse().getType();
  MemRefType out = getOut().getType();
  if (failed(expectDim(op, getPartialOut(), "partial_out", 2, -1, "heads")) ||
      failed(expectDim(op, getPartialOut(), "partial_out", 3, -1,
                       "head_size_v")))
    return failure();
  int64_t heads = po.getDimSize(2), headV = po.getDimSize(3);
  if (failed(expectHeadSize(op, "value head_size", headV)))
    return failure();
  if (!ShapedType::isDynamic(pl.getDimSize(0)) &&
      !ShapedType::isDynamic(po.getDimSize(0)) &&
      pl.getDimSize(0) != po.getDimSize(0))
    return emitOpError() << "partial_lse segments (" << pl.getDimSize(0)
                         << ") must equal partial_out segments ("
                         << po.getDimSize(0) << ")";
  if (failed(expectDim(op, getPartialLse(), "partial_lse", 2, heads, "heads")))
    return failure();
  if (out.getRank() != 3)
    return emitOpError()
           << "out must be 3-D [num_tokens, heads, head_size_v]; got " << out;
  if (failed(expectDim(op, getOut(), "out", 1, heads, "heads")) ||
      failed(expectDim(op, getOut(), "out", 2, headV, "head_size_v")) ||
      failed(expectPerHead(op, getSinks(), "sinks", heads)) ||
      failed(expectScalar(op, getOutScale(), "out_scale")))
    return failure();
  bool fp8Out = isa<Float8E4M3FNType>(out.getElementType());
  if (fp8Out && !getOutScale())
    return emitOpError() << "fp8 output requires out_scale";
  if (!fp8Out && getOutScale())
    return emitOpError() << "out_scale is only read for an f8E4M3FN output; "
                            "out is "
                         << out.getElementType();
  if (auto lse = getLse()) {
    if (lse.getType().getRank() != 2)
      return emitOpError() << "lse must be [num_tokens, heads]; got "
                           << lse.getType();
    if (failed(expectDim(op, lse, "lse", 1, heads, "heads")))
      return failure();
  }
  return success();
}

//===----------------------------------------------------------------------===//
// CacheWriteOp
//===----------------------------------------------------------------------===//

LogicalResult CacheWriteOp::verify() {
  Operation *op = *this;
  MemRefType key = getKey().getType(), value = getValue().getType();
  MemRefType kc = getKCache().getType(), vc = getVCache().getType();
  std::optional<KVQuant> quant = getKvQuant();
  bool pth = quant && *quant != KVQuant::per_tensor;
  if (key.getElementType() != value.getElementType())
    return emitOpError() << "key dtype (" << key.getElementType()
                         << ") must equal value dtype ("
                         << value.getElementType() << ")";
  for (auto [v, name] : {std::pair{getKey(), "key"},
                         std::pair{getValue(), "value"}})
    if (failed(expectDim(op, v, name, 1, -1, "kv_heads")) ||
        failed(expectDim(op, v, name, 2, -1, "head_size")))
      return failure();
  if (failed(expectDim(op, getKCache(), "k_cache", 1, -1, "block_size")) ||
      failed(expectDim(op, getVCache(), "v_cache", 1, kc.getDimSize(1),
                       "block_size")) ||
      failed(expectDim(op, getKCache(), "k_cache", 2, key.getDimSize(1),
                       "kv_heads")) ||
      failed(expectDim(op, getVCache(), "v_cache", 2, key.getDimSize(1),
                       "kv_heads")) ||
      failed(expectDim(op, getValue(), "value", 1, key.getDimSize(1),
                       "kv_heads")))
    return failure();
  int64_t extra = pth ? 4 : 0;
  if (failed(expectHeadSize(op, "key head_size", key.getDimSize(2))) ||
      failed(expectHeadSize(op, "value head_size", value.getDimSize(2))) ||
      failed(expectDim(op, getKCache(), "k_cache", 3, key.getDimSize(2) + extra,
                       "row size")) ||
      failed(expectDim(op, getVCache(), "v_cache", 3,
                       value.getDimSize(2) + extra, "row size")))
    return failure();
  Type dtype = key.getElementType();
  if (failed(verifyKVType(op, "k_cache", kc.getElementType(), dtype, quant)) ||
      failed(verifyKVType(op, "v_cache", vc.getElementType(), dtype, quant)))
    return failure();
  if (kc.getElementType() != vc.getElementType())
    return emitOpError() << "k_cache dtype (" << kc.getElementType()
                         << ") must equal v_cache dtype ("
                         << vc.getElementType() << ")";
  bool perTensor = quant && *quant == KVQuant::per_tensor;
  if (perTensor && !(getKScale() && getVScale()))
    return emitOpError() << "kv_quant <per_tensor> requires k_scale and v_scale";
  if (!perTensor && (getKScale() || getVScale()))
    return emitOpError()
           << "k_scale/v_scale are only read with kv_quant <per_tensor>";
  if (failed(expectScalar(op, getKScale(), "k_scale")) ||
      failed(expectScalar(op, getVScale(), "v_scale")))
    return failure();
  return success();
}
