//===- TargetInfo.cpp - the TargetInfo of each target ---------------------===//

#include "attn/Backend/TargetInfo.h"
#include "attn/Backend/Host/HostTargetInfo.h"

#include "llvm/Support/ErrorHandling.h"

using namespace mlir::attn;

namespace {
/// GPU targets until their backends land: the shapes their kernels will
/// use, so attn-plan can already print a plan for them.
class GpuPlanInfo : public TargetInfo {
public:
  GpuPlanInfo(int64_t warp, bool warpgroups) : warp(warp), warpgroups(warpgroups) {}
  int64_t warpSize() const override { return warp; }
  int64_t preferredBlockM(int64_t) const override { return 64; }
  // The SIMT mapping (one thread per query row, K/V through f32 shared
  // memory) wants block_n != block_m and 32 KiB of shared memory at most.
  int64_t preferredBlockN(int64_t headSize) const override {
    return headSize > 128 ? 16 : 32;
  }
  int64_t preferredWarps(int64_t blockM) const override {
    return std::max<int64_t>(1, blockM / warp);
  }
  int64_t preferredStages() const override { return 2; }
  int64_t preferredSegments() const override { return 16; }
  // sm_90a's wgmma kernels (16-bit queries): two warpgroups of 64 rows
  // run long prefills about 10% faster than one (H200, head 128:
  // docs/perf.md), at head sizes whose 128-row Q tile leaves shared memory
  // for K and V.
  int64_t preferredWideBlockM(int64_t headSize, int64_t headSizeV,
                              int64_t dtypeBits) const override {
    return warpgroups && dtypeBits == 16 && headSize % 64 == 0 &&
                   headSizeV % 64 == 0 && headSize <= 128 &&
                   headSizeV <= 128
               ? 128
               : 0;
  }

private:
  int64_t warp;
  bool warpgroups;
};
} // namespace

std::unique_ptr<TargetInfo> mlir::attn::getTargetInfo(Target target) {
  switch (target) {
  case Target::host:
    return std::make_unique<host::HostTargetInfo>();
  case Target::sm_80:
    return std::make_unique<GpuPlanInfo>(32, false);
  case Target::sm_90a:
    return std::make_unique<GpuPlanInfo>(32, true);
  case Target::gfx90a:
  case Target::gfx942:
    return std::make_unique<GpuPlanInfo>(64, false);
  }
  llvm_unreachable("unknown target");
}
