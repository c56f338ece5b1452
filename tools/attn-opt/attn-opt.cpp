//===- attn-opt.cpp - the attn optimizer driver ---------------------------===//
//
// MlirOptMain with the attn dialects and passes. `--spec=STRING` replaces the
// input file: the variant is built from the spec string and then run through
// the pass pipeline like any parsed input.
//
//===----------------------------------------------------------------------===//

#include "attn/InitAllDialects.h"
#include "attn/InitAllPasses.h"
#include "attn/Spec/SpecToIR.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  mlir::attn::registerAllDialects(registry);
  mlir::attn::registerAllPasses();
  return mlir::attn::runWithSpecOption(
      argc, argv, [&](int n, char **args) {
        return mlir::asMainReturnCode(mlir::MlirOptMain(
            n, args, "attn optimizer driver\n", registry));
      });
}
