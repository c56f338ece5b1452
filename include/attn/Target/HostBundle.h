//===- HostBundle.h - attn IR to a loadable host shared object --*- C++ -*-===//

#ifndef ATTN_TARGET_HOSTBUNDLE_H
#define ATTN_TARGET_HOSTBUNDLE_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/SmallVector.h"

#include <cstdint>
#include <string>

namespace mlir::attn {

/// Schedule overrides of the host pipeline (0 / -1 = the target's choice).
struct HostCompileOptions {
  int64_t blockM = 0;
  int64_t blockN = 0;
  int64_t segments = -1;
  /// Rows of the wide 2D form (-1 = choice: none on the host, 0 = none).
  int64_t wideBlockM = -1;
};

/// Lowers attn IR in `module` to the LLVM dialect (attn-host-pipeline).
LogicalResult lowerToHostLLVM(ModuleOp module, const HostCompileOptions &o);

/// An LLVM-dialect module as an ELF object for the host CPU, -O2.
LogicalResult emitHostObject(ModuleOp module, llvm::SmallVectorImpl<char> &obj);

/// Links object bytes into a shared object at `soPath` with ld.lld.
LogicalResult linkHostSharedObject(llvm::ArrayRef<char> obj,
                                   const std::string &soPath,
                                   std::string &error);

/// Spec string -> shared object at `soPath` (parse, build, lower, emit,
/// link). On failure returns false and sets `error`.
bool compileSpecToHostBundle(const std::string &spec,
                             const std::string &soPath, std::string &error,
                             const HostCompileOptions &o = {});

} // namespace mlir::attn

#endif // ATTN_TARGET_HOSTBUNDLE_H
