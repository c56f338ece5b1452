//===- HostEntryPoints.cpp - packed-argument C entry points ---------------===//

#include "attn/Backend/Host/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

namespace mlir::attn::host {
#define GEN_PASS_DEF_CONVERTATTNHOSTENTRYPOINTSPASS
#include "attn/Backend/Host/Passes.h.inc"
} // namespace mlir::attn::host

using namespace mlir;

/// Adds `llvm.func @<entry>(i64, i64, ptr)` calling `range`, whose LLVM
/// signature is (i64, i64, then per buffer a 1-D memref descriptor expanded
/// to (ptr, ptr, i64, i64, i64), per scalar an i32).
static LogicalResult addEntry(LLVM::LLVMFuncOp range) {
  auto kinds = range->getAttrOfType<DenseI32ArrayAttr>("attn.abi");
  auto name = range->getAttrOfType<StringAttr>("attn.entry");
  if (!kinds || !name)
    return range.emitError("kernel range function without attn.abi");
  OpBuilder b(range);
  b.setInsertionPointAfter(range);
  Location loc = range.getLoc();
  MLIRContext *ctx = b.getContext();
  Type i64 = b.getI64Type(), i32 = b.getI32Type();
  Type ptr = LLVM::LLVMPointerType::get(ctx);
  auto fnType = LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(ctx),
                                            {i64, i64, ptr});
  auto entry = LLVM::LLVMFuncOp::create(b, loc, name.getValue(), fnType);
  Block *body = entry.addEntryBlock(b);
  b.setInsertionPointToStart(body);
  SmallVector<Value> callArgs = {body->getArgument(0), body->getArgument(1)};
  Value zero = LLVM::ConstantOp::create(b, loc, i64, 0);
  Value one = LLVM::ConstantOp::create(b, loc, i64, 1);
  // Sizes are never read by the kernels (offsets come from the ABI's
  // scalars); the largest extent keeps the descriptor honest.
  Value huge = LLVM::ConstantOp::create(b, loc, i64, INT64_MAX);
  for (auto [i, kind] : llvm::enumerate(kinds.asArrayRef())) {
    Value slot = LLVM::GEPOp::create(b, loc, ptr, ptr, body->getArgument(2),
                                     ArrayRef<LLVM::GEPArg>{int32_t(i)});
    Value valuePtr = LLVM::LoadOp::create(b, loc, ptr, slot);
    if (kind == 1) {
      Value p = LLVM::LoadOp::create(b, loc, ptr, valuePtr);
      callArgs.append({p, p, zero, huge, one});
    } else {
      callArgs.push_back(LLVM::LoadOp::create(b, loc, i32, valuePtr));
    }
  }
  if (callArgs.size() != range.getNumArguments())
    return range.emitError() << "unexpected LLVM signature of "
                             << range.getSymName() << ": "
                             << range.getNumArguments() << " arguments, "
                             << callArgs.size() << " expected";
  LLVM::CallOp::create(b, loc, range, callArgs);
  LLVM::ReturnOp::create(b, loc, ValueRange{});
  return success();
}

namespace {
struct ConvertAttnHostEntryPointsPass
    : public mlir::attn::host::impl::ConvertAttnHostEntryPointsPassBase<
          ConvertAttnHostEntryPointsPass> {
  void runOnOperation() override {
    SmallVector<LLVM::LLVMFuncOp> ranges;
    for (auto fn : getOperation().getOps<LLVM::LLVMFuncOp>())
      if (fn->hasAttr("attn.abi"))
        ranges.push_back(fn);
    for (LLVM::LLVMFuncOp fn : ranges)
      if (failed(addEntry(fn)))
        return signalPassFailure();
  }
};
} // namespace
