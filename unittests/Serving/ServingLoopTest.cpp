//===- ServingLoopTest.cpp - A serving loop over the paged KV cache -------===//
//
// Part of the attn project, the end-to-end tests.
//
//===----------------------------------------------------------------------===//
//
// A decode loop of several sequences of different lengths that share a
// system prompt, driven through PagedKVCache with kernels compiled by the
// real pipeline for the host (compileSpecToHostBundle) and run on the CPU
// device: each step writes the new K/V through the compiled cache-write
// kernel and runs the compiled paged attention, for two layers.
//
// What a step is checked against is built independently of the cache: the
// K/V of the token at position p is a deterministic function of the tokens
// [0, p] (as in a real model, so that sharing a prefix is valid), and the
// reference (AttnReference, double precision) attends over a private,
// unshared cache filled from that function. So the comparison covers the
// cache-write kernel (quantization included), the slot mapping, the block
// tables, prefix sharing, copy-on-write after a fork and chunked prefill.
// The cache contents are compared row by row too.
//
// The scenario: a 37-token system prompt; sequence 0 is prefilled alone,
// sequences 1 and 2 find its first two blocks in the prefix cache and are
// prefilled in a batch mixed with sequence 0's first decode; decode steps
// follow; sequence 1 forks (parallel sampling) and both branches diverge;
// sequence 2 finishes and sequence 4 joins, reusing the prefix and
// prefilling in chunks of 8 tokens. Freeing everything returns the pool to
// full.
//
//===----------------------------------------------------------------------===//

#include "Reference/Inputs.h"
#include "Reference/Reference.h"

#include "attn/Runtime/KVCache.h"
#include "attn/Runtime/Runtime.h"
#include "attn/Spec/Spec.h"
#include "attn/Target/HostBundle.h"

#include "gtest/gtest.h"

#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <unistd.h>
#include <vector>

namespace attn {
namespace {

using rt::DType;
using rt::SeqId;
using rt::StepSequence;
using rt::TensorRef;

constexpr int64_t kLayers = 2;
constexpr int64_t kMaxTokens = 128;

std::string statusText(const rt::Status &s) { return s.toString(); }
template <typename T> std::string statusText(const rt::StatusOr<T> &s) {
  return s.status().toString();
}

#define ASSERT_RT_OK(expr)                                                     \
  do {                                                                         \
    const auto &s_ = (expr);                                                   \
    ASSERT_TRUE(s_.isOk()) << statusText(s_);                                  \
  } while (false)

uint64_t mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

/// A sequence as the model sees it.
struct ModelSeq {
  std::vector<int32_t> tokens;
  std::vector<uint64_t> prefix; // hash of tokens [0, p]
  int64_t computed = 0;

  void push(int32_t t) {
    uint64_t parent = prefix.empty() ? 0xfeedull : prefix.back();
    tokens.push_back(t);
    prefix.push_back(
        mix(parent + 0x9e3779b97f4a7c15ull * static_cast<uint64_t>(t + 1)));
  }
};

class ServingLoopTest : public ::testing::TestWithParam<const char *> {
public:
  void SetUp() override {
    std::string error;
    std::string attnSpec =
        std::string("name=attn,heads=4,kv_heads=2,head_size=64,dtype=bf16,"
                    "block_size=16,causal=1,kv_dtype=") +
        GetParam();
    auto parsed = parseSpec(attnSpec, error);
    ASSERT_TRUE(parsed) << error;
    spec = *parsed;
    std::string writeSpec = ref::cacheWriteSpecFor(spec, "write");

    char dirTemplate[] = "/tmp/attn-serving-XXXXXX";
    ASSERT_NE(mkdtemp(dirTemplate), nullptr);
    dir = dirTemplate;
    std::string attnSo = dir + "/attn.so", writeSo = dir + "/write.so";
    ASSERT_TRUE(mlir::attn::compileSpecToHostBundle(attnSpec, attnSo, error))
        << error;
    ASSERT_TRUE(mlir::attn::compileSpecToHostBundle(writeSpec, writeSo, error))
        << error;

    auto dev = rt::Device::open(rt::DeviceKind::CPU);
    ASSERT_RT_OK(dev);
    device = std::move(*dev);
    auto am = device->loadModule(attnSo);
    ASSERT_RT_OK(am);
    attnModule = std::move(*am);
    auto wm = device->loadModule(writeSo);
    ASSERT_RT_OK(wm);
    writeModule = std::move(*wm);
    auto ak =
        rt::AttentionKernel::create(*device, *attnModule, "attn", kMaxTokens);
    ASSERT_RT_OK(ak);
    attention = std::move(*ak);
    auto wk = rt::CacheWriteKernel::create(*device, *writeModule, "write");
    ASSERT_RT_OK(wk);
    write = std::move(*wk);

    rt::KVCacheConfig c;
    c.numLayers = kLayers;
    c.numBlocks = 48;
    c.blockSize = spec.blockSize;
    c.numKvHeads = spec.kvHeads;
    c.headSize = spec.headSize;
    c.dtype = DType::BF16;
    c.kvDType = *rt::parseKvDType(spec.kvDtype);
    c.maxNumSeqs = 8;
    c.maxNumBatchedTokens = kMaxTokens;
    c.maxBlocksPerSeq = 8;
    auto created = rt::PagedKVCache::create(*device, c);
    ASSERT_RT_OK(created);
    cache = std::move(*created);
    if (rt::needsPerTensorScale(c.kvDType)) {
      kScale = 0.5f;
      vScale = 0.25f;
      ASSERT_RT_OK(cache->setScales(-1, kScale, vScale));
    }

    size_t h = static_cast<size_t>(spec.heads), kvh = spec.kvHeads,
           d = spec.headSize;
    for (auto *buf : {&qBuf, &outBuf}) {
      auto b = device->allocate(kMaxTokens * h * d * 2);
      ASSERT_RT_OK(b);
      *buf = std::move(*b);
    }
    for (auto *buf : {&keyBuf, &valueBuf}) {
      auto b = device->allocate(kMaxTokens * kvh * d * 2);
      ASSERT_RT_OK(b);
      *buf = std::move(*b);
    }
  }

  void TearDown() override {
    cache.reset();
    attention.reset();
    write.reset();
    attnModule.reset();
    writeModule.reset();
    qBuf.reset();
    outBuf.reset();
    keyBuf.reset();
    valueBuf.reset();
    device.reset();
    if (!dir.empty())
      std::system(("rm -rf '" + dir + "'").c_str());
  }

  /// The model's K (which = 0) or V (1) row of a position, bf16 values.
  std::vector<float> kvRow(uint64_t prefixHash, int64_t layer, int which,
                           int64_t head) const {
    ref::Rng rng(prefixHash ^
                 mix(static_cast<uint64_t>(1 + layer * 16 + which * 4 + head)));
    std::vector<float> row(static_cast<size_t>(spec.headSize));
    for (float &x : row)
      x = static_cast<float>(ref::roundTo(DType::BF16, rng.normal()));
    return row;
  }

  float scaleOf(int which) const { return which == 0 ? kScale : vScale; }

  void addSequence(SeqId id, const std::vector<int32_t> &prompt,
                   int64_t expectCached) {
    ModelSeq s;
    for (int32_t t : prompt)
      s.push(t);
    auto added = cache->addSequence(id, prompt);
    ASSERT_TRUE(added.isOk()) << statusText(added);
    EXPECT_EQ(*added, expectCached) << "prefix-cache hit of sequence " << id;
    s.computed = *added;
    model[id] = s;
  }

  void appendToken(SeqId id, int32_t token) {
    ASSERT_RT_OK(cache->appendToken(id, token));
    model[id].push(token);
  }

  /// One step over `seqs` in every layer, checked against the reference.
  void runStep(const std::vector<StepSequence> &seqs) {
    auto prepared = cache->prepareStep(seqs);
    ASSERT_TRUE(prepared.isOk()) << statusText(prepared);
    const rt::StepMetadata &m = *prepared;
    ASSERT_LE(m.numTokens, kMaxTokens);
    int64_t n = m.numTokens, heads = spec.heads, kvh = spec.kvHeads,
            d = spec.headSize;
    totalCopies += m.numBlockCopies;

    // Query lengths as the model expects them.
    std::vector<int64_t> q(seqs.size()), ctx(seqs.size());
    int64_t expectTokens = 0;
    for (size_t i = 0; i < seqs.size(); ++i) {
      const ModelSeq &s = model[seqs[i].id];
      int64_t left = static_cast<int64_t>(s.tokens.size()) - s.computed;
      q[i] = seqs[i].maxNewTokens >= 0 ? std::min(left, seqs[i].maxNewTokens)
                                       : left;
      ctx[i] = s.computed;
      expectTokens += q[i];
    }
    ASSERT_EQ(n, expectTokens);

    for (int64_t layer = 0; layer < kLayers; ++layer) {
      // The step's inputs.
      ref::HostTensor qT(DType::BF16, {std::max<int64_t>(n, 1), heads, d});
      ref::HostTensor keyT(DType::BF16, {std::max<int64_t>(n, 1), kvh, d});
      ref::HostTensor valueT = keyT;
      int64_t row = 0;
      for (size_t i = 0; i < seqs.size(); ++i) {
        const ModelSeq &s = model[seqs[i].id];
        for (int64_t p = ctx[i]; p < ctx[i] + q[i]; ++p, ++row) {
          for (int64_t h = 0; h < kvh; ++h) {
            std::vector<float> k = kvRow(s.prefix[p], layer, 0, h);
            std::vector<float> v = kvRow(s.prefix[p], layer, 1, h);
            for (int64_t e = 0; e < d; ++e) {
              keyT.set((row * kvh + h) * d + e, k[e]);
              valueT.set((row * kvh + h) * d + e, v[e]);
            }
          }
          ref::Rng rng(s.prefix[p] ^ 0x51ull ^ static_cast<uint64_t>(layer));
          for (int64_t e = 0; e < heads * d; ++e)
            qT.set(row * heads * d + e, rng.normal());
        }
      }
      ASSERT_RT_OK(
          device->copyToDevice(qBuf.data(), qT.data(), qT.bytes.size()));
      ASSERT_RT_OK(
          device->copyToDevice(keyBuf.data(), keyT.data(), keyT.bytes.size()));
      ASSERT_RT_OK(device->copyToDevice(valueBuf.data(), valueT.data(),
                                        valueT.bytes.size()));
      TensorRef key = TensorRef::make(keyBuf.data(), DType::BF16, {n, kvh, d});
      TensorRef value =
          TensorRef::make(valueBuf.data(), DType::BF16, {n, kvh, d});
      TensorRef qRef = TensorRef::make(qBuf.data(), DType::BF16, {n, heads, d});
      TensorRef outRef =
          TensorRef::make(outBuf.data(), DType::BF16, {n, heads, d});

      // The compiled kernels through the cache.
      ASSERT_RT_OK(cache->writeKV(layer, *write, key, value));
      ASSERT_RT_OK(cache->runAttention(layer, *attention, qRef, outRef));

      // Reference: a private, unshared cache filled from the model.
      int64_t bs = spec.blockSize, pad = ref::kvRowPad(spec);
      int64_t maxBlocks = 1;
      for (size_t i = 0; i < seqs.size(); ++i)
        maxBlocks = std::max(maxBlocks, (ctx[i] + q[i] + bs - 1) / bs);
      int64_t numSeqs = static_cast<int64_t>(seqs.size());
      int64_t refBlocks = std::max<int64_t>(numSeqs * maxBlocks, 1);
      DType storage = ref::kvStorageOf(spec);
      ref::AttentionData data;
      data.q = qT;
      data.q.shape[0] = n;
      data.q.bytes.resize(static_cast<size_t>(n * heads * d * 2));
      data.k = ref::HostTensor(storage, {refBlocks, bs, kvh, d + pad});
      data.v = data.k;
      data.blockTable = ref::HostTensor(DType::I32, {numSeqs, maxBlocks});
      data.seqLens = ref::HostTensor(DType::I32, {numSeqs});
      data.cuSeqlensQ = ref::HostTensor(DType::I32, {numSeqs + 1});
      if (ref::kvQuantOf(spec) == ref::KvQuant::PerTensor) {
        data.kScale = ref::HostTensor(DType::F32, {1});
        data.vScale = ref::HostTensor(DType::F32, {1});
        data.kScale.set(0, kScale);
        data.vScale.set(0, vScale);
      }
      int64_t rowBytes =
          (d + pad) * static_cast<int64_t>(rt::dtypeSize(storage));
      int64_t cu = 0;
      data.cuSeqlensQ.set(0, 0);
      for (int64_t i = 0; i < numSeqs; ++i) {
        const ModelSeq &s = model[seqs[i].id];
        for (int64_t b = 0; b < maxBlocks; ++b)
          data.blockTable.set(i * maxBlocks + b, i * maxBlocks + b);
        for (int64_t p = 0; p < ctx[i] + q[i]; ++p)
          for (int64_t h = 0; h < kvh; ++h)
            for (int which = 0; which < 2; ++which) {
              int64_t slot = (i * maxBlocks + p / bs) * bs + p % bs;
              ref::HostTensor &t = which == 0 ? data.k : data.v;
              std::vector<float> x = kvRow(s.prefix[p], layer, which, h);
              ref::quantizeRow(spec, x.data(), d, scaleOf(which),
                               t.bytes.data() + (slot * kvh + h) * rowBytes);
            }
        cu += q[i];
        data.cuSeqlensQ.set(i + 1, static_cast<double>(cu));
        data.seqLens.set(i, static_cast<double>(ctx[i] + q[i]));
      }
      ref::AttentionResult expected = ref::referenceAttention(spec, data);
      ref::HostTensor got(DType::BF16, {std::max<int64_t>(n, 1), heads, d});
      ASSERT_RT_OK(device->copyToHost(got.data(), outBuf.data(),
                                      static_cast<size_t>(n * heads * d * 2)));
      std::vector<double> gotValues = ref::decode(got);
      gotValues.resize(static_cast<size_t>(n * heads * d));
      ref::Comparison cmp = ref::compare(gotValues, expected.out);
      EXPECT_TRUE(cmp.within(2e-2))
          << "step " << m.stepIndex << " layer " << layer << ": " << cmp.str();
      worstRelErr = std::max(worstRelErr, cmp.relErr);
    }

    for (size_t i = 0; i < seqs.size(); ++i)
      model[seqs[i].id].computed += q[i];
    checkCacheContents();
  }

  /// Every computed position of every live sequence holds its K/V.
  void checkCacheContents() {
    int64_t kvh = spec.kvHeads, d = spec.headSize, bs = spec.blockSize;
    int64_t pad = ref::kvRowPad(spec);
    DType storage = ref::kvStorageOf(spec);
    int64_t rowBytes = (d + pad) * static_cast<int64_t>(rt::dtypeSize(storage));
    for (int64_t layer = 0; layer < kLayers; ++layer)
      for (int which = 0; which < 2; ++which) {
        TensorRef t = which == 0 ? cache->kCache(layer) : cache->vCache(layer);
        ref::HostTensor got(storage,
                            {t.shape[0], t.shape[1], t.shape[2], t.shape[3]});
        ASSERT_RT_OK(device->copyToHost(got.data(), t.data, got.bytes.size()));
        ref::HostTensor want = got;
        for (const auto &entry : model) {
          const ModelSeq &s = entry.second;
          rt::SequenceView v = *cache->blockManager().sequence(entry.first);
          ASSERT_EQ(v.numComputed, s.computed);
          for (int64_t p = 0; p < s.computed; ++p) {
            int64_t slot = v.blocks[p / bs] * bs + p % bs;
            for (int64_t h = 0; h < kvh; ++h) {
              std::vector<float> x = kvRow(s.prefix[p], layer, which, h);
              ref::quantizeRow(spec, x.data(), d, scaleOf(which),
                               want.bytes.data() + (slot * kvh + h) * rowBytes);
            }
          }
        }
        ref::CacheComparison cmp = ref::compareCache(spec, got, want, d);
        ASSERT_TRUE(cmp.ok())
            << "layer " << layer << (which ? " V" : " K") << ": " << cmp.str();
      }
  }

  std::vector<StepSequence> running(int64_t chunk = -1) const {
    std::vector<StepSequence> seqs;
    for (const auto &entry : model) {
      const ModelSeq &s = entry.second;
      bool prefilling = s.computed + 1 < static_cast<int64_t>(s.tokens.size());
      seqs.push_back({entry.first, prefilling ? chunk : -1});
    }
    return seqs;
  }

  VariantSpec spec;
  std::string dir;
  std::unique_ptr<rt::Device> device;
  std::unique_ptr<rt::Module> attnModule, writeModule;
  std::unique_ptr<rt::AttentionKernel> attention;
  std::unique_ptr<rt::CacheWriteKernel> write;
  std::unique_ptr<rt::PagedKVCache> cache;
  rt::Buffer qBuf, outBuf, keyBuf, valueBuf;
  float kScale = 1.0f, vScale = 1.0f;
  std::map<SeqId, ModelSeq> model;
  int64_t totalCopies = 0;
  double worstRelErr = 0;
};

TEST_P(ServingLoopTest, DecodeLoopWithPrefixSharingForksAndChunkedPrefill) {
  ref::Rng rng(99);
  auto randomTokens = [&](int64_t n) {
    std::vector<int32_t> t;
    for (int64_t i = 0; i < n; ++i)
      t.push_back(static_cast<int32_t>(rng.range(0, 31999)));
    return t;
  };
  std::vector<int32_t> system = randomTokens(37);
  auto withSuffix = [&](int64_t n) {
    std::vector<int32_t> p = system, s = randomTokens(n);
    p.insert(p.end(), s.begin(), s.end());
    return p;
  };

  // Step 1: sequence 0 prefills alone (nothing cached yet).
  addSequence(0, withSuffix(3), 0);
  ASSERT_NO_FATAL_FAILURE(runStep(running()));
  // Step 2: two more prompts reuse the system prompt's two full blocks;
  // sequence 0 decodes in the same batch.
  addSequence(1, withSuffix(17), 32);
  addSequence(2, withSuffix(30), 32);
  appendToken(0, 7);
  ASSERT_NO_FATAL_FAILURE(runStep(running()));

  for (int step = 3; step <= 16; ++step) {
    if (step == 5) { // parallel sampling: a second branch of sequence 1
      ASSERT_RT_OK(cache->forkSequence(1, 3));
      model[3] = model[1];
    }
    if (step == 8) { // sequence 2 finishes, sequence 4 joins
      ASSERT_RT_OK(cache->freeSequence(2));
      model.erase(2);
      addSequence(4, withSuffix(20), 32);
    }
    for (auto &entry : model) {
      ModelSeq &s = entry.second;
      if (s.computed == static_cast<int64_t>(s.tokens.size()))
        appendToken(entry.first, static_cast<int32_t>(rng.range(0, 31999)));
    }
    ASSERT_NO_FATAL_FAILURE(runStep(running(/*chunk=*/8)));
  }
  EXPECT_GT(totalCopies, 0) << "the fork's copy-on-write never happened";
  EXPECT_EQ(model.size(), 4u);
  std::printf(
      "[ serving ] kv_dtype %s: 16 steps, %lld COW copies, worst "
      "rel err %.3g, %lld prefix-hit tokens\n",
      GetParam(), static_cast<long long>(totalCopies), worstRelErr,
      static_cast<long long>(cache->blockManager().stats().prefixHitTokens));

  for (SeqId id : {0, 1, 3, 4})
    ASSERT_RT_OK(cache->freeSequence(id));
  rt::BlockUsage u = cache->blockManager().usage();
  EXPECT_EQ(u.used, 0);
  EXPECT_EQ(u.available(), 48);
  ASSERT_RT_OK(cache->blockManager().checkInvariants());
}

INSTANTIATE_TEST_SUITE_P(KvDTypes, ServingLoopTest,
                         ::testing::Values("auto", "int8_per_token_head",
                                           "fp8_e4m3", "fp8_per_token_head"),
                         [](const ::testing::TestParamInfo<const char *> &i) {
                           return std::string(i.param);
                         });

} // namespace
} // namespace attn
