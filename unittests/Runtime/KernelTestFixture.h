//===- KernelTestFixture.h - Batches for kernel object tests ----*- C++ -*-===//
//
// Part of the attn project, the runtime unit tests.
//
//===----------------------------------------------------------------------===//
//
// Host buffers and valid arguments for each kernel of the test bundle
// (TestKernels.c). The CPU device reads host memory, so plain vectors serve
// as device tensors. Values are placeholders: the test kernels only record.
//
// The batch: 3 sequences with query lengths 1, 4, 3 (8 tokens), seq_lens 5,
// 4, 12, a block table of 3 blocks per sequence over a cache of 10 blocks.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_UNITTESTS_RUNTIME_KERNELTESTFIXTURE_H
#define ATTN_UNITTESTS_RUNTIME_KERNELTESTFIXTURE_H

#include "TestUtil.h"

#include "attn/Runtime/AttentionKernel.h"
#include "attn/Runtime/CacheWriteKernel.h"
#include "attn/Runtime/Module.h"

#include <vector>

namespace attn {
namespace rt {
namespace test {

class KernelTest : public ::testing::Test {
public:
  static constexpr int64_t kTokens = 8;
  static constexpr int64_t kSeqs = 3;
  static constexpr int64_t kBlocks = 10;

  void SetUp() override {
    device = openCPU(4);
    ASSERT_NE(device, nullptr);
    auto loaded = device->loadModule(ATTN_TEST_KERNELS_PATH);
    ASSERT_TRUE(loaded.isOk()) << loaded.status().toString();
    module = std::move(*loaded);
    records = testRecords();
    ASSERT_NE(records, nullptr);
    resetTestRecords();
  }

  std::unique_ptr<AttentionKernel> attention(const char *name,
                                             int64_t maxNumTokens = 16) {
    auto kernel = AttentionKernel::create(*device, *module, name, maxNumTokens);
    EXPECT_TRUE(kernel.isOk()) << kernel.status().toString();
    return kernel.isOk() ? std::move(*kernel) : nullptr;
  }

  const attn_test_record &record(int fn) const { return records[fn]; }

  /// Restores the index tensors' values (tests may change them in place).
  void resetIndexData() {
    blockTable = {0, 1, 0, 2, 0, 0, 3, 4, 5};
    seqLens = {5, 4, 12};
    cuSeqlensQ = {0, 1, 5, 8};
    cuSeqlensK = {0, 5, 9, 20};
  }

  /// "paged": f32, heads 4, kv_heads 2, head_size 8, block_size 4.
  AttentionArgs pagedArgs() {
    AttentionArgs a;
    a.q = TensorRef::make(q.data(), DType::F32, {kTokens, 4, 8});
    a.kCache = TensorRef::make(kCache.data(), DType::F32, {kBlocks, 4, 2, 8});
    a.vCache = TensorRef::make(vCache.data(), DType::F32, {kBlocks, 4, 2, 8});
    a.blockTable = TensorRef::make(blockTable.data(), DType::I32, {kSeqs, 3});
    a.seqLens = TensorRef::make(seqLens.data(), DType::I32, {kSeqs});
    a.cuSeqlensQ = TensorRef::make(cuSeqlensQ.data(), DType::I32, {kSeqs + 1});
    a.out = TensorRef::make(out.data(), DType::F32, {kTokens, 4, 8});
    a.numSeqs = kSeqs;
    return a;
  }

  /// "full": bf16 q, fp8_e4m3 cache and output, every optional input;
  /// heads 4, kv_heads 1.
  AttentionArgs fullArgs() {
    AttentionArgs a = pagedArgs();
    a.q = TensorRef::make(q.data(), DType::BF16, {kTokens, 4, 8});
    a.kCache =
        TensorRef::make(kCache.data(), DType::Fp8E4M3, {kBlocks, 4, 1, 8});
    a.vCache =
        TensorRef::make(vCache.data(), DType::Fp8E4M3, {kBlocks, 4, 1, 8});
    a.out = TensorRef::make(out.data(), DType::Fp8E4M3, {kTokens, 4, 8});
    a.sinks = TensorRef::make(sinks.data(), DType::F32, {4});
    a.alibiSlopes = TensorRef::make(alibi.data(), DType::F32, {4});
    a.mmPrefixRanges =
        TensorRef::make(mmRanges.data(), DType::I32, {kSeqs, 2, 2});
    a.qqBias = TensorRef::make(qqBias.data(), DType::F32, {5, 5});
    a.kScale = TensorRef::make(&scales[0], DType::F32, {1});
    a.vScale = TensorRef::make(&scales[1], DType::F32, {1});
    a.outScale = TensorRef::make(&scales[2], DType::F32, {});
    a.lse = TensorRef::make(lse.data(), DType::F32, {kTokens, 4});
    return a;
  }

  /// "pth": f16, int8 per-token-head cache, heads 2, kv_heads 2,
  /// head_size 8, head_size_v 16.
  AttentionArgs pthArgs() {
    AttentionArgs a = pagedArgs();
    a.q = TensorRef::make(q.data(), DType::F16, {kTokens, 2, 8});
    a.kCache = TensorRef::make(kCache.data(), DType::I8, {kBlocks, 4, 2, 12});
    a.vCache = TensorRef::make(vCache.data(), DType::I8, {kBlocks, 4, 2, 20});
    a.out = TensorRef::make(out.data(), DType::F16, {kTokens, 2, 16});
    return a;
  }

  /// "varlen": f32, heads 2, kv_heads 1, head_size 4; 20 key tokens.
  AttentionArgs varlenArgs() {
    AttentionArgs a;
    a.q = TensorRef::make(q.data(), DType::F32, {kTokens, 2, 4});
    a.kCache = TensorRef::make(kCache.data(), DType::F32, {20, 1, 4});
    a.vCache = TensorRef::make(vCache.data(), DType::F32, {20, 1, 4});
    a.cuSeqlensQ = TensorRef::make(cuSeqlensQ.data(), DType::I32, {kSeqs + 1});
    a.cuSeqlensK = TensorRef::make(cuSeqlensK.data(), DType::I32, {kSeqs + 1});
    a.out = TensorRef::make(out.data(), DType::F32, {kTokens, 2, 4});
    a.numSeqs = kSeqs;
    return a;
  }

  std::unique_ptr<Device> device;
  std::unique_ptr<Module> module;
  attn_test_record *records = nullptr;

  std::vector<float> q = std::vector<float>(kTokens * 4 * 8);
  std::vector<float> kCache = std::vector<float>(kBlocks * 4 * 2 * 20);
  std::vector<float> vCache = std::vector<float>(kBlocks * 4 * 2 * 20);
  std::vector<int32_t> blockTable = {0, 1, 0, 2, 0, 0, 3, 4, 5};
  std::vector<int32_t> seqLens = {5, 4, 12};
  std::vector<int32_t> cuSeqlensQ = {0, 1, 5, 8};
  std::vector<int32_t> cuSeqlensK = {0, 5, 9, 20};
  std::vector<float> out = std::vector<float>(kTokens * 4 * 16);
  std::vector<float> sinks = std::vector<float>(4);
  std::vector<float> alibi = std::vector<float>(4);
  std::vector<int32_t> mmRanges = std::vector<int32_t>(kSeqs * 2 * 2);
  std::vector<float> qqBias = std::vector<float>(25);
  std::vector<float> scales = {1.0f, 1.0f, 1.0f};
  std::vector<float> lse = std::vector<float>(kTokens * 4);
};

} // namespace test
} // namespace rt
} // namespace attn

#endif // ATTN_UNITTESTS_RUNTIME_KERNELTESTFIXTURE_H
