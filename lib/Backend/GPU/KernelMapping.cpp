//===- KernelMapping.cpp - tiled kernels as gpu.funcs ---------------------===//
//
// The parts every GPU mapping shares: the generic cloning of kernel bodies,
// the gpu.func frame of a kernel and the module-level driver.
//
//===----------------------------------------------------------------------===//

#include "attn/Backend/GPU/KernelMapping.h"
#include "attn/Backend/GPU/SIMTMapping.h"
#include "attn/Backend/SoftFloat.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;
using namespace mlir::attn;

static constexpr unsigned kGlobal = 1;

LogicalResult TileCloner::cloneBlock(Block &src) {
  for (Operation &op : src.without_terminator())
    if (failed(cloneOp(op)))
      return failure();
  Operation *term = src.getTerminator();
  if (isa<func::ReturnOp>(term)) {
    gpu::ReturnOp::create(b, loc);
    return success();
  }
  return cloneOp(*term);
}


Value mlir::attn::splatConstantAs(OpBuilder &b, Location loc,
                                  arith::ConstantOp cst, Type t) {
  auto dense = dyn_cast<DenseElementsAttr>(cst.getValue());
  if (!dense || !dense.isSplat())
    return Value();
  return arith::ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(cast<ShapedType>(t),
                             dense.getSplatValue<Attribute>()));
}

bool mlir::attn::isScoreProduct(vector::ContractionOp c) {
  return c.getIndexingMapsArray()[1].getResult(0) ==
         getAffineDimExpr(1, c.getContext());
}

std::pair<int64_t, int64_t> mlir::attn::kvTileWidths(func::FuncOp fn) {
  int64_t dk = 0, dv = 0;
  fn.walk([&](vector::ContractionOp c) {
    (isScoreProduct(c) ? dk : dv) =
        cast<VectorType>(c.getRhsType()).getDimSize(1);
  });
  return {dk, dv};
}

LogicalResult
TileCloner::cloneFor(scf::ForOp forOp,
                     llvm::function_ref<LogicalResult()> atBodyStart) {
  SmallVector<Value> inits;
  for (Value v : forOp.getInitArgs())
    inits.push_back(get(v));
  auto newFor = scf::ForOp::create(b, loc, get(forOp.getLowerBound()),
                                   get(forOp.getUpperBound()),
                                   get(forOp.getStep()), inits);
  OpBuilder::InsertionGuard guard(b);
  Block *body = newFor.getBody();
  if (!body->empty() && isa<scf::YieldOp>(body->back()))
    body->back().erase();
  b.setInsertionPointToEnd(body);
  for (auto [o, n] :
       llvm::zip(forOp.getBody()->getArguments(), body->getArguments()))
    map.map(o, n);
  if (atBodyStart && failed(atBodyStart()))
    return failure();
  if (failed(cloneBlock(*forOp.getBody())))
    return failure();
  for (auto [o, n] : llvm::zip(forOp.getResults(), newFor.getResults()))
    map.map(o, n);
  return success();
}

LogicalResult TileCloner::cloneOp(Operation &op) {
  loc = op.getLoc();
  if (std::optional<LogicalResult> done = cloneSpecial(op))
    return *done;
  if (auto forOp = dyn_cast<scf::ForOp>(op))
    return cloneFor(forOp, nullptr);
  if (auto ifOp = dyn_cast<scf::IfOp>(op)) {
    SmallVector<Type> types;
    for (Type t : ifOp.getResultTypes())
      types.push_back(mapType(t));
    auto newIf = scf::IfOp::create(b, loc, types, get(ifOp.getCondition()),
                                   !ifOp.getElseRegion().empty());
    for (auto [src, dst] : {std::pair{&ifOp.getThenRegion(),
                                      &newIf.getThenRegion()},
                            std::pair{&ifOp.getElseRegion(),
                                      &newIf.getElseRegion()}}) {
      if (src->empty())
        continue;
      OpBuilder::InsertionGuard guard(b);
      Block &blk = dst->front();
      if (!blk.empty() && isa<scf::YieldOp>(blk.back()))
        blk.back().erase();
      b.setInsertionPointToEnd(&blk);
      if (failed(cloneBlock(src->front())))
        return failure();
    }
    for (auto [o, n] : llvm::zip(ifOp.getResults(), newIf.getResults()))
      map.map(o, n);
    return success();
  }
  if (auto yield = dyn_cast<scf::YieldOp>(op)) {
    SmallVector<Value> vals;
    for (Value v : yield.getOperands())
      vals.push_back(get(v));
    scf::YieldOp::create(b, loc, vals);
    return success();
  }
  if (op.getNumRegions() != 0)
    return error(&op, "unexpected region op");

  // Everything else (scalars, [block_n] vectors computed by every thread,
  // elementwise ops on distributed tiles): clone with mapped types.
  for (Value v : op.getOperands())
    if (!map.contains(v))
      return error(&op, "operand not distributed for ") << op.getName();
  Operation *clone = b.clone(op, map);
  for (OpResult r : clone->getResults())
    r.setType(mapType(r.getType()));
  return success();
}

KernelFrame mlir::attn::createKernelFrame(OpBuilder &b, func::FuncOp fn,
                                          gpu::GPUModuleOp gpuModule,
                                          ArrayRef<Type> workgroup,
                                          int64_t threads, IRMapping &map) {
  b.setInsertionPointToEnd(gpuModule.getBody());
  MLIRContext *ctx = b.getContext();
  Location loc = fn.getLoc();
  // Kernel parameters: buffers as global pointers, scalars as they are.
  auto ptrT = LLVM::LLVMPointerType::get(ctx, kGlobal);
  SmallVector<Type> params;
  for (Type t : fn.getArgumentTypes().drop_front(3))
    params.push_back(isa<MemRefType>(t) ? Type(ptrT) : t);
  auto gfn = gpu::GPUFuncOp::create(b, loc, fn.getSymName(),
                                    b.getFunctionType(params, {}), workgroup,
                                    TypeRange{});
  gfn->setAttr(gpu::GPUDialect::getKernelFuncAttrName(), b.getUnitAttr());
  gfn.setKnownBlockSizeAttr(
      b.getDenseI32ArrayAttr({int32_t(threads), 1, 1}));
  Block &entry = gfn.getBody().front();
  b.setInsertionPointToStart(&entry);

  KernelFrame frame;
  frame.func = gfn;
  frame.tid = gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x);
  map.map(fn.getArgument(0), gpu::BlockIdOp::create(b, loc, gpu::Dimension::x));
  map.map(fn.getArgument(1), gpu::BlockIdOp::create(b, loc, gpu::Dimension::y));
  map.map(fn.getArgument(2), gpu::BlockIdOp::create(b, loc, gpu::Dimension::z));

  // Buffers: a 1-D memref descriptor over each global pointer.
  Type i64 = b.getI64Type();
  Value zero = LLVM::ConstantOp::create(b, loc, i64, 0);
  Value one = LLVM::ConstantOp::create(b, loc, i64, 1);
  Value huge = LLVM::ConstantOp::create(b, loc, i64, INT64_MAX);
  auto descT = LLVM::LLVMStructType::getLiteral(
      ctx, {ptrT, ptrT, i64, LLVM::LLVMArrayType::get(i64, 1),
            LLVM::LLVMArrayType::get(i64, 1)});
  for (auto [i, t] : llvm::enumerate(fn.getArgumentTypes().drop_front(3))) {
    Value param = gfn.getArgument(i);
    auto mt = dyn_cast<MemRefType>(t);
    if (!mt) {
      map.map(fn.getArgument(3 + i), param);
      continue;
    }
    frame.globalPtr[fn.getArgument(3 + i)] = param;
    Value desc = LLVM::PoisonOp::create(b, loc, descT);
    desc = LLVM::InsertValueOp::create(b, loc, desc, param, ArrayRef<int64_t>{0});
    desc = LLVM::InsertValueOp::create(b, loc, desc, param, ArrayRef<int64_t>{1});
    desc = LLVM::InsertValueOp::create(b, loc, desc, zero, ArrayRef<int64_t>{2});
    desc = LLVM::InsertValueOp::create(b, loc, desc, huge,
                                       ArrayRef<int64_t>{3, 0});
    desc = LLVM::InsertValueOp::create(b, loc, desc, one,
                                       ArrayRef<int64_t>{4, 0});
    auto globalT = MemRefType::get(mt.getShape(), mt.getElementType(),
                                   MemRefLayoutAttrInterface(),
                                   b.getI64IntegerAttr(kGlobal));
    Value m = UnrealizedConversionCastOp::create(b, loc, globalT, desc)
                  .getResult(0);
    map.map(fn.getArgument(3 + i), m);
  }
  return frame;
}

LogicalResult mlir::attn::mapKernelsToGPU(ModuleOp module, Attribute target,
                                          StringRef chip,
                                          const KernelMapper &fast,
                                          bool keepFp8Ext) {
  MLIRContext *ctx = module.getContext();
  OpBuilder b(ctx);
  module->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
                  b.getUnitAttr());
  b.setInsertionPointToEnd(module.getBody());
  auto gpuModule = gpu::GPUModuleOp::create(
      b, module.getLoc(), "attn_kernels", b.getArrayAttr({target}));

  SmallVector<func::FuncOp> kernels;
  for (auto fn : module.getOps<func::FuncOp>())
    if (fn->hasAttr("attn.grid"))
      kernels.push_back(fn);
  // LLVM has no fp8 types: fp8 -> f32 goes through f16 (a few integer
  // operations and the GPU's native f16 conversion), f32 -> fp8 becomes
  // integer code.
  {
    RewritePatternSet patterns(ctx);
    populateFp8ViaHalfPatterns(patterns);
    populateSoftFloatPatterns(patterns, /*fp8Only=*/true);
    FrozenRewritePatternSet frozen(std::move(patterns));
    GreedyRewriteConfig config;
    config.setStrictness(GreedyRewriteStrictness::ExistingAndNewOps);
    for (func::FuncOp fn : kernels) {
      if (!keepFp8Ext) {
        if (failed(applyPatternsGreedily(fn, frozen)))
          return failure();
        continue;
      }
      SmallVector<Operation *> ops;
      fn.walk([&](Operation *op) {
        auto ext = dyn_cast<arith::ExtFOp>(op);
        if (!ext ||
            !isa<Float8E4M3FNType, Float8E5M2Type>(
                getElementTypeOrSelf(ext.getIn().getType())))
          ops.push_back(op);
      });
      if (failed(applyOpPatternsGreedily(ops, frozen, config)))
        return failure();
    }
  }
  llvm::StringMap<int64_t> blockSizes, sharedBytes;
  for (func::FuncOp fn : kernels) {
    FailureOr<int64_t> threads = fast ? fast(fn, gpuModule) : int64_t(0);
    if (succeeded(threads) && *threads == 0)
      threads = buildRowKernel(fn, gpuModule);
    if (succeeded(threads) && *threads == 0)
      threads = buildSIMTKernel(fn, gpuModule);
    if (failed(threads))
      return failure();
    blockSizes[fn.getSymName()] = *threads;
    if (auto g = gpuModule.lookupSymbol<gpu::GPUFuncOp>(fn.getSymName()))
      if (auto n = g->getAttrOfType<IntegerAttr>(kDynamicSharedBytesAttr)) {
        sharedBytes[fn.getSymName()] = n.getInt();
        g->removeAttr(kDynamicSharedBytesAttr);
      }
    fn.erase();
  }

  // Launch metadata for the runtime, per manifest entry.
  auto kernelsAttr = module->getAttrOfType<ArrayAttr>("attn.kernels");
  if (!kernelsAttr)
    return success();
  SmallVector<Attribute> entries;
  for (Attribute a : kernelsAttr) {
    auto entry = cast<DictionaryAttr>(a);
    NamedAttrList launch;
    if (auto fns = entry.getAs<DictionaryAttr>("functions"))
      for (NamedAttribute f : fns) {
        StringRef sym = cast<StringAttr>(f.getValue()).getValue();
        NamedAttrList l;
        int64_t t = blockSizes.lookup(sym);
        l.append("block", b.getArrayAttr({b.getI64IntegerAttr(t),
                                          b.getI64IntegerAttr(1),
                                          b.getI64IntegerAttr(1)}));
        l.append("shared_bytes",
                 b.getI64IntegerAttr(sharedBytes.lookup(sym)));
        launch.append(sym, l.getDictionary(ctx));
      }
    NamedAttrList e(entry.getValue());
    e.set("launch", launch.getDictionary(ctx));
    e.set("target", b.getStringAttr(chip));
    entries.push_back(e.getDictionary(ctx));
  }
  module->setAttr("attn.kernels", b.getArrayAttr(entries));
  return success();
}
