//===- RowMapping.cpp - row-vector kernels across the threads -------------===//
//
// The GPU mapping of kernels without tiles whose vectors are all one row of
// a head (the split form's reduce, attn.merge_states): the block has dv / 4
// threads and thread t holds elements [4t, 4t + 4) of every vector<dv>, so
// the loads of a partial output row are one coalesced 16-byte access per
// thread instead of one thread walking the row. Scalars (the segment lse
// values, their max, the weights) are computed by every thread; scalar
// stores (the lse output) are made by thread 0.
//
//===----------------------------------------------------------------------===//

#include "attn/Backend/GPU/FragmentCloner.h"
#include "attn/Backend/GPU/KernelMapping.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::attn;

namespace {

constexpr int64_t kPerThread = 4;

class RowDistributor : public TileCloner {
public:
  RowDistributor(OpBuilder &b, int64_t dv, Value tid)
      : TileCloner(b, "row mapping"), dv(dv), tid(tid) {}

  /// Whether every vector of `fn` is one row of dv elements and every op
  /// touching one is a splat constant, a load, a store, a broadcast of a
  /// scalar or elementwise.
  static std::optional<int64_t> rowWidth(func::FuncOp fn);

private:
  Type mapType(Type t) const override {
    auto vt = dyn_cast<VectorType>(t);
    return vt ? VectorType::get({kPerThread}, vt.getElementType()) : t;
  }
  std::optional<LogicalResult> cloneSpecial(Operation &op) override;
  /// The thread's first element of a row starting at `at`.
  Value mine(Value at) {
    Value off = arith::MulIOp::create(
        b, loc, tid, arith::ConstantIndexOp::create(b, loc, kPerThread));
    return arith::AddIOp::create(b, loc, get(at), off);
  }

  int64_t dv;
  Value tid;
};

} // namespace

std::optional<int64_t> RowDistributor::rowWidth(func::FuncOp fn) {
  int64_t width = 0;
  bool ok = true;
  auto isRowVec = [&](Type t) {
    auto vt = dyn_cast<VectorType>(t);
    if (!vt)
      return true;
    if (vt.getRank() != 1 || vt.isScalable())
      return false;
    if (!width)
      width = vt.getDimSize(0);
    return vt.getDimSize(0) == width;
  };
  fn.walk([&](Operation *op) {
    bool touches = false;
    for (Type t : llvm::concat<const Type>(op->getOperandTypes(),
                                           op->getResultTypes())) {
      touches |= isa<VectorType>(t);
      ok &= isRowVec(t);
    }
    if (!touches)
      return;
    if (auto cst = dyn_cast<arith::ConstantOp>(op))
      ok &= cast<DenseElementsAttr>(cst.getValue()).isSplat();
    else if (auto bc = dyn_cast<vector::BroadcastOp>(op))
      ok &= !isa<VectorType>(bc.getSource().getType());
    else
      ok &= isa<vector::LoadOp, vector::StoreOp>(op) || isElementwise(op);
  });
  if (!ok || width == 0 || width % kPerThread != 0 ||
      width / kPerThread > 1024)
    return std::nullopt;
  return width;
}

std::optional<LogicalResult> RowDistributor::cloneSpecial(Operation &op) {
  if (auto cst = dyn_cast<arith::ConstantOp>(op)) {
    Type t = cst.getType();
    if (!isa<VectorType>(t))
      return std::nullopt;
    map.map(cst.getResult(), splatConstantAs(b, loc, cst, mapType(t)));
    return success();
  }
  // Rows start at multiples of dv (a multiple of 4), so the thread's four
  // elements are aligned to four elements.
  if (auto load = dyn_cast<vector::LoadOp>(op)) {
    Type t = mapType(load.getType());
    int64_t bytes = kPerThread * load.getType().getElementTypeBitWidth() / 8;
    auto nl = vector::LoadOp::create(b, loc, cast<VectorType>(t),
                                     get(load.getBase()),
                                     ValueRange{mine(load.getIndices()[0])});
    if (knownMultiple(load.getIndices()[0]) % dv == 0)
      nl.setAlignment(bytes);
    map.map(load.getResult(), nl.getResult());
    return success();
  }
  if (auto store = dyn_cast<vector::StoreOp>(op)) {
    int64_t bytes =
        kPerThread * store.getVectorType().getElementTypeBitWidth() / 8;
    auto ns = vector::StoreOp::create(b, loc, get(store.getValueToStore()),
                                      get(store.getBase()),
                                      ValueRange{mine(store.getIndices()[0])});
    if (knownMultiple(store.getIndices()[0]) % dv == 0)
      ns.setAlignment(bytes);
    return success();
  }
  if (auto bc = dyn_cast<vector::BroadcastOp>(op)) {
    map.map(bc.getResult(),
            vector::BroadcastOp::create(b, loc, mapType(bc.getType()),
                                        get(bc.getSource())));
    return success();
  }
  // A scalar store (the lse output): thread 0 makes it.
  if (auto store = dyn_cast<memref::StoreOp>(op)) {
    Value first = arith::CmpIOp::create(
        b, loc, arith::CmpIPredicate::eq, tid,
        arith::ConstantIndexOp::create(b, loc, 0));
    auto ifOp = scf::IfOp::create(b, loc, first, /*withElse=*/false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&ifOp.getThenRegion().front());
    b.clone(op, map);
    return success();
  }
  return std::nullopt;
}

FailureOr<int64_t> mlir::attn::buildRowKernel(func::FuncOp fn,
                                              gpu::GPUModuleOp gpuModule) {
  auto kind = fn->getAttrOfType<StringAttr>("attn.kernel");
  if (fn->hasAttr("attn.tile") || !kind || kind.getValue() != "reduce")
    return int64_t(0);
  std::optional<int64_t> dv = RowDistributor::rowWidth(fn);
  if (!dv)
    return int64_t(0);
  OpBuilder b(gpuModule.getBodyRegion());
  int64_t threads = *dv / kPerThread;
  IRMapping map;
  KernelFrame frame = createKernelFrame(b, fn, gpuModule, {}, threads, map);
  RowDistributor d(b, *dv, frame.tid);
  d.map = std::move(map);
  if (failed(d.cloneBlock(fn.getBody().front())))
    return failure();
  return threads;
}
