//===- KernelMapping.h - tiled kernels as gpu.funcs -------------*- C++ -*-===//
//
// What every GPU mapping of the tiled schedule shares: the gpu.func frame of
// a kernel (kernel parameters in ABI order, program ids as block ids, 1-D
// memref descriptors over the global pointers), a cloner that rebuilds the
// kernel body with distributed types (the generic scf / elementwise parts),
// and the driver that maps every kernel of a module and records the launch
// metadata. The mappings themselves (SIMT, tensor core) decide where each
// tile element lives.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_BACKEND_GPU_KERNELMAPPING_H
#define ATTN_BACKEND_GPU_KERNELMAPPING_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/IRMapping.h"

#include <functional>
#include <optional>

namespace mlir::attn {

/// Rebuilds a kernel body op by op. Subclasses handle the ops whose
/// distribution they decide (`cloneSpecial`) and the type of each
/// distributed value (`mapType`); scf.for / scf.if / scf.yield and all other
/// ops are cloned here with mapped operands and result types.
class TileCloner {
public:
  explicit TileCloner(OpBuilder &b, StringRef what) : b(b), what(what) {}
  virtual ~TileCloner() = default;

  LogicalResult cloneBlock(Block &src);
  LogicalResult cloneOp(Operation &op);
  IRMapping map;

protected:
  /// Handles `op` if the mapping distributes it specially; std::nullopt
  /// lets the generic cloning run.
  virtual std::optional<LogicalResult> cloneSpecial(Operation &op) = 0;
  virtual Type mapType(Type t) const = 0;
  /// Clones an scf.for with mapped bounds and iter_args; `atBodyStart` (if
  /// given) runs at the start of the new body, after the block arguments
  /// are mapped.
  LogicalResult cloneFor(scf::ForOp forOp,
                         llvm::function_ref<LogicalResult()> atBodyStart);
  Value get(Value v) { return map.lookup(v); }
  InFlightDiagnostic error(Operation *op, const Twine &msg) {
    return op->emitError() << what << ": " << msg;
  }

  OpBuilder &b;
  Location loc = b.getUnknownLoc();
  StringRef what;
};

/// Whether `c` is the score product S = Q K^T (K indexed [n, k]) rather than
/// the output product P V.
bool isScoreProduct(vector::ContractionOp c);
/// The widths of the K and V tiles of an attention kernel (head_size,
/// head_size_v), from its two products.
std::pair<int64_t, int64_t> kvTileWidths(func::FuncOp fn);

/// The gpu.func of a kernel function and its prologue.
struct KernelFrame {
  gpu::GPUFuncOp func;
  Value tid;
  /// Kernel function argument (a 1-D memref) -> its raw global pointer.
  DenseMap<Value, Value> globalPtr;
};

/// Creates the gpu.func for `fn` in `gpuModule` with the given workgroup
/// buffers and block size, maps fn's arguments in `map` (program ids to
/// block ids, buffers to 1-D memrefs over the kernel's global pointers) and
/// leaves `b` at the end of the entry block.
KernelFrame createKernelFrame(OpBuilder &b, func::FuncOp fn,
                              gpu::GPUModuleOp gpuModule,
                              ArrayRef<Type> workgroup, int64_t threads,
                              IRMapping &map);

/// A faster mapping tried before the SIMT one: returns the block size of
/// the gpu.func it built for `fn`, 0 when it does not handle `fn`, failure
/// on error. A gpu.func that uses dynamic shared memory carries its size
/// in bytes as kDynamicSharedBytesAttr (the manifest's shared_bytes).
constexpr llvm::StringLiteral kDynamicSharedBytesAttr =
    "attn.dynamic_shared_bytes";
using KernelMapper =
    std::function<FailureOr<int64_t>(func::FuncOp, gpu::GPUModuleOp)>;

/// A splat vector constant rebuilt with type `t` (the thread's share of
/// it); null when `cst` is not a splat.
Value splatConstantAs(OpBuilder &b, Location loc, arith::ConstantOp cst,
                      Type t);

/// The row mapping of a kernel without tiles whose vectors are all one row
/// of dv elements (the split form's reduce): dv / 4 threads, four elements
/// each. Returns 0 when `fn` is not such a kernel.
FailureOr<int64_t> buildRowKernel(func::FuncOp fn, gpu::GPUModuleOp gpuModule);

/// The SIMT mapping of one kernel (the fallback of every GPU backend).
FailureOr<int64_t> buildSIMTKernel(func::FuncOp fn,
                                   gpu::GPUModuleOp gpuModule);

} // namespace mlir::attn

#endif // ATTN_BACKEND_GPU_KERNELMAPPING_H
