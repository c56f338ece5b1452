//===- SpecToIR.cpp - attn IR from a spec string --------------------------===//

#include "attn/Spec/SpecToIR.h"
#include "attn/Dialect/Attn/IR/AttnOps.h"
#include "attn/InitAllDialects.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <string>
#include <vector>

using namespace mlir;
using namespace mlir::attn;

namespace {

constexpr int64_t kDyn = ShapedType::kDynamic;

Type floatType(MLIRContext *ctx, const std::string &name) {
  if (name == "f16")
    return Float16Type::get(ctx);
  if (name == "bf16")
    return BFloat16Type::get(ctx);
  if (name == "fp8_e4m3")
    return Float8E4M3FNType::get(ctx);
  if (name == "fp8_e5m2")
    return Float8E5M2Type::get(ctx);
  if (name == "fp8_e4m3fnuz")
    return Float8E4M3FNUZType::get(ctx);
  if (name == "fp8_e5m2fnuz")
    return Float8E5M2FNUZType::get(ctx);
  return Float32Type::get(ctx);
}

} // namespace

OwningOpRef<ModuleOp>
mlir::attn::buildVariantModule(MLIRContext *ctx,
                               const ::attn::VariantSpec &spec,
                               std::string &error) {
  ctx->loadDialect<AttnDialect, func::FuncDialect>();
  OpBuilder b(ctx);
  Location loc = b.getUnknownLoc();
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);

  Type f32 = b.getF32Type(), i32 = b.getI32Type();
  Type dtype = floatType(ctx, spec.dtype);
  Type outType = floatType(ctx, spec.effectiveOutDtype());
  int64_t h = spec.heads, kvh = spec.kvHeads, d = spec.headSize,
          dv = spec.effectiveHeadSizeV(), bs = spec.blockSize;

  std::optional<KVQuant> quant;
  Type kvType = dtype;
  int64_t extra = 0;
  if (spec.perTensorKv()) {
    quant = KVQuant::per_tensor;
    kvType = floatType(ctx, spec.kvDtype);
  } else if (spec.kvDtype == "int8_per_token_head" ||
             spec.kvDtype == "fp8_per_token_head") {
    quant = spec.kvDtype == "int8_per_token_head" ? KVQuant::per_token_head_int8
                                                  : KVQuant::per_token_head_fp8;
    kvType = b.getI8Type();
    extra = 4;
  }
  bool paged = spec.kv == "paged";
  bool perTensor = quant && *quant == KVQuant::per_tensor;

  // Argument types, in operand order; -1 entries mark absent operands.
  SmallVector<Type> types;
  auto add = [&](bool present, ArrayRef<int64_t> shape, Type elem) -> int {
    if (!present)
      return -1;
    types.push_back(MemRefType::get(shape, elem));
    return int(types.size()) - 1;
  };

  // Collects the operand indices so the op can be built after the function.
  std::vector<int> idx;
  if (spec.kind == "cache_write") {
    idx = {add(true, {kDyn, kvh, d}, dtype), add(true, {kDyn, kvh, dv}, dtype),
           add(true, {kDyn, bs, kvh, d + extra}, kvType),
           add(true, {kDyn, bs, kvh, dv + extra}, kvType),
           add(true, {kDyn}, b.getI64Type()), add(perTensor, {1}, f32),
           add(perTensor, {1}, f32)};
  } else {
    if (paged)
      idx = {add(true, {kDyn, h, d}, dtype),
             add(true, {kDyn, bs, kvh, d + extra}, kvType),
             add(true, {kDyn, bs, kvh, dv + extra}, kvType),
             add(true, {kDyn, kDyn}, i32), add(true, {kDyn}, i32),
             add(true, {kDyn}, i32)};
    else
      idx = {add(true, {kDyn, h, d}, dtype), add(true, {kDyn, kvh, d}, kvType),
             add(true, {kDyn, kvh, dv}, kvType), add(true, {kDyn}, i32),
             add(true, {kDyn}, i32)};
    bool fp8Out = spec.effectiveOutDtype() == "fp8_e4m3";
    std::vector<int> common = {
        add(spec.sinks, {h}, f32),
        add(spec.alibi != "0", {h}, f32),
        add(spec.mmPrefix, {kDyn, kDyn, 2}, i32),
        add(spec.qqBias, {kDyn, kDyn}, f32),
        add(perTensor, {1}, f32),
        add(perTensor, {1}, f32),
        add(fp8Out, {1}, f32),
        add(true, {kDyn, h, dv}, outType),
        add(spec.lse, {kDyn, h}, f32)};
    idx.insert(idx.end(), common.begin(), common.end());
  }

  b.setInsertionPointToEnd(module->getBody());
  auto func = func::FuncOp::create(b, loc, spec.name,
                                   b.getFunctionType(types, {}));
  Block *body = func.addEntryBlock();
  b.setInsertionPointToEnd(body);
  auto arg = [&](int i) -> Value {
    return i < 0 ? Value() : body->getArgument(i);
  };
  KVQuantAttr quantAttr =
      quant ? KVQuantAttr::get(ctx, *quant) : KVQuantAttr();

  if (spec.kind == "cache_write") {
    CacheWriteOp::create(b, loc, arg(idx[0]), arg(idx[1]), arg(idx[2]),
                         arg(idx[3]), arg(idx[4]), arg(idx[5]), arg(idx[6]),
                         quantAttr);
  } else {
    FloatAttr scale = b.getF32FloatAttr(spec.effectiveScale());
    UnitAttr causal = spec.causal ? b.getUnitAttr() : UnitAttr();
    WindowAttr window =
        (spec.windowLeft >= 0 || spec.windowRight >= 0)
            ? WindowAttr::get(ctx, spec.windowLeft, spec.windowRight)
            : WindowAttr();
    ChunkAttr chunk = spec.chunkSize > 0
                          ? ChunkAttr::get(ctx, spec.chunkSize,
                                           spec.chunkLookback)
                          : ChunkAttr();
    FloatAttr softcap =
        spec.softcap > 0 ? b.getF32FloatAttr(spec.softcap) : FloatAttr();
    AlibiKindAttr alibi;
    if (spec.alibi != "0")
      alibi = AlibiKindAttr::get(ctx, spec.alibi == "sqrt" ? AlibiKind::sqrt
                                                           : AlibiKind::plain);
    size_t c = paged ? 6 : 5;
    if (paged)
      PagedAttentionOp::create(
          b, loc, arg(idx[0]), arg(idx[1]), arg(idx[2]), arg(idx[3]),
          arg(idx[4]), arg(idx[5]), arg(idx[c]), arg(idx[c + 1]),
          arg(idx[c + 2]), arg(idx[c + 3]), arg(idx[c + 4]), arg(idx[c + 5]),
          arg(idx[c + 6]), arg(idx[c + 7]), arg(idx[c + 8]), scale, causal,
          window, chunk, softcap, alibi, quantAttr, UnitAttr(), PlanAttr());
    else
      VarlenAttentionOp::create(
          b, loc, arg(idx[0]), arg(idx[1]), arg(idx[2]), arg(idx[3]),
          arg(idx[4]), arg(idx[c]), arg(idx[c + 1]), arg(idx[c + 2]),
          arg(idx[c + 3]), arg(idx[c + 4]), arg(idx[c + 5]), arg(idx[c + 6]),
          arg(idx[c + 7]), arg(idx[c + 8]), scale, causal, window, chunk,
          softcap, alibi, quantAttr, UnitAttr(), PlanAttr());
  }
  func::ReturnOp::create(b, loc);

  // Verify, turning diagnostics into the error string.
  std::string diag;
  {
    ScopedDiagnosticHandler handler(ctx, [&](Diagnostic &d) {
      if (!diag.empty())
        diag += "; ";
      diag += d.str();
      return success();
    });
    if (failed(verify(*module))) {
      error = "invalid variant: " + diag;
      return nullptr;
    }
  }
  return module;
}

int mlir::attn::runWithSpecOption(
    int argc, char **argv, llvm::function_ref<int(int, char **)> main) {
  std::string specText, pipeline;
  bool haveSpec = false;
  std::vector<char *> rest;
  for (int i = 0; i < argc; ++i) {
    llvm::StringRef a(argv[i]);
    if (a.consume_front("--spec=") || a.consume_front("-spec=")) {
      specText = a.str();
      haveSpec = true;
    } else if (a.consume_front("--spec-pipeline=")) {
      pipeline = a.str();
    } else {
      rest.push_back(argv[i]);
    }
  }
  if (!haveSpec)
    return main(argc, argv);

  std::string error;
  std::optional<::attn::VariantSpec> spec = ::attn::parseSpec(specText, error);
  if (!spec) {
    llvm::errs() << "error: " << error << "\n";
    return 1;
  }
  DialectRegistry registry;
  registerAllDialects(registry);
  MLIRContext ctx(registry);
  OwningOpRef<ModuleOp> module = buildVariantModule(&ctx, *spec, error);
  if (!module) {
    llvm::errs() << "error: " << error << "\n";
    return 1;
  }
  if (!pipeline.empty()) {
    PassManager pm(&ctx);
    if (failed(parsePassPipeline(pipeline, pm, llvm::errs())) ||
        failed(pm.run(*module))) {
      llvm::errs() << "error: the pipeline '" << pipeline
                   << "' failed on the spec's variant\n";
      return 1;
    }
  }
  // The input file the tool reads in place of the spec.
  llvm::SmallString<128> path;
  int fd;
  if (llvm::sys::fs::createTemporaryFile("attn-spec", "mlir", fd, path)) {
    llvm::errs() << "error: cannot create a temporary file\n";
    return 1;
  }
  {
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    module->print(os);
  }
  // The spec stands for the input file: it goes last, as the positional.
  std::vector<char *> args = rest;
  std::string pathStr = path.str().str();
  args.push_back(pathStr.data());
  int rc = main(int(args.size()), args.data());
  llvm::sys::fs::remove(path);
  return rc;
}
