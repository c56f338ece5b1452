//===- KVCacheCAPI.cpp - C API of the paged KV cache ----------------------===//
//
// Part of the attn project, the runtime library (libattnrt).
//
//===----------------------------------------------------------------------===//
//
// Thin wrappers over PagedKVCache, with the conventions of CAPI.cpp: every
// entry point catches exceptions, errors go to attn_last_error(), the
// handle holds a shared_ptr to its device.
//
//===----------------------------------------------------------------------===//

#include "attn-c/KVCache.h"

#include "Common/CAPIInternal.h"
#include "attn/Runtime/KVCache.h"

#include <exception>
#include <memory>
#include <new>
#include <vector>

using attn::rt::DType;
using attn::rt::KvDType;
using attn::rt::PagedKVCache;
using attn::rt::Status;
using attn::rt::StatusCode;
using attn::rt::TensorRef;
using attn::rt::capi::reportStatus;

static_assert(
    ATTN_KV_DTYPE_FP8_E4M3 == static_cast<int>(KvDType::Fp8E4M3) &&
        ATTN_KV_DTYPE_FP8_E5M2 == static_cast<int>(KvDType::Fp8E5M2) &&
        ATTN_KV_DTYPE_FP8_PER_TOKEN_HEAD ==
            static_cast<int>(KvDType::Fp8PerTokenHead) &&
        ATTN_KV_DTYPE_FP8_E4M3FNUZ == static_cast<int>(KvDType::Fp8E4M3Fnuz) &&
        ATTN_KV_DTYPE_FP8_E5M2FNUZ == static_cast<int>(KvDType::Fp8E5M2Fnuz) &&
        ATTN_KV_DTYPE_FP8_E5M2FNUZ + 1 == attn::rt::kNumKvDTypes,
    "ATTN_KV_DTYPE_* must match attn::rt::KvDType");

struct attn_kv_cache {
  std::shared_ptr<attn::rt::Device> device;
  std::unique_ptr<PagedKVCache> cache;
  /// prepare_step's argument list (max_num_seqs entries, made once).
  std::vector<attn::rt::StepSequence> stepSeqs;
};

namespace {
int nullArgument(const char *what) {
  return reportStatus(attn::rt::invalidArgument(what, " is NULL"));
}

template <typename Fn> int guarded(Fn &&body) {
  try {
    return body();
  } catch (const std::bad_alloc &) {
    return reportStatus(Status(StatusCode::OutOfMemory, "out of host memory"));
  } catch (const std::exception &e) {
    return reportStatus(Status(StatusCode::Internal, e.what()));
  } catch (...) {
    return reportStatus(Status(StatusCode::Internal, "unknown exception"));
  }
}

TensorRef toTensor(const attn_tensor_t &t) {
  TensorRef ref;
  ref.data = t.data;
  ref.dtype = static_cast<DType>(t.dtype);
  ref.rank = t.rank;
  for (int i = 0; i < attn::rt::kMaxRank; ++i)
    ref.shape[i] = t.shape[i];
  return ref;
}

attn_tensor_t fromTensor(const TensorRef &ref) {
  attn_tensor_t t;
  t.data = ref.data;
  t.dtype = static_cast<int32_t>(ref.dtype);
  t.rank = ref.rank;
  for (int i = 0; i < attn::rt::kMaxRank; ++i)
    t.shape[i] = ref.shape[i];
  return t;
}
} // namespace

extern "C" {

void attn_kv_cache_config_init(attn_kv_cache_config_t *config) {
  if (!config)
    return;
  attn::rt::KVCacheConfig d;
  config->num_layers = d.numLayers;
  config->num_blocks = d.numBlocks;
  config->block_size = d.blockSize;
  config->num_kv_heads = d.numKvHeads;
  config->head_size = d.headSize;
  config->head_size_v = d.headSizeV;
  config->dtype = static_cast<int32_t>(d.dtype);
  config->kv_dtype = static_cast<int32_t>(d.kvDType);
  config->max_num_seqs = d.maxNumSeqs;
  config->max_num_batched_tokens = d.maxNumBatchedTokens;
  config->max_blocks_per_seq = d.maxBlocksPerSeq;
  config->max_live_seqs = d.maxLiveSeqs;
  config->enable_prefix_caching = d.enablePrefixCaching ? 1 : 0;
  config->single_allocation = d.singleAllocation ? 1 : 0;
}

int attn_kv_cache_create(attn_device_t device,
                         const attn_kv_cache_config_t *config,
                         attn_kv_cache_t *cache) {
  if (!device || !config || !cache)
    return nullArgument(!device ? "device" : !config ? "config" : "cache");
  *cache = nullptr;
  return guarded([&] {
    attn::rt::KVCacheConfig c;
    c.numLayers = config->num_layers;
    c.numBlocks = config->num_blocks;
    c.blockSize = config->block_size;
    c.numKvHeads = config->num_kv_heads;
    c.headSize = config->head_size;
    c.headSizeV = config->head_size_v;
    c.dtype = static_cast<DType>(config->dtype);
    c.kvDType = static_cast<attn::rt::KvDType>(config->kv_dtype);
    c.maxNumSeqs = config->max_num_seqs;
    c.maxNumBatchedTokens = config->max_num_batched_tokens;
    c.maxBlocksPerSeq = config->max_blocks_per_seq;
    c.maxLiveSeqs = config->max_live_seqs;
    c.enablePrefixCaching = config->enable_prefix_caching != 0;
    c.singleAllocation = config->single_allocation != 0;
    auto handle = std::make_unique<attn_kv_cache>();
    handle->device = attn::rt::capi::deviceOf(device);
    auto created = PagedKVCache::create(*handle->device, c);
    if (!created.isOk())
      return reportStatus(created.status());
    handle->cache = std::move(*created);
    handle->stepSeqs.resize(
        static_cast<size_t>(handle->cache->config().maxNumSeqs));
    *cache = handle.release();
    return reportStatus(Status::ok());
  });
}

void attn_kv_cache_destroy(attn_kv_cache_t cache) { delete cache; }

int attn_kv_cache_add_sequence(attn_kv_cache_t cache, int64_t seq_id,
                               const int32_t *tokens, int64_t num_tokens,
                               int64_t *num_cached_tokens) {
  if (!cache)
    return nullArgument("cache");
  return guarded([&] {
    auto added = cache->cache->addSequence(seq_id, tokens, num_tokens);
    if (!added.isOk())
      return reportStatus(added.status());
    if (num_cached_tokens)
      *num_cached_tokens = *added;
    return reportStatus(Status::ok());
  });
}

int attn_kv_cache_append_tokens(attn_kv_cache_t cache, int64_t seq_id,
                                const int32_t *tokens, int64_t num_tokens) {
  if (!cache)
    return nullArgument("cache");
  return guarded([&] {
    return reportStatus(cache->cache->appendTokens(seq_id, tokens, num_tokens));
  });
}

int attn_kv_cache_free_sequence(attn_kv_cache_t cache, int64_t seq_id) {
  if (!cache)
    return nullArgument("cache");
  return guarded(
      [&] { return reportStatus(cache->cache->freeSequence(seq_id)); });
}

int attn_kv_cache_fork_sequence(attn_kv_cache_t cache, int64_t parent,
                                int64_t child) {
  if (!cache)
    return nullArgument("cache");
  return guarded(
      [&] { return reportStatus(cache->cache->forkSequence(parent, child)); });
}

int attn_kv_cache_sequence_info(attn_kv_cache_t cache, int64_t seq_id,
                                int64_t *num_tokens, int64_t *num_computed,
                                int64_t *num_blocks) {
  if (!cache)
    return nullArgument("cache");
  return guarded([&] {
    auto view = cache->cache->blockManager().sequence(seq_id);
    if (!view.isOk())
      return reportStatus(view.status());
    if (num_tokens)
      *num_tokens = view->numTokens;
    if (num_computed)
      *num_computed = view->numComputed;
    if (num_blocks)
      *num_blocks = view->numBlocks;
    return reportStatus(Status::ok());
  });
}

int attn_kv_cache_prepare_step(attn_kv_cache_t cache, const int64_t *seq_ids,
                               const int64_t *max_new_tokens, int64_t num_seqs,
                               int64_t pad_to, attn_kv_step_t *step) {
  if (!cache || !step)
    return nullArgument(!cache ? "cache" : "step");
  if (num_seqs > 0 && !seq_ids)
    return nullArgument("seq_ids");
  return guarded([&] {
    int64_t maxSeqs = cache->cache->config().maxNumSeqs;
    if (num_seqs < 0 || num_seqs > maxSeqs)
      return reportStatus(attn::rt::invalidArgument(
          "prepare_step: num_seqs (", num_seqs, ") must be in [0, ", maxSeqs,
          "] (max_num_seqs)"));
    for (int64_t i = 0; i < num_seqs; ++i) {
      cache->stepSeqs[i].id = seq_ids[i];
      cache->stepSeqs[i].maxNewTokens = max_new_tokens ? max_new_tokens[i] : -1;
    }
    auto prepared = cache->cache->prepareStep(
        cache->stepSeqs.data(), static_cast<size_t>(num_seqs), pad_to);
    if (!prepared.isOk())
      return reportStatus(prepared.status());
    const attn::rt::StepMetadata &m = *prepared;
    step->block_table = fromTensor(m.blockTable);
    step->seq_lens = fromTensor(m.seqLens);
    step->cu_seqlens_q = fromTensor(m.cuSeqlensQ);
    step->slot_mapping = fromTensor(m.slotMapping);
    step->num_seqs = m.numSeqs;
    step->num_tokens = m.numTokens;
    step->num_padded_tokens = m.numPaddedTokens;
    step->max_seq_len = m.maxSeqLen;
    step->max_query_len = m.maxQueryLen;
    step->num_block_copies = m.numBlockCopies;
    step->step_index = m.stepIndex;
    step->total_seq_len = m.totalSeqLen;
    return reportStatus(Status::ok());
  });
}

int attn_kv_cache_layer(attn_kv_cache_t cache, int64_t layer,
                        attn_tensor_t *k_cache, attn_tensor_t *v_cache,
                        attn_tensor_t *k_scale, attn_tensor_t *v_scale) {
  if (!cache)
    return nullArgument("cache");
  return guarded([&] {
    int64_t layers = cache->cache->config().numLayers;
    if (layer < 0 || layer >= layers)
      return reportStatus(attn::rt::invalidArgument(
          "KV cache: layer ", layer, " is out of range [0, ", layers, ")"));
    if (k_cache)
      *k_cache = fromTensor(cache->cache->kCache(layer));
    if (v_cache)
      *v_cache = fromTensor(cache->cache->vCache(layer));
    if (k_scale)
      *k_scale = fromTensor(cache->cache->kScale(layer));
    if (v_scale)
      *v_scale = fromTensor(cache->cache->vScale(layer));
    return reportStatus(Status::ok());
  });
}

int attn_kv_cache_set_scales(attn_kv_cache_t cache, int64_t layer,
                             float k_scale, float v_scale) {
  if (!cache)
    return nullArgument("cache");
  return guarded([&] {
    return reportStatus(cache->cache->setScales(layer, k_scale, v_scale));
  });
}

int attn_kv_cache_write(attn_kv_cache_t cache, int64_t layer,
                        attn_cache_write_t kernel, const attn_tensor_t *key,
                        const attn_tensor_t *value, void *stream) {
  if (!cache || !kernel || !key || !value)
    return nullArgument(!cache    ? "cache"
                        : !kernel ? "kernel"
                        : !key    ? "key"
                                  : "value");
  return guarded([&] {
    return reportStatus(cache->cache->writeKV(
        layer, *attn::rt::capi::cacheWriteKernelOf(kernel), toTensor(*key),
        toTensor(*value), stream));
  });
}

int attn_kv_cache_run_attention(attn_kv_cache_t cache, int64_t layer,
                                attn_attention_t kernel, const attn_tensor_t *q,
                                const attn_tensor_t *out, void *stream) {
  if (!cache || !kernel || !q || !out)
    return nullArgument(!cache    ? "cache"
                        : !kernel ? "kernel"
                        : !q      ? "q"
                                  : "out");
  return guarded([&] {
    return reportStatus(cache->cache->runAttention(
        layer, *attn::rt::capi::attentionKernelOf(kernel), toTensor(*q),
        toTensor(*out), stream));
  });
}

int attn_kv_cache_get_usage(attn_kv_cache_t cache,
                            attn_kv_cache_usage_t *usage) {
  if (!cache || !usage)
    return nullArgument(!cache ? "cache" : "usage");
  return guarded([&] {
    attn::rt::KVCacheStats s = cache->cache->stats();
    usage->total_blocks = s.blocks.total;
    usage->used_blocks = s.blocks.used;
    usage->cached_blocks = s.blocks.cached;
    usage->free_blocks = s.blocks.free;
    usage->num_sequences = s.numSequences;
    usage->prefix_query_tokens = s.counters.prefixQueryTokens;
    usage->prefix_hit_tokens = s.counters.prefixHitTokens;
    usage->blocks_allocated = s.counters.blocksAllocated;
    usage->evictions = s.counters.evictions;
    usage->cow_copies = s.counters.cowCopies;
    usage->blocks_registered = s.counters.blocksRegistered;
    usage->cache_bytes = static_cast<int64_t>(s.cacheBytes);
    usage->metadata_bytes = static_cast<int64_t>(s.metadataBytes);
    return reportStatus(Status::ok());
  });
}

int attn_kv_cache_reset_prefix_cache(attn_kv_cache_t cache) {
  if (!cache)
    return nullArgument("cache");
  return guarded([&] {
    cache->cache->blockManager().resetPrefixCache();
    return reportStatus(Status::ok());
  });
}

} // extern "C"
