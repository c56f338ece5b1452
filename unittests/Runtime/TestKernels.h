/*===- TestKernels.h - Recording kernels for runtime tests --------*- C -*-===*\
|*                                                                            *|
|* Part of the attn project, the runtime unit tests.                          *|
|*                                                                            *|
|*===----------------------------------------------------------------------===*|
|*                                                                            *|
|* The test bundle (TestKernels.c) exports kernels with the exact ABI         *|
|* signatures that compute nothing: they record which programs ran and the    *|
|* arguments they got, so the tests can check the runtime's launch plumbing.  *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef ATTN_UNITTESTS_RUNTIME_TESTKERNELS_H
#define ATTN_UNITTESTS_RUNTIME_TESTKERNELS_H

#include <stdint.h>

#define ATTN_TEST_MAX_PIDS 65536

/* Which entry point a record is for. */
enum {
  ATTN_TEST_FN_2D = 0,
  ATTN_TEST_FN_SPLIT = 1,
  ATTN_TEST_FN_REDUCE = 2,
  ATTN_TEST_FN_WRITE = 3,
  ATTN_TEST_FN_2D_WIDE = 4,
  ATTN_TEST_NUM_FNS = 5
};

/* Pointer arguments, in ABI order. Attention: q, k, v, block_table, seq_lens,
 * cu_seqlens_q, cu_seqlens_k, sinks, alibi_slopes, mm_prefix_ranges, qq_bias,
 * k_scale, v_scale, out_scale, out, lse, partial_out, partial_lse.
 * Cache write: key, value, k_cache, v_cache, slot_mapping, k_scale, v_scale. */
enum {
  ATTN_TEST_Q = 0,
  ATTN_TEST_K,
  ATTN_TEST_V,
  ATTN_TEST_BLOCK_TABLE,
  ATTN_TEST_SEQ_LENS,
  ATTN_TEST_CU_SEQLENS_Q,
  ATTN_TEST_CU_SEQLENS_K,
  ATTN_TEST_SINKS,
  ATTN_TEST_ALIBI_SLOPES,
  ATTN_TEST_MM_PREFIX_RANGES,
  ATTN_TEST_QQ_BIAS,
  ATTN_TEST_K_SCALE,
  ATTN_TEST_V_SCALE,
  ATTN_TEST_OUT_SCALE,
  ATTN_TEST_OUT,
  ATTN_TEST_LSE,
  ATTN_TEST_PARTIAL_OUT,
  ATTN_TEST_PARTIAL_LSE,
  ATTN_TEST_NUM_PTRS
};

typedef struct attn_test_record {
  int64_t ranges;   /* range calls */
  int64_t programs; /* programs run, all ranges together */
  int64_t max_pid_end;
  int64_t out_of_range; /* pids >= ATTN_TEST_MAX_PIDS */
  /* Set by the range that starts at pid 0: */
  int32_t kernel; /* index of the kernel in the manifest */
  int32_t scalars[6];
  const void *ptrs[ATTN_TEST_NUM_PTRS];
  /* Reduce only: split programs already run when the reduce began. */
  int64_t split_programs_before;
  int32_t hits[ATTN_TEST_MAX_PIDS];
} attn_test_record;

/* Exported by the bundle. */
typedef attn_test_record attn_test_records_t[ATTN_TEST_NUM_FNS];
typedef void (*attn_test_reset_fn)(void);

#endif /* ATTN_UNITTESTS_RUNTIME_TESTKERNELS_H */
