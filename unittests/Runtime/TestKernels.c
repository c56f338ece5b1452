/*===- TestKernels.c - Recording kernels for runtime tests --------*- C -*-===*\
|*                                                                            *|
|* Part of the attn project, the runtime unit tests.                          *|
|*                                                                            *|
|*===----------------------------------------------------------------------===*|
|*                                                                            *|
|* Built several times (CMakeLists.txt) with ATTN_TEST_VARIANT:               *|
|*   0  a good bundle: six kernels of every shape the runtime handles         *|
|*   1  no attn_manifest symbol                                               *|
|*   2  attn_manifest that is not valid JSON                                  *|
|*   3  a manifest naming a function the bundle does not export               *|
|*   4  attn_manifest declared as a pointer instead of a char array           *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include "TestKernels.h"

#include "attn/Runtime/KernelABI.h"

#include <string.h>

#ifndef ATTN_TEST_VARIANT
#define ATTN_TEST_VARIANT 0
#endif

attn_test_records_t attn_test_records;

void attn_test_reset(void) {
  memset(attn_test_records, 0, sizeof(attn_test_records));
}

/* Unused in the bundles without kernels. */
__attribute__((unused)) static void record(int fn, int kernel, int64_t begin,
                                           int64_t end, const void *const *ptrs,
                                           int num_ptrs, const int32_t *scalars,
                                           int num_scalars) {
  attn_test_record *r = &attn_test_records[fn];
  __atomic_fetch_add(&r->ranges, 1, __ATOMIC_RELAXED);
  __atomic_fetch_add(&r->programs, end - begin, __ATOMIC_RELAXED);
  for (int64_t pid = begin; pid < end; ++pid) {
    if (pid >= 0 && pid < ATTN_TEST_MAX_PIDS)
      __atomic_fetch_add(&r->hits[pid], 1, __ATOMIC_RELAXED);
    else
      __atomic_fetch_add(&r->out_of_range, 1, __ATOMIC_RELAXED);
  }
  int64_t seen = __atomic_load_n(&r->max_pid_end, __ATOMIC_RELAXED);
  while (end > seen &&
         !__atomic_compare_exchange_n(&r->max_pid_end, &seen, end, 1,
                                      __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
  }
  if (begin != 0)
    return;
  r->kernel = kernel;
  for (int i = 0; i < num_ptrs; ++i)
    r->ptrs[i] = ptrs[i];
  for (int i = 0; i < num_scalars; ++i)
    r->scalars[i] = scalars[i];
  if (fn == ATTN_TEST_FN_REDUCE)
    r->split_programs_before = __atomic_load_n(
        &attn_test_records[ATTN_TEST_FN_SPLIT].programs, __ATOMIC_RELAXED);
}

/* Kernels with the packed-argument ABI: args[i] points to argument i. */
#define ATTENTION_FN(symbol, fn, kernel)                                       \
  void symbol(int64_t pid_begin, int64_t pid_end, void *const *args) {         \
    const void *ptrs[ATTN_TEST_NUM_PTRS];                                      \
    for (int i = 0; i < ATTN_TEST_NUM_PTRS; ++i)                               \
      ptrs[i] = *(const void *const *)args[i];                                 \
    int32_t scalars[6];                                                        \
    for (int i = 0; i < 6; ++i)                                                \
      scalars[i] = *(const int32_t *)args[ATTN_TEST_NUM_PTRS + i];             \
    record(fn, kernel, pid_begin, pid_end, ptrs, ATTN_TEST_NUM_PTRS, scalars,  \
           6);                                                                 \
  }

#define WRITE_FN(symbol, kernel)                                               \
  void symbol(int64_t pid_begin, int64_t pid_end, void *const *args) {         \
    const void *ptrs[7];                                                       \
    for (int i = 0; i < 7; ++i)                                                \
      ptrs[i] = *(const void *const *)args[i];                                 \
    int32_t scalars[2] = {*(const int32_t *)args[7],                           \
                          *(const int32_t *)args[8]};                          \
    record(ATTN_TEST_FN_WRITE, kernel, pid_begin, pid_end, ptrs, 7, scalars,   \
           2);                                                                 \
  }

#if ATTN_TEST_VARIANT == 0

const char attn_manifest[] =
    "{\"version\": 2, \"kernels\": [\n"
    " {\"name\": \"paged\", \"kind\": \"attention\", \"spec\": \"heads=4\",\n"
    "  \"heads\": 4, \"kv_heads\": 2, \"head_size\": 8, \"head_size_v\": 8,\n"
    "  \"block_size\": 4, \"kv_layout\": \"paged\", \"dtype\": \"f32\",\n"
    "  \"kv_dtype\": \"auto\", \"out_dtype\": \"f32\", \"kv_row_bytes\": 32,\n"
    "  \"causal\": 1, \"sinks\": 0, \"alibi\": \"none\", \"mm_prefix\": 0,\n"
    "  \"qq_bias\": 0, \"lse\": 0, \"scale\": 0.35355339059327373,\n"
    "  \"block_q\": 2, \"block_m\": 4, \"block_n\": 4, \"segments\": 2,\n"
    "  \"wide_block_q\": 4, \"wide_block_m\": 8,\n"
    "  \"functions\": {\"2d\": \"paged_2d\", \"split\": \"paged_split\",\n"
    "                \"reduce\": \"paged_reduce\",\n"
    "                \"2d_wide\": \"paged_2d_wide\"}},\n"
    " {\"name\": \"full\", \"kind\": \"attention\",\n"
    "  \"heads\": 4, \"kv_heads\": 1, \"head_size\": 8, \"head_size_v\": 8,\n"
    "  \"block_size\": 4, \"kv_layout\": \"paged\", \"dtype\": \"bf16\",\n"
    "  \"kv_dtype\": \"fp8_e4m3\", \"out_dtype\": \"fp8_e4m3\",\n"
    "  \"causal\": 1, \"sinks\": 1, \"alibi\": \"plain\", \"mm_prefix\": 1,\n"
    "  \"qq_bias\": 1, \"lse\": 1, \"scale\": 0.125,\n"
    "  \"block_q\": 1, \"block_m\": 4, \"block_n\": 4, \"segments\": 0,\n"
    "  \"functions\": {\"2d\": \"full_2d\"}},\n"
    " {\"name\": \"pth\", \"kind\": \"attention\",\n"
    "  \"heads\": 2, \"kv_heads\": 2, \"head_size\": 8, \"head_size_v\": 16,\n"
    "  \"block_size\": 4, \"kv_layout\": \"paged\", \"dtype\": \"f16\",\n"
    "  \"kv_dtype\": \"int8_per_token_head\", \"out_dtype\": \"f16\",\n"
    "  \"causal\": 1, \"sinks\": 0, \"alibi\": \"none\", \"mm_prefix\": 0,\n"
    "  \"qq_bias\": 0, \"lse\": 0, \"scale\": 0.125,\n"
    "  \"block_q\": 2, \"block_m\": 4, \"block_n\": 4, \"segments\": 0,\n"
    "  \"functions\": {\"2d\": \"pth_2d\"}},\n"
    " {\"name\": \"varlen\", \"kind\": \"attention\",\n"
    "  \"heads\": 2, \"kv_heads\": 1, \"head_size\": 4, \"head_size_v\": 4,\n"
    "  \"kv_layout\": \"varlen\", \"dtype\": \"f32\", \"kv_dtype\": \"auto\",\n"
    "  \"out_dtype\": \"f32\", \"causal\": 0, \"window_left\": 9,\n"
    "  \"sinks\": 0, \"alibi\": \"none\",\n"
    "  \"mm_prefix\": 0, \"qq_bias\": 0, \"lse\": 0, \"scale\": 0.5,\n"
    "  \"block_q\": 4, \"block_m\": 4, \"block_n\": 8, \"segments\": 2,\n"
    "  \"functions\": {\"2d\": \"varlen_2d\", \"split\": \"varlen_split\",\n"
    "                \"reduce\": \"varlen_reduce\"}},\n"
    " {\"name\": \"cache\", \"kind\": \"cache_write\",\n"
    "  \"kv_heads\": 2, \"head_size\": 8, \"head_size_v\": 8, \"block_size\": "
    "4,\n"
    "  \"kv_layout\": \"paged\", \"dtype\": \"f32\", \"kv_dtype\": \"auto\",\n"
    "  \"functions\": {\"write\": \"cache_write\"}},\n"
    " {\"name\": \"cache_fp8\", \"kind\": \"cache_write\",\n"
    "  \"kv_heads\": 1, \"head_size\": 8, \"block_size\": 4,\n"
    "  \"kv_layout\": \"paged\", \"dtype\": \"bf16\", \"kv_dtype\": "
    "\"fp8_e5m2\",\n"
    "  \"functions\": {\"write\": \"cache_fp8_write\"}}\n"
    "]}\n";

ATTENTION_FN(paged_2d, ATTN_TEST_FN_2D, 0)
ATTENTION_FN(paged_split, ATTN_TEST_FN_SPLIT, 0)
ATTENTION_FN(paged_reduce, ATTN_TEST_FN_REDUCE, 0)
ATTENTION_FN(paged_2d_wide, ATTN_TEST_FN_2D_WIDE, 0)
ATTENTION_FN(full_2d, ATTN_TEST_FN_2D, 1)
ATTENTION_FN(pth_2d, ATTN_TEST_FN_2D, 2)
ATTENTION_FN(varlen_2d, ATTN_TEST_FN_2D, 3)
ATTENTION_FN(varlen_split, ATTN_TEST_FN_SPLIT, 3)
ATTENTION_FN(varlen_reduce, ATTN_TEST_FN_REDUCE, 3)
WRITE_FN(cache_write, 4)
WRITE_FN(cache_fp8_write, 5)

/* The functions must have exactly the ABI's types. */
const attn_host_kernel_fn attn_test_attention_fns[] = {
    paged_2d, paged_split,  paged_reduce,  full_2d,      pth_2d,
    varlen_2d, varlen_split, varlen_reduce, paged_2d_wide};
const attn_host_kernel_fn attn_test_write_fns[] = {cache_write,
                                                        cache_fp8_write};

#elif ATTN_TEST_VARIANT == 1

int attn_test_not_a_bundle(void) { return 42; }

#elif ATTN_TEST_VARIANT == 2

const char attn_manifest[] =
    "{\"version\": 2,\n \"kernels\": [\n  {\"name\": \"x\",}\n]}";

#elif ATTN_TEST_VARIANT == 3

const char attn_manifest[] =
    "{\"version\": 2, \"kernels\": [\n"
    " {\"name\": \"ghost\", \"kind\": \"attention\",\n"
    "  \"heads\": 1, \"kv_heads\": 1, \"head_size\": 8, \"block_size\": 4,\n"
    "  \"kv_layout\": \"paged\", \"dtype\": \"f32\", \"kv_dtype\": \"auto\",\n"
    "  \"sinks\": 0, \"alibi\": \"none\", \"mm_prefix\": 0, \"qq_bias\": 0,\n"
    "  \"lse\": 0, \"block_q\": 1, \"block_n\": 4, \"segments\": 0,\n"
    "  \"functions\": {\"2d\": \"ghost_2d\"}}]}";

ATTENTION_FN(present_2d, ATTN_TEST_FN_2D, 0)

#elif ATTN_TEST_VARIANT == 4

const char *attn_manifest = "{\"version\": 2, \"kernels\": []}";

#endif
