//===- Backends.h - Entry points of the device backends ---------*- C++ -*-===//
//
// Part of the attn project, the runtime library (libattnrt).
//
//===----------------------------------------------------------------------===//
//
// Private to the runtime: each backend directory (lib/CPU, lib/CUDA,
// lib/HIP) implements one of these; Device::open dispatches to them.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_RUNTIME_LIB_COMMON_BACKENDS_H
#define ATTN_RUNTIME_LIB_COMMON_BACKENDS_H

#include "attn/Runtime/Device.h"

#include <memory>

namespace attn {
namespace rt {
namespace detail {

StatusOr<std::unique_ptr<Device>> openCPUDevice(int ordinal);
StatusOr<std::unique_ptr<Device>> openCUDADevice(int ordinal);
StatusOr<std::unique_ptr<Device>> openHIPDevice(int ordinal);

/// The argument check every backend's copies share: a non-empty copy needs
/// both pointers.
Status checkCopy(const char *what, void *dst, const void *src, size_t bytes);

} // namespace detail
} // namespace rt
} // namespace attn

#endif // ATTN_RUNTIME_LIB_COMMON_BACKENDS_H
