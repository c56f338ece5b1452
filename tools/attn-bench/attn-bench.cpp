//===- attn-bench.cpp - Run, verify and time one attention variant --------===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
//   attn-bench --spec=STRING --batch=Q:S,Q:S,... [--target=cpu] [--verify]
//              [--dump DIR] [--path=auto|2d|split|2d_wide|all] [--iters=N]
//              [--seed=N] [--bundle=PATH.so] [--segments=N]
//              [--block-m=N] [--block-n=N] [--wide-block-m=N]
//              [--tolerance=X]
//              [--save-bundle=PATH.so]
//
// Compiles the spec through the host pipeline (or loads --bundle), makes
// random inputs for the batch (test/lib/Reference/Inputs.h), runs the kernel
// on the CPU device, optionally compares it with the double-precision
// reference, and prints one JSON object per run (per path with
// --path=all). --dump writes every input and the output as .npy files plus
// meta.json. A cache_write spec runs the cache write of batch.num_tokens
// tokens instead.
//
// Exit status: 0 on success; 1 on bad arguments, a bad spec or batch, a
// compile or runtime error; 2 when --verify --tolerance=X finds a larger
// rel_err (or NaN).
//
//===----------------------------------------------------------------------===//

#include "Reference/DeviceRun.h"
#include "Reference/Inputs.h"
#include "Reference/Npy.h"
#include "Reference/Reference.h"

#include "attn/Runtime/Runtime.h"
#include "attn/Spec/Spec.h"
#if ATTN_BENCH_WITH_COMPILER
#include "attn/Target/HostBundle.h"
#endif

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

namespace fs = std::filesystem;
using namespace attn;
using namespace attn::ref;
using attn::rt::Path;

namespace {

const char *const kUsage =
    "usage: attn-bench --spec=STRING --batch=Q:S,Q:S,... [options]\n"
    "\n"
    "  --spec=STRING      variant spec (docs/Spec.md); optional with --bundle\n"
    "                     (then read from the bundle's manifest)\n"
    "  --batch=Q:S,...    query_len:seq_len per sequence (paged: seq_len =\n"
    "                     context + new tokens; varlen: key length)\n"
    "                     default 1:1024,16:512,128:128\n"
    "  --target=cpu       the device (only cpu in this build)\n"
    "  --verify           compare with the double-precision reference\n"
    "  --tolerance=X      with --verify: exit 2 when rel_err > X\n"
    "  --dump DIR         write inputs, output (and reference) as .npy plus\n"
    "                     meta.json into DIR\n"
    "  --path=P           auto | 2d | split | 2d_wide | all (default auto)\n"
    "  --iters=N          timed runs; time_ms is their median (default 10)\n"
    "  --seed=N           input seed (default 1)\n"
    "  --bundle=PATH.so   load this host bundle instead of compiling\n"
    "  --save-bundle=PATH.so  keep the compiled bundle there (for --bundle)\n"
    "  --segments=N       split-KV segments to compile (default: the\n"
    "                     target's choice; 0 = no split form)\n"
    "  --block-m=N --block-n=N  tile overrides for the compile\n"
    "  --wide-block-m=N   rows of the wide 2D form to compile (0 = none,\n"
    "                     the host's default)\n";

struct Args {
  std::string spec;
  bool haveSpec = false;
  std::string batch = "1:1024,16:512,128:128";
  std::string target = "cpu";
  bool verify = false;
  std::optional<double> tolerance;
  std::string dump;
  std::string path = "auto";
  int64_t iters = 10;
  uint64_t seed = 1;
  std::string bundle, saveBundle;
  int64_t segments = -1, blockM = 0, blockN = 0, wideBlockM = -1;
};

[[noreturn]] void fail(const std::string &message) {
  std::cerr << "attn-bench: error: " << message << "\n";
  std::exit(1);
}

int64_t parseInt(const std::string &flag, const std::string &value,
                 int64_t lo) {
  char *end = nullptr;
  errno = 0;
  long long v = std::strtoll(value.c_str(), &end, 10);
  if (value.empty() || *end != '\0' || errno != 0 || v < lo)
    fail("bad value '" + value + "' for " + flag +
         ": expected an integer >= " + std::to_string(lo));
  return v;
}

Args parseArgs(int argc, char **argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      std::cout << kUsage;
      std::exit(0);
    }
    std::string flag = arg, value;
    bool hasValue = false;
    size_t eq = arg.find('=');
    if (arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      flag = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      hasValue = true;
    }
    auto need = [&]() -> std::string {
      if (hasValue)
        return value;
      if (i + 1 >= argc)
        fail("option " + flag + " needs a value");
      return argv[++i];
    };
    if (flag == "--spec") {
      a.spec = need();
      a.haveSpec = true;
    } else if (flag == "--batch") {
      a.batch = need();
    } else if (flag == "--target") {
      a.target = need();
    } else if (flag == "--verify" && !hasValue) {
      a.verify = true;
    } else if (flag == "--tolerance") {
      std::string v = need();
      char *end = nullptr;
      double t = std::strtod(v.c_str(), &end);
      if (v.empty() || *end != '\0' || !(t >= 0))
        fail("bad value '" + v + "' for --tolerance: expected a number >= 0");
      a.tolerance = t;
    } else if (flag == "--dump") {
      a.dump = need();
    } else if (flag == "--path") {
      a.path = need();
      if (a.path != "auto" && a.path != "2d" && a.path != "split" &&
          a.path != "2d_wide" && a.path != "all")
        fail("bad value '" + a.path +
             "' for --path: expected auto, 2d, split, 2d_wide or all");
    } else if (flag == "--iters") {
      a.iters = parseInt(flag, need(), 1);
    } else if (flag == "--seed") {
      a.seed = static_cast<uint64_t>(parseInt(flag, need(), 0));
    } else if (flag == "--bundle") {
      a.bundle = need();
    } else if (flag == "--save-bundle") {
      a.saveBundle = need();
    } else if (flag == "--segments") {
      a.segments = parseInt(flag, need(), 0);
    } else if (flag == "--block-m") {
      a.blockM = parseInt(flag, need(), 1);
    } else if (flag == "--block-n") {
      a.blockN = parseInt(flag, need(), 1);
    } else if (flag == "--wide-block-m") {
      a.wideBlockM = parseInt(flag, need(), 0);
    } else {
      fail("unknown option '" + arg + "' (see --help)");
    }
  }
  return a;
}

/// A JSON number, or null when not finite.
std::string num(double x) {
  if (!std::isfinite(x))
    return "null";
  std::ostringstream os;
  os.precision(6);
  os << x;
  return os.str();
}

double median(std::vector<double> v) {
  if (v.empty())
    return 0;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/// Removes the temporary bundle directory on exit.
struct TempDir {
  std::string path;
  ~TempDir() {
    if (!path.empty()) {
      std::error_code ec;
      fs::remove_all(path, ec);
    }
  }
};

std::string shapesJson(const Batch &batch) {
  std::ostringstream os;
  os << "{\"num_seqs\": " << batch.numSeqs()
     << ", \"num_tokens\": " << batch.numTokens()
     << ", \"max_seq_len\": " << batch.maxSeqLen()
     << ", \"batch\": " << jsonQuote(batch.str()) << "}";
  return os.str();
}

int runAttention(const Args &args, const std::string &specText,
                 const VariantSpec &spec, const Batch &batch,
                 rt::Device &device, rt::Module &module) {
  GenOptions gen;
  gen.seed = args.seed;
  std::string error;
  std::optional<AttentionData> data =
      makeAttentionInputs(spec, batch, gen, error);
  if (!data)
    fail("bad batch '" + args.batch + "' for this spec: " + error);
  auto kernel = rt::AttentionKernel::create(
      device, module, spec.name, std::max<int64_t>(batch.numTokens(), 1));
  if (!kernel.isOk())
    fail(kernel.status().toString());

  std::optional<AttentionResult> ref;
  if (args.verify)
    ref = referenceAttention(spec, *data);

  std::vector<Path> paths;
  if (args.path == "all") {
    paths = launchPaths(**kernel);
  } else {
    paths = {args.path == "2d"        ? Path::TwoD
             : args.path == "split"   ? Path::Split
             : args.path == "2d_wide" ? Path::TwoDWide
                                      : Path::Auto};
  }
  bool failed = false;
  for (Path path : paths) {
    if (path == Path::Split && !(*kernel)->info().hasSplit())
      fail("path split was requested but the kernel has no split-KV form "
           "(compile with --segments=N, N > 0)");
    if (path == Path::TwoDWide && !(*kernel)->info().hasWide())
      fail("path 2d_wide was requested but the kernel has no wide form "
           "(its plan has no wide_block_m)");
    AttentionData run = *data;
    DeviceMirror mirror(device);
    // Warm-up, and the verified output.
    rt::Status st =
        runAttentionOnDevice(**kernel, mirror, run, path, batch.maxSeqLen());
    if (!st.isOk())
      fail(st.toString());
    Path taken = (*kernel)->lastPath();
    AttentionData timed = *data;
    auto timedArgs = mirror.up(attentionArgs(timed, path));
    if (!timedArgs.isOk())
      fail(timedArgs.status().toString());
    rt::AttentionArgs ta = *timedArgs;
    ta.maxSeqLen = int(batch.maxSeqLen());
    std::vector<double> times;
    for (int64_t i = 0; i < args.iters; ++i) {
      auto t0 = std::chrono::steady_clock::now();
      st = (*kernel)->run(ta);
      if (st.isOk())
        st = device.synchronize();
      auto t1 = std::chrono::steady_clock::now();
      if (!st.isOk())
        fail(st.toString());
      times.push_back(
          std::chrono::duration<double, std::milli>(t1 - t0).count());
    }
    std::ostringstream os;
    os << "{\"spec\": " << jsonQuote(specText)
       << ", \"target\": " << jsonQuote(args.target)
       << ", \"device\": " << jsonQuote(device.name())
       << ", \"kernel\": " << jsonQuote(spec.name)
       << ", \"path\": " << jsonQuote(rt::pathName(taken))
       << ", \"shapes\": " << shapesJson(batch);
    if (ref) {
      AttentionCheck check = checkAttention(spec, run, *ref);
      const Comparison &c = check.out;
      os << ", \"max_abs_err\": " << num(c.maxAbsErr)
         << ", \"rel_err\": " << num(c.relErr) << ", \"bad\": " << c.numBad;
      if (check.hasLse) {
        os << ", \"lse_max_abs_err\": " << num(check.lse.maxAbsErr)
           << ", \"lse_bad\": " << check.lse.numBad;
        failed |= check.lseBad();
      }
      if (args.tolerance && !c.within(*args.tolerance))
        failed = true;
    } else {
      os << ", \"max_abs_err\": null, \"rel_err\": null";
    }
    os << ", \"time_ms\": " << num(median(times))
       << ", \"iters\": " << args.iters << "}";
    std::cout << os.str() << std::endl;

    if (!args.dump.empty()) {
      std::string dir = args.dump;
      if (paths.size() > 1)
        dir += std::string("/") + rt::pathName(path);
      std::ostringstream extra;
      extra << "\"target\": " << jsonQuote(args.target)
            << ", \"path\": " << jsonQuote(rt::pathName(taken))
            << ", \"seed\": " << args.seed;
      if (!dumpAttention(dir, specText, spec, batch, run,
                         ref ? &ref->out : nullptr, ref ? &ref->lse : nullptr,
                         extra.str(), error))
        fail(error);
    }
  }
  return failed ? 2 : 0;
}

int runCacheWrite(const Args &args, const std::string &specText,
                  const VariantSpec &spec, const Batch &batch,
                  rt::Device &device, rt::Module &module) {
  int64_t tokens = batch.numTokens();
  int64_t numBlocks = cacheWriteBlocks(spec, tokens);
  CacheWriteData expected =
      makeCacheWriteInputs(spec, tokens, numBlocks, 0, args.seed);
  CacheWriteData got = expected;
  auto kernel = rt::CacheWriteKernel::create(device, module, spec.name);
  if (!kernel.isOk())
    fail(kernel.status().toString());
  DeviceMirror mirror(device);
  rt::CacheWriteArgs a;
  rt::Status st = runCacheWriteOnDevice(**kernel, mirror, got, &a);
  if (!st.isOk())
    fail(st.toString());
  std::vector<double> times;
  for (int64_t i = 0; i < args.iters; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    st = (*kernel)->run(a);
    auto t1 = std::chrono::steady_clock::now();
    if (!st.isOk())
      fail(st.toString());
    times.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  bool failed = false;
  std::ostringstream os;
  os << "{\"spec\": " << jsonQuote(specText)
     << ", \"target\": " << jsonQuote(args.target)
     << ", \"device\": " << jsonQuote(device.name())
     << ", \"kernel\": " << jsonQuote(spec.name)
     << ", \"path\": \"write\", \"shapes\": {\"num_tokens\": " << tokens
     << ", \"num_blocks\": " << numBlocks << "}";
  if (args.verify) {
    referenceCacheWrite(spec, expected);
    CacheWriteCheck check = checkCacheWrite(spec, got, expected);
    const CacheComparison &k = check.k, &v = check.v;
    os << ", \"max_abs_err\": " << num(std::max(k.maxAbsErr, v.maxAbsErr))
       << ", \"bad_rows\": " << k.badRows + v.badRows
       << ", \"inexact_elements\": " << k.inexactElements + v.inexactElements;
    failed = !check.ok();
  } else {
    os << ", \"max_abs_err\": null";
  }
  os << ", \"time_ms\": " << num(median(times)) << ", \"iters\": " << args.iters
     << "}";
  std::cout << os.str() << std::endl;
  if (!args.dump.empty()) {
    std::error_code ec;
    fs::create_directories(args.dump, ec);
    std::string error;
    for (auto [name, t] :
         std::vector<std::pair<const char *, const HostTensor *>>{
             {"key", &got.key},
             {"value", &got.value},
             {"k_cache", &got.kCache},
             {"v_cache", &got.vCache},
             {"slot_mapping", &got.slotMapping},
             {"k_scale", &got.kScale},
             {"v_scale", &got.vScale}}) {
      if (t->given() &&
          !writeNpy(args.dump + "/" + name + ".npy", *t, error,
                    kvRowPad(spec) > 0 &&
                        std::string(name).find("cache") != std::string::npos))
        fail(error);
    }
    FILE *f = std::fopen((args.dump + "/meta.json").c_str(), "wb");
    if (!f)
      fail("cannot write " + args.dump + "/meta.json");
    std::string meta = "{\"spec\": " + jsonQuote(specText) +
                       ", \"canonical_spec\": " + jsonQuote(formatSpec(spec)) +
                       ", \"kv_dtype\": " + jsonQuote(spec.kvDtype) +
                       ", \"num_tokens\": " + std::to_string(tokens) + "}\n";
    std::fwrite(meta.data(), 1, meta.size(), f);
    std::fclose(f);
  }
  return failed && args.tolerance ? 2 : 0;
}

} // namespace

int main(int argc, char **argv) {
  Args args = parseArgs(argc, argv);
  rt::DeviceKind kind = rt::DeviceKind::CPU;
  if (args.target == "cuda")
    kind = rt::DeviceKind::CUDA;
  else if (args.target == "hip")
    kind = rt::DeviceKind::HIP;
  else if (args.target != "cpu")
    fail("unknown target '" + args.target + "' (expected cpu, cuda or hip)");
  if (kind != rt::DeviceKind::CPU && args.bundle.empty())
    fail("--target=" + args.target +
         " needs --bundle=PATH (.ptx/.cubin with its .json manifest, from "
         "attn-opt --attn-nvidia-pipeline and attn-translate "
         "--attn-to-cuda-ptx / --attn-to-kernel-manifest)");
  if (!args.haveSpec && args.bundle.empty())
    fail("--spec=STRING is required (or --bundle=PATH.so)");
  if (!args.bundle.empty() && !args.saveBundle.empty())
    fail("--save-bundle applies to a compiled spec, not to --bundle");

  std::string error;
  std::optional<VariantSpec> spec;
  if (args.haveSpec) {
    spec = parseSpec(args.spec, error);
    if (!spec)
      fail("bad spec: " + error);
  }
  std::optional<Batch> batch = parseBatch(args.batch, error);
  if (!batch)
    fail("bad batch: " + error);
  if (spec) {
    error = checkBatch(*spec, *batch);
    if (!error.empty())
      fail("bad batch '" + args.batch + "' for this spec: " + error);
  }

  auto device = rt::Device::open(kind);
  if (!device.isOk())
    fail(device.status().toString());

  TempDir temp;
  std::string bundlePath = args.bundle;
  if (bundlePath.empty()) {
    std::error_code ec;
    std::string tmpl =
        (fs::temp_directory_path(ec) / "attn-bench-XXXXXX").string();
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (!::mkdtemp(buf.data()))
      fail("cannot create a temporary directory");
    temp.path = buf.data();
    bundlePath = temp.path + "/" + spec->name + ".so";
#if !ATTN_BENCH_WITH_COMPILER
    fail("this attn-bench was built without the compiler: give --bundle");
#else
    mlir::attn::HostCompileOptions options;
    options.segments = args.segments;
    options.blockM = args.blockM;
    options.blockN = args.blockN;
    options.wideBlockM = args.wideBlockM;
    if (!mlir::attn::compileSpecToHostBundle(args.spec, bundlePath, error,
                                             options))
      fail("compiling the spec failed: " + error);
    if (!args.saveBundle.empty()) {
      std::error_code ec;
      fs::copy_file(bundlePath, args.saveBundle,
                    fs::copy_options::overwrite_existing, ec);
      if (ec)
        fail("cannot save the bundle to '" + args.saveBundle +
             "': " + ec.message());
    }
#endif
  }
  auto module = (*device)->loadModule(bundlePath);
  if (!module.isOk())
    fail(module.status().toString());

  std::string specText = args.spec;
  if (!spec) {
    const auto &kernels = (*module)->kernels();
    if (kernels.empty())
      fail("bundle '" + bundlePath + "' has no kernel");
    std::optional<std::string> text = specFromManifest(kernels[0], error);
    if (!text)
      fail(error);
    specText = *text;
    spec = parseSpec(specText, error);
    if (!spec)
      fail("the manifest of '" + bundlePath +
           "' gives a spec the parser rejects (" + specText + "): " + error);
  }

  if (spec->kind == "cache_write")
    return runCacheWrite(args, specText, *spec, *batch, **device, **module);
  return runAttention(args, specText, *spec, *batch, **device, **module);
}
