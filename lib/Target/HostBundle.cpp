//===- HostBundle.cpp - attn IR to a loadable host shared object ----------===//

#include "attn/Target/HostBundle.h"
#include "attn/Backend/Host/Passes.h"
#include "attn/InitAllDialects.h"
#include "attn/Spec/SpecToIR.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::attn;

#ifndef ATTN_LD_LLD
#define ATTN_LD_LLD "ld.lld"
#endif

LogicalResult mlir::attn::lowerToHostLLVM(ModuleOp module,
                                          const HostCompileOptions &o) {
  PassManager pm(module.getContext());
  host::buildHostPipeline(pm, o.blockM, o.blockN, o.segments, o.wideBlockM);
  return pm.run(module);
}

LogicalResult mlir::attn::linkHostSharedObject(llvm::ArrayRef<char> obj,
                                               const std::string &soPath,
                                               std::string &error) {
  llvm::SmallString<128> objPath;
  int fd;
  if (llvm::sys::fs::createTemporaryFile("attn-host", "o", fd, objPath)) {
    error = "cannot create a temporary object file";
    return failure();
  }
  {
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    os.write(obj.data(), obj.size());
  }
  std::string ld = ATTN_LD_LLD;
  if (const char *env = std::getenv("ATTN_LD_LLD"))
    ld = env;
  llvm::ErrorOr<std::string> exe = llvm::sys::findProgramByName(ld);
  if (!exe) {
    llvm::sys::fs::remove(objPath);
    error = "cannot find the linker '" + ld + "' (set ATTN_LD_LLD)";
    return failure();
  }
  std::string objStr = objPath.str().str();
  llvm::SmallVector<llvm::StringRef> args = {*exe, "-shared", "-o", soPath,
                                             objStr};
  std::string msg;
  int rc = llvm::sys::ExecuteAndWait(*exe, args, std::nullopt, {}, 0, 0, &msg);
  llvm::sys::fs::remove(objPath);
  if (rc != 0) {
    error = "linking " + soPath + " failed (" + ld + " exit " +
            std::to_string(rc) + (msg.empty() ? "" : ": " + msg) + ")";
    return failure();
  }
  return success();
}

bool mlir::attn::compileSpecToHostBundle(const std::string &specText,
                                         const std::string &soPath,
                                         std::string &error,
                                         const HostCompileOptions &o) {
  std::optional<::attn::VariantSpec> spec =
      ::attn::parseSpec(specText, error);
  if (!spec)
    return false;
  DialectRegistry registry;
  registerAllDialects(registry);
  MLIRContext ctx(registry);
  OwningOpRef<ModuleOp> module = buildVariantModule(&ctx, *spec, error);
  if (!module)
    return false;
  std::string diag;
  ScopedDiagnosticHandler handler(&ctx, [&](Diagnostic &d) {
    diag += d.str() + "\n";
    return success();
  });
  if (failed(lowerToHostLLVM(*module, o))) {
    error = "host pipeline failed: " + diag;
    return false;
  }
  llvm::SmallVector<char, 0> obj;
  if (failed(emitHostObject(*module, obj))) {
    error = "object emission failed: " + diag;
    return false;
  }
  return succeeded(linkHostSharedObject(obj, soPath, error));
}
