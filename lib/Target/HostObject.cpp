//===- HostObject.cpp - translations out of MLIR for the host -------------===//
//
// --attn-to-kernel-manifest: the manifest JSON of a lowered module.
// --attn-to-host-object: an LLVM-dialect module (attn-host-pipeline output)
//   as an ELF relocatable object for the host CPU, optimized at -O2. Link it
//   into a shared object (`ld.lld -shared`) for the runtime's CPU backend.
//
//===----------------------------------------------------------------------===//

#include "attn/Target/HostBundle.h"
#include "attn/Target/KernelManifest.h"

#include "mlir/Dialect/DLTI/DLTI.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "mlir/Tools/mlir-translate/Translation.h"

#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "attn/InitAllDialects.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include <unistd.h>
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/SubtargetFeature.h"

using namespace mlir;

static llvm::cl::opt<std::string> hostCpu(
    "attn-host-cpu",
    llvm::cl::desc("CPU of --attn-to-host-object: 'native' (this machine, "
                   "the default) or an LLVM CPU name such as x86-64-v3"),
    llvm::cl::init("native"));

LogicalResult mlir::attn::emitHostObject(ModuleOp module,
                                         llvm::SmallVectorImpl<char> &buffer) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  std::string tripleStr = llvm::sys::getProcessTriple();
  llvm::Triple triple(tripleStr);
  std::string error;
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return module.emitError() << "no LLVM target for " << tripleStr << ": "
                              << error;
  std::string cpu = hostCpu == "native" ? llvm::sys::getHostCPUName().str()
                                        : std::string(hostCpu);
  std::string features;
  if (hostCpu == "native") {
    llvm::SubtargetFeatures f;
    for (const auto &[name, on] : llvm::sys::getHostCPUFeatures())
      f.AddFeature(name, on);
    features = f.getString();
  }
  llvm::TargetOptions options;
  std::unique_ptr<llvm::TargetMachine> tm(target->createTargetMachine(
      triple, cpu, features, options, llvm::Reloc::PIC_, std::nullopt,
      llvm::CodeGenOptLevel::Aggressive));
  if (!tm)
    return module.emitError() << "cannot create a target machine for " << cpu;

  llvm::LLVMContext ctx;
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, ctx, "attn");
  if (!llvmModule)
    return module.emitError() << "translation to LLVM IR failed";
  llvmModule->setTargetTriple(triple);
  llvmModule->setDataLayout(tm->createDataLayout());

  {
    llvm::LoopAnalysisManager lam;
    llvm::FunctionAnalysisManager fam;
    llvm::CGSCCAnalysisManager cgam;
    llvm::ModuleAnalysisManager mam;
    llvm::PassBuilder pb(tm.get());
    pb.registerModuleAnalyses(mam);
    pb.registerCGSCCAnalyses(cgam);
    pb.registerFunctionAnalyses(fam);
    pb.registerLoopAnalyses(lam);
    pb.crossRegisterProxies(lam, fam, cgam, mam);
    llvm::ModulePassManager mpm =
        pb.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O2);
    mpm.run(*llvmModule, mam);
  }

  {
    llvm::raw_svector_ostream bos(buffer);
    llvm::legacy::PassManager pm;
    if (tm->addPassesToEmitFile(pm, bos, nullptr,
                                llvm::CodeGenFileType::ObjectFile))
      return module.emitError() << "the target cannot emit object files";
    pm.run(*llvmModule);
  }
  return success();
}

/// Writes the object of the module's gpu.binary, which must be in `format`.
static LogicalResult writeGpuObject(ModuleOp module, llvm::raw_ostream &os,
                                    gpu::CompilationTarget format,
                                    StringRef what, StringRef pipeline) {
  gpu::BinaryOp binary;
  module.walk([&](gpu::BinaryOp b) { binary = b; });
  if (!binary)
    return module.emitError() << "no gpu.binary: run " << pipeline
                              << " first";
  auto object = cast<gpu::ObjectAttr>(binary.getObjects()[0]);
  if (object.getFormat() != format)
    return module.emitError() << "the gpu.binary does not hold " << what;
  os << object.getObject().getValue();
  return success();
}

void mlir::attn::registerKernelTranslations() {
  auto registerLLVM = [](DialectRegistry &registry) {
    registry.insert<DLTIDialect, LLVM::LLVMDialect>();
    registerBuiltinDialectTranslation(registry);
    registerLLVMDialectTranslation(registry);
  };
  TranslateFromMLIRRegistration manifest(
      "attn-to-kernel-manifest", "write the kernel manifest (JSON)",
      [](ModuleOp module, llvm::raw_ostream &os) {
        os << buildKernelManifest(module);
        return success();
      },
      [](DialectRegistry &registry) { attn::registerAllDialects(registry); });
  TranslateFromMLIRRegistration ptx(
      "attn-to-cuda-ptx",
      "write the PTX of the gpu.binary that attn-nvidia-pipeline produced "
      "(the runtime loads it with the manifest as <stem>.json beside it)",
      [](ModuleOp module, llvm::raw_ostream &os) {
        return writeGpuObject(module, os, gpu::CompilationTarget::Assembly,
                              "PTX text", "attn-nvidia-pipeline");
      },
      [](DialectRegistry &registry) { attn::registerAllDialects(registry); });
  TranslateFromMLIRRegistration hsaco(
      "attn-to-hsaco",
      "write the code object (hsaco) of the gpu.binary that "
      "attn-amd-pipeline produced (loaded with <stem>.json beside it)",
      [](ModuleOp module, llvm::raw_ostream &os) {
        return writeGpuObject(module, os, gpu::CompilationTarget::Binary,
                              "a code object", "attn-amd-pipeline");
      },
      [](DialectRegistry &registry) { attn::registerAllDialects(registry); });
  TranslateFromMLIRRegistration object(
      "attn-to-host-object",
      "write an LLVM-dialect module as a host object file (ELF)",
      [](ModuleOp module, llvm::raw_ostream &os) {
        llvm::SmallVector<char, 0> obj;
        if (failed(emitHostObject(module, obj)))
          return failure();
        os.write(obj.data(), obj.size());
        return success();
      },
      registerLLVM);
  TranslateFromMLIRRegistration bundle(
      "attn-to-host-bundle",
      "compile attn IR (or its LLVM-dialect lowering) to a host shared "
      "object (runs attn-host-pipeline when needed, then ld.lld)",
      [](ModuleOp module, llvm::raw_ostream &os) -> LogicalResult {
        if (!module->hasAttr("attn.kernels") &&
            failed(lowerToHostLLVM(module, HostCompileOptions())))
          return failure();
        llvm::SmallVector<char, 0> obj;
        if (failed(emitHostObject(module, obj)))
          return failure();
        llvm::SmallString<128> so;
        int fd;
        if (llvm::sys::fs::createTemporaryFile("attn-bundle", "so", fd, so))
          return module.emitError("cannot create a temporary file");
        ::close(fd);
        std::string error;
        if (failed(linkHostSharedObject(obj, so.str().str(), error))) {
          llvm::sys::fs::remove(so);
          return module.emitError(error);
        }
        auto buf = llvm::MemoryBuffer::getFile(so);
        llvm::sys::fs::remove(so);
        if (!buf)
          return module.emitError("cannot read the linked shared object");
        os << (*buf)->getBuffer();
        return success();
      },
      [](DialectRegistry &registry) { attn::registerAllDialects(registry); });
}
