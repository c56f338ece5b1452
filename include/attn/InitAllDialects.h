//===- InitAllDialects.h - the dialects attn tools register -----*- C++ -*-===//

#ifndef ATTN_INITALLDIALECTS_H
#define ATTN_INITALLDIALECTS_H

namespace mlir {
class DialectRegistry;
namespace attn {

/// Inserts attn plus exactly the upstream dialects (and interface
/// extensions) that attn tools parse and produce.
void registerAllDialects(DialectRegistry &registry);

} // namespace attn
} // namespace mlir

#endif // ATTN_INITALLDIALECTS_H
