//===- GPUModule.h - What the GPU backends share ----------------*- C++ -*-===//
//
// Part of the attn project, the runtime library (libattnrt).
//
//===----------------------------------------------------------------------===//
//
// Private to the runtime. The vendor-neutral half of the GPU backends
// (lib/CUDA, lib/HIP): finding and reading a GPU bundle (an image plus its
// `<stem>.json` manifest, docs/KernelABI.md#gpu-bundles), reading each
// manifest entry's launch metadata against the device's limits, the grid
// every function gets from the ABI, and the checks of a launch. A backend
// supplies the driver calls: loading the image, resolving a function,
// raising a function's dynamic shared memory limit, and the launch itself.
//
// The grid of a GPU kernel is the ABI's linear program range as a 3-D grid
// whose blockIdx (x, y, z) are the row-major coordinates of the linear
// program id:
//
//   _2d      (num_q_blocks, kv_heads, 1)
//   _split   (num_q_blocks, kv_heads, segments)
//   _reduce  (num_tokens,   heads,    1)
//   _write   (num_tokens,   kv_heads, 1)
//
// so pid = (blockIdx.x * gridDim.y + blockIdx.y) * gridDim.z + blockIdx.z.
// The inner dims (y, z) are fixed per function by the manifest, so a launch
// of `grid` linear programs is (grid / (y * z), y, z). GPU kernels take the
// ABI's arguments without pid_begin/pid_end: kernelParams is exactly the
// 23 (attention) or 9 (cache write) argument pointers.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_RUNTIME_LIB_COMMON_GPUMODULE_H
#define ATTN_RUNTIME_LIB_COMMON_GPUMODULE_H

#include "attn/Runtime/Device.h"
#include "attn/Runtime/Json.h"
#include "attn/Runtime/Module.h"
#include "attn/Runtime/Status.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace attn {
namespace rt {
namespace gpu {

/// What a GPU allows; read once at open.
struct DeviceLimits {
  int multiprocessors = 1;
  int maxThreadsPerBlock = 1024;
  int maxBlock[3] = {1024, 1024, 64};
  int maxGrid[3] = {2147483647, 65535, 65535};
  /// Largest dynamic shared memory a function may use (after opting in,
  /// where the vendor needs that).
  int maxSharedOptin = 48 * 1024;
};

/// Which ABI entry point a function is; fixes its grid and argument count.
enum class Role { TwoD, Split, Reduce, Write };

/// "2d", "split", "reduce", "write".
const char *roleName(Role role);

constexpr uint32_t kGpuFunctionMagic = 0x41545446; // "ATTF"

/// What Function::handle points to for a GPU module: the driver's function
/// and how to launch it. Owned by the GPUModule; configured at load.
struct GpuFunction {
  uint32_t magic = kGpuFunctionMagic;
  const Device *device = nullptr;
  /// The driver's handle (a CUfunction, a hipFunction_t).
  void *function = nullptr;
  std::string symbol;
  // Set by the first kernel entry that names the function.
  bool configured = false;
  std::string kernel;
  Role role = Role::TwoD;
  int numArgs = 0;
  unsigned block[3] = {1, 1, 1};
  unsigned sharedBytes = 0;
  unsigned gridY = 1;
  unsigned gridZ = 1;
};

/// Launch metadata of one function, as read from the manifest.
struct LaunchInfo {
  unsigned block[3] = {1, 1, 1};
  unsigned sharedBytes = 0;
};

/// A module of a GPU backend. The backend's subclass owns the driver's
/// module (unloading it in its destructor) and implements the hooks; this
/// class parses the manifest, resolves every function it names and reads
/// and checks their launch metadata.
class GPUModule : public Module {
public:
  /// Parses the manifest, resolves the functions it names (getFunction) and
  /// configures them from the entries' "launch" metadata. Errors name the
  /// module, the kernel, the function and the value.
  Status load(std::string manifestText);

protected:
  /// `limits` are the device's; a function whose shared_bytes exceed
  /// `sharedBytesThreshold` gets setMaxDynamicSharedBytes() once, at load.
  GPUModule(Device &device, std::string path, const DeviceLimits &limits,
            unsigned sharedBytesThreshold);

  /// The driver's handle of an exported function, or why not (the error is
  /// wrapped into "kernel 'k' names function 'f', which the module does not
  /// export (...)").
  virtual StatusOr<void *> getFunction(const std::string &symbol) = 0;
  /// Raises `function`'s dynamic shared memory limit to `bytes`. An error
  /// should be prefixed with `what` (which names the module, kernel,
  /// function and size).
  virtual Status setMaxDynamicSharedBytes(void *function, unsigned bytes,
                                          const std::string &what) = 0;
  /// The most threads per block `function`'s code allows (its compiled
  /// limit, e.g. an AMDGPU kernel's max_flat_workgroup_size), or 0 when the
  /// driver cannot say. The manifest's block is checked against it at load,
  /// so a launch cannot fail for it. By default 0 (not checked).
  virtual StatusOr<int> maxThreadsPerBlock(void *function) {
    (void)function;
    return 0;
  }

private:
  StatusOr<void *> resolveFunction(const std::string &symbol) final;

  std::string where(const KernelInfo &info) const;
  Status configureKernel(const KernelInfo &info);
  StatusOr<LaunchInfo> readLaunchInfo(const KernelInfo &info,
                                      const json::Value &launch,
                                      const std::string &symbol) const;
  Status configureFunction(const KernelInfo &info, const json::Value &launch,
                           const std::string &symbol, Role role, int64_t gridY,
                           int64_t gridZ);

  DeviceLimits limits_;
  unsigned sharedBytesThreshold_;
  std::map<std::string, std::unique_ptr<GpuFunction>> gpuFunctions_;
};

/// The files of a GPU bundle, read.
struct BundleFiles {
  std::string imagePath;
  std::string manifestPath;
  std::string image;
  std::string manifest;
};

/// Finds and reads the GPU bundle `path` names: the image (one of
/// `extensions`, e.g. {"cubin", "fatbin", "ptx"}) with the manifest
/// `<stem>.json` beside it, or the manifest, with the first image of
/// `extensions` that exists. `backend` ("cuda", "hip") names the module in
/// errors: "cannot load cuda module 'k/llama.ptx': its manifest
/// 'k/llama.json' does not exist (...)". NotFound for missing files,
/// InvalidArgument for another extension, a directory or an empty image.
StatusOr<BundleFiles> readBundle(const std::string &path, const char *backend,
                                 const std::vector<std::string> &extensions);

/// The GpuFunction behind `fn` when it was loaded on `device` and has
/// its launch metadata; `what` ("launch", "occupancy") starts the errors.
Status resolveFunction(const Device &device, const Function &fn,
                       const char *what, const GpuFunction *&function);

/// Checks a launch of `fn` over `grid` linear programs with `numArgs`
/// arguments on `device` (whose limits are `limits`): the function must
/// have been loaded on it, take that many arguments, and `grid` must be a
/// whole number of its [y, z] blocks with x within the device's limit.
/// On success sets `function` and `gridX` (0: nothing to launch). The hot
/// path: allocates nothing unless it fails.
Status checkLaunch(const Device &device, const DeviceLimits &limits,
                   const Function &fn, int64_t grid, int numArgs,
                   const GpuFunction *&function, int64_t &gridX);

/// Prefixes an error with what was being done, keeping its code.
Status withContext(const Status &status, const std::string &what);

/// A failed launch's error, prefixed with the launch (function, grid,
/// block, shared bytes, stream); only called on the error path.
Status launchFailed(const Status &driverError, const GpuFunction &f,
                    int64_t gridX, void *stream);

} // namespace gpu
} // namespace rt
} // namespace attn

#endif // ATTN_RUNTIME_LIB_COMMON_GPUMODULE_H
