//===- DeviceTest.cpp - Tests of device opening, memory and copies --------===//
//
// Part of the attn project, the runtime unit tests.
//
//===----------------------------------------------------------------------===//

#include "TestUtil.h"

#include "attn/Runtime/Device.h"

#include <cstring>
#include <vector>

using namespace attn::rt;
using attn::rt::test::openCPU;

namespace {

TEST(DeviceTest, OpensTheCPU) {
  std::unique_ptr<Device> device = openCPU();
  ASSERT_NE(device, nullptr);
  EXPECT_EQ(device->kind(), DeviceKind::CPU);
  EXPECT_EQ(device->ordinal(), 0);
  EXPECT_TRUE(device->isHostAccessible());
  EXPECT_GE(device->parallelism(), 1);
  EXPECT_EQ(device->name().rfind("cpu (", 0), 0u) << device->name();
  EXPECT_OK(device->synchronize());
}

TEST(DeviceTest, ThreadCountFromEnvironment) {
  std::unique_ptr<Device> device = openCPU(3);
  ASSERT_NE(device, nullptr);
  EXPECT_EQ(device->parallelism(), 3);
  EXPECT_EQ(device->name(), "cpu (3 threads)");

  for (const char *bad : {"0", "-2", "abc", "4x", "100000"}) {
    setenv("ATTN_NUM_THREADS", bad, 1);
    StatusOr<std::unique_ptr<Device>> opened = Device::open(DeviceKind::CPU);
    unsetenv("ATTN_NUM_THREADS");
    ASSERT_FALSE(opened.isOk()) << bad;
    EXPECT_EQ(opened.status().code(), StatusCode::InvalidArgument);
    EXPECT_NE(opened.status().message().find(std::string("ATTN_NUM_THREADS='") +
                                             bad + "'"),
              std::string::npos)
        << opened.status().message();
  }
}

TEST(DeviceTest, BadOrdinalsAndKinds) {
  StatusOr<std::unique_ptr<Device>> second = Device::open(DeviceKind::CPU, 1);
  ASSERT_FALSE(second.isOk());
  EXPECT_EQ(second.status().code(), StatusCode::NotFound);
  EXPECT_NE(second.status().message().find("cpu device ordinal 1"),
            std::string::npos);
  StatusOr<std::unique_ptr<Device>> negative =
      Device::open(DeviceKind::CPU, -1);
  ASSERT_FALSE(negative.isOk());
  EXPECT_EQ(negative.status().code(), StatusCode::InvalidArgument);
  StatusOr<std::unique_ptr<Device>> unknown =
      Device::open(static_cast<DeviceKind>(9), 0);
  ASSERT_FALSE(unknown.isOk());
  EXPECT_NE(unknown.status().message().find("unknown device kind 9"),
            std::string::npos);
}

TEST(DeviceTest, DeviceKindNames) {
  EXPECT_STREQ(deviceKindName(DeviceKind::CPU), "cpu");
  EXPECT_STREQ(deviceKindName(DeviceKind::CUDA), "cuda");
  EXPECT_STREQ(deviceKindName(DeviceKind::HIP), "hip");
  EXPECT_EQ(parseDeviceKind("hip"), DeviceKind::HIP);
  EXPECT_FALSE(parseDeviceKind("tpu").has_value());
}

// Without a GPU driver the GPU backends say so cleanly. (On a machine with a
// CUDA device, CUDA opens: see CUDADeviceTest.cpp.)
TEST(DeviceTest, CUDAIsUnavailableWithoutADriver) {
  StatusOr<std::unique_ptr<Device>> cuda = Device::open(DeviceKind::CUDA, 0);
  if (cuda.isOk())
    GTEST_SKIP() << "a CUDA device is present: " << (*cuda)->name();
  EXPECT_EQ(cuda.status().code(), StatusCode::Unavailable);
  const std::string &message = cuda.status().message();
  EXPECT_TRUE(message == "no CUDA driver (libcuda.so.1 not found)" ||
              message.rfind("cuInit failed: ", 0) == 0)
      << message;
}

TEST(DeviceTest, HIPIsUnavailableWithoutARuntime) {
  StatusOr<std::unique_ptr<Device>> hip = Device::open(DeviceKind::HIP, 0);
  if (hip.isOk())
    GTEST_SKIP() << "a HIP device is present";
  EXPECT_EQ(hip.status().code(), StatusCode::Unavailable);
  const std::string &message = hip.status().message();
  // No library, or a library that finds no device (e.g. ROCm on a machine
  // without an AMD GPU).
  EXPECT_TRUE(message == "no HIP runtime (libamdhip64.so not found)" ||
              message.rfind("HIP runtime ", 0) == 0)
      << message;
}

TEST(DeviceTest, AllocationsAreAligned) {
  std::unique_ptr<Device> device = openCPU();
  for (size_t bytes : {1, 3, 63, 64, 65, 1000, 1 << 20}) {
    StatusOr<Buffer> buffer = device->allocate(bytes);
    ASSERT_OK(buffer);
    EXPECT_NE(buffer->data(), nullptr);
    EXPECT_EQ(buffer->size(), bytes);
    EXPECT_EQ(buffer->device(), device.get());
    EXPECT_EQ(reinterpret_cast<uintptr_t>(buffer->data()) % 64, 0u) << bytes;
    std::memset(buffer->data(), 0xab, bytes); // The whole range is usable.
  }
}

TEST(DeviceTest, ZeroBytesGiveAnEmptyBuffer) {
  std::unique_ptr<Device> device = openCPU();
  StatusOr<Buffer> buffer = device->allocate(0);
  ASSERT_OK(buffer);
  EXPECT_EQ(buffer->data(), nullptr);
  EXPECT_EQ(buffer->size(), 0u);
  EXPECT_FALSE(device->allocateRaw(0).isOk());
}

TEST(DeviceTest, HugeAllocationIsOutOfMemory) {
  std::unique_ptr<Device> device = openCPU();
  StatusOr<Buffer> buffer = device->allocate(size_t(1) << 62);
  ASSERT_FALSE(buffer.isOk());
  EXPECT_EQ(buffer.status().code(), StatusCode::OutOfMemory);
  EXPECT_NE(buffer.status().message().find("cannot allocate"),
            std::string::npos);
}

TEST(DeviceTest, CopiesRoundTrip) {
  std::unique_ptr<Device> device = openCPU();
  std::vector<int32_t> host(1000), back(1000, 0);
  for (int i = 0; i < 1000; ++i)
    host[i] = i * 7 - 3;
  size_t bytes = host.size() * sizeof(int32_t);
  StatusOr<Buffer> a = device->allocate(bytes);
  StatusOr<Buffer> b = device->allocate(bytes);
  ASSERT_OK(a);
  ASSERT_OK(b);
  ASSERT_OK(device->copyToDevice(a->data(), host.data(), bytes));
  ASSERT_OK(device->copyOnDevice(b->data(), a->data(), bytes));
  ASSERT_OK(device->copyToHost(back.data(), b->data(), bytes));
  EXPECT_EQ(host, back);
  ASSERT_OK(device->memset(b->data(), 0, bytes));
  ASSERT_OK(device->copyToHost(back.data(), b->data(), bytes));
  EXPECT_EQ(back, std::vector<int32_t>(1000, 0));
  EXPECT_OK(device->copyToHost(nullptr, nullptr, 0));
  Status bad = device->copyToDevice(nullptr, host.data(), 4);
  ASSERT_FALSE(bad.isOk());
  EXPECT_NE(bad.message().find("null destination"), std::string::npos);
  EXPECT_FALSE(device->memset(nullptr, 0, 4).isOk());
}

TEST(DeviceTest, ExplicitFreeAndRelease) {
  std::unique_ptr<Device> device = openCPU();
  StatusOr<void *> raw = device->allocateRaw(128);
  ASSERT_OK(raw);
  EXPECT_OK(device->free(*raw));
  Status twice = device->free(*raw);
  ASSERT_FALSE(twice.isOk());
  EXPECT_NE(twice.message().find("did not allocate (or already freed)"),
            std::string::npos);
  int onStack = 0;
  EXPECT_FALSE(device->free(&onStack).isOk());
  EXPECT_OK(device->free(nullptr));

  StatusOr<Buffer> buffer = device->allocate(256);
  ASSERT_OK(buffer);
  void *released = buffer->release();
  EXPECT_EQ(buffer->data(), nullptr);
  EXPECT_OK(device->free(released));
}

TEST(DeviceTest, BufferFreesOnDestructionAndMove) {
  std::unique_ptr<Device> device = openCPU();
  void *first;
  {
    StatusOr<Buffer> buffer = device->allocate(64);
    ASSERT_OK(buffer);
    first = buffer->data();
    Buffer moved = std::move(*buffer);
    EXPECT_EQ(moved.data(), first);
    EXPECT_EQ(buffer->data(), nullptr);
  }
  // Freed by the moved-to Buffer: freeing again is an error.
  EXPECT_FALSE(device->free(first).isOk());
}

} // namespace
