//===- AttentionKernelTest.cpp - Tests of attention launches --------------===//
//
// Part of the attn project, the runtime unit tests.
//
//===----------------------------------------------------------------------===//
//
// Launch plumbing: which entry points run, over which program ids, with
// which arguments, on which path. Argument errors are in
// AttentionValidationTest.cpp.
//
//===----------------------------------------------------------------------===//

#include "KernelTestFixture.h"

#include "Common/PathChoice.h"

using namespace attn::rt;
using attn::rt::test::badPrograms;

namespace {

class AttentionKernelTest : public test::KernelTest {};

TEST_F(AttentionKernelTest, CreateErrors) {
  auto unknown = AttentionKernel::create(*device, *module, "llama", 16);
  ASSERT_FALSE(unknown.isOk());
  EXPECT_EQ(unknown.status().code(), StatusCode::NotFound);
  EXPECT_NE(unknown.status().message().find("has no kernel 'llama'"),
            std::string::npos);

  auto wrongKind = AttentionKernel::create(*device, *module, "cache", 16);
  ASSERT_FALSE(wrongKind.isOk());
  EXPECT_EQ(wrongKind.status().code(), StatusCode::InvalidArgument);
  EXPECT_NE(wrongKind.status().message().find(
                "is a cache_write kernel, not an attention kernel"),
            std::string::npos);

  auto negative = AttentionKernel::create(*device, *module, "paged", -1);
  ASSERT_FALSE(negative.isOk());
  EXPECT_NE(negative.status().message().find("max_num_tokens = -1"),
            std::string::npos);

  std::unique_ptr<Device> other = test::openCPU(1);
  auto foreign = AttentionKernel::create(*other, *module, "paged", 16);
  ASSERT_FALSE(foreign.isOk());
  EXPECT_NE(foreign.status().message().find("loaded on another device"),
            std::string::npos);
}

TEST_F(AttentionKernelTest, WorkspaceIsSizedAtCreation) {
  // partial_out [2, 16, 4, 8] f32 + partial_lse [2, 16, 4] f32.
  EXPECT_EQ(attention("paged", 16)->workspaceBytes(), 4096u + 512u);
  EXPECT_EQ(attention("paged", 0)->workspaceBytes(), 0u);
  EXPECT_EQ(attention("full", 16)->workspaceBytes(), 0u); // no split form
  auto kernel = attention("paged", 16);
  EXPECT_EQ(kernel->maxNumTokens(), 16);
  EXPECT_EQ(kernel->info().name, "paged");
  EXPECT_EQ(kernel->lastPath(), Path::Auto);
}

TEST_F(AttentionKernelTest, TwoDPathLaunchesEveryProgramOnce) {
  auto kernel = attention("paged");
  AttentionArgs args = pagedArgs();
  args.path = Path::TwoD;
  ASSERT_OK(kernel->run(args));
  EXPECT_EQ(kernel->lastPath(), Path::TwoD);

  // num_q_blocks = 8 / block_q(2) + 3 sequences = 7; 7 * kv_heads(2) = 14.
  const attn_test_record &r = record(ATTN_TEST_FN_2D);
  EXPECT_EQ(r.programs, 14);
  EXPECT_EQ(r.max_pid_end, 14);
  EXPECT_EQ(badPrograms(r, 14), 0);
  EXPECT_EQ(r.kernel, 0);
  EXPECT_EQ(record(ATTN_TEST_FN_SPLIT).ranges, 0);
  EXPECT_EQ(record(ATTN_TEST_FN_REDUCE).ranges, 0);

  EXPECT_EQ(r.ptrs[ATTN_TEST_Q], q.data());
  EXPECT_EQ(r.ptrs[ATTN_TEST_K], kCache.data());
  EXPECT_EQ(r.ptrs[ATTN_TEST_V], vCache.data());
  EXPECT_EQ(r.ptrs[ATTN_TEST_BLOCK_TABLE], blockTable.data());
  EXPECT_EQ(r.ptrs[ATTN_TEST_SEQ_LENS], seqLens.data());
  EXPECT_EQ(r.ptrs[ATTN_TEST_CU_SEQLENS_Q], cuSeqlensQ.data());
  EXPECT_EQ(r.ptrs[ATTN_TEST_OUT], out.data());
  for (int unused :
       {ATTN_TEST_CU_SEQLENS_K, ATTN_TEST_SINKS, ATTN_TEST_ALIBI_SLOPES,
        ATTN_TEST_MM_PREFIX_RANGES, ATTN_TEST_QQ_BIAS, ATTN_TEST_K_SCALE,
        ATTN_TEST_V_SCALE, ATTN_TEST_OUT_SCALE, ATTN_TEST_LSE,
        ATTN_TEST_PARTIAL_OUT, ATTN_TEST_PARTIAL_LSE})
    EXPECT_EQ(r.ptrs[unused], nullptr) << "pointer argument " << unused;
  // num_seqs, num_tokens, max_blocks_per_seq, max_mm_ranges, qq_bias_stride,
  // split_tiles (the 2D kernel's is 0).
  EXPECT_EQ(r.scalars[0], 3);
  EXPECT_EQ(r.scalars[1], 8);
  EXPECT_EQ(r.scalars[2], 3);
  EXPECT_EQ(r.scalars[3], 0);
  EXPECT_EQ(r.scalars[4], 0);
  EXPECT_EQ(r.scalars[5], 0);
}

TEST_F(AttentionKernelTest, SplitPathRunsSplitThenReduce) {
  auto kernel = attention("paged");
  AttentionArgs args = pagedArgs();
  args.path = Path::Split;
  ASSERT_OK(kernel->run(args));
  EXPECT_EQ(kernel->lastPath(), Path::Split);

  const attn_test_record &split = record(ATTN_TEST_FN_SPLIT);
  const attn_test_record &reduce = record(ATTN_TEST_FN_REDUCE);
  EXPECT_EQ(record(ATTN_TEST_FN_2D).ranges, 0);
  EXPECT_EQ(badPrograms(split, 14 * 2), 0); // * segments
  EXPECT_EQ(badPrograms(reduce, 8 * 4), 0); // num_tokens * heads
  // Every split program had run before the reduce started.
  EXPECT_EQ(reduce.split_programs_before, 28);
  EXPECT_NE(split.ptrs[ATTN_TEST_PARTIAL_OUT], nullptr);
  EXPECT_NE(split.ptrs[ATTN_TEST_PARTIAL_LSE], nullptr);
  EXPECT_EQ(split.ptrs[ATTN_TEST_PARTIAL_OUT],
            reduce.ptrs[ATTN_TEST_PARTIAL_OUT]);
  EXPECT_EQ(split.ptrs[ATTN_TEST_PARTIAL_LSE],
            reduce.ptrs[ATTN_TEST_PARTIAL_LSE]);
  EXPECT_EQ(reduce.ptrs[ATTN_TEST_OUT], out.data());
  EXPECT_EQ(reduce.scalars[1], 8);
  // split_segments (the reduce gets the same): 14 programs * 3 tiles
  // (12 keys / block_n 4) over 4 * 4 threads: 3 tiles per program, so the
  // 3 tiles of a query block take 1 of the 2 segments.
  EXPECT_EQ(split.scalars[5], 1);
  EXPECT_EQ(reduce.scalars[5], 1);
  EXPECT_EQ(kernel->splitSegments(8, 3, 12), 1);
  EXPECT_EQ(kernel->splitSegments(8, 3, 48), 2);     // 12 tiles, 11 per program
  EXPECT_EQ(kernel->splitSegments(8, 3, 100000), 2); // at most the plan's
}

TEST_F(AttentionKernelTest, EveryThreadCountCoversTheGrid) {
  for (int threads : {1, 2, 5}) {
    std::unique_ptr<Device> cpu = test::openCPU(threads);
    auto loaded = cpu->loadModule(ATTN_TEST_KERNELS_PATH);
    ASSERT_OK(loaded);
    auto kernel = AttentionKernel::create(*cpu, **loaded, "paged", 8);
    ASSERT_OK(kernel);
    for (Path path : {Path::TwoD, Path::Split}) {
      test::resetTestRecords();
      AttentionArgs args = pagedArgs();
      args.path = path;
      ASSERT_OK((*kernel)->run(args));
      if (path == Path::TwoD) {
        EXPECT_EQ(badPrograms(record(ATTN_TEST_FN_2D), 14), 0) << threads;
      } else {
        EXPECT_EQ(badPrograms(record(ATTN_TEST_FN_SPLIT), 28), 0) << threads;
        EXPECT_EQ(badPrograms(record(ATTN_TEST_FN_REDUCE), 32), 0) << threads;
      }
    }
  }
}

TEST_F(AttentionKernelTest, AutoPathHeuristic) {
  auto kernel = attention("paged", 16);
  // Device of 4 threads; block_n 4, segments 2: long means >= 32 keys.
  EXPECT_EQ(kernel->choosePath(8, 3, 12), Path::TwoD);    // short
  EXPECT_EQ(kernel->choosePath(8, 3, 32), Path::Split);   // 14 < 16 programs
  EXPECT_EQ(kernel->choosePath(16, 3, 1000), Path::TwoD); // 22 programs
  EXPECT_EQ(kernel->choosePath(17, 1, 1000), Path::TwoD); // > max tokens
  EXPECT_EQ(attention("paged", 0)->choosePath(8, 3, 1000), Path::TwoD);
  EXPECT_EQ(attention("full", 16)->choosePath(1, 1, 100000), Path::TwoD);
  // "varlen" (block_q 4, block_n 8, segments 2) has window_left 9: a query
  // block visits at most 13 keys however long the sequences are.
  EXPECT_EQ(attention("varlen", 16)->info().windowLeft, 9);
  EXPECT_EQ(attention("varlen", 16)->choosePath(4, 1, 100000), Path::TwoD);
  EXPECT_EQ(attention("paged", 16)->info().windowLeft, -1);

  // Without a hint the CPU reads seq_lens (longest 12): 2D.
  AttentionArgs args = pagedArgs();
  ASSERT_OK(kernel->run(args));
  EXPECT_EQ(kernel->lastPath(), Path::TwoD);
  // The hint is trusted.
  args.maxSeqLen = 1000;
  ASSERT_OK(kernel->run(args));
  EXPECT_EQ(kernel->lastPath(), Path::Split);
}

TEST_F(AttentionKernelTest, TotalSeqLenRefinesTheSegments) {
  auto kernel = attention("paged", 16);
  // 14 programs of 12 tiles (48 keys / block_n 4) over 16 threads' worth:
  // 11 tiles per program, 2 segments. With 40 keys in all over 3
  // sequences (mean 14: 4 tiles), 4 tiles per program: still 2 (the plan's
  // most); and the CPU device has no occupancy to report.
  EXPECT_EQ(kernel->splitSegments(8, 3, 48, 0), 2);
  EXPECT_EQ(kernel->splitSegments(8, 3, 48, 40), 2);
  EXPECT_EQ(kernel->resident2D(), 0);
  EXPECT_EQ(kernel->residentSplit(), 0);
  // The CPU's rule does not read the hint.
  EXPECT_EQ(kernel->choosePath(8, 3, 32, 40), Path::Split);
}

// The GPU cost model with an H200's figures (132 SMs; 4 resident programs
// per SM of either kernel at head 128, block_m 64, block_n 32): the choices measured
// fastest in docs/perf.md.
TEST(GPUPathChoice, WeighsTheBatchesOfThePerfTable) {
  using detail::GPUPathInputs;
  auto decode = [](int64_t batch, int64_t longest, int64_t mean,
                   int64_t segments) {
    GPUPathInputs in;
    // (num_tokens / block_q 16 + num_seqs) * 8 kv heads
    in.programs = (batch / 16 + batch) * 8;
    in.longestTiles = longest / 32;
    in.meanTiles = mean / 32;
    in.segments = segments;
    in.units = 132;
    in.resident2D = 132 * 4;
    in.residentSplit = 132 * 4;
    return detail::chooseGPUPath(in);
  };
  EXPECT_EQ(decode(64, 1024, 1024, 4), Path::TwoD);
  EXPECT_EQ(decode(64, 4096, 4096, 8), Path::TwoD);
  EXPECT_EQ(decode(64, 16384, 16384, 16), Path::TwoD);
  EXPECT_EQ(decode(8, 16384, 16384, 16), Path::Split);
  EXPECT_EQ(decode(64, 16384, 1290, 16), Path::Split); // one long sequence
  EXPECT_EQ(decode(64, 4096, 4096, 1), Path::TwoD);    // nothing to split
  // Without the mean (no total_seq_len hint) or the occupancies: split
  // below 16 programs per SM.
  GPUPathInputs unknown;
  unknown.programs = 512;
  unknown.longestTiles = 128;
  unknown.segments = 8;
  unknown.units = 132;
  EXPECT_EQ(detail::chooseGPUPath(unknown), Path::Split);
  unknown.meanTiles = 128;
  EXPECT_EQ(detail::chooseGPUPath(unknown), Path::Split);
  unknown.resident2D = 528;
  unknown.residentSplit = 528;
  EXPECT_EQ(detail::chooseGPUPath(unknown), Path::TwoD);
  unknown.programs = 16 * 132;
  unknown.meanTiles = 0;
  EXPECT_EQ(detail::chooseGPUPath(unknown), Path::TwoD);
}

TEST_F(AttentionKernelTest, RunsTheWideForm) {
  auto kernel = attention("paged", 16);
  ASSERT_TRUE(kernel->info().hasWide());
  AttentionArgs args = pagedArgs();
  args.path = Path::TwoDWide;
  ASSERT_OK(kernel->run(args));
  EXPECT_EQ(kernel->lastPath(), Path::TwoDWide);
  EXPECT_EQ(record(ATTN_TEST_FN_2D).ranges, 0);
  // (8 tokens / wide_block_q 4 + 3 sequences) * 2 kv heads.
  const attn_test_record &wide = record(ATTN_TEST_FN_2D_WIDE);
  EXPECT_EQ(badPrograms(wide, 10), 0);
  EXPECT_EQ(wide.ptrs[ATTN_TEST_OUT], out.data());
  EXPECT_EQ(wide.scalars[1], 8);

  // Auto: long queries (at least 8 wide blocks a sequence) on a grid of
  // at least 8 programs per thread (4 threads) take the wide form.
  EXPECT_EQ(kernel->choosePath(96, 3, 100), Path::TwoDWide); // 54 programs
  EXPECT_EQ(kernel->choosePath(95, 3, 100), Path::TwoD);     // short queries
  EXPECT_EQ(kernel->choosePath(40, 1, 100), Path::TwoD);     // 22 programs
  EXPECT_EQ(kernel->choosePath(8, 3, 48), Path::Split);      // decode
  EXPECT_STREQ(pathName(Path::TwoDWide), "2d_wide");

  // A variant without the wide form.
  auto full = attention("full");
  EXPECT_EQ(full->choosePath(96, 3, 100), Path::TwoD);
  AttentionArgs fa = fullArgs();
  fa.path = Path::TwoDWide;
  Status status = full->run(fa);
  EXPECT_EQ(status.code(), StatusCode::FailedPrecondition);
  EXPECT_NE(status.message().find("has no wide form"), std::string::npos)
      << status.message();
}

TEST_F(AttentionKernelTest, SplitNeedsWorkspaceForAllTokens) {
  auto kernel = attention("paged", 4);
  AttentionArgs args = pagedArgs();
  args.maxSeqLen = 1000;
  ASSERT_OK(kernel->run(args)); // Auto falls back to 2D.
  EXPECT_EQ(kernel->lastPath(), Path::TwoD);
  args.path = Path::Split;
  Status status = kernel->run(args);
  EXPECT_EQ(status.code(), StatusCode::FailedPrecondition);
  EXPECT_NE(status.message().find(
                "path split needs num_tokens (8) <= max_num_tokens (4)"),
            std::string::npos)
      << status.message();
}

TEST_F(AttentionKernelTest, SplitOnAVariantWithoutSplitForm) {
  auto kernel = attention("full");
  AttentionArgs args = fullArgs();
  args.path = Path::Split;
  Status status = kernel->run(args);
  EXPECT_EQ(status.code(), StatusCode::FailedPrecondition);
  EXPECT_NE(status.message().find("has no split-KV form"), std::string::npos);
  args.path = static_cast<Path>(7);
  status = kernel->run(args);
  EXPECT_EQ(status.code(), StatusCode::InvalidArgument);
  EXPECT_NE(status.message().find("unknown path 7"), std::string::npos);
}

TEST_F(AttentionKernelTest, UnusedInputsAreIgnored) {
  auto kernel = attention("paged");
  AttentionArgs args = fullArgs();
  // Back to the paged kernel's tensors, keeping every optional input.
  AttentionArgs paged = pagedArgs();
  args.q = paged.q;
  args.kCache = paged.kCache;
  args.vCache = paged.vCache;
  args.out = paged.out;
  args.cuSeqlensK = TensorRef::make(cuSeqlensK.data(), DType::I64, {1});
  args.path = Path::TwoD;
  ASSERT_OK(kernel->run(args));
  const attn_test_record &r = record(ATTN_TEST_FN_2D);
  for (int unused :
       {ATTN_TEST_CU_SEQLENS_K, ATTN_TEST_SINKS, ATTN_TEST_ALIBI_SLOPES,
        ATTN_TEST_MM_PREFIX_RANGES, ATTN_TEST_QQ_BIAS, ATTN_TEST_K_SCALE,
        ATTN_TEST_V_SCALE, ATTN_TEST_OUT_SCALE, ATTN_TEST_LSE})
    EXPECT_EQ(r.ptrs[unused], nullptr) << "pointer argument " << unused;
  EXPECT_EQ(r.scalars[3], 0);
  EXPECT_EQ(r.scalars[4], 0);
}

TEST_F(AttentionKernelTest, NumSeqsFromCuSeqlens) {
  auto kernel = attention("paged");
  AttentionArgs args = pagedArgs();
  args.numSeqs = -1;
  ASSERT_OK(kernel->run(args));
  EXPECT_EQ(record(ATTN_TEST_FN_2D).scalars[0], 3);
}

TEST_F(AttentionKernelTest, EmptyBatchLaunchesNothing) {
  auto kernel = attention("paged");
  AttentionArgs args = pagedArgs();
  std::vector<int32_t> zeros = {0, 0, 0, 0};
  args.q = TensorRef::make(nullptr, DType::F32, {0, 4, 8});
  args.out = TensorRef::make(nullptr, DType::F32, {0, 4, 8});
  args.cuSeqlensQ = TensorRef::make(zeros.data(), DType::I32, {4});
  ASSERT_OK(kernel->run(args));
  for (int fn = 0; fn < ATTN_TEST_NUM_FNS; ++fn)
    EXPECT_EQ(record(fn).ranges, 0);
}

TEST_F(AttentionKernelTest, FullVariantPassesEveryInput) {
  auto kernel = attention("full");
  AttentionArgs args = fullArgs();
  ASSERT_OK(kernel->run(args));
  const attn_test_record &r = record(ATTN_TEST_FN_2D);
  EXPECT_EQ(r.kernel, 1);
  // block_q 1: (8 + 3) * kv_heads 1 = 11 programs.
  EXPECT_EQ(badPrograms(r, 11), 0);
  EXPECT_EQ(r.ptrs[ATTN_TEST_SINKS], sinks.data());
  EXPECT_EQ(r.ptrs[ATTN_TEST_ALIBI_SLOPES], alibi.data());
  EXPECT_EQ(r.ptrs[ATTN_TEST_MM_PREFIX_RANGES], mmRanges.data());
  EXPECT_EQ(r.ptrs[ATTN_TEST_QQ_BIAS], qqBias.data());
  EXPECT_EQ(r.ptrs[ATTN_TEST_K_SCALE], &scales[0]);
  EXPECT_EQ(r.ptrs[ATTN_TEST_V_SCALE], &scales[1]);
  EXPECT_EQ(r.ptrs[ATTN_TEST_OUT_SCALE], &scales[2]);
  EXPECT_EQ(r.ptrs[ATTN_TEST_LSE], lse.data());
  EXPECT_EQ(r.scalars[3], 2); // max_mm_ranges
  EXPECT_EQ(r.scalars[4], 5); // qq_bias_stride

  // fp8 data may come as u8.
  args.kCache.dtype = DType::U8;
  args.vCache.dtype = DType::U8;
  args.out.dtype = DType::U8;
  EXPECT_OK(kernel->run(args));
}

TEST_F(AttentionKernelTest, PerTokenHeadCache) {
  auto kernel = attention("pth");
  AttentionArgs args = pthArgs();
  ASSERT_OK(kernel->run(args));
  EXPECT_EQ(record(ATTN_TEST_FN_2D).kernel, 2);
  EXPECT_EQ(badPrograms(record(ATTN_TEST_FN_2D), 14), 0);
  args.kCache.dtype = DType::U8;
  args.vCache.dtype = DType::U8;
  EXPECT_OK(kernel->run(args));
}

TEST_F(AttentionKernelTest, VarlenLayout) {
  auto kernel = attention("varlen");
  AttentionArgs args = varlenArgs();
  args.path = Path::TwoD;
  ASSERT_OK(kernel->run(args));
  const attn_test_record &r = record(ATTN_TEST_FN_2D);
  EXPECT_EQ(r.kernel, 3);
  EXPECT_EQ(badPrograms(r, 5), 0); // (8 / 4 + 3) * 1
  EXPECT_EQ(r.ptrs[ATTN_TEST_CU_SEQLENS_K], cuSeqlensK.data());
  EXPECT_EQ(r.ptrs[ATTN_TEST_BLOCK_TABLE], nullptr);
  EXPECT_EQ(r.ptrs[ATTN_TEST_SEQ_LENS], nullptr);
  EXPECT_EQ(r.scalars[2], 0);

  args.path = Path::Split;
  ASSERT_OK(kernel->run(args));
  EXPECT_EQ(badPrograms(record(ATTN_TEST_FN_SPLIT), 10), 0);
  EXPECT_EQ(badPrograms(record(ATTN_TEST_FN_REDUCE), 16), 0);
}

TEST_F(AttentionKernelTest, RunAllocatesNothing) {
  if (!test::countsAllocations())
    GTEST_SKIP() << "operator new is not replaceable in this build";
  auto kernel = attention("paged");
  AttentionArgs args = pagedArgs();
  for (Path path : {Path::TwoD, Path::Split, Path::Auto}) {
    args.path = path;
    ASSERT_OK(kernel->run(args)); // Warm up.
    uint64_t before = test::allocationCount();
    Status status = kernel->run(args);
    uint64_t allocations = test::allocationCount() - before;
    ASSERT_OK(status);
    EXPECT_EQ(allocations, 0u) << pathName(path);
  }
}

} // namespace
