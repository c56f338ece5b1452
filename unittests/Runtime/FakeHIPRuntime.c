/*===- FakeHIPRuntime.c - A fake HIP runtime for the tests ----------------===*\
|*                                                                            *|
|* Part of the attn project, the runtime unit tests.                          *|
|*                                                                            *|
|*===----------------------------------------------------------------------===*|
|*                                                                            *|
|* See FakeHIPRuntime.h. The signatures and the numeric values are those of   *|
|* the ROCm 6.x headers, as the runtime declares them (HIP/HIPDriver.h).      *|
|* Not thread-safe beyond what the tests need: one mutex around the state.    *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include "FakeHIPRuntime.h"

#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXPORT __attribute__((visibility("default")))

typedef int hipError_t;

enum {
  hipSuccess = 0,
  hipErrorInvalidValue = 1,
  hipErrorOutOfMemory = 2,
  hipErrorInvalidConfiguration = 9,
  hipErrorInvalidDeviceFunction = 98,
  hipErrorNoDevice = 100,
  hipErrorInvalidDevice = 101,
  hipErrorInvalidImage = 200,
  hipErrorInvalidHandle = 400,
  hipErrorNotFound = 500,
  hipErrorIllegalAddress = 700,
  hipErrorLaunchFailure = 719,
};

enum {
  hipMemcpyHostToDevice = 1,
  hipMemcpyDeviceToHost = 2,
  hipMemcpyDeviceToDevice = 3,
};

#define MAX_DEVICES 8
#define MAX_ALLOCATIONS 1024
#define MAX_MODULES 64
#define MAX_FUNCTIONS 8
#define MAX_LAUNCHES 256
#define MAX_STREAMS 16
#define FUNCTION_MAGIC 0x46484950u /* "FHIP" */
#define LDS_BYTES 65536

/*===----------------------------------------------------------------------===*/
/* State                                                                      */
/*===----------------------------------------------------------------------===*/

typedef struct fake_function {
  unsigned magic;
  int module;
  char name[64];
  int is_write;         /* a cache-write probe (9 args), else attention (23) */
  unsigned value;       /* attention: added to out[pid] */
  unsigned header;      /* attention: header offset in lse, in words */
  unsigned max_threads; /* max_flat_workgroup_size */
} fake_function;

typedef struct fake_module {
  int live;
  int device;
  int num_functions;
  fake_function functions[MAX_FUNCTIONS];
} fake_module;

typedef struct fake_allocation {
  char *ptr;
  size_t size;
  int device;
} fake_allocation;

typedef struct fake_stream {
  int live;
  int device;
} fake_stream;

static pthread_mutex_t g_mutex = PTHREAD_MUTEX_INITIALIZER;
static int g_device_count = 2;
static int g_init_result = hipSuccess;
static char g_fail_function[64];
static int g_fail_error;
static hipError_t g_sticky_error; /* a fault of a launch, until synchronized */
static fake_allocation g_allocations[MAX_ALLOCATIONS];
static fake_module g_modules[MAX_MODULES];
static fake_stream g_streams[MAX_STREAMS];
static attn_fake_hip_launch g_launches[MAX_LAUNCHES];
static int g_num_launches;
static int g_set_device_calls;
static int g_func_attribute_calls;
static int g_last_func_attribute_value;
static _Thread_local int t_current_device;

static void lock(void) { pthread_mutex_lock(&g_mutex); }
static void unlock(void) { pthread_mutex_unlock(&g_mutex); }

/* Returns the armed error for `function`, once. */
static hipError_t failure(const char *function) {
  hipError_t error = hipSuccess;
  lock();
  if (g_fail_function[0] && strcmp(g_fail_function, function) == 0) {
    error = g_fail_error;
    g_fail_function[0] = '\0';
  }
  unlock();
  return error;
}

#define FAIL_POINT(name)                                                       \
  do {                                                                         \
    hipError_t armed_ = failure(name);                                         \
    if (armed_ != hipSuccess)                                                  \
      return armed_;                                                           \
  } while (0)

/* The allocation holding [ptr, ptr + size), or null. Under the lock. */
static fake_allocation *find_range(const void *ptr, size_t size) {
  const char *p = (const char *)ptr;
  for (int i = 0; i < MAX_ALLOCATIONS; ++i) {
    fake_allocation *a = &g_allocations[i];
    if (a->ptr && p >= a->ptr && (size_t)(p - a->ptr) <= a->size &&
        size <= a->size - (size_t)(p - a->ptr))
      return a;
  }
  return NULL;
}

/*===----------------------------------------------------------------------===*/
/* Control                                                                    */
/*===----------------------------------------------------------------------===*/

EXPORT void attn_fake_hip_reset(void) {
  lock();
  g_device_count = 2;
  g_init_result = hipSuccess;
  g_fail_function[0] = '\0';
  g_fail_error = hipSuccess;
  g_sticky_error = hipSuccess;
  g_num_launches = 0;
  g_set_device_calls = 0;
  g_func_attribute_calls = 0;
  g_last_func_attribute_value = 0;
  unlock();
  t_current_device = 0;
}

EXPORT void attn_fake_hip_set_device_count(int count) {
  lock();
  g_device_count = count < 0 ? 0 : count > MAX_DEVICES ? MAX_DEVICES : count;
  unlock();
}

EXPORT void attn_fake_hip_set_init_result(int error) {
  lock();
  g_init_result = error;
  unlock();
}

EXPORT void attn_fake_hip_fail_next(const char *function, int error) {
  lock();
  snprintf(g_fail_function, sizeof(g_fail_function), "%s", function);
  g_fail_error = error;
  unlock();
}

EXPORT int attn_fake_hip_num_launches(void) {
  lock();
  int n = g_num_launches;
  unlock();
  return n;
}

EXPORT const attn_fake_hip_launch *attn_fake_hip_launch_at(int index) {
  if (index < 0 || index >= attn_fake_hip_num_launches() ||
      index >= MAX_LAUNCHES)
    return NULL;
  return &g_launches[index];
}

EXPORT int attn_fake_hip_live_allocations(void) {
  int n = 0;
  lock();
  for (int i = 0; i < MAX_ALLOCATIONS; ++i)
    n += g_allocations[i].ptr != NULL;
  unlock();
  return n;
}

EXPORT int attn_fake_hip_allocation_device(const void *ptr) {
  int device = -1;
  lock();
  for (int i = 0; i < MAX_ALLOCATIONS; ++i)
    if (g_allocations[i].ptr && g_allocations[i].ptr == (const char *)ptr)
      device = g_allocations[i].device;
  unlock();
  return device;
}

EXPORT int attn_fake_hip_live_modules(void) {
  int n = 0;
  lock();
  for (int i = 0; i < MAX_MODULES; ++i)
    n += g_modules[i].live;
  unlock();
  return n;
}

EXPORT int attn_fake_hip_set_device_calls(void) {
  lock();
  int n = g_set_device_calls;
  unlock();
  return n;
}

EXPORT int attn_fake_hip_func_attribute_calls(void) {
  lock();
  int n = g_func_attribute_calls;
  unlock();
  return n;
}

EXPORT int attn_fake_hip_last_func_attribute_value(void) {
  lock();
  int n = g_last_func_attribute_value;
  unlock();
  return n;
}

/*===----------------------------------------------------------------------===*/
/* Errors                                                                     */
/*===----------------------------------------------------------------------===*/

EXPORT const char *hipGetErrorName(hipError_t error) {
  switch (error) {
  case hipSuccess:
    return "hipSuccess";
  case hipErrorInvalidValue:
    return "hipErrorInvalidValue";
  case hipErrorOutOfMemory:
    return "hipErrorOutOfMemory";
  case hipErrorInvalidConfiguration:
    return "hipErrorInvalidConfiguration";
  case hipErrorInvalidDeviceFunction:
    return "hipErrorInvalidDeviceFunction";
  case hipErrorNoDevice:
    return "hipErrorNoDevice";
  case hipErrorInvalidDevice:
    return "hipErrorInvalidDevice";
  case hipErrorInvalidImage:
    return "hipErrorInvalidImage";
  case hipErrorInvalidHandle:
    return "hipErrorInvalidHandle";
  case hipErrorNotFound:
    return "hipErrorNotFound";
  case hipErrorIllegalAddress:
    return "hipErrorIllegalAddress";
  case hipErrorLaunchFailure:
    return "hipErrorLaunchFailure";
  default:
    return "hipErrorUnknown"; /* as the ROCm runtime names unknown codes */
  }
}

EXPORT const char *hipGetErrorString(hipError_t error) {
  switch (error) {
  case hipSuccess:
    return "no error";
  case hipErrorInvalidValue:
    return "invalid argument";
  case hipErrorOutOfMemory:
    return "out of memory";
  case hipErrorInvalidConfiguration:
    return "invalid configuration argument";
  case hipErrorInvalidDeviceFunction:
    return "invalid device function";
  case hipErrorNoDevice:
    return "no ROCm-capable device is detected";
  case hipErrorInvalidDevice:
    return "invalid device ordinal";
  case hipErrorInvalidImage:
    return "device kernel image is invalid";
  case hipErrorInvalidHandle:
    return "invalid resource handle";
  case hipErrorNotFound:
    return "named symbol not found";
  case hipErrorIllegalAddress:
    return "an illegal memory access was encountered";
  case hipErrorLaunchFailure:
    return "unspecified launch failure";
  default:
    return "unknown error";
  }
}

/*===----------------------------------------------------------------------===*/
/* Devices                                                                    */
/*===----------------------------------------------------------------------===*/

static int device_count(void) {
  lock();
  int n = g_device_count;
  unlock();
  return n;
}

EXPORT hipError_t hipInit(unsigned flags) {
  FAIL_POINT("hipInit");
  if (flags != 0)
    return hipErrorInvalidValue;
  lock();
  hipError_t result = g_init_result;
  unlock();
  return result;
}

EXPORT hipError_t hipGetDeviceCount(int *count) {
  FAIL_POINT("hipGetDeviceCount");
  if (!count)
    return hipErrorInvalidValue;
  *count = device_count();
  return *count == 0 ? hipErrorNoDevice : hipSuccess;
}

EXPORT hipError_t hipDeviceGet(int *device, int ordinal) {
  FAIL_POINT("hipDeviceGet");
  if (!device)
    return hipErrorInvalidValue;
  if (ordinal < 0 || ordinal >= device_count())
    return hipErrorInvalidDevice;
  *device = ordinal;
  return hipSuccess;
}

EXPORT hipError_t hipSetDevice(int ordinal) {
  FAIL_POINT("hipSetDevice");
  if (ordinal < 0 || ordinal >= device_count())
    return hipErrorInvalidDevice;
  lock();
  ++g_set_device_calls;
  unlock();
  t_current_device = ordinal;
  return hipSuccess;
}

EXPORT hipError_t hipGetDevice(int *ordinal) {
  FAIL_POINT("hipGetDevice");
  if (!ordinal)
    return hipErrorInvalidValue;
  *ordinal = t_current_device;
  return hipSuccess;
}

EXPORT hipError_t hipDeviceGetName(char *name, int length, int device) {
  FAIL_POINT("hipDeviceGetName");
  if (!name || length <= 0)
    return hipErrorInvalidValue;
  if (device < 0 || device >= device_count())
    return hipErrorInvalidDevice;
  snprintf(name, (size_t)length, "Fake AMD GPU %d", device);
  return hipSuccess;
}

EXPORT hipError_t hipDeviceGetAttribute(int *value, int attribute, int device) {
  FAIL_POINT("hipDeviceGetAttribute");
  if (!value)
    return hipErrorInvalidValue;
  if (device < 0 || device >= device_count())
    return hipErrorInvalidDevice;
  switch (attribute) {
  case 26: /* hipDeviceAttributeMaxBlockDimX */
  case 27: /* hipDeviceAttributeMaxBlockDimY */
  case 28: /* hipDeviceAttributeMaxBlockDimZ */
  case 56: /* hipDeviceAttributeMaxThreadsPerBlock */
    *value = 1024;
    return hipSuccess;
  case 29: /* hipDeviceAttributeMaxGridDimX */
    *value = 2147483647;
    return hipSuccess;
  case 30: /* hipDeviceAttributeMaxGridDimY */
  case 31: /* hipDeviceAttributeMaxGridDimZ */
    *value = 65536;
    return hipSuccess;
  case 63: /* hipDeviceAttributeMultiprocessorCount */
    *value = 4 * (device + 1);
    return hipSuccess;
  case 74: /* hipDeviceAttributeMaxSharedMemoryPerBlock */
    *value = LDS_BYTES;
    return hipSuccess;
  case 87: /* hipDeviceAttributeWarpSize */
    *value = 64;
    return hipSuccess;
  default:
    return hipErrorInvalidValue;
  }
}

EXPORT hipError_t hipDeviceSynchronize(void) {
  FAIL_POINT("hipDeviceSynchronize");
  lock();
  hipError_t error = g_sticky_error;
  g_sticky_error = hipSuccess;
  unlock();
  return error;
}

/*===----------------------------------------------------------------------===*/
/* Memory                                                                     */
/*===----------------------------------------------------------------------===*/

EXPORT hipError_t hipMalloc(void **ptr, size_t bytes) {
  FAIL_POINT("hipMalloc");
  if (!ptr)
    return hipErrorInvalidValue;
  *ptr = NULL;
  if (bytes > ((size_t)1 << 36))
    return hipErrorOutOfMemory;
  void *memory = NULL;
  if (posix_memalign(&memory, 256, bytes ? bytes : 1) != 0)
    return hipErrorOutOfMemory;
  /* Fresh device memory is not zero. */
  memset(memory, 0xcd, bytes);
  lock();
  for (int i = 0; i < MAX_ALLOCATIONS; ++i) {
    if (!g_allocations[i].ptr) {
      g_allocations[i].ptr = memory;
      g_allocations[i].size = bytes;
      g_allocations[i].device = t_current_device;
      unlock();
      *ptr = memory;
      return hipSuccess;
    }
  }
  unlock();
  free(memory);
  return hipErrorOutOfMemory;
}

EXPORT hipError_t hipFree(void *ptr) {
  FAIL_POINT("hipFree");
  if (!ptr)
    return hipSuccess;
  lock();
  for (int i = 0; i < MAX_ALLOCATIONS; ++i) {
    if (g_allocations[i].ptr == ptr) {
      g_allocations[i].ptr = NULL;
      unlock();
      free(ptr);
      return hipSuccess;
    }
  }
  unlock();
  return hipErrorInvalidValue;
}

EXPORT hipError_t hipMemcpy(void *dst, const void *src, size_t bytes,
                            int kind) {
  FAIL_POINT("hipMemcpy");
  if (!bytes)
    return hipSuccess;
  if (!dst || !src)
    return hipErrorInvalidValue;
  lock();
  int ok;
  switch (kind) {
  case hipMemcpyHostToDevice:
    ok = find_range(dst, bytes) != NULL;
    break;
  case hipMemcpyDeviceToHost:
    ok = find_range(src, bytes) != NULL;
    break;
  case hipMemcpyDeviceToDevice:
    ok = find_range(dst, bytes) != NULL && find_range(src, bytes) != NULL;
    break;
  default:
    ok = 0;
  }
  unlock();
  if (!ok)
    return hipErrorInvalidValue;
  memmove(dst, src, bytes);
  return hipSuccess;
}

EXPORT hipError_t hipMemset(void *dst, int value, size_t bytes) {
  FAIL_POINT("hipMemset");
  if (!bytes)
    return hipSuccess;
  lock();
  int ok = find_range(dst, bytes) != NULL;
  unlock();
  if (!ok)
    return hipErrorInvalidValue;
  memset(dst, value, bytes);
  return hipSuccess;
}

/*===----------------------------------------------------------------------===*/
/* Modules                                                                    */
/*===----------------------------------------------------------------------===*/

typedef struct fake_module_st *hipModule_t;
typedef struct fake_function *hipFunction_t;

static fake_module *module_of(hipModule_t handle) {
  intptr_t index = (intptr_t)handle - 1;
  if (index < 0 || index >= MAX_MODULES || !g_modules[index].live)
    return NULL;
  return &g_modules[index];
}

/* Parses the text image into `module`; 0 when it is not a fake image. */
static int parse_image(const char *image, fake_module *module) {
  size_t magic = strlen(ATTN_FAKE_HIP_MAGIC);
  if (strncmp(image, ATTN_FAKE_HIP_MAGIC, magic) != 0 || image[magic] != '\n')
    return 0;
  const char *line = image + magic + 1;
  module->num_functions = 0;
  while (*line) {
    const char *end = strchr(line, '\n');
    size_t length = end ? (size_t)(end - line) : strlen(line);
    char text[160];
    if (length >= sizeof(text))
      return 0;
    memcpy(text, line, length);
    text[length] = '\0';
    line += length + (end ? 1 : 0);
    if (length == 0)
      continue;
    if (module->num_functions == MAX_FUNCTIONS)
      return 0;
    fake_function *fn = &module->functions[module->num_functions];
    memset(fn, 0, sizeof(*fn));
    char kind[16] = {0};
    unsigned extra[3] = {0, 0, 0};
    int fields = sscanf(text, "%63s %15s %u %u %u", fn->name, kind, &extra[0],
                        &extra[1], &extra[2]);
    fn->max_threads = 1024;
    if (fields >= 2 && fields <= 3 && strcmp(kind, "write") == 0) {
      fn->is_write = 1;
      if (fields == 3)
        fn->max_threads = extra[0];
    } else if (fields >= 4 && strcmp(kind, "attention") == 0) {
      fn->value = extra[0];
      fn->header = extra[1];
      if (fields == 5)
        fn->max_threads = extra[2];
    } else {
      return 0;
    }
    fn->magic = FUNCTION_MAGIC;
    ++module->num_functions;
  }
  return 1;
}

EXPORT hipError_t hipModuleLoadData(hipModule_t *module, const void *image) {
  FAIL_POINT("hipModuleLoadData");
  if (!module || !image)
    return hipErrorInvalidValue;
  *module = NULL;
  lock();
  for (int i = 0; i < MAX_MODULES; ++i) {
    fake_module *m = &g_modules[i];
    if (m->live)
      continue;
    if (!parse_image((const char *)image, m)) {
      unlock();
      return hipErrorInvalidImage;
    }
    m->live = 1;
    m->device = t_current_device;
    for (int f = 0; f < m->num_functions; ++f)
      m->functions[f].module = i;
    *module = (hipModule_t)(intptr_t)(i + 1);
    unlock();
    return hipSuccess;
  }
  unlock();
  return hipErrorOutOfMemory;
}

EXPORT hipError_t hipModuleUnload(hipModule_t handle) {
  FAIL_POINT("hipModuleUnload");
  lock();
  fake_module *m = module_of(handle);
  if (m)
    m->live = 0;
  unlock();
  return m ? hipSuccess : hipErrorInvalidHandle;
}

EXPORT hipError_t hipModuleGetFunction(hipFunction_t *function,
                                       hipModule_t handle, const char *name) {
  FAIL_POINT("hipModuleGetFunction");
  if (!function || !name)
    return hipErrorInvalidValue;
  lock();
  fake_module *m = module_of(handle);
  if (!m) {
    unlock();
    return hipErrorInvalidHandle;
  }
  if (m->device != t_current_device) {
    unlock();
    return hipErrorInvalidDevice;
  }
  for (int f = 0; f < m->num_functions; ++f) {
    if (strcmp(m->functions[f].name, name) == 0) {
      *function = &m->functions[f];
      unlock();
      return hipSuccess;
    }
  }
  unlock();
  return hipErrorNotFound;
}

/* A live function, or null. Under the lock. */
static fake_function *function_of(const void *handle) {
  for (int i = 0; i < MAX_MODULES; ++i) {
    fake_module *m = &g_modules[i];
    if (!m->live)
      continue;
    for (int f = 0; f < m->num_functions; ++f)
      if (handle == &m->functions[f])
        return &m->functions[f];
  }
  return NULL;
}

EXPORT hipError_t hipFuncSetAttribute(const void *function, int attribute,
                                      int value) {
  FAIL_POINT("hipFuncSetAttribute");
  lock();
  fake_function *fn = function_of(function);
  hipError_t result = hipSuccess;
  if (!fn)
    result = hipErrorInvalidDeviceFunction;
  else if (attribute != 8 && attribute != 9)
    result = hipErrorInvalidValue;
  else if (attribute == 8 && (value < 0 || value > LDS_BYTES))
    result = hipErrorInvalidValue;
  if (result == hipSuccess && attribute == 8) {
    ++g_func_attribute_calls;
    g_last_func_attribute_value = value;
  }
  unlock();
  return result;
}

EXPORT hipError_t hipFuncGetAttribute(int *value, int attribute,
                                      hipFunction_t function) {
  FAIL_POINT("hipFuncGetAttribute");
  if (!value)
    return hipErrorInvalidValue;
  lock();
  fake_function *fn = function_of(function);
  unlock();
  if (!fn)
    return hipErrorInvalidHandle;
  if (attribute != 0) /* HIP_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK */
    return hipErrorInvalidValue;
  *value = (int)fn->max_threads;
  return hipSuccess;
}

/*===----------------------------------------------------------------------===*/
/* Streams                                                                    */
/*===----------------------------------------------------------------------===*/

typedef struct fake_stream *hipStream_t;

static fake_stream *stream_of(hipStream_t stream) {
  for (int i = 0; i < MAX_STREAMS; ++i)
    if (stream == &g_streams[i] && g_streams[i].live)
      return &g_streams[i];
  return NULL;
}

EXPORT hipError_t hipStreamCreateWithFlags(hipStream_t *stream,
                                           unsigned flags) {
  FAIL_POINT("hipStreamCreateWithFlags");
  if (!stream || flags > 1)
    return hipErrorInvalidValue;
  lock();
  for (int i = 0; i < MAX_STREAMS; ++i) {
    if (!g_streams[i].live) {
      g_streams[i].live = 1;
      g_streams[i].device = t_current_device;
      *stream = &g_streams[i];
      unlock();
      return hipSuccess;
    }
  }
  unlock();
  return hipErrorOutOfMemory;
}

EXPORT hipError_t hipStreamCreate(hipStream_t *stream) {
  FAIL_POINT("hipStreamCreate");
  return hipStreamCreateWithFlags(stream, 0);
}

EXPORT hipError_t hipStreamDestroy(hipStream_t stream) {
  FAIL_POINT("hipStreamDestroy");
  lock();
  fake_stream *s = stream_of(stream);
  if (s)
    s->live = 0;
  unlock();
  return s ? hipSuccess : hipErrorInvalidHandle;
}

EXPORT hipError_t hipStreamSynchronize(hipStream_t stream) {
  FAIL_POINT("hipStreamSynchronize");
  lock();
  hipError_t error = hipSuccess;
  if (stream && !stream_of(stream))
    error = hipErrorInvalidHandle;
  else {
    error = g_sticky_error;
    g_sticky_error = hipSuccess;
  }
  unlock();
  return error;
}

/*===----------------------------------------------------------------------===*/
/* Launches                                                                   */
/*===----------------------------------------------------------------------===*/

/* A word of device memory, or null when [ptr + 4 * index, +4) is not in an
 * allocation. Under the lock. */
static uint32_t *word(int64_t ptr, uint64_t index) {
  uint32_t *p = (uint32_t *)(intptr_t)ptr + index;
  return find_range(p, 4) ? p : NULL;
}

/* Runs the probe of `fn` on the host; 0 on a fault. Under the lock. */
static int run_probe(const fake_function *fn, const attn_fake_hip_launch *l) {
  const int64_t *a = l->args;
  for (unsigned x = 0; x < l->grid[0]; ++x)
    for (unsigned y = 0; y < l->grid[1]; ++y)
      for (unsigned z = 0; z < l->grid[2]; ++z) {
        uint64_t pid = ((uint64_t)x * l->grid[1] + y) * l->grid[2] + z;
        uint32_t *counter = word(a[fn->is_write ? 2 : 14], pid);
        if (!counter)
          return 0;
        *counter += fn->is_write ? 1 : fn->value;
      }
  uint32_t header[6];
  uint32_t *at;
  int words;
  if (fn->is_write) {
    /* num_tokens, num_slots, blockDim.x, key | slot_mapping | k_scale. */
    header[0] = (uint32_t)a[7];
    header[1] = (uint32_t)a[8];
    header[2] = l->block[0];
    header[3] = (a[0] != 0) | (a[4] != 0) << 1 | (a[5] != 0) << 2;
    at = word(a[3], 0);
    words = 4;
    if (at && !word(a[3], 3))
      at = NULL;
  } else {
    /* num_seqs, num_tokens, max_blocks_per_seq, blockDim.x, dynamic shared
     * bytes, q | block_table | partial_out. */
    header[0] = (uint32_t)a[18];
    header[1] = (uint32_t)a[19];
    header[2] = (uint32_t)a[20];
    header[3] = l->block[0];
    header[4] = l->shared_bytes;
    header[5] = (a[0] != 0) | (a[3] != 0) << 1 | (a[16] != 0) << 2;
    at = word(a[15], fn->header);
    words = 6;
    if (at && !word(a[15], fn->header + 5))
      at = NULL;
  }
  if (!at)
    return 0;
  memcpy(at, header, sizeof(uint32_t) * (size_t)words);
  return 1;
}

EXPORT hipError_t hipModuleLaunchKernel(hipFunction_t function, unsigned gridX,
                                        unsigned gridY, unsigned gridZ,
                                        unsigned blockX, unsigned blockY,
                                        unsigned blockZ, unsigned sharedBytes,
                                        hipStream_t stream, void **kernelParams,
                                        void **extra) {
  FAIL_POINT("hipModuleLaunchKernel");
  lock();
  hipError_t result = hipSuccess;
  fake_function *fn = function_of(function);
  fake_stream *s = stream ? stream_of(stream) : NULL;
  if (!fn)
    result = hipErrorInvalidHandle;
  else if (stream && !s)
    result = hipErrorInvalidHandle;
  /* As ROCm: the stream's device must be the current device. */
  else if ((s ? s->device : t_current_device) != t_current_device)
    result = hipErrorInvalidHandle;
  /* A module's functions are loaded for the device current at the load. */
  else if (g_modules[fn->module].device != t_current_device)
    result = hipErrorInvalidDevice;
  else if (!kernelParams || extra)
    result = hipErrorInvalidValue;
  else if (!gridX || !gridY || !gridZ || !blockX || !blockY || !blockZ ||
           gridX > 2147483647u || gridY > 65536 || gridZ > 65536 ||
           (uint64_t)blockX * blockY * blockZ > 1024)
    result = hipErrorInvalidConfiguration;
  else if (sharedBytes > LDS_BYTES)
    result = hipErrorInvalidValue;
  /* As ROCm: a block above the kernel's launch bounds. */
  else if ((uint64_t)blockX * blockY * blockZ > fn->max_threads)
    result = hipErrorLaunchFailure;
  if (result != hipSuccess) {
    unlock();
    return result;
  }
  attn_fake_hip_launch record;
  memset(&record, 0, sizeof(record));
  snprintf(record.function, sizeof(record.function), "%s", fn->name);
  record.grid[0] = gridX;
  record.grid[1] = gridY;
  record.grid[2] = gridZ;
  record.block[0] = blockX;
  record.block[1] = blockY;
  record.block[2] = blockZ;
  record.shared_bytes = sharedBytes;
  record.stream = stream;
  record.device = t_current_device;
  int pointers = fn->is_write ? 7 : 18;
  record.num_args = fn->is_write ? 9 : 23;
  for (int i = 0; i < record.num_args; ++i) {
    if (!kernelParams[i]) {
      unlock();
      return hipErrorInvalidValue;
    }
    if (i < pointers)
      record.args[i] = (int64_t)(intptr_t)(*(void *const *)kernelParams[i]);
    else
      record.args[i] = *(const int32_t *)kernelParams[i];
  }
  if (g_num_launches < MAX_LAUNCHES)
    g_launches[g_num_launches++] = record;
  /* A fault surfaces at the next synchronization, as on a GPU. */
  if (!run_probe(fn, &record) && g_sticky_error == hipSuccess)
    g_sticky_error = hipErrorIllegalAddress;
  unlock();
  return hipSuccess;
}
