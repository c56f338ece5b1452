//===- TargetInfo.h - per-target facts for neutral code ---------*- C++ -*-===//
//
// What the target-neutral code (attn-plan, the tiles schedule) may ask of a
// target. One method per question; each backend implements it.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_BACKEND_TARGETINFO_H
#define ATTN_BACKEND_TARGETINFO_H

#include "attn/Dialect/Attn/IR/AttnAttrs.h"

#include <cstdint>
#include <memory>

namespace mlir::attn {

class TargetInfo {
public:
  virtual ~TargetInfo() = default;
  /// Threads that execute one warp (wave); 1 on the host.
  virtual int64_t warpSize() const = 0;
  /// Query-tile rows the target prefers for this head size.
  virtual int64_t preferredBlockM(int64_t headSize) const = 0;
  /// Keys per KV tile the target prefers for this head size.
  virtual int64_t preferredBlockN(int64_t headSize) const = 0;
  /// Warps per program and pipeline stages.
  virtual int64_t preferredWarps(int64_t blockM) const = 0;
  virtual int64_t preferredStages() const = 0;
  /// Split-KV segments of the split form (0 = none).
  virtual int64_t preferredSegments() const = 0;
  /// Query-tile rows of the wide (prefill) 2D form for these head sizes
  /// and query element width in bits (0 = none).
  virtual int64_t preferredWideBlockM(int64_t headSize, int64_t headSizeV,
                                      int64_t dtypeBits) const {
    return 0;
  }
};

/// The TargetInfo of `target`.
std::unique_ptr<TargetInfo> getTargetInfo(Target target);

} // namespace mlir::attn

#endif // ATTN_BACKEND_TARGETINFO_H
