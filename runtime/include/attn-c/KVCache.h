/*===- attn-c/KVCache.h - C API of the paged KV cache ------------*- C -*-===*\
|*                                                                            *|
|* Part of the attn project, the runtime library (libattnrt).                 *|
|*                                                                            *|
|*===----------------------------------------------------------------------===*|
|*                                                                            *|
|* The paged KV cache (attn/Runtime/KVCache.h) for C and Python (ctypes).     *|
|* Conventions are those of attn-c/Runtime.h: int status codes, messages     *|
|* through attn_last_error(), opaque handles that keep what they depend on    *|
|* alive (a cache keeps its device).                                          *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef ATTN_C_KVCACHE_H
#define ATTN_C_KVCACHE_H

#include "attn-c/Runtime.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** KV cache storage kinds (attn::rt::KvDType). */
enum {
  ATTN_KV_DTYPE_AUTO = 0,
  ATTN_KV_DTYPE_F32 = 1,
  ATTN_KV_DTYPE_F16 = 2,
  ATTN_KV_DTYPE_BF16 = 3,
  ATTN_KV_DTYPE_FP8_E4M3 = 4,
  ATTN_KV_DTYPE_FP8_E5M2 = 5,
  ATTN_KV_DTYPE_INT8_PER_TOKEN_HEAD = 6,
  ATTN_KV_DTYPE_FP8_PER_TOKEN_HEAD = 7,
  /* MI300 (gfx942) fp8, per-tensor descales (appended; codes above are
   * stable). */
  ATTN_KV_DTYPE_FP8_E4M3FNUZ = 8,
  ATTN_KV_DTYPE_FP8_E5M2FNUZ = 9
};

typedef struct attn_kv_cache *attn_kv_cache_t;

/** See attn::rt::KVCacheConfig. Fill with attn_kv_cache_config_init first. */
typedef struct attn_kv_cache_config {
  int64_t num_layers;
  int64_t num_blocks;
  int64_t block_size;
  int64_t num_kv_heads;
  int64_t head_size;
  int64_t head_size_v; /* 0: head_size */
  int32_t dtype;       /* ATTN_DTYPE_F32 / _F16 / _BF16 */
  int32_t kv_dtype;    /* ATTN_KV_DTYPE_* */
  int64_t max_num_seqs;
  int64_t max_num_batched_tokens;
  int64_t max_blocks_per_seq; /* 0: num_blocks */
  int64_t max_live_seqs;      /* 0: max_num_seqs */
  int32_t enable_prefix_caching;
  int32_t single_allocation;
} attn_kv_cache_config_t;

/** One prepared step (attn::rt::StepMetadata); the tensors are device
 *  memory owned by the cache, valid until the next prepare_step. */
typedef struct attn_kv_step {
  attn_tensor_t block_table;  /* i32 [num_seqs, width] */
  attn_tensor_t seq_lens;     /* i32 [num_seqs] */
  attn_tensor_t cu_seqlens_q; /* i32 [num_seqs + 1] */
  attn_tensor_t slot_mapping; /* i64 [num_padded_tokens], -1 = padding */
  int64_t num_seqs;
  int64_t num_tokens;
  int64_t num_padded_tokens;
  int64_t max_seq_len;
  int64_t max_query_len;
  int64_t num_block_copies;
  int64_t step_index;
  int64_t total_seq_len; /* sum of the sequences' lengths */
} attn_kv_step_t;

/** Block usage (used + cached + free == total) and counters. */
typedef struct attn_kv_cache_usage {
  int64_t total_blocks;
  int64_t used_blocks;
  int64_t cached_blocks;
  int64_t free_blocks;
  int64_t num_sequences;
  int64_t prefix_query_tokens;
  int64_t prefix_hit_tokens;
  int64_t blocks_allocated;
  int64_t evictions;
  int64_t cow_copies;
  int64_t blocks_registered;
  int64_t cache_bytes;
  int64_t metadata_bytes;
} attn_kv_cache_usage_t;

/** Defaults: 1 layer, block_size 16, bf16, auto, 256 seqs, 8192 tokens,
 *  prefix caching on; num_blocks, num_kv_heads, head_size are 0 (to set). */
void attn_kv_cache_config_init(attn_kv_cache_config_t *config);

int attn_kv_cache_create(attn_device_t device,
                         const attn_kv_cache_config_t *config,
                         attn_kv_cache_t *cache);
void attn_kv_cache_destroy(attn_kv_cache_t cache);

/* Sequences. */
/** num_cached_tokens (may be NULL) receives the prompt tokens found in the
 *  prefix cache. */
int attn_kv_cache_add_sequence(attn_kv_cache_t cache, int64_t seq_id,
                               const int32_t *tokens, int64_t num_tokens,
                               int64_t *num_cached_tokens);
int attn_kv_cache_append_tokens(attn_kv_cache_t cache, int64_t seq_id,
                                const int32_t *tokens, int64_t num_tokens);
int attn_kv_cache_free_sequence(attn_kv_cache_t cache, int64_t seq_id);
int attn_kv_cache_fork_sequence(attn_kv_cache_t cache, int64_t parent,
                                int64_t child);
/** Any output pointer may be NULL. */
int attn_kv_cache_sequence_info(attn_kv_cache_t cache, int64_t seq_id,
                                int64_t *num_tokens, int64_t *num_computed,
                                int64_t *num_blocks);

/* Steps. */
/** max_new_tokens may be NULL (every uncomputed token); otherwise entry i
 *  caps sequence i (-1: no cap). pad_to 0: no padding. */
int attn_kv_cache_prepare_step(attn_kv_cache_t cache, const int64_t *seq_ids,
                               const int64_t *max_new_tokens, int64_t num_seqs,
                               int64_t pad_to, attn_kv_step_t *step);

/* Layers and kernels. */
/** Any output pointer may be NULL; k_scale / v_scale come back absent
 *  (data NULL) unless the cache is fp8 per-tensor. */
int attn_kv_cache_layer(attn_kv_cache_t cache, int64_t layer,
                        attn_tensor_t *k_cache, attn_tensor_t *v_cache,
                        attn_tensor_t *k_scale, attn_tensor_t *v_scale);
/** layer -1: every layer. */
int attn_kv_cache_set_scales(attn_kv_cache_t cache, int64_t layer,
                             float k_scale, float v_scale);
/** Writes the last step's new K/V rows into `layer`. */
int attn_kv_cache_write(attn_kv_cache_t cache, int64_t layer,
                        attn_cache_write_t kernel, const attn_tensor_t *key,
                        const attn_tensor_t *value, void *stream);
/** Paged attention of `layer` over the last step. */
int attn_kv_cache_run_attention(attn_kv_cache_t cache, int64_t layer,
                                attn_attention_t kernel, const attn_tensor_t *q,
                                const attn_tensor_t *out, void *stream);

/* Usage. */
int attn_kv_cache_get_usage(attn_kv_cache_t cache,
                            attn_kv_cache_usage_t *usage);
int attn_kv_cache_reset_prefix_cache(attn_kv_cache_t cache);

#ifdef __cplusplus
}
#endif

#endif /* ATTN_C_KVCACHE_H */
