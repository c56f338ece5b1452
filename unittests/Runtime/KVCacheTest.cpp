//===- KVCacheTest.cpp - The paged KV cache -------------------------------===//
//
// Part of the attn project, the runtime unit tests.
//
//===----------------------------------------------------------------------===//
//
// PagedKVCache on the CPU device: layout and sizes, per-step metadata
// (block tables, seq_lens, cu_seqlens_q, slot mappings, chunked prefill,
// padding), copy-on-write copies in every layer, scales, every error, no
// allocation on the hot path, and the C API. Kernel launches go to the
// recording test bundle (TestKernels.c), which checks the plumbing; the
// numerics with kernels compiled by the real pipeline are in
// unittests/Serving.
//
//===----------------------------------------------------------------------===//

#include "TestUtil.h"

#include "attn-c/KVCache.h"
#include "attn/Runtime/KVCache.h"
#include "attn/Runtime/Module.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <vector>

namespace attn {
namespace rt {
namespace {

using test::allocationCount;
using test::countsAllocations;

std::vector<int32_t> iota(int64_t n, int32_t start = 0) {
  std::vector<int32_t> v(static_cast<size_t>(n));
  std::iota(v.begin(), v.end(), start);
  return v;
}

template <typename T> std::vector<T> read(const TensorRef &t) {
  const T *p = static_cast<const T *>(t.data);
  return std::vector<T>(p, p + t.numElements());
}

/// Matches the test bundle's "cache" and "paged" kernels: f32, kv_heads 2,
/// head_size 8, block_size 4.
KVCacheConfig smallConfig() {
  KVCacheConfig c;
  c.numLayers = 2;
  c.numBlocks = 16;
  c.blockSize = 4;
  c.numKvHeads = 2;
  c.headSize = 8;
  c.dtype = DType::F32;
  c.maxNumSeqs = 4;
  c.maxNumBatchedTokens = 32;
  c.maxBlocksPerSeq = 8;
  c.maxLiveSeqs = 8;
  return c;
}

class KVCacheTest : public ::testing::Test {
public:
  void SetUp() override {
    device = test::openCPU(2);
    ASSERT_NE(device, nullptr);
  }

  void make(const KVCacheConfig &c) {
    auto created = PagedKVCache::create(*device, c);
    ASSERT_OK(created);
    cache = std::move(*created);
  }

  void loadTestBundle() {
    auto loaded = device->loadModule(ATTN_TEST_KERNELS_PATH);
    ASSERT_OK(loaded);
    module = std::move(*loaded);
    test::resetTestRecords();
  }

  void TearDown() override {
    if (cache)
      EXPECT_OK(cache->blockManager().checkInvariants());
  }

  std::unique_ptr<Device> device;
  std::unique_ptr<Module> module;
  std::unique_ptr<PagedKVCache> cache;
};

TEST_F(KVCacheTest, CreateValidatesTheConfig) {
  KVCacheConfig c = smallConfig();
  c.numBlocks = 0;
  auto r = PagedKVCache::create(*device, c);
  EXPECT_EQ(r.status().code(), StatusCode::InvalidArgument);
  EXPECT_EQ(r.status().message(),
            "KV cache: num_blocks must be positive, got 0");
  c = smallConfig();
  c.dtype = DType::I8;
  EXPECT_EQ(PagedKVCache::create(*device, c).status().message(),
            "KV cache: dtype must be f32, f16 or bf16, got i8");
  c = smallConfig();
  c.numKvHeads = 0;
  EXPECT_EQ(PagedKVCache::create(*device, c).status().message(),
            "KV cache: num_kv_heads must be positive, got 0");
  c = smallConfig();
  c.numLayers = -1;
  EXPECT_EQ(PagedKVCache::create(*device, c).status().code(),
            StatusCode::InvalidArgument);
  c = smallConfig();
  c.kvDType = static_cast<KvDType>(42);
  EXPECT_EQ(PagedKVCache::create(*device, c).status().message(),
            "KV cache: invalid kv dtype code 42 (expected 0 .. 9)");
  c.kvDType = static_cast<KvDType>(kNumKvDTypes);
  EXPECT_EQ(PagedKVCache::create(*device, c).status().message(),
            "KV cache: invalid kv dtype code 10 (expected 0 .. 9)");
  c.kvDType = static_cast<KvDType>(-1);
  EXPECT_EQ(PagedKVCache::create(*device, c).status().code(),
            StatusCode::InvalidArgument);
  c = smallConfig();
  c.maxNumBatchedTokens = 0;
  EXPECT_EQ(PagedKVCache::create(*device, c).status().code(),
            StatusCode::InvalidArgument);
  c = smallConfig();
  c.numBlocks = int64_t(1) << 40;
  c.blockSize = 16;
  EXPECT_EQ(PagedKVCache::create(*device, c).status().code(),
            StatusCode::InvalidArgument);
}

TEST_F(KVCacheTest, LayoutOfAPerTokenHeadCache) {
  KVCacheConfig c = smallConfig();
  c.numBlocks = 10;
  c.headSizeV = 16;
  c.dtype = DType::F16;
  c.kvDType = KvDType::Int8PerTokenHead;
  make(c);
  TensorRef k = cache->kCache(0), v = cache->vCache(1);
  EXPECT_EQ(k.dtype, DType::I8);
  EXPECT_EQ(k.shapeString(), "[10, 4, 2, 12]");
  EXPECT_EQ(v.shapeString(), "[10, 4, 2, 20]");
  EXPECT_EQ(cache->storageDType(), DType::I8);
  EXPECT_EQ(cache->bytesPerSlot(), 2u * (12 + 20));
  EXPECT_GE(cache->bytesPerLayer(), 10u * 4 * 64);
  EXPECT_FALSE(cache->kScale(0).isGiven());
  EXPECT_FALSE(cache->kCache(2).isGiven());
  EXPECT_FALSE(cache->kCache(-1).isGiven());
  EXPECT_NE(cache->kCache(0).data, cache->kCache(1).data);
  // V follows K within a layer, 256-byte aligned.
  auto kAddr = reinterpret_cast<uintptr_t>(cache->kCache(1).data);
  auto vAddr = reinterpret_cast<uintptr_t>(cache->vCache(1).data);
  EXPECT_GE(vAddr - kAddr, 10u * 4 * 2 * 12);
  EXPECT_EQ((vAddr - kAddr) % 256, 0u);
  // The cache starts zeroed.
  auto bytes = read<int8_t>(cache->vCache(1));
  EXPECT_EQ(std::count(bytes.begin(), bytes.end(), 0),
            static_cast<long>(bytes.size()));
  KVCacheStats s = cache->stats();
  EXPECT_EQ(s.cacheBytes, 2 * cache->bytesPerLayer());
  EXPECT_GT(s.metadataBytes, 0u);
  EXPECT_EQ(s.blocks.free, 10);
  EXPECT_EQ(cache->config().headSizeV, 16);
  EXPECT_EQ(cache->config().maxLiveSeqs, 8);
}

TEST_F(KVCacheTest, SingleAllocationLaysLayersOutBackToBack) {
  KVCacheConfig c = smallConfig();
  c.numLayers = 3;
  c.singleAllocation = true;
  make(c);
  auto base0 = reinterpret_cast<uintptr_t>(cache->kCache(0).data);
  auto base2 = reinterpret_cast<uintptr_t>(cache->kCache(2).data);
  EXPECT_EQ(base2 - base0, 2 * cache->bytesPerLayer());
  EXPECT_EQ(cache->kCache(1).shapeString(), "[16, 4, 2, 8]");
}

TEST_F(KVCacheTest, PerTensorScales) {
  KVCacheConfig c = smallConfig();
  c.dtype = DType::BF16;
  c.kvDType = KvDType::Fp8E5M2;
  make(c);
  EXPECT_EQ(cache->kCache(0).dtype, DType::Fp8E5M2);
  ASSERT_TRUE(cache->kScale(1).isGiven());
  EXPECT_EQ(read<float>(cache->kScale(1)), std::vector<float>{1.0f});
  ASSERT_OK(cache->setScales(1, 0.5f, 0.25f));
  EXPECT_EQ(read<float>(cache->kScale(1)), std::vector<float>{0.5f});
  EXPECT_EQ(read<float>(cache->vScale(1)), std::vector<float>{0.25f});
  EXPECT_EQ(read<float>(cache->kScale(0)), std::vector<float>{1.0f});
  ASSERT_OK(cache->setScales(-1, 2.0f, 3.0f));
  EXPECT_EQ(read<float>(cache->vScale(0)), std::vector<float>{3.0f});
  EXPECT_EQ(cache->setScales(2, 1, 1).message(),
            "KV cache: layer 2 is out of range [0, 2)");
  EXPECT_EQ(cache->setScales(0, 0.0f, 1.0f).code(),
            StatusCode::InvalidArgument);
  EXPECT_EQ(cache->setScales(0, 1.0f, NAN).code(), StatusCode::InvalidArgument);

  make(smallConfig());
  Status s = cache->setScales(0, 1, 1);
  EXPECT_EQ(s.code(), StatusCode::FailedPrecondition);
  EXPECT_EQ(s.message(),
            "KV cache: per-tensor scales apply to "
            "fp8_e4m3/fp8_e5m2/fp8_e4m3fnuz/fp8_e5m2fnuz caches; this cache "
            "is auto");
}

// MI300's fp8 formats: one byte per element, per-tensor scales, stored
// as themselves.
TEST_F(KVCacheTest, FnuzCaches) {
  for (KvDType kv : {KvDType::Fp8E4M3Fnuz, KvDType::Fp8E5M2Fnuz}) {
    KVCacheConfig c = smallConfig();
    c.dtype = DType::BF16;
    c.kvDType = kv;
    make(c);
    DType storage =
        kv == KvDType::Fp8E4M3Fnuz ? DType::Fp8E4M3Fnuz : DType::Fp8E5M2Fnuz;
    EXPECT_EQ(cache->kCache(0).dtype, storage) << kvDTypeName(kv);
    EXPECT_EQ(cache->vCache(1).dtype, storage) << kvDTypeName(kv);
    EXPECT_EQ(cache->kCache(1).shapeString(), "[16, 4, 2, 8]");
    EXPECT_EQ(cache->kCache(0).numBytes(), 16 * 4 * 2 * 8);
    ASSERT_TRUE(cache->kScale(0).isGiven());
    ASSERT_OK(cache->setScales(-1, 0.5f, 0.125f));
    EXPECT_EQ(read<float>(cache->vScale(1)), std::vector<float>{0.125f});
    // The cache starts zeroed: +0 in the fnuz formats too (0x80 is NaN).
    auto bytes = read<uint8_t>(cache->kCache(0));
    EXPECT_EQ(std::count(bytes.begin(), bytes.end(), 0),
              static_cast<long>(bytes.size()));

    KernelInfo k;
    k.name = "k";
    k.kvHeads = 2;
    k.headSize = 8;
    k.headSizeV = 8;
    k.blockSize = 4;
    k.dtype = DType::BF16;
    k.kvDType = kv;
    EXPECT_OK(cache->checkKernel(k));
    // The OCP format of the same shape is another cache.
    k.kvDType =
        kv == KvDType::Fp8E4M3Fnuz ? KvDType::Fp8E4M3 : KvDType::Fp8E5M2;
    EXPECT_EQ(cache->checkKernel(k).message(),
              std::string("kernel 'k' does not match the KV cache: its "
                          "kv_dtype is ") +
                  kvDTypeName(k.kvDType) + ", the cache's is " +
                  kvDTypeName(kv));
  }
}

TEST_F(KVCacheTest, PrepareStepBuildsTheMetadata) {
  make(smallConfig());
  std::vector<int32_t> t = iota(8);
  ASSERT_OK(cache->addSequence(10, t.data(), 6));     // blocks 0, 1
  ASSERT_OK(cache->addSequence(11, t.data() + 1, 3)); // block 2 (no hit)
  ASSERT_OK(cache->addSequence(12, nullptr, 0));
  ASSERT_OK(cache->appendToken(12, 5)); // block 3
  EXPECT_EQ(cache->lastStep().stepIndex, 0);

  auto step = cache->prepareStep(std::vector<SeqId>{10, 11, 12});
  ASSERT_OK(step);
  EXPECT_EQ(step->stepIndex, 1);
  EXPECT_EQ(step->numSeqs, 3);
  EXPECT_EQ(step->numTokens, 10);
  EXPECT_EQ(step->numPaddedTokens, 10);
  EXPECT_EQ(step->maxSeqLen, 6);
  EXPECT_EQ(step->maxQueryLen, 6);
  EXPECT_EQ(step->totalSeqLen, 10);
  EXPECT_EQ(step->numBlockCopies, 0);
  EXPECT_EQ(step->cuSeqlensQ.shapeString(), "[4]");
  EXPECT_EQ(read<int32_t>(step->cuSeqlensQ),
            (std::vector<int32_t>{0, 6, 9, 10}));
  EXPECT_EQ(read<int32_t>(step->seqLens), (std::vector<int32_t>{6, 3, 1}));
  EXPECT_EQ(step->blockTable.shapeString(), "[3, 2]");
  EXPECT_EQ(read<int32_t>(step->blockTable),
            (std::vector<int32_t>{0, 1, 2, 0, 3, 0}));
  EXPECT_EQ(step->slotMapping.dtype, DType::I64);
  EXPECT_EQ(read<int64_t>(step->slotMapping),
            (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 8, 9, 10, 12}));
  EXPECT_EQ(cache->blockManager().sequence(10)->numComputed, 6);

  // A decode step: one new token each, in another order.
  ASSERT_OK(cache->appendToken(10, 7));
  ASSERT_OK(cache->appendToken(11, 7));
  step = cache->prepareStep(std::vector<SeqId>{11, 10});
  ASSERT_OK(step);
  EXPECT_EQ(step->stepIndex, 2);
  EXPECT_EQ(read<int32_t>(step->cuSeqlensQ), (std::vector<int32_t>{0, 1, 2}));
  EXPECT_EQ(read<int32_t>(step->seqLens), (std::vector<int32_t>{4, 7}));
  EXPECT_EQ(read<int32_t>(step->blockTable),
            (std::vector<int32_t>{2, 0, 0, 1}));
  EXPECT_EQ(read<int64_t>(step->slotMapping), (std::vector<int64_t>{11, 6}));
  EXPECT_EQ(step->maxSeqLen, 7);
  EXPECT_EQ(step->maxQueryLen, 1);
  EXPECT_EQ(step->totalSeqLen, 11);

  // A sequence with nothing new has query_len 0; an empty step is valid.
  step = cache->prepareStep(std::vector<SeqId>{12});
  ASSERT_OK(step);
  EXPECT_EQ(step->numTokens, 0);
  EXPECT_EQ(read<int32_t>(step->seqLens), std::vector<int32_t>{1});
  step = cache->prepareStep(std::vector<SeqId>{});
  ASSERT_OK(step);
  EXPECT_EQ(step->numSeqs, 0);
  EXPECT_EQ(step->blockTable.shapeString(), "[0, 1]");
}

TEST_F(KVCacheTest, ChunkedPrefillAndPadding) {
  make(smallConfig());
  std::vector<int32_t> t = iota(10);
  ASSERT_OK(cache->addSequence(1, t));
  StepSequence s{1, 4};
  auto step = cache->prepareStep(&s, 1, /*padTo=*/6);
  ASSERT_OK(step);
  EXPECT_EQ(step->numTokens, 4);
  EXPECT_EQ(step->numPaddedTokens, 6);
  EXPECT_EQ(read<int32_t>(step->seqLens), std::vector<int32_t>{4});
  EXPECT_EQ(read<int64_t>(step->slotMapping),
            (std::vector<int64_t>{0, 1, 2, 3, -1, -1}));
  step = cache->prepareStep(std::vector<StepSequence>{{1, 4}});
  ASSERT_OK(step);
  EXPECT_EQ(read<int32_t>(step->seqLens), std::vector<int32_t>{8});
  EXPECT_EQ(read<int64_t>(step->slotMapping),
            (std::vector<int64_t>{4, 5, 6, 7}));
  EXPECT_EQ(read<int32_t>(step->cuSeqlensQ), (std::vector<int32_t>{0, 4}));
  step = cache->prepareStep(std::vector<StepSequence>{{1, -1}});
  ASSERT_OK(step);
  EXPECT_EQ(read<int32_t>(step->seqLens), std::vector<int32_t>{10});
  EXPECT_EQ(read<int64_t>(step->slotMapping), (std::vector<int64_t>{8, 9}));
  EXPECT_EQ(cache->blockManager().sequence(1)->numComputed, 10);
}

TEST_F(KVCacheTest, PrepareStepErrorsChangeNothing) {
  make(smallConfig()); // 4 seqs, 32 tokens per step
  std::vector<int32_t> t = iota(40);
  ASSERT_OK(cache->addSequence(1, t.data(), 20));
  ASSERT_OK(cache->addSequence(2, t.data() + 20, 20));
  ASSERT_OK(cache->prepareStep(std::vector<StepSequence>{{1, 1}}));
  auto expectUnchanged = [&] {
    EXPECT_EQ(cache->lastStep().stepIndex, 1);
    EXPECT_EQ(cache->blockManager().sequence(1)->numComputed, 1);
    EXPECT_EQ(cache->blockManager().sequence(2)->numComputed, 0);
  };

  Status s = cache->prepareStep(std::vector<SeqId>{1, 7}).status();
  EXPECT_EQ(s.code(), StatusCode::NotFound);
  EXPECT_EQ(s.message(),
            "prepareStep: unknown sequence 7 (never added, or already freed)");
  expectUnchanged();
  s = cache->prepareStep(std::vector<SeqId>{1, 2, 1}).status();
  EXPECT_EQ(s.message(), "prepareStep: sequence 1 is listed twice");
  expectUnchanged();
  s = cache->prepareStep(std::vector<SeqId>{1, 2}).status();
  EXPECT_EQ(s.code(), StatusCode::InvalidArgument);
  EXPECT_EQ(s.message(), "prepareStep: 39 new tokens exceed "
                         "max_num_batched_tokens (32)");
  expectUnchanged();
  s = cache->prepareStep(std::vector<SeqId>{1, 2, 3, 4, 5}).status();
  EXPECT_EQ(s.message(), "prepareStep: 5 sequences exceed max_num_seqs (4)");
  s = cache->prepareStep(std::vector<StepSequence>{{1, 2}}, 1).status();
  EXPECT_EQ(s.message(),
            "prepareStep: padTo (1) is less than the step's 2 new tokens");
  s = cache->prepareStep(std::vector<StepSequence>{{1, 2}}, 33).status();
  EXPECT_EQ(s.message(),
            "prepareStep: padTo (33) exceeds max_num_batched_tokens (32)");
  s = cache->prepareStep(std::vector<StepSequence>{{1, -2}}).status();
  EXPECT_EQ(s.code(), StatusCode::InvalidArgument);
  s = cache->prepareStep(nullptr, 1).status();
  EXPECT_EQ(s.code(), StatusCode::InvalidArgument);
  expectUnchanged();
}

TEST_F(KVCacheTest, CopyOnWriteCopiesTheBlockInEveryLayer) {
  make(smallConfig());
  std::vector<int32_t> t = iota(6);
  ASSERT_OK(cache->addSequence(1, t));
  ASSERT_OK(cache->prepareStep(std::vector<SeqId>{1})); // blocks 0, 1
  // Stand-in for the step's cache writes: a distinct value per element.
  for (int64_t l = 0; l < 2; ++l)
    for (TensorRef ref : {cache->kCache(l), cache->vCache(l)}) {
      float *p = static_cast<float *>(ref.data);
      for (int64_t i = 0; i < ref.numElements(); ++i)
        p[i] = static_cast<float>(1000 * l + i) +
               (ref.data == cache->vCache(l).data ? 0.5f : 0.0f);
    }
  ASSERT_OK(cache->forkSequence(1, 2));
  ASSERT_OK(cache->appendToken(2, 42));
  ASSERT_EQ(cache->blockManager().pendingCopies().size(), 1u);
  auto step = cache->prepareStep(std::vector<SeqId>{2});
  ASSERT_OK(step);
  EXPECT_EQ(step->numBlockCopies, 1);
  EXPECT_TRUE(cache->blockManager().pendingCopies().empty());
  SequenceView child = *cache->blockManager().sequence(2);
  ASSERT_EQ(child.numBlocks, 2);
  int32_t dst = child.blocks[1];
  EXPECT_EQ(dst, 2);
  EXPECT_EQ(read<int64_t>(step->slotMapping), std::vector<int64_t>{2 * 4 + 2});
  const int64_t slot = 2 * 8; // floats per slot (2 kv heads x 8)
  const int64_t block = 4 * slot;
  for (int64_t l = 0; l < 2; ++l)
    for (TensorRef ref : {cache->kCache(l), cache->vCache(l)}) {
      const float *p = static_cast<const float *>(ref.data);
      for (int64_t i = 0; i < 2 * slot; ++i) // the 2 filled slots
        ASSERT_EQ(p[dst * block + i], p[1 * block + i]) << "layer " << l;
      // The rest of the destination block is not touched.
      EXPECT_NE(p[dst * block + 2 * slot], p[1 * block + 2 * slot]);
    }
}

TEST_F(KVCacheTest, HotPathDoesNotAllocate) {
  if (!countsAllocations())
    GTEST_SKIP() << "allocation counting is unavailable in this build";
  loadTestBundle();
  auto kernel = CacheWriteKernel::create(*device, *module, "cache");
  ASSERT_OK(kernel);
  make(smallConfig());
  std::vector<int32_t> t = iota(12);
  std::vector<float> key(32 * 2 * 8), value(32 * 2 * 8);
  TensorRef k = TensorRef::make(key.data(), DType::F32, {32, 2, 8});
  TensorRef v = TensorRef::make(value.data(), DType::F32, {32, 2, 8});
  ASSERT_OK(cache->addSequence(1, t));
  ASSERT_OK(cache->addSequence(2, t));
  std::vector<SeqId> ids = {1, 2};
  StepSequence seqs[2] = {{1, -1}, {2, -1}};
  uint64_t before = allocationCount();
  for (int step = 0; step < 4; ++step) {
    ASSERT_TRUE(cache->prepareStep(seqs, 2, step % 2 ? 24 : 0).isOk());
    ASSERT_TRUE(cache->writeKV(0, **kernel, k, v).isOk());
    ASSERT_TRUE(cache->writeKV(1, **kernel, k, v).isOk());
    ASSERT_TRUE(cache->appendToken(1, step).isOk());
    ASSERT_TRUE(cache->appendToken(2, step).isOk());
    ASSERT_TRUE(cache->prepareStep(ids).isOk());
    ASSERT_TRUE(cache->appendToken(1, step).isOk());
    ASSERT_TRUE(cache->appendToken(2, step).isOk());
  }
  EXPECT_EQ(allocationCount(), before);
}

TEST_F(KVCacheTest, WriteKVUsesTheStepsSlots) {
  loadTestBundle();
  auto kernel = CacheWriteKernel::create(*device, *module, "cache");
  ASSERT_OK(kernel);
  make(smallConfig());
  std::vector<float> key(8 * 2 * 8), value(8 * 2 * 8);
  TensorRef k = TensorRef::make(key.data(), DType::F32, {8, 2, 8});
  TensorRef v = TensorRef::make(value.data(), DType::F32, {8, 2, 8});

  Status early = cache->writeKV(0, **kernel, k, v);
  EXPECT_EQ(early.code(), StatusCode::FailedPrecondition);
  EXPECT_EQ(early.message(),
            "KV cache: writeKV needs a step: call prepareStep first");

  std::vector<int32_t> t = iota(5);
  ASSERT_OK(cache->addSequence(1, t));
  auto step = cache->prepareStep(std::vector<SeqId>{1}, 7);
  ASSERT_OK(step);
  ASSERT_OK(cache->writeKV(1, **kernel, k, v));
  const attn_test_record &r = test::testRecords()[ATTN_TEST_FN_WRITE];
  EXPECT_EQ(r.kernel, 4);
  EXPECT_EQ(r.ptrs[0], key.data());
  EXPECT_EQ(r.ptrs[2], cache->kCache(1).data);
  EXPECT_EQ(r.ptrs[3], cache->vCache(1).data);
  EXPECT_EQ(r.ptrs[4], step->slotMapping.data);
  EXPECT_EQ(r.scalars[0], 7);      // num_tokens: the padded count
  EXPECT_EQ(r.scalars[1], 16 * 4); // num_slots
  EXPECT_EQ(r.programs, 7 * 2);

  // Errors.
  EXPECT_EQ(cache->writeKV(2, **kernel, k, v).message(),
            "KV cache: layer 2 is out of range [0, 2)");
  auto fp8 = CacheWriteKernel::create(*device, *module, "cache_fp8");
  ASSERT_OK(fp8);
  Status mismatch = cache->writeKV(0, **fp8, k, v);
  EXPECT_EQ(mismatch.code(), StatusCode::InvalidArgument);
  EXPECT_EQ(mismatch.message(), "kernel 'cache_fp8' does not match the KV "
                                "cache: its kv_heads is 1, the cache's is 2");
  TensorRef shortKey = TensorRef::make(key.data(), DType::F32, {6, 2, 8});
  EXPECT_EQ(cache->writeKV(0, **kernel, shortKey, v).message(),
            "KV cache: key has shape [6, 2, 8]; expected [>= 7 (tokens of "
            "the step), 2, 8]");
  TensorRef f16Value = TensorRef::make(value.data(), DType::F16, {8, 2, 8});
  EXPECT_EQ(cache->writeKV(0, **kernel, k, f16Value).message(),
            "KV cache: value has dtype f16; the cache's dtype is f32");
}

TEST_F(KVCacheTest, WriteKVWithAnExplicitSlotMapping) {
  loadTestBundle();
  auto kernel = CacheWriteKernel::create(*device, *module, "cache");
  ASSERT_OK(kernel);
  make(smallConfig());
  std::vector<float> key(4 * 2 * 8), value(4 * 2 * 8);
  TensorRef k = TensorRef::make(key.data(), DType::F32, {4, 2, 8});
  TensorRef v = TensorRef::make(value.data(), DType::F32, {4, 2, 8});
  std::vector<int32_t> t = iota(6);
  ASSERT_OK(cache->addSequence(1, t)); // blocks 0, 1
  ASSERT_OK(cache->prepareStep(std::vector<SeqId>{1}));
  std::vector<int64_t> slots = {4, -1, 6, 7};
  TensorRef sm = TensorRef::make(slots.data(), DType::I64, {4});
  ASSERT_OK(cache->writeKV(0, **kernel, k, v, sm));

  slots = {4, 64, 6, 7};
  EXPECT_EQ(cache->writeKV(0, **kernel, k, v, sm).message(),
            "KV cache: slot_mapping[1] = 64 is outside the cache's slots [0, "
            "64) (-1 skips a token)");
  slots = {4, -2, 6, 7};
  EXPECT_EQ(cache->writeKV(0, **kernel, k, v, sm).code(),
            StatusCode::InvalidArgument);
  slots = {4, 5, 6, 8};
  EXPECT_EQ(cache->writeKV(0, **kernel, k, v, sm).message(),
            "KV cache: slot_mapping[3] = 8 is in block 2, which no sequence "
            "holds");
  ASSERT_OK(cache->forkSequence(1, 2));
  slots = {4, 5, 6, 7};
  EXPECT_EQ(cache->writeKV(0, **kernel, k, v, sm).message(),
            "KV cache: slot_mapping[0] = 4 is in block 1, shared by 2 "
            "sequences: writing it would change their K/V too");
  std::vector<int32_t> wrongType = {4, 5, 6, 7};
  TensorRef bad = TensorRef::make(wrongType.data(), DType::I32, {4});
  EXPECT_EQ(cache->writeKV(0, **kernel, k, v, bad).message(),
            "KV cache: slot_mapping must be a 1-D i64 tensor, got i32 [4]");
}

TEST_F(KVCacheTest, AttentionReadsTheStep) {
  loadTestBundle();
  auto kernel = AttentionKernel::create(*device, *module, "paged", 0);
  ASSERT_OK(kernel);
  make(smallConfig());
  std::vector<float> q(5 * 4 * 8), out(5 * 4 * 8);
  TensorRef qr = TensorRef::make(q.data(), DType::F32, {5, 4, 8});
  TensorRef outr = TensorRef::make(out.data(), DType::F32, {5, 4, 8});
  EXPECT_EQ(cache->runAttention(0, **kernel, qr, outr).code(),
            StatusCode::FailedPrecondition);
  std::vector<int32_t> t = iota(5);
  ASSERT_OK(cache->addSequence(1, t.data(), 3));
  ASSERT_OK(cache->addSequence(2, t.data(), 2));
  auto step = cache->prepareStep(std::vector<SeqId>{1, 2});
  ASSERT_OK(step);
  AttentionArgs args;
  ASSERT_OK(cache->bindAttention(1, args));
  EXPECT_EQ(args.kCache.data, cache->kCache(1).data);
  EXPECT_EQ(args.blockTable.data, step->blockTable.data);
  EXPECT_EQ(args.numSeqs, 2);
  EXPECT_EQ(args.maxSeqLen, 3);
  EXPECT_EQ(args.totalSeqLen, 5);
  EXPECT_FALSE(args.kScale.isGiven());
  ASSERT_OK(cache->runAttention(1, **kernel, qr, outr));
  const attn_test_record &r = test::testRecords()[ATTN_TEST_FN_2D];
  EXPECT_EQ(r.ptrs[ATTN_TEST_K], cache->kCache(1).data);
  EXPECT_EQ(r.ptrs[ATTN_TEST_SEQ_LENS], step->seqLens.data);
  EXPECT_EQ(r.ptrs[ATTN_TEST_CU_SEQLENS_Q], step->cuSeqlensQ.data);
  EXPECT_EQ(r.scalars[0], 2); // num_seqs

  auto pth = AttentionKernel::create(*device, *module, "pth", 0);
  ASSERT_OK(pth);
  EXPECT_EQ(cache->runAttention(0, **pth, qr, outr).message(),
            "kernel 'pth' does not match the KV cache: its head_size_v is "
            "16, the cache's is 8");
  auto varlen = AttentionKernel::create(*device, *module, "varlen", 0);
  ASSERT_OK(varlen);
  EXPECT_EQ(cache->runAttention(0, **varlen, qr, outr).message(),
            "kernel 'varlen' reads varlen K/V, not a paged cache");
}

TEST_F(KVCacheTest, CheckKernelComparesEveryField) {
  make(smallConfig());
  KernelInfo k;
  k.name = "k";
  k.kvHeads = 2;
  k.headSize = 8;
  k.headSizeV = 8;
  k.blockSize = 4;
  k.dtype = DType::F32;
  k.kvDType = KvDType::F32; // same as auto for an f32 model
  EXPECT_OK(cache->checkKernel(k));
  k.blockSize = 16;
  EXPECT_EQ(cache->checkKernel(k).message(),
            "kernel 'k' does not match the KV cache: its block_size is 16, "
            "the cache's is 4");
  k.blockSize = 4;
  k.dtype = DType::BF16;
  k.kvDType = KvDType::Auto;
  EXPECT_EQ(cache->checkKernel(k).message(),
            "kernel 'k' does not match the KV cache: its dtype is bf16, the "
            "cache's is f32");
  k.dtype = DType::F32;
  k.kvDType = KvDType::Int8PerTokenHead;
  EXPECT_EQ(cache->checkKernel(k).message(),
            "kernel 'k' does not match the KV cache: its kv_dtype is "
            "int8_per_token_head, the cache's is auto");
  k.kvDType = KvDType::Auto;
  k.headSize = 16;
  EXPECT_EQ(cache->checkKernel(k).code(), StatusCode::InvalidArgument);
}

TEST_F(KVCacheTest, CAPI) {
  attn_device_t dev = nullptr;
  ASSERT_EQ(attn_device_open(ATTN_DEVICE_CPU, 0, &dev), ATTN_OK);
  attn_kv_cache_config_t c;
  attn_kv_cache_config_init(&c);
  EXPECT_EQ(c.block_size, 16);
  EXPECT_EQ(c.enable_prefix_caching, 1);
  attn_kv_cache_t kv = nullptr;
  EXPECT_EQ(attn_kv_cache_create(dev, &c, &kv), ATTN_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(attn_last_error(), "KV cache: num_kv_heads must be positive, "
                                  "got 0");
  EXPECT_EQ(kv, nullptr);
  c.num_layers = 2;
  c.num_blocks = 8;
  c.block_size = 4;
  c.num_kv_heads = 2;
  c.head_size = 8;
  c.dtype = ATTN_DTYPE_F16;
  c.kv_dtype = ATTN_KV_DTYPE_FP8_PER_TOKEN_HEAD;
  c.max_num_seqs = 4;
  c.max_num_batched_tokens = 64;
  ASSERT_EQ(attn_kv_cache_create(dev, &c, &kv), ATTN_OK);
  attn_device_close(dev); // the cache keeps its device alive

  int32_t tokens[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  int64_t cached = -1;
  ASSERT_EQ(attn_kv_cache_add_sequence(kv, 5, tokens, 9, &cached), ATTN_OK);
  EXPECT_EQ(cached, 0);
  EXPECT_STREQ(attn_last_error(), "");
  ASSERT_EQ(attn_kv_cache_append_tokens(kv, 5, tokens + 9, 1), ATTN_OK);
  int64_t ids[1] = {5}, caps[1] = {6};
  attn_kv_step_t step;
  ASSERT_EQ(attn_kv_cache_prepare_step(kv, ids, caps, 1, 8, &step), ATTN_OK);
  EXPECT_EQ(step.num_tokens, 6);
  EXPECT_EQ(step.num_padded_tokens, 8);
  EXPECT_EQ(step.slot_mapping.dtype, ATTN_DTYPE_I64);
  EXPECT_EQ(step.slot_mapping.shape[0], 8);
  EXPECT_EQ(static_cast<int64_t *>(step.slot_mapping.data)[7], -1);
  EXPECT_EQ(step.block_table.rank, 2);
  EXPECT_EQ(step.block_table.shape[1], 3);
  EXPECT_EQ(step.step_index, 1);
  EXPECT_EQ(step.total_seq_len, 6); // the first 6 of its 10 tokens
  ASSERT_EQ(attn_kv_cache_prepare_step(kv, ids, nullptr, 1, 0, &step), ATTN_OK);
  EXPECT_EQ(step.num_tokens, 4);
  EXPECT_EQ(static_cast<int32_t *>(step.seq_lens.data)[0], 10);

  int64_t n = 0, computed = 0, blocks = 0;
  ASSERT_EQ(attn_kv_cache_sequence_info(kv, 5, &n, &computed, &blocks),
            ATTN_OK);
  EXPECT_EQ(n, 10);
  EXPECT_EQ(computed, 10);
  EXPECT_EQ(blocks, 3);
  ASSERT_EQ(attn_kv_cache_fork_sequence(kv, 5, 6), ATTN_OK);

  attn_tensor_t k, v, ks;
  ASSERT_EQ(attn_kv_cache_layer(kv, 1, &k, &v, &ks, nullptr), ATTN_OK);
  EXPECT_EQ(k.dtype, ATTN_DTYPE_I8);
  EXPECT_EQ(k.shape[3], 12);
  EXPECT_EQ(ks.data, nullptr);
  EXPECT_EQ(attn_kv_cache_layer(kv, 2, &k, &v, nullptr, nullptr),
            ATTN_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(attn_kv_cache_set_scales(kv, 0, 1, 1),
            ATTN_ERROR_FAILED_PRECONDITION);
  {
    // An fnuz cache through the C API: its tensors carry the appended
    // dtype code; an out-of-range kv_dtype code is an error.
    attn_device_t dev2 = nullptr;
    ASSERT_EQ(attn_device_open(ATTN_DEVICE_CPU, 0, &dev2), ATTN_OK);
    attn_kv_cache_config_t fc = c;
    fc.kv_dtype = ATTN_KV_DTYPE_FP8_E4M3FNUZ;
    attn_kv_cache_t fkv = nullptr;
    ASSERT_EQ(attn_kv_cache_create(dev2, &fc, &fkv), ATTN_OK);
    attn_tensor_t fk, fv, fks, fvs;
    ASSERT_EQ(attn_kv_cache_layer(fkv, 0, &fk, &fv, &fks, &fvs), ATTN_OK);
    EXPECT_EQ(fk.dtype, ATTN_DTYPE_FP8_E4M3FNUZ);
    EXPECT_EQ(fv.dtype, ATTN_DTYPE_FP8_E4M3FNUZ);
    EXPECT_EQ(fk.shape[3], 8);
    EXPECT_NE(fks.data, nullptr);
    EXPECT_EQ(attn_kv_cache_set_scales(fkv, -1, 0.5f, 0.5f), ATTN_OK);
    attn_kv_cache_destroy(fkv);
    fc.kv_dtype = ATTN_KV_DTYPE_FP8_E5M2FNUZ;
    ASSERT_EQ(attn_kv_cache_create(dev2, &fc, &fkv), ATTN_OK);
    ASSERT_EQ(attn_kv_cache_layer(fkv, 1, &fk, &fv, nullptr, nullptr), ATTN_OK);
    EXPECT_EQ(fv.dtype, ATTN_DTYPE_FP8_E5M2FNUZ);
    attn_kv_cache_destroy(fkv);
    fc.kv_dtype = ATTN_KV_DTYPE_FP8_E5M2FNUZ + 1;
    fkv = nullptr;
    EXPECT_EQ(attn_kv_cache_create(dev2, &fc, &fkv),
              ATTN_ERROR_INVALID_ARGUMENT);
    EXPECT_STREQ(attn_last_error(),
                 "KV cache: invalid kv dtype code 10 (expected 0 .. 9)");
    EXPECT_EQ(fkv, nullptr);
    attn_device_close(dev2);
  }

  attn_kv_cache_usage_t u;
  ASSERT_EQ(attn_kv_cache_get_usage(kv, &u), ATTN_OK);
  EXPECT_EQ(u.total_blocks, 8);
  EXPECT_EQ(u.used_blocks, 3);
  EXPECT_EQ(u.num_sequences, 2);
  EXPECT_EQ(u.blocks_registered, 2);
  EXPECT_GT(u.cache_bytes, 0);

  EXPECT_EQ(attn_kv_cache_append_tokens(kv, 99, tokens, 1),
            ATTN_ERROR_NOT_FOUND);
  EXPECT_STREQ(attn_last_error(),
               "unknown sequence 99 (never added, or already freed)");
  EXPECT_EQ(attn_kv_cache_append_tokens(kv, 5, tokens, 100),
            ATTN_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(attn_kv_cache_prepare_step(kv, ids, nullptr, 5, 0, &step),
            ATTN_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(attn_kv_cache_prepare_step(nullptr, ids, nullptr, 1, 0, &step),
            ATTN_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(attn_last_error(), "cache is NULL");
  EXPECT_EQ(attn_kv_cache_write(kv, 0, nullptr, &k, &v, nullptr),
            ATTN_ERROR_INVALID_ARGUMENT);

  ASSERT_EQ(attn_kv_cache_free_sequence(kv, 5), ATTN_OK);
  ASSERT_EQ(attn_kv_cache_free_sequence(kv, 6), ATTN_OK);
  EXPECT_EQ(attn_kv_cache_free_sequence(kv, 6), ATTN_ERROR_NOT_FOUND);
  ASSERT_EQ(attn_kv_cache_get_usage(kv, &u), ATTN_OK);
  EXPECT_EQ(u.used_blocks, 0);
  EXPECT_EQ(u.cached_blocks, 2);
  ASSERT_EQ(attn_kv_cache_reset_prefix_cache(kv), ATTN_OK);
  ASSERT_EQ(attn_kv_cache_get_usage(kv, &u), ATTN_OK);
  EXPECT_EQ(u.free_blocks, 8);
  attn_kv_cache_destroy(kv);
  attn_kv_cache_destroy(nullptr);
}

} // namespace
} // namespace rt
} // namespace attn
