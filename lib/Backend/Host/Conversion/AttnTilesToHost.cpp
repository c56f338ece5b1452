//===- AttnTilesToHost.cpp - the convert-attn-tiles-to-host pass ----------===//

#include "attn/Backend/Host/Passes.h"
#include "attn/Backend/SoftFloat.h"
#include "attn/Target/KernelManifest.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/Support/Debug.h"

#define DEBUG_TYPE "convert-attn-tiles-to-host"

namespace mlir::attn::host {
#define GEN_PASS_DEF_CONVERTATTNTILESTOHOSTPASS
#include "attn/Backend/Host/Passes.h.inc"
} // namespace mlir::attn::host

using namespace mlir;
using namespace mlir::attn;

/// Renames kernel `fn` to `<sym>_program` and adds `<sym>_range`, which
/// runs programs [pid_begin, pid_end) of the linearized grid. Its `attn.abi`
/// attribute marks each ABI argument as a buffer (1) or an i32 (0) for
/// convert-attn-host-entry-points.
static void wrapKernel(func::FuncOp fn) {
  OpBuilder b(fn);
  Location loc = fn.getLoc();
  std::string sym = fn.getSymName().str();
  auto grid = fn->getAttrOfType<DenseI64ArrayAttr>("attn.grid");
  fn.setSymName(sym + "_program");
  fn.setPrivate();

  SmallVector<Type> args = {b.getI64Type(), b.getI64Type()};
  for (Type t : fn.getArgumentTypes().drop_front(3))
    args.push_back(t);
  b.setInsertionPointAfter(fn);
  auto entry = func::FuncOp::create(b, loc, sym + "_range",
                                    b.getFunctionType(args, {}));
  entry->setAttr("attn.kernel", fn->getAttr("attn.kernel"));
  entry->setAttr("attn.entry", b.getStringAttr(sym));
  SmallVector<int32_t> kinds;
  for (Type t : fn.getArgumentTypes().drop_front(3))
    kinds.push_back(isa<MemRefType>(t) ? 1 : 0);
  entry->setAttr("attn.abi", b.getDenseI32ArrayAttr(kinds));
  Block *body = entry.addEntryBlock();
  b.setInsertionPointToEnd(body);
  Value begin = arith::IndexCastOp::create(b, loc, b.getIndexType(),
                                           body->getArgument(0));
  Value end = arith::IndexCastOp::create(b, loc, b.getIndexType(),
                                         body->getArgument(1));
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  int64_t ny = grid[1], nz = grid[2];
  scf::ForOp::create(
      b, loc, begin, end, one, ValueRange{},
      [&](OpBuilder &nb, Location l, Value pid, ValueRange) {
        Value cz = arith::ConstantIndexOp::create(nb, l, nz);
        Value cy = arith::ConstantIndexOp::create(nb, l, ny);
        Value z = arith::RemSIOp::create(nb, l, pid, cz);
        Value yz = arith::DivSIOp::create(nb, l, pid, cz);
        Value y = arith::RemSIOp::create(nb, l, yz, cy);
        Value x = arith::DivSIOp::create(nb, l, yz, cy);
        SmallVector<Value> callArgs = {x, y, z};
        for (BlockArgument a : body->getArguments().drop_front(2))
          callArgs.push_back(a);
        func::CallOp::create(nb, l, fn, callArgs);
        scf::YieldOp::create(nb, l);
      });
  func::ReturnOp::create(b, loc);
}

/// Embeds the manifest as `attn_manifest`, a NUL-terminated char array.
static void embedManifest(ModuleOp module) {
  std::string json = buildKernelManifest(module);
  json.push_back('\0');
  OpBuilder b(module.getContext());
  b.setInsertionPointToEnd(module.getBody());
  auto type = LLVM::LLVMArrayType::get(b.getI8Type(), json.size());
  LLVM::GlobalOp::create(b, module.getLoc(), type, /*isConstant=*/true,
                         LLVM::Linkage::External, "attn_manifest",
                         b.getStringAttr(json));
}

namespace {
struct ConvertAttnTilesToHostPass
    : public mlir::attn::host::impl::ConvertAttnTilesToHostPassBase<
          ConvertAttnTilesToHostPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<func::FuncOp> kernels;
    for (auto fn : module.getOps<func::FuncOp>())
      if (fn->hasAttr("attn.grid"))
        kernels.push_back(fn);
    for (func::FuncOp fn : kernels)
      wrapKernel(fn);
    if (!module.lookupSymbol("attn_manifest"))
      embedManifest(module);

    RewritePatternSet patterns(&getContext());
    host::populateRowOpsToHostPatterns(patterns);
    populateSoftFloatPatterns(patterns);
    if (failed(applyPatternsGreedily(module, std::move(patterns))))
      return signalPassFailure();
  }
};
} // namespace
