//===- NumericsTest.cpp - Compiled kernels against the reference ----------===//
//
// Part of the attn project, the numerics unit tests.
//
//===----------------------------------------------------------------------===//
//
// Every case compiles a variant spec through the real host pipeline
// (compileSpecToHostBundle, with a split-KV form: segments = 3), loads the
// bundle with the runtime's CPU device, runs it on BOTH launch paths (2D
// and split-KV + reduce) over mixed batches, and compares the output (and
// lse) with the double-precision reference of test/lib/Reference.
//
// Inputs (test/lib/Reference/Inputs.h): q, k, v ~ N(0, 1) rounded to the
// storage dtype (the reference reads the same stored values, quantized
// caches decoded as stored, so only the kernel's arithmetic error is
// measured); shuffled non-contiguous block tables with a spare column;
// NaN in every cache slot no sequence uses; `out` and `lse` pre-filled
// with NaN so unwritten rows fail.
//
// Tolerances (relative to max|ref| of the output; lse absolute, in natural
// log units) are per output dtype; see toleranceFor() below. Variants are
// tested alone in f32 where possible, because an off-by-one in a mask
// changes the output by about 1/seq_len of its scale, which a bf16
// tolerance could hide; the realistic combinations run in bf16.
//
// Compiled bundles are cached on disk, keyed by the spec, the compile
// options and the identity (size, mtime) of this test binary, which links
// the compiler statically: ctest runs each case in its own process, and a
// rebuilt compiler gives a rebuilt binary, hence fresh bundles. The cache
// lives in ATTN_NUMERICS_BUNDLE_DIR (the build tree) unless the
// environment variable of the same name says otherwise;
// ATTN_NUMERICS_NO_CACHE=1 compiles into a temporary directory instead.
//
//===----------------------------------------------------------------------===//

#include "Reference/DeviceRun.h"
#include "Reference/Inputs.h"
#include "Reference/Reference.h"

#include "attn/Runtime/Runtime.h"
#include "attn/Spec/Spec.h"
#include "attn/Target/HostBundle.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <tuple>
#include <unistd.h>
#include <vector>

#ifndef ATTN_NUMERICS_BUNDLE_DIR
#define ATTN_NUMERICS_BUNDLE_DIR ""
#endif

namespace fs = std::filesystem;
using namespace attn;
using namespace attn::ref;
using attn::rt::DType;
using attn::rt::Path;

namespace {

//===----------------------------------------------------------------------===//
// Tolerances
//===----------------------------------------------------------------------===//

/// Error bounds per output dtype. `out` is relative to max|ref|: the output
/// is rounded once to its dtype, half an ulp = 2^-24 (f32), 2^-11 (f16),
/// 2^-8 (bf16), 2^-4 (fp8 e4m3) of the value, on top of the f32 arithmetic
/// of the kernel (scores, exp, online softmax, split-KV merge). `lse` is
/// absolute (natural log units; lse is always f32).
///
/// Largest errors measured over this whole suite, both paths (CPU,
/// host backend): out f32 6.5e-7, f16 3.2e-4, bf16 3.2e-3, fp8 e4m3
/// 5.8e-2; lse 5.6e-7. The bounds sit 1.1x (fp8: at the rounding bound)
/// to 30x above those; a mask off by one key changes the output by ~1e-1.
struct Tolerance {
  double out; ///< relative to max|ref|
  double lse; ///< absolute
};
Tolerance toleranceFor(const VariantSpec &spec) {
  switch (outDtypeOf(spec)) {
  case DType::F32:
    return {1e-5, 2e-5};
  case DType::F16:
    return {2e-3, 2e-5};
  case DType::BF16:
    return {1e-2, 2e-5};
  case DType::Fp8E4M3:
    return {7e-2, 2e-5};
  default:
    return {1e-2, 2e-5};
  }
}

constexpr int64_t kSegments = 3;
/// The wide 2D form of every plan (two block_m tiles of rows).
constexpr int64_t kWideBlockM = 32;

//===----------------------------------------------------------------------===//
// Bundles and the runtime
//===----------------------------------------------------------------------===//

uint64_t fnv1a(const std::string &s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

std::string hex(uint64_t x) {
  std::ostringstream os;
  os << std::hex << x;
  return os.str();
}

/// Identity of this binary: a rebuilt compiler means a relinked test.
std::string binaryIdentity() {
  struct stat st;
  if (::stat("/proc/self/exe", &st) != 0)
    return "unknown";
  return hex(fnv1a(std::to_string(st.st_size) + ":" +
                   std::to_string(st.st_mtim.tv_sec) + "." +
                   std::to_string(st.st_mtim.tv_nsec)));
}

class Harness {
public:
  static Harness &get() {
    static Harness h;
    return h;
  }

  rt::Device *device() { return device_.get(); }

  /// Compiles (or finds) the bundle of `spec` and loads it; null with a
  /// test failure on error.
  rt::Module *module(const std::string &spec) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = modules_.find(spec);
    if (it != modules_.end())
      return it->second.get();
    std::string path, error;
    if (!bundle(spec, path, error)) {
      ADD_FAILURE() << "compiling spec '" << spec << "' failed: " << error;
      return nullptr;
    }
    auto loaded = device_->loadModule(path);
    if (!loaded.isOk()) {
      ADD_FAILURE() << "loading " << path << " (spec '" << spec
                    << "'): " << loaded.status().toString();
      return nullptr;
    }
    rt::Module *m = loaded->get();
    modules_[spec] = std::move(*loaded);
    return m;
  }

  ~Harness() {
    modules_.clear(); // before the device
    device_.reset();
    if (!tempDir_.empty()) {
      std::error_code ec;
      fs::remove_all(tempDir_, ec);
    }
  }

private:
  Harness() {
    auto dev = rt::Device::open(rt::DeviceKind::CPU);
    if (!dev.isOk()) {
      ADD_FAILURE() << "cannot open the CPU device: "
                    << dev.status().toString();
      return;
    }
    device_ = std::move(*dev);
    std::string base;
    if (const char *env = std::getenv("ATTN_NUMERICS_BUNDLE_DIR"))
      base = env;
    else
      base = ATTN_NUMERICS_BUNDLE_DIR;
    const char *noCache = std::getenv("ATTN_NUMERICS_NO_CACHE");
    bool useCache = !base.empty() && !(noCache && std::string(noCache) == "1");
    std::error_code ec;
    if (useCache) {
      std::string id = binaryIdentity();
      dir_ = base + "/" + id;
      fs::create_directories(dir_, ec);
      if (ec) {
        useCache = false;
      } else {
        // Bundles of older builds of this binary.
        for (const auto &entry : fs::directory_iterator(base, ec))
          if (entry.is_directory() && entry.path().filename() != id)
            fs::remove_all(entry.path(), ec);
      }
    }
    if (!useCache) {
      std::string tmpl =
          (fs::temp_directory_path(ec) / "attn-numerics-XXXXXX").string();
      std::vector<char> buf(tmpl.begin(), tmpl.end());
      buf.push_back('\0');
      if (::mkdtemp(buf.data()))
        tempDir_ = dir_ = buf.data();
      else
        dir_ = ".";
    }
  }

  bool bundle(const std::string &spec, std::string &path, std::string &error) {
    std::string key = spec + "|segments=" + std::to_string(kSegments) +
                      "|wide=" + std::to_string(kWideBlockM);
    path = dir_ + "/" + hex(fnv1a(key)) + ".so";
    std::error_code ec;
    if (fs::exists(path, ec))
      return true;
    std::string tmp = path + ".tmp." + std::to_string(::getpid());
    mlir::attn::HostCompileOptions options;
    options.segments = kSegments;
    options.wideBlockM = kWideBlockM;
    if (!mlir::attn::compileSpecToHostBundle(spec, tmp, error, options)) {
      fs::remove(tmp, ec);
      return false;
    }
    fs::rename(tmp, path, ec); // atomic: parallel ctest processes may race
    if (ec) {
      error = "cannot rename " + tmp + " to " + path + ": " + ec.message();
      return false;
    }
    return true;
  }

  std::mutex mutex_;
  std::unique_ptr<rt::Device> device_;
  std::map<std::string, std::unique_ptr<rt::Module>> modules_;
  std::string dir_, tempDir_;
};

//===----------------------------------------------------------------------===//
// Attention checks
//===----------------------------------------------------------------------===//

VariantSpec parse(const std::string &text) {
  std::string error;
  std::optional<VariantSpec> spec = parseSpec(text, error);
  EXPECT_TRUE(spec.has_value()) << "bad spec '" << text << "': " << error;
  return spec ? *spec : VariantSpec();
}

Batch batchOf(const std::string &text) {
  std::string error;
  std::optional<Batch> b = parseBatch(text, error);
  EXPECT_TRUE(b.has_value()) << error;
  return b ? *b : Batch();
}

/// "token 12 (seq 3, query 4) head 1 dim 7" for a flat output index.
std::string where(const AttentionData &d, int64_t index, int64_t heads,
                  int64_t dim) {
  if (index < 0)
    return "-";
  int64_t token = index / (heads * dim);
  int64_t head = (index / dim) % heads;
  int64_t c = index % dim;
  int64_t seq = 0;
  const int32_t *cu = d.cuSeqlensQ.as<int32_t>();
  while (seq + 1 < d.numSeqs() && cu[seq + 1] <= token)
    ++seq;
  std::ostringstream os;
  os << "token " << token << " (seq " << seq << ", query " << token - cu[seq]
     << ") head " << head << " dim " << c;
  return os.str();
}

/// The largest rel_err seen per output dtype in this process (printed at the
/// end, to keep the tolerances honest).
std::map<std::string, double> &maxSeen() {
  static std::map<std::string, double> m;
  return m;
}

/// Runs `data` through `kernel` on `path` and compares with `ref`.
void runAndCompare(const VariantSpec &spec, rt::AttentionKernel &kernel,
                   const AttentionData &data, const AttentionResult &ref,
                   Path path, const std::string &what) {
  AttentionData d = data; // fresh NaN-filled out / lse
  rt::Status st = kernel.run(attentionArgs(d, path));
  ASSERT_TRUE(st.isOk()) << what << ": run failed: " << st.toString();
  EXPECT_EQ(kernel.lastPath(), path) << what;
  Tolerance tol = toleranceFor(spec);
  int64_t dv = spec.effectiveHeadSizeV();
  Comparison out = compare(decode(d.out), ref.out);
  double &seen = maxSeen()["out " + spec.effectiveOutDtype()];
  seen = std::max(seen, out.relErr);
  EXPECT_TRUE(out.within(tol.out))
      << what << "\n  out: " << out.str() << "\n  at "
      << where(d, out.worstIndex, spec.heads, dv) << "\n  tolerance "
      << tol.out;
  if (spec.lse) {
    Comparison lse = compare(decode(d.lse), ref.lse);
    double &lseSeen = maxSeen()["lse (absolute)"];
    lseSeen = std::max(lseSeen, lse.maxAbsErr);
    EXPECT_TRUE(lse.numBad == 0 && lse.maxAbsErr <= tol.lse)
        << what << "\n  lse: " << lse.str() << "\n  at "
        << where(d, lse.worstIndex, spec.heads, 1) << "\n  tolerance "
        << tol.lse << " (absolute)";
  }
}

struct Options {
  GenOptions gen;
};

/// Compiles `specText`, then for each batch: random inputs, the reference,
/// and a run on both paths.
void checkAttention(const std::string &specText,
                    const std::vector<std::string> &batches,
                    const Options &options = {}) {
  VariantSpec spec = parse(specText);
  ASSERT_FALSE(::testing::Test::HasFailure());
  Harness &h = Harness::get();
  ASSERT_NE(h.device(), nullptr);
  rt::Module *module = h.module(specText);
  ASSERT_NE(module, nullptr);
  int64_t maxTokens = 1;
  for (const std::string &b : batches)
    maxTokens = std::max(maxTokens, batchOf(b).numTokens());
  auto kernel =
      rt::AttentionKernel::create(*h.device(), *module, spec.name, maxTokens);
  ASSERT_TRUE(kernel.isOk()) << kernel.status().toString();
  ASSERT_TRUE((*kernel)->info().hasSplit())
      << "spec '" << specText << "' has no split-KV form";
  ASSERT_TRUE((*kernel)->info().hasWide())
      << "spec '" << specText << "' has no wide 2D form";
  uint64_t seed = options.gen.seed;
  for (const std::string &batchText : batches) {
    Batch batch = batchOf(batchText);
    GenOptions gen = options.gen;
    gen.seed = seed++;
    std::string error;
    std::optional<AttentionData> data =
        makeAttentionInputs(spec, batch, gen, error);
    ASSERT_TRUE(data.has_value()) << error;
    AttentionResult ref = referenceAttention(spec, *data);
    for (Path path : launchPaths(**kernel)) {
      std::string what = "spec '" + specText + "' batch '" + batchText +
                         "' seed " + std::to_string(gen.seed) + " path " +
                         rt::pathName(path);
      runAndCompare(spec, **kernel, *data, ref, path, what);
    }
  }
}

// Batches. Each mixes decode (query 1), chunked prefill (query < context),
// full prefill (query == seq_len), a sequence with context but no query,
// an empty sequence, and lengths that are not multiples of the block size
// (16) or of the tiles.
const char *const kMixed = "1:37,7:7,0:19,5:40,33:70,0:0,1:1,19:19";
/// Long keys: several KV tiles per split segment.
const char *const kLong = "1:300,3:257,1:129,0:0,64:64";
/// Small, odd.
const char *const kSmall = "2:3,1:17,3:3";

const char *const kBase = "heads=4,kv_heads=2,head_size=64,dtype=f32";

std::string with(const std::string &extra) {
  return std::string(kBase) + "," + extra;
}

//===----------------------------------------------------------------------===//
// Cache write checks
//===----------------------------------------------------------------------===//

std::unique_ptr<rt::CacheWriteKernel>
cacheWriteKernel(const std::string &spec, const std::string &name) {
  Harness &h = Harness::get();
  if (!h.device())
    return nullptr;
  rt::Module *module = h.module(spec);
  if (!module)
    return nullptr;
  auto kernel = rt::CacheWriteKernel::create(*h.device(), *module, name);
  EXPECT_TRUE(kernel.isOk()) << kernel.status().toString();
  return kernel.isOk() ? std::move(*kernel) : nullptr;
}

void checkCacheWrite(const std::string &specText, int64_t numTokens,
                     int64_t numBlocks, int64_t padEvery, uint64_t seed) {
  VariantSpec spec = parse(specText);
  ASSERT_FALSE(::testing::Test::HasFailure());
  auto kernel = cacheWriteKernel(specText, spec.name);
  ASSERT_NE(kernel, nullptr);
  CacheWriteData expected =
      makeCacheWriteInputs(spec, numTokens, numBlocks, padEvery, seed);
  CacheWriteData got = expected;
  rt::Status st = kernel->run(cacheWriteArgs(got));
  ASSERT_TRUE(st.isOk()) << st.toString();
  referenceCacheWrite(spec, expected);
  CacheComparison k =
      compareCache(spec, got.kCache, expected.kCache, spec.headSize);
  CacheComparison v = compareCache(spec, got.vCache, expected.vCache,
                                   spec.effectiveHeadSizeV());
  EXPECT_TRUE(k.ok()) << "spec '" << specText << "' k_cache: " << k.str();
  EXPECT_TRUE(v.ok()) << "spec '" << specText << "' v_cache: " << v.str();
  // Rounding of x / scale may differ in the last f32 bit from the
  // reference's; more than a handful of one-step differences is a bug.
  EXPECT_LE(k.inexactElements, k.elements / 1000 + 1) << k.str();
  EXPECT_LE(v.inexactElements, v.elements / 1000 + 1) << v.str();
}

/// Cache write of every position of a batch with the cache_write kernel,
/// then attention on the written cache; the reference does both steps
/// itself.
void checkEndToEnd(const std::string &attnSpecText,
                   const std::vector<std::string> &batches) {
  VariantSpec spec = parse(attnSpecText);
  ASSERT_FALSE(::testing::Test::HasFailure());
  std::string writeSpecText = cacheWriteSpecFor(spec, "write");
  VariantSpec writeSpec = parse(writeSpecText);
  Harness &h = Harness::get();
  ASSERT_NE(h.device(), nullptr);
  auto writer = cacheWriteKernel(writeSpecText, "write");
  ASSERT_NE(writer, nullptr);
  rt::Module *module = h.module(attnSpecText);
  ASSERT_NE(module, nullptr);
  int64_t maxTokens = 1;
  for (const std::string &b : batches)
    maxTokens = std::max(maxTokens, batchOf(b).numTokens());
  auto kernel =
      rt::AttentionKernel::create(*h.device(), *module, spec.name, maxTokens);
  ASSERT_TRUE(kernel.isOk()) << kernel.status().toString();
  uint64_t seed = 100;
  for (const std::string &batchText : batches) {
    Batch batch = batchOf(batchText);
    GenOptions gen;
    gen.seed = seed++;
    std::string error;
    std::optional<AttentionData> data =
        makeAttentionInputs(spec, batch, gen, error);
    ASSERT_TRUE(data.has_value()) << error;
    CacheWriteData expected =
        makeCacheWriteForAttention(spec, *data, /*padTokens=*/3, gen.seed);
    CacheWriteData got = expected;
    rt::Status st = writer->run(cacheWriteArgs(got));
    ASSERT_TRUE(st.isOk()) << st.toString();
    referenceCacheWrite(writeSpec, expected);

    AttentionData refData = *data;
    refData.k = expected.kCache;
    refData.v = expected.vCache;
    AttentionResult ref = referenceAttention(spec, refData);
    AttentionData kernelData = *data;
    kernelData.k = got.kCache;
    kernelData.v = got.vCache;
    for (Path path : launchPaths(**kernel))
      runAndCompare(spec, **kernel, kernelData, ref, path,
                    "end-to-end spec '" + attnSpecText + "' batch '" +
                        batchText + "' path " + rt::pathName(path));
  }
}

//===----------------------------------------------------------------------===//
// The reference itself
//===----------------------------------------------------------------------===//

TEST(Reference, Formats) {
  EXPECT_EQ(floatToBf16(1.0f), 0x3f80);
  EXPECT_EQ(bf16ToFloat(floatToBf16(1.00390625f)), 1.0f); // tie to even
  EXPECT_EQ(bf16ToFloat(floatToBf16(1.01171875f)), 1.015625f);
  EXPECT_EQ(floatToF16(1.0f), 0x3c00);
  EXPECT_EQ(floatToF16(65504.0f), 0x7bff);
  EXPECT_EQ(floatToF16(65520.0f), 0x7c00); // rounds to inf
  EXPECT_EQ(f16ToFloat(0x0001), std::ldexp(1.0f, -24));
  EXPECT_EQ(floatToFp8E4M3(448.0f), 0x7e);
  EXPECT_EQ(floatToFp8E4M3(1000.0f), 0x7e);               // saturates
  EXPECT_EQ(floatToFp8E4M3(1000.0f, false) & 0x7f, 0x7f); // NaN
  EXPECT_EQ(floatToFp8E4M3(464.0f, false), 0x7e);         // tie to even: 448
  EXPECT_EQ(fp8E4M3ToFloat(0x01), std::ldexp(1.0f, -9));
  EXPECT_EQ(fp8E4M3ToFloat(0x38), 1.0f);
  EXPECT_TRUE(std::isnan(fp8E4M3ToFloat(0xff)));
  EXPECT_EQ(floatToFp8E5M2(57344.0f), 0x7b);
  EXPECT_EQ(fp8E5M2ToFloat(0x3c), 1.0f);
  EXPECT_TRUE(std::isinf(fp8E5M2ToFloat(0x7c)));
  EXPECT_EQ(fp8E5M2ToFloat(0x01), std::ldexp(1.0f, -16));
  for (int b = 0; b < 256; ++b) {
    float x = fp8E4M3ToFloat(static_cast<uint8_t>(b));
    if (!std::isnan(x) && x != 0)
      EXPECT_EQ(floatToFp8E4M3(x), b) << b;
    float y = fp8E5M2ToFloat(static_cast<uint8_t>(b));
    if (!std::isnan(y) && y != 0 && !std::isinf(y))
      EXPECT_EQ(floatToFp8E5M2(y), b) << b;
  }
}

/// MI300's fnuz formats: bias 8 / 16, no inf, no -0, 0x80 the only NaN.
TEST(Reference, FormatsFnuz) {
  // e4m3fnuz: 1.0 = exponent 8 = 0x40; max 0x7f = 240; smallest subnormal
  // 0x01 = 2^-10.
  EXPECT_EQ(floatToFp8E4M3Fnuz(1.0f), 0x40);
  EXPECT_EQ(fp8E4M3FnuzToFloat(0x40), 1.0f);
  EXPECT_EQ(fp8E4M3FnuzToFloat(0x7f), 240.0f);
  EXPECT_EQ(fp8E4M3FnuzToFloat(0xff), -240.0f);
  EXPECT_EQ(fp8E4M3FnuzToFloat(0x01), std::ldexp(1.0f, -10));
  EXPECT_EQ(fp8E4M3FnuzToFloat(0x08), std::ldexp(1.0f, -7)); // min normal
  EXPECT_TRUE(std::isnan(fp8E4M3FnuzToFloat(0x80)));
  EXPECT_EQ(floatToFp8E4M3Fnuz(240.0f), 0x7f);
  EXPECT_EQ(floatToFp8E4M3Fnuz(247.0f), 0x7f);  // rounds down to 240
  EXPECT_EQ(floatToFp8E4M3Fnuz(1000.0f), 0x7f); // saturates
  EXPECT_EQ(floatToFp8E4M3Fnuz(-1000.0f), 0xff);
  EXPECT_EQ(floatToFp8E4M3Fnuz(INFINITY), 0x7f);
  EXPECT_EQ(floatToFp8E4M3Fnuz(-INFINITY), 0xff);
  EXPECT_EQ(floatToFp8E4M3Fnuz(1000.0f, false), 0x80); // NaN, not -0
  EXPECT_EQ(floatToFp8E4M3Fnuz(-1000.0f, false), 0x80);
  EXPECT_EQ(floatToFp8E4M3Fnuz(NAN), 0x80);
  EXPECT_EQ(floatToFp8E4M3Fnuz(-NAN), 0x80);
  EXPECT_EQ(floatToFp8E4M3Fnuz(0.0f), 0x00);
  EXPECT_EQ(floatToFp8E4M3Fnuz(-0.0f), 0x00); // no negative zero
  EXPECT_EQ(floatToFp8E4M3Fnuz(-1e-30f), 0x00);
  EXPECT_EQ(floatToFp8E4M3Fnuz(std::ldexp(-1.0f, -11)), 0x00); // tie to 0
  EXPECT_EQ(floatToFp8E4M3Fnuz(std::ldexp(-3.0f, -12)), 0x81); // 0.75 ulp
  EXPECT_EQ(floatToFp8E4M3Fnuz(1.0625f), 0x40); // tie to even: 1.0
  EXPECT_EQ(floatToFp8E4M3Fnuz(1.1875f), 0x42); // tie to even: 1.25
  EXPECT_EQ(floatToFp8E4M3Fnuz(-1.1875f), 0xc2);
  // e5m2fnuz: 1.0 = exponent 16 = 0x40; max 0x7f = 57344; smallest
  // subnormal 2^-17; 0x7c (the e5m2 inf pattern) is the finite 32768.
  EXPECT_EQ(floatToFp8E5M2Fnuz(1.0f), 0x40);
  EXPECT_EQ(fp8E5M2FnuzToFloat(0x7f), 57344.0f);
  EXPECT_EQ(fp8E5M2FnuzToFloat(0x7c), 32768.0f);
  EXPECT_EQ(fp8E5M2FnuzToFloat(0x01), std::ldexp(1.0f, -17));
  EXPECT_TRUE(std::isnan(fp8E5M2FnuzToFloat(0x80)));
  EXPECT_EQ(fp8E5M2FnuzToFloat(0x81), -std::ldexp(1.0f, -17));
  EXPECT_EQ(floatToFp8E5M2Fnuz(57344.0f), 0x7f);
  EXPECT_EQ(floatToFp8E5M2Fnuz(1e6f), 0x7f);
  EXPECT_EQ(floatToFp8E5M2Fnuz(-1e6f, false), 0x80);
  EXPECT_EQ(floatToFp8E5M2Fnuz(-0.0f), 0x00);
  EXPECT_EQ(floatToFp8E5M2Fnuz(NAN), 0x80);
  EXPECT_EQ(maxFinite(DType::Fp8E4M3Fnuz), 240.0);
  EXPECT_EQ(maxFinite(DType::Fp8E5M2Fnuz), 57344.0);
  EXPECT_EQ(fp8NaNByte(DType::Fp8E4M3Fnuz), 0x80);
  EXPECT_EQ(fp8NaNByte(DType::Fp8E4M3), 0xff);
  // Every byte but 0x80 is finite and round-trips; the generic entry
  // points agree with the named ones.
  for (int b = 0; b < 256; ++b) {
    uint8_t u = static_cast<uint8_t>(b);
    float x = fp8E4M3FnuzToFloat(u), y = fp8E5M2FnuzToFloat(u);
    if (b == 0x80) {
      EXPECT_TRUE(std::isnan(x) && std::isnan(y));
      continue;
    }
    EXPECT_TRUE(std::isfinite(x) && std::isfinite(y)) << b;
    EXPECT_EQ(floatToFp8E4M3Fnuz(x), b) << b;
    EXPECT_EQ(floatToFp8E5M2Fnuz(y), b) << b;
    EXPECT_EQ(fp8ToFloat(DType::Fp8E4M3Fnuz, u), x) << b;
    EXPECT_EQ(floatToFp8(DType::Fp8E5M2Fnuz, y), b) << b;
    // The same magnitudes as the OCP formats, one binade down (bias + 1).
    if (b < 0x7f && b != 0)
      EXPECT_EQ(x, fp8E4M3ToFloat(u) / 2) << b;
    if (b < 0x7c && b != 0)
      EXPECT_EQ(y, fp8E5M2ToFloat(u) / 2) << b;
  }
}

TEST(Reference, Batch) {
  std::string error;
  auto b = parseBatch("1:37,0:0,5:40", error);
  ASSERT_TRUE(b.has_value()) << error;
  EXPECT_EQ(b->numSeqs(), 3);
  EXPECT_EQ(b->numTokens(), 6);
  EXPECT_EQ(b->maxSeqLen(), 40);
  EXPECT_EQ(b->str(), "1:37,0:0,5:40");
  EXPECT_FALSE(parseBatch("", error).has_value());
  EXPECT_FALSE(parseBatch("1:2,", error).has_value());
  EXPECT_FALSE(parseBatch("1", error).has_value());
  EXPECT_FALSE(parseBatch("-1:3", error).has_value());
  EXPECT_FALSE(parseBatch("a:3", error).has_value());
}

/// A hand-computed case: one sequence, one head, head size 1.
TEST(Reference, HandComputed) {
  VariantSpec spec = parse("heads=1,kv_heads=1,head_size=32,dtype=f32,"
                           "block_size=2,scale=1,sinks=1,lse=1");
  Batch batch = batchOf("1:3");
  GenOptions gen;
  std::string error;
  auto d = makeAttentionInputs(spec, batch, gen, error);
  ASSERT_TRUE(d.has_value()) << error;
  // q = e0; k_j = j * e0; v_j = (j + 1) e0; sink = 0.5.
  std::fill(d->q.bytes.begin(), d->q.bytes.end(), 0);
  d->q.set(0, 1.0);
  const int32_t *table = d->blockTable.as<int32_t>();
  for (int j = 0; j < 3; ++j) {
    int64_t row = table[j / 2] * 2 + j % 2;
    for (int c = 0; c < 32; ++c) {
      d->k.set(row * 32 + c, c == 0 ? j : 0);
      d->v.set(row * 32 + c, c == 0 ? j + 1 : 0);
    }
  }
  d->sinks.set(0, 0.5);
  AttentionResult r = referenceAttention(spec, *d);
  double e0 = std::exp(0.0), e1 = std::exp(1.0), e2 = std::exp(2.0),
         es = std::exp(0.5);
  double den = e0 + e1 + e2 + es;
  EXPECT_NEAR(r.out[0], (1 * e0 + 2 * e1 + 3 * e2) / den, 1e-12);
  EXPECT_NEAR(r.out[1], 0.0, 1e-12);
  EXPECT_NEAR(r.lse[0], std::log(den), 1e-12);
}

//===----------------------------------------------------------------------===//
// Each variant alone (f32 unless the variant needs another dtype)
//===----------------------------------------------------------------------===//

TEST(Variant, Causal) {
  // The last batch has no query token at all (nothing is launched).
  checkAttention(kBase, {kMixed, kLong, kSmall, "0:5,0:0"});
}

TEST(Variant, BlockSize8) {
  checkAttention(with("block_size=8"), {kMixed, kLong});
}

TEST(Variant, Bidirectional) {
  checkAttention(with("causal=0"), {kMixed, kLong});
}

TEST(Variant, WindowLeft) {
  checkAttention(with("window=13:0"), {kMixed, kLong});
}

TEST(Variant, WindowLeftRightBidirectional) {
  checkAttention(with("causal=0,window=9:5"), {kMixed, kLong});
}

TEST(Variant, Softcap) {
  // Scores of std ~2.4 against a cap of 2: tanh is far from linear.
  checkAttention(with("softcap=2,scale=0.3"), {kMixed, kLong});
}

TEST(Variant, Sinks) { checkAttention(with("sinks=1"), {kMixed, kLong}); }

TEST(Variant, AlibiPlain) { checkAttention(with("alibi=1"), {kMixed, kLong}); }

TEST(Variant, AlibiSqrt) {
  checkAttention(with("alibi=sqrt"), {kMixed, kLong});
}

TEST(Variant, MmPrefixCausal) {
  checkAttention(with("mm_prefix=1"), {kMixed, kLong});
}

TEST(Variant, Chunk) {
  // Chunks of 24 (not a multiple of the block size), one chunk of lookback.
  checkAttention(with("chunk=24:1"), {kMixed, kLong});
}

TEST(Variant, QqBias) { checkAttention(with("qq_bias=1"), {kMixed, kLong}); }

TEST(Variant, KvFp8E4M3) {
  checkAttention(with("kv_dtype=fp8_e4m3"), {kMixed, kLong});
}

TEST(Variant, KvFp8E5M2) {
  checkAttention(with("kv_dtype=fp8_e5m2"), {kMixed, kLong});
}

TEST(Variant, KvFp8E4M3Fnuz) {
  checkAttention(with("kv_dtype=fp8_e4m3fnuz"), {kMixed, kLong});
}

TEST(Variant, KvFp8E5M2Fnuz) {
  checkAttention(with("kv_dtype=fp8_e5m2fnuz"), {kMixed, kLong});
}

TEST(Variant, KvInt8PerTokenHead) {
  checkAttention(with("kv_dtype=int8_per_token_head"), {kMixed, kLong});
}

TEST(Variant, KvFp8PerTokenHead) {
  checkAttention(with("kv_dtype=fp8_per_token_head"), {kMixed, kLong});
}

TEST(Variant, HeadSizeV) {
  checkAttention("heads=4,kv_heads=2,head_size=192,head_size_v=128,dtype=f32",
                 {kMixed, kSmall});
}

TEST(Variant, Fp8Output) {
  Options o;
  o.gen.outScale = 0.01;
  checkAttention("heads=4,kv_heads=2,head_size=64,dtype=bf16,"
                 "out_dtype=fp8_e4m3",
                 {kMixed, kLong}, o);
}

TEST(Variant, Fp8OutputSaturating) {
  // |o / out_scale| beyond 448 for the larger outputs: clamped to +-448.
  Options o;
  o.gen.outScale = 0.002;
  checkAttention("heads=4,kv_heads=2,head_size=64,dtype=bf16,"
                 "out_dtype=fp8_e4m3",
                 {kMixed}, o);
}

TEST(Variant, Lse) { checkAttention(with("lse=1"), {kMixed, kLong}); }

TEST(Variant, VarlenEncoder) {
  checkAttention(with("kv=varlen,causal=0"),
                 {"17:17,1:1,40:40,0:0,9:9", "130:130,3:3"});
}

TEST(Variant, VarlenCross) {
  // Key lengths differ from query lengths; 6:0 has no key at all (zeros).
  checkAttention(with("kv=varlen,causal=0"),
                 {"3:17,10:4,0:5,6:0,1:1,25:70", "2:300,40:9"});
}

//===----------------------------------------------------------------------===//
// GQA group sizes, head sizes, dtypes
//===----------------------------------------------------------------------===//

TEST(Gqa, Group1) {
  checkAttention("heads=4,kv_heads=4,head_size=64,dtype=f32", {kMixed, kLong});
}

TEST(Gqa, Group4) {
  checkAttention("heads=8,kv_heads=2,head_size=64,dtype=f32", {kMixed, kLong});
}

TEST(Gqa, Group8) {
  checkAttention("heads=16,kv_heads=2,head_size=64,dtype=f32", {kMixed, kLong});
}

class HeadSize : public ::testing::TestWithParam<int> {};

TEST_P(HeadSize, F32) {
  checkAttention("heads=2,kv_heads=1,head_size=" + std::to_string(GetParam()) +
                     ",dtype=f32",
                 {kMixed, kSmall});
}

INSTANTIATE_TEST_SUITE_P(Sizes, HeadSize,
                         ::testing::Values(40, 80, 96, 112, 128, 192, 256),
                         [](const ::testing::TestParamInfo<int> &info) {
                           return "D" + std::to_string(info.param);
                         });

TEST(Dtype, F16) {
  checkAttention("heads=4,kv_heads=2,head_size=64,dtype=f16", {kMixed, kLong});
}

TEST(Dtype, Bf16) {
  checkAttention("heads=4,kv_heads=2,head_size=64,dtype=bf16", {kMixed, kLong});
}

//===----------------------------------------------------------------------===//
// Realistic combinations
//===----------------------------------------------------------------------===//

TEST(Model, Gemma3Local) {
  // Window 1023:0 + softcap 30, head 256, block 32; keys past the window.
  checkAttention("heads=4,kv_heads=2,head_size=256,dtype=bf16,block_size=32,"
                 "window=1023:0,softcap=30",
                 {"1:1300,2:1100,20:1060,0:30,1:5"});
}

TEST(Model, GptOssSliding) {
  // Sinks + window 127:0, head 64, GQA 8, with lse.
  checkAttention("heads=16,kv_heads=2,head_size=64,dtype=bf16,sinks=1,"
                 "window=127:0,lse=1",
                 {"1:300,5:200,30:150,1:1,0:40", kMixed});
}

TEST(Model, VisionMmPrefix) {
  Options o;
  o.gen.mmRanges = 3;
  checkAttention("heads=4,kv_heads=1,head_size=128,dtype=bf16,mm_prefix=1",
                 {"1:200,50:120,80:80,0:0", kMixed}, o);
}

TEST(Model, LlamaFp8Kv) {
  checkAttention("heads=8,kv_heads=2,head_size=128,dtype=bf16,"
                 "kv_dtype=fp8_e4m3",
                 {kMixed, kLong});
}

TEST(Model, LlamaFp8E4M3FnuzKv) {
  // MI300's fp8 KV cache in a bf16 GQA model.
  checkAttention("heads=8,kv_heads=2,head_size=128,dtype=bf16,"
                 "kv_dtype=fp8_e4m3fnuz",
                 {kMixed, kLong});
}

TEST(Model, GptOssFp8E5M2FnuzKv) {
  // fnuz e5m2 KV under sinks + window, f16, with lse.
  checkAttention("heads=16,kv_heads=2,head_size=64,dtype=f16,sinks=1,"
                 "window=127:0,lse=1,kv_dtype=fp8_e5m2fnuz",
                 {"1:300,5:200,30:150,1:1,0:40", kMixed});
}

//===----------------------------------------------------------------------===//
// Cache write, and cache write + attention
//===----------------------------------------------------------------------===//

// The cache_write specs match attention specs above, for the end-to-end
// cases (cacheWriteSpecFor builds the same strings).
const char *const kWriteAuto = "name=write,kind=cache_write,kv_heads=2,"
                               "head_size=64,head_size_v=64,dtype=bf16,"
                               "kv_dtype=auto,block_size=16";
const char *const kWriteE4M3 = "name=write,kind=cache_write,kv_heads=2,"
                               "head_size=128,head_size_v=128,dtype=bf16,"
                               "kv_dtype=fp8_e4m3,block_size=16";
const char *const kWriteE5M2 = "name=write,kind=cache_write,kv_heads=2,"
                               "head_size=64,head_size_v=64,dtype=f32,"
                               "kv_dtype=fp8_e5m2,block_size=16";
const char *const kWriteE4M3Fnuz = "name=write,kind=cache_write,kv_heads=2,"
                                   "head_size=128,head_size_v=128,dtype=bf16,"
                                   "kv_dtype=fp8_e4m3fnuz,block_size=16";
const char *const kWriteE5M2Fnuz = "name=write,kind=cache_write,kv_heads=2,"
                                   "head_size=64,head_size_v=96,dtype=f16,"
                                   "kv_dtype=fp8_e5m2fnuz,block_size=16";
const char *const kWriteInt8 = "name=write,kind=cache_write,kv_heads=2,"
                               "head_size=64,head_size_v=64,dtype=f32,"
                               "kv_dtype=int8_per_token_head,block_size=16";
const char *const kWriteFp8Pth = "name=write,kind=cache_write,kv_heads=2,"
                                 "head_size=64,head_size_v=64,dtype=f32,"
                                 "kv_dtype=fp8_per_token_head,block_size=16";

TEST(CacheWrite, Auto) { checkCacheWrite(kWriteAuto, 50, 6, 7, 1); }
TEST(CacheWrite, Fp8E4M3) { checkCacheWrite(kWriteE4M3, 50, 6, 7, 2); }
TEST(CacheWrite, Fp8E5M2) { checkCacheWrite(kWriteE5M2, 50, 6, 7, 3); }
TEST(CacheWrite, Fp8E4M3Fnuz) { checkCacheWrite(kWriteE4M3Fnuz, 50, 6, 7, 6); }
TEST(CacheWrite, Fp8E5M2Fnuz) { checkCacheWrite(kWriteE5M2Fnuz, 50, 6, 7, 7); }
TEST(CacheWrite, Int8PerTokenHead) { checkCacheWrite(kWriteInt8, 50, 6, 7, 4); }
TEST(CacheWrite, Fp8PerTokenHead) {
  checkCacheWrite(kWriteFp8Pth, 50, 6, 7, 5);
}

TEST(EndToEnd, Bf16Cache) {
  checkEndToEnd("heads=4,kv_heads=2,head_size=64,dtype=bf16", {kMixed});
}
TEST(EndToEnd, Fp8E4M3Cache) {
  checkEndToEnd("heads=8,kv_heads=2,head_size=128,dtype=bf16,"
                "kv_dtype=fp8_e4m3",
                {kMixed});
}
TEST(EndToEnd, Fp8E4M3FnuzCache) {
  checkEndToEnd("heads=8,kv_heads=2,head_size=128,dtype=bf16,"
                "kv_dtype=fp8_e4m3fnuz",
                {kMixed});
}
TEST(EndToEnd, Fp8E5M2FnuzCache) {
  checkEndToEnd(with("kv_dtype=fp8_e5m2fnuz"), {kMixed, kLong});
}
TEST(EndToEnd, Int8PerTokenHeadCache) {
  checkEndToEnd(with("kv_dtype=int8_per_token_head"), {kMixed, kLong});
}
TEST(EndToEnd, Fp8PerTokenHeadCache) {
  checkEndToEnd(with("kv_dtype=fp8_per_token_head"), {kMixed});
}

//===----------------------------------------------------------------------===//
// The fp8 conversions of the compiled kernels, case by case
//===----------------------------------------------------------------------===//

// Per-tensor fp8 KV formats (the OCP ones and MI300's fnuz ones).
class Fp8Kernel : public ::testing::TestWithParam<const char *> {};

/// Every byte of the format decoded by a compiled attention kernel: one
/// sequence with one key whose V rows (4 heads of 64) hold the 256 bytes,
/// K all zeros and descales 1, so the softmax weight is 1 and `out` is the
/// decoded V rows (f32).
TEST_P(Fp8Kernel, DecodesEveryByte) {
  std::string specText = std::string("name=decode,heads=4,kv_heads=4,"
                                     "head_size=64,dtype=f32,kv_dtype=") +
                         GetParam();
  VariantSpec spec = parse(specText);
  ASSERT_FALSE(::testing::Test::HasFailure());
  DType storage = kvStorageOf(spec);
  Harness &h = Harness::get();
  ASSERT_NE(h.device(), nullptr);
  rt::Module *module = h.module(specText);
  ASSERT_NE(module, nullptr);
  auto kernel = rt::AttentionKernel::create(*h.device(), *module, spec.name, 1);
  ASSERT_TRUE(kernel.isOk()) << kernel.status().toString();
  std::string error;
  std::optional<AttentionData> data =
      makeAttentionInputs(spec, batchOf("1:1"), GenOptions(), error);
  ASSERT_TRUE(data.has_value()) << error;
  // Slot 0 of the sequence's first block; its 4 head rows are contiguous.
  int64_t at = int64_t(data->blockTable.as<int32_t>()[0]) * spec.blockSize *
               spec.kvHeads * spec.headSize;
  for (int c = 0; c < 256; ++c) {
    data->k.bytes[at + c] = 0x00; // +0 in every format
    data->v.bytes[at + c] = static_cast<uint8_t>(c);
  }
  data->kScale.set(0, 1.0);
  data->vScale.set(0, 1.0);
  for (Path path : launchPaths(**kernel)) {
    AttentionData d = *data;
    rt::Status st = (*kernel)->run(attentionArgs(d, path));
    ASSERT_TRUE(st.isOk()) << st.toString();
    int bad = 0;
    for (int c = 0; c < 256; ++c) {
      float want = fp8ToFloat(storage, static_cast<uint8_t>(c));
      float got = static_cast<float>(d.out.get(c));
      bool ok = std::isnan(want) ? std::isnan(got)
                : std::isinf(want)
                    ? got == want
                    : std::fabs(got - want) <= std::fabs(want) * 0x1p-22f;
      if (!ok && ++bad <= 8)
        ADD_FAILURE() << GetParam() << " byte 0x" << std::hex << c << std::dec
                      << " decoded as " << got << ", expected " << want
                      << " (path " << rt::pathName(path) << ")";
    }
    EXPECT_EQ(bad, 0) << GetParam() << " path " << rt::pathName(path);
  }
}

/// The rounding cases of f32 -> fp8 through a compiled cache-write kernel
/// (f32 rows, scales 1), bit for bit against the reference: every finite
/// value and its negative, the midpoints between neighbours (ties to even)
/// and the floats next to them, halves of the smallest subnormal, values
/// beyond the largest finite one and +-inf (saturated), NaN, +-0 and tiny
/// negatives (the fnuz formats have no -0: they give 0x00).
TEST_P(Fp8Kernel, EncodesRoundingCases) {
  std::string specText =
      std::string("name=encode,kind=cache_write,kv_heads=1,head_size=256,"
                  "dtype=f32,block_size=16,kv_dtype=") +
      GetParam();
  VariantSpec spec = parse(specText);
  ASSERT_FALSE(::testing::Test::HasFailure());
  DType storage = kvStorageOf(spec);
  std::vector<float> xs;
  auto addSigned = [&](float x) {
    xs.push_back(x);
    xs.push_back(-x);
  };
  std::vector<float> finite;
  for (int b = 0; b < 0x80; ++b) {
    float x = fp8ToFloat(storage, static_cast<uint8_t>(b));
    if (std::isfinite(x))
      finite.push_back(x);
  }
  for (size_t i = 0; i < finite.size(); ++i) {
    addSigned(finite[i]);
    if (i + 1 == finite.size())
      break;
    float mid = (finite[i] + finite[i + 1]) / 2; // exact in f32
    addSigned(mid);
    addSigned(std::nextafter(mid, 0.0f));
    addSigned(std::nextafter(mid, INFINITY));
  }
  float top = finite.back(), tiny = finite[1];
  for (float x : {tiny / 2, tiny / 4, tiny * 0.75f, top * 1.03f, top * 1.1f,
                  top * 4, 1e30f, static_cast<float>(INFINITY), 1e-30f, 0.0f})
    addSigned(x);
  xs.push_back(std::numeric_limits<float>::quiet_NaN());
  int64_t d = 256;
  int64_t tokens = (static_cast<int64_t>(xs.size()) + d - 1) / d;
  xs.resize(static_cast<size_t>(tokens * d), 0.0f);

  CacheWriteData w;
  w.key = HostTensor(DType::F32, {tokens, 1, d});
  w.value = HostTensor(DType::F32, {tokens, 1, d});
  for (int64_t i = 0; i < tokens * d; ++i) {
    w.key.set(i, xs[i]);
    w.value.set(i, xs[tokens * d - 1 - i]);
  }
  int64_t blocks = (tokens + spec.blockSize - 1) / spec.blockSize;
  w.kCache = HostTensor(storage, {blocks, spec.blockSize, 1, d});
  w.vCache = HostTensor(storage, {blocks, spec.blockSize, 1, d});
  w.kCache.fillBytes(0x5a);
  w.vCache.fillBytes(0x5a);
  w.slotMapping = HostTensor(DType::I64, {tokens});
  for (int64_t t = 0; t < tokens; ++t)
    w.slotMapping.as<int64_t>()[t] = t;
  w.kScale = HostTensor(DType::F32, {1});
  w.vScale = HostTensor(DType::F32, {1});
  w.kScale.set(0, 1.0);
  w.vScale.set(0, 1.0);

  auto kernel = cacheWriteKernel(specText, spec.name);
  ASSERT_NE(kernel, nullptr);
  CacheWriteData got = w;
  rt::Status st = kernel->run(cacheWriteArgs(got));
  ASSERT_TRUE(st.isOk()) << st.toString();
  referenceCacheWrite(spec, w);
  int bad = 0;
  for (const auto &[gotCache, refCache, src] :
       {std::tuple{&got.kCache, &w.kCache, &w.key},
        std::tuple{&got.vCache, &w.vCache, &w.value}}) {
    for (int64_t i = 0; i < tokens * d; ++i) {
      uint8_t a = gotCache->bytes[i], b = refCache->bytes[i];
      bool bothNaN = std::isnan(fp8ToFloat(storage, a)) &&
                     std::isnan(fp8ToFloat(storage, b));
      if (a == b || bothNaN)
        continue;
      if (++bad <= 8)
        ADD_FAILURE() << GetParam() << ": " << src->get(i) << " stored as 0x"
                      << std::hex << int(a) << ", expected 0x" << int(b);
    }
  }
  EXPECT_EQ(bad, 0) << GetParam() << ": " << xs.size() << " values";
  if (rt::isFnuz(storage)) {
    // Never the NaN byte for a finite input; -0 is +0.
    for (int64_t i = 0; i < tokens * d; ++i)
      if (!std::isnan(w.key.get(i)))
        EXPECT_NE(got.kCache.bytes[i], 0x80) << w.key.get(i);
  }
}

/// A kernel compiled for one fp8 format rejects caches of another (the
/// formats differ in bias and specials, so the bytes would be misread),
/// and needs its per-tensor scales; the messages name both dtypes.
TEST_P(Fp8Kernel, RejectsOtherFormats) {
  std::string kvDtype = GetParam();
  DType storage = *rt::parseDType(kvDtype);
  DType other = rt::isFnuz(storage) ? DType::Fp8E4M3 : DType::Fp8E4M3Fnuz;
  std::string writeSpec =
      "name=w,kind=cache_write,kv_heads=2,head_size=64,head_size_v=64,"
      "dtype=bf16,block_size=16,kv_dtype=" +
      kvDtype;
  auto writer = cacheWriteKernel(writeSpec, "w");
  ASSERT_NE(writer, nullptr);
  CacheWriteData w = makeCacheWriteInputs(parse(writeSpec), 8, 2, 0, 1);
  rt::CacheWriteArgs a = cacheWriteArgs(w);
  EXPECT_TRUE(writer->run(a).isOk());
  a.kCache.dtype = DType::U8; // raw bytes are fine (PyTorch's fp8 storage)
  a.vCache.dtype = DType::U8;
  EXPECT_TRUE(writer->run(a).isOk());
  a.kCache.dtype = other;
  rt::Status st = writer->run(a);
  EXPECT_EQ(st.code(), rt::StatusCode::InvalidArgument);
  // (Accepted dtypes are listed in code order; the fnuz codes come last.)
  std::string accepted =
      rt::isFnuz(storage) ? "u8 or " + kvDtype : kvDtype + " or u8";
  EXPECT_NE(st.message().find(std::string("k_cache has dtype ") +
                              rt::dtypeName(other) + "; expected " + accepted),
            std::string::npos)
      << st.message();
  a = cacheWriteArgs(w);
  a.vScale = rt::TensorRef();
  st = writer->run(a);
  EXPECT_NE(st.message().find("v_scale is required (kv_dtype=" + kvDtype + ")"),
            std::string::npos)
      << st.message();
}

INSTANTIATE_TEST_SUITE_P(Formats, Fp8Kernel,
                         ::testing::Values("fp8_e4m3", "fp8_e5m2",
                                           "fp8_e4m3fnuz", "fp8_e5m2fnuz"),
                         [](const ::testing::TestParamInfo<const char *> &i) {
                           std::string name = i.param;
                           name.erase(0, 4); // "fp8_"
                           return name;
                         });

/// Prints the largest relative errors seen (to keep the tolerances honest).
class MaxErrorReporter : public ::testing::EmptyTestEventListener {
  void OnTestProgramEnd(const ::testing::UnitTest &) override {
    for (const auto &[dtype, err] : maxSeen())
      std::printf("[numerics] largest error seen, %s: %.3g\n", dtype.c_str(),
                  err);
  }
};

struct RegisterReporter {
  RegisterReporter() {
    ::testing::UnitTest::GetInstance()->listeners().Append(
        new MaxErrorReporter);
  }
} registerReporter;

} // namespace
