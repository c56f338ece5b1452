//===- CAPIInternal.h - Shared internals of the C API -----------*- C++ -*-===//
//
// Part of the attn project, the runtime library (libattnrt).
//
//===----------------------------------------------------------------------===//
//
// Private to the runtime. The handles of attn-c/Runtime.h are defined in
// CAPI.cpp; other C API files (KVCacheCAPI.cpp) reach what they need
// through these accessors, and report errors through the same thread-local
// message that attn_last_error() returns.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_RUNTIME_LIB_COMMON_CAPIINTERNAL_H
#define ATTN_RUNTIME_LIB_COMMON_CAPIINTERNAL_H

#include "attn-c/Runtime.h"

#include "attn/Runtime/Status.h"

#include <memory>

namespace attn {
namespace rt {
class AttentionKernel;
class CacheWriteKernel;
class Device;

namespace capi {
/// Records `status` for attn_last_error() and returns its C code.
int reportStatus(const Status &status);
/// The device of a handle (null for a null handle).
std::shared_ptr<Device> deviceOf(attn_device_t device);
/// The kernel of a handle (null for a null handle).
CacheWriteKernel *cacheWriteKernelOf(attn_cache_write_t kernel);
AttentionKernel *attentionKernelOf(attn_attention_t kernel);
} // namespace capi
} // namespace rt
} // namespace attn

#endif // ATTN_RUNTIME_LIB_COMMON_CAPIINTERNAL_H
