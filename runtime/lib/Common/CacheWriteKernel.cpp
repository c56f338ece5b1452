//===- CacheWriteKernel.cpp - Writing keys/values into the cache ----------===//
//
// Part of the attn project, the runtime library (libattnrt).
//
//===----------------------------------------------------------------------===//

#include "attn/Runtime/CacheWriteKernel.h"

#include "Common/DataChecks.h"
#include "Common/Validation.h"

namespace attn {
namespace rt {

using detail::atLeastDim;
using detail::bindDim;
using detail::checkTensor;
using detail::derivedDim;
using detail::DTypeMask;
using detail::maskOf;
using detail::requireGiven;
using detail::staticDim;

CacheWriteKernel::~CacheWriteKernel() = default;

StatusOr<std::unique_ptr<CacheWriteKernel>>
CacheWriteKernel::create(Device &device, Module &module,
                         std::string_view name) {
  if (&module.device() != &device)
    return invalidArgument("module '", module.path(),
                           "' was loaded on another device");
  ATTN_RT_ASSIGN_OR_RETURN(const KernelInfo *info, module.lookup(name));
  if (info->kind != KernelKind::CacheWrite)
    return invalidArgument("kernel '", name, "' of module '", module.path(),
                           "' is an ", kernelKindName(info->kind),
                           " kernel, not a cache_write kernel");
  std::unique_ptr<CacheWriteKernel> kernel(new CacheWriteKernel(device, *info));
  ATTN_RT_ASSIGN_OR_RETURN(kernel->write_,
                           module.function(info->functions.write));
  return kernel;
}

Status CacheWriteKernel::run(const TensorRef &key, const TensorRef &value,
                             const TensorRef &kCache, const TensorRef &vCache,
                             const TensorRef &slotMapping,
                             const TensorRef &kScale, const TensorRef &vScale,
                             void *stream) {
  CacheWriteArgs args;
  args.key = key;
  args.value = value;
  args.kCache = kCache;
  args.vCache = vCache;
  args.slotMapping = slotMapping;
  args.kScale = kScale;
  args.vScale = vScale;
  args.stream = stream;
  return run(args);
}

Status CacheWriteKernel::run(const CacheWriteArgs &a) {
  const char *k = info_.name.c_str();
  const KernelInfo &info = info_;
  int64_t numTokens = 0, numBlocks = 0;

  ATTN_RT_RETURN_IF_ERROR(
      requireGiven(k, "slot_mapping", a.slotMapping, "all cache writes"));
  ATTN_RT_RETURN_IF_ERROR(checkTensor(k, "slot_mapping", a.slotMapping,
                                      maskOf(DType::I64),
                                      {bindDim("num_tokens", &numTokens)}));
  ATTN_RT_RETURN_IF_ERROR(requireGiven(k, "key", a.key, "all cache writes"));
  ATTN_RT_RETURN_IF_ERROR(checkTensor(k, "key", a.key, maskOf(info.dtype),
                                      {atLeastDim("num_tokens", numTokens),
                                       staticDim(info.kvHeads, "kv_heads"),
                                       staticDim(info.headSize, "head_size")}));
  ATTN_RT_RETURN_IF_ERROR(
      requireGiven(k, "value", a.value, "all cache writes"));
  ATTN_RT_RETURN_IF_ERROR(checkTensor(
      k, "value", a.value, maskOf(info.dtype),
      {atLeastDim("num_tokens", numTokens), staticDim(info.kvHeads, "kv_heads"),
       staticDim(info.headSizeV, "head_size_v")}));

  bool perTokenHead = isPerTokenHead(info.kvDType);
  DTypeMask kv = perTokenHead ? maskOf(DType::I8) | maskOf(DType::U8)
                              : maskOf(info.kvStorage());
  if (isFloat8(info.kvStorage()))
    kv |= maskOf(DType::U8);
  ATTN_RT_RETURN_IF_ERROR(
      requireGiven(k, "k_cache", a.kCache, "all cache writes"));
  ATTN_RT_RETURN_IF_ERROR(
      checkTensor(k, "k_cache", a.kCache, kv,
                  {bindDim("num_blocks", &numBlocks),
                   staticDim(info.blockSize, "block_size"),
                   staticDim(info.kvHeads, "kv_heads"),
                   staticDim(info.kCacheLastDim(),
                             perTokenHead ? "head_size+4" : "head_size")}));
  ATTN_RT_RETURN_IF_ERROR(
      requireGiven(k, "v_cache", a.vCache, "all cache writes"));
  ATTN_RT_RETURN_IF_ERROR(
      checkTensor(k, "v_cache", a.vCache, kv,
                  {derivedDim("num_blocks", numBlocks),
                   staticDim(info.blockSize, "block_size"),
                   staticDim(info.kvHeads, "kv_heads"),
                   staticDim(info.vCacheLastDim(),
                             perTokenHead ? "head_size_v+4" : "head_size_v")}));

  CacheWriteLaunchParams p;
  if (needsPerTensorScale(info.kvDType)) {
    const char *why = detail::perTensorScaleReason(info.kvDType);
    ATTN_RT_RETURN_IF_ERROR(detail::checkScalar(k, "k_scale", a.kScale, why));
    ATTN_RT_RETURN_IF_ERROR(detail::checkScalar(k, "v_scale", a.vScale, why));
    p.kScale = static_cast<const float *>(a.kScale.data);
    p.vScale = static_cast<const float *>(a.vScale.data);
  }

  int64_t numSlots = numBlocks * info.blockSize;
  ATTN_RT_RETURN_IF_ERROR(detail::checkInt32(k, "num_tokens", numTokens));
  ATTN_RT_RETURN_IF_ERROR(detail::checkInt32(k, "num_slots", numSlots));
  const auto *slots = static_cast<const int64_t *>(a.slotMapping.data);
  if (device_.isHostAccessible())
    ATTN_RT_RETURN_IF_ERROR(
        detail::checkSlotMapping(k, slots, numTokens, numSlots));

  p.key = a.key.data;
  p.value = a.value.data;
  p.kCache = a.kCache.data;
  p.vCache = a.vCache.data;
  p.slotMapping = slots;
  p.numTokens = static_cast<int32_t>(numTokens);
  p.numSlots = static_cast<int32_t>(numSlots);
  if (numTokens == 0)
    return Status::ok();
  return device_.launch(write_, numTokens * info.kvHeads, p, a.stream);
}

} // namespace rt
} // namespace attn
