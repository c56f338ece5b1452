//===- KernelManifest.cpp - the JSON the runtime loads --------------------===//

#include "attn/Target/KernelManifest.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

static void writeJson(llvm::raw_ostream &os, Attribute a) {
  if (auto s = dyn_cast<StringAttr>(a)) {
    os << '"';
    for (char c : s.getValue()) {
      if (c == '"' || c == '\\')
        os << '\\' << c;
      else if ((unsigned char)c < 0x20)
        os << llvm::format("\\u%04x", c);
      else
        os << c;
    }
    os << '"';
  } else if (auto i = dyn_cast<IntegerAttr>(a)) {
    os << i.getInt();
  } else if (auto f = dyn_cast<FloatAttr>(a)) {
    os << llvm::format("%.17g", f.getValueAsDouble());
  } else if (auto d = dyn_cast<DictionaryAttr>(a)) {
    os << '{';
    llvm::interleave(
        d.getValue(), os,
        [&](NamedAttribute n) {
          writeJson(os, n.getName());
          os << ": ";
          writeJson(os, n.getValue());
        },
        ", ");
    os << '}';
  } else if (auto arr = dyn_cast<ArrayAttr>(a)) {
    os << '[';
    llvm::interleave(arr, os, [&](Attribute e) { writeJson(os, e); }, ", ");
    os << ']';
  } else {
    os << "null";
  }
}

std::string mlir::attn::buildKernelManifest(ModuleOp module) {
  std::string out;
  llvm::raw_string_ostream os(out);
  os << "{\"version\": 2, \"kernels\": [";
  if (auto kernels = module->getAttrOfType<ArrayAttr>("attn.kernels"))
    llvm::interleave(
        kernels, os,
        [&](Attribute k) {
          os << "\n  ";
          writeJson(os, k);
        },
        ",");
  os << "\n]}\n";
  return out;
}
