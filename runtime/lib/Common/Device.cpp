//===- Device.cpp - Devices, memory and launches --------------------------===//
//
// Part of the attn project, the runtime library (libattnrt).
//
//===----------------------------------------------------------------------===//

#include "attn/Runtime/Device.h"

#include "Common/Backends.h"

namespace attn {
namespace rt {

const char *deviceKindName(DeviceKind kind) {
  switch (kind) {
  case DeviceKind::CPU:
    return "cpu";
  case DeviceKind::CUDA:
    return "cuda";
  case DeviceKind::HIP:
    return "hip";
  }
  return "invalid";
}

std::optional<DeviceKind> parseDeviceKind(std::string_view name) {
  for (DeviceKind kind : {DeviceKind::CPU, DeviceKind::CUDA, DeviceKind::HIP})
    if (name == deviceKindName(kind))
      return kind;
  return std::nullopt;
}

Buffer &Buffer::operator=(Buffer &&other) noexcept {
  if (this != &other) {
    reset();
    device_ = other.device_;
    data_ = other.data_;
    size_ = other.size_;
    other.device_ = nullptr;
    other.data_ = nullptr;
    other.size_ = 0;
  }
  return *this;
}

void *Buffer::release() {
  void *data = data_;
  device_ = nullptr;
  data_ = nullptr;
  size_ = 0;
  return data;
}

void Buffer::reset() {
  if (device_ && data_)
    (void)device_->free(data_);
  device_ = nullptr;
  data_ = nullptr;
  size_ = 0;
}

Device::~Device() = default;

StatusOr<int64_t> Device::residentPrograms(const Function &) const {
  return int64_t(0);
}

StatusOr<std::unique_ptr<Device>> Device::open(DeviceKind kind, int ordinal) {
  if (ordinal < 0)
    return invalidArgument("device ordinal must be >= 0, got ", ordinal);
  switch (kind) {
  case DeviceKind::CPU:
    return detail::openCPUDevice(ordinal);
  case DeviceKind::CUDA:
    return detail::openCUDADevice(ordinal);
  case DeviceKind::HIP:
    return detail::openHIPDevice(ordinal);
  }
  return invalidArgument("unknown device kind ", static_cast<int32_t>(kind),
                         " (expected 0 = cpu, 1 = cuda, 2 = hip)");
}

StatusOr<Buffer> Device::allocate(size_t bytes) {
  if (bytes == 0)
    return Buffer();
  StatusOr<void *> ptr = allocateRaw(bytes);
  if (!ptr.isOk())
    return ptr.status();
  return Buffer(this, *ptr, bytes);
}

} // namespace rt
} // namespace attn

attn::rt::Status attn::rt::detail::checkCopy(const char *what, void *dst,
                                             const void *src, size_t bytes) {
  if (bytes && (!dst || !src))
    return invalidArgument(what, " of ", bytes, " bytes with a null ",
                           !dst ? "destination" : "source");
  return Status::ok();
}
