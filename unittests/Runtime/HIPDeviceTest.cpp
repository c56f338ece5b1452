//===- HIPDeviceTest.cpp - Tests of the HIP backend -----------------------===//
//
// Part of the attn project, the runtime unit tests.
//
//===----------------------------------------------------------------------===//
//
// Built twice:
//
// * in AttnRuntimeTests, against whatever HIP runtime the machine has. The
//   tests that need a GPU skip with "no HIP device: <reason>" where none can
//   be opened; HIPOpenTest checks what opening reports on such machines. On
//   an AMD GPU the launch tests load the probe code object the build made
//   from HIPProbe.hip (when the compiler could).
// * in AttnRuntimeHIPFakeTests (ATTN_TEST_FAKE_HIP), against the fake HIP
//   runtime of FakeHIPRuntime.c, which emulates the same probe kernels on
//   the host. That is how these tests run on machines without an AMD GPU;
//   AttnRuntimeTests runs that program (HIPOpenTest.FakeRuntimeTestsPass).
//
// The probe kernels add a per-function value to out[pid] in every block
// and program 0 writes a header of the arguments it received (HIPProbe.hip
// says which), so a test sees that every program ran exactly once, on
// which grid, and with which arguments, as in CUDADeviceTest.cpp.
//
// Neither build has run on an AMD GPU yet.
//
//===----------------------------------------------------------------------===//

#include "HIPTestUtil.h"
#include "TestUtil.h"

#include "HIP/HIPDriver.h"

#include "attn/Runtime/AttentionKernel.h"
#include "attn/Runtime/CacheWriteKernel.h"
#include "attn/Runtime/Device.h"
#include "attn/Runtime/Module.h"

#include <dlfcn.h>
#include <sys/wait.h>

#include <cstdio>
#include <string>
#include <vector>

using namespace attn::rt;
using namespace attn::rt::test::hiptest;
namespace hip = attn::rt::hip;

namespace {

//===----------------------------------------------------------------------===//
// Without a device
//===----------------------------------------------------------------------===//

bool runtimeLibraryLoads() {
  for (const char *name : hip::kDriverLibraries) {
    if (void *handle = dlopen(name, RTLD_NOW | RTLD_LOCAL)) {
      dlclose(handle);
      return true;
    }
  }
  return false;
}

TEST(HIPOpenTest, SaysWhyItCannotOpen) {
  StatusOr<std::unique_ptr<Device>> opened = Device::open(DeviceKind::HIP, 0);
  if (opened.isOk())
    GTEST_SKIP() << "a HIP device is present: " << (*opened)->name();
  const std::string &message = opened.status().message();
  if (!runtimeLibraryLoads()) {
    EXPECT_EQ(opened.status().code(), StatusCode::Unavailable);
    EXPECT_EQ(message, "no HIP runtime (libamdhip64.so not found)");
  } else {
    // A runtime without a usable device.
    EXPECT_TRUE(opened.status().code() == StatusCode::Unavailable ||
                opened.status().code() == StatusCode::NotFound)
        << opened.status().toString();
    EXPECT_TRUE(contains(message, "HIP") || contains(message, "hip"))
        << message;
  }
}

TEST(HIPOpenTest, MissingOrdinal) {
  StatusOr<std::unique_ptr<Device>> opened =
      Device::open(DeviceKind::HIP, 1000);
  ASSERT_FALSE(opened.isOk());
  const std::string &message = opened.status().message();
  if (opened.status().code() == StatusCode::NotFound) {
    EXPECT_TRUE(contains(message, "hip device 1000 does not exist ("))
        << message;
  } else {
    EXPECT_EQ(opened.status().code(), StatusCode::Unavailable) << message;
  }
}

TEST(HIPOpenTest, RuntimeErrorCodes) {
  EXPECT_EQ(hip::statusCodeFor(hip::hipSuccess), StatusCode::Ok);
  EXPECT_EQ(hip::statusCodeFor(hip::hipErrorOutOfMemory),
            StatusCode::OutOfMemory);
  EXPECT_EQ(hip::statusCodeFor(hip::hipErrorNoDevice), StatusCode::Unavailable);
  EXPECT_EQ(hip::statusCodeFor(hip::hipErrorInsufficientDriver),
            StatusCode::Unavailable);
  EXPECT_EQ(hip::statusCodeFor(hip::hipErrorInvalidImage),
            StatusCode::InvalidArgument);
  EXPECT_EQ(hip::statusCodeFor(hip::hipErrorNoBinaryForGpu),
            StatusCode::InvalidArgument);
  EXPECT_EQ(hip::statusCodeFor(hip::hipErrorNotFound),
            StatusCode::InvalidArgument);
  EXPECT_EQ(hip::statusCodeFor(hip::hipErrorIllegalAddress),
            StatusCode::Internal);
  EXPECT_EQ(hip::statusCodeFor(hip::hipErrorLaunchFailure),
            StatusCode::Internal);
  // The sonames, in the order they are tried.
  EXPECT_STREQ(hip::kDriverLibraries[0], "libamdhip64.so");
  EXPECT_STREQ(hip::kDriverLibraries[1], "libamdhip64.so.6");
  EXPECT_STREQ(hip::kDriverLibraries[2], "libamdhip64.so.5");
}

#if defined(ATTN_TEST_HIP_FAKE_TESTS_PATH) && !defined(ATTN_TEST_FAKE_HIP)
// The HIP tests against the fake runtime run in their own program, so that
// the fake never stands in for a missing runtime in this one.
TEST(HIPOpenTest, FakeRuntimeTestsPass) {
  // All of its tests, whatever this run's filter, shard or output file.
  std::string command =
      std::string("env -u GTEST_FILTER -u GTEST_OUTPUT -u GTEST_SHARD_INDEX "
                  "-u GTEST_TOTAL_SHARDS -u GTEST_SHARD_STATUS_FILE '") +
      ATTN_TEST_HIP_FAKE_TESTS_PATH + "' --gtest_brief=1 2>&1";
  FILE *pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr) << "cannot run " << ATTN_TEST_HIP_FAKE_TESTS_PATH;
  std::string output;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0)
    output.append(buffer, n);
  int status = pclose(pipe);
  ASSERT_TRUE(WIFEXITED(status)) << output;
  EXPECT_EQ(WEXITSTATUS(status), 0) << output;
  EXPECT_TRUE(contains(output, "PASSED")) << output;
}
#endif

//===----------------------------------------------------------------------===//
// On a device
//===----------------------------------------------------------------------===//

#define ASSERT_HIP(call) ASSERT_OK(driver->check(#call, driver->api().call))
#define EXPECT_HIP(call) EXPECT_OK(driver->check(#call, driver->api().call))

class HIPDeviceTest : public ::testing::Test {
protected:
  // The probe batch: 2 sequences, 8 query tokens, a cache of 4 blocks and a
  // block table of 3 blocks per sequence.
  static constexpr int64_t kTokens = 8, kSeqs = 2, kHeads = 4, kKvHeads = 2,
                           kHeadSize = 8, kBlockSize = 4, kBlocks = 4,
                           kMaxBlocks = 3, kSegments = 3;
  // Programs: num_q_blocks = 8 / 2 + 2 = 6.
  static constexpr int64_t k2dPrograms = 6 * kKvHeads;
  static constexpr int64_t kSplitPrograms = k2dPrograms * kSegments;
  static constexpr int64_t kReducePrograms = kTokens * kHeads;
  static constexpr int64_t kOutWords = kTokens * kHeads * kHeadSize;
  static constexpr int64_t kLseWords = kTokens * kHeads;

  void SetUp() override {
#ifdef ATTN_TEST_FAKE_HIP
    attn_fake_hip_reset();
#endif
    StatusOr<std::unique_ptr<Device>> opened = Device::open(DeviceKind::HIP, 0);
    if (!opened.isOk())
      GTEST_SKIP() << "no HIP device: " << opened.status().toString();
    device = std::move(*opened);
    StatusOr<std::shared_ptr<hip::HIPDriver>> loaded = hip::HIPDriver::load();
    ASSERT_OK(loaded);
    driver = *loaded;
    // The tests' own runtime calls (streams) run on device 0.
    ASSERT_HIP(hipSetDevice(0));
    ASSERT_TRUE(dir.ok());
    image = probeImage(noProbe);
  }

  /// Skips a test that launches when there is no probe code object.
  bool haveProbe() const { return !image.empty(); }

  Buffer allocate(size_t bytes) {
    StatusOr<Buffer> buffer = device->allocate(bytes);
    EXPECT_OK(buffer);
    return buffer.isOk() ? std::move(*buffer) : Buffer();
  }

  std::vector<uint32_t> read(const Buffer &buffer, size_t words) {
    std::vector<uint32_t> host(words, 0xdeadbeef);
    EXPECT_OK(device->copyToHost(host.data(), buffer.data(), words * 4));
    return host;
  }

  /// Writes the probe bundle and loads it from its .hsaco.
  std::unique_ptr<Module> loadProbe() {
    dir.write("probe.json", probeManifest(defaultLaunch()));
    std::string hsaco = dir.write("probe.hsaco", image);
    StatusOr<std::unique_ptr<Module>> module = device->loadModule(hsaco);
    EXPECT_OK(module);
    return module.isOk() ? std::move(*module) : nullptr;
  }

  /// Device tensors of the probe batch and arguments pointing to them.
  void makeBatch() {
    size_t f32 = sizeof(float);
    q = allocate(kTokens * kHeads * kHeadSize * f32);
    kCache = allocate(kBlocks * kBlockSize * kKvHeads * kHeadSize * f32);
    vCache = allocate(kBlocks * kBlockSize * kKvHeads * kHeadSize * f32);
    blockTable = allocate(kSeqs * kMaxBlocks * 4);
    seqLens = allocate(kSeqs * 4);
    cuSeqlensQ = allocate((kSeqs + 1) * 4);
    out = allocate(kOutWords * 4);
    lse = allocate(kLseWords * 4);
    std::vector<int32_t> table = {0, 1, 2, 3, 0, 0}, lens = {5, 9},
                         starts = {0, 3, 8};
    EXPECT_OK(device->copyToDevice(blockTable.data(), table.data(), 24));
    EXPECT_OK(device->copyToDevice(seqLens.data(), lens.data(), 8));
    EXPECT_OK(device->copyToDevice(cuSeqlensQ.data(), starts.data(), 12));
    EXPECT_OK(device->memset(q.data(), 0, q.size()));
    clearOutputs();

    args = AttentionArgs();
    args.q =
        TensorRef::make(q.data(), DType::F32, {kTokens, kHeads, kHeadSize});
    args.kCache = TensorRef::make(kCache.data(), DType::F32,
                                  {kBlocks, kBlockSize, kKvHeads, kHeadSize});
    args.vCache = TensorRef::make(vCache.data(), DType::F32,
                                  {kBlocks, kBlockSize, kKvHeads, kHeadSize});
    args.blockTable =
        TensorRef::make(blockTable.data(), DType::I32, {kSeqs, kMaxBlocks});
    args.seqLens = TensorRef::make(seqLens.data(), DType::I32, {kSeqs});
    args.cuSeqlensQ =
        TensorRef::make(cuSeqlensQ.data(), DType::I32, {kSeqs + 1});
    args.out =
        TensorRef::make(out.data(), DType::F32, {kTokens, kHeads, kHeadSize});
    args.lse = TensorRef::make(lse.data(), DType::F32, {kTokens, kHeads});
  }

  void clearOutputs() {
    EXPECT_OK(device->memset(out.data(), 0, out.size()));
    EXPECT_OK(device->memset(lse.data(), 0, lse.size()));
    EXPECT_OK(device->synchronize());
  }

  /// out[pid] as the probes leave it after `times2d` 2D runs and
  /// `timesSplit` split runs.
  static std::vector<uint32_t> expectedCounts(uint32_t times2d,
                                              uint32_t timesSplit) {
    std::vector<uint32_t> expected(kOutWords, 0);
    for (int64_t pid = 0; pid < kOutWords; ++pid) {
      if (pid < k2dPrograms)
        expected[pid] += times2d;
      if (pid < kSplitPrograms)
        expected[pid] += 16 * timesSplit;
      if (pid < kReducePrograms)
        expected[pid] += 256 * timesSplit;
    }
    return expected;
  }

  static std::vector<uint32_t> header(const std::vector<uint32_t> &lseWords,
                                      int at) {
    return std::vector<uint32_t>(lseWords.begin() + at,
                                 lseWords.begin() + at + 6);
  }

  /// Checks a header; its LDS word (index 4) is the dispatch's group segment
  /// on a GPU, which is at least the dynamic shared memory asked for.
  static void expectHeader(const std::vector<uint32_t> &actual,
                           const std::vector<uint32_t> &expected) {
    ASSERT_EQ(actual.size(), expected.size());
    for (size_t i = 0; i < actual.size(); ++i) {
      if (i == 4)
        EXPECT_GE(actual[i], expected[i]) << "header word " << i;
      else
        EXPECT_EQ(actual[i], expected[i]) << "header word " << i;
    }
  }

  std::unique_ptr<Device> device;
  std::shared_ptr<hip::HIPDriver> driver;
  TempDir dir;
  std::string image, noProbe;
  Buffer q, kCache, vCache, blockTable, seqLens, cuSeqlensQ, out, lse;
  AttentionArgs args;
};

#define REQUIRE_PROBE()                                                        \
  if (!haveProbe())                                                            \
  GTEST_SKIP() << noProbe

TEST_F(HIPDeviceTest, OpensAndDescribes) {
  EXPECT_EQ(device->kind(), DeviceKind::HIP);
  EXPECT_EQ(device->ordinal(), 0);
  EXPECT_FALSE(device->isHostAccessible());
  EXPECT_GE(device->parallelism(), 1);
  EXPECT_EQ(device->name().rfind("hip:0 (", 0), 0u) << device->name();
  EXPECT_TRUE(contains(device->name(), " CUs")) << device->name();
  EXPECT_OK(device->synchronize());
  StatusOr<std::unique_ptr<Device>> again = Device::open(DeviceKind::HIP, 0);
  ASSERT_OK(again);
  EXPECT_EQ((*again)->name(), device->name());
}

TEST_F(HIPDeviceTest, MemoryRoundTrips) {
  std::vector<int32_t> host(1000), back(1000, 0);
  for (int i = 0; i < 1000; ++i)
    host[i] = i * 7 - 3;
  size_t bytes = host.size() * sizeof(int32_t);
  Buffer a = allocate(bytes), b = allocate(bytes);
  ASSERT_NE(a.data(), nullptr);
  ASSERT_NE(b.data(), nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(a.data()) % 64, 0u);
  ASSERT_OK(device->copyToDevice(a.data(), host.data(), bytes));
  ASSERT_OK(device->copyOnDevice(b.data(), a.data(), bytes));
  ASSERT_OK(device->copyToHost(back.data(), b.data(), bytes));
  EXPECT_EQ(host, back);
  ASSERT_OK(device->memset(b.data(), 0xab, bytes));
  ASSERT_OK(device->copyToHost(back.data(), b.data(), bytes));
  EXPECT_EQ(back, std::vector<int32_t>(1000, static_cast<int32_t>(0xabababab)));
  // A part of a buffer.
  ASSERT_OK(device->memset(b.data(), 0, 8));
  ASSERT_OK(device->copyToHost(back.data(), b.data(), 12));
  EXPECT_EQ(back[0], 0);
  EXPECT_EQ(back[1], 0);
  EXPECT_EQ(back[2], static_cast<int32_t>(0xabababab));

  EXPECT_OK(device->copyToHost(nullptr, nullptr, 0));
  Status bad = device->copyToDevice(nullptr, host.data(), 4);
  ASSERT_FALSE(bad.isOk());
  EXPECT_TRUE(contains(bad.message(), "null destination")) << bad.message();
  EXPECT_FALSE(device->memset(nullptr, 0, 4).isOk());

  StatusOr<Buffer> empty = device->allocate(0);
  ASSERT_OK(empty);
  EXPECT_EQ(empty->data(), nullptr);

  StatusOr<void *> raw = device->allocateRaw(256);
  ASSERT_OK(raw);
  EXPECT_OK(device->free(*raw));
  Status twice = device->free(*raw);
  ASSERT_FALSE(twice.isOk());
  EXPECT_EQ(twice.code(), StatusCode::InvalidArgument);
  EXPECT_TRUE(contains(twice.message(), "did not allocate (or already freed)"))
      << twice.message();
  EXPECT_OK(device->free(nullptr));

  StatusOr<Buffer> huge = device->allocate(size_t(1) << 60);
  ASSERT_FALSE(huge.isOk());
  EXPECT_EQ(huge.status().code(), StatusCode::OutOfMemory)
      << huge.status().toString();
  EXPECT_TRUE(contains(huge.status().message(), "hipMalloc"))
      << huge.status().message();
  EXPECT_OK(device->synchronize());
}

TEST_F(HIPDeviceTest, LoadsAProbeBundle) {
  REQUIRE_PROBE();
  std::unique_ptr<Module> module = loadProbe();
  ASSERT_NE(module, nullptr);
  ASSERT_EQ(module->kernels().size(), 2u);
  EXPECT_EQ(module->kernels()[0].name, "probe");
  EXPECT_EQ(module->kernels()[1].name, "cache");
  ASSERT_OK(module->function("probe_split"));
  EXPECT_TRUE(contains(module->path(), "probe.hsaco")) << module->path();

  // The manifest's path loads the same bundle.
  std::string stem = module->path().substr(0, module->path().size() - 6);
  StatusOr<std::unique_ptr<Module>> again = device->loadModule(stem + ".json");
  ASSERT_OK(again);
  EXPECT_EQ((*again)->kernels().size(), 2u);
  EXPECT_EQ((*again)->path(), module->path());
}

TEST_F(HIPDeviceTest, Runs2D) {
  REQUIRE_PROBE();
  std::unique_ptr<Module> module = loadProbe();
  ASSERT_NE(module, nullptr);
  StatusOr<std::unique_ptr<AttentionKernel>> kernel =
      AttentionKernel::create(*device, *module, "probe", 16);
  ASSERT_OK(kernel);
  makeBatch();
  args.path = Path::TwoD;
  ASSERT_OK((*kernel)->run(args));
  ASSERT_OK(device->synchronize());
  EXPECT_EQ((*kernel)->lastPath(), Path::TwoD);
  EXPECT_EQ(read(out, kOutWords), expectedCounts(1, 0));
  std::vector<uint32_t> lseWords = read(lse, kLseWords);
  // num_seqs, num_tokens, max_blocks_per_seq, blockDim.x, shared bytes,
  // q and block_table given, no partial_out.
  expectHeader(header(lseWords, 0), {2, 8, 3, 32, 0, 3});
  EXPECT_EQ(header(lseWords, 6), std::vector<uint32_t>(6, 0));

  // Without a hint, a GPU cannot read seq_lens and Auto takes the 2D path.
  clearOutputs();
  args.path = Path::Auto;
  ASSERT_OK((*kernel)->run(args));
  ASSERT_OK(device->synchronize());
  EXPECT_EQ((*kernel)->lastPath(), Path::TwoD);
  EXPECT_EQ(read(out, kOutWords), expectedCounts(1, 0));
}

TEST_F(HIPDeviceTest, RunsSplitThenReduce) {
  REQUIRE_PROBE();
  std::unique_ptr<Module> module = loadProbe();
  ASSERT_NE(module, nullptr);
  StatusOr<std::unique_ptr<AttentionKernel>> kernel =
      AttentionKernel::create(*device, *module, "probe", 16);
  ASSERT_OK(kernel);
  EXPECT_GT((*kernel)->workspaceBytes(), 0u);
  makeBatch();
  args.path = Path::Split;
  ASSERT_OK((*kernel)->run(args));
  ASSERT_OK(device->synchronize());
  EXPECT_EQ((*kernel)->lastPath(), Path::Split);
  EXPECT_EQ(read(out, kOutWords), expectedCounts(0, 1));
  std::vector<uint32_t> lseWords = read(lse, kLseWords);
  EXPECT_EQ(header(lseWords, 0), std::vector<uint32_t>(6, 0));
  // The split function got 64 KiB of dynamic shared memory (above 48 KiB)
  // and the workspace.
  expectHeader(header(lseWords, 6), {2, 8, 3, 64, 65536, 7});
  expectHeader(header(lseWords, 12), {2, 8, 3, 16, 1024, 7});
}

TEST_F(HIPDeviceTest, RunsACacheWrite) {
  REQUIRE_PROBE();
  std::unique_ptr<Module> module = loadProbe();
  ASSERT_NE(module, nullptr);
  StatusOr<std::unique_ptr<CacheWriteKernel>> kernel =
      CacheWriteKernel::create(*device, *module, "cache");
  ASSERT_OK(kernel);
  constexpr int64_t tokens = 5, blocks = 3;
  constexpr int64_t cacheWords = blocks * kBlockSize * kKvHeads * kHeadSize;
  Buffer key = allocate(tokens * kKvHeads * kHeadSize * 4);
  Buffer value = allocate(tokens * kKvHeads * kHeadSize * 4);
  Buffer kc = allocate(cacheWords * 4), vc = allocate(cacheWords * 4);
  Buffer slots = allocate(tokens * 8);
  ASSERT_OK(device->memset(kc.data(), 0, kc.size()));
  ASSERT_OK(device->memset(vc.data(), 0, vc.size()));
  std::vector<int64_t> slotValues = {0, 5, -1, 11, 2};
  ASSERT_OK(device->copyToDevice(slots.data(), slotValues.data(), 40));
  ASSERT_OK((*kernel)->run(
      TensorRef::make(key.data(), DType::F32, {tokens, kKvHeads, kHeadSize}),
      TensorRef::make(value.data(), DType::F32, {tokens, kKvHeads, kHeadSize}),
      TensorRef::make(kc.data(), DType::F32,
                      {blocks, kBlockSize, kKvHeads, kHeadSize}),
      TensorRef::make(vc.data(), DType::F32,
                      {blocks, kBlockSize, kKvHeads, kHeadSize}),
      TensorRef::make(slots.data(), DType::I64, {tokens})));
  ASSERT_OK(device->synchronize());
  std::vector<uint32_t> counts = read(kc, cacheWords);
  for (int64_t pid = 0; pid < cacheWords; ++pid)
    EXPECT_EQ(counts[pid], pid < tokens * kKvHeads ? 1u : 0u) << pid;
  std::vector<uint32_t> head = read(vc, 4);
  // num_tokens, num_slots = 3 * 4, blockDim.x, key and slot_mapping given.
  EXPECT_EQ(head, (std::vector<uint32_t>{5, 12, 32, 3}));
}

TEST_F(HIPDeviceTest, RunsOnAStream) {
  REQUIRE_PROBE();
  std::unique_ptr<Module> module = loadProbe();
  ASSERT_NE(module, nullptr);
  StatusOr<std::unique_ptr<AttentionKernel>> kernel =
      AttentionKernel::create(*device, *module, "probe", 16);
  ASSERT_OK(kernel);
  makeBatch();
  hip::hipStream_t stream = nullptr;
  ASSERT_HIP(hipStreamCreateWithFlags(&stream, hip::hipStreamNonBlocking));
  args.stream = stream;
  args.path = Path::TwoD;
  EXPECT_OK((*kernel)->run(args));
  args.path = Path::Split;
  EXPECT_OK((*kernel)->run(args));
  EXPECT_HIP(hipStreamSynchronize(stream));
  EXPECT_EQ(read(out, kOutWords), expectedCounts(1, 1));
  EXPECT_HIP(hipStreamDestroy(stream));
}

TEST_F(HIPDeviceTest, CapturesRunsInAGraph) {
  REQUIRE_PROBE();
  const hip::DriverApi &api = driver->api();
  if (!api.hipStreamBeginCapture || !api.hipStreamEndCapture ||
      !api.hipGraphInstantiateWithFlags || !api.hipGraphLaunch ||
      !api.hipGraphDestroy || !api.hipGraphExecDestroy)
    GTEST_SKIP() << "the HIP runtime (" << driver->libraryName()
                 << ") has no stream capture";
  std::unique_ptr<Module> module = loadProbe();
  ASSERT_NE(module, nullptr);
  StatusOr<std::unique_ptr<AttentionKernel>> kernel =
      AttentionKernel::create(*device, *module, "probe", 16);
  ASSERT_OK(kernel);
  makeBatch();

  hip::hipStream_t stream = nullptr;
  ASSERT_HIP(hipStreamCreateWithFlags(&stream, hip::hipStreamNonBlocking));
  args.stream = stream;
  ASSERT_HIP(hipStreamBeginCapture(stream, hip::hipStreamCaptureModeGlobal));
  args.path = Path::TwoD;
  Status twoD = (*kernel)->run(args);
  args.path = Path::Split;
  Status split = (*kernel)->run(args);
  hip::hipGraph_t graph = nullptr;
  hip::hipError_t ended = api.hipStreamEndCapture(stream, &graph);
  EXPECT_OK(twoD);
  EXPECT_OK(split);
  ASSERT_OK(driver->check("hipStreamEndCapture", ended));
  ASSERT_NE(graph, nullptr);

  // Capturing ran nothing.
  EXPECT_EQ(read(out, kOutWords), expectedCounts(0, 0));

  hip::hipGraphExec_t exec = nullptr;
  EXPECT_HIP(hipGraphInstantiateWithFlags(&exec, graph, 0));
  if (exec) {
    EXPECT_HIP(hipGraphLaunch(exec, stream));
    EXPECT_HIP(hipGraphLaunch(exec, stream));
    EXPECT_HIP(hipStreamSynchronize(stream));
    EXPECT_EQ(read(out, kOutWords), expectedCounts(2, 2));
    EXPECT_HIP(hipGraphExecDestroy(exec));
  }
  EXPECT_HIP(hipGraphDestroy(graph));
  EXPECT_HIP(hipStreamDestroy(stream));
}

TEST_F(HIPDeviceTest, RunOnAStreamAllocatesNothing) {
  REQUIRE_PROBE();
  if (!attn::rt::test::countsAllocations())
    GTEST_SKIP() << "operator new is not counted in this build";
#ifndef ATTN_TEST_FAKE_HIP
  // The ROCm runtime is C++: its own launch path allocates with operator
  // new, which this program counts too. AttnRuntimeHIPFakeTests checks the
  // backend's launch path alone.
  GTEST_SKIP() << "the HIP runtime's own allocations are counted here; "
                  "AttnRuntimeHIPFakeTests checks the backend";
#endif
  std::unique_ptr<Module> module = loadProbe();
  ASSERT_NE(module, nullptr);
  StatusOr<std::unique_ptr<AttentionKernel>> kernel =
      AttentionKernel::create(*device, *module, "probe", 16);
  ASSERT_OK(kernel);
  makeBatch();
  hip::hipStream_t stream = nullptr;
  ASSERT_HIP(hipStreamCreateWithFlags(&stream, hip::hipStreamNonBlocking));
  args.stream = stream;
  AttentionArgs twoD = args, split = args;
  twoD.path = Path::TwoD;
  split.path = Path::Split;
  ASSERT_OK((*kernel)->run(twoD)); // Warm-up.
  ASSERT_OK((*kernel)->run(split));

  uint64_t before = attn::rt::test::allocationCount();
  bool ok = true;
  for (int i = 0; i < 3; ++i) {
    ok = ok && (*kernel)->run(twoD).isOk();
    ok = ok && (*kernel)->run(split).isOk();
  }
  uint64_t after = attn::rt::test::allocationCount();
  EXPECT_TRUE(ok);
  EXPECT_EQ(after - before, 0u);

  EXPECT_HIP(hipStreamSynchronize(stream));
  EXPECT_EQ(read(out, kOutWords), expectedCounts(4, 4));
  EXPECT_HIP(hipStreamDestroy(stream));
}

TEST_F(HIPDeviceTest, NotACodeObjectIsAnError) {
  dir.write("bad.json", probeManifest(defaultLaunch()));
  std::string hsaco = dir.write("bad.hsaco", "this is not a code object\n");
  StatusOr<std::unique_ptr<Module>> module = device->loadModule(hsaco);
  ASSERT_FALSE(module.isOk());
  const std::string &message = module.status().message();
  // The ROCm runtime's error for an image it cannot read (most likely
  // hipErrorInvalidImage or hipErrorInvalidKernelFile) maps to
  // InvalidArgument; an unknown one to Internal.
  EXPECT_TRUE(module.status().code() == StatusCode::InvalidArgument ||
              module.status().code() == StatusCode::Internal)
      << module.status().toString();
  EXPECT_TRUE(contains(message, "cannot load hip module '")) << message;
  EXPECT_TRUE(contains(message, "bad.hsaco")) << message;
  EXPECT_TRUE(contains(message, "hipModuleLoadData failed: ")) << message;
}

TEST_F(HIPDeviceTest, LaunchMetadataIsRequired) {
  REQUIRE_PROBE();
  std::string hsaco = dir.write("meta.hsaco", image);
  auto loadWith = [&](const std::string &launch) {
    dir.write("meta.json", probeManifest(launch));
    return device->loadModule(hsaco);
  };
  struct Case {
    std::string launch;
    std::string error;
  } cases[] = {
      {"", "kernel 'probe': no launch metadata"},
      {std::string("{") + kLaunch2d + ", " + kLaunchSplit + "}",
       "no launch metadata for function 'probe_reduce'"},
      {std::string("{") + kLaunch2d + ", " + kLaunchSplit +
           R"(, "probe_reduce": {"shared_bytes": 0}})",
       "missing key \"block\""},
      {std::string("{") + kLaunch2d + ", " + kLaunchSplit +
           R"(, "probe_reduce": {"block": [2048, 1, 1]}})",
       "\"block\" dim 0 must be an integer in [1, "},
      {std::string("{") + kLaunch2d + ", " + kLaunchSplit +
           R"(, "probe_reduce": {"block": [32, 32, 2]}})",
       "2048 threads"},
      {std::string("{") + kLaunch2d + ", " + kLaunchSplit +
           R"(, "probe_reduce": {"block": [32], "shared_bytes": 1000000000}})",
       "exceeds the device's limit"},
      {std::string("{") + kLaunch2d + ", " + kLaunchSplit +
           R"(, "probe_reduce": {"block": [32], "shared_bytes": -1}})",
       "\"shared_bytes\" must be a non-negative integer"},
  };
  for (const Case &c : cases) {
    StatusOr<std::unique_ptr<Module>> module = loadWith(c.launch);
    ASSERT_FALSE(module.isOk()) << c.launch;
    EXPECT_EQ(module.status().code(), StatusCode::InvalidArgument)
        << module.status().toString();
    EXPECT_TRUE(contains(module.status().message(), c.error))
        << module.status().message();
    EXPECT_TRUE(contains(module.status().message(), "meta.hsaco"))
        << module.status().message();
  }
  // Without extra keys the manifest loads (block may have fewer dims and
  // shared_bytes defaults to 0).
  StatusOr<std::unique_ptr<Module>> module =
      loadWith(std::string("{") + kLaunch2d + ", " + kLaunchSplit +
               R"(, "probe_reduce": {"block": [16, 2]}})");
  EXPECT_OK(module);
}

TEST_F(HIPDeviceTest, BundlePaths) {
  std::string hsaco = dir.write("lonely.hsaco", "not read");
  StatusOr<std::unique_ptr<Module>> noManifest = device->loadModule(hsaco);
  ASSERT_FALSE(noManifest.isOk());
  EXPECT_EQ(noManifest.status().code(), StatusCode::NotFound);
  EXPECT_TRUE(contains(noManifest.status().message(), "lonely.json"))
      << noManifest.status().message();
  EXPECT_TRUE(contains(noManifest.status().message(),
                       "(a GPU bundle is <stem>.hsaco plus the manifest "
                       "<stem>.json)"))
      << noManifest.status().message();

  std::string json = dir.write("imageless.json", probeManifest(""));
  StatusOr<std::unique_ptr<Module>> noImage = device->loadModule(json);
  ASSERT_FALSE(noImage.isOk());
  EXPECT_EQ(noImage.status().code(), StatusCode::NotFound);
  EXPECT_TRUE(contains(noImage.status().message(), "imageless.hsaco"))
      << noImage.status().message();

  StatusOr<std::unique_ptr<Module>> missing =
      device->loadModule(hsaco + ".does-not-exist.hsaco");
  ASSERT_FALSE(missing.isOk());
  EXPECT_EQ(missing.status().code(), StatusCode::NotFound);

  std::string empty = dir.write("empty.hsaco", "");
  dir.write("empty.json", probeManifest(defaultLaunch()));
  StatusOr<std::unique_ptr<Module>> emptyImage = device->loadModule(empty);
  ASSERT_FALSE(emptyImage.isOk());
  EXPECT_EQ(emptyImage.status().code(), StatusCode::InvalidArgument);
  EXPECT_TRUE(contains(emptyImage.status().message(), "the file is empty"))
      << emptyImage.status().message();

  StatusOr<std::unique_ptr<Module>> hostBundle =
      device->loadModule(ATTN_TEST_KERNELS_PATH);
  ASSERT_FALSE(hostBundle.isOk());
  EXPECT_EQ(hostBundle.status().code(), StatusCode::InvalidArgument);
  EXPECT_TRUE(contains(hostBundle.status().message(),
                       "a GPU bundle is loaded from its image (<stem>.hsaco, "
                       "with the manifest <stem>.json beside it)"))
      << hostBundle.status().message();
  // A CUDA image is not a HIP bundle.
  StatusOr<std::unique_ptr<Module>> ptx =
      device->loadModule(dir.write("cuda.ptx", "// ptx"));
  ASSERT_FALSE(ptx.isOk());
  EXPECT_EQ(ptx.status().code(), StatusCode::InvalidArgument);
}

TEST_F(HIPDeviceTest, LaunchChecksTheFunction) {
  REQUIRE_PROBE();
  std::unique_ptr<Module> module = loadProbe();
  ASSERT_NE(module, nullptr);
  StatusOr<Function> write = module->function("probe_write");
  StatusOr<Function> twoD = module->function("probe_2d");
  ASSERT_OK(write);
  ASSERT_OK(twoD);
  AttentionLaunchParams params;
  Status wrongKind = device->launch(*write, 2, params, nullptr);
  ASSERT_FALSE(wrongKind.isOk());
  EXPECT_TRUE(contains(wrongKind.message(), "it is a write function taking 9"))
      << wrongKind.message();
  // probe_2d's grid is [n, kv_heads = 2, 1]: 5 programs do not fit.
  Status ragged = device->launch(*twoD, 5, params, nullptr);
  ASSERT_FALSE(ragged.isOk());
  EXPECT_EQ(ragged.code(), StatusCode::Internal);
  EXPECT_OK(device->launch(*twoD, 0, params, nullptr));
  EXPECT_FALSE(device->launch(Function(), 2, params, nullptr).isOk());
  // An AMD dispatch counts work-items in 32 bits per dimension: 2^27 + 1
  // blocks of 32 threads do not fit.
  Status tooMany =
      device->launch(*twoD, ((int64_t(1) << 27) + 1) * 2, params, nullptr);
  ASSERT_FALSE(tooMany.isOk());
  EXPECT_EQ(tooMany.code(), StatusCode::InvalidArgument);
  EXPECT_TRUE(contains(tooMany.message(), "work-items")) << tooMany.message();
}

} // namespace
