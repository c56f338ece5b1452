//===- HostTargetInfo.h - the CPU target ------------------------*- C++ -*-===//

#ifndef ATTN_BACKEND_HOST_HOSTTARGETINFO_H
#define ATTN_BACKEND_HOST_HOSTTARGETINFO_H

#include "attn/Backend/TargetInfo.h"

namespace mlir::attn::host {

/// The host CPU: one "thread" per program, tiles are plain vectors.
class HostTargetInfo : public TargetInfo {
public:
  int64_t warpSize() const override { return 1; }
  int64_t preferredBlockM(int64_t) const override { return 16; }
  int64_t preferredBlockN(int64_t headSize) const override {
    return headSize > 128 ? 16 : 32;
  }
  int64_t preferredWarps(int64_t) const override { return 1; }
  int64_t preferredStages() const override { return 1; }
  int64_t preferredSegments() const override { return 4; }
};

} // namespace mlir::attn::host

#endif // ATTN_BACKEND_HOST_HOSTTARGETINFO_H
