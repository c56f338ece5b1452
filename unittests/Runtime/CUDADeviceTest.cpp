//===- CUDADeviceTest.cpp - Tests of the CUDA backend ---------------------===//
//
// Part of the attn project, the runtime unit tests.
//
//===----------------------------------------------------------------------===//
//
// Tests that need a GPU skip with "no CUDA device: <reason>" where none can
// be opened; CUDAOpenTest checks what opening reports on such machines.
//
// On a GPU the launch tests load a hand-written PTX bundle (written to a
// temporary directory with its manifest): probe kernels with the exact ABI
// parameter lists (.u64 for buffers, .u32 for int32 scalars) in which
// thread (0, 0, 0) of every block adds a per-function value to
// out[pid], pid = (blockIdx.x * gridDim.y + blockIdx.y) * gridDim.z +
// blockIdx.z (the ABI's linear program id), and program 0 writes a header
// of the arguments it received. So a test sees that every program ran
// exactly once, on which grid, and with which arguments:
//
//   probe_2d      adds 1,   header at lse[0, 6)
//   probe_split   adds 16,  header at lse[6, 12)
//   probe_reduce  adds 256, header at lse[12, 18)
//   header = {num_seqs, num_tokens, max_blocks_per_seq, blockDim.x,
//             dynamic shared bytes, q != 0 | (block_table != 0) << 1 |
//             (partial_out != 0) << 2}
//   probe_write   adds 1 to k_cache[pid] (as u32), header at v_cache[0, 4):
//             {num_tokens, num_slots, blockDim.x,
//              key != 0 | (slot_mapping != 0) << 1 | (k_scale != 0) << 2}
//
// The PTX targets sm_80 (.version 7.0), which the driver JITs for newer
// GPUs.
//
//===----------------------------------------------------------------------===//

#include "TestFiles.h"
#include "TestUtil.h"

#include "CUDA/CUDADriver.h"

#include "attn/Runtime/AttentionKernel.h"
#include "attn/Runtime/CacheWriteKernel.h"
#include "attn/Runtime/Device.h"
#include "attn/Runtime/Module.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

using namespace attn::rt;
namespace cu = attn::rt::cuda;

namespace {

using test::contains;
using test::TempDir;

//===----------------------------------------------------------------------===//
// The probe bundle
//===----------------------------------------------------------------------===//

std::string ptxParams(int numPointers, int numInts) {
  std::string text;
  for (int i = 0; i < numPointers + numInts; ++i) {
    text += i < numPointers ? "\t.param .u64 a" : "\t.param .u32 a";
    text += std::to_string(i);
    text += i + 1 < numPointers + numInts ? ",\n" : "\n";
  }
  return text;
}

/// The ABI's linear program id into %r7; threads other than (0, 0, 0)
/// branch to $Ldone.
const char *kProgramId = R"(
	mov.u32 %r1, %ctaid.x;
	mov.u32 %r2, %ctaid.y;
	mov.u32 %r3, %ctaid.z;
	mov.u32 %r4, %nctaid.y;
	mov.u32 %r5, %nctaid.z;
	mad.lo.u32 %r6, %r1, %r4, %r2;
	mad.lo.u32 %r7, %r6, %r5, %r3;
	mov.u32 %r8, %tid.x;
	mov.u32 %r9, %tid.y;
	mov.u32 %r10, %tid.z;
	or.b32 %r11, %r8, %r9;
	or.b32 %r12, %r11, %r10;
	setp.ne.u32 %p1, %r12, 0;
	@%p1 bra $Ldone;
)";

/// An attention probe (23 ABI parameters) that adds `value` to out[pid]
/// and writes its header at lse[header, header + 6).
std::string attentionProbe(const std::string &name, int value, int header) {
  return ".visible .entry " + name + "(\n" + ptxParams(18, 5) +
         ")\n{\n"
         "\t.reg .pred %p<4>;\n\t.reg .b32 %r<32>;\n\t.reg .b64 %rd<16>;\n" +
         kProgramId +
         "\tld.param.u64 %rd1, [a14];\n"
         "\tcvta.to.global.u64 %rd2, %rd1;\n"
         "\tmul.wide.u32 %rd3, %r7, 4;\n"
         "\tadd.s64 %rd4, %rd2, %rd3;\n"
         "\tatom.global.add.u32 %r13, [%rd4], " +
         std::to_string(value) +
         ";\n"
         "\tsetp.ne.u32 %p2, %r7, 0;\n"
         "\t@%p2 bra $Ldone;\n"
         "\tld.param.u64 %rd5, [a15];\n"
         "\tcvta.to.global.u64 %rd6, %rd5;\n"
         "\tadd.s64 %rd7, %rd6, " +
         std::to_string(header * 4) +
         ";\n"
         "\tld.param.u32 %r14, [a18];\n"
         "\tst.global.u32 [%rd7], %r14;\n"
         "\tld.param.u32 %r15, [a19];\n"
         "\tst.global.u32 [%rd7+4], %r15;\n"
         "\tld.param.u32 %r16, [a20];\n"
         "\tst.global.u32 [%rd7+8], %r16;\n"
         "\tmov.u32 %r17, %ntid.x;\n"
         "\tst.global.u32 [%rd7+12], %r17;\n"
         "\tmov.u32 %r18, %dynamic_smem_size;\n"
         "\tst.global.u32 [%rd7+16], %r18;\n"
         "\tld.param.u64 %rd8, [a0];\n"
         "\tsetp.ne.u64 %p3, %rd8, 0;\n"
         "\tselp.u32 %r19, 1, 0, %p3;\n"
         "\tld.param.u64 %rd9, [a3];\n"
         "\tsetp.ne.u64 %p3, %rd9, 0;\n"
         "\tselp.u32 %r20, 2, 0, %p3;\n"
         "\tld.param.u64 %rd10, [a16];\n"
         "\tsetp.ne.u64 %p3, %rd10, 0;\n"
         "\tselp.u32 %r21, 4, 0, %p3;\n"
         "\tor.b32 %r22, %r19, %r20;\n"
         "\tor.b32 %r23, %r22, %r21;\n"
         "\tst.global.u32 [%rd7+20], %r23;\n"
         "$Ldone:\n"
         "\tret;\n"
         "}\n";
}

/// A cache-write probe (9 ABI parameters): adds 1 to k_cache[pid] (as
/// u32) and writes its header at v_cache[0, 4).
std::string cacheWriteProbe(const std::string &name) {
  return ".visible .entry " + name + "(\n" + ptxParams(7, 2) +
         ")\n{\n"
         "\t.reg .pred %p<4>;\n\t.reg .b32 %r<32>;\n\t.reg .b64 %rd<16>;\n" +
         kProgramId +
         "\tld.param.u64 %rd1, [a2];\n"
         "\tcvta.to.global.u64 %rd2, %rd1;\n"
         "\tmul.wide.u32 %rd3, %r7, 4;\n"
         "\tadd.s64 %rd4, %rd2, %rd3;\n"
         "\tatom.global.add.u32 %r13, [%rd4], 1;\n"
         "\tsetp.ne.u32 %p2, %r7, 0;\n"
         "\t@%p2 bra $Ldone;\n"
         "\tld.param.u64 %rd5, [a3];\n"
         "\tcvta.to.global.u64 %rd7, %rd5;\n"
         "\tld.param.u32 %r14, [a7];\n"
         "\tst.global.u32 [%rd7], %r14;\n"
         "\tld.param.u32 %r15, [a8];\n"
         "\tst.global.u32 [%rd7+4], %r15;\n"
         "\tmov.u32 %r17, %ntid.x;\n"
         "\tst.global.u32 [%rd7+8], %r17;\n"
         "\tld.param.u64 %rd8, [a0];\n"
         "\tsetp.ne.u64 %p3, %rd8, 0;\n"
         "\tselp.u32 %r19, 1, 0, %p3;\n"
         "\tld.param.u64 %rd9, [a4];\n"
         "\tsetp.ne.u64 %p3, %rd9, 0;\n"
         "\tselp.u32 %r20, 2, 0, %p3;\n"
         "\tld.param.u64 %rd10, [a5];\n"
         "\tsetp.ne.u64 %p3, %rd10, 0;\n"
         "\tselp.u32 %r21, 4, 0, %p3;\n"
         "\tor.b32 %r22, %r19, %r20;\n"
         "\tor.b32 %r23, %r22, %r21;\n"
         "\tst.global.u32 [%rd7+12], %r23;\n"
         "$Ldone:\n"
         "\tret;\n"
         "}\n";
}

const char *kPtxHeader = ".version 7.0\n.target sm_80\n.address_size 64\n\n";

std::string probePtx() {
  return std::string(kPtxHeader) + attentionProbe("probe_2d", 1, 0) + "\n" +
         attentionProbe("probe_split", 16, 6) + "\n" +
         attentionProbe("probe_reduce", 256, 12) + "\n" +
         cacheWriteProbe("probe_write");
}

/// PTX with a valid header and an invalid instruction.
std::string badPtx() {
  return std::string(kPtxHeader) + ".visible .entry probe_2d(\n" +
         ptxParams(18, 5) +
         ")\n{\n\t.reg .b32 %r<4>;\n\tnot_an_instruction.u32 %r1, %r2;\n"
         "\tret;\n}\n";
}

// Probe shapes: heads 4, kv_heads 2, head_size 8, block_size 4, block_q 2,
// segments 3, lse=1.
constexpr const char *kLaunch2d =
    R"("probe_2d": {"block": [32, 1, 1], "shared_bytes": 0})";
constexpr const char *kLaunchSplit =
    R"("probe_split": {"block": [64, 1, 1], "shared_bytes": 65536})";
constexpr const char *kLaunchReduce =
    R"("probe_reduce": {"block": [16, 2, 1], "shared_bytes": 1024})";
constexpr const char *kLaunchWrite =
    R"("probe_write": {"block": [32], "shared_bytes": 0})";

std::string defaultLaunch() {
  return std::string("{") + kLaunch2d + ", " + kLaunchSplit + ", " +
         kLaunchReduce + "}";
}

/// The manifest of the probe bundle; `launch` is the attention kernel's
/// "launch" value (empty: no "launch" key).
std::string probeManifest(const std::string &launch) {
  std::string text =
      R"({"version": 2, "kernels": [
 {"name": "probe", "kind": "attention", "spec": "probe",
  "heads": 4, "kv_heads": 2, "head_size": 8, "head_size_v": 8,
  "block_size": 4, "kv_layout": "paged", "dtype": "f32",
  "kv_dtype": "auto", "out_dtype": "f32", "causal": 1, "sinks": 0,
  "alibi": "none", "mm_prefix": 0, "qq_bias": 0, "lse": 1,
  "scale": 0.35, "block_q": 2, "block_m": 4, "block_n": 4, "segments": 3,
  "functions": {"2d": "probe_2d", "split": "probe_split",
                "reduce": "probe_reduce"})";
  if (!launch.empty())
    text += ",\n  \"launch\": " + launch;
  text += R"(},
 {"name": "cache", "kind": "cache_write", "kv_heads": 2, "head_size": 8,
  "block_size": 4, "dtype": "f32", "kv_dtype": "auto",
  "functions": {"write": "probe_write"},
  "launch": {)";
  text += kLaunchWrite;
  text += "}}\n]}\n";
  return text;
}

//===----------------------------------------------------------------------===//
// Without a device
//===----------------------------------------------------------------------===//

bool driverLibraryLoads() {
  void *handle = dlopen(cu::kDriverLibrary, RTLD_NOW | RTLD_LOCAL);
  if (handle)
    dlclose(handle);
  return handle != nullptr;
}

TEST(CUDAOpenTest, SaysWhyItCannotOpen) {
  StatusOr<std::unique_ptr<Device>> opened = Device::open(DeviceKind::CUDA, 0);
  if (opened.isOk())
    GTEST_SKIP() << "a CUDA device is present: " << (*opened)->name();
  const std::string &message = opened.status().message();
  if (!driverLibraryLoads()) {
    EXPECT_EQ(opened.status().code(), StatusCode::Unavailable);
    EXPECT_EQ(message, "no CUDA driver (libcuda.so.1 not found)");
  } else {
    // A driver without a usable device (or a stub library).
    EXPECT_TRUE(opened.status().code() == StatusCode::Unavailable ||
                opened.status().code() == StatusCode::NotFound)
        << opened.status().toString();
    EXPECT_TRUE(contains(message, "CUDA") || contains(message, "cuda"))
        << message;
  }
}

TEST(CUDAOpenTest, MissingOrdinal) {
  StatusOr<std::unique_ptr<Device>> opened =
      Device::open(DeviceKind::CUDA, 1000);
  ASSERT_FALSE(opened.isOk());
  const std::string &message = opened.status().message();
  if (opened.status().code() == StatusCode::NotFound) {
    EXPECT_TRUE(contains(message, "cuda device 1000 does not exist ("))
        << message;
  } else {
    EXPECT_EQ(opened.status().code(), StatusCode::Unavailable) << message;
  }
}

TEST(CUDAOpenTest, DriverErrorCodes) {
  EXPECT_EQ(cu::statusCodeFor(cu::CUDA_SUCCESS), StatusCode::Ok);
  EXPECT_EQ(cu::statusCodeFor(cu::CUDA_ERROR_OUT_OF_MEMORY),
            StatusCode::OutOfMemory);
  EXPECT_EQ(cu::statusCodeFor(cu::CUDA_ERROR_NO_DEVICE),
            StatusCode::Unavailable);
  EXPECT_EQ(cu::statusCodeFor(cu::CUDA_ERROR_STUB_LIBRARY),
            StatusCode::Unavailable);
  EXPECT_EQ(cu::statusCodeFor(cu::CUDA_ERROR_INVALID_PTX),
            StatusCode::InvalidArgument);
  EXPECT_EQ(cu::statusCodeFor(cu::CUDA_ERROR_INVALID_IMAGE),
            StatusCode::InvalidArgument);
  EXPECT_EQ(cu::statusCodeFor(700), StatusCode::Internal); // illegal address
}

//===----------------------------------------------------------------------===//
// On a device
//===----------------------------------------------------------------------===//

#define ASSERT_CU(call)                                                        \
  ASSERT_OK(driver->check(#call, driver->api().call))
#define EXPECT_CU(call)                                                        \
  EXPECT_OK(driver->check(#call, driver->api().call))

class CUDADeviceTest : public ::testing::Test {
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
    StatusOr<std::unique_ptr<Device>> opened =
        Device::open(DeviceKind::CUDA, 0);
    if (!opened.isOk())
      GTEST_SKIP() << "no CUDA device: " << opened.status().toString();
    device = std::move(*opened);
    StatusOr<std::shared_ptr<cu::CUDADriver>> loaded =
        cu::CUDADriver::load();
    ASSERT_OK(loaded);
    driver = *loaded;
    // The tests' own driver calls (streams, graphs) run in the primary
    // context, the one the device uses.
    ASSERT_CU(cuDeviceGet(&cuDevice, 0));
    ASSERT_CU(cuDevicePrimaryCtxRetain(&context, cuDevice));
    ASSERT_CU(cuCtxSetCurrent(context));
    ASSERT_TRUE(dir.ok());
  }

  void TearDown() override {
    if (context)
      EXPECT_CU(cuDevicePrimaryCtxRelease(cuDevice));
  }

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

  /// Writes the probe bundle and loads it from its .ptx.
  std::unique_ptr<Module> loadProbe() {
    dir.write("probe.json", probeManifest(defaultLaunch()));
    std::string ptx = dir.write("probe.ptx", probePtx());
    StatusOr<std::unique_ptr<Module>> module = device->loadModule(ptx);
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

  std::unique_ptr<Device> device;
  std::shared_ptr<cu::CUDADriver> driver;
  cu::CUdevice cuDevice = 0;
  cu::CUcontext context = nullptr;
  TempDir dir;
  Buffer q, kCache, vCache, blockTable, seqLens, cuSeqlensQ, out, lse;
  AttentionArgs args;
};

TEST_F(CUDADeviceTest, OpensAndDescribes) {
  EXPECT_EQ(device->kind(), DeviceKind::CUDA);
  EXPECT_EQ(device->ordinal(), 0);
  EXPECT_FALSE(device->isHostAccessible());
  EXPECT_GE(device->parallelism(), 1);
  EXPECT_EQ(device->name().rfind("cuda:0 (", 0), 0u) << device->name();
  EXPECT_OK(device->synchronize());
  // A second handle on the same device shares the primary context.
  StatusOr<std::unique_ptr<Device>> again = Device::open(DeviceKind::CUDA, 0);
  ASSERT_OK(again);
  EXPECT_EQ((*again)->name(), device->name());
}

TEST_F(CUDADeviceTest, MemoryRoundTrips) {
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
  EXPECT_TRUE(contains(huge.status().message(), "cuMemAlloc"))
      << huge.status().message();
  EXPECT_OK(device->synchronize());
}

TEST_F(CUDADeviceTest, LoadsAPtxBundle) {
  std::unique_ptr<Module> module = loadProbe();
  ASSERT_NE(module, nullptr);
  ASSERT_EQ(module->kernels().size(), 2u);
  EXPECT_EQ(module->kernels()[0].name, "probe");
  EXPECT_EQ(module->kernels()[1].name, "cache");
  ASSERT_OK(module->function("probe_split"));
  EXPECT_TRUE(contains(module->path(), "probe.ptx")) << module->path();

  // The manifest's path loads the same bundle.
  StatusOr<std::unique_ptr<Module>> again =
      device->loadModule(module->path().substr(0, module->path().size() - 4) +
                         ".json");
  ASSERT_OK(again);
  EXPECT_EQ((*again)->kernels().size(), 2u);
}

TEST_F(CUDADeviceTest, Runs2D) {
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
  EXPECT_EQ(header(lseWords, 0), (std::vector<uint32_t>{2, 8, 3, 32, 0, 3}));
  EXPECT_EQ(header(lseWords, 6), std::vector<uint32_t>(6, 0));

  // Without a hint, a GPU cannot read seq_lens and Auto takes the 2D path.
  clearOutputs();
  args.path = Path::Auto;
  ASSERT_OK((*kernel)->run(args));
  ASSERT_OK(device->synchronize());
  EXPECT_EQ((*kernel)->lastPath(), Path::TwoD);
  EXPECT_EQ(read(out, kOutWords), expectedCounts(1, 0));

  // The driver's occupancy of the probe kernels (32 threads, few
  // registers): whole blocks per SM, at least one, at most 32.
  int sms = device->parallelism();
  for (int64_t resident :
       {(*kernel)->resident2D(), (*kernel)->residentSplit()}) {
    EXPECT_GE(resident, sms);
    EXPECT_LE(resident, 32 * sms);
    EXPECT_EQ(resident % sms, 0);
  }
  Function null;
  StatusOr<int64_t> bad = device->residentPrograms(null);
  EXPECT_EQ(bad.status().code(), StatusCode::InvalidArgument);
}

TEST_F(CUDADeviceTest, RunsSplitThenReduce) {
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
  // The split function got 64 KiB of dynamic shared memory (above the
  // default 48 KiB limit) and the workspace.
  EXPECT_EQ(header(lseWords, 6),
            (std::vector<uint32_t>{2, 8, 3, 64, 65536, 7}));
  EXPECT_EQ(header(lseWords, 12),
            (std::vector<uint32_t>{2, 8, 3, 16, 1024, 7}));
}

TEST_F(CUDADeviceTest, RunsACacheWrite) {
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

TEST_F(CUDADeviceTest, CapturesRunsInACudaGraph) {
  std::unique_ptr<Module> module = loadProbe();
  ASSERT_NE(module, nullptr);
  StatusOr<std::unique_ptr<AttentionKernel>> kernel =
      AttentionKernel::create(*device, *module, "probe", 16);
  ASSERT_OK(kernel);
  makeBatch();

  cu::CUstream stream = nullptr;
  ASSERT_CU(cuStreamCreate(&stream, cu::CU_STREAM_NON_BLOCKING));
  args.stream = stream;
  ASSERT_CU(cuStreamBeginCapture(stream, cu::CU_STREAM_CAPTURE_MODE_GLOBAL));
  args.path = Path::TwoD;
  Status twoD = (*kernel)->run(args);
  args.path = Path::Split;
  Status split = (*kernel)->run(args);
  cu::CUgraph graph = nullptr;
  cu::CUresult ended = driver->api().cuStreamEndCapture(stream, &graph);
  EXPECT_OK(twoD);
  EXPECT_OK(split);
  ASSERT_OK(driver->check("cuStreamEndCapture", ended));
  ASSERT_NE(graph, nullptr);

  // Capturing ran nothing.
  EXPECT_EQ(read(out, kOutWords), expectedCounts(0, 0));

  cu::CUgraphExec exec = nullptr;
  EXPECT_CU(cuGraphInstantiate(&exec, graph, 0));
  if (exec) {
    EXPECT_CU(cuGraphLaunch(exec, stream));
    EXPECT_CU(cuGraphLaunch(exec, stream));
    EXPECT_CU(cuStreamSynchronize(stream));
    EXPECT_EQ(read(out, kOutWords), expectedCounts(2, 2));
    EXPECT_CU(cuGraphExecDestroy(exec));
  }
  EXPECT_CU(cuGraphDestroy(graph));
  EXPECT_CU(cuStreamDestroy(stream));
}

TEST_F(CUDADeviceTest, RunOnAStreamAllocatesNothing) {
  if (!attn::rt::test::countsAllocations())
    GTEST_SKIP() << "operator new is not counted in this build";
  std::unique_ptr<Module> module = loadProbe();
  ASSERT_NE(module, nullptr);
  StatusOr<std::unique_ptr<AttentionKernel>> kernel =
      AttentionKernel::create(*device, *module, "probe", 16);
  ASSERT_OK(kernel);
  makeBatch();
  cu::CUstream stream = nullptr;
  ASSERT_CU(cuStreamCreate(&stream, cu::CU_STREAM_NON_BLOCKING));
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

  EXPECT_CU(cuStreamSynchronize(stream));
  EXPECT_EQ(read(out, kOutWords), expectedCounts(4, 4));
  EXPECT_CU(cuStreamDestroy(stream));
}

TEST_F(CUDADeviceTest, BadPtxIsAnError) {
  dir.write("bad.json", probeManifest(defaultLaunch()));
  std::string ptx = dir.write("bad.ptx", badPtx());
  StatusOr<std::unique_ptr<Module>> module = device->loadModule(ptx);
  ASSERT_FALSE(module.isOk());
  const std::string &message = module.status().message();
  EXPECT_EQ(module.status().code(), StatusCode::InvalidArgument) << message;
  EXPECT_TRUE(contains(message, "bad.ptx")) << message;
  EXPECT_TRUE(contains(message, "cuModuleLoadData")) << message;
  EXPECT_TRUE(contains(message, "JIT log: ")) << message;
  EXPECT_TRUE(contains(message, "CUDA_ERROR_INVALID_PTX") ||
              contains(message, "CUDA_ERROR_INVALID_IMAGE"))
      << message;
}

TEST_F(CUDADeviceTest, LaunchMetadataIsRequired) {
  std::string ptx = dir.write("meta.ptx", probePtx());
  auto loadWith = [&](const std::string &launch) {
    dir.write("meta.json", probeManifest(launch));
    return device->loadModule(ptx);
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
  }
  // Without extra keys the manifest loads (block may have fewer dims and
  // shared_bytes defaults to 0).
  StatusOr<std::unique_ptr<Module>> module =
      loadWith(std::string("{") + kLaunch2d + ", " + kLaunchSplit +
               R"(, "probe_reduce": {"block": [16, 2]}})");
  EXPECT_OK(module);
}

TEST_F(CUDADeviceTest, BundlePaths) {
  std::string ptx = dir.write("lonely.ptx", probePtx());
  StatusOr<std::unique_ptr<Module>> noManifest = device->loadModule(ptx);
  ASSERT_FALSE(noManifest.isOk());
  EXPECT_EQ(noManifest.status().code(), StatusCode::NotFound);
  EXPECT_TRUE(contains(noManifest.status().message(), "lonely.json"))
      << noManifest.status().message();

  StatusOr<std::unique_ptr<Module>> missing =
      device->loadModule(ptx + ".does-not-exist.ptx");
  ASSERT_FALSE(missing.isOk());
  EXPECT_EQ(missing.status().code(), StatusCode::NotFound);

  StatusOr<std::unique_ptr<Module>> hostBundle =
      device->loadModule(ATTN_TEST_KERNELS_PATH);
  ASSERT_FALSE(hostBundle.isOk());
  EXPECT_EQ(hostBundle.status().code(), StatusCode::InvalidArgument);
  EXPECT_TRUE(contains(hostBundle.status().message(), ".cubin"))
      << hostBundle.status().message();
}

TEST_F(CUDADeviceTest, LaunchChecksTheFunction) {
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
}

} // namespace
