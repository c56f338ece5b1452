//===- InitAllPasses.h - the passes attn-opt registers ----------*- C++ -*-===//

#ifndef ATTN_INITALLPASSES_H
#define ATTN_INITALLPASSES_H

namespace mlir::attn {

/// Registers the attn passes and pipelines, and the upstream passes the
/// pipelines use (individually, not registerAllPasses()).
void registerAllPasses();

} // namespace mlir::attn

#endif // ATTN_INITALLPASSES_H
