//===- GPUModule.cpp - What the GPU backends share ------------------------===//
//
// Part of the attn project, the runtime library (libattnrt).
//
//===----------------------------------------------------------------------===//

#include "Common/GPUModule.h"

#include "attn/Runtime/KernelABI.h"

#include <sys/stat.h>

#include <fstream>
#include <iterator>

namespace attn {
namespace rt {
namespace gpu {

const char *roleName(Role role) {
  switch (role) {
  case Role::TwoD:
    return "2d";
  case Role::Split:
    return "split";
  case Role::Reduce:
    return "reduce";
  case Role::Write:
    return "write";
  }
  return "?";
}

Status withContext(const Status &status, const std::string &what) {
  if (status.isOk())
    return status;
  return Status(status.code(), what + ": " + status.message());
}

Status launchFailed(const Status &driverError, const GpuFunction &f,
                    int64_t gridX, void *stream) {
  return withContext(
      driverError,
      detail::concat("launch of '", f.symbol, "' (grid [", gridX, ", ",
                     f.gridY, ", ", f.gridZ, "], block [", f.block[0], ", ",
                     f.block[1], ", ", f.block[2], "], ", f.sharedBytes,
                     " shared bytes, stream ", stream, ")"));
}

//===----------------------------------------------------------------------===//
// GPUModule
//===----------------------------------------------------------------------===//

GPUModule::GPUModule(Device &device, std::string path,
                     const DeviceLimits &limits, unsigned sharedBytesThreshold)
    : Module(device, std::move(path)), limits_(limits),
      sharedBytesThreshold_(sharedBytesThreshold) {}

Status GPUModule::load(std::string manifestText) {
  ATTN_RT_RETURN_IF_ERROR(initialize(std::move(manifestText)));
  for (const KernelInfo &info : kernels())
    ATTN_RT_RETURN_IF_ERROR(configureKernel(info));
  return Status::ok();
}

StatusOr<void *> GPUModule::resolveFunction(const std::string &symbol) {
  ATTN_RT_ASSIGN_OR_RETURN(void *function, getFunction(symbol));
  auto record = std::make_unique<GpuFunction>();
  record->device = &device();
  record->function = function;
  record->symbol = symbol;
  void *handle = record.get();
  gpuFunctions_[symbol] = std::move(record);
  return handle;
}

std::string GPUModule::where(const KernelInfo &info) const {
  return "module '" + path() + "': kernel '" + info.name + "'";
}

Status GPUModule::configureKernel(const KernelInfo &info) {
  StatusOr<json::Value> entry = json::parse(info.json);
  if (!entry.isOk())
    return internalError(where(info), ": cannot re-read its manifest entry: ",
                         entry.status().message());
  const json::Value *launch = entry->get("launch");
  if (!launch || !launch->isObject())
    return invalidArgument(
        where(info),
        ": no launch metadata; a GPU bundle's manifest entry needs "
        "\"launch\": {\"<function>\": {\"block\": [x, y, z], "
        "\"shared_bytes\": n}} for each function it names "
        "(docs/KernelABI.md, GPU bundles)");
  int64_t kvHeads = info.kvHeads;
  int64_t heads = info.heads > 0 ? info.heads : info.kvHeads;
  int64_t segments = info.segments > 0 ? info.segments : 1;
  struct {
    const std::string *symbol;
    Role role;
    int64_t gridY, gridZ;
  } roles[] = {
      {&info.functions.twoD, Role::TwoD, kvHeads, 1},
      {&info.functions.twoDWide, Role::TwoD, kvHeads, 1},
      {&info.functions.split, Role::Split, kvHeads, segments},
      {&info.functions.reduce, Role::Reduce, heads, 1},
      {&info.functions.write, Role::Write, kvHeads, 1},
  };
  for (const auto &r : roles) {
    if (r.symbol->empty())
      continue;
    ATTN_RT_RETURN_IF_ERROR(
        configureFunction(info, *launch, *r.symbol, r.role, r.gridY, r.gridZ));
  }
  return Status::ok();
}

StatusOr<LaunchInfo>
GPUModule::readLaunchInfo(const KernelInfo &info, const json::Value &launch,
                          const std::string &symbol) const {
  const DeviceLimits &limits = limits_;
  std::string prefix =
      where(info) + ": launch metadata of function '" + symbol + "'";
  const json::Value *entry = launch.get(symbol);
  if (!entry)
    return invalidArgument(where(info), ": no launch metadata for function '",
                           symbol, "' (\"launch\" needs \"", symbol,
                           "\": {\"block\": [x, y, z], \"shared_bytes\": "
                           "n})");
  if (!entry->isObject())
    return invalidArgument(prefix,
                           " must be an object {\"block\": [x, y, "
                           "z], \"shared_bytes\": n}, got ",
                           json::serialize(*entry));
  LaunchInfo result;
  const json::Value *block = entry->get("block");
  if (!block)
    return invalidArgument(prefix, ": missing key \"block\" ([x, y, z])");
  if (!block->isArray() || block->size() < 1 || block->size() > 3)
    return invalidArgument(prefix,
                           ": \"block\" must be an array of 1 to 3 positive "
                           "integers, got ",
                           json::serialize(*block));
  int64_t threads = 1;
  for (size_t i = 0; i < block->size(); ++i) {
    const json::Value &dim = block->elements()[i];
    if (!dim.isInteger() || dim.asInteger() < 1 ||
        dim.asInteger() > limits.maxBlock[i])
      return invalidArgument(prefix, ": \"block\" dim ", i,
                             " must be an integer in [1, ", limits.maxBlock[i],
                             "], got ", json::serialize(*block));
    result.block[i] = static_cast<unsigned>(dim.asInteger());
    threads *= dim.asInteger();
  }
  if (threads > limits.maxThreadsPerBlock)
    return invalidArgument(prefix, ": \"block\" ", json::serialize(*block),
                           " has ", threads,
                           " threads; the device allows at most ",
                           limits.maxThreadsPerBlock, " per block");
  if (const json::Value *shared = entry->get("shared_bytes")) {
    if (!shared->isInteger() || shared->asInteger() < 0)
      return invalidArgument(prefix,
                             ": \"shared_bytes\" must be a "
                             "non-negative integer, got ",
                             json::serialize(*shared));
    if (shared->asInteger() > limits.maxSharedOptin)
      return invalidArgument(
          prefix, ": \"shared_bytes\" = ", shared->asInteger(),
          " exceeds the device's limit of ", limits.maxSharedOptin,
          " bytes of shared memory per block");
    result.sharedBytes = static_cast<unsigned>(shared->asInteger());
  }
  return result;
}

Status GPUModule::configureFunction(const KernelInfo &info,
                                    const json::Value &launch,
                                    const std::string &symbol, Role role,
                                    int64_t gridY, int64_t gridZ) {
  const DeviceLimits &limits = limits_;
  auto it = gpuFunctions_.find(symbol);
  if (it == gpuFunctions_.end())
    return internalError(where(info), ": function '", symbol,
                         "' was not resolved");
  GpuFunction &fn = *it->second;
  ATTN_RT_ASSIGN_OR_RETURN(LaunchInfo launchInfo,
                           readLaunchInfo(info, launch, symbol));
  if (gridY < 1 || gridY > limits.maxGrid[1] || gridZ < 1 ||
      gridZ > limits.maxGrid[2])
    return invalidArgument(where(info), ": function '", symbol, "' (",
                           roleName(role), ") needs a grid of [n, ", gridY,
                           ", ", gridZ,
                           "]; the device allows y <= ", limits.maxGrid[1],
                           " and z <= ", limits.maxGrid[2]);
  int numArgs =
      role == Role::Write ? ATTN_CACHE_WRITE_NUM_ARGS : ATTN_ATTENTION_NUM_ARGS;
  if (fn.configured) {
    // Two manifest entries (or roles) share this function: they must
    // launch it the same way.
    bool same = fn.numArgs == numArgs && fn.gridY == gridY &&
                fn.gridZ == gridZ && fn.sharedBytes == launchInfo.sharedBytes;
    for (int i = 0; i < 3; ++i)
      same = same && fn.block[i] == launchInfo.block[i];
    if (!same)
      return invalidArgument(
          where(info), ": function '", symbol, "' is also the ",
          roleName(fn.role), " function of kernel '", fn.kernel,
          "', with a different grid or launch metadata; use one function "
          "per launch shape");
    return Status::ok();
  }
  ATTN_RT_ASSIGN_OR_RETURN(int maxThreads, maxThreadsPerBlock(fn.function));
  int64_t threads = static_cast<int64_t>(launchInfo.block[0]) *
                    launchInfo.block[1] * launchInfo.block[2];
  if (maxThreads > 0 && threads > maxThreads)
    return invalidArgument(where(info), ": launch metadata of function '",
                           symbol, "': \"block\" [", launchInfo.block[0], ", ",
                           launchInfo.block[1], ", ", launchInfo.block[2],
                           "] has ", threads,
                           " threads; the function's code allows at most ",
                           maxThreads, " per block");
  if (launchInfo.sharedBytes > sharedBytesThreshold_)
    ATTN_RT_RETURN_IF_ERROR(setMaxDynamicSharedBytes(
        fn.function, launchInfo.sharedBytes,
        where(info) + ": function '" + symbol +
            "' with shared_bytes = " + std::to_string(launchInfo.sharedBytes)));
  fn.configured = true;
  fn.kernel = info.name;
  fn.role = role;
  fn.numArgs = numArgs;
  for (int i = 0; i < 3; ++i)
    fn.block[i] = launchInfo.block[i];
  fn.sharedBytes = launchInfo.sharedBytes;
  fn.gridY = static_cast<unsigned>(gridY);
  fn.gridZ = static_cast<unsigned>(gridZ);
  return Status::ok();
}

//===----------------------------------------------------------------------===//
// Bundle files
//===----------------------------------------------------------------------===//

namespace {

bool isDirectory(const std::string &path) {
  struct stat info;
  return ::stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
}

bool fileExists(const std::string &path) {
  struct stat info;
  return ::stat(path.c_str(), &info) == 0 && !S_ISDIR(info.st_mode);
}

Status readFile(const std::string &path, const std::string &what,
                std::string &out) {
  if (isDirectory(path))
    return invalidArgument("cannot load ", what, " '", path,
                           "': it is a directory");
  std::ifstream file(path, std::ios::binary);
  if (!file)
    return notFound("cannot load ", what, " '", path,
                    "': file not found or not readable");
  out.assign(std::istreambuf_iterator<char>(file),
             std::istreambuf_iterator<char>());
  if (file.bad())
    return invalidArgument("cannot load ", what, " '", path, "': read error");
  return Status::ok();
}

/// Splits "dir/name.ext" into "dir/name" and "ext" (ext empty when none).
void splitExtension(const std::string &path, std::string &stem,
                    std::string &extension) {
  size_t slash = path.find_last_of('/');
  size_t dot = path.find_last_of('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash) ||
      dot + 1 == path.size()) {
    stem = path;
    extension.clear();
    return;
  }
  stem = path.substr(0, dot);
  extension = path.substr(dot + 1);
}

/// "a", "a or b", "a, b or c".
std::string alternatives(const std::vector<std::string> &items) {
  std::string text;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0)
      text += i + 1 == items.size() ? " or " : ", ";
    text += items[i];
  }
  return text;
}

} // namespace

StatusOr<BundleFiles> readBundle(const std::string &path, const char *backend,
                                 const std::vector<std::string> &extensions) {
  if (path.empty())
    return invalidArgument("module path is empty");
  const std::string what = std::string(backend) + " module";

  // Find the image and the manifest.
  BundleFiles files;
  std::string stem, extension;
  splitExtension(path, stem, extension);
  // "<stem>.cubin, <stem>.fatbin or <stem>.ptx" and ".cubin, .fatbin or
  // .ptx" (the first with its stem) for the messages.
  std::vector<std::string> stemImages, placeholderImages, dotImages;
  for (size_t i = 0; i < extensions.size(); ++i) {
    stemImages.push_back(stem + "." + extensions[i]);
    placeholderImages.push_back("<stem>." + extensions[i]);
    dotImages.push_back((i == 0 ? "<stem>." : ".") + extensions[i]);
  }
  bool isImage = false;
  for (const std::string &candidate : extensions)
    isImage = isImage || extension == candidate;
  if (extension == "json") {
    files.manifestPath = path;
    for (const std::string &image : stemImages) {
      if (fileExists(image)) {
        files.imagePath = image;
        break;
      }
    }
    if (files.imagePath.empty()) {
      if (!fileExists(files.manifestPath))
        return notFound("cannot load ", what, " '", path, "': file not found");
      return notFound("cannot load ", what, " '", path, "': no image ",
                      alternatives(stemImages), " next to the manifest");
    }
  } else if (isImage) {
    files.imagePath = path;
    files.manifestPath = stem + ".json";
  } else {
    return invalidArgument("cannot load ", what, " '", path,
                           "': a GPU bundle is loaded from its image (",
                           alternatives(placeholderImages),
                           ", with the manifest <stem>.json beside it) or "
                           "from its manifest (<stem>.json)");
  }

  ATTN_RT_RETURN_IF_ERROR(readFile(files.imagePath, what, files.image));
  if (files.image.empty())
    return invalidArgument("cannot load ", what, " '", files.imagePath,
                           "': the file is empty");
  if (!fileExists(files.manifestPath))
    return notFound("cannot load ", what, " '", files.imagePath,
                    "': its manifest '", files.manifestPath,
                    "' does not exist (a GPU bundle is ",
                    alternatives(dotImages), " plus the manifest <stem>.json)");
  ATTN_RT_RETURN_IF_ERROR(
      readFile(files.manifestPath, "manifest", files.manifest));
  return files;
}

//===----------------------------------------------------------------------===//
// Launches
//===----------------------------------------------------------------------===//

Status resolveFunction(const Device &device, const Function &fn,
                       const char *what, const GpuFunction *&function) {
  if (!fn.isValid())
    return invalidArgument(what, " of a null function");
  const auto *f = static_cast<const GpuFunction *>(fn.handle);
  if (f->magic != kGpuFunctionMagic || f->device != &device)
    return invalidArgument(what, " of '", fn.name ? fn.name : "?", "' on ",
                           device.name(),
                           ": the function was not loaded on it");
  if (!f->configured)
    return internalError(what, " of '", f->symbol,
                         "': the function has no launch metadata");
  function = f;
  return Status::ok();
}

Status checkLaunch(const Device &device, const DeviceLimits &limits,
                   const Function &fn, int64_t grid, int numArgs,
                   const GpuFunction *&function, int64_t &gridX) {
  const GpuFunction *f = nullptr;
  ATTN_RT_RETURN_IF_ERROR(resolveFunction(device, fn, "launch", f));
  if (f->numArgs != numArgs)
    return invalidArgument("launch of '", f->symbol, "' with ", numArgs,
                           " arguments; it is a ", roleName(f->role),
                           " function taking ", f->numArgs);
  if (grid < 0)
    return invalidArgument("launch of '", f->symbol, "' with a negative grid (",
                           grid, ")");
  function = f;
  gridX = 0;
  if (grid == 0)
    return Status::ok();
  int64_t inner = static_cast<int64_t>(f->gridY) * f->gridZ;
  if (grid % inner != 0)
    return internalError("launch of '", f->symbol, "': ", grid,
                         " programs are not a whole number of [", f->gridY,
                         ", ", f->gridZ, "] blocks");
  int64_t x = grid / inner;
  if (x > limits.maxGrid[0])
    return invalidArgument("launch of '", f->symbol, "': grid x = ", x,
                           " exceeds the device's limit of ",
                           limits.maxGrid[0]);
  gridX = x;
  return Status::ok();
}

} // namespace gpu
} // namespace rt
} // namespace attn
