//===- CudaBinary.cpp - attn-translate --attn-to-cubin --------------------===//
//
// The cubin of a module that attn-nvidia-pipeline produced: its PTX through
// ptxas from a CUDA toolkit when one is found, else the PTX itself (the
// runtime's CUDA device loads either; the driver then compiles the PTX).
//
//===----------------------------------------------------------------------===//

#include "attn/InitAllDialects.h"
#include "attn/Target/KernelManifest.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Tools/mlir-translate/Translation.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/WithColor.h"

using namespace mlir;

static llvm::cl::opt<std::string> ptxasPath(
    "attn-ptxas",
    llvm::cl::desc("ptxas of --attn-to-cubin (default: $ATTN_PTXAS, "
                   "$CUDA_HOME/bin/ptxas, /usr/local/cuda/bin/ptxas, PATH)"),
    llvm::cl::init(""));
static llvm::cl::opt<std::string> cudaArch(
    "attn-cuda-arch",
    llvm::cl::desc("GPU of --attn-to-cubin, e.g. sm_90a (default: the chip "
                   "the module was compiled for)"),
    llvm::cl::init(""));

/// ptxas, or "" when none is found.
static std::string findPtxas() {
  if (!ptxasPath.empty())
    return ptxasPath;
  if (const char *env = std::getenv("ATTN_PTXAS"))
    return env;
  llvm::SmallVector<std::string> candidates;
  if (const char *home = std::getenv("CUDA_HOME"))
    candidates.push_back(std::string(home) + "/bin/ptxas");
  candidates.push_back("/usr/local/cuda/bin/ptxas");
  for (const std::string &c : candidates)
    if (llvm::sys::fs::can_execute(c))
      return c;
  if (llvm::ErrorOr<std::string> exe = llvm::sys::findProgramByName("ptxas"))
    return *exe;
  return "";
}

static LogicalResult writeCubin(ModuleOp module, llvm::raw_ostream &os) {
  gpu::BinaryOp binary;
  module.walk([&](gpu::BinaryOp b) { binary = b; });
  if (!binary)
    return module.emitError()
           << "no gpu.binary: run attn-nvidia-pipeline first";
  auto object = cast<gpu::ObjectAttr>(binary.getObjects()[0]);
  auto target = dyn_cast<NVVM::NVVMTargetAttr>(object.getTarget());
  if (!target || object.getFormat() != gpu::CompilationTarget::Assembly)
    return module.emitError()
           << "the gpu.binary does not hold PTX for an NVIDIA target";
  StringRef ptx = object.getObject().getValue();
  std::string arch = cudaArch.empty() ? target.getChip().str() : cudaArch;
  std::string ptxas = findPtxas();
  if (ptxas.empty() || !llvm::sys::fs::can_execute(ptxas)) {
    llvm::WithColor::warning()
        << "attn-to-cubin: no ptxas found (set --attn-ptxas or ATTN_PTXAS); "
           "writing the PTX instead, which the CUDA driver compiles at load\n";
    os << ptx;
    return success();
  }

  // ptxas reads and writes files: a temporary directory holds both.
  llvm::SmallString<128> dir;
  if (llvm::sys::fs::createUniqueDirectory("attn-cubin", dir))
    return module.emitError() << "attn-to-cubin: cannot create a temporary "
                                 "directory";
  llvm::SmallString<128> in(dir), out(dir), log(dir);
  llvm::sys::path::append(in, "kernels.ptx");
  llvm::sys::path::append(out, "kernels.cubin");
  llvm::sys::path::append(log, "ptxas.log");
  auto cleanup = [&] {
    for (StringRef f : {in.str(), out.str(), log.str()})
      llvm::sys::fs::remove(f);
    llvm::sys::fs::remove(dir);
  };
  {
    std::error_code ec;
    llvm::raw_fd_ostream f(in, ec);
    if (ec) {
      cleanup();
      return module.emitError() << "attn-to-cubin: cannot write " << in;
    }
    f << ptx;
  }
  std::string archArg = "-arch=" + arch;
  std::string inStr = in.str().str(), outStr = out.str().str();
  llvm::SmallVector<StringRef> args = {ptxas, archArg, "-O3", inStr, "-o",
                                       outStr};
  std::optional<StringRef> redirects[] = {std::nullopt, log.str(), log.str()};
  std::string msg;
  int rc = llvm::sys::ExecuteAndWait(ptxas, args, std::nullopt, redirects, 0,
                                     0, &msg);
  if (rc != 0) {
    std::string details;
    if (auto text = llvm::MemoryBuffer::getFile(log))
      details = (*text)->getBuffer().trim().str();
    cleanup();
    return module.emitError()
           << "attn-to-cubin: " << ptxas << " " << archArg << " failed (exit "
           << rc << (msg.empty() ? "" : ", " + msg) << ")"
           << (details.empty() ? "" : ": " + details);
  }
  auto cubin = llvm::MemoryBuffer::getFile(out, /*IsText=*/false);
  if (!cubin) {
    cleanup();
    return module.emitError() << "attn-to-cubin: ptxas wrote no " << out;
  }
  os << (*cubin)->getBuffer();
  cleanup();
  return success();
}

void mlir::attn::registerCudaBinaryTranslation() {
  TranslateFromMLIRRegistration cubin(
      "attn-to-cubin",
      "write the cubin of the gpu.binary that attn-nvidia-pipeline produced "
      "(ptxas of a CUDA toolkit; the PTX when none is found)",
      writeCubin,
      [](DialectRegistry &registry) { attn::registerAllDialects(registry); });
}
