//===- WarpgroupMMA.cpp - the tile products on wgmma (sm_90a) -------------===//
//
// The tensor-core mapping's products on Hopper's warpgroup MMA. The
// mapping's layouts are unchanged: warp w of a warpgroup owns rows
// 16 (w % 4) .. + 15 of the warpgroup's 64, and its query-side tiles hold
// the m16n8 accumulator layout, which is, warp by warp, the D layout of
// wgmma m64nNk16 and (over the reduction dimension) its register A layout.
// So P feeds P V from registers as it feeds mma.sync, and S and O come
// back in the layout the softmax already reads. Q (stored once before the
// KV loop, stageQuery), K and V are read by the tensor cores from shared
// memory, where the staging writes them in atoms of [rows x 64] elements
// with the 128-byte swizzle (TensorCorePipeline.cpp, stagedOffset):
//
//  - S = Q K^T: A = Q and B = K^T are K-major (a K row is a key's head
//    vector): one wgmma m64n{block_n}k16 per 16 columns of the head; the
//    slab's start is atom s / 4, byte 32 (s % 4) of its rows (Q: of the
//    warpgroup's 64 rows); stride between 8-row groups (SBO) 1024 bytes.
//    Where Q is not such a loop-invariant tile, A comes from registers.
//  - O += P V: B = V is MN-major (transposed, imm-trans-b = 1): one wgmma
//    m64n{head_size_v}k16 per 16 keys; the slab's start is byte 2048 s;
//    SBO (8-key groups) 1024 bytes, LBO (64-column atoms) 128 block_n.
//
// Each product is inline PTX: wgmma.fence, the slabs' wgmma (accumulating
// into the same registers), commit, and wait 0 in the same block or, when
// work is to run while the products do, in a second one.
//
//===----------------------------------------------------------------------===//

#include "TensorCoreDistributor.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

#include <string>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::nvidia;

namespace {
/// The fixed fields of a 128-byte-swizzle matrix descriptor: leading and
/// stride byte offsets (in 16-byte units) and the layout type (1 = 128B).
uint64_t descriptorFields(int64_t lboBytes, int64_t sboBytes) {
  return (uint64_t(lboBytes >> 4) & 0x3FFF) << 16 |
         (uint64_t(sboBytes >> 4) & 0x3FFF) << 32 | uint64_t(1) << 62;
}
} // namespace

LogicalResult TensorCoreDistributor::warpgroupProduct(
    vector::ContractionOp op, Value a, bool qk, Value base, int64_t kDim,
    int64_t nDim, function_ref<LogicalResult()> between) {
  Type i32T = b.getI32Type(), i64T = b.getI64Type(), f32 = b.getF32Type();
  int64_t slabs = kDim / 16, accs = nDim / 2;
  auto c64 = [&](int64_t v) {
    return arith::ConstantIntOp::create(b, loc, i64T, v);
  };

  // Operands: the accumulators (tied to the results), then A registers
  // (four per slab) or A descriptors (one per slab), then B descriptors.
  SmallVector<Value> operands;
  Value acc = get(op.getAcc());
  for (int64_t e = 0; e < accs; ++e)
    operands.push_back(extract(acc, e));
  // Q from shared memory (stageQuery) or A from registers.
  auto ext = op.getLhs().getDefiningOp<arith::ExtFOp>();
  bool aShared = qk && qStaged && ext && ext.getIn() == qStaged;
  if (!aShared)
    for (int64_t s = 0; s < slabs; ++s)
      for (int64_t k = 0; k < 4; ++k)
        operands.push_back(LLVM::BitcastOp::create(
            b, loc, i32T, shuffle(a, {8 * s + 2 * k, 8 * s + 2 * k + 1})));
  auto startOf = [&](Value ptr) -> Value {
    Value addr = LLVM::PtrToIntOp::create(b, loc, i64T, ptr);
    return arith::ShRUIOp::create(
        b, loc, arith::AndIOp::create(b, loc, addr, c64(0x3FFFF)), c64(4));
  };
  // Descriptors of slab s: base + offset(s) bytes.
  auto descriptors = [&](Value start, uint64_t layout,
                         function_ref<int64_t(int64_t)> offset) {
    Value fixed = c64(int64_t(layout));
    for (int64_t s = 0; s < slabs; ++s)
      operands.push_back(arith::OrIOp::create(
          b, loc, arith::AddIOp::create(b, loc, start, c64(offset(s) >> 4)),
          fixed));
  };
  int64_t rowBytes = 2 * kAtomCols; // one row of a 64-column atom
  if (aShared) {
    // The warpgroup's 64 rows of Q: K-major like K, atoms of block_m rows.
    Value wg = arith::DivUIOp::create(b, loc, frame.tid, idx(4 * kWarp));
    Value rowOff = arith::IndexCastOp::create(
        b, loc, i64T, mul(wg, idx(64 * rowBytes)));
    descriptors(arith::AddIOp::create(
                    b, loc, startOf(qBase),
                    arith::ShRUIOp::create(b, loc, rowOff, c64(4))),
                descriptorFields(16, 1024), [&](int64_t s) {
                  return (s / 4) * bm * rowBytes + (s % 4) * 32;
                });
  }
  if (qk)
    descriptors(startOf(base), descriptorFields(16, 1024), [&](int64_t s) {
      return (s / 4) * bn * rowBytes + (s % 4) * 32;
    });
  else
    descriptors(startOf(base), descriptorFields(bn * rowBytes, 1024),
                [&](int64_t s) { return s * 16 * rowBytes; });

  // $0 .. $accs-1: results; inputs follow in operand order.
  std::string d = "{";
  for (int64_t e = 0; e < accs; ++e)
    d += (e ? ", $" : "$") + std::to_string(e);
  d += "}";
  StringRef ty = cT.isBF16() ? "bf16" : "f16";
  std::string text = "wgmma.fence.sync.aligned;\n";
  for (int64_t s = 0; s < slabs; ++s) {
    text += "wgmma.mma_async.sync.aligned.m64n" + std::to_string(nDim) +
            "k16.f32." + ty.str() + "." + ty.str() + " " + d + ", ";
    if (aShared) { // descA, descB, scale-d, scale-a, scale-b, trans-a, -b
      text += "$" + std::to_string(2 * accs + s) + ", $" +
              std::to_string(2 * accs + slabs + s) + ", 1, 1, 1, 0, 0;\n";
      continue;
    }
    int64_t aAt = 2 * accs + 4 * s, descAt = 2 * accs + 4 * slabs + s;
    text += "{";
    for (int64_t k = 0; k < 4; ++k)
      text += (k ? ", $" : "$") + std::to_string(aAt + k);
    text += "}, $" + std::to_string(descAt) + ", 1, 1, 1, " +
            (qk ? "0" : "1") + ";\n";
  }
  text += "wgmma.commit_group.sync.aligned;";
  std::string wait = "wgmma.wait_group.sync.aligned 0;";
  if (!between)
    text += "\n" + wait;
  // The accumulators: outputs tied to inputs.
  std::string tied;
  for (int64_t e = 0; e < accs; ++e)
    tied += "=f,";
  for (int64_t e = 0; e < accs; ++e)
    tied += std::to_string(e) + (e + 1 < accs ? "," : "");
  std::string constraints = tied;
  if (!aShared)
    for (int64_t e = 0; e < 4 * slabs; ++e)
      constraints += ",r";
  for (int64_t s = 0; s < (aShared ? 2 : 1) * slabs; ++s)
    constraints += ",l";

  auto resT = LLVM::LLVMStructType::getLiteral(
      b.getContext(), SmallVector<Type>(accs, f32));
  // Side effects: the block reads shared memory the barrier before it
  // orders, and must stay where it is.
  auto asmBlock = [&](ValueRange in, StringRef body, StringRef cons) {
    return LLVM::InlineAsmOp::create(
               b, loc, resT, in, body, cons,
               /*has_side_effects=*/true, /*is_align_stack=*/false,
               LLVM::tailcallkind::TailCallKind::None, nullptr, nullptr)
        .getResult(0);
  };
  auto fields = [&](Value s) {
    SmallVector<Value> v;
    for (int64_t e = 0; e < accs; ++e)
      v.push_back(LLVM::ExtractValueOp::create(b, loc, s, e));
    return v;
  };
  SmallVector<Value> elems = fields(asmBlock(operands, text, constraints));
  if (between) {
    // The work between issue and wait must not touch the accumulators:
    // they reach the wait (which returns them) only through it.
    if (failed(between()))
      return failure();
    elems = fields(asmBlock(elems, wait, tied));
  }
  map.map(op.getResult(), vector::FromElementsOp::create(
                              b, loc, cast<VectorType>(acc.getType()), elems));
  return success();
}
