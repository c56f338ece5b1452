/*===- attn-c/Runtime.h - C API of the attn runtime ---------------*- C -*-===*\
|*                                                                            *|
|* Part of the attn project, the runtime library (libattnrt).                 *|
|*                                                                            *|
|*===----------------------------------------------------------------------===*|
|*                                                                            *|
|* A plain C interface over the attn/Runtime headers, for Python (ctypes)     *|
|* and other languages. Objects are opaque handles; functions that can fail   *|
|* return an int status code (ATTN_OK = 0) and leave a message for            *|
|* attn_last_error(). Handles keep what they depend on alive: a module keeps  *|
|* its device, a kernel keeps its module, so they may be released in any      *|
|* order.                                                                     *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef ATTN_C_RUNTIME_H
#define ATTN_C_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Version of this C API; bumped when a struct or signature changes. */
#define ATTN_C_API_VERSION 2

/** Status codes (the values of attn::rt::StatusCode). */
enum {
  ATTN_OK = 0,
  ATTN_ERROR_INVALID_ARGUMENT = 1,
  ATTN_ERROR_NOT_FOUND = 2,
  ATTN_ERROR_UNAVAILABLE = 3,
  ATTN_ERROR_OUT_OF_MEMORY = 4,
  ATTN_ERROR_FAILED_PRECONDITION = 5,
  ATTN_ERROR_INTERNAL = 6
};

/** Device kinds (attn::rt::DeviceKind). */
enum { ATTN_DEVICE_CPU = 0, ATTN_DEVICE_CUDA = 1, ATTN_DEVICE_HIP = 2 };

/** Element types (attn::rt::DType). */
enum {
  ATTN_DTYPE_F32 = 0,
  ATTN_DTYPE_F16 = 1,
  ATTN_DTYPE_BF16 = 2,
  ATTN_DTYPE_FP8_E4M3 = 3,
  ATTN_DTYPE_FP8_E5M2 = 4,
  ATTN_DTYPE_I8 = 5,
  ATTN_DTYPE_U8 = 6,
  ATTN_DTYPE_I32 = 7,
  ATTN_DTYPE_I64 = 8,
  /* MI300 (gfx942) fp8: f8E4M3FNUZ / f8E5M2FNUZ (appended; codes above are
   * stable). */
  ATTN_DTYPE_FP8_E4M3FNUZ = 9,
  ATTN_DTYPE_FP8_E5M2FNUZ = 10
};

/** Attention launch paths (attn::rt::Path). */
enum {
  ATTN_PATH_AUTO = 0,
  ATTN_PATH_2D = 1,
  ATTN_PATH_SPLIT = 2,
  ATTN_PATH_2D_WIDE = 3 /* the plan's wide (prefill) 2D form */
};

typedef struct attn_device *attn_device_t;
typedef struct attn_module *attn_module_t;
typedef struct attn_attention *attn_attention_t;
typedef struct attn_cache_write *attn_cache_write_t;

/** A contiguous row-major tensor in device memory; data == NULL: absent. */
typedef struct attn_tensor {
  void *data;
  int32_t dtype; /* ATTN_DTYPE_* */
  int32_t rank;  /* 0..4 */
  int64_t shape[4];
} attn_tensor_t;

/** Arguments of attn_attention_run (see attn::rt::AttentionArgs). Zero the
 *  struct first (memset), then fill what the variant uses. */
typedef struct attn_attention_args {
  attn_tensor_t q;
  attn_tensor_t k_cache; /* k for varlen variants */
  attn_tensor_t v_cache; /* v for varlen variants */
  attn_tensor_t block_table;
  attn_tensor_t seq_lens;
  attn_tensor_t cu_seqlens_q;
  attn_tensor_t cu_seqlens_k;
  attn_tensor_t sinks;
  attn_tensor_t alibi_slopes;
  attn_tensor_t mm_prefix_ranges;
  attn_tensor_t qq_bias;
  attn_tensor_t k_scale;
  attn_tensor_t v_scale;
  attn_tensor_t out_scale;
  attn_tensor_t out;
  attn_tensor_t lse;
  int32_t num_seqs;    /* < 0: cu_seqlens_q.shape[0] - 1 */
  int32_t max_seq_len; /* hint; <= 0: unknown */
  int32_t path;        /* ATTN_PATH_* */
  int32_t total_seq_len; /* hint: sum of seq_lens; <= 0: unknown */
  void *stream;        /* cudaStream_t / hipStream_t; unused on CPU */
} attn_attention_args_t;

/** Arguments of attn_cache_write_run (see attn::rt::CacheWriteArgs). */
typedef struct attn_cache_write_args {
  attn_tensor_t key;
  attn_tensor_t value;
  attn_tensor_t k_cache;
  attn_tensor_t v_cache;
  attn_tensor_t slot_mapping; /* i64 [num_tokens] */
  attn_tensor_t k_scale;
  attn_tensor_t v_scale;
  void *stream;
} attn_cache_write_args_t;

/* Errors and names. */
int32_t attn_c_api_version(void);
/** The message of the latest call on this thread that failed; "" when the
 *  latest call succeeded. Valid until the next call on this thread. */
const char *attn_last_error(void);
const char *attn_status_name(int status);
const char *attn_dtype_name(int32_t dtype);
/** Element size in bytes; 0 for an invalid code. */
int32_t attn_dtype_size(int32_t dtype);
int attn_dtype_from_name(const char *name, int32_t *dtype);

/* Devices and memory. */
int attn_device_open(int32_t kind, int32_t ordinal, attn_device_t *device);
void attn_device_close(attn_device_t device);
/** Owned by the device handle. */
const char *attn_device_name(attn_device_t device);
int32_t attn_device_kind(attn_device_t device);
int attn_device_synchronize(attn_device_t device);
int attn_alloc(attn_device_t device, size_t bytes, void **ptr);
int attn_free(attn_device_t device, void *ptr);
int attn_memcpy_h2d(attn_device_t device, void *dst, const void *src,
                    size_t bytes);
int attn_memcpy_d2h(attn_device_t device, void *dst, const void *src,
                    size_t bytes);
int attn_memcpy_d2d(attn_device_t device, void *dst, const void *src,
                    size_t bytes);
int attn_memset(attn_device_t device, void *dst, int value, size_t bytes);

/* Modules. */
int attn_module_load(attn_device_t device, const char *path,
                     attn_module_t *module);
void attn_module_unload(attn_module_t module);
/** Number of kernels in the manifest; -1 for a NULL module. */
int32_t attn_module_num_kernels(attn_module_t module);
/** Kernel `index`'s manifest entry as JSON text, or NULL (see
 *  attn_last_error). Owned by the module. */
const char *attn_module_kernel_json(attn_module_t module, int32_t index);
const char *attn_module_kernel_name(attn_module_t module, int32_t index);
/** The whole manifest JSON text. Owned by the module. */
const char *attn_module_manifest(attn_module_t module);

/* Attention kernels. */
int attn_attention_create(attn_device_t device, attn_module_t module,
                          const char *name, int64_t max_num_tokens,
                          attn_attention_t *kernel);
int attn_attention_run(attn_attention_t kernel,
                       const attn_attention_args_t *args);
/** ATTN_PATH_* taken by the last successful run; -1 for NULL. */
int32_t attn_attention_last_path(attn_attention_t kernel);
void attn_attention_destroy(attn_attention_t kernel);

/* Cache-write kernels. */
int attn_cache_write_create(attn_device_t device, attn_module_t module,
                            const char *name, attn_cache_write_t *kernel);
int attn_cache_write_run(attn_cache_write_t kernel,
                         const attn_cache_write_args_t *args);
void attn_cache_write_destroy(attn_cache_write_t kernel);

#ifdef __cplusplus
}
#endif

#endif /* ATTN_C_RUNTIME_H */
