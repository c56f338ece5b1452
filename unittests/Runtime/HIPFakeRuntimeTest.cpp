//===- HIPFakeRuntimeTest.cpp - The HIP backend against a fake runtime ----===//
//
// Part of the attn project, the runtime unit tests.
//
//===----------------------------------------------------------------------===//
//
// Only in AttnRuntimeHIPFakeTests, which links the fake HIP runtime of
// FakeHIPRuntime.c (a libamdhip64.so of its own): what only the fake can
// show. Which runtime calls the backend makes, with which grid, block,
// shared memory, stream and arguments; that it keeps the calling thread's
// current device; how runtime errors read; and how opening fails.
//
// The fake checks the calls against what the ROCm runtime documents and
// does (ROCm 6.x); it does not show that an AMD GPU runs the kernels.
//
//===----------------------------------------------------------------------===//

#include "HIPTestUtil.h"
#include "TestUtil.h"

#include "FakeHIPRuntime.h"
#include "HIP/HIPDriver.h"

#include "attn/Runtime/AttentionKernel.h"
#include "attn/Runtime/CacheWriteKernel.h"
#include "attn/Runtime/Device.h"
#include "attn/Runtime/Module.h"

#include <string>
#include <thread>
#include <vector>

using namespace attn::rt;
using namespace attn::rt::test::hiptest;
namespace hip = attn::rt::hip;

namespace {

/// hipSetDevice on the calling thread, through the backend's table.
Status setCurrentDevice(int ordinal) {
  StatusOr<std::shared_ptr<hip::HIPDriver>> driver = hip::HIPDriver::load();
  if (!driver.isOk())
    return driver.status();
  return (*driver)->check("hipSetDevice",
                          (*driver)->api().hipSetDevice(ordinal));
}

class HIPFakeRuntimeTest : public ::testing::Test {
protected:
  void SetUp() override {
    attn_fake_hip_reset();
    ASSERT_TRUE(dir.ok());
    std::string why;
    image = probeImage(why);
    baselineAllocations = attn_fake_hip_live_allocations();
    baselineModules = attn_fake_hip_live_modules();
  }

  std::unique_ptr<Device> open(int ordinal) {
    StatusOr<std::unique_ptr<Device>> opened =
        Device::open(DeviceKind::HIP, ordinal);
    EXPECT_OK(opened);
    return opened.isOk() ? std::move(*opened) : nullptr;
  }

  std::unique_ptr<Module>
  loadProbe(Device &device, const std::string &launch = defaultLaunch()) {
    dir.write("probe.json", probeManifest(launch));
    std::string hsaco = dir.write("probe.hsaco", image);
    StatusOr<std::unique_ptr<Module>> module = device.loadModule(hsaco);
    EXPECT_OK(module);
    return module.isOk() ? std::move(*module) : nullptr;
  }

  static int currentDevice() {
    StatusOr<std::shared_ptr<hip::HIPDriver>> driver = hip::HIPDriver::load();
    int current = -1;
    if (driver.isOk())
      (void)(*driver)->api().hipGetDevice(&current);
    return current;
  }

  /// The attention probe's arguments on `device`: just the tensors the
  /// kernel objects need, with 2 sequences and 8 tokens.
  struct Batch {
    Buffer q, kCache, vCache, blockTable, seqLens, cuSeqlensQ, out, lse;
    AttentionArgs args;
  };
  static Batch makeBatch(Device &device) {
    Batch b;
    auto allocate = [&](size_t bytes) {
      StatusOr<Buffer> buffer = device.allocate(bytes);
      EXPECT_OK(buffer);
      return buffer.isOk() ? std::move(*buffer) : Buffer();
    };
    b.q = allocate(8 * 4 * 8 * 4);
    b.kCache = allocate(4 * 4 * 2 * 8 * 4);
    b.vCache = allocate(4 * 4 * 2 * 8 * 4);
    b.blockTable = allocate(2 * 3 * 4);
    b.seqLens = allocate(2 * 4);
    b.cuSeqlensQ = allocate(3 * 4);
    b.out = allocate(8 * 4 * 8 * 4);
    b.lse = allocate(8 * 4 * 4);
    std::vector<int32_t> starts = {0, 3, 8};
    EXPECT_OK(device.copyToDevice(b.cuSeqlensQ.data(), starts.data(), 12));
    EXPECT_OK(device.memset(b.out.data(), 0, b.out.size()));
    EXPECT_OK(device.memset(b.lse.data(), 0, b.lse.size()));
    b.args.q = TensorRef::make(b.q.data(), DType::F32, {8, 4, 8});
    b.args.kCache = TensorRef::make(b.kCache.data(), DType::F32, {4, 4, 2, 8});
    b.args.vCache = TensorRef::make(b.vCache.data(), DType::F32, {4, 4, 2, 8});
    b.args.blockTable =
        TensorRef::make(b.blockTable.data(), DType::I32, {2, 3});
    b.args.seqLens = TensorRef::make(b.seqLens.data(), DType::I32, {2});
    b.args.cuSeqlensQ = TensorRef::make(b.cuSeqlensQ.data(), DType::I32, {3});
    b.args.out = TensorRef::make(b.out.data(), DType::F32, {8, 4, 8});
    b.args.lse = TensorRef::make(b.lse.data(), DType::F32, {8, 4});
    return b;
  }

  TempDir dir;
  std::string image;
  int baselineAllocations = 0;
  int baselineModules = 0;
};

//===----------------------------------------------------------------------===//
// Opening
//===----------------------------------------------------------------------===//

TEST_F(HIPFakeRuntimeTest, OpensAndDescribesEachDevice) {
  std::unique_ptr<Device> device = open(1);
  ASSERT_NE(device, nullptr);
  EXPECT_EQ(device->name(), "hip:1 (Fake AMD GPU 1, 8 CUs, wave64)");
  EXPECT_EQ(device->parallelism(), 8);
  EXPECT_EQ(device->ordinal(), 1);
}

TEST_F(HIPFakeRuntimeTest, MissingOrdinalNamesTheCount) {
  StatusOr<std::unique_ptr<Device>> opened = Device::open(DeviceKind::HIP, 5);
  ASSERT_FALSE(opened.isOk());
  EXPECT_EQ(opened.status().code(), StatusCode::NotFound);
  EXPECT_EQ(opened.status().message(),
            "hip device 5 does not exist (2 devices)");
  attn_fake_hip_set_device_count(1);
  opened = Device::open(DeviceKind::HIP, 1);
  ASSERT_FALSE(opened.isOk());
  EXPECT_EQ(opened.status().message(),
            "hip device 1 does not exist (1 device)");
}

TEST_F(HIPFakeRuntimeTest, NoDeviceIsUnavailable) {
  attn_fake_hip_set_device_count(0);
  StatusOr<std::unique_ptr<Device>> opened = Device::open(DeviceKind::HIP, 0);
  ASSERT_FALSE(opened.isOk());
  EXPECT_EQ(opened.status().code(), StatusCode::Unavailable);
  EXPECT_EQ(opened.status().message(),
            "HIP runtime libamdhip64.so: hipGetDeviceCount failed: "
            "hipErrorNoDevice (no ROCm-capable device is detected)");
}

TEST_F(HIPFakeRuntimeTest, InitFailureIsUnavailable) {
  attn_fake_hip_set_init_result(hip::hipErrorInvalidDevice);
  StatusOr<std::unique_ptr<Device>> opened = Device::open(DeviceKind::HIP, 0);
  ASSERT_FALSE(opened.isOk());
  EXPECT_EQ(opened.status().code(), StatusCode::Unavailable);
  EXPECT_EQ(opened.status().message(),
            "HIP runtime libamdhip64.so: hipInit failed: "
            "hipErrorInvalidDevice (invalid device ordinal)");
}

TEST_F(HIPFakeRuntimeTest, AttributeErrorsNameTheAttribute) {
  attn_fake_hip_fail_next("hipDeviceGetAttribute", hip::hipErrorInvalidValue);
  StatusOr<std::unique_ptr<Device>> opened = Device::open(DeviceKind::HIP, 0);
  ASSERT_FALSE(opened.isOk());
  EXPECT_EQ(opened.status().code(), StatusCode::InvalidArgument);
  EXPECT_EQ(opened.status().message(),
            "hip device 0: attribute hipDeviceAttributeMultiprocessorCount: "
            "hipDeviceGetAttribute failed: hipErrorInvalidValue (invalid "
            "argument)");
}

TEST_F(HIPFakeRuntimeTest, TheRuntimeIsLoadedOnce) {
  StatusOr<std::shared_ptr<hip::HIPDriver>> a = hip::HIPDriver::load();
  StatusOr<std::shared_ptr<hip::HIPDriver>> b = hip::HIPDriver::load();
  ASSERT_OK(a);
  ASSERT_OK(b);
  EXPECT_EQ(a->get(), b->get());
  EXPECT_EQ((*a)->libraryName(), "libamdhip64.so");
  // The fake has no graph API: those entry points are optional.
  EXPECT_EQ((*a)->api().hipStreamBeginCapture, nullptr);
  EXPECT_NE((*a)->api().hipModuleLaunchKernel, nullptr);
}

TEST_F(HIPFakeRuntimeTest, ErrorNames) {
  StatusOr<std::shared_ptr<hip::HIPDriver>> driver = hip::HIPDriver::load();
  ASSERT_OK(driver);
  const hip::HIPDriver &d = **driver;
  EXPECT_EQ(d.errorName(hip::hipErrorInvalidImage), "hipErrorInvalidImage");
  // The runtime calls codes it does not know hipErrorUnknown; the backend
  // names the ones it declares itself and numbers the others.
  EXPECT_EQ(d.errorName(hip::hipErrorNoBinaryForGpu), "hipErrorNoBinaryForGpu");
  EXPECT_EQ(d.errorName(12345), "HIP error 12345");
  EXPECT_EQ(d.describe(hip::hipErrorOutOfMemory),
            "hipErrorOutOfMemory (out of memory)");
  Status status = d.check("hipMalloc", hip::hipErrorOutOfMemory);
  EXPECT_EQ(status.code(), StatusCode::OutOfMemory);
  EXPECT_EQ(status.message(),
            "hipMalloc failed: hipErrorOutOfMemory (out of memory)");
  EXPECT_OK(d.check("hipMalloc", hip::hipSuccess));
}

//===----------------------------------------------------------------------===//
// The current device
//===----------------------------------------------------------------------===//

TEST_F(HIPFakeRuntimeTest, KeepsTheCallersCurrentDevice) {
  std::unique_ptr<Device> device = open(1);
  ASSERT_NE(device, nullptr);
  ASSERT_EQ(currentDevice(), 0);
  StatusOr<Buffer> buffer = device->allocate(1024);
  ASSERT_OK(buffer);
  // Allocated on device 1; the thread is back on device 0.
  EXPECT_EQ(attn_fake_hip_allocation_device(buffer->data()), 1);
  EXPECT_EQ(currentDevice(), 0);

  std::unique_ptr<Module> module = loadProbe(*device);
  ASSERT_NE(module, nullptr);
  StatusOr<std::unique_ptr<AttentionKernel>> kernel =
      AttentionKernel::create(*device, *module, "probe", 16);
  ASSERT_OK(kernel);
  Batch batch = makeBatch(*device);
  batch.args.path = Path::TwoD;
  ASSERT_OK((*kernel)->run(batch.args));
  ASSERT_EQ(attn_fake_hip_num_launches(), 1);
  EXPECT_EQ(attn_fake_hip_launch_at(0)->device, 1);
  EXPECT_EQ(currentDevice(), 0);
  EXPECT_OK(device->synchronize());
  EXPECT_EQ(currentDevice(), 0);

  // Another thread, current on device 1 already, stays there.
  std::thread other([&] {
    EXPECT_OK(setCurrentDevice(1));
    EXPECT_OK(device->memset(buffer->data(), 0, 1024));
    EXPECT_EQ(currentDevice(), 1);
  });
  other.join();
  EXPECT_EQ(currentDevice(), 0);
}

TEST_F(HIPFakeRuntimeTest, DeviceZeroNeedsNoSwitch) {
  std::unique_ptr<Device> device = open(0);
  ASSERT_NE(device, nullptr);
  std::unique_ptr<Module> module = loadProbe(*device);
  ASSERT_NE(module, nullptr);
  StatusOr<std::unique_ptr<AttentionKernel>> kernel =
      AttentionKernel::create(*device, *module, "probe", 16);
  ASSERT_OK(kernel);
  Batch batch = makeBatch(*device);
  batch.args.path = Path::Split;
  ASSERT_OK((*kernel)->run(batch.args));
  EXPECT_OK(device->synchronize());
  // The thread was on device 0 all along.
  EXPECT_EQ(attn_fake_hip_set_device_calls(), 0);
}

//===----------------------------------------------------------------------===//
// Loading
//===----------------------------------------------------------------------===//

TEST_F(HIPFakeRuntimeTest, RaisesTheSharedMemoryLimitAtLoad) {
  std::unique_ptr<Device> device = open(0);
  ASSERT_NE(device, nullptr);
  std::unique_ptr<Module> module = loadProbe(*device);
  ASSERT_NE(module, nullptr);
  // Only probe_split asks for more than 48 KiB.
  EXPECT_EQ(attn_fake_hip_func_attribute_calls(), 1);
  EXPECT_EQ(attn_fake_hip_last_func_attribute_value(), 65536);
}

TEST_F(HIPFakeRuntimeTest, SharedMemoryLimitErrors) {
  std::unique_ptr<Device> device = open(0);
  ASSERT_NE(device, nullptr);
  dir.write("probe.json", probeManifest(defaultLaunch()));
  std::string hsaco = dir.write("probe.hsaco", image);

  // A runtime that does not take a module's function there: nothing to
  // raise, the bundle loads.
  attn_fake_hip_fail_next("hipFuncSetAttribute",
                          hip::hipErrorInvalidDeviceFunction);
  EXPECT_OK(device->loadModule(hsaco));

  // A runtime that refuses the size: an error that names the function.
  attn_fake_hip_fail_next("hipFuncSetAttribute", hip::hipErrorInvalidValue);
  StatusOr<std::unique_ptr<Module>> refused = device->loadModule(hsaco);
  ASSERT_FALSE(refused.isOk());
  EXPECT_EQ(refused.status().code(), StatusCode::InvalidArgument);
  EXPECT_TRUE(contains(refused.status().message(),
                       "kernel 'probe': function 'probe_split' with "
                       "shared_bytes = 65536: hipFuncSetAttribute("
                       "hipFuncAttributeMaxDynamicSharedMemorySize) failed: "
                       "hipErrorInvalidValue (invalid argument)"))
      << refused.status().message();
  // The failed load released its module.
  EXPECT_EQ(attn_fake_hip_live_modules(), baselineModules);
}

TEST_F(HIPFakeRuntimeTest, LoadErrors) {
  std::unique_ptr<Device> device = open(0);
  ASSERT_NE(device, nullptr);
  dir.write("probe.json", probeManifest(defaultLaunch()));
  std::string hsaco = dir.write("probe.hsaco", image);

  attn_fake_hip_fail_next("hipModuleLoadData", hip::hipErrorNoBinaryForGpu);
  StatusOr<std::unique_ptr<Module>> wrongArch = device->loadModule(hsaco);
  ASSERT_FALSE(wrongArch.isOk());
  EXPECT_EQ(wrongArch.status().code(), StatusCode::InvalidArgument);
  EXPECT_EQ(wrongArch.status().message(),
            "cannot load hip module '" + hsaco +
                "': hipModuleLoadData failed: hipErrorNoBinaryForGpu; the "
                ".hsaco must be an AMDGPU code object (or an offload bundle "
                "of them) built for this GPU's architecture");

  // A code object without a function the manifest names.
  std::string partial = dir.write(
      "partial.hsaco", std::string(ATTN_FAKE_HIP_MAGIC) +
                           "\nprobe_2d attention 1 0\nprobe_write write\n");
  dir.write("partial.json", probeManifest(defaultLaunch()));
  StatusOr<std::unique_ptr<Module>> missing = device->loadModule(partial);
  ASSERT_FALSE(missing.isOk());
  EXPECT_EQ(missing.status().code(), StatusCode::NotFound);
  EXPECT_TRUE(contains(missing.status().message(),
                       "kernel 'probe' names function 'probe_split', which "
                       "the module does not export (hipModuleGetFunction "
                       "failed: hipErrorNotFound (named symbol not found))"))
      << missing.status().message();
  EXPECT_EQ(attn_fake_hip_live_modules(), baselineModules);
}

TEST_F(HIPFakeRuntimeTest, BlockAboveTheFunctionsLimitFailsToLoad) {
  std::unique_ptr<Device> device = open(0);
  ASSERT_NE(device, nullptr);
  // probe_reduce compiled for at most 16 threads per block (an AMDGPU
  // kernel's max_flat_workgroup_size); the manifest asks for [16, 2, 1].
  std::string hsaco =
      dir.write("bounded.hsaco", std::string(ATTN_FAKE_HIP_MAGIC) +
                                     "\nprobe_2d attention 1 0 64\n"
                                     "probe_split attention 16 6\n"
                                     "probe_reduce attention 256 12 16\n"
                                     "probe_write write 32\n");
  dir.write("bounded.json", probeManifest(defaultLaunch()));
  StatusOr<std::unique_ptr<Module>> module = device->loadModule(hsaco);
  ASSERT_FALSE(module.isOk());
  EXPECT_EQ(module.status().code(), StatusCode::InvalidArgument);
  EXPECT_EQ(module.status().message(),
            "module '" + hsaco +
                "': kernel 'probe': launch metadata of function "
                "'probe_reduce': \"block\" [16, 2, 1] has 32 threads; the "
                "function's code allows at most 16 per block");
  EXPECT_EQ(attn_fake_hip_live_modules(), baselineModules);
}

TEST_F(HIPFakeRuntimeTest, ReleasesWhatItHolds) {
  {
    std::unique_ptr<Device> device = open(1);
    ASSERT_NE(device, nullptr);
    std::unique_ptr<Module> module = loadProbe(*device);
    ASSERT_NE(module, nullptr);
    EXPECT_EQ(attn_fake_hip_live_modules(), baselineModules + 1);
    StatusOr<void *> leaked = device->allocateRaw(4096);
    ASSERT_OK(leaked);
    EXPECT_EQ(attn_fake_hip_live_allocations(), baselineAllocations + 1);
    module.reset();
    EXPECT_EQ(attn_fake_hip_live_modules(), baselineModules);
  }
  // The device freed the memory its user did not.
  EXPECT_EQ(attn_fake_hip_live_allocations(), baselineAllocations);
}

//===----------------------------------------------------------------------===//
// Launching
//===----------------------------------------------------------------------===//

TEST_F(HIPFakeRuntimeTest, LaunchesTheABIGridWithPackedArguments) {
  std::unique_ptr<Device> device = open(0);
  ASSERT_NE(device, nullptr);
  std::unique_ptr<Module> module = loadProbe(*device);
  ASSERT_NE(module, nullptr);
  StatusOr<std::unique_ptr<AttentionKernel>> kernel =
      AttentionKernel::create(*device, *module, "probe", 16);
  ASSERT_OK(kernel);
  Batch batch = makeBatch(*device);
  batch.args.stream = nullptr; // The null stream.

  batch.args.path = Path::TwoD;
  ASSERT_OK((*kernel)->run(batch.args));
  batch.args.path = Path::Split;
  ASSERT_OK((*kernel)->run(batch.args));
  ASSERT_OK(device->synchronize());
  ASSERT_EQ(attn_fake_hip_num_launches(), 3);

  const attn_fake_hip_launch &twoD = *attn_fake_hip_launch_at(0);
  EXPECT_STREQ(twoD.function, "probe_2d");
  // (num_q_blocks = 8 / 2 + 2, kv_heads, 1), the manifest's block.
  EXPECT_EQ(std::vector<unsigned>(twoD.grid, twoD.grid + 3),
            (std::vector<unsigned>{6, 2, 1}));
  EXPECT_EQ(std::vector<unsigned>(twoD.block, twoD.block + 3),
            (std::vector<unsigned>{32, 1, 1}));
  EXPECT_EQ(twoD.shared_bytes, 0u);
  EXPECT_EQ(twoD.stream, nullptr);
  ASSERT_EQ(twoD.num_args, 23);
  EXPECT_EQ(twoD.args[0], reinterpret_cast<intptr_t>(batch.q.data()));
  EXPECT_EQ(twoD.args[3], reinterpret_cast<intptr_t>(batch.blockTable.data()));
  EXPECT_EQ(twoD.args[4], reinterpret_cast<intptr_t>(batch.seqLens.data()));
  EXPECT_EQ(twoD.args[5], reinterpret_cast<intptr_t>(batch.cuSeqlensQ.data()));
  EXPECT_EQ(twoD.args[14], reinterpret_cast<intptr_t>(batch.out.data()));
  EXPECT_EQ(twoD.args[15], reinterpret_cast<intptr_t>(batch.lse.data()));
  EXPECT_EQ(twoD.args[16], 0); // No workspace on the 2D path.
  EXPECT_EQ(twoD.args[18], 2); // num_seqs
  EXPECT_EQ(twoD.args[19], 8); // num_tokens
  EXPECT_EQ(twoD.args[20], 3); // max_blocks_per_seq

  const attn_fake_hip_launch &split = *attn_fake_hip_launch_at(1);
  EXPECT_STREQ(split.function, "probe_split");
  EXPECT_EQ(std::vector<unsigned>(split.grid, split.grid + 3),
            (std::vector<unsigned>{6, 2, 3}));
  EXPECT_EQ(split.block[0], 64u);
  EXPECT_EQ(split.shared_bytes, 65536u);
  EXPECT_NE(split.args[16], 0); // partial_out, the kernel's workspace
  EXPECT_NE(split.args[17], 0); // partial_lse

  const attn_fake_hip_launch &reduce = *attn_fake_hip_launch_at(2);
  EXPECT_STREQ(reduce.function, "probe_reduce");
  // (num_tokens, heads, 1).
  EXPECT_EQ(std::vector<unsigned>(reduce.grid, reduce.grid + 3),
            (std::vector<unsigned>{8, 4, 1}));
  EXPECT_EQ(std::vector<unsigned>(reduce.block, reduce.block + 3),
            (std::vector<unsigned>{16, 2, 1}));
  EXPECT_EQ(reduce.shared_bytes, 1024u);
  EXPECT_EQ(reduce.args[16], split.args[16]);
  EXPECT_EQ(reduce.args[17], split.args[17]);
}

TEST_F(HIPFakeRuntimeTest, LaunchesOnTheCallersStream) {
  std::unique_ptr<Device> device = open(0);
  ASSERT_NE(device, nullptr);
  std::unique_ptr<Module> module = loadProbe(*device);
  ASSERT_NE(module, nullptr);
  StatusOr<std::unique_ptr<CacheWriteKernel>> kernel =
      CacheWriteKernel::create(*device, *module, "cache");
  ASSERT_OK(kernel);
  StatusOr<std::shared_ptr<hip::HIPDriver>> driver = hip::HIPDriver::load();
  ASSERT_OK(driver);
  hip::hipStream_t stream = nullptr;
  ASSERT_OK((*driver)->check("hipStreamCreateWithFlags",
                             (*driver)->api().hipStreamCreateWithFlags(
                                 &stream, hip::hipStreamNonBlocking)));
  auto allocate = [&](size_t bytes) {
    StatusOr<Buffer> buffer = device->allocate(bytes);
    EXPECT_OK(buffer);
    return buffer.isOk() ? std::move(*buffer) : Buffer();
  };
  Buffer key = allocate(5 * 2 * 8 * 4), value = allocate(5 * 2 * 8 * 4);
  Buffer kc = allocate(3 * 4 * 2 * 8 * 4), vc = allocate(3 * 4 * 2 * 8 * 4);
  Buffer slots = allocate(5 * 8);
  ASSERT_OK(device->memset(kc.data(), 0, kc.size()));
  ASSERT_OK((*kernel)->run(TensorRef::make(key.data(), DType::F32, {5, 2, 8}),
                           TensorRef::make(value.data(), DType::F32, {5, 2, 8}),
                           TensorRef::make(kc.data(), DType::F32, {3, 4, 2, 8}),
                           TensorRef::make(vc.data(), DType::F32, {3, 4, 2, 8}),
                           TensorRef::make(slots.data(), DType::I64, {5}),
                           TensorRef(), TensorRef(), stream));
  ASSERT_EQ(attn_fake_hip_num_launches(), 1);
  const attn_fake_hip_launch &write = *attn_fake_hip_launch_at(0);
  EXPECT_STREQ(write.function, "probe_write");
  // (num_tokens, kv_heads, 1).
  EXPECT_EQ(std::vector<unsigned>(write.grid, write.grid + 3),
            (std::vector<unsigned>{5, 2, 1}));
  EXPECT_EQ(write.stream, static_cast<void *>(stream));
  ASSERT_EQ(write.num_args, 9);
  EXPECT_EQ(write.args[2], reinterpret_cast<intptr_t>(kc.data()));
  EXPECT_EQ(write.args[4], reinterpret_cast<intptr_t>(slots.data()));
  EXPECT_EQ(write.args[7], 5);  // num_tokens
  EXPECT_EQ(write.args[8], 12); // num_slots
  EXPECT_OK((*driver)->check("hipStreamDestroy",
                             (*driver)->api().hipStreamDestroy(stream)));
}

TEST_F(HIPFakeRuntimeTest, LaunchErrorsNameTheLaunch) {
  std::unique_ptr<Device> device = open(0);
  ASSERT_NE(device, nullptr);
  std::unique_ptr<Module> module = loadProbe(*device);
  ASSERT_NE(module, nullptr);
  StatusOr<std::unique_ptr<AttentionKernel>> kernel =
      AttentionKernel::create(*device, *module, "probe", 16);
  ASSERT_OK(kernel);
  Batch batch = makeBatch(*device);
  batch.args.path = Path::TwoD;
  attn_fake_hip_fail_next("hipModuleLaunchKernel", hip::hipErrorLaunchFailure);
  Status failed = (*kernel)->run(batch.args);
  ASSERT_FALSE(failed.isOk());
  EXPECT_EQ(failed.code(), StatusCode::Internal);
  EXPECT_TRUE(contains(failed.message(),
                       "launch of 'probe_2d' (grid [6, 2, 1], block [32, 1, "
                       "1], 0 shared bytes, stream "))
      << failed.message();
  EXPECT_TRUE(contains(failed.message(),
                       "hipModuleLaunchKernel failed: hipErrorLaunchFailure "
                       "(unspecified launch failure)"))
      << failed.message();
}

TEST_F(HIPFakeRuntimeTest, KernelFaultsSurfaceAtTheNextSynchronization) {
  std::unique_ptr<Device> device = open(0);
  ASSERT_NE(device, nullptr);
  std::unique_ptr<Module> module = loadProbe(*device);
  ASSERT_NE(module, nullptr);
  StatusOr<Function> twoD = module->function("probe_2d");
  ASSERT_OK(twoD);
  // No out: the probe writes through a null pointer. The launch itself
  // succeeds, as on a GPU.
  AttentionLaunchParams params;
  EXPECT_OK(device->launch(*twoD, 12, params, nullptr));
  Status synced = device->synchronize();
  ASSERT_FALSE(synced.isOk());
  EXPECT_EQ(synced.code(), StatusCode::Internal);
  EXPECT_EQ(synced.message(),
            "hipDeviceSynchronize failed: hipErrorIllegalAddress (an illegal "
            "memory access was encountered)");
  EXPECT_OK(device->synchronize());
}

} // namespace
