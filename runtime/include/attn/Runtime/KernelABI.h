/*===- KernelABI.h - Signatures of compiled host kernels ----------*- C -*-===*\
|*                                                                            *|
|* Part of the attn project, the runtime library (libattnrt).                 *|
|*                                                                            *|
|*===----------------------------------------------------------------------===*|
|*                                                                            *|
|* The function pointer types of docs/KernelABI.md (version 2), usable from   *|
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
#define ATTN_KERNEL_ABI_VERSION 2

/** The name of the manifest symbol: a NUL-terminated `const char[]`. */
#define ATTN_MANIFEST_SYMBOL "attn_manifest"

/** Every exported kernel (`<name>_2d`, `_split`, `_reduce`, `_write`):
 * runs programs [pid_begin, pid_end); `args[i]` points to the value of
 * argument i (a buffer address or an int32_t), as CUDA's kernelParams. */
typedef void (*attn_host_kernel_fn)(int64_t pid_begin, int64_t pid_end,
                                    void *const *args);

/** Number of arguments of attention and cache-write kernels. */
#define ATTN_ATTENTION_NUM_ARGS 24
#define ATTN_CACHE_WRITE_NUM_ARGS 9

#ifdef __cplusplus
}
#endif

#endif /* ATTN_RUNTIME_KERNELABI_H */
