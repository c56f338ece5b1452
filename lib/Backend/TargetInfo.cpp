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
  explicit GpuPlanInfo(int64_t warp) : warp(warp) {}
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

private:
  int64_t warp;
};
} // namespace

std::unique_ptr<TargetInfo> mlir::attn::getTargetInfo(Target target) {
  switch (target) {
  case Target::host:
    return std::make_unique<host::HostTargetInfo>();
  case Target::sm_80:
  case Target::sm_90a:
    return std::make_unique<GpuPlanInfo>(32);
  case Target::gfx90a:
  case Target::gfx942:
    return std::make_unique<GpuPlanInfo>(64);
  }
  llvm_unreachable("unknown target");
}
