//===- serving_demo.cpp - A simulated serving loop over the paged cache ---===//
//
// Part of the attn project, the examples.
//
//===----------------------------------------------------------------------===//
//
// attn-serving-demo: a small, simulated LLM serving loop built on the attn
// runtime. It compiles its two kernels at start (paged attention and the
// cache write, from one spec string, through the real compiler pipeline)
// unless given --bundle, creates a PagedKVCache for a few layers, and
// serves a handful of requests that share a system prompt:
//
//   * request 0 arrives first and is prefilled alone; its full blocks enter
//     the prefix cache;
//   * requests 1-3 arrive next and reuse those blocks (prefix caching):
//     only their own suffixes are prefilled, batched with request 0's
//     decode;
//   * request 2 asks for two samples (parallel sampling): it is forked
//     after its prefill, and the partial last block is copied on write;
//   * request 4 arrives later with a long prompt that is prefilled in
//     chunks under the step's token budget;
//   * finished requests are freed; their prefix blocks stay cached.
//
// There is no model: each token's K/V (per layer) is a deterministic
// function of the tokens up to it, as a real model's would be, and queries
// are random. Every step prints its kind, token count, time, throughput,
// the cache's block usage and the largest error against the
// double-precision reference (AttnReference), which attends over its own,
// unshared copy of the K/V; the program exits non-zero if any step fails
// verification or any runtime call fails.
//
// Kernels run on a GPU when one is present and the bundle holds kernels
// for it; otherwise on the CPU (the compiler's host target).
//
//===----------------------------------------------------------------------===//

#include "Reference/Inputs.h"
#include "Reference/Reference.h"

#include "attn/Runtime/Json.h"
#include "attn/Runtime/KVCache.h"
#include "attn/Runtime/Runtime.h"
#include "attn/Spec/Spec.h"
#if ATTN_DEMO_WITH_COMPILER
#include "attn/Target/HostBundle.h"
#endif

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <unistd.h>
#include <vector>

using namespace attn;
using rt::DType;
using rt::SeqId;
using rt::Status;
using rt::TensorRef;

namespace {

const char *const kDefaultDemoSpec =
    "name=llama,heads=8,kv_heads=2,head_size=64,dtype=bf16,block_size=16,"
    "causal=1";

struct Options {
  std::string spec = kDefaultDemoSpec;
  bool specGiven = false;
  std::string bundle, writeBundle;
  std::string device = "auto";
  int64_t layers = 2;
  int64_t numBlocks = 96;
  int64_t stepTokens = 128;
  int64_t systemPrompt = 96;
  int64_t maxSteps = 200;
  uint64_t seed = 1;
  double tolerance = 2e-2;
  bool verify = true;
};

void usage() {
  std::printf(
      "usage: attn-serving-demo [options]\n"
      "  --spec=S           attention variant (default: %s);\n"
      "                     kv_dtype=int8_per_token_head etc. quantizes the "
      "cache\n"
      "  --bundle=F         load precompiled kernels instead of compiling\n"
      "  --write-bundle=F   cache-write kernel bundle (default: --bundle, "
      "else compiled)\n"
      "  --device=D         auto (GPU if usable, else CPU), cpu, cuda, hip\n"
      "  --layers=N         model layers (default 2)\n"
      "  --num-blocks=N     KV cache blocks (default 96)\n"
      "  --step-tokens=N    token budget of a step (default 128)\n"
      "  --system-prompt=N  shared prompt length (default 96)\n"
      "  --seed=N           token and data seed (default 1)\n"
      "  --tolerance=X      max relative error vs the reference (default "
      "0.02)\n"
      "  --no-verify        skip the reference check\n",
      kDefaultDemoSpec);
}

bool parseInt(const char *text, int64_t &out) {
  char *end = nullptr;
  long long v = std::strtoll(text, &end, 10);
  if (!*text || *end)
    return false;
  out = v;
  return true;
}

bool parseArgs(int argc, char **argv, Options &o) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char *key, std::string &out) {
      std::string prefix = std::string(key) + "=";
      if (a.compare(0, prefix.size(), prefix) != 0)
        return false;
      out = a.substr(prefix.size());
      return true;
    };
    std::string v;
    int64_t n = 0;
    if (a == "--help" || a == "-h") {
      usage();
      std::exit(0);
    } else if (a == "--no-verify") {
      o.verify = false;
    } else if (value("--spec", v)) {
      o.spec = v;
      o.specGiven = true;
    } else if (value("--bundle", v)) {
      o.bundle = v;
    } else if (value("--write-bundle", v)) {
      o.writeBundle = v;
    } else if (value("--device", v)) {
      o.device = v;
    } else if (value("--tolerance", v)) {
      o.tolerance = std::atof(v.c_str());
    } else if (value("--layers", v) && parseInt(v.c_str(), n) && n > 0) {
      o.layers = n;
    } else if (value("--num-blocks", v) && parseInt(v.c_str(), n) && n > 0) {
      o.numBlocks = n;
    } else if (value("--step-tokens", v) && parseInt(v.c_str(), n) && n >= 16) {
      o.stepTokens = n;
    } else if (value("--system-prompt", v) && parseInt(v.c_str(), n) &&
               n >= 0) {
      o.systemPrompt = n;
    } else if (value("--seed", v) && parseInt(v.c_str(), n)) {
      o.seed = static_cast<uint64_t>(n);
    } else {
      std::fprintf(stderr, "attn-serving-demo: bad argument '%s'\n", argv[i]);
      usage();
      return false;
    }
  }
  return true;
}

uint64_t mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

/// A request of the simulated workload.
struct Request {
  int64_t suffix;  // prompt tokens after the system prompt
  int64_t maxNew;  // tokens to generate
  int64_t arrival; // step at which it arrives
  int samples;     // parallel samples (forks after prefill)
};

/// A sequence waiting for admission: a new request, or a preempted
/// sequence to recompute (its generated tokens are kept).
struct Waiting {
  int64_t request = 0;
  int64_t arrival = 0;
  std::vector<int32_t> tokens;
  int64_t promptLen = 0;
  bool forked = false;
  bool reported = false;
};

/// A running sequence.
struct Seq {
  int64_t request = 0;
  std::vector<int32_t> tokens;
  std::vector<uint64_t> prefix; // hash of tokens [0, p]: "the model state"
  int64_t promptLen = 0;
  int64_t computed = 0;
  bool forked = false;

  void push(int32_t t) {
    uint64_t parent = prefix.empty() ? 0xfeedull : prefix.back();
    tokens.push_back(t);
    prefix.push_back(
        mix(parent + 0x9e3779b97f4a7c15ull * static_cast<uint64_t>(t + 1)));
  }
  int64_t generated() const {
    return static_cast<int64_t>(tokens.size()) - promptLen;
  }
};

#define CHECK_OK(expr)                                                         \
  do {                                                                         \
    Status s_ = (expr);                                                        \
    if (!s_.isOk()) {                                                          \
      std::fflush(stdout);                                                     \
      std::fprintf(stderr, "attn-serving-demo: %s failed: %s\n", #expr,        \
                   s_.toString().c_str());                                     \
      std::exit(1);                                                            \
    }                                                                          \
  } while (false)

template <typename T> T take(rt::StatusOr<T> value, const char *what) {
  if (!value.isOk()) {
    std::fflush(stdout);
    std::fprintf(stderr, "attn-serving-demo: %s: %s\n", what,
                 value.status().toString().c_str());
    std::exit(1);
  }
  return std::move(*value);
}

/// The kernel directory to remove at exit (every exit path).
std::string gKernelDir;

void removeKernelDir() {
  if (!gKernelDir.empty())
    std::system(("rm -rf '" + gKernelDir + "'").c_str());
}

std::string tempDir() {
  const char *base = std::getenv("TMPDIR");
  std::string t =
      std::string(base && *base ? base : "/tmp") + "/attn-serving-demo-XXXXXX";
  std::vector<char> buf(t.begin(), t.end());
  buf.push_back('\0');
  if (!mkdtemp(buf.data())) {
    std::perror("attn-serving-demo: mkdtemp");
    std::exit(1);
  }
  return buf.data();
}

/// The spec string of an attention kernel from its manifest entry (the
/// keys the semantics depend on; docs/KernelABI.md).
std::string specFromManifest(const std::string &jsonText) {
  auto parsed = rt::json::parse(jsonText);
  if (!parsed.isOk())
    return "";
  const rt::json::Value &k = *parsed;
  auto str = [&](const char *key) {
    const rt::json::Value *v = k.get(key);
    if (!v)
      return std::string();
    if (v->isString())
      return v->asString();
    if (v->isInteger())
      return std::to_string(v->asInteger());
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%.17g", v->asNumber());
    return std::string(buf);
  };
  std::string out = "name=" + str("name") + ",heads=" + str("heads") +
                    ",kv_heads=" + str("kv_heads") +
                    ",head_size=" + str("head_size") +
                    ",dtype=" + str("dtype") + ",kv_dtype=" + str("kv_dtype") +
                    ",block_size=" + str("block_size");
  auto add = [&](const char *specKey, const std::string &value) {
    if (!value.empty())
      out += std::string(",") + specKey + "=" + value;
  };
  add("head_size_v", str("head_size_v"));
  add("out_dtype", str("out_dtype"));
  add("causal", str("causal"));
  add("softcap", str("softcap"));
  add("scale", str("scale"));
  add("sinks", str("sinks"));
  add("mm_prefix", str("mm_prefix"));
  add("qq_bias", str("qq_bias"));
  add("lse", str("lse"));
  if (!str("window_left").empty())
    add("window", str("window_left") + ":" + str("window_right"));
  if (!str("chunk_size").empty())
    add("chunk", str("chunk_size") + ":" + str("chunk_lookback"));
  std::string alibi = str("alibi");
  add("alibi", alibi == "none" ? "0" : alibi == "plain" ? "1" : alibi);
  return out;
}

class Demo {
public:
  explicit Demo(Options o) : opt(std::move(o)), rng(opt.seed) {}

  int run();

private:
  void setUpKernels();
  void openDevice();
  std::vector<float> kvRow(uint64_t hash, int64_t layer, int which,
                           int64_t head) const;
  double verifyLayer(int64_t layer, const std::vector<rt::StepSequence> &seqs,
                     const std::vector<int64_t> &ctx,
                     const std::vector<int64_t> &q, const ref::HostTensor &qT);
  int32_t sampleToken() { return static_cast<int32_t>(rng.range(0, 31999)); }
  /// Admits the first waiting sequence; false (and it keeps waiting) when
  /// the cache is out of blocks or sequence slots.
  bool admit(Waiting &w);
  /// Frees the most recently admitted sequence and queues it for
  /// recomputation (vLLM's recompute preemption); false if none is left.
  bool preempt(int64_t step);

  Options opt;
  ref::Rng rng;
  VariantSpec spec;
  std::string attnSo, writeSo, kernelDir;
  std::string attnName = "attn", writeName = "write";
  std::string specText;
  double compileSeconds = 0;
  std::unique_ptr<rt::Device> device;
  std::string deviceNote;
  std::unique_ptr<rt::Module> attnModule, writeModule;
  std::unique_ptr<rt::AttentionKernel> attention;
  std::unique_ptr<rt::CacheWriteKernel> write;
  std::unique_ptr<rt::PagedKVCache> cache;
  rt::Buffer qBuf, outBuf, keyBuf, valueBuf;
  float kScale = 1.0f, vScale = 1.0f;

  std::vector<int32_t> system;
  std::vector<Request> requests;
  std::map<SeqId, Seq> seqs;
  std::vector<Waiting> waiting;
  SeqId nextSeqId = 0;
  int64_t preemptions = 0;
};

void Demo::setUpKernels() {
  std::string error;
  auto parsed = parseSpec(opt.spec, error);
  if (!parsed) {
    std::fprintf(stderr, "attn-serving-demo: bad --spec: %s\n", error.c_str());
    std::exit(1);
  }
  spec = *parsed;
  specText = opt.spec;
  if (spec.kind != "attention" || spec.kv != "paged") {
    std::fprintf(stderr, "attn-serving-demo: --spec must be a paged "
                         "attention variant\n");
    std::exit(1);
  }
  if (spec.sinks || spec.alibi != "0" || spec.mmPrefix || spec.qqBias ||
      spec.lse || ref::outDtypeOf(spec) != ref::dtypeOf(spec)) {
    std::fprintf(stderr,
                 "attn-serving-demo: the demo feeds q, K/V and the cache "
                 "only; pick a variant without sinks, alibi, mm_prefix, "
                 "qq_bias, lse or an fp8 output\n");
    std::exit(1);
  }
  attnName = spec.name;
  writeName = spec.name + "_write";
  if (!opt.bundle.empty()) {
    attnSo = opt.bundle;
    writeSo = opt.writeBundle.empty() ? opt.bundle : opt.writeBundle;
    return;
  }
#if !ATTN_DEMO_WITH_COMPILER
  std::fprintf(stderr, "attn-serving-demo: this build has no compiler "
                       "(ATTN_BUILD_COMPILER=OFF): give --bundle and "
                       "--write-bundle\n");
  std::exit(1);
#else
  kernelDir = tempDir();
  gKernelDir = kernelDir;
  std::atexit(removeKernelDir);
  attnSo = kernelDir + "/" + attnName + ".so";
  writeSo = kernelDir + "/" + writeName + ".so";
  auto start = std::chrono::steady_clock::now();
  if (!mlir::attn::compileSpecToHostBundle(opt.spec, attnSo, error) ||
      !mlir::attn::compileSpecToHostBundle(
          ref::cacheWriteSpecFor(spec, writeName), writeSo, error)) {
    std::fprintf(stderr,
                 "attn-serving-demo: compiling the kernels failed: "
                 "%s\n",
                 error.c_str());
    std::exit(1);
  }
  compileSeconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
#endif
}

void Demo::openDevice() {
  // GPU first (when asked or on auto); a GPU is used only if it opens and
  // the bundles load on it.
  std::vector<rt::DeviceKind> kinds;
  if (opt.device == "auto")
    kinds = {rt::DeviceKind::CUDA, rt::DeviceKind::HIP, rt::DeviceKind::CPU};
  else if (auto k = rt::parseDeviceKind(opt.device))
    kinds = {*k};
  else {
    std::fprintf(stderr, "attn-serving-demo: unknown --device '%s'\n",
                 opt.device.c_str());
    std::exit(1);
  }
  for (rt::DeviceKind kind : kinds) {
    auto opened = rt::Device::open(kind);
    if (!opened.isOk()) {
      deviceNote += std::string(rt::deviceKindName(kind)) + ": " +
                    opened.status().message() + "; ";
      continue;
    }
    auto am = (*opened)->loadModule(attnSo);
    auto wm = am.isOk()
                  ? (*opened)->loadModule(writeSo)
                  : rt::StatusOr<std::unique_ptr<rt::Module>>(am.status());
    if (!am.isOk() || !wm.isOk()) {
      deviceNote += std::string(rt::deviceKindName(kind)) +
                    ": cannot load the bundles (" +
                    (am.isOk() ? wm : am).status().message() + "); ";
      continue;
    }
    device = std::move(*opened);
    attnModule = std::move(*am);
    writeModule = std::move(*wm);
    break;
  }
  if (!device) {
    std::fprintf(stderr, "attn-serving-demo: no usable device: %s\n",
                 deviceNote.c_str());
    std::exit(1);
  }
  // With --bundle, take the bundle's own kernel names.
  if (!opt.bundle.empty()) {
    const rt::KernelInfo *a = nullptr, *w = nullptr;
    for (const rt::KernelInfo &k : attnModule->kernels())
      if (k.kind == rt::KernelKind::Attention && !a)
        a = &k;
    for (const rt::KernelInfo &k : writeModule->kernels())
      if (k.kind == rt::KernelKind::CacheWrite && !w)
        w = &k;
    if (!a || !w) {
      std::fprintf(stderr,
                   "attn-serving-demo: the bundles need an attention and a "
                   "cache_write kernel (pass --write-bundle)\n");
      std::exit(1);
    }
    attnName = a->name;
    writeName = w->name;
    if (!opt.specGiven) {
      std::string error;
      specText = a->spec.empty() ? specFromManifest(a->json) : a->spec;
      auto parsed = parseSpec(specText, error);
      if (!parsed) {
        std::fprintf(stderr,
                     "attn-serving-demo: cannot tell kernel '%s''s variant "
                     "from its manifest (%s); pass --spec\n",
                     a->name.c_str(), error.c_str());
        std::exit(1);
      }
      spec = *parsed;
    }
  }
}

std::vector<float> Demo::kvRow(uint64_t hash, int64_t layer, int which,
                               int64_t head) const {
  ref::Rng r(hash ^
             mix(static_cast<uint64_t>(1 + layer * 16 + which * 4 + head)));
  std::vector<float> row(static_cast<size_t>(
      which == 0 ? spec.headSize : spec.effectiveHeadSizeV()));
  for (float &x : row)
    x = static_cast<float>(ref::roundTo(ref::dtypeOf(spec), r.normal()));
  return row;
}

bool Demo::admit(Waiting &w) {
  Seq s;
  s.request = w.request;
  for (int32_t t : w.tokens)
    s.push(t);
  s.promptLen = w.promptLen;
  s.forked = w.forked;
  SeqId id = nextSeqId;
  // Keep one block per running sequence in reserve for its next decode
  // token, so that admitting a prompt does not force a preemption.
  const rt::BlockManager &bm = cache->blockManager();
  int64_t bs = bm.blockSize(), n = static_cast<int64_t>(s.tokens.size());
  int64_t needed =
      (n + bs - 1) / bs - bm.cachedPrefixLength(s.tokens.data(), n) / bs;
  int64_t reserve = static_cast<int64_t>(seqs.size());
  if (!seqs.empty() && needed + reserve > bm.usage().available()) {
    if (!w.reported)
      std::printf("      . request %" PRId64 " waits: it needs %" PRId64
                  " new blocks, %" PRId64 " are available and %" PRId64
                  " are kept for the running sequences\n",
                  w.request, needed, bm.usage().available(), reserve);
    w.reported = true;
    return false;
  }
  auto added = cache->addSequence(id, s.tokens);
  if (!added.isOk()) {
    if (added.status().code() != rt::StatusCode::OutOfMemory)
      take(std::move(added), "addSequence");
    if (!w.reported)
      std::printf("      . request %" PRId64 " waits: %s\n", w.request,
                  added.status().message().c_str());
    w.reported = true;
    return false;
  }
  ++nextSeqId;
  s.computed = *added;
  std::printf("      + request %" PRId64 " %s as sequence %" PRId64 ": %zu "
              "tokens, %" PRId64 " found in the prefix cache\n",
              w.request, s.generated() ? "resumes" : "arrives", id,
              s.tokens.size(), *added);
  seqs[id] = s;
  return true;
}

bool Demo::preempt(int64_t step) {
  if (seqs.empty())
    return false;
  auto victim = std::prev(seqs.end());
  SeqId id = victim->first;
  const Seq &s = victim->second;
  Waiting w;
  w.request = s.request;
  w.arrival = step + 1;
  w.tokens = s.tokens;
  w.promptLen = s.promptLen;
  w.forked = s.forked;
  // Tokens not computed yet are dropped; they are sampled again.
  w.tokens.resize(static_cast<size_t>(std::max(s.computed, s.promptLen)));
  CHECK_OK(cache->freeSequence(id));
  std::printf("      ! sequence %" PRId64 " (request %" PRId64
              ") preempted: the cache is out of blocks; it will be "
              "recomputed\n",
              id, s.request);
  seqs.erase(victim);
  waiting.insert(waiting.begin(), std::move(w));
  ++preemptions;
  return true;
}

double Demo::verifyLayer(int64_t layer,
                         const std::vector<rt::StepSequence> &step,
                         const std::vector<int64_t> &ctx,
                         const std::vector<int64_t> &q,
                         const ref::HostTensor &qT) {
  int64_t heads = spec.heads, kvh = spec.kvHeads, d = spec.headSize,
          dv = spec.effectiveHeadSizeV(), bs = spec.blockSize;
  int64_t pad = ref::kvRowPad(spec);
  int64_t numSeqs = static_cast<int64_t>(step.size());
  int64_t n = 0, maxBlocks = 1;
  for (size_t i = 0; i < step.size(); ++i) {
    n += q[i];
    maxBlocks = std::max(maxBlocks, (ctx[i] + q[i] + bs - 1) / bs);
  }
  DType storage = ref::kvStorageOf(spec);
  size_t elem = rt::dtypeSize(storage);
  ref::AttentionData data;
  data.q = qT;
  data.k = ref::HostTensor(storage, {numSeqs * maxBlocks, bs, kvh, d + pad});
  data.v = ref::HostTensor(storage, {numSeqs * maxBlocks, bs, kvh, dv + pad});
  data.blockTable = ref::HostTensor(DType::I32, {numSeqs, maxBlocks});
  data.seqLens = ref::HostTensor(DType::I32, {numSeqs});
  data.cuSeqlensQ = ref::HostTensor(DType::I32, {numSeqs + 1});
  if (ref::kvQuantOf(spec) == ref::KvQuant::PerTensor) {
    data.kScale = ref::HostTensor(DType::F32, {1});
    data.vScale = ref::HostTensor(DType::F32, {1});
    data.kScale.set(0, kScale);
    data.vScale.set(0, vScale);
  }
  int64_t cu = 0;
  for (int64_t i = 0; i < numSeqs; ++i) {
    const Seq &s = seqs.at(step[i].id);
    for (int64_t b = 0; b < maxBlocks; ++b)
      data.blockTable.set(i * maxBlocks + b,
                          static_cast<double>(i * maxBlocks + b));
    for (int64_t p = 0; p < ctx[i] + q[i]; ++p) {
      int64_t slot = (i * maxBlocks + p / bs) * bs + p % bs;
      for (int64_t h = 0; h < kvh; ++h) {
        std::vector<float> k = kvRow(s.prefix[p], layer, 0, h);
        std::vector<float> v = kvRow(s.prefix[p], layer, 1, h);
        ref::quantizeRow(spec, k.data(), d, kScale,
                         data.k.bytes.data() +
                             (slot * kvh + h) * (d + pad) * elem);
        ref::quantizeRow(spec, v.data(), dv, vScale,
                         data.v.bytes.data() +
                             (slot * kvh + h) * (dv + pad) * elem);
      }
    }
    data.cuSeqlensQ.set(i, static_cast<double>(cu));
    cu += q[i];
    data.seqLens.set(i, static_cast<double>(ctx[i] + q[i]));
  }
  data.cuSeqlensQ.set(numSeqs, static_cast<double>(cu));
  ref::AttentionResult expected = ref::referenceAttention(spec, data);
  ref::HostTensor got(ref::outDtypeOf(spec), {n, heads, dv});
  CHECK_OK(device->copyToHost(got.data(), outBuf.data(), got.bytes.size()));
  ref::Comparison cmp = ref::compare(ref::decode(got), expected.out);
  if (!cmp.within(opt.tolerance))
    std::printf("      ! layer %" PRId64 ": %s\n", layer, cmp.str().c_str());
  return cmp.within(opt.tolerance) ? cmp.relErr
                                   : std::max(cmp.relErr, 1.0 + opt.tolerance);
}

int Demo::run() {
  setUpKernels();
  openDevice();
  attention = take(rt::AttentionKernel::create(*device, *attnModule, attnName,
                                               opt.stepTokens),
                   "creating the attention kernel");
  write = take(rt::CacheWriteKernel::create(*device, *writeModule, writeName),
               "creating the cache-write kernel");

  rt::KVCacheConfig c;
  c.numLayers = opt.layers;
  c.numBlocks = opt.numBlocks;
  c.blockSize = spec.blockSize;
  c.numKvHeads = spec.kvHeads;
  c.headSize = spec.headSize;
  c.headSizeV = spec.effectiveHeadSizeV();
  c.dtype = ref::dtypeOf(spec);
  c.kvDType = rt::parseKvDType(spec.kvDtype).value_or(rt::KvDType::Auto);
  c.maxNumSeqs = 16;
  c.maxNumBatchedTokens = opt.stepTokens;
  c.maxBlocksPerSeq =
      (opt.systemPrompt + 400 + spec.blockSize - 1) / spec.blockSize;
  cache = take(rt::PagedKVCache::create(*device, c), "creating the KV cache");
  CHECK_OK(cache->checkKernel(attention->info()));
  CHECK_OK(cache->checkKernel(write->info()));
  if (rt::needsPerTensorScale(c.kvDType)) {
    kScale = 0.5f;
    vScale = 0.25f;
    CHECK_OK(cache->setScales(-1, kScale, vScale));
  }
  size_t elem = rt::dtypeSize(c.dtype);
  size_t outElem = rt::dtypeSize(ref::outDtypeOf(spec));
  size_t maxTok = static_cast<size_t>(opt.stepTokens);
  qBuf = take(device->allocate(maxTok * spec.heads * spec.headSize * elem),
              "allocating q");
  outBuf = take(device->allocate(maxTok * spec.heads * c.headSizeV * outElem),
                "allocating out");
  keyBuf = take(device->allocate(maxTok * spec.kvHeads * spec.headSize * elem),
                "allocating key");
  valueBuf = take(device->allocate(maxTok * spec.kvHeads * c.headSizeV * elem),
                  "allocating value");

  rt::KVCacheStats cs = cache->stats();
  std::printf("attn serving demo\n");
  std::printf(
      "  device:  %s%s%s\n", device->name().c_str(),
      deviceNote.empty() ? "" : "  (",
      deviceNote.empty()
          ? ""
          : (deviceNote.substr(0, deviceNote.size() - 2) + ")").c_str());
  std::printf("  model:   %" PRId64 " layers of %s\n", opt.layers,
              specText.c_str());
  if (opt.bundle.empty())
    std::printf("  kernels: '%s' and '%s' compiled for the host in %.2f s\n",
                attnName.c_str(), writeName.c_str(), compileSeconds);
  else
    std::printf("  kernels: '%s' from %s, '%s' from %s\n", attnName.c_str(),
                attnSo.c_str(), writeName.c_str(), writeSo.c_str());
  std::printf("  cache:   %" PRId64 " blocks x %" PRId64
              " slots, %s, %.2f MiB in %" PRId64
              " layers; prefix caching on; step budget %" PRId64 " tokens\n",
              c.numBlocks, c.blockSize, rt::kvDTypeName(c.kvDType),
              cs.cacheBytes / 1048576.0, opt.layers, opt.stepTokens);

  // The workload: a shared system prompt and five requests.
  for (int64_t i = 0; i < opt.systemPrompt; ++i)
    system.push_back(sampleToken());
  requests = {{21, 24, 1, 1},
              {50, 40, 2, 1},
              {7, 20, 2, 2},
              {33, 32, 2, 1},
              {200, 16, 12, 1}};
  for (size_t r = 0; r < requests.size(); ++r) {
    Waiting w;
    w.request = static_cast<int64_t>(r);
    w.arrival = requests[r].arrival;
    w.tokens = system;
    for (int64_t i = 0; i < requests[r].suffix; ++i)
      w.tokens.push_back(sampleToken());
    w.promptLen = static_cast<int64_t>(w.tokens.size());
    waiting.push_back(std::move(w));
  }

  std::printf("\n step  kind     seqs tokens  time(ms)   tokens/s  "
              "blocks used/free/cached  copies  max rel err\n");
  int64_t totalTokens = 0, steps = 0, attentionCalls = 0, copies = 0;
  double totalSeconds = 0, worst = 0;
  bool failed = false;
  for (int64_t step = 1; step <= opt.maxSteps; ++step) {
    // Admission, first come first served.
    while (!waiting.empty() && waiting.front().arrival <= step &&
           admit(waiting.front()))
      waiting.erase(waiting.begin());
    if (seqs.empty()) {
      if (waiting.empty())
        break;
      if (waiting.front().arrival <= step) {
        std::fflush(stdout);
        std::fprintf(stderr,
                     "attn-serving-demo: request %" PRId64
                     " can never fit in the cache (--num-blocks is too "
                     "small)\n",
                     waiting.front().request);
        return 1;
      }
      continue;
    }

    // Schedule: every decoding sequence gets its next token; prefills
    // share what is left of the token budget, in arrival order.
    std::vector<SeqId> live;
    for (const auto &entry : seqs)
      live.push_back(entry.first);
    for (SeqId id : live) {
      if (!seqs.count(id))
        continue; // preempted
      Seq &s = seqs.at(id);
      if (s.computed != static_cast<int64_t>(s.tokens.size()))
        continue;
      int32_t t = sampleToken();
      Status st;
      // Out of blocks: nothing changed; preempt the newest sequence and
      // retry (or give up this sequence if it was the newest).
      while (!(st = cache->appendToken(id, t)).isOk()) {
        if (st.code() != rt::StatusCode::OutOfMemory)
          CHECK_OK(st);
        if (!preempt(step) || !seqs.count(id))
          break;
      }
      if (st.isOk())
        s.push(t);
    }
    if (seqs.empty())
      continue;
    int64_t budget = opt.stepTokens;
    std::vector<rt::StepSequence> batch;
    std::vector<int64_t> ctx, q;
    for (int pass = 0; pass < 2; ++pass)
      for (auto &entry : seqs) {
        const Seq &s = entry.second;
        int64_t left = static_cast<int64_t>(s.tokens.size()) - s.computed;
        bool decode = left == 1 && s.generated() > 0;
        if ((pass == 0) != decode || left == 0 || budget == 0)
          continue;
        int64_t chunk = std::min(left, budget);
        budget -= chunk;
        batch.push_back({entry.first, chunk});
        ctx.push_back(s.computed);
        q.push_back(chunk);
      }
    int64_t numTokens = opt.stepTokens - budget;
    bool anyPrefill = false, anyDecode = false;
    for (size_t i = 0; i < batch.size(); ++i)
      (seqs.at(batch[i].id).generated() > 0 && q[i] == 1 ? anyDecode
                                                         : anyPrefill) = true;
    const char *kind = anyPrefill && anyDecode ? "mixed"
                       : anyPrefill            ? "prefill"
                                               : "decode";

    // Inputs of each layer, made before the clock starts (a model would
    // produce them).
    int64_t heads = spec.heads, kvh = spec.kvHeads, d = spec.headSize,
            dv = c.headSizeV;
    std::vector<ref::HostTensor> qs, keys, values;
    for (int64_t layer = 0; layer < opt.layers; ++layer) {
      ref::HostTensor qT(c.dtype, {numTokens, heads, d});
      ref::HostTensor kT(c.dtype, {numTokens, kvh, d});
      ref::HostTensor vT(c.dtype, {numTokens, kvh, dv});
      int64_t row = 0;
      for (size_t i = 0; i < batch.size(); ++i) {
        const Seq &s = seqs.at(batch[i].id);
        for (int64_t p = ctx[i]; p < ctx[i] + q[i]; ++p, ++row) {
          for (int64_t h = 0; h < kvh; ++h) {
            std::vector<float> k = kvRow(s.prefix[p], layer, 0, h);
            std::vector<float> v = kvRow(s.prefix[p], layer, 1, h);
            for (int64_t e = 0; e < d; ++e)
              kT.set((row * kvh + h) * d + e, k[e]);
            for (int64_t e = 0; e < dv; ++e)
              vT.set((row * kvh + h) * dv + e, v[e]);
          }
          ref::Rng r(s.prefix[p] ^ 0x51ull ^ static_cast<uint64_t>(layer));
          for (int64_t e = 0; e < heads * d; ++e)
            qT.set(row * heads * d + e, r.normal());
        }
      }
      qs.push_back(std::move(qT));
      keys.push_back(std::move(kT));
      values.push_back(std::move(vT));
    }

    // The step: metadata (and copy-on-write copies), then per layer the
    // cache write and the attention.
    double seconds = 0;
    auto start = std::chrono::steady_clock::now();
    rt::StepMetadata m = take(cache->prepareStep(batch), "prepareStep");
    seconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    double stepErr = 0;
    for (int64_t layer = 0; layer < opt.layers; ++layer) {
      CHECK_OK(device->copyToDevice(qBuf.data(), qs[layer].data(),
                                    qs[layer].bytes.size()));
      CHECK_OK(device->copyToDevice(keyBuf.data(), keys[layer].data(),
                                    keys[layer].bytes.size()));
      CHECK_OK(device->copyToDevice(valueBuf.data(), values[layer].data(),
                                    values[layer].bytes.size()));
      TensorRef key =
          TensorRef::make(keyBuf.data(), c.dtype, {numTokens, kvh, d});
      TensorRef value =
          TensorRef::make(valueBuf.data(), c.dtype, {numTokens, kvh, dv});
      TensorRef qr =
          TensorRef::make(qBuf.data(), c.dtype, {numTokens, heads, d});
      TensorRef out = TensorRef::make(outBuf.data(), ref::outDtypeOf(spec),
                                      {numTokens, heads, dv});
      auto t0 = std::chrono::steady_clock::now();
      CHECK_OK(cache->writeKV(layer, *write, key, value));
      CHECK_OK(cache->runAttention(layer, *attention, qr, out));
      CHECK_OK(device->synchronize());
      seconds +=
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
              .count();
      ++attentionCalls;
      if (opt.verify)
        stepErr =
            std::max(stepErr, verifyLayer(layer, batch, ctx, q, qs[layer]));
    }
    for (size_t i = 0; i < batch.size(); ++i)
      seqs.at(batch[i].id).computed += q[i];
    ++steps;
    totalTokens += numTokens;
    totalSeconds += seconds;
    copies += m.numBlockCopies;
    worst = std::max(worst, stepErr);
    bool ok = stepErr <= opt.tolerance;
    failed |= !ok;
    rt::BlockUsage u = cache->blockManager().usage();
    char errText[32];
    if (opt.verify)
      std::snprintf(errText, sizeof(errText), "%.2e%s", stepErr,
                    ok ? "" : "  FAIL");
    else
      std::snprintf(errText, sizeof(errText), "-");
    char blocks[48];
    std::snprintf(blocks, sizeof(blocks), "%" PRId64 "/%" PRId64 "/%" PRId64,
                  u.used, u.free, u.cached);
    std::printf("%5" PRId64 "  %-7s %5" PRId64 " %6" PRId64
                " %9.3f %10.0f  %23s %7" PRId64 "  %s\n",
                step, kind, m.numSeqs, numTokens, seconds * 1e3,
                seconds > 0 ? numTokens / seconds : 0.0, blocks,
                m.numBlockCopies, errText);
    std::fflush(stdout);

    // After the step: fork requests that want several samples once their
    // prompt is in, and retire finished sequences.
    std::vector<SeqId> ids;
    for (const auto &entry : seqs)
      ids.push_back(entry.first);
    for (SeqId id : ids) {
      Seq &s = seqs.at(id);
      const Request &r = requests[s.request];
      if (r.samples > 1 && !s.forked && s.computed == s.promptLen) {
        s.forked = true;
        for (int k = 1; k < r.samples; ++k) {
          SeqId child = nextSeqId++;
          CHECK_OK(cache->forkSequence(id, child));
          seqs[child] = seqs.at(id);
          std::printf("      ~ request %" PRId64 ": sequence %" PRId64
                      " forked into %" PRId64
                      " (parallel sampling; blocks shared)\n",
                      s.request, id, child);
        }
      }
    }
    for (SeqId id : ids) {
      const Seq &s = seqs.at(id);
      if (s.generated() >= requests[s.request].maxNew &&
          s.computed == static_cast<int64_t>(s.tokens.size())) {
        CHECK_OK(cache->freeSequence(id));
        std::printf("      - sequence %" PRId64 " (request %" PRId64
                    ") finished: %" PRId64 " tokens generated\n",
                    id, s.request, s.generated());
        seqs.erase(id);
      }
    }
  }

  rt::KVCacheStats end = cache->stats();
  std::printf("\nsummary: %" PRId64 " steps, %" PRId64
              " tokens in %.3f s of cache + kernel time (%.0f tokens/s)\n",
              steps, totalTokens, totalSeconds,
              totalSeconds > 0 ? totalTokens / totalSeconds : 0.0);
  std::printf("  prefix cache: %" PRId64 " of %" PRId64
              " prompt tokens reused; %" PRId64
              " copy-on-write block copies; %" PRId64 " evictions; %" PRId64
              " preemptions\n",
              end.counters.prefixHitTokens, end.counters.prefixQueryTokens,
              copies, end.counters.evictions, preemptions);
  std::printf("  blocks at the end: %" PRId64 " used, %" PRId64
              " free, %" PRId64 " cached (of %" PRId64 ")\n",
              end.blocks.used, end.blocks.free, end.blocks.cached,
              end.blocks.total);
  Status inv = cache->blockManager().checkInvariants();
  if (!inv.isOk()) {
    std::printf("  block manager: %s\n", inv.toString().c_str());
    failed = true;
  }
  if (end.blocks.used != 0) {
    std::printf("  ! %" PRId64 " blocks still used after every request "
                "finished\n",
                end.blocks.used);
    failed = true;
  }
  if (opt.verify)
    std::printf("verification: %s (max rel err %.2e, tolerance %.0e, %" PRId64
                " attention calls checked against the reference)\n",
                failed ? "FAILED" : "PASSED", worst, opt.tolerance,
                attentionCalls);
  return failed ? 1 : 0;
}

} // namespace

int main(int argc, char **argv) {
  Options o;
  if (!parseArgs(argc, argv, o))
    return 2;
  Demo demo(o);
  return demo.run();
}
