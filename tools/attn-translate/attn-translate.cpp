//===- attn-translate.cpp - translations out of MLIR ----------------------===//
//
// mlirTranslateMain with the attn translations. `--spec=STRING` replaces the
// input file with the attn IR built from the spec; `--attn-pipeline=...`
// (see SpecToIR.h) runs the compile pipeline first.
//
//===----------------------------------------------------------------------===//

#include "attn/InitAllPasses.h"
#include "attn/InitAllTranslations.h"
#include "attn/Spec/SpecToIR.h"

#include "mlir/Tools/mlir-translate/MlirTranslateMain.h"

int main(int argc, char **argv) {
  mlir::attn::registerAllPasses();
  mlir::attn::registerAllTranslations();
  return mlir::attn::runWithSpecOption(argc, argv, [](int n, char **args) {
    return mlir::failed(mlir::mlirTranslateMain(n, args, "attn translate\n"))
               ? 1
               : 0;
  });
}
