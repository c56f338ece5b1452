//===- DeviceRun.cpp - Run a loaded variant on a device and check it ------===//
//
// Part of the attn project, the numerics test library (AttnReference).
//
//===----------------------------------------------------------------------===//

#include "Reference/DeviceRun.h"

#include "Reference/Inputs.h"

#include "attn/Runtime/Json.h"

#include <algorithm>
#include <sstream>

namespace attn {
namespace ref {

std::optional<std::string> specFromManifest(const rt::KernelInfo &info,
                                            std::string &error) {
  auto parsed = rt::json::parse(info.json);
  if (!parsed.isOk()) {
    error = "cannot parse the manifest entry of '" + info.name +
            "': " + parsed.status().message();
    return std::nullopt;
  }
  const rt::json::Value &e = *parsed;
  auto integer = [&](const char *key, int64_t def) {
    const rt::json::Value *v = e.get(key);
    return v && v->isNumber() ? static_cast<int64_t>(v->asNumber()) : def;
  };
  auto number = [&](const char *key, double def) {
    const rt::json::Value *v = e.get(key);
    return v && v->isNumber() ? v->asNumber() : def;
  };
  auto string = [&](const char *key, const std::string &def) {
    const rt::json::Value *v = e.get(key);
    return v && v->isString() ? v->asString() : def;
  };
  std::ostringstream os;
  os.precision(17);
  std::string kvDtype = string("kv_dtype", "auto");
  if (kvDtype == "f32" || kvDtype == "f16" || kvDtype == "bf16")
    kvDtype = "auto";
  os << "name=" << info.name;
  if (info.kind == rt::KernelKind::CacheWrite) {
    os << ",kind=cache_write,kv_heads=" << info.kvHeads
       << ",head_size=" << info.headSize << ",head_size_v=" << info.headSizeV
       << ",dtype=" << string("dtype", "bf16") << ",kv_dtype=" << kvDtype
       << ",block_size=" << info.blockSize;
    return os.str();
  }
  std::string alibi = string("alibi", "none");
  os << ",kind=attention,kv=" << string("kv_layout", "paged")
     << ",heads=" << info.heads << ",kv_heads=" << info.kvHeads
     << ",head_size=" << info.headSize << ",head_size_v=" << info.headSizeV
     << ",dtype=" << string("dtype", "bf16") << ",kv_dtype=" << kvDtype
     << ",out_dtype=" << string("out_dtype", string("dtype", "bf16"))
     << (info.blockSize > 0 ? ",block_size=" + std::to_string(info.blockSize)
                            : std::string())
     << ",causal=" << integer("causal", 1)
     << ",window=" << integer("window_left", -1) << ":"
     << integer("window_right", -1) << ",softcap=" << number("softcap", 0)
     << ",sinks=" << integer("sinks", 0) << ",alibi="
     << (alibi == "none"   ? "0"
         : alibi == "sqrt" ? "sqrt"
                           : "1")
     << ",mm_prefix=" << integer("mm_prefix", 0);
  if (integer("chunk_size", 0) > 0)
    os << ",chunk=" << integer("chunk_size", 0) << ":"
       << integer("chunk_lookback", 0);
  os << ",qq_bias=" << integer("qq_bias", 0) << ",lse=" << integer("lse", 0)
     << ",scale=" << number("scale", 0);
  return os.str();
}

//===----------------------------------------------------------------------===//
// DeviceMirror
//===----------------------------------------------------------------------===//

static size_t tensorBytes(const rt::TensorRef &t) {
  return size_t(t.numElements()) * rt::dtypeSize(t.dtype);
}

DeviceMirror::~DeviceMirror() {
  for (void *p : owned_)
    (void)device_.free(p);
}

rt::StatusOr<rt::TensorRef> DeviceMirror::up(rt::TensorRef t) {
  if (!t.data || device_.isHostAccessible())
    return t;
  size_t n = std::max<size_t>(tensorBytes(t), 1);
  ATTN_RT_ASSIGN_OR_RETURN(void *p, device_.allocateRaw(n));
  owned_.push_back(p);
  ATTN_RT_RETURN_IF_ERROR(device_.copyToDevice(p, t.data, tensorBytes(t)));
  t.data = p;
  return t;
}

rt::Status DeviceMirror::down(const rt::TensorRef &host,
                              const rt::TensorRef &dev) {
  if (!host.data || host.data == dev.data)
    return rt::Status::ok();
  ATTN_RT_RETURN_IF_ERROR(device_.synchronize());
  return device_.copyToHost(host.data, dev.data, tensorBytes(host));
}

rt::StatusOr<rt::AttentionArgs> DeviceMirror::up(const rt::AttentionArgs &h) {
  rt::AttentionArgs d = h;
  for (auto m :
       {&rt::AttentionArgs::q, &rt::AttentionArgs::kCache,
        &rt::AttentionArgs::vCache, &rt::AttentionArgs::blockTable,
        &rt::AttentionArgs::seqLens, &rt::AttentionArgs::cuSeqlensQ,
        &rt::AttentionArgs::cuSeqlensK, &rt::AttentionArgs::sinks,
        &rt::AttentionArgs::alibiSlopes, &rt::AttentionArgs::mmPrefixRanges,
        &rt::AttentionArgs::qqBias, &rt::AttentionArgs::kScale,
        &rt::AttentionArgs::vScale, &rt::AttentionArgs::outScale,
        &rt::AttentionArgs::out, &rt::AttentionArgs::lse}) {
    ATTN_RT_ASSIGN_OR_RETURN(d.*m, up(h.*m));
  }
  return d;
}

rt::StatusOr<rt::CacheWriteArgs> DeviceMirror::up(const rt::CacheWriteArgs &h) {
  rt::CacheWriteArgs d = h;
  for (auto m : {&rt::CacheWriteArgs::key, &rt::CacheWriteArgs::value,
                 &rt::CacheWriteArgs::kCache, &rt::CacheWriteArgs::vCache,
                 &rt::CacheWriteArgs::slotMapping, &rt::CacheWriteArgs::kScale,
                 &rt::CacheWriteArgs::vScale}) {
    ATTN_RT_ASSIGN_OR_RETURN(d.*m, up(h.*m));
  }
  return d;
}

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

std::vector<rt::Path> launchPaths(const rt::AttentionKernel &kernel) {
  std::vector<rt::Path> paths = {rt::Path::TwoD, rt::Path::Split};
  if (kernel.info().hasWide())
    paths.push_back(rt::Path::TwoDWide);
  return paths;
}

rt::Status runAttentionOnDevice(rt::AttentionKernel &kernel,
                                DeviceMirror &mirror, AttentionData &data,
                                rt::Path path, int64_t maxSeqLen,
                                rt::AttentionArgs *deviceArgs) {
  rt::AttentionArgs host = attentionArgs(data, path);
  host.maxSeqLen = int(maxSeqLen);
  ATTN_RT_ASSIGN_OR_RETURN(rt::AttentionArgs a, mirror.up(host));
  ATTN_RT_RETURN_IF_ERROR(kernel.run(a));
  ATTN_RT_RETURN_IF_ERROR(mirror.down(host.out, a.out));
  ATTN_RT_RETURN_IF_ERROR(mirror.down(host.lse, a.lse));
  if (deviceArgs)
    *deviceArgs = a;
  return rt::Status::ok();
}

std::string AttentionCheck::str() const {
  std::string s = "out: " + out.str();
  if (hasLse)
    s += "; lse: " + lse.str();
  return s;
}

AttentionCheck checkAttention(const VariantSpec &spec, const AttentionData &got,
                              const AttentionResult &ref) {
  AttentionCheck c;
  c.out = compare(decode(got.out), ref.out);
  if (spec.lse) {
    c.hasLse = true;
    c.lse = compare(decode(got.lse), ref.lse);
  }
  return c;
}

//===----------------------------------------------------------------------===//
// Cache write
//===----------------------------------------------------------------------===//

int64_t cacheWriteBlocks(const VariantSpec &spec, int64_t numTokens) {
  return (numTokens + spec.blockSize - 1) / spec.blockSize + 2;
}

rt::CacheWriteArgs cacheWriteArgs(CacheWriteData &w) {
  rt::CacheWriteArgs a;
  a.key = w.key.ref();
  a.value = w.value.ref();
  a.kCache = w.kCache.ref();
  a.vCache = w.vCache.ref();
  a.slotMapping = w.slotMapping.ref();
  a.kScale = w.kScale.ref();
  a.vScale = w.vScale.ref();
  return a;
}

rt::Status runCacheWriteOnDevice(rt::CacheWriteKernel &kernel,
                                 DeviceMirror &mirror, CacheWriteData &data,
                                 rt::CacheWriteArgs *deviceArgs) {
  rt::CacheWriteArgs host = cacheWriteArgs(data);
  ATTN_RT_ASSIGN_OR_RETURN(rt::CacheWriteArgs a, mirror.up(host));
  ATTN_RT_RETURN_IF_ERROR(kernel.run(a));
  ATTN_RT_RETURN_IF_ERROR(mirror.down(host.kCache, a.kCache));
  ATTN_RT_RETURN_IF_ERROR(mirror.down(host.vCache, a.vCache));
  if (deviceArgs)
    *deviceArgs = a;
  return rt::Status::ok();
}

std::string CacheWriteCheck::str() const {
  return "k_cache: " + k.str() + "; v_cache: " + v.str();
}

CacheWriteCheck checkCacheWrite(const VariantSpec &spec,
                                const CacheWriteData &got,
                                const CacheWriteData &expected) {
  CacheWriteCheck c;
  c.k = compareCache(spec, got.kCache, expected.kCache, spec.headSize);
  c.v = compareCache(spec, got.vCache, expected.vCache,
                     spec.effectiveHeadSizeV());
  return c;
}

} // namespace ref
} // namespace attn
