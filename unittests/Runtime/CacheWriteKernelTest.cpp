//===- CacheWriteKernelTest.cpp - Tests of cache-write launches -----------===//
//
// Part of the attn project, the runtime unit tests.
//
//===----------------------------------------------------------------------===//

#include "KernelTestFixture.h"

#include <functional>

using namespace attn::rt;
using attn::rt::test::badPrograms;

namespace {

class CacheWriteKernelTest : public test::KernelTest {
public:
  std::unique_ptr<CacheWriteKernel> writer(const char *name) {
    auto kernel = CacheWriteKernel::create(*device, *module, name);
    EXPECT_TRUE(kernel.isOk()) << kernel.status().toString();
    return kernel.isOk() ? std::move(*kernel) : nullptr;
  }

  /// "cache": f32, kv_heads 2, head_size 8, block_size 4; 4 tokens.
  CacheWriteArgs cacheArgs() {
    CacheWriteArgs a;
    a.key = TensorRef::make(q.data(), DType::F32, {4, 2, 8});
    a.value = TensorRef::make(out.data(), DType::F32, {4, 2, 8});
    a.kCache = TensorRef::make(kCache.data(), DType::F32, {kBlocks, 4, 2, 8});
    a.vCache = TensorRef::make(vCache.data(), DType::F32, {kBlocks, 4, 2, 8});
    a.slotMapping = TensorRef::make(slots.data(), DType::I64, {4});
    return a;
  }

  /// "cache_fp8": bf16 in, fp8_e5m2 cache, kv_heads 1.
  CacheWriteArgs fp8Args() {
    CacheWriteArgs a = cacheArgs();
    a.key = TensorRef::make(q.data(), DType::BF16, {4, 1, 8});
    a.value = TensorRef::make(out.data(), DType::BF16, {4, 1, 8});
    a.kCache =
        TensorRef::make(kCache.data(), DType::Fp8E5M2, {kBlocks, 4, 1, 8});
    a.vCache =
        TensorRef::make(vCache.data(), DType::Fp8E5M2, {kBlocks, 4, 1, 8});
    a.kScale = TensorRef::make(&scales[0], DType::F32, {1});
    a.vScale = TensorRef::make(&scales[1], DType::F32, {1});
    return a;
  }

  std::vector<int64_t> slots = {0, 5, -1, 39};
};

TEST_F(CacheWriteKernelTest, CreateErrors) {
  auto attentionKernel = CacheWriteKernel::create(*device, *module, "paged");
  ASSERT_FALSE(attentionKernel.isOk());
  EXPECT_NE(attentionKernel.status().message().find(
                "is an attention kernel, not a cache_write kernel"),
            std::string::npos);
  auto missing = CacheWriteKernel::create(*device, *module, "nope");
  ASSERT_FALSE(missing.isOk());
  EXPECT_EQ(missing.status().code(), StatusCode::NotFound);
}

TEST_F(CacheWriteKernelTest, LaunchesOneProgramPerTokenAndKvHead) {
  auto kernel = writer("cache");
  ASSERT_OK(kernel->run(cacheArgs()));
  const attn_test_record &r = record(ATTN_TEST_FN_WRITE);
  EXPECT_EQ(r.kernel, 4);
  EXPECT_EQ(badPrograms(r, 4 * 2), 0);
  EXPECT_EQ(r.ptrs[0], q.data());
  EXPECT_EQ(r.ptrs[1], out.data());
  EXPECT_EQ(r.ptrs[2], kCache.data());
  EXPECT_EQ(r.ptrs[3], vCache.data());
  EXPECT_EQ(r.ptrs[4], slots.data());
  EXPECT_EQ(r.ptrs[5], nullptr); // no scales for an f32 cache
  EXPECT_EQ(r.ptrs[6], nullptr);
  EXPECT_EQ(r.scalars[0], 4);  // num_tokens
  EXPECT_EQ(r.scalars[1], 40); // num_slots = num_blocks * block_size
}

TEST_F(CacheWriteKernelTest, PositionalRunAndPaddedKeys) {
  auto kernel = writer("cache");
  CacheWriteArgs a = cacheArgs();
  // Keys padded past num_tokens (as with CUDA-graph padding): allowed.
  a.key.shape[0] = 6;
  a.value.shape[0] = 6;
  ASSERT_OK(kernel->run(a.key, a.value, a.kCache, a.vCache, a.slotMapping));
  EXPECT_EQ(badPrograms(record(ATTN_TEST_FN_WRITE), 8), 0);
  EXPECT_EQ(record(ATTN_TEST_FN_WRITE).scalars[0], 4);
}

TEST_F(CacheWriteKernelTest, Fp8CachePassesScales) {
  auto kernel = writer("cache_fp8");
  ASSERT_OK(kernel->run(fp8Args()));
  const attn_test_record &r = record(ATTN_TEST_FN_WRITE);
  EXPECT_EQ(r.kernel, 5);
  EXPECT_EQ(badPrograms(r, 4), 0);
  EXPECT_EQ(r.ptrs[5], &scales[0]);
  EXPECT_EQ(r.ptrs[6], &scales[1]);
}

TEST_F(CacheWriteKernelTest, EmptyBatchLaunchesNothing) {
  auto kernel = writer("cache");
  CacheWriteArgs a = cacheArgs();
  a.slotMapping = TensorRef::make(nullptr, DType::I64, {0});
  ASSERT_OK(kernel->run(a));
  EXPECT_EQ(record(ATTN_TEST_FN_WRITE).ranges, 0);
}

TEST_F(CacheWriteKernelTest, RunAllocatesNothing) {
  if (!test::countsAllocations())
    GTEST_SKIP() << "operator new is not replaceable in this build";
  auto kernel = writer("cache");
  CacheWriteArgs a = cacheArgs();
  ASSERT_OK(kernel->run(a));
  uint64_t before = test::allocationCount();
  Status status = kernel->run(a);
  uint64_t allocations = test::allocationCount() - before;
  ASSERT_OK(status);
  EXPECT_EQ(allocations, 0u);
}

TEST_F(CacheWriteKernelTest, ValidationErrors) {
  struct Case {
    const char *what;
    std::function<void(CacheWriteArgs &)> change;
    const char *expected;
  };
  std::vector<int32_t> slots32 = {0, 1, 2, 3};
  std::vector<Case> cases = {
      {"slot dtype",
       [&](CacheWriteArgs &a) {
         a.slotMapping = TensorRef::make(slots32.data(), DType::I32, {4});
       },
       "kernel 'cache': slot_mapping has dtype i32; expected i64"},
      {"slot missing", [](CacheWriteArgs &a) { a.slotMapping = TensorRef(); },
       "slot_mapping is required"},
      {"slot out of range", [this](CacheWriteArgs &) { slots[3] = 40; },
       "slot_mapping[3] = 40 is outside the cache's slots [0, 40)"},
      {"slot below -1", [this](CacheWriteArgs &) { slots[0] = -2; },
       "slot_mapping[0] = -2"},
      {"too few keys", [](CacheWriteArgs &a) { a.key.shape[0] = 3; },
       "key has shape [3, 2, 8]; expected [>=num_tokens=4, 2, 8] (dim 0 is 3, "
       "expected at least num_tokens = 4)"},
      {"key heads", [](CacheWriteArgs &a) { a.key.shape[1] = 1; },
       "expected kv_heads = 2"},
      {"key dtype", [](CacheWriteArgs &a) { a.key.dtype = DType::F16; },
       "key has dtype f16; expected f32"},
      {"value head size", [](CacheWriteArgs &a) { a.value.shape[2] = 4; },
       "expected head_size_v = 8"},
      {"value missing", [](CacheWriteArgs &a) { a.value.data = nullptr; },
       "value is required"},
      {"k cache block size", [](CacheWriteArgs &a) { a.kCache.shape[1] = 8; },
       "expected block_size = 4"},
      {"v cache blocks", [](CacheWriteArgs &a) { a.vCache.shape[0] = 11; },
       "v_cache has shape [11, 4, 2, 8]; expected [num_blocks=10, 4, 2, 8]"},
      {"k cache missing", [](CacheWriteArgs &a) { a.kCache.data = nullptr; },
       "k_cache is required"},
  };
  auto kernel = writer("cache");
  for (const Case &c : cases) {
    test::resetTestRecords();
    slots = {0, 5, -1, 39};
    CacheWriteArgs args = cacheArgs();
    c.change(args);
    Status status = kernel->run(args);
    EXPECT_EQ(status.code(), StatusCode::InvalidArgument) << c.what;
    EXPECT_NE(status.message().find(c.expected), std::string::npos)
        << c.what << "\n  message:  " << status.message()
        << "\n  expected: " << c.expected;
    EXPECT_EQ(record(ATTN_TEST_FN_WRITE).ranges, 0) << c.what;
  }
}

TEST_F(CacheWriteKernelTest, Fp8NeedsScales) {
  auto kernel = writer("cache_fp8");
  CacheWriteArgs a = fp8Args();
  a.kScale = TensorRef();
  Status status = kernel->run(a);
  EXPECT_EQ(status.code(), StatusCode::InvalidArgument);
  EXPECT_NE(status.message().find(
                "kernel 'cache_fp8': k_scale is required (kv_dtype=fp8_e5m2)"),
            std::string::npos)
      << status.message();
  a = fp8Args();
  a.kCache.dtype = DType::U8;
  a.vCache.dtype = DType::U8;
  EXPECT_OK(kernel->run(a));
  a.kCache.dtype = DType::Fp8E4M3;
  status = kernel->run(a);
  EXPECT_NE(status.message().find(
                "k_cache has dtype fp8_e4m3; expected fp8_e5m2 or u8"),
            std::string::npos)
      << status.message();
}

} // namespace
