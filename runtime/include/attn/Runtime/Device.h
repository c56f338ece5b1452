//===- Device.h - Devices, memory and launches ------------------*- C++ -*-===//
//
// Part of the attn project, the runtime library (libattnrt).
//
//===----------------------------------------------------------------------===//
//
// A Device owns one accelerator (or the host CPU): it allocates memory,
// copies data, loads kernel modules and launches their functions. Backends
// live in runtime/lib/<Backend>; Device::open picks one at run time, so one
// build runs on a CUDA machine, a ROCm machine or a machine with neither.
//
// Lifetime: a Device must outlive the Buffers, Modules and kernel objects
// made from it.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_RUNTIME_DEVICE_H
#define ATTN_RUNTIME_DEVICE_H

#include "attn/Runtime/LaunchParams.h"
#include "attn/Runtime/Status.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace attn {
namespace rt {

class Device;
class Module;

/// The numeric values are part of the C API.
enum class DeviceKind : int32_t { CPU = 0, CUDA = 1, HIP = 2 };

/// "cpu", "cuda", "hip".
const char *deviceKindName(DeviceKind kind);
std::optional<DeviceKind> parseDeviceKind(std::string_view name);

/// An entry point resolved in a loaded module. The CPU backend stores the
/// function's address; GPU backends store their driver's function handle.
struct Function {
  /// Symbol name; owned by the Module.
  const char *name = nullptr;
  void *handle = nullptr;

  bool isValid() const { return handle != nullptr; }
};

/// Device memory that is freed when the Buffer dies (move-only).
class Buffer {
public:
  Buffer() = default;
  Buffer(Device *device, void *data, size_t size)
      : device_(device), data_(data), size_(size) {}
  Buffer(Buffer &&other) noexcept { *this = std::move(other); }
  Buffer &operator=(Buffer &&other) noexcept;
  Buffer(const Buffer &) = delete;
  Buffer &operator=(const Buffer &) = delete;
  ~Buffer() { reset(); }

  void *data() const { return data_; }
  size_t size() const { return size_; }
  Device *device() const { return device_; }

  /// Gives up ownership; the caller frees the pointer with Device::free.
  void *release();
  /// Frees the memory now.
  void reset();

private:
  Device *device_ = nullptr;
  void *data_ = nullptr;
  size_t size_ = 0;
};

class Device {
public:
  virtual ~Device();

  /// Opens device `ordinal` of a backend. CPU: ordinal 0 only; the worker
  /// threads start here (ATTN_NUM_THREADS, else the hardware concurrency).
  /// CUDA/HIP: Unavailable when the driver library cannot be loaded.
  static StatusOr<std::unique_ptr<Device>> open(DeviceKind kind,
                                                int ordinal = 0);

  virtual DeviceKind kind() const = 0;
  virtual int ordinal() const = 0;
  /// Human-readable, e.g. "cpu (16 threads)".
  virtual std::string name() const = 0;
  /// True when host code may read device memory directly (the CPU device);
  /// kernel objects then also check index data such as block tables.
  virtual bool isHostAccessible() const = 0;
  /// How many programs run at once (threads on the CPU, SMs on a GPU);
  /// used to choose between the 2D and the split-KV path.
  virtual int parallelism() const = 0;
  /// How many programs of `fn` run at once on the whole device: on CUDA,
  /// the driver's occupancy (resident blocks per multiprocessor for the
  /// function's block size, registers and shared memory) times the
  /// multiprocessors. 0 where the backend cannot tell (the CPU, HIP).
  virtual StatusOr<int64_t> residentPrograms(const Function &fn) const;

  /// Allocates `bytes` (aligned to at least 64 bytes). Zero bytes gives an
  /// empty Buffer.
  StatusOr<Buffer> allocate(size_t bytes);
  virtual StatusOr<void *> allocateRaw(size_t bytes) = 0;
  /// Frees memory from allocateRaw() or Buffer::release(); null is a no-op.
  virtual Status free(void *ptr) = 0;

  virtual Status copyToDevice(void *dst, const void *src, size_t bytes) = 0;
  virtual Status copyToHost(void *dst, const void *src, size_t bytes) = 0;
  virtual Status copyOnDevice(void *dst, const void *src, size_t bytes) = 0;
  virtual Status memset(void *dst, int value, size_t bytes) = 0;
  /// Waits for all launched work (a no-op on the CPU, where launches are
  /// synchronous).
  virtual Status synchronize() = 0;

  /// Loads a kernel module: a host bundle (.so) on the CPU.
  virtual StatusOr<std::unique_ptr<Module>>
  loadModule(const std::string &path) = 0;

  /// Launch hooks used by the kernel objects: run `fn` over program ids
  /// [0, grid) with the given ABI arguments on `stream` (ignored on the
  /// CPU). These are on the hot path: they allocate nothing and do not
  /// synchronize a GPU.
  virtual Status launch(const Function &fn, int64_t grid,
                        const AttentionLaunchParams &params, void *stream) = 0;
  virtual Status launch(const Function &fn, int64_t grid,
                        const CacheWriteLaunchParams &params, void *stream) = 0;

protected:
  Device() = default;
  Device(const Device &) = delete;
  Device &operator=(const Device &) = delete;
};

} // namespace rt
} // namespace attn

#endif // ATTN_RUNTIME_DEVICE_H
