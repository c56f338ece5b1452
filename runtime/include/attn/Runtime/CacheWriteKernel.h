//===- CacheWriteKernel.h - Writing keys/values into the cache --*- C++ -*-===//
//
// Part of the attn project, the runtime library (libattnrt).
//
//===----------------------------------------------------------------------===//
//
// A CacheWriteKernel is one cache_write variant of a loaded Module: it
// stores new keys and values into a paged KV cache (quantizing when the
// cache is fp8 or per-token-head), one program per (token, kv head).
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_RUNTIME_CACHEWRITEKERNEL_H
#define ATTN_RUNTIME_CACHEWRITEKERNEL_H

#include "attn/Runtime/Device.h"
#include "attn/Runtime/Manifest.h"
#include "attn/Runtime/Module.h"
#include "attn/Runtime/Status.h"
#include "attn/Runtime/Tensor.h"

#include <memory>
#include <string_view>

namespace attn {
namespace rt {

/// Arguments of one cache write.
struct CacheWriteArgs {
  /// [>= num_tokens, kv_heads, head_size] in the kernel's dtype. Rows past
  /// num_tokens (padding) are not read.
  TensorRef key;
  /// [>= num_tokens, kv_heads, head_size_v].
  TensorRef value;
  /// [num_blocks, block_size, kv_heads, head_size(+4)].
  TensorRef kCache;
  /// [num_blocks, block_size, kv_heads, head_size_v(+4)].
  TensorRef vCache;
  /// [num_tokens] i64: the slot (block * block_size + offset) of each token,
  /// or -1 to skip it. Its length defines num_tokens.
  TensorRef slotMapping;
  /// One f32 each ([] or [1]); needed when kv_dtype is fp8_e4m3/fp8_e5m2.
  TensorRef kScale;
  TensorRef vScale;
  void *stream = nullptr;
};

class CacheWriteKernel {
public:
  /// Finds cache_write variant `name` in `module` (loaded on `device`).
  static StatusOr<std::unique_ptr<CacheWriteKernel>>
  create(Device &device, Module &module, std::string_view name);

  ~CacheWriteKernel();
  CacheWriteKernel(const CacheWriteKernel &) = delete;
  CacheWriteKernel &operator=(const CacheWriteKernel &) = delete;

  /// Validates and launches `_write` over num_tokens * kv_heads programs.
  Status run(const CacheWriteArgs &args);
  Status run(const TensorRef &key, const TensorRef &value,
             const TensorRef &kCache, const TensorRef &vCache,
             const TensorRef &slotMapping, const TensorRef &kScale = {},
             const TensorRef &vScale = {}, void *stream = nullptr);

  const KernelInfo &info() const { return info_; }

private:
  CacheWriteKernel(Device &device, const KernelInfo &info)
      : device_(device), info_(info) {}

  Device &device_;
  KernelInfo info_;
  Function write_;
};

} // namespace rt
} // namespace attn

#endif // ATTN_RUNTIME_CACHEWRITEKERNEL_H
