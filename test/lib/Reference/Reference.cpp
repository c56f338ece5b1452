//===- Reference.cpp - Double-precision reference attention ---------------===//
//
// Part of the attn project, the numerics test library (AttnReference).
//
//===----------------------------------------------------------------------===//

#include "Reference/Reference.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>
#include <optional>
#include <sstream>

namespace attn {
namespace ref {

using rt::DType;

//===----------------------------------------------------------------------===//
// Numeric formats
//===----------------------------------------------------------------------===//

namespace {

/// The special encodings of a small float format.
enum class Kind {
  /// IEEE-like: all-ones exponent = inf (mantissa 0) or NaN.
  IEEE,
  /// e4m3fn: only all-ones exponent and mantissa = NaN; no infinities.
  FN,
  /// e4m3fnuz / e5m2fnuz: every exponent finite, no infinities, no negative
  /// zero; the negative-zero pattern (sign bit alone, 0x80) is the only NaN.
  FNUZ,
};

/// A small binary float format: 1 sign bit, `expBits`, `manBits`.
struct MiniFloat {
  int expBits, manBits, bias;
  Kind kind;

  uint32_t signBit() const { return 1u << (expBits + manBits); }

  double maxFinite() const {
    if (kind == Kind::IEEE)
      return std::ldexp(2.0 - std::ldexp(1.0, -manBits),
                        (1 << expBits) - 2 - bias);
    if (kind == Kind::FNUZ) // every exponent and mantissa is finite
      return std::ldexp(2.0 - std::ldexp(1.0, -manBits),
                        (1 << expBits) - 1 - bias);
    // e4m3fn: the all-ones exponent is usable except mantissa all-ones.
    return std::ldexp(2.0 - std::ldexp(1.0, 1 - manBits),
                      (1 << expBits) - 1 - bias);
  }

  /// The NaN pattern, sign included (or-ing a sign into it is harmless for
  /// IEEE/FN; FNUZ has exactly one NaN).
  uint32_t nanBits() const {
    switch (kind) {
    case Kind::IEEE:
      return (((1u << expBits) - 1) << manBits) | (1u << (manBits - 1));
    case Kind::FN:
      return (1u << (expBits + manBits)) - 1;
    case Kind::FNUZ:
      return signBit();
    }
    return 0;
  }
  uint32_t infBits() const { return ((1u << expBits) - 1) << manBits; }
  /// What a value beyond the largest finite one becomes without saturation:
  /// inf (IEEE), else NaN (as torch's float8_e4m3fn / _fnuz conversions).
  uint32_t overflowBits(uint32_t sign) const {
    if (kind == Kind::IEEE)
      return sign | infBits();
    return kind == Kind::FNUZ ? nanBits() : sign | nanBits();
  }

  /// Round-to-nearest-even encode of `x` (exact in double).
  uint32_t encode(double x, bool saturate) const {
    uint32_t sign = std::signbit(x) ? signBit() : 0u;
    if (std::isnan(x))
      return kind == Kind::FNUZ ? nanBits() : sign | nanBits();
    double a = std::fabs(x);
    double maxF = maxFinite();
    if (std::isinf(a))
      return saturate ? sign | *encodeMagnitude(maxF) : overflowBits(sign);
    std::optional<uint32_t> mag = encodeMagnitude(a);
    double back =
        mag ? decodeMagnitude(*mag) : std::numeric_limits<double>::infinity();
    if (std::isnan(back) || std::isinf(back) || back > maxF)
      return saturate ? sign | *encodeMagnitude(maxF) : overflowBits(sign);
    if (*mag == 0 && kind == Kind::FNUZ)
      return 0; // no negative zero: -0 and tiny negatives give +0
    return sign | *mag;
  }

  /// Magnitude bits of a >= 0 rounded RNE; nullopt past the largest
  /// exponent. May be a NaN/inf pattern or exceed maxFinite (the caller
  /// checks).
  std::optional<uint32_t> encodeMagnitude(double a) const {
    if (a == 0)
      return 0;
    int minExp = 1 - bias; // exponent of the smallest normal
    int e;
    std::frexp(a, &e); // a = f * 2^e, f in [0.5, 1)
    int exp = e - 1;   // a = 1.x * 2^exp
    if (exp < minExp)
      exp = minExp; // subnormal range: fixed quantum
    // Quantum of the binade: 2^(exp - manBits).
    double scaled = std::ldexp(a, manBits - exp);
    double r = std::nearbyint(scaled); // RNE in the default rounding mode
    uint64_t q = static_cast<uint64_t>(r);
    // q in [0, 2^(manBits+1)]; q == 2^(manBits+1) carries to the next binade.
    if (q >= (uint64_t(1) << (manBits + 1))) {
      q >>= 1;
      ++exp;
    }
    uint32_t biased;
    uint32_t man;
    if (q < (uint64_t(1) << manBits)) {
      // Subnormal (only possible at exp == minExp).
      biased = 0;
      man = static_cast<uint32_t>(q);
    } else {
      biased = static_cast<uint32_t>(exp + bias);
      man = static_cast<uint32_t>(q - (uint64_t(1) << manBits));
    }
    uint32_t maxBiased = (1u << expBits) - 1;
    if (biased > maxBiased)
      return std::nullopt; // beyond any finite value
    return (biased << manBits) | man;
  }

  double decodeMagnitude(uint32_t mag) const {
    uint32_t biased = mag >> manBits;
    uint32_t man = mag & ((1u << manBits) - 1);
    uint32_t maxBiased = (1u << expBits) - 1;
    if (kind == Kind::IEEE && biased == maxBiased)
      return man ? std::numeric_limits<double>::quiet_NaN()
                 : std::numeric_limits<double>::infinity();
    if (kind == Kind::FN && biased == maxBiased && man == (1u << manBits) - 1)
      return std::numeric_limits<double>::quiet_NaN();
    if (biased == 0)
      return std::ldexp(static_cast<double>(man), 1 - bias - manBits);
    return std::ldexp(1.0 + std::ldexp(static_cast<double>(man), -manBits),
                      static_cast<int>(biased) - bias);
  }

  double decode(uint32_t bits) const {
    if (kind == Kind::FNUZ && bits == signBit())
      return std::numeric_limits<double>::quiet_NaN();
    double m = decodeMagnitude(bits & (signBit() - 1));
    return bits & signBit() ? -m : m;
  }
};

constexpr MiniFloat kF16{5, 10, 15, Kind::IEEE};
constexpr MiniFloat kE4M3{4, 3, 7, Kind::FN};
constexpr MiniFloat kE5M2{5, 2, 15, Kind::IEEE};
constexpr MiniFloat kE4M3Fnuz{4, 3, 8, Kind::FNUZ};
constexpr MiniFloat kE5M2Fnuz{5, 2, 16, Kind::FNUZ};

const MiniFloat *fp8Format(DType dtype) {
  switch (dtype) {
  case DType::Fp8E4M3:
    return &kE4M3;
  case DType::Fp8E5M2:
    return &kE5M2;
  case DType::Fp8E4M3Fnuz:
    return &kE4M3Fnuz;
  case DType::Fp8E5M2Fnuz:
    return &kE5M2Fnuz;
  default:
    return nullptr;
  }
}

} // namespace

uint16_t floatToBf16(float x) {
  uint32_t u;
  std::memcpy(&u, &x, 4);
  if (std::isnan(x))
    return static_cast<uint16_t>((u >> 16) | 0x40); // quiet NaN
  uint32_t rounding = 0x7fff + ((u >> 16) & 1);
  return static_cast<uint16_t>((u + rounding) >> 16);
}

float bf16ToFloat(uint16_t bits) {
  uint32_t u = static_cast<uint32_t>(bits) << 16;
  float x;
  std::memcpy(&x, &u, 4);
  return x;
}

uint16_t floatToF16(float x) {
  return static_cast<uint16_t>(kF16.encode(x, /*saturate=*/false));
}
float f16ToFloat(uint16_t bits) {
  return static_cast<float>(kF16.decode(bits));
}
uint8_t floatToFp8E4M3(float x, bool saturate) {
  return static_cast<uint8_t>(kE4M3.encode(x, saturate));
}
float fp8E4M3ToFloat(uint8_t bits) {
  return static_cast<float>(kE4M3.decode(bits));
}
uint8_t floatToFp8E5M2(float x, bool saturate) {
  return static_cast<uint8_t>(kE5M2.encode(x, saturate));
}
float fp8E5M2ToFloat(uint8_t bits) {
  return static_cast<float>(kE5M2.decode(bits));
}
uint8_t floatToFp8E4M3Fnuz(float x, bool saturate) {
  return static_cast<uint8_t>(kE4M3Fnuz.encode(x, saturate));
}
float fp8E4M3FnuzToFloat(uint8_t bits) {
  return static_cast<float>(kE4M3Fnuz.decode(bits));
}
uint8_t floatToFp8E5M2Fnuz(float x, bool saturate) {
  return static_cast<uint8_t>(kE5M2Fnuz.encode(x, saturate));
}
float fp8E5M2FnuzToFloat(uint8_t bits) {
  return static_cast<float>(kE5M2Fnuz.decode(bits));
}
uint8_t floatToFp8(DType dtype, float x, bool saturate) {
  const MiniFloat *f = fp8Format(dtype);
  assert(f && "not an fp8 dtype");
  return static_cast<uint8_t>(f->encode(x, saturate));
}
float fp8ToFloat(DType dtype, uint8_t bits) {
  const MiniFloat *f = fp8Format(dtype);
  assert(f && "not an fp8 dtype");
  return static_cast<float>(f->decode(bits));
}
uint8_t fp8NaNByte(DType dtype) { return rt::isFnuz(dtype) ? 0x80 : 0xff; }

double maxFinite(DType dtype) {
  switch (dtype) {
  case DType::F32:
    return std::numeric_limits<float>::max();
  case DType::F16:
    return 65504.0;
  case DType::BF16:
    return static_cast<double>(bf16ToFloat(0x7f7f));
  case DType::Fp8E4M3:
    return 448.0;
  case DType::Fp8E5M2:
    return 57344.0;
  case DType::Fp8E4M3Fnuz:
    return 240.0;
  case DType::Fp8E5M2Fnuz:
    return 57344.0;
  default:
    return std::numeric_limits<double>::infinity();
  }
}

double roundTo(DType dtype, double x) {
  float f = static_cast<float>(x);
  switch (dtype) {
  case DType::F32:
    return f;
  case DType::F16:
    return f16ToFloat(floatToF16(f));
  case DType::BF16:
    return bf16ToFloat(floatToBf16(f));
  case DType::Fp8E4M3:
  case DType::Fp8E5M2:
  case DType::Fp8E4M3Fnuz:
  case DType::Fp8E5M2Fnuz:
    return fp8ToFloat(dtype, floatToFp8(dtype, f));
  default:
    return x;
  }
}

//===----------------------------------------------------------------------===//
// HostTensor
//===----------------------------------------------------------------------===//

HostTensor::HostTensor(DType dtype, std::vector<int64_t> shapeIn)
    : dtype(dtype), shape(std::move(shapeIn)) {
  bytes.assign(static_cast<size_t>(numElements()) * rt::dtypeSize(dtype), 0);
}

int64_t HostTensor::numElements() const {
  if (shape.empty())
    return 0;
  int64_t n = 1;
  for (int64_t d : shape)
    n *= std::max<int64_t>(d, 0);
  return n;
}

rt::TensorRef HostTensor::ref() {
  rt::TensorRef r;
  if (!given())
    return r;
  r.data = data();
  r.dtype = dtype;
  r.rank = static_cast<int>(shape.size());
  for (size_t i = 0; i < shape.size() && i < rt::kMaxRank; ++i)
    r.shape[i] = shape[i];
  return r;
}

std::string HostTensor::shapeString() const {
  std::ostringstream os;
  os << "[";
  for (size_t i = 0; i < shape.size(); ++i)
    os << (i ? ", " : "") << shape[i];
  os << "]";
  return os.str();
}

double HostTensor::get(int64_t i) const {
  const uint8_t *p = bytes.data();
  switch (dtype) {
  case DType::F32: {
    float f;
    std::memcpy(&f, p + 4 * i, 4);
    return f;
  }
  case DType::F16:
  case DType::BF16: {
    uint16_t b;
    std::memcpy(&b, p + 2 * i, 2);
    return dtype == DType::F16 ? f16ToFloat(b) : bf16ToFloat(b);
  }
  case DType::Fp8E4M3:
  case DType::Fp8E5M2:
  case DType::Fp8E4M3Fnuz:
  case DType::Fp8E5M2Fnuz:
    return fp8ToFloat(dtype, p[i]);
  case DType::I8:
    return static_cast<int8_t>(p[i]);
  case DType::U8:
    return p[i];
  case DType::I32: {
    int32_t v;
    std::memcpy(&v, p + 4 * i, 4);
    return v;
  }
  case DType::I64: {
    int64_t v;
    std::memcpy(&v, p + 8 * i, 8);
    return static_cast<double>(v);
  }
  }
  return 0;
}

void HostTensor::set(int64_t i, double x) {
  uint8_t *p = bytes.data();
  float f = static_cast<float>(x);
  switch (dtype) {
  case DType::F32:
    std::memcpy(p + 4 * i, &f, 4);
    return;
  case DType::F16:
  case DType::BF16: {
    uint16_t b = dtype == DType::F16 ? floatToF16(f) : floatToBf16(f);
    std::memcpy(p + 2 * i, &b, 2);
    return;
  }
  case DType::Fp8E4M3:
  case DType::Fp8E5M2:
  case DType::Fp8E4M3Fnuz:
  case DType::Fp8E5M2Fnuz:
    p[i] = floatToFp8(dtype, f);
    return;
  case DType::I8:
    p[i] = static_cast<uint8_t>(static_cast<int8_t>(x));
    return;
  case DType::U8:
    p[i] = static_cast<uint8_t>(x);
    return;
  case DType::I32: {
    int32_t v = static_cast<int32_t>(x);
    std::memcpy(p + 4 * i, &v, 4);
    return;
  }
  case DType::I64: {
    int64_t v = static_cast<int64_t>(x);
    std::memcpy(p + 8 * i, &v, 8);
    return;
  }
  }
}

void HostTensor::fillBytes(uint8_t byte) {
  std::fill(bytes.begin(), bytes.end(), byte);
}

std::vector<double> decode(const HostTensor &t) {
  std::vector<double> out(static_cast<size_t>(t.numElements()));
  for (int64_t i = 0; i < t.numElements(); ++i)
    out[i] = t.get(i);
  return out;
}

//===----------------------------------------------------------------------===//
// KV storage
//===----------------------------------------------------------------------===//

KvQuant kvQuantOf(const VariantSpec &spec) {
  if (spec.perTensorKv())
    return KvQuant::PerTensor;
  if (spec.kvDtype == "int8_per_token_head")
    return KvQuant::PerTokenHeadInt8;
  if (spec.kvDtype == "fp8_per_token_head")
    return KvQuant::PerTokenHeadFp8;
  return KvQuant::None;
}

static DType parseFloatDtype(const std::string &name) {
  if (name == "f16")
    return DType::F16;
  if (name == "bf16")
    return DType::BF16;
  if (name == "fp8_e4m3")
    return DType::Fp8E4M3;
  if (name == "fp8_e5m2")
    return DType::Fp8E5M2;
  if (name == "fp8_e4m3fnuz")
    return DType::Fp8E4M3Fnuz;
  if (name == "fp8_e5m2fnuz")
    return DType::Fp8E5M2Fnuz;
  return DType::F32;
}

DType dtypeOf(const VariantSpec &spec) { return parseFloatDtype(spec.dtype); }
DType outDtypeOf(const VariantSpec &spec) {
  return parseFloatDtype(spec.effectiveOutDtype());
}
DType kvStorageOf(const VariantSpec &spec) {
  switch (kvQuantOf(spec)) {
  case KvQuant::None:
    return dtypeOf(spec);
  case KvQuant::PerTensor:
    return parseFloatDtype(spec.kvDtype);
  default:
    return DType::I8;
  }
}
int64_t kvRowPad(const VariantSpec &spec) {
  KvQuant q = kvQuantOf(spec);
  return q == KvQuant::PerTokenHeadInt8 || q == KvQuant::PerTokenHeadFp8 ? 4
                                                                         : 0;
}

std::vector<double> dequantizeKV(const VariantSpec &spec, const HostTensor &t,
                                 int64_t d, double scale) {
  KvQuant quant = kvQuantOf(spec);
  int64_t rowBytesOrElems = d + kvRowPad(spec);
  int64_t rows = t.numElements() / rowBytesOrElems; // (slot, kv head) rows
  std::vector<double> out(static_cast<size_t>(rows * d));
  for (int64_t r = 0; r < rows; ++r) {
    if (quant == KvQuant::PerTokenHeadInt8 ||
        quant == KvQuant::PerTokenHeadFp8) {
      const uint8_t *row = t.bytes.data() + r * rowBytesOrElems;
      float s;
      std::memcpy(&s, row + d, 4); // little-endian host
      for (int64_t c = 0; c < d; ++c) {
        double x = quant == KvQuant::PerTokenHeadInt8
                       ? static_cast<double>(static_cast<int8_t>(row[c]))
                       : static_cast<double>(fp8E4M3ToFloat(row[c]));
        out[r * d + c] = x * static_cast<double>(s);
      }
    } else {
      double mul = quant == KvQuant::PerTensor ? scale : 1.0;
      for (int64_t c = 0; c < d; ++c)
        out[r * d + c] = t.get(r * d + c) * mul;
    }
  }
  return out;
}

void quantizeRow(const VariantSpec &spec, const float *x, int64_t d,
                 float perTensorScale, uint8_t *dst) {
  KvQuant quant = kvQuantOf(spec);
  DType storage = kvStorageOf(spec);
  if (quant == KvQuant::None) {
    HostTensor tmp(storage, {d});
    for (int64_t c = 0; c < d; ++c)
      tmp.set(c, x[c]);
    std::memcpy(dst, tmp.data(), tmp.bytes.size());
    return;
  }
  if (quant == KvQuant::PerTensor) {
    double bound = maxFinite(storage);
    for (int64_t c = 0; c < d; ++c) {
      float q = x[c] / perTensorScale; // f32 division, like the kernel
      double qc = std::min(std::max(static_cast<double>(q), -bound), bound);
      // Clamped, then rounded to nearest even (the kernel's minimumf /
      // maximumf and truncf); fnuz: -0 -> +0, NaN -> 0x80.
      dst[c] = floatToFp8(storage, static_cast<float>(qc));
    }
    return;
  }
  bool isInt8 = quant == KvQuant::PerTokenHeadInt8;
  float qmax = isInt8 ? 127.0f : 448.0f;
  float amax = 0;
  for (int64_t c = 0; c < d; ++c)
    amax = std::max(amax, std::fabs(x[c]));
  float scale = amax > 0 ? amax / qmax : 1.0f;
  for (int64_t c = 0; c < d; ++c) {
    float q = x[c] / scale;
    q = std::min(std::max(q, -qmax), qmax);
    if (isInt8) {
      double r = std::nearbyint(static_cast<double>(q)); // half to even
      dst[c] = static_cast<uint8_t>(static_cast<int8_t>(r));
    } else {
      dst[c] = floatToFp8E4M3(q);
    }
  }
  std::memcpy(dst + d, &scale, 4);
}

//===----------------------------------------------------------------------===//
// Reference attention
//===----------------------------------------------------------------------===//

namespace {
/// The per-call view of the inputs, decoded.
struct Problem {
  const VariantSpec &spec;
  const AttentionData &data;
  bool paged;
  int64_t numSeqs, heads, kvHeads, dqk, dv, blockSize, maxBlocks;
  std::vector<double> q, k, v;

  Problem(const VariantSpec &spec, const AttentionData &data)
      : spec(spec), data(data) {
    paged = spec.kv != "varlen";
    numSeqs = data.numSeqs();
    heads = spec.heads;
    kvHeads = spec.kvHeads;
    dqk = spec.headSize;
    dv = spec.effectiveHeadSizeV();
    blockSize = spec.blockSize;
    maxBlocks = paged && data.blockTable.given() ? data.blockTable.shape[1] : 0;
  }

  void decodeAll() {
    q = decode(data.q);
    double ks = data.kScale.given() ? data.kScale.get(0) : 1.0;
    double vs = data.vScale.given() ? data.vScale.get(0) : 1.0;
    k = dequantizeKV(spec, data.k, dqk, ks);
    v = dequantizeKV(spec, data.v, dv, vs);
  }

  int64_t cuQ(int64_t s) const { return data.cuSeqlensQ.as<int32_t>()[s]; }
  int64_t queryLen(int64_t s) const { return cuQ(s + 1) - cuQ(s); }
  int64_t seqLen(int64_t s) const {
    if (paged)
      return data.seqLens.as<int32_t>()[s];
    const int32_t *cu = data.cuSeqlensK.as<int32_t>();
    return cu[s + 1] - cu[s];
  }
  /// Row (slot) of key j of sequence s in the K/V arrays.
  int64_t keyRow(int64_t s, int64_t j) const {
    if (paged) {
      int64_t block =
          data.blockTable.as<int32_t>()[s * maxBlocks + j / blockSize];
      return block * blockSize + j % blockSize;
    }
    return data.cuSeqlensK.as<int32_t>()[s] + j;
  }
};

bool keepImpl(const VariantSpec &spec, const AttentionData &data, int64_t s,
              int64_t i, int64_t j) {
  bool base = true;
  if (spec.causal)
    base = base && j <= i;
  if (spec.windowLeft >= 0)
    base = base && j >= i - spec.windowLeft;
  if (spec.windowRight >= 0)
    base = base && j <= i + spec.windowRight;
  if (spec.chunkSize > 0)
    base =
        base && (i / spec.chunkSize - j / spec.chunkSize <= spec.chunkLookback);
  if (base)
    return true;
  if (spec.mmPrefix && data.mmPrefixRanges.given()) {
    int64_t maxR = data.mmPrefixRanges.shape[1];
    const int32_t *r = data.mmPrefixRanges.as<int32_t>() + s * maxR * 2;
    for (int64_t x = 0; x < maxR; ++x) {
      int64_t start = r[2 * x], end = r[2 * x + 1];
      if (start < end && start <= i && i <= end && start <= j && j <= end)
        return true;
    }
  }
  return false;
}
} // namespace

bool referenceKeep(const VariantSpec &spec, const AttentionData &data,
                   int64_t seq, int64_t i, int64_t j) {
  return keepImpl(spec, data, seq, i, j);
}

AttentionResult referenceAttention(const VariantSpec &spec,
                                   const AttentionData &data) {
  Problem p(spec, data);
  p.decodeAll();
  int64_t numTokens = data.numTokens();
  AttentionResult result;
  result.out.assign(static_cast<size_t>(numTokens * p.heads * p.dv), 0.0);
  result.lse.assign(static_cast<size_t>(numTokens * p.heads),
                    -std::numeric_limits<double>::infinity());
  double scale = spec.effectiveScale();
  int64_t group = p.heads / p.kvHeads;
  bool fp8Out = rt::isFloat8(outDtypeOf(spec));
  double outScale = fp8Out && data.outScale.given() ? data.outScale.get(0) : 1;
  int64_t qqStride = data.qqBias.given() ? data.qqBias.shape[0] : 0;

  std::vector<double> scores, weights;
  for (int64_t s = 0; s < p.numSeqs; ++s) {
    int64_t qLen = p.queryLen(s), seqLen = p.seqLen(s);
    int64_t ctx = seqLen - qLen; // position of the first query token
    for (int64_t h = 0; h < p.heads; ++h) {
      int64_t kvh = h / group;
      double slope = 0;
      if (spec.alibi != "0")
        slope = data.alibiSlopes.get(h);
      for (int64_t t = 0; t < qLen; ++t) {
        int64_t token = p.cuQ(s) + t;
        int64_t i = ctx + t;
        const double *qrow = &p.q[(token * p.heads + h) * p.dqk];
        scores.assign(static_cast<size_t>(seqLen), 0.0);
        std::vector<char> kept(static_cast<size_t>(seqLen), 0);
        double m = -std::numeric_limits<double>::infinity();
        for (int64_t j = 0; j < seqLen; ++j) {
          if (!keepImpl(spec, data, s, i, j))
            continue;
          const double *krow = &p.k[(p.keyRow(s, j) * p.kvHeads + kvh) * p.dqk];
          double dot = 0;
          for (int64_t c = 0; c < p.dqk; ++c)
            dot += qrow[c] * krow[c];
          double x = scale * dot;
          if (spec.softcap > 0)
            x = spec.softcap * std::tanh(x / spec.softcap);
          if (spec.alibi == "1")
            x += slope * static_cast<double>(j - i);
          else if (spec.alibi == "sqrt")
            x += slope *
                 -std::sqrt(static_cast<double>(std::max<int64_t>(i - j, 0)));
          if (spec.qqBias) {
            int64_t b = j - ctx;
            if (b >= 0 && b < qLen)
              x += data.qqBias.get(t * qqStride + b);
          }
          scores[j] = x;
          kept[j] = 1;
          m = std::max(m, x);
        }
        double sink = -std::numeric_limits<double>::infinity();
        if (spec.sinks) {
          sink = data.sinks.get(h);
          m = std::max(m, sink);
        }
        double *orow = &result.out[(token * p.heads + h) * p.dv];
        if (std::isinf(m)) // no kept key and no sink: zeros, lse = -inf
          continue;
        double den = spec.sinks ? std::exp(sink - m) : 0.0;
        std::vector<double> acc(static_cast<size_t>(p.dv), 0.0);
        for (int64_t j = 0; j < seqLen; ++j) {
          if (!kept[j])
            continue;
          double w = std::exp(scores[j] - m);
          den += w;
          const double *vrow = &p.v[(p.keyRow(s, j) * p.kvHeads + kvh) * p.dv];
          for (int64_t c = 0; c < p.dv; ++c)
            acc[c] += w * vrow[c];
        }
        for (int64_t c = 0; c < p.dv; ++c) {
          double o = den > 0 ? acc[c] / den : 0.0;
          if (fp8Out)
            o = std::min(std::max(o / outScale, -448.0), 448.0);
          orow[c] = o;
        }
        result.lse[token * p.heads + h] = m + std::log(den);
      }
    }
  }
  return result;
}

//===----------------------------------------------------------------------===//
// Reference cache write
//===----------------------------------------------------------------------===//

void referenceCacheWrite(const VariantSpec &spec, CacheWriteData &data) {
  int64_t kvHeads = spec.kvHeads;
  int64_t dk = spec.headSize, dv = spec.effectiveHeadSizeV();
  int64_t pad = kvRowPad(spec);
  int64_t elemSize = static_cast<int64_t>(rt::dtypeSize(kvStorageOf(spec)));
  int64_t numTokens = data.slotMapping.numElements();
  int64_t numSlots =
      data.kCache.given() ? data.kCache.shape[0] * data.kCache.shape[1] : 0;
  float ks = data.kScale.given() ? static_cast<float>(data.kScale.get(0)) : 1;
  float vs = data.vScale.given() ? static_cast<float>(data.vScale.get(0)) : 1;
  std::vector<float> row;
  for (int64_t t = 0; t < numTokens; ++t) {
    int64_t slot = data.slotMapping.as<int64_t>()[t];
    if (slot < 0 || slot >= numSlots)
      continue;
    for (int64_t h = 0; h < kvHeads; ++h) {
      struct Side {
        const HostTensor *src;
        HostTensor *cache;
        int64_t d;
        float scale;
      };
      for (Side side : {Side{&data.key, &data.kCache, dk, ks},
                        Side{&data.value, &data.vCache, dv, vs}}) {
        row.resize(static_cast<size_t>(side.d));
        for (int64_t c = 0; c < side.d; ++c)
          row[c] =
              static_cast<float>(side.src->get((t * kvHeads + h) * side.d + c));
        int64_t rowBytes = (side.d + pad) * elemSize;
        uint8_t *dst =
            side.cache->bytes.data() + (slot * kvHeads + h) * rowBytes;
        quantizeRow(spec, row.data(), side.d, side.scale, dst);
      }
    }
  }
}

//===----------------------------------------------------------------------===//
// Comparison
//===----------------------------------------------------------------------===//

Comparison compare(const std::vector<double> &got,
                   const std::vector<double> &ref) {
  Comparison c;
  if (got.size() != ref.size()) {
    c.sizeMismatch = true;
    return c;
  }
  c.count = static_cast<int64_t>(got.size());
  for (size_t i = 0; i < got.size(); ++i) {
    double a = got[i], b = ref[i];
    if (std::isfinite(b))
      c.maxAbsRef = std::max(c.maxAbsRef, std::fabs(b));
    double err;
    if (std::isnan(a) || std::isnan(b)) {
      err = std::numeric_limits<double>::infinity();
    } else if (std::isinf(a) || std::isinf(b)) {
      err = a == b ? 0.0 : std::numeric_limits<double>::infinity();
    } else {
      err = std::fabs(a - b);
    }
    if (std::isinf(err)) {
      if (c.numBad == 0) {
        c.worstIndex = static_cast<int64_t>(i);
        c.worstGot = a;
        c.worstRef = b;
      }
      ++c.numBad;
      continue;
    }
    if (c.numBad == 0 && (c.worstIndex < 0 || err > c.maxAbsErr)) {
      c.worstIndex = static_cast<int64_t>(i);
      c.worstGot = a;
      c.worstRef = b;
    }
    c.maxAbsErr = std::max(c.maxAbsErr, err);
  }
  c.relErr = c.maxAbsRef > 0 ? c.maxAbsErr / c.maxAbsRef : c.maxAbsErr;
  return c;
}

std::string Comparison::str() const {
  std::ostringstream os;
  if (sizeMismatch)
    return "size mismatch";
  os.precision(4);
  os << "max_abs_err=" << maxAbsErr << " max|ref|=" << maxAbsRef
     << " rel_err=" << relErr << " bad(NaN/inf)=" << numBad << " of " << count;
  if (worstIndex >= 0)
    os << " worst[" << worstIndex << "]: got " << worstGot << " ref "
       << worstRef;
  return os.str();
}

namespace {
/// Ordered integer of a float bit pattern of `bits` bits (sign-magnitude),
/// so that neighbours differ by one.
int64_t orderedBits(uint64_t pattern, int bits) {
  uint64_t signBit = uint64_t(1) << (bits - 1);
  int64_t mag = static_cast<int64_t>(pattern & (signBit - 1));
  return pattern & signBit ? -mag : mag;
}
} // namespace

CacheComparison compareCache(const VariantSpec &spec, const HostTensor &got,
                             const HostTensor &refT, int64_t d) {
  CacheComparison c;
  KvQuant quant = kvQuantOf(spec);
  DType storage = kvStorageOf(spec);
  int64_t pad = kvRowPad(spec);
  int64_t elemSize = static_cast<int64_t>(rt::dtypeSize(storage));
  int64_t rowBytes = (d + pad) * elemSize;
  int64_t rows = static_cast<int64_t>(refT.bytes.size()) / rowBytes;
  if (got.bytes.size() != refT.bytes.size()) {
    c.badRows = 1;
    c.firstBadRow = 0;
    return c;
  }
  bool pth =
      quant == KvQuant::PerTokenHeadInt8 || quant == KvQuant::PerTokenHeadFp8;
  for (int64_t r = 0; r < rows; ++r) {
    const uint8_t *a = got.bytes.data() + r * rowBytes;
    const uint8_t *b = refT.bytes.data() + r * rowBytes;
    bool bad = false;
    double sa = 1, sb = 1;
    if (pth) {
      float fa, fb;
      std::memcpy(&fa, a + d, 4);
      std::memcpy(&fb, b + d, 4);
      sa = fa;
      sb = fb;
      bool bothNaN = std::isnan(fa) && std::isnan(fb);
      if (!bothNaN && std::memcmp(a + d, b + d, 4) != 0 &&
          !(std::fabs(sa - sb) <= 1e-6 * std::fabs(sb)))
        bad = true;
    }
    for (int64_t e = 0; e < d; ++e) {
      ++c.elements;
      uint64_t pa = 0, pb = 0;
      std::memcpy(&pa, a + e * elemSize, static_cast<size_t>(elemSize));
      std::memcpy(&pb, b + e * elemSize, static_cast<size_t>(elemSize));
      if (pa == pb)
        continue;
      ++c.inexactElements;
      int64_t dist;
      if (quant == KvQuant::PerTokenHeadInt8)
        dist = std::abs(static_cast<int64_t>(static_cast<int8_t>(pa)) -
                        static_cast<int64_t>(static_cast<int8_t>(pb)));
      else
        dist = std::abs(orderedBits(pa, static_cast<int>(elemSize * 8)) -
                        orderedBits(pb, static_cast<int>(elemSize * 8)));
      if (dist > 1)
        bad = true;
      // Decoded difference, for the message.
      HostTensor ta(pth ? (quant == KvQuant::PerTokenHeadInt8 ? DType::I8
                                                              : DType::Fp8E4M3)
                        : storage,
                    {1}),
          tb = ta;
      std::memcpy(ta.data(), &pa, static_cast<size_t>(elemSize));
      std::memcpy(tb.data(), &pb, static_cast<size_t>(elemSize));
      double va = ta.get(0) * sa, vb = tb.get(0) * sb;
      double err = std::isnan(va) || std::isnan(vb)
                       ? std::numeric_limits<double>::infinity()
                       : std::fabs(va - vb);
      c.maxAbsErr = std::max(c.maxAbsErr, err);
    }
    if (bad) {
      if (c.firstBadRow < 0)
        c.firstBadRow = r;
      ++c.badRows;
    }
  }
  return c;
}

std::string CacheComparison::str() const {
  std::ostringstream os;
  os << "bad rows=" << badRows << " (first " << firstBadRow
     << "), inexact elements=" << inexactElements << " of " << elements
     << ", max abs err=" << maxAbsErr;
  return os.str();
}

} // namespace ref
} // namespace attn
