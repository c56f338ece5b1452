//===- AttnToTiles.cpp - the convert-attn-to-tiles pass -------------------===//

#include "PatternsInternal.h"
#include "TileBuilder.h"

#include "attn/Conversion/Passes.h"
#include "attn/Dialect/Attn/IR/AttnOps.h"

#include "llvm/Support/Debug.h"

#define DEBUG_TYPE "convert-attn-to-tiles"

namespace mlir::attn {
#define GEN_PASS_DEF_CONVERTATTNTOTILESPASS
#include "attn/Conversion/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

func::FuncOp mlir::attn::createKernelFunc(OpBuilder &b, ModuleOp module,
                                          StringRef sym,
                                          ArrayRef<Type> bufferElems,
                                          unsigned numScalars,
                                          ArrayRef<int64_t> grid,
                                          StringRef kind) {
  SmallVector<Type> args(3, b.getIndexType());
  for (Type e : bufferElems)
    args.push_back(MemRefType::get({ShapedType::kDynamic}, e));
  args.append(numScalars, b.getI32Type());
  b.setInsertionPointToEnd(module.getBody());
  auto fn = func::FuncOp::create(b, module.getLoc(), sym,
                                 b.getFunctionType(args, {}));
  fn->setAttr("attn.grid", b.getDenseI64ArrayAttr(grid));
  fn->setAttr("attn.kernel", b.getStringAttr(kind));
  Block *entry = fn.addEntryBlock();
  b.setInsertionPointToEnd(entry);
  auto ret = func::ReturnOp::create(b, module.getLoc());
  b.setInsertionPoint(ret);
  return fn;
}

namespace {
struct ConvertAttnToTilesPass
    : public mlir::attn::impl::ConvertAttnToTilesPassBase<ConvertAttnToTilesPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<Attribute> entries;
    if (auto old = module->getAttrOfType<ArrayAttr>("attn.kernels"))
      entries.append(old.begin(), old.end());

    SmallVector<func::FuncOp> variants;
    for (auto fn : module.getOps<func::FuncOp>())
      if (!fn.isExternal() &&
          llvm::any_of(fn.getBody().getOps(), [](Operation &op) {
            return isa<AttnDialect>(op.getDialect());
          }))
        variants.push_back(fn);

    for (func::FuncOp fn : variants) {
      SmallVector<Operation *> attnOps;
      for (Operation &op : fn.getBody().getOps())
        if (isa<AttnDialect>(op.getDialect()))
          attnOps.push_back(&op);
      if (attnOps.size() != 1 || fn.getBody().getBlocks().size() != 1) {
        fn.emitError() << "a variant function must hold exactly one attn op "
                          "in a single block; @"
                       << fn.getSymName() << " holds " << attnOps.size();
        return signalPassFailure();
      }
      Operation *op = attnOps.front();
      StringRef name = fn.getSymName();
      LLVM_DEBUG(llvm::dbgs() << "lowering variant @" << name << "\n");
      FailureOr<DictionaryAttr> entry = failure();
      if (isa<PagedAttentionOp, VarlenAttentionOp>(op))
        entry = lowerAttentionToTiles(module, name, op);
      else if (auto m = dyn_cast<MergeStatesOp>(op))
        entry = lowerMergeStatesToTiles(module, name, m);
      else if (auto w = dyn_cast<CacheWriteOp>(op))
        entry = lowerCacheWriteToTiles(module, name, w);
      if (failed(entry))
        return signalPassFailure();
      entries.push_back(*entry);
      fn.erase();
    }
    module->setAttr("attn.kernels", ArrayAttr::get(&getContext(), entries));
  }
};
} // namespace
