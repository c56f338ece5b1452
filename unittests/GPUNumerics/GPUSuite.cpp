//===- GPUSuite.cpp - The GPU variant suite: loading and running ----------===//
//
// Part of the attn project, the GPU numerics unit tests.
//
//===----------------------------------------------------------------------===//

#include "GPUSuite.h"

#include "Reference/DeviceRun.h"
#include "Reference/Inputs.h"
#include "Reference/Reference.h"

#include "attn/Runtime/AttentionKernel.h"
#include "attn/Runtime/CacheWriteKernel.h"
#include "attn/Runtime/Module.h"
#include "attn/Spec/Spec.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#ifndef ATTN_GPU_NUMERICS_HOST_SUITE
#define ATTN_GPU_NUMERICS_HOST_SUITE ""
#endif

namespace fs = std::filesystem;
using namespace attn::ref;

namespace attn {
namespace gpunum {

const SuiteTarget &cudaTarget() {
  static const SuiteTarget t{rt::DeviceKind::CUDA,
                             "CUDA",
                             "ATTN_GPU_BUNDLES",
                             {"cubin", "ptx"},
                             true,
                             "scripts/gpu-bundles.sh DIR",
                             ""};
  return t;
}

const SuiteTarget &hipTarget() {
  static const SuiteTarget t{rt::DeviceKind::HIP,
                             "HIP",
                             "ATTN_HIP_BUNDLES",
                             {"hsaco"},
                             true,
                             "scripts/gpu-bundles.sh --target=hip DIR",
                             ""};
  return t;
}

const SuiteTarget &cpuTarget() {
  static const SuiteTarget t{rt::DeviceKind::CPU,
                             "CPU",
                             "ATTN_CPU_BUNDLES",
                             {"so"},
                             false,
                             "scripts/gpu-bundles.sh --target=host DIR",
                             ATTN_GPU_NUMERICS_HOST_SUITE};
  return t;
}

//===----------------------------------------------------------------------===//
// Loading
//===----------------------------------------------------------------------===//

static std::string trim(const std::string &s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos)
    return "";
  size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

static bool isTestName(const std::string &s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_';
  });
}

/// The line's entry, or an empty message and a filled `error`.
static SuiteEntry parseLine(const SuiteTarget &target, const std::string &dir,
                            const std::string &where, const std::string &line,
                            std::string &error) {
  SuiteEntry e;
  e.target = &target;
  std::vector<std::string> fields;
  std::stringstream ss(line);
  std::string field;
  while (std::getline(ss, field, '|'))
    fields.push_back(trim(field));
  if (!line.empty() && line.back() == '|')
    fields.push_back("");
  if (fields.size() != 3) {
    error = where + ": expected name|batch|tolerance, got '" + line + "' (" +
            std::to_string(fields.size()) + " field" +
            (fields.size() == 1 ? "" : "s") + ")";
    return e;
  }
  e.name = fields[0];
  e.batch = fields[1];
  if (!isTestName(e.name)) {
    error = where + ": variant name '" + e.name +
            "' must be letters, digits and '_' (it names the test and the "
            "bundle)";
    return e;
  }
  std::string batchError;
  if (!parseBatch(e.batch, batchError)) {
    error = where + ": variant '" + e.name + "': bad batch '" + e.batch +
            "': " + batchError;
    return e;
  }
  const std::string &tol = fields[2];
  char *end = nullptr;
  errno = 0;
  e.tolerance = std::strtod(tol.c_str(), &end);
  if (tol.empty() || *end != '\0' || errno != 0 ||
      !(e.tolerance >= 0 && std::isfinite(e.tolerance))) {
    error = where + ": variant '" + e.name + "': bad tolerance '" + tol +
            "': expected a number >= 0";
    return e;
  }
  std::error_code ec;
  for (const std::string &ext : target.imageExtensions) {
    std::string path = dir + "/" + e.name + "." + ext;
    if (fs::is_regular_file(path, ec)) {
      e.image = path;
      break;
    }
  }
  if (e.image.empty()) {
    std::string tried;
    for (const std::string &ext : target.imageExtensions)
      tried += (tried.empty() ? "" : " or ") + e.name + "." + ext;
    error = where + ": variant '" + e.name + "' has no bundle in " + dir +
            " (no " + tried + ")";
    return e;
  }
  if (target.separateManifest) {
    std::string manifest = dir + "/" + e.name + ".json";
    if (!fs::is_regular_file(manifest, ec)) {
      error = where + ": variant '" + e.name + "': its manifest " + manifest +
              " does not exist (the image " + e.image + " does)";
      return e;
    }
  }
  return e;
}

std::vector<SuiteEntry> loadSuite(const SuiteTarget &target,
                                  const std::string &dir) {
  std::string suitePath = dir + "/suite.txt";
  auto errorEntry = [&](std::string name, std::string message) {
    SuiteEntry e;
    e.state = SuiteEntry::State::Error;
    e.name = std::move(name);
    e.message = std::move(message);
    e.target = &target;
    return e;
  };
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    return {errorEntry("suite", "the " + std::string(target.label) +
                                    " bundle directory '" + dir + "' (" +
                                    target.envVar +
                                    ") does not exist or is not a directory")};
  std::ifstream in(suitePath);
  if (!in)
    return {errorEntry("suite", "cannot read " + suitePath +
                                    " (make the suite with " +
                                    target.makeCommand + ")")};
  std::vector<SuiteEntry> entries;
  std::set<std::string> names;
  std::string raw;
  for (int lineNo = 1; std::getline(in, raw); ++lineNo) {
    std::string line = trim(raw);
    if (line.empty() || line[0] == '#')
      continue;
    std::string where = suitePath + " line " + std::to_string(lineNo);
    std::string error;
    SuiteEntry e = parseLine(target, dir, where, line, error);
    if (error.empty() && !names.insert(e.name).second)
      error = where + ": variant '" + e.name + "' is listed twice";
    if (!error.empty()) {
      // Named after the line: the name may be what is broken.
      std::string name = "line_" + std::to_string(lineNo);
      names.insert(name);
      entries.push_back(errorEntry(name, error));
      continue;
    }
    entries.push_back(e);
  }
  if (entries.empty())
    return {errorEntry("suite", suitePath + " lists no variant")};
  return entries;
}

std::vector<SuiteEntry> suiteFromEnvironment(const SuiteTarget &target) {
  const char *env = std::getenv(target.envVar);
  std::string dir = env ? env : "";
  if (dir.empty())
    dir = target.defaultDir;
  if (dir.empty()) {
    SuiteEntry e;
    e.state = SuiteEntry::State::Skip;
    e.name = "bundles_unset";
    e.message = std::string(target.envVar) + " is not set: it names the " +
                target.label + " suite directory that " + target.makeCommand +
                " makes";
    e.target = &target;
    return {e};
  }
  return loadSuite(target, dir);
}

//===----------------------------------------------------------------------===//
// Running
//===----------------------------------------------------------------------===//

/// `st` with "variant 'name': <step>: " before its message.
static rt::Status inVariant(const SuiteEntry &e, const std::string &step,
                            const rt::Status &st) {
  return rt::Status(st.code(),
                    "variant '" + e.name + "': " + step + ": " + st.message());
}

static std::string toleranceText(double tol) {
  std::ostringstream os;
  os << tol;
  return os.str();
}

static rt::Status runAttentionVariant(rt::Device &device, rt::Module &module,
                                      const SuiteEntry &e,
                                      const VariantSpec &spec,
                                      const Batch &batch,
                                      std::vector<RunResult> &results) {
  std::string error = checkBatch(spec, batch);
  if (!error.empty())
    return rt::invalidArgument("variant '", e.name, "': batch '", e.batch,
                               "' does not fit it: ", error);
  GenOptions gen;
  gen.seed = 1;
  std::optional<AttentionData> data =
      makeAttentionInputs(spec, batch, gen, error);
  if (!data)
    return rt::invalidArgument("variant '", e.name, "': inputs for batch '",
                               e.batch, "': ", error);
  auto kernel = rt::AttentionKernel::create(
      device, module, spec.name, std::max<int64_t>(batch.numTokens(), 1));
  if (!kernel.isOk())
    return inVariant(e, "creating the kernel", kernel.status());
  AttentionResult ref = referenceAttention(spec, *data);
  for (rt::Path path : launchPaths(**kernel)) {
    RunResult r;
    r.what = rt::pathName(path);
    if (path == rt::Path::Split && !(*kernel)->info().hasSplit()) {
      r.detail = "the kernel has no split-KV form (segments = 0)";
      results.push_back(r);
      continue;
    }
    AttentionData run = *data;
    DeviceMirror mirror(device);
    rt::Status st =
        runAttentionOnDevice(**kernel, mirror, run, path, batch.maxSeqLen());
    if (!st.isOk())
      return inVariant(e, "path " + r.what, st);
    AttentionCheck check = checkAttention(spec, run, ref);
    rt::Path taken = (*kernel)->lastPath();
    r.pass = check.passes(e.tolerance) && taken == path;
    r.relErr = check.out.relErr;
    r.detail = check.str() + " (tolerance " + toleranceText(e.tolerance) +
               " on out's rel_err; lse: no NaN)";
    if (taken != path)
      r.detail += "; ran path " + std::string(rt::pathName(taken));
    results.push_back(r);
  }
  return rt::Status::ok();
}

static rt::Status runCacheWriteVariant(rt::Device &device, rt::Module &module,
                                       const SuiteEntry &e,
                                       const VariantSpec &spec,
                                       const Batch &batch,
                                       std::vector<RunResult> &results) {
  int64_t tokens = batch.numTokens();
  CacheWriteData expected = makeCacheWriteInputs(
      spec, tokens, cacheWriteBlocks(spec, tokens), 0, /*seed=*/1);
  CacheWriteData got = expected;
  auto kernel = rt::CacheWriteKernel::create(device, module, spec.name);
  if (!kernel.isOk())
    return inVariant(e, "creating the kernel", kernel.status());
  DeviceMirror mirror(device);
  rt::Status st = runCacheWriteOnDevice(**kernel, mirror, got);
  if (!st.isOk())
    return inVariant(e, "cache write", st);
  referenceCacheWrite(spec, expected);
  CacheWriteCheck check = checkCacheWrite(spec, got, expected);
  RunResult r;
  r.what = "write";
  r.pass = check.ok();
  r.detail = check.str();
  results.push_back(r);
  return rt::Status::ok();
}

rt::Status runVariant(rt::Device &device, const SuiteEntry &e,
                      std::vector<RunResult> &results) {
  if (e.state != SuiteEntry::State::Ready)
    return rt::failedPrecondition("variant '", e.name,
                                  "' cannot run: ", e.message);
  auto module = device.loadModule(e.image);
  if (!module.isOk())
    return inVariant(e, "loading " + e.image, module.status());
  const auto &kernels = (*module)->kernels();
  if (kernels.empty())
    return rt::invalidArgument("variant '", e.name, "': bundle '", e.image,
                               "' has no kernel");
  std::string error;
  std::optional<std::string> text = specFromManifest(kernels[0], error);
  if (!text)
    return rt::invalidArgument("variant '", e.name, "': ", error);
  std::optional<VariantSpec> spec = parseSpec(*text, error);
  if (!spec)
    return rt::invalidArgument("variant '", e.name, "': the manifest of '",
                               e.image, "' gives a spec the parser rejects (",
                               *text, "): ", error);
  std::optional<Batch> batch = parseBatch(e.batch, error);
  if (!batch)
    return rt::invalidArgument("variant '", e.name, "': bad batch '", e.batch,
                               "': ", error);
  if (spec->kind == "cache_write")
    return runCacheWriteVariant(device, **module, e, *spec, *batch, results);
  return runAttentionVariant(device, **module, e, *spec, *batch, results);
}

} // namespace gpunum
} // namespace attn
