/*===- FakeHIPRuntime.h - A fake HIP runtime for the tests --------*- C -*-===*\
|*                                                                            *|
|* Part of the attn project, the runtime unit tests.                          *|
|*                                                                            *|
|*===----------------------------------------------------------------------===*|
|*                                                                            *|
|* FakeHIPRuntime.c builds libamdhip64.so (in its own directory of the build  *|
|* tree) for AttnRuntimeHIPFakeTests: the HIP runtime API functions the       *|
|* runtime's HIP backend calls, on host memory, checked the way the ROCm      *|
|* runtime checks them (the current device of the calling thread, the launch  *|
|* configuration, kernelParams). Its "code objects" are text:                 *|
|*                                                                            *|
|*   ATTN-FAKE-HSACO                                                          *|
|*   <function> attention <value> <header> [<max threads per block>]          *|
|*   <function> write [<max threads per block>]                               *|
|*                                                                            *|
|* and a launch runs the probe of the device tests on the host at once, as    *|
|* the real probe kernels (HIPProbe.hip) do on a GPU: every block adds        *|
|* <value> to out[pid] (a cache write adds 1 to k_cache[pid]) and program 0   *|
|* writes a header of the arguments it got (HIPDeviceTest.cpp says which).    *|
|* The fake checks what the backend asks of the runtime, not what a GPU does. *|
|*                                                                            *|
|* The functions below control and inspect the fake.                          *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef ATTN_UNITTESTS_RUNTIME_FAKEHIPRUNTIME_H
#define ATTN_UNITTESTS_RUNTIME_FAKEHIPRUNTIME_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ATTN_FAKE_HIP_MAGIC "ATTN-FAKE-HSACO"
#define ATTN_FAKE_HIP_MAX_ARGS 23

/* One hipModuleLaunchKernel call that the fake accepted. */
typedef struct attn_fake_hip_launch {
  char function[64];
  unsigned grid[3];
  unsigned block[3];
  unsigned shared_bytes;
  void *stream;
  /* The calling thread's current device at the launch. */
  int device;
  int num_args;
  /* Pointers as addresses, int32 scalars sign-extended. */
  int64_t args[ATTN_FAKE_HIP_MAX_ARGS];
} attn_fake_hip_launch;

/* Back to the defaults (2 devices, hipInit succeeds), no launches or
 * attribute calls recorded, no failure armed; the calling thread's current
 * device becomes 0. Live allocations and modules are kept. */
void attn_fake_hip_reset(void);
void attn_fake_hip_set_device_count(int count);
/* What hipInit returns. */
void attn_fake_hip_set_init_result(int error);
/* The next call of `function` (e.g. "hipModuleLaunchKernel") returns
 * `error` and does nothing else. */
void attn_fake_hip_fail_next(const char *function, int error);

int attn_fake_hip_num_launches(void);
const attn_fake_hip_launch *attn_fake_hip_launch_at(int index);
int attn_fake_hip_live_allocations(void);
/* The calling thread's current device when `ptr` was allocated; -1 when it
 * is not a live allocation. */
int attn_fake_hip_allocation_device(const void *ptr);
int attn_fake_hip_live_modules(void);
int attn_fake_hip_set_device_calls(void);
/* hipFuncSetAttribute(hipFuncAttributeMaxDynamicSharedMemorySize) calls
 * and the value of the last one. */
int attn_fake_hip_func_attribute_calls(void);
int attn_fake_hip_last_func_attribute_value(void);

#ifdef __cplusplus
}
#endif

#endif /* ATTN_UNITTESTS_RUNTIME_FAKEHIPRUNTIME_H */
