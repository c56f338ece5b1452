//===- DeviceRun.h - Run a bundle on a device and check it ----*- C++ -*-===//
//-*-===//
//
// Part of the attn project, the numerics test library (AttnReference).
//
//===----------------------------------------------------------------------===//
//
// What a check of a compiled variant does between "the bundle is loaded"
// and "the verdict", on any device of the runtime: upload the host inputs
// of Inputs.h (DeviceMirror; a no-op on the CPU, whose memory the host
// reads), run the kernel on one launch path, copy the output back, and
// compare it with the reference. attn-bench (--verify) and the GPU numerics
// test (unittests/GPUNumerics) both use it, so that they agree on what
// "passes" means. Plus the spec of a bundle that is loaded without one
// (specFromManifest).
//
// Everything here returns a Status; nothing exits or throws.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_TEST_REFERENCE_DEVICERUN_H
#define ATTN_TEST_REFERENCE_DEVICERUN_H

#include "Reference/Reference.h"

#include "attn/Runtime/AttentionKernel.h"
#include "attn/Runtime/CacheWriteKernel.h"
#include "attn/Runtime/Device.h"
#include "attn/Runtime/Manifest.h"

#include <optional>
#include <string>
#include <vector>

namespace attn {
namespace ref {

/// The spec string of a manifest entry (name, kind, heads, dtypes, mask,
/// ...), for a bundle loaded without its spec. nullopt with `error` when
/// the entry's JSON does not parse.
std::optional<std::string> specFromManifest(const rt::KernelInfo &info,
                                            std::string &error);

/// Device copies of host tensors. up() copies a host tensor into memory
/// the mirror allocates (and frees when destroyed) and returns the device
/// reference; down() waits for the device, then copies a device tensor back
/// into its host twin. On a device whose memory the host reads (the CPU)
/// both leave the tensors where they are. Absent tensors stay absent.
class DeviceMirror {
public:
  explicit DeviceMirror(rt::Device &device) : device_(device) {}
  ~DeviceMirror();
  DeviceMirror(const DeviceMirror &) = delete;
  DeviceMirror &operator=(const DeviceMirror &) = delete;

  rt::StatusOr<rt::TensorRef> up(rt::TensorRef host);
  /// Every tensor of `host` (the scalars are kept).
  rt::StatusOr<rt::AttentionArgs> up(const rt::AttentionArgs &host);
  rt::StatusOr<rt::CacheWriteArgs> up(const rt::CacheWriteArgs &host);
  rt::Status down(const rt::TensorRef &host, const rt::TensorRef &device);

private:
  rt::Device &device_;
  std::vector<void *> owned_;
};

/// The launch paths a check runs `kernel` on: 2D, split (whether or not the
/// variant has a split form: a check reports its absence), and the wide 2D
/// form where the plan has one.
std::vector<rt::Path> launchPaths(const rt::AttentionKernel &kernel);

/// Runs `kernel` once on `path` over device copies (made by `mirror`) of
/// the inputs of `data`, with the `maxSeqLen` hint, and copies out (and
/// lse) back into `data`. The device arguments of the run are stored in
/// `deviceArgs` when given (to run again on the same device data).
rt::Status runAttentionOnDevice(rt::AttentionKernel &kernel,
                                DeviceMirror &mirror, AttentionData &data,
                                rt::Path path, int64_t maxSeqLen,
                                rt::AttentionArgs *deviceArgs = nullptr);

/// A kernel's output (and lse) compared with the reference.
struct AttentionCheck {
  Comparison out;
  bool hasLse = false;
  Comparison lse;

  /// NaN (or a wrong infinity) in lse.
  bool lseBad() const { return hasLse && lse.numBad > 0; }
  /// The verdict of attn-bench --verify --tolerance=relTol: out within
  /// relTol of max|ref| and no bad lse element.
  bool passes(double relTol) const { return out.within(relTol) && !lseBad(); }
  std::string str() const;
};
AttentionCheck checkAttention(const VariantSpec &spec, const AttentionData &got,
                              const AttentionResult &ref);

/// Cache blocks of a cache-write check of `numTokens` tokens: enough for
/// them, plus two that no token is written to.
int64_t cacheWriteBlocks(const VariantSpec &spec, int64_t numTokens);

/// The runtime arguments that point at `w`'s tensors.
rt::CacheWriteArgs cacheWriteArgs(CacheWriteData &w);

/// Runs `kernel` once over device copies (made by `mirror`) of `data` and
/// copies the caches back into `data`. The device arguments of the run are
/// stored in `deviceArgs` when given.
rt::Status runCacheWriteOnDevice(rt::CacheWriteKernel &kernel,
                                 DeviceMirror &mirror, CacheWriteData &data,
                                 rt::CacheWriteArgs *deviceArgs = nullptr);

/// The caches a kernel wrote compared with those of referenceCacheWrite.
struct CacheWriteCheck {
  CacheComparison k, v;

  bool ok() const { return k.ok() && v.ok(); }
  std::string str() const;
};
CacheWriteCheck checkCacheWrite(const VariantSpec &spec,
                                const CacheWriteData &got,
                                const CacheWriteData &expected);

} // namespace ref
} // namespace attn

#endif // ATTN_TEST_REFERENCE_DEVICERUN_H
