//===- AttentionValidationTest.cpp - Tests of attention argument errors ---===//
//
// Part of the attn project, the runtime unit tests.
//
//===----------------------------------------------------------------------===//
//
// Each kind of mismatch between AttentionArgs and the manifest entry gives
// an error that names the argument and the values, and launches nothing.
//
//===----------------------------------------------------------------------===//

#include "KernelTestFixture.h"

#include <functional>

using namespace attn::rt;

namespace {

class AttentionValidationTest : public test::KernelTest {
protected:
  struct Case {
    const char *what;
    std::function<void(AttentionArgs &)> change;
    const char *expected;
  };

  void expectErrors(const char *kernelName,
                    AttentionArgs (test::KernelTest::*makeArgs)(),
                    const std::vector<Case> &cases) {
    auto kernel = attention(kernelName);
    ASSERT_NE(kernel, nullptr);
    ASSERT_OK(kernel->run((this->*makeArgs)())); // The baseline is valid.
    for (const Case &c : cases) {
      test::resetTestRecords();
      resetIndexData();
      AttentionArgs args = (this->*makeArgs)();
      c.change(args);
      Status status = kernel->run(args);
      EXPECT_EQ(status.code(), StatusCode::InvalidArgument) << c.what;
      EXPECT_NE(status.message().find(c.expected), std::string::npos)
          << c.what << "\n  message:  " << status.message()
          << "\n  expected: " << c.expected;
      for (int fn = 0; fn < ATTN_TEST_NUM_FNS; ++fn)
        EXPECT_EQ(record(fn).ranges, 0) << c.what << " launched something";
    }
  }
};

TEST_F(AttentionValidationTest, PagedShapesAndDtypes) {
  std::vector<int32_t> cu5 = {0, 1, 5, 8, 8};
  expectErrors(
      "paged", &test::KernelTest::pagedArgs,
      {
          {"q dtype", [](AttentionArgs &a) { a.q.dtype = DType::F16; },
           "kernel 'paged': q has dtype f16; expected f32"},
          {"q rank", [](AttentionArgs &a) { a.q.rank = 2; },
           "q has 2 dims [8, 4]; expected 3 dims [num_tokens, 4, 8]"},
          {"q heads", [](AttentionArgs &a) { a.q.shape[1] = 3; },
           "q has shape [8, 3, 8]; expected [num_tokens, 4, 8] (dim 1 is 3, "
           "expected heads = 4)"},
          {"q head size", [](AttentionArgs &a) { a.q.shape[2] = 16; },
           "(dim 2 is 16, expected head_size = 8)"},
          {"q rank 5", [](AttentionArgs &a) { a.q.rank = 5; },
           "q has rank 5; ranks 0 to 4 are supported"},
          {"q dtype code", [](AttentionArgs &a) { a.q.dtype = DType(40); },
           "q has an invalid dtype code 40"},
          {"out tokens", [](AttentionArgs &a) { a.out.shape[0] = 7; },
           "out has shape [7, 4, 8]; expected [num_tokens=8, 4, 8] (dim 0 is "
           "7, expected num_tokens = 8)"},
          {"out head size v", [](AttentionArgs &a) { a.out.shape[2] = 4; },
           "expected head_size_v = 8"},
          {"out dtype", [](AttentionArgs &a) { a.out.dtype = DType::BF16; },
           "out has dtype bf16; expected f32"},
          {"k block size", [](AttentionArgs &a) { a.kCache.shape[1] = 16; },
           "k_cache has shape [10, 16, 2, 8]; expected [num_blocks, 4, 2, 8] "
           "(dim 1 is 16, expected block_size = 4)"},
          {"k kv heads", [](AttentionArgs &a) { a.kCache.shape[2] = 4; },
           "expected kv_heads = 2"},
          {"k dtype", [](AttentionArgs &a) { a.kCache.dtype = DType::F16; },
           "k_cache has dtype f16; expected f32"},
          {"v blocks", [](AttentionArgs &a) { a.vCache.shape[0] = 9; },
           "v_cache has shape [9, 4, 2, 8]; expected [num_blocks=10, 4, 2, 8]"},
          {"v head size", [](AttentionArgs &a) { a.vCache.shape[3] = 4; },
           "expected head_size_v = 8"},
          {"block table rows",
           [](AttentionArgs &a) { a.blockTable.shape[0] = 2; },
           "block_table has shape [2, 3]; expected [num_seqs=3, "
           "max_blocks_per_seq]"},
          {"block table dtype",
           [](AttentionArgs &a) { a.blockTable.dtype = DType::I64; },
           "block_table has dtype i64; expected i32"},
          {"seq lens dtype",
           [](AttentionArgs &a) { a.seqLens.dtype = DType::I64; },
           "seq_lens has dtype i64; expected i32"},
          {"seq lens rank", [](AttentionArgs &a) { a.seqLens.rank = 2; },
           "seq_lens has 2 dims"},
          {"cu_seqlens_q length",
           [&](AttentionArgs &a) {
             a.cuSeqlensQ = TensorRef::make(cu5.data(), DType::I32, {5});
           },
           "cu_seqlens_q has shape [5]; expected [num_seqs+1=4]"},
          {"num_seqs vs cu_seqlens_q", [](AttentionArgs &a) { a.numSeqs = 2; },
           "cu_seqlens_q has shape [4]; expected [num_seqs+1=3]"},
          {"negative dim", [](AttentionArgs &a) { a.kCache.shape[0] = -1; },
           "(dim 0 is -1, must not be negative)"},
      });
}

TEST_F(AttentionValidationTest, MissingRequiredInputs) {
  expectErrors(
      "paged", &test::KernelTest::pagedArgs,
      {
          {"q", [](AttentionArgs &a) { a.q.data = nullptr; },
           "kernel 'paged': q is required (all attention kernels) but was not "
           "given (null data pointer)"},
          {"out", [](AttentionArgs &a) { a.out = TensorRef(); },
           "out is required"},
          {"k_cache", [](AttentionArgs &a) { a.kCache.data = nullptr; },
           "k_cache is required (kv_layout=paged)"},
          {"v_cache", [](AttentionArgs &a) { a.vCache.data = nullptr; },
           "v_cache is required (kv_layout=paged)"},
          {"block_table", [](AttentionArgs &a) { a.blockTable.data = nullptr; },
           "block_table is required (kv_layout=paged)"},
          {"seq_lens", [](AttentionArgs &a) { a.seqLens.data = nullptr; },
           "seq_lens is required"},
          {"cu_seqlens_q",
           [](AttentionArgs &a) { a.cuSeqlensQ.data = nullptr; },
           "cu_seqlens_q is required"},
      });
}

TEST_F(AttentionValidationTest, IndexDataOnTheCPU) {
  expectErrors(
      "paged", &test::KernelTest::pagedArgs,
      {
          {"decreasing cu_seqlens_q",
           [this](AttentionArgs &) {
             cuSeqlensQ = {0, 5, 1, 8};
           },
           "cu_seqlens_q must be non-decreasing, but cu_seqlens_q[2] = 1 < "
           "cu_seqlens_q[1] = 5"},
          {"cu_seqlens_q past num_tokens",
           [this](AttentionArgs &) {
             cuSeqlensQ = {0, 1, 5, 9};
           },
           "cu_seqlens_q[3] = 9 exceeds num_tokens = 8"},
          {"negative cu_seqlens_q",
           [this](AttentionArgs &) {
             cuSeqlensQ = {-1, 1, 5, 8};
           },
           "cu_seqlens_q[0] = -1 is negative"},
          {"query longer than sequence",
           [this](AttentionArgs &) {
             seqLens = {5, 3, 12};
           },
           "sequence 1 has seq_lens[1] = 3 < its query length 4"},
          {"sequence past block table",
           [this](AttentionArgs &) {
             seqLens = {5, 4, 13};
           },
           "sequence 2 has seq_lens[2] = 13 but block_table holds only 3 "
           "blocks of 4 = 12 positions"},
          {"block id out of range",
           [this](AttentionArgs &) { blockTable[7] = 10; },
           "block_table[2][1] = 10 is outside the cache's blocks [0, 10)"},
          {"negative block id", [this](AttentionArgs &) { blockTable[1] = -1; },
           "block_table[0][1] = -1"},
      });
  // Entries past a sequence's last block are not read, so not checked.
  resetIndexData();
  blockTable[5] = 999;
  EXPECT_OK(attention("paged")->run(pagedArgs()));
}

TEST_F(AttentionValidationTest, OptionalInputsTheVariantNeeds) {
  expectErrors(
      "full", &test::KernelTest::fullArgs,
      {
          {"sinks", [](AttentionArgs &a) { a.sinks = TensorRef(); },
           "kernel 'full': sinks is required (sinks=1)"},
          {"sinks shape", [](AttentionArgs &a) { a.sinks.shape[0] = 8; },
           "sinks has shape [8]; expected [4] (dim 0 is 8, expected heads = "
           "4)"},
          {"sinks dtype", [](AttentionArgs &a) { a.sinks.dtype = DType::BF16; },
           "sinks has dtype bf16; expected f32"},
          {"alibi", [](AttentionArgs &a) { a.alibiSlopes.data = nullptr; },
           "alibi_slopes is required (alibi is not none)"},
          {"mm prefix",
           [](AttentionArgs &a) { a.mmPrefixRanges.data = nullptr; },
           "mm_prefix_ranges is required (mm_prefix=1)"},
          {"mm prefix pairs",
           [](AttentionArgs &a) { a.mmPrefixRanges.shape[2] = 3; },
           "mm_prefix_ranges has shape [3, 2, 3]; expected [num_seqs=3, "
           "max_mm_ranges, 2]"},
          {"qq bias", [](AttentionArgs &a) { a.qqBias.data = nullptr; },
           "qq_bias is required (qq_bias=1)"},
          {"qq bias square", [](AttentionArgs &a) { a.qqBias.shape[1] = 4; },
           "qq_bias has shape [5, 4]; expected a square [n, n]"},
          {"k scale", [](AttentionArgs &a) { a.kScale = TensorRef(); },
           "k_scale is required (kv_dtype=fp8_e4m3)"},
          {"v scale", [](AttentionArgs &a) { a.vScale.data = nullptr; },
           "v_scale is required (kv_dtype=fp8_e4m3)"},
          {"k scale shape", [](AttentionArgs &a) { a.kScale.shape[0] = 2; },
           "k_scale has shape [2]; expected [1]"},
          {"out scale", [](AttentionArgs &a) { a.outScale.data = nullptr; },
           "out_scale is required (out_dtype=fp8_e4m3)"},
          {"lse", [](AttentionArgs &a) { a.lse.data = nullptr; },
           "lse is required (lse=1)"},
          {"lse shape", [](AttentionArgs &a) { a.lse.shape[1] = 1; },
           "lse has shape [8, 1]; expected [num_tokens=8, 4]"},
          {"fp8 cache as i8",
           [](AttentionArgs &a) { a.kCache.dtype = DType::I8; },
           "k_cache has dtype i8; expected fp8_e4m3 or u8"},
          {"q dtype", [](AttentionArgs &a) { a.q.dtype = DType::F32; },
           "q has dtype f32; expected bf16"},
      });
}

TEST_F(AttentionValidationTest, PerTokenHeadLayout) {
  expectErrors(
      "pth", &test::KernelTest::pthArgs,
      {
          {"k without scale bytes",
           [](AttentionArgs &a) { a.kCache.shape[3] = 8; },
           "k_cache has shape [10, 4, 2, 8]; expected [num_blocks, 4, 2, 12] "
           "(dim 3 is 8, expected head_size+4 = 12)"},
          {"v without scale bytes",
           [](AttentionArgs &a) { a.vCache.shape[3] = 16; },
           "expected head_size_v+4 = 20"},
          {"cache as f16",
           [](AttentionArgs &a) { a.kCache.dtype = DType::F16; },
           "k_cache has dtype f16; expected i8 or u8"},
          {"out head size v", [](AttentionArgs &a) { a.out.shape[2] = 8; },
           "expected head_size_v = 16"},
      });
}

TEST_F(AttentionValidationTest, VarlenLayout) {
  expectErrors(
      "varlen", &test::KernelTest::varlenArgs,
      {
          {"k", [](AttentionArgs &a) { a.kCache.data = nullptr; },
           "kernel 'varlen': k is required (kv_layout=varlen)"},
          {"k rank", [](AttentionArgs &a) { a.kCache.rank = 4; },
           "k has 4 dims"},
          {"v tokens", [](AttentionArgs &a) { a.vCache.shape[0] = 19; },
           "v has shape [19, 1, 4]; expected [num_kv_tokens=20, 1, 4]"},
          {"cu_seqlens_k",
           [](AttentionArgs &a) { a.cuSeqlensK.data = nullptr; },
           "cu_seqlens_k is required (kv_layout=varlen)"},
          {"cu_seqlens_k past keys",
           [this](AttentionArgs &) {
             cuSeqlensK = {0, 5, 9, 21};
           },
           "cu_seqlens_k[3] = 21 exceeds num_kv_tokens = 20"},
      });
}

} // namespace
