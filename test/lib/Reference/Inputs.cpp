//===- Inputs.cpp - Batches and random inputs for attention ---------------===//
//
// Part of the attn project, the numerics test library (AttnReference).
//
//===----------------------------------------------------------------------===//

#include "Reference/Inputs.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <sstream>

namespace attn {
namespace ref {

using rt::DType;

//===----------------------------------------------------------------------===//
// Batch
//===----------------------------------------------------------------------===//

int64_t Batch::numTokens() const {
  int64_t n = 0;
  for (const SeqShape &s : seqs)
    n += s.queryLen;
  return n;
}

int64_t Batch::numKeys() const {
  int64_t n = 0;
  for (const SeqShape &s : seqs)
    n += s.seqLen;
  return n;
}

int64_t Batch::maxSeqLen() const {
  int64_t n = 0;
  for (const SeqShape &s : seqs)
    n = std::max(n, s.seqLen);
  return n;
}

int64_t Batch::maxQueryLen() const {
  int64_t n = 0;
  for (const SeqShape &s : seqs)
    n = std::max(n, s.queryLen);
  return n;
}

std::string Batch::str() const {
  std::ostringstream os;
  for (size_t i = 0; i < seqs.size(); ++i)
    os << (i ? "," : "") << seqs[i].queryLen << ":" << seqs[i].seqLen;
  return os.str();
}

static bool parseCount(const std::string &text, int64_t &value) {
  if (text.empty() || text.size() > 9)
    return false;
  for (char c : text)
    if (c < '0' || c > '9')
      return false;
  value = std::strtoll(text.c_str(), nullptr, 10);
  return true;
}

std::optional<Batch> parseBatch(const std::string &text, std::string &error) {
  Batch batch;
  if (text.empty()) {
    error = "empty batch: expected Q:S,Q:S,... (query_len:seq_len per "
            "sequence)";
    return std::nullopt;
  }
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    std::string item = text.substr(
        pos, comma == std::string::npos ? std::string::npos : comma - pos);
    size_t colon = item.find(':');
    SeqShape s;
    if (colon == std::string::npos ||
        !parseCount(item.substr(0, colon), s.queryLen) ||
        !parseCount(item.substr(colon + 1), s.seqLen)) {
      error = "bad batch item '" + item +
              "': expected Q:S with integers Q (query_len) and S (seq_len) "
              ">= 0";
      return std::nullopt;
    }
    batch.seqs.push_back(s);
    if (comma == std::string::npos)
      break;
    pos = comma + 1;
  }
  return batch;
}

std::string checkBatch(const VariantSpec &spec, const Batch &batch) {
  if (batch.seqs.empty())
    return "the batch has no sequence";
  if (spec.kind == "attention" && spec.kv != "varlen")
    for (size_t s = 0; s < batch.seqs.size(); ++s)
      if (batch.seqs[s].seqLen < batch.seqs[s].queryLen)
        return "sequence " + std::to_string(s) + " has seq_len " +
               std::to_string(batch.seqs[s].seqLen) + " < query_len " +
               std::to_string(batch.seqs[s].queryLen) +
               " (for kv=paged, seq_len counts context + new tokens)";
  return "";
}

//===----------------------------------------------------------------------===//
// Rng
//===----------------------------------------------------------------------===//

uint64_t Rng::next() {
  uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

double Rng::uniform() {
  return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0);
}

int64_t Rng::range(int64_t lo, int64_t hi) {
  if (hi <= lo)
    return lo;
  uint64_t span = static_cast<uint64_t>(hi - lo) + 1;
  return lo + static_cast<int64_t>(next() % span);
}

double Rng::normal() {
  if (hasSpare_) {
    hasSpare_ = false;
    return spare_;
  }
  double u1 = uniform(), u2 = uniform();
  if (u1 < 1e-300)
    u1 = 1e-300;
  double r = std::sqrt(-2.0 * std::log(u1));
  double th = 2.0 * 3.14159265358979323846 * u2;
  spare_ = r * std::sin(th);
  hasSpare_ = true;
  return r * std::cos(th);
}

//===----------------------------------------------------------------------===//
// Attention inputs
//===----------------------------------------------------------------------===//

namespace {

HostTensor i32Tensor(const std::vector<int32_t> &values,
                     std::vector<int64_t> shape) {
  HostTensor t(DType::I32, std::move(shape));
  std::copy(values.begin(), values.end(), t.as<int32_t>());
  return t;
}

HostTensor f32Scalar(double x) {
  HostTensor t(DType::F32, {1});
  t.set(0, x);
  return t;
}

/// Writes one row of float values into a K/V tensor at row index `row` (a
/// (slot, kv head) row).
void storeRow(const VariantSpec &spec, HostTensor &t, int64_t row,
              const float *x, int64_t d, float perTensorScale) {
  int64_t elemSize = static_cast<int64_t>(rt::dtypeSize(t.dtype));
  int64_t rowBytes = (d + kvRowPad(spec)) * elemSize;
  quantizeRow(spec, x, d, perTensorScale, t.bytes.data() + row * rowBytes);
}

} // namespace

std::optional<AttentionData> makeAttentionInputs(const VariantSpec &spec,
                                                 const Batch &batch,
                                                 const GenOptions &o,
                                                 std::string &error) {
  if (spec.kind != "attention") {
    error = "spec kind '" + spec.kind + "' is not an attention kernel";
    return std::nullopt;
  }
  error = checkBatch(spec, batch);
  if (!error.empty())
    return std::nullopt;
  bool paged = spec.kv != "varlen";

  Rng rng(o.seed);
  AttentionData d;
  int64_t numSeqs = batch.numSeqs();
  int64_t numTokens = batch.numTokens();
  int64_t heads = spec.heads, kvHeads = spec.kvHeads;
  int64_t dk = spec.headSize, dv = spec.effectiveHeadSizeV();
  int64_t bs = spec.blockSize;
  DType dtype = dtypeOf(spec);
  KvQuant quant = kvQuantOf(spec);
  DType kvStorage = kvStorageOf(spec);
  int64_t pad = kvRowPad(spec);

  // q.
  d.q = HostTensor(dtype, {numTokens, heads, dk});
  for (int64_t i = 0; i < d.q.numElements(); ++i)
    d.q.set(i, o.qStd * rng.normal());

  std::vector<int32_t> cuQ(static_cast<size_t>(numSeqs + 1), 0);
  for (int64_t s = 0; s < numSeqs; ++s)
    cuQ[s + 1] = static_cast<int32_t>(cuQ[s] + batch.seqs[s].queryLen);
  d.cuSeqlensQ = i32Tensor(cuQ, {numSeqs + 1});

  // Keys and values, as floats per (slot, kv head) row, then stored.
  int64_t numRows;               // slots (paged) or key tokens (varlen)
  std::vector<int64_t> rowOfKey; // cache row of key j of sequence s, flat
  std::vector<int64_t> keyOffset(static_cast<size_t>(numSeqs + 1), 0);
  for (int64_t s = 0; s < numSeqs; ++s)
    keyOffset[s + 1] = keyOffset[s] + batch.seqs[s].seqLen;
  if (paged) {
    std::vector<int64_t> needed(static_cast<size_t>(numSeqs));
    int64_t used = 0, maxBlocks = 1;
    for (int64_t s = 0; s < numSeqs; ++s) {
      needed[s] = (batch.seqs[s].seqLen + bs - 1) / bs;
      used += needed[s];
      maxBlocks = std::max(maxBlocks, needed[s]);
    }
    maxBlocks += 1; // a spare column, as allocators leave
    int64_t numBlocks = used + std::max<int64_t>(o.spareBlocks, 1);
    std::vector<int32_t> perm(static_cast<size_t>(numBlocks));
    for (int64_t b = 0; b < numBlocks; ++b)
      perm[b] = static_cast<int32_t>(b);
    for (int64_t b = numBlocks - 1; b > 0; --b)
      std::swap(perm[b], perm[rng.range(0, b)]);
    std::vector<int32_t> table(static_cast<size_t>(numSeqs * maxBlocks));
    int64_t next = 0;
    for (int64_t s = 0; s < numSeqs; ++s)
      for (int64_t b = 0; b < maxBlocks; ++b)
        table[s * maxBlocks + b] =
            b < needed[s] ? perm[next++]
                          : static_cast<int32_t>(rng.range(0, numBlocks - 1));
    d.blockTable = i32Tensor(table, {numSeqs, maxBlocks});
    std::vector<int32_t> lens(static_cast<size_t>(numSeqs));
    for (int64_t s = 0; s < numSeqs; ++s)
      lens[s] = static_cast<int32_t>(batch.seqs[s].seqLen);
    d.seqLens = i32Tensor(lens, {numSeqs});
    numRows = numBlocks * bs;
    rowOfKey.resize(static_cast<size_t>(keyOffset[numSeqs]));
    for (int64_t s = 0; s < numSeqs; ++s)
      for (int64_t j = 0; j < batch.seqs[s].seqLen; ++j)
        rowOfKey[keyOffset[s] + j] =
            table[s * maxBlocks + j / bs] * bs + j % bs;
    d.k = HostTensor(kvStorage, {numBlocks, bs, kvHeads, dk + pad});
    d.v = HostTensor(kvStorage, {numBlocks, bs, kvHeads, dv + pad});
  } else {
    numRows = keyOffset[numSeqs];
    rowOfKey.resize(static_cast<size_t>(numRows));
    for (int64_t r = 0; r < numRows; ++r)
      rowOfKey[r] = r;
    std::vector<int32_t> cuK(keyOffset.begin(), keyOffset.end());
    d.cuSeqlensK = i32Tensor(cuK, {numSeqs + 1});
    d.k = HostTensor(kvStorage, {numRows, kvHeads, dk + pad});
    d.v = HostTensor(kvStorage, {numRows, kvHeads, dv + pad});
  }
  // Unused slots: NaN in every float format (0xff.. is a NaN for f32, f16,
  // bf16, e4m3fn and e5m2; for int8 per-token-head caches the scale; the
  // fnuz formats' only NaN is 0x80, 0xff being their finite -max).
  uint8_t poison = rt::isFnuz(kvStorage) ? fp8NaNByte(kvStorage) : 0xff;
  d.k.fillBytes(o.poisonUnused ? poison : 0);
  d.v.fillBytes(o.poisonUnused ? poison : 0);

  int64_t numKeys = static_cast<int64_t>(rowOfKey.size());
  std::vector<float> kf(static_cast<size_t>(numKeys * kvHeads * dk));
  std::vector<float> vf(static_cast<size_t>(numKeys * kvHeads * dv));
  for (float &x : kf)
    x = static_cast<float>(o.kStd * rng.normal());
  for (float &x : vf)
    x = static_cast<float>(o.vStd * rng.normal());
  float kScale = 1, vScale = 1;
  if (quant == KvQuant::PerTensor) {
    // Scales that make the data span the fp8 range.
    double fmax = maxFinite(kvStorage);
    float km = 0, vm = 0;
    for (float x : kf)
      km = std::max(km, std::fabs(x));
    for (float x : vf)
      vm = std::max(vm, std::fabs(x));
    kScale = static_cast<float>(std::max<double>(km, 1e-3) / fmax);
    vScale = static_cast<float>(std::max<double>(vm, 1e-3) / fmax);
    d.kScale = f32Scalar(kScale);
    d.vScale = f32Scalar(vScale);
  }
  for (int64_t key = 0; key < numKeys; ++key)
    for (int64_t h = 0; h < kvHeads; ++h) {
      int64_t row = rowOfKey[key] * kvHeads + h;
      storeRow(spec, d.k, row, &kf[(key * kvHeads + h) * dk], dk, kScale);
      storeRow(spec, d.v, row, &vf[(key * kvHeads + h) * dv], dv, vScale);
    }

  // Optional inputs.
  if (spec.sinks) {
    d.sinks = HostTensor(DType::F32, {heads});
    for (int64_t h = 0; h < heads; ++h)
      d.sinks.set(h, o.sinkMean + o.sinkStd * rng.normal());
  }
  if (spec.alibi != "0") {
    d.alibiSlopes = HostTensor(DType::F32, {heads});
    for (int64_t h = 0; h < heads; ++h)
      d.alibiSlopes.set(h, std::pow(2.0, -8.0 * static_cast<double>(h + 1) /
                                             static_cast<double>(heads)));
  }
  if (spec.mmPrefix) {
    int64_t R = std::max<int64_t>(o.mmRanges, 1);
    std::vector<int32_t> ranges(static_cast<size_t>(numSeqs * R * 2), 0);
    for (int64_t s = 0; s < numSeqs; ++s) {
      int64_t len = batch.seqs[s].seqLen;
      int64_t ctx = len - batch.seqs[s].queryLen;
      int32_t *r = &ranges[s * R * 2];
      if (len < 2)
        continue; // all padding
      // 0: a range across the context/query boundary (bidirectional into
      // later query tokens).
      int64_t a =
          rng.range(std::max<int64_t>(0, ctx - 9), std::min(ctx, len - 2));
      int64_t b = rng.range(a + 1, len - 1);
      r[0] = static_cast<int32_t>(a);
      r[1] = static_cast<int32_t>(b);
      if (R > 1) {
        // 1: a range anywhere.
        int64_t c = rng.range(0, len - 2);
        int64_t e = rng.range(c + 1, std::min(len - 1, c + 20));
        r[2] = static_cast<int32_t>(c);
        r[3] = static_cast<int32_t>(e);
      }
      if (R > 2) {
        // 2: degenerate (start == end): not a range.
        int64_t c = rng.range(0, len - 1);
        r[4] = r[5] = static_cast<int32_t>(c);
      }
      // The rest: (0, 0) padding.
    }
    d.mmPrefixRanges = i32Tensor(ranges, {numSeqs, R, 2});
  }
  if (spec.qqBias) {
    int64_t n = std::max<int64_t>(batch.maxQueryLen() + o.qqBiasPad, 1);
    d.qqBias = HostTensor(DType::F32, {n, n});
    for (int64_t i = 0; i < n * n; ++i)
      d.qqBias.set(i, o.qqBiasStd * rng.normal());
  }
  DType outDtype = outDtypeOf(spec);
  if (rt::isFloat8(outDtype))
    d.outScale = f32Scalar(o.outScale > 0 ? o.outScale : 0.01);
  d.out = HostTensor(outDtype, {numTokens, heads, dv});
  d.out.fillBytes(0xff);
  if (spec.lse) {
    d.lse = HostTensor(DType::F32, {numTokens, heads});
    d.lse.fillBytes(0xff);
  }
  return d;
}

//===----------------------------------------------------------------------===//
// Cache write inputs
//===----------------------------------------------------------------------===//

CacheWriteData makeCacheWriteInputs(const VariantSpec &spec, int64_t numTokens,
                                    int64_t numBlocks, int64_t padEvery,
                                    uint64_t seed) {
  Rng rng(seed);
  CacheWriteData w;
  int64_t kvHeads = spec.kvHeads, dk = spec.headSize,
          dv = spec.effectiveHeadSizeV(), bs = spec.blockSize;
  DType dtype = dtypeOf(spec), storage = kvStorageOf(spec);
  int64_t pad = kvRowPad(spec);
  w.key = HostTensor(dtype, {numTokens, kvHeads, dk});
  w.value = HostTensor(dtype, {numTokens, kvHeads, dv});
  double km = 0, vm = 0;
  for (int64_t i = 0; i < w.key.numElements(); ++i) {
    w.key.set(i, rng.normal());
    km = std::max(km, std::fabs(w.key.get(i)));
  }
  for (int64_t i = 0; i < w.value.numElements(); ++i) {
    w.value.set(i, 2.0 * rng.normal());
    vm = std::max(vm, std::fabs(w.value.get(i)));
  }
  // One all-zero row (per-token-head: scale 1) when there is room.
  if (numTokens > 2)
    for (int64_t c = 0; c < dk; ++c)
      w.key.set((2 * kvHeads) * dk + c, 0.0);
  w.kCache = HostTensor(storage, {numBlocks, bs, kvHeads, dk + pad});
  w.vCache = HostTensor(storage, {numBlocks, bs, kvHeads, dv + pad});
  w.kCache.fillBytes(0x5a);
  w.vCache.fillBytes(0x5a);
  if (kvQuantOf(spec) == KvQuant::PerTensor) {
    // Half the range: the largest values saturate.
    double fmax = maxFinite(storage);
    w.kScale = f32Scalar(km / fmax * 0.5);
    w.vScale = f32Scalar(vm / fmax * 0.5);
  }
  int64_t numSlots = numBlocks * bs;
  std::vector<int64_t> slots(static_cast<size_t>(numSlots));
  for (int64_t i = 0; i < numSlots; ++i)
    slots[i] = i;
  for (int64_t i = numSlots - 1; i > 0; --i)
    std::swap(slots[i], slots[rng.range(0, i)]);
  w.slotMapping = HostTensor(DType::I64, {numTokens});
  for (int64_t t = 0; t < numTokens; ++t) {
    int64_t slot = t < numSlots ? slots[t] : -1;
    if (padEvery > 0 && t % padEvery == padEvery - 1)
      slot = -1;
    w.slotMapping.as<int64_t>()[t] = slot;
  }
  return w;
}

CacheWriteData makeCacheWriteForAttention(const VariantSpec &spec,
                                          const AttentionData &data,
                                          int64_t padTokens, uint64_t seed) {
  Rng rng(seed);
  CacheWriteData w;
  int64_t kvHeads = spec.kvHeads, dk = spec.headSize,
          dv = spec.effectiveHeadSizeV(), bs = spec.blockSize;
  DType dtype = dtypeOf(spec);
  int64_t numSeqs = data.numSeqs();
  int64_t maxBlocks = data.blockTable.shape[1];
  std::vector<int64_t> slots;
  for (int64_t s = 0; s < numSeqs; ++s) {
    int64_t len = data.seqLens.as<int32_t>()[s];
    for (int64_t j = 0; j < len; ++j)
      slots.push_back(
          static_cast<int64_t>(
              data.blockTable.as<int32_t>()[s * maxBlocks + j / bs]) *
              bs +
          j % bs);
  }
  for (int64_t p = 0; p < padTokens; ++p) {
    size_t at =
        static_cast<size_t>(rng.range(0, static_cast<int64_t>(slots.size())));
    slots.insert(slots.begin() + static_cast<std::ptrdiff_t>(at), -1);
  }
  int64_t numTokens = static_cast<int64_t>(slots.size());
  w.key = HostTensor(dtype, {numTokens, kvHeads, dk});
  w.value = HostTensor(dtype, {numTokens, kvHeads, dv});
  for (int64_t i = 0; i < w.key.numElements(); ++i)
    w.key.set(i, rng.normal());
  for (int64_t i = 0; i < w.value.numElements(); ++i)
    w.value.set(i, rng.normal());
  w.slotMapping = HostTensor(DType::I64, {numTokens});
  std::copy(slots.begin(), slots.end(), w.slotMapping.as<int64_t>());
  w.kCache = data.k;
  w.vCache = data.v;
  w.kScale = data.kScale;
  w.vScale = data.vScale;
  return w;
}

std::string cacheWriteSpecFor(const VariantSpec &spec,
                              const std::string &name) {
  std::ostringstream os;
  os << "name=" << name << ",kind=cache_write,kv_heads=" << spec.kvHeads
     << ",head_size=" << spec.headSize
     << ",head_size_v=" << spec.effectiveHeadSizeV() << ",dtype=" << spec.dtype
     << ",kv_dtype=" << spec.kvDtype << ",block_size=" << spec.blockSize;
  return os.str();
}

rt::AttentionArgs attentionArgs(AttentionData &d, rt::Path path) {
  rt::AttentionArgs a;
  a.q = d.q.ref();
  a.kCache = d.k.ref();
  a.vCache = d.v.ref();
  a.blockTable = d.blockTable.ref();
  a.seqLens = d.seqLens.ref();
  a.cuSeqlensQ = d.cuSeqlensQ.ref();
  a.cuSeqlensK = d.cuSeqlensK.ref();
  a.sinks = d.sinks.ref();
  a.alibiSlopes = d.alibiSlopes.ref();
  a.mmPrefixRanges = d.mmPrefixRanges.ref();
  a.qqBias = d.qqBias.ref();
  a.kScale = d.kScale.ref();
  a.vScale = d.vScale.ref();
  a.outScale = d.outScale.ref();
  a.out = d.out.ref();
  a.lse = d.lse.ref();
  a.path = path;
  return a;
}

} // namespace ref
} // namespace attn
