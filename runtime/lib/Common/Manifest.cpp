//===- Manifest.cpp - Kernel manifests of host bundles --------------------===//
//
// Part of the attn project, the runtime library (libattnrt).
//
//===----------------------------------------------------------------------===//

#include "attn/Runtime/Manifest.h"

#include <cstring>
#include <set>

namespace attn {
namespace rt {

const char *kernelKindName(KernelKind kind) {
  return kind == KernelKind::Attention ? "attention" : "cache_write";
}

const char *kvLayoutName(KvLayout layout) {
  return layout == KvLayout::Paged ? "paged" : "varlen";
}

int64_t KernelInfo::kCacheLastDim() const {
  return headSize + (isPerTokenHead(kvDType) ? 4 : 0);
}

int64_t KernelInfo::vCacheLastDim() const {
  return headSizeV + (isPerTokenHead(kvDType) ? 4 : 0);
}

namespace {
/// Reads typed keys of one manifest entry, producing errors that name the
/// entry and the key.
class EntryReader {
public:
  EntryReader(const json::Value &entry, std::string where)
      : entry_(entry), where_(std::move(where)) {}

  void setName(const std::string &name) {
    where_ = "manifest kernel '" + name + "'";
  }

  Status error(const std::string &what) const {
    return invalidArgument(where_, ": ", what);
  }

  Status missing(const char *key) const {
    return error(std::string("missing key \"") + key + "\"");
  }

  Status wrongType(const char *key, const char *expected,
                   const json::Value &got) const {
    return error(std::string("key \"") + key + "\" must be " + expected +
                 ", got " + json::serialize(got));
  }

  Status readInt(const char *key, int64_t &out, int64_t minValue,
                 bool required) const {
    const json::Value *v = entry_.get(key);
    if (!v)
      return required ? missing(key) : Status::ok();
    if (!v->isInteger() || v->asInteger() < minValue)
      return wrongType(
          key, minValue > 0 ? "a positive integer" : "a non-negative integer",
          *v);
    out = v->asInteger();
    return Status::ok();
  }

  Status readFlag(const char *key, bool &out, bool required) const {
    const json::Value *v = entry_.get(key);
    if (!v)
      return required ? missing(key) : Status::ok();
    if (v->isBool()) {
      out = v->asBool();
      return Status::ok();
    }
    if (v->isInteger() && (v->asInteger() == 0 || v->asInteger() == 1)) {
      out = v->asInteger() == 1;
      return Status::ok();
    }
    return wrongType(key, "0, 1, true or false", *v);
  }

  Status readString(const char *key, std::string &out, bool required) const {
    const json::Value *v = entry_.get(key);
    if (!v)
      return required ? missing(key) : Status::ok();
    if (!v->isString())
      return wrongType(key, "a string", *v);
    out = v->asString();
    return Status::ok();
  }

  Status readNumber(const char *key, double &out, bool required) const {
    const json::Value *v = entry_.get(key);
    if (!v)
      return required ? missing(key) : Status::ok();
    if (!v->isNumber())
      return wrongType(key, "a number", *v);
    out = v->asNumber();
    return Status::ok();
  }

  Status readDType(const char *key, DType &out, bool required) const {
    std::string text;
    bool present = entry_.get(key) != nullptr;
    ATTN_RT_RETURN_IF_ERROR(readString(key, text, required));
    if (!present)
      return Status::ok();
    std::optional<DType> dtype = parseDType(text);
    if (!dtype)
      return error(std::string("key \"") + key + "\" has unknown dtype \"" +
                   text +
                   "\" (expected f32, f16, bf16, fp8_e4m3, fp8_e5m2, "
                   "fp8_e4m3fnuz, fp8_e5m2fnuz, i8, u8, i32 or i64)");
    out = *dtype;
    return Status::ok();
  }

  const json::Value *get(const char *key) const { return entry_.get(key); }

private:
  const json::Value &entry_;
  std::string where_;
};

Status readFunctions(const EntryReader &reader, KernelInfo &info) {
  const json::Value *functions = reader.get("functions");
  if (!functions)
    return reader.missing("functions");
  if (!functions->isObject())
    return reader.wrongType("functions", "an object", *functions);
  struct Slot {
    const char *key;
    std::string *target;
  } slots[] = {{"2d", &info.functions.twoD},
               {"2d_wide", &info.functions.twoDWide},
               {"split", &info.functions.split},
               {"reduce", &info.functions.reduce},
               {"write", &info.functions.write}};
  for (const Slot &slot : slots) {
    const json::Value *v = functions->get(slot.key);
    if (!v)
      continue;
    if (!v->isString() || v->asString().empty())
      return reader.error(std::string("functions.\"") + slot.key +
                          "\" must be a non-empty string, got " +
                          json::serialize(*v));
    *slot.target = v->asString();
  }
  auto require = [&](const char *key, const std::string &value,
                     const char *why) -> Status {
    if (!value.empty())
      return Status::ok();
    return reader.error(std::string("functions has no \"") + key + "\" (" +
                        why + ")");
  };
  if (info.kind == KernelKind::CacheWrite)
    return require("write", info.functions.write,
                   "a cache_write kernel needs one");
  ATTN_RT_RETURN_IF_ERROR(
      require("2d", info.functions.twoD, "an attention kernel needs one"));
  if (info.segments > 0) {
    ATTN_RT_RETURN_IF_ERROR(
        require("split", info.functions.split, "segments > 0"));
    ATTN_RT_RETURN_IF_ERROR(
        require("reduce", info.functions.reduce, "segments > 0"));
  }
  if (info.wideBlockQ > 0)
    ATTN_RT_RETURN_IF_ERROR(
        require("2d_wide", info.functions.twoDWide, "wide_block_q > 0"));
  if (!info.functions.twoDWide.empty() && info.wideBlockQ == 0)
    return reader.error("functions.\"2d_wide\" needs wide_block_q");
  return Status::ok();
}

Status readAttention(const EntryReader &r, KernelInfo &info) {
  ATTN_RT_RETURN_IF_ERROR(r.readInt("heads", info.heads, 1, true));
  if (info.heads % info.kvHeads != 0)
    return r.error("heads (" + std::to_string(info.heads) +
                   ") must be a multiple of kv_heads (" +
                   std::to_string(info.kvHeads) + ")");
  ATTN_RT_RETURN_IF_ERROR(r.readFlag("causal", info.causal, false));
  ATTN_RT_RETURN_IF_ERROR(r.readInt("window_left", info.windowLeft, -1, false));
  ATTN_RT_RETURN_IF_ERROR(r.readFlag("sinks", info.sinks, true));
  ATTN_RT_RETURN_IF_ERROR(r.readString("alibi", info.alibi, true));
  if (info.alibi.empty())
    return r.error("key \"alibi\" must be \"none\" or an ALiBi form, got \"\"");
  ATTN_RT_RETURN_IF_ERROR(r.readFlag("mm_prefix", info.mmPrefix, true));
  ATTN_RT_RETURN_IF_ERROR(r.readFlag("qq_bias", info.qqBias, true));
  ATTN_RT_RETURN_IF_ERROR(r.readFlag("lse", info.lse, true));
  ATTN_RT_RETURN_IF_ERROR(r.readNumber("scale", info.scale, false));
  ATTN_RT_RETURN_IF_ERROR(r.readInt("block_q", info.blockQ, 1, true));
  ATTN_RT_RETURN_IF_ERROR(r.readInt("block_m", info.blockM, 1, false));
  ATTN_RT_RETURN_IF_ERROR(r.readInt("block_n", info.blockN, 1, true));
  ATTN_RT_RETURN_IF_ERROR(r.readInt("segments", info.segments, 0, true));
  ATTN_RT_RETURN_IF_ERROR(r.readInt("wide_block_q", info.wideBlockQ, 1, false));
  ATTN_RT_RETURN_IF_ERROR(r.readInt("wide_block_m", info.wideBlockM, 1,
                                    info.wideBlockQ > 0));
  if (info.wideBlockQ > 0 && info.wideBlockQ <= info.blockQ)
    return r.error("wide_block_q (" + std::to_string(info.wideBlockQ) +
                   ") must exceed block_q (" + std::to_string(info.blockQ) +
                   ")");
  info.outDType = info.dtype;
  return r.readDType("out_dtype", info.outDType, false);
}
} // namespace

StatusOr<KernelInfo> parseKernelInfo(const json::Value &entry) {
  EntryReader r(entry, "manifest kernel");
  if (!entry.isObject())
    return r.error(std::string("must be an object, got ") +
                   json::kindName(entry.kind()));
  KernelInfo info;
  ATTN_RT_RETURN_IF_ERROR(r.readString("name", info.name, true));
  if (info.name.empty())
    return r.error("key \"name\" must not be empty");
  r.setName(info.name);

  std::string kind;
  ATTN_RT_RETURN_IF_ERROR(r.readString("kind", kind, true));
  if (kind == "attention")
    info.kind = KernelKind::Attention;
  else if (kind == "cache_write")
    info.kind = KernelKind::CacheWrite;
  else
    return r.error("unknown kind \"" + kind +
                   "\" (expected \"attention\" or \"cache_write\")");
  ATTN_RT_RETURN_IF_ERROR(r.readString("spec", info.spec, false));

  std::string layout = "paged";
  bool isAttention = info.kind == KernelKind::Attention;
  ATTN_RT_RETURN_IF_ERROR(r.readString("kv_layout", layout, isAttention));
  if (layout == "paged")
    info.kvLayout = KvLayout::Paged;
  else if (layout == "varlen")
    info.kvLayout = KvLayout::Varlen;
  else
    return r.error("unknown kv_layout \"" + layout +
                   "\" (expected \"paged\" or \"varlen\")");
  if (!isAttention && info.kvLayout != KvLayout::Paged)
    return r.error("a cache_write kernel needs kv_layout \"paged\"");

  ATTN_RT_RETURN_IF_ERROR(r.readInt("kv_heads", info.kvHeads, 1, true));
  ATTN_RT_RETURN_IF_ERROR(r.readInt("head_size", info.headSize, 1, true));
  info.headSizeV = info.headSize;
  ATTN_RT_RETURN_IF_ERROR(r.readInt("head_size_v", info.headSizeV, 1, false));
  ATTN_RT_RETURN_IF_ERROR(r.readInt("block_size", info.blockSize, 1,
                                    info.kvLayout == KvLayout::Paged));
  ATTN_RT_RETURN_IF_ERROR(r.readDType("dtype", info.dtype, true));

  std::string kvDType;
  ATTN_RT_RETURN_IF_ERROR(r.readString("kv_dtype", kvDType, true));
  std::optional<KvDType> parsedKv = parseKvDType(kvDType);
  if (!parsedKv)
    return r.error("unknown kv_dtype \"" + kvDType +
                   "\" (expected auto, f32, f16, bf16, fp8_e4m3, fp8_e5m2, "
                   "fp8_e4m3fnuz, fp8_e5m2fnuz, int8_per_token_head or "
                   "fp8_per_token_head)");
  info.kvDType = *parsedKv;

  if (isAttention) {
    ATTN_RT_RETURN_IF_ERROR(readAttention(r, info));
  } else {
    info.heads = info.kvHeads;
    ATTN_RT_RETURN_IF_ERROR(r.readInt("heads", info.heads, 1, false));
    info.outDType = info.dtype;
  }
  info.kvRowBytes =
      info.kCacheLastDim() * static_cast<int64_t>(dtypeSize(info.kvStorage()));
  ATTN_RT_RETURN_IF_ERROR(r.readInt("kv_row_bytes", info.kvRowBytes, 0, false));
  ATTN_RT_RETURN_IF_ERROR(readFunctions(r, info));
  info.json = json::serialize(entry);
  return info;
}

StatusOr<Manifest> parseManifest(std::string_view text) {
  StatusOr<json::Value> parsed = json::parse(text);
  if (!parsed.isOk())
    return invalidArgument("manifest is not valid JSON: ",
                           parsed.status().message());
  const json::Value &root = *parsed;
  if (!root.isObject())
    return invalidArgument("manifest must be a JSON object, got ",
                           json::kindName(root.kind()));
  Manifest manifest;
  const json::Value *version = root.get("version");
  if (!version)
    return invalidArgument("manifest: missing key \"version\"");
  if (!version->isInteger())
    return invalidArgument("manifest: key \"version\" must be an integer, got ",
                           json::serialize(*version));
  manifest.version = version->asInteger();
  if (manifest.version != kManifestVersion)
    return failedPrecondition("manifest version ", manifest.version,
                              " is not supported (this runtime reads version ",
                              kManifestVersion, ")");
  const json::Value *kernels = root.get("kernels");
  if (!kernels)
    return invalidArgument("manifest: missing key \"kernels\"");
  if (!kernels->isArray())
    return invalidArgument("manifest: key \"kernels\" must be an array, got ",
                           json::kindName(kernels->kind()));
  std::set<std::string> names;
  for (size_t i = 0; i < kernels->size(); ++i) {
    StatusOr<KernelInfo> info = parseKernelInfo(kernels->elements()[i]);
    if (!info.isOk()) {
      const std::string &message = info.status().message();
      // Entries without a usable name are identified by their index.
      if (message.rfind("manifest kernel:", 0) == 0)
        return invalidArgument("manifest kernel #", i,
                               message.substr(std::strlen("manifest kernel")));
      return info.status();
    }
    if (!names.insert(info->name).second)
      return invalidArgument("manifest: kernel name '", info->name,
                             "' appears more than once");
    manifest.kernels.push_back(std::move(*info));
  }
  return manifest;
}

} // namespace rt
} // namespace attn
