//===- PatternsInternal.h - op families of the tiles lowering ---*- C++ -*-===//

#ifndef ATTN_LIB_CONVERSION_ATTNTOTILES_PATTERNSINTERNAL_H
#define ATTN_LIB_CONVERSION_ATTNTOTILES_PATTERNSINTERNAL_H

#include "attn/Dialect/Attn/IR/AttnOps.h"
#include "mlir/IR/BuiltinOps.h"

namespace mlir::attn {

/// Each lowers one variant function (`func`, whose body holds `op`) into
/// kernel functions appended to `module`, and returns the manifest entry
/// (a dictionary) describing them; emits an error and fails otherwise.
FailureOr<DictionaryAttr> lowerAttentionToTiles(ModuleOp module,
                                                StringRef name, Operation *op);
FailureOr<DictionaryAttr> lowerMergeStatesToTiles(ModuleOp module,
                                                  StringRef name,
                                                  MergeStatesOp op);
FailureOr<DictionaryAttr> lowerCacheWriteToTiles(ModuleOp module,
                                                 StringRef name,
                                                 CacheWriteOp op);

/// The reduce kernel shared by the split form of attention and by
/// attn.merge_states: merges `segments` partial results per (token, head).
void buildReduceKernel(ModuleOp module, StringRef sym, int64_t heads,
                       int64_t headSizeV, int64_t segments, Type outType,
                       Type qType, Type kvType, bool sinks, bool lse);

class TileBuilder;
/// The segments a split launch uses: its split_segments argument `arg`
/// (i32) clamped to the plan's `segments`, all of them when it is 0.
Value splitSegmentsUsed(TileBuilder &t, Value arg, int64_t segments);

} // namespace mlir::attn

#endif // ATTN_LIB_CONVERSION_ATTNTOTILES_PATTERNSINTERNAL_H
