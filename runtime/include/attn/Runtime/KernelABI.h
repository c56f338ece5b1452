/*===- KernelABI.h - Signatures of compiled host kernels -----------*- C -*-===*\
|*                                                                            *|
|* Part of the attn project, the runtime library (libattnrt).                 *|
|*                                                                            *|
|*===----------------------------------------------------------------------===*|
|*                                                                            *|
|* The function pointer types of docs/KernelABI.md (version 1), usable from   *|
|* C and C++. Host bundles export functions of these types; the CPU backend   *|
|* calls them on ranges of program ids.                                       *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef ATTN_RUNTIME_KERNELABI_H
#define ATTN_RUNTIME_KERNELABI_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** ABI version of these signatures and of the manifest. */
#define ATTN_KERNEL_ABI_VERSION 1

/** The name of the manifest symbol: a NUL-terminated `const char[]`. */
#define ATTN_MANIFEST_SYMBOL "attn_manifest"

/** `<name>_2d`, `<name>_split` and `<name>_reduce`. */
typedef void (*attn_host_attention_fn)(
    int64_t pid_begin, int64_t pid_end, const void *q, const void *k,
    const void *v, const int32_t *block_table, const int32_t *seq_lens,
    const int32_t *cu_seqlens_q, const int32_t *cu_seqlens_k,
    const float *sinks, const float *alibi_slopes,
    const int32_t *mm_prefix_ranges, const float *qq_bias,
    const float *k_scale, const float *v_scale, const float *out_scale,
    void *out, float *lse, float *partial_out, float *partial_lse,
    int32_t num_seqs, int32_t num_tokens, int32_t max_blocks_per_seq,
    int32_t max_mm_ranges, int32_t qq_bias_stride);

/** `<name>_write`. */
typedef void (*attn_host_cache_write_fn)(
    int64_t pid_begin, int64_t pid_end, const void *key, const void *value,
    void *k_cache, void *v_cache, const int64_t *slot_mapping,
    const float *k_scale, const float *v_scale, int32_t num_tokens,
    int32_t num_slots);

#ifdef __cplusplus
}
#endif

#endif /* ATTN_RUNTIME_KERNELABI_H */
