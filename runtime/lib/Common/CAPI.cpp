//===- CAPI.cpp - C API of the attn runtime -------------------------------===//
//
// Part of the attn project, the runtime library (libattnrt).
//
//===----------------------------------------------------------------------===//
//
// Thin wrappers over the C++ API. Every entry point catches exceptions (an
// allocation failure in the C++ standard library, say) so that none crosses
// the C boundary. Handles hold shared_ptrs to what they depend on.
//
//===----------------------------------------------------------------------===//

#include "attn-c/Runtime.h"

#include "Common/CAPIInternal.h"
#include "attn/Runtime/AttentionKernel.h"
#include "attn/Runtime/CacheWriteKernel.h"
#include "attn/Runtime/Device.h"
#include "attn/Runtime/Module.h"

#include <exception>
#include <memory>
#include <new>
#include <string>

using attn::rt::AttentionKernel;
using attn::rt::CacheWriteKernel;
using attn::rt::Device;
using attn::rt::DType;
using attn::rt::Module;
using attn::rt::Status;
using attn::rt::StatusCode;
using attn::rt::TensorRef;

// The C codes are the C++ enum values (fp8 ones spot-checked, the appended
// fnuz codes included).
static_assert(ATTN_DTYPE_FP8_E4M3 == static_cast<int>(DType::Fp8E4M3) &&
                  ATTN_DTYPE_FP8_E5M2 == static_cast<int>(DType::Fp8E5M2) &&
                  ATTN_DTYPE_I64 == static_cast<int>(DType::I64) &&
                  ATTN_DTYPE_FP8_E4M3FNUZ ==
                      static_cast<int>(DType::Fp8E4M3Fnuz) &&
                  ATTN_DTYPE_FP8_E5M2FNUZ ==
                      static_cast<int>(DType::Fp8E5M2Fnuz) &&
                  ATTN_DTYPE_FP8_E5M2FNUZ + 1 == attn::rt::kNumDTypes,
              "ATTN_DTYPE_* must match attn::rt::DType");

struct attn_device {
  std::shared_ptr<Device> device;
  std::string name;
};

struct attn_module {
  std::shared_ptr<Device> device;
  std::shared_ptr<Module> module;
};

struct attn_attention {
  std::shared_ptr<Device> device;
  std::shared_ptr<Module> module;
  std::unique_ptr<AttentionKernel> kernel;
};

struct attn_cache_write {
  std::shared_ptr<Device> device;
  std::shared_ptr<Module> module;
  std::unique_ptr<CacheWriteKernel> kernel;
};

namespace {
thread_local std::string tlsLastError;

int report(const Status &status) {
  if (status.isOk()) {
    tlsLastError.clear();
    return ATTN_OK;
  }
  tlsLastError = status.message();
  return static_cast<int>(status.code());
}

int fail(StatusCode code, const char *message) {
  return report(Status(code, message));
}

int nullArgument(const char *what) {
  return report(attn::rt::invalidArgument(what, " is NULL"));
}

/// Runs `body` (returning an int status), turning exceptions into statuses.
template <typename Fn> int guarded(Fn &&body) {
  try {
    return body();
  } catch (const std::bad_alloc &) {
    return fail(StatusCode::OutOfMemory, "out of host memory");
  } catch (const std::exception &e) {
    return fail(StatusCode::Internal, e.what());
  } catch (...) {
    return fail(StatusCode::Internal, "unknown exception");
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

const char *kernelField(attn_module_t module, int32_t index, bool json) {
  if (!module) {
    nullArgument("module");
    return nullptr;
  }
  const auto &kernels = module->module->kernels();
  if (index < 0 || static_cast<size_t>(index) >= kernels.size()) {
    report(attn::rt::invalidArgument(
        "kernel index ", index, " is out of range [0, ", kernels.size(), ")"));
    return nullptr;
  }
  tlsLastError.clear();
  return json ? kernels[index].json.c_str() : kernels[index].name.c_str();
}
} // namespace

extern "C" {

int32_t attn_c_api_version(void) { return ATTN_C_API_VERSION; }

const char *attn_last_error(void) { return tlsLastError.c_str(); }

const char *attn_status_name(int status) {
  return attn::rt::statusCodeName(static_cast<StatusCode>(status));
}

const char *attn_dtype_name(int32_t dtype) {
  return attn::rt::dtypeName(static_cast<DType>(dtype));
}

int32_t attn_dtype_size(int32_t dtype) {
  return static_cast<int32_t>(attn::rt::dtypeSize(static_cast<DType>(dtype)));
}

int attn_dtype_from_name(const char *name, int32_t *dtype) {
  if (!name || !dtype)
    return nullArgument(!name ? "name" : "dtype");
  std::optional<DType> parsed = attn::rt::parseDType(name);
  if (!parsed)
    return report(attn::rt::invalidArgument("unknown dtype name '", name, "'"));
  *dtype = static_cast<int32_t>(*parsed);
  return report(Status::ok());
}

int attn_device_open(int32_t kind, int32_t ordinal, attn_device_t *device) {
  if (!device)
    return nullArgument("device");
  *device = nullptr;
  return guarded([&] {
    auto opened =
        Device::open(static_cast<attn::rt::DeviceKind>(kind), ordinal);
    if (!opened.isOk())
      return report(opened.status());
    auto handle = std::make_unique<attn_device>();
    handle->device = std::shared_ptr<Device>(std::move(*opened));
    handle->name = handle->device->name();
    *device = handle.release();
    return report(Status::ok());
  });
}

void attn_device_close(attn_device_t device) { delete device; }

const char *attn_device_name(attn_device_t device) {
  return device ? device->name.c_str() : "";
}

int32_t attn_device_kind(attn_device_t device) {
  return device ? static_cast<int32_t>(device->device->kind()) : -1;
}

int attn_device_synchronize(attn_device_t device) {
  if (!device)
    return nullArgument("device");
  return guarded([&] { return report(device->device->synchronize()); });
}

int attn_alloc(attn_device_t device, size_t bytes, void **ptr) {
  if (!device || !ptr)
    return nullArgument(!device ? "device" : "ptr");
  *ptr = nullptr;
  return guarded([&] {
    auto allocated = device->device->allocateRaw(bytes);
    if (!allocated.isOk())
      return report(allocated.status());
    *ptr = *allocated;
    return report(Status::ok());
  });
}

int attn_free(attn_device_t device, void *ptr) {
  if (!device)
    return nullArgument("device");
  return guarded([&] { return report(device->device->free(ptr)); });
}

int attn_memcpy_h2d(attn_device_t device, void *dst, const void *src,
                    size_t bytes) {
  if (!device)
    return nullArgument("device");
  return guarded(
      [&] { return report(device->device->copyToDevice(dst, src, bytes)); });
}

int attn_memcpy_d2h(attn_device_t device, void *dst, const void *src,
                    size_t bytes) {
  if (!device)
    return nullArgument("device");
  return guarded(
      [&] { return report(device->device->copyToHost(dst, src, bytes)); });
}

int attn_memcpy_d2d(attn_device_t device, void *dst, const void *src,
                    size_t bytes) {
  if (!device)
    return nullArgument("device");
  return guarded(
      [&] { return report(device->device->copyOnDevice(dst, src, bytes)); });
}

int attn_memset(attn_device_t device, void *dst, int value, size_t bytes) {
  if (!device)
    return nullArgument("device");
  return guarded(
      [&] { return report(device->device->memset(dst, value, bytes)); });
}

int attn_module_load(attn_device_t device, const char *path,
                     attn_module_t *module) {
  if (!device || !path || !module)
    return nullArgument(!device ? "device" : !path ? "path" : "module");
  *module = nullptr;
  return guarded([&] {
    auto loaded = device->device->loadModule(path);
    if (!loaded.isOk())
      return report(loaded.status());
    auto handle = std::make_unique<attn_module>();
    handle->device = device->device;
    handle->module = std::shared_ptr<Module>(std::move(*loaded));
    *module = handle.release();
    return report(Status::ok());
  });
}

void attn_module_unload(attn_module_t module) { delete module; }

int32_t attn_module_num_kernels(attn_module_t module) {
  if (!module) {
    nullArgument("module");
    return -1;
  }
  tlsLastError.clear();
  return static_cast<int32_t>(module->module->kernels().size());
}

const char *attn_module_kernel_json(attn_module_t module, int32_t index) {
  return kernelField(module, index, /*json=*/true);
}

const char *attn_module_kernel_name(attn_module_t module, int32_t index) {
  return kernelField(module, index, /*json=*/false);
}

const char *attn_module_manifest(attn_module_t module) {
  return module ? module->module->manifestText().c_str() : "";
}

int attn_attention_create(attn_device_t device, attn_module_t module,
                          const char *name, int64_t max_num_tokens,
                          attn_attention_t *kernel) {
  if (!device || !module || !name || !kernel)
    return nullArgument(!device   ? "device"
                        : !module ? "module"
                        : !name   ? "name"
                                  : "kernel");
  *kernel = nullptr;
  return guarded([&] {
    auto created = AttentionKernel::create(*device->device, *module->module,
                                           name, max_num_tokens);
    if (!created.isOk())
      return report(created.status());
    auto handle = std::make_unique<attn_attention>();
    handle->device = device->device;
    handle->module = module->module;
    handle->kernel = std::move(*created);
    *kernel = handle.release();
    return report(Status::ok());
  });
}

int attn_attention_run(attn_attention_t kernel,
                       const attn_attention_args_t *args) {
  if (!kernel || !args)
    return nullArgument(!kernel ? "kernel" : "args");
  return guarded([&] {
    attn::rt::AttentionArgs a;
    a.q = toTensor(args->q);
    a.kCache = toTensor(args->k_cache);
    a.vCache = toTensor(args->v_cache);
    a.blockTable = toTensor(args->block_table);
    a.seqLens = toTensor(args->seq_lens);
    a.cuSeqlensQ = toTensor(args->cu_seqlens_q);
    a.cuSeqlensK = toTensor(args->cu_seqlens_k);
    a.sinks = toTensor(args->sinks);
    a.alibiSlopes = toTensor(args->alibi_slopes);
    a.mmPrefixRanges = toTensor(args->mm_prefix_ranges);
    a.qqBias = toTensor(args->qq_bias);
    a.kScale = toTensor(args->k_scale);
    a.vScale = toTensor(args->v_scale);
    a.outScale = toTensor(args->out_scale);
    a.out = toTensor(args->out);
    a.lse = toTensor(args->lse);
    a.numSeqs = args->num_seqs;
    a.maxSeqLen = args->max_seq_len;
    a.totalSeqLen = args->total_seq_len;
    a.path = static_cast<attn::rt::Path>(args->path);
    a.stream = args->stream;
    return report(kernel->kernel->run(a));
  });
}

int32_t attn_attention_last_path(attn_attention_t kernel) {
  return kernel ? static_cast<int32_t>(kernel->kernel->lastPath()) : -1;
}

void attn_attention_destroy(attn_attention_t kernel) { delete kernel; }

int attn_cache_write_create(attn_device_t device, attn_module_t module,
                            const char *name, attn_cache_write_t *kernel) {
  if (!device || !module || !name || !kernel)
    return nullArgument(!device   ? "device"
                        : !module ? "module"
                        : !name   ? "name"
                                  : "kernel");
  *kernel = nullptr;
  return guarded([&] {
    auto created =
        CacheWriteKernel::create(*device->device, *module->module, name);
    if (!created.isOk())
      return report(created.status());
    auto handle = std::make_unique<attn_cache_write>();
    handle->device = device->device;
    handle->module = module->module;
    handle->kernel = std::move(*created);
    *kernel = handle.release();
    return report(Status::ok());
  });
}

int attn_cache_write_run(attn_cache_write_t kernel,
                         const attn_cache_write_args_t *args) {
  if (!kernel || !args)
    return nullArgument(!kernel ? "kernel" : "args");
  return guarded([&] {
    attn::rt::CacheWriteArgs a;
    a.key = toTensor(args->key);
    a.value = toTensor(args->value);
    a.kCache = toTensor(args->k_cache);
    a.vCache = toTensor(args->v_cache);
    a.slotMapping = toTensor(args->slot_mapping);
    a.kScale = toTensor(args->k_scale);
    a.vScale = toTensor(args->v_scale);
    a.stream = args->stream;
    return report(kernel->kernel->run(a));
  });
}

void attn_cache_write_destroy(attn_cache_write_t kernel) { delete kernel; }

} // extern "C"

// Accessors for the other C API files (Common/CAPIInternal.h).
namespace attn::rt::capi {
int reportStatus(const Status &status) { return report(status); }
std::shared_ptr<Device> deviceOf(attn_device_t device) {
  return device ? device->device : nullptr;
}
CacheWriteKernel *cacheWriteKernelOf(attn_cache_write_t kernel) {
  return kernel ? kernel->kernel.get() : nullptr;
}
AttentionKernel *attentionKernelOf(attn_attention_t kernel) {
  return kernel ? kernel->kernel.get() : nullptr;
}
} // namespace attn::rt::capi
