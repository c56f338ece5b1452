//===- ManifestTest.cpp - Tests of manifest parsing -----------------------===//
//
// Part of the attn project, the runtime unit tests.
//
//===----------------------------------------------------------------------===//

#include "attn/Runtime/Manifest.h"

#include "gtest/gtest.h"

#include <string>

using namespace attn::rt;

namespace {

/// The example entry of docs/KernelABI.md.
const char *kLlama =
    R"({"name": "llama", "kind": "attention", "spec": "heads=32,...",
        "heads": 32, "kv_heads": 8, "head_size": 128, "head_size_v": 128,
        "block_size": 16, "kv_layout": "paged", "dtype": "bf16",
        "kv_dtype": "auto", "out_dtype": "bf16", "kv_row_bytes": 256,
        "causal": 1, "sinks": 0, "alibi": "none", "mm_prefix": 0,
        "qq_bias": 0, "lse": 0, "scale": 0.08838834764831845,
        "block_q": 4, "block_m": 16, "block_n": 32, "segments": 4,
        "functions": {"2d": "llama_2d", "split": "llama_split",
                      "reduce": "llama_reduce"}})";

std::string manifestWith(const std::string &entry) {
  return R"({"version": 2, "kernels": [)" + entry + "]}";
}

/// kLlama with `key`'s value replaced by `value` (or the key removed when
/// `value` is empty).
std::string llamaWith(const std::string &key, const std::string &value) {
  StatusOr<json::Value> parsed = json::parse(kLlama);
  json::Value out = json::Value::object();
  for (size_t i = 0; i < parsed->size(); ++i) {
    if (parsed->keys()[i] != key) {
      out.set(parsed->keys()[i], parsed->elements()[i]);
      continue;
    }
    if (!value.empty())
      out.set(key, *json::parse(value));
  }
  return json::serialize(out);
}

std::string manifestError(const std::string &text) {
  StatusOr<Manifest> manifest = parseManifest(text);
  EXPECT_FALSE(manifest.isOk()) << "accepted: " << text;
  return manifest.isOk() ? "" : manifest.status().message();
}

TEST(ManifestTest, ParsesTheAbiExample) {
  StatusOr<Manifest> manifest = parseManifest(manifestWith(kLlama));
  ASSERT_TRUE(manifest.isOk()) << manifest.status().toString();
  EXPECT_EQ(manifest->version, 2);
  ASSERT_EQ(manifest->kernels.size(), 1u);
  const KernelInfo &k = manifest->kernels[0];
  EXPECT_EQ(k.name, "llama");
  EXPECT_EQ(k.kind, KernelKind::Attention);
  EXPECT_EQ(k.spec, "heads=32,...");
  EXPECT_EQ(k.heads, 32);
  EXPECT_EQ(k.kvHeads, 8);
  EXPECT_EQ(k.headSize, 128);
  EXPECT_EQ(k.headSizeV, 128);
  EXPECT_EQ(k.blockSize, 16);
  EXPECT_EQ(k.kvLayout, KvLayout::Paged);
  EXPECT_EQ(k.dtype, DType::BF16);
  EXPECT_EQ(k.kvDType, KvDType::Auto);
  EXPECT_EQ(k.outDType, DType::BF16);
  EXPECT_EQ(k.kvRowBytes, 256);
  EXPECT_TRUE(k.causal);
  EXPECT_FALSE(k.sinks);
  EXPECT_EQ(k.alibi, "none");
  EXPECT_FALSE(k.usesAlibi());
  EXPECT_FALSE(k.mmPrefix);
  EXPECT_FALSE(k.qqBias);
  EXPECT_FALSE(k.lse);
  EXPECT_DOUBLE_EQ(k.scale, 0.08838834764831845);
  EXPECT_EQ(k.blockQ, 4);
  EXPECT_EQ(k.blockM, 16);
  EXPECT_EQ(k.blockN, 32);
  EXPECT_EQ(k.segments, 4);
  EXPECT_TRUE(k.hasSplit());
  EXPECT_EQ(k.functions.twoD, "llama_2d");
  EXPECT_EQ(k.functions.split, "llama_split");
  EXPECT_EQ(k.functions.reduce, "llama_reduce");
  EXPECT_EQ(k.functions.write, "");
  EXPECT_EQ(k.kvStorage(), DType::BF16);
  EXPECT_EQ(k.kCacheLastDim(), 128);
  // The entry's JSON text parses back to the same entry.
  StatusOr<json::Value> entry = json::parse(k.json);
  ASSERT_TRUE(entry.isOk());
  EXPECT_EQ(entry->get("name")->asString(), "llama");
  EXPECT_EQ(entry->get("block_n")->asInteger(), 32);
}

TEST(ManifestTest, DefaultsAndUnknownKeys) {
  std::string entry = llamaWith("head_size_v", "");
  entry = entry.substr(0, entry.size() - 1) + R"(,"future_key":[1,2]})";
  StatusOr<Manifest> manifest = parseManifest(manifestWith(entry));
  ASSERT_TRUE(manifest.isOk()) << manifest.status().toString();
  EXPECT_EQ(manifest->kernels[0].headSizeV, 128);

  StatusOr<Manifest> noOut =
      parseManifest(manifestWith(llamaWith("out_dtype", "")));
  ASSERT_TRUE(noOut.isOk());
  EXPECT_EQ(noOut->kernels[0].outDType, DType::BF16);

  StatusOr<Manifest> noRowBytes =
      parseManifest(manifestWith(llamaWith("kv_row_bytes", "")));
  ASSERT_TRUE(noRowBytes.isOk());
  EXPECT_EQ(noRowBytes->kernels[0].kvRowBytes, 256);

  StatusOr<Manifest> boolFlags =
      parseManifest(manifestWith(llamaWith("causal", "false")));
  ASSERT_TRUE(boolFlags.isOk());
  EXPECT_FALSE(boolFlags->kernels[0].causal);
}

TEST(ManifestTest, PerTokenHeadAndCacheWrite) {
  std::string text = manifestWith(
      llamaWith("kv_dtype", R"("int8_per_token_head")") + "," +
      R"({"name": "w", "kind": "cache_write", "kv_heads": 2, "head_size": 64,
          "block_size": 16, "dtype": "f16", "kv_dtype": "fp8_e4m3",
          "functions": {"write": "w_write"}})");
  StatusOr<Manifest> manifest = parseManifest(text);
  ASSERT_TRUE(manifest.isOk()) << manifest.status().toString();
  const KernelInfo &pth = manifest->kernels[0];
  EXPECT_EQ(pth.kvDType, KvDType::Int8PerTokenHead);
  EXPECT_EQ(pth.kCacheLastDim(), 132);
  EXPECT_EQ(pth.kvStorage(), DType::I8);
  const KernelInfo &w = manifest->kernels[1];
  EXPECT_EQ(w.kind, KernelKind::CacheWrite);
  EXPECT_EQ(w.heads, 2);
  EXPECT_EQ(w.headSizeV, 64);
  EXPECT_EQ(w.kvLayout, KvLayout::Paged);
  EXPECT_EQ(w.kvDType, KvDType::Fp8E4M3);
  EXPECT_EQ(w.kvRowBytes, 64);
  EXPECT_EQ(w.functions.write, "w_write");
}

// MI300's fp8 formats as kv_dtype: byte storage of their own dtype.
TEST(ManifestTest, FnuzKvDTypes) {
  std::string text = manifestWith(
      llamaWith("kv_dtype", R"("fp8_e4m3fnuz")") + "," +
      R"({"name": "w", "kind": "cache_write", "kv_heads": 2, "head_size": 64,
          "block_size": 16, "dtype": "f16", "kv_dtype": "fp8_e5m2fnuz",
          "functions": {"write": "w_write"}})");
  StatusOr<Manifest> manifest = parseManifest(text);
  ASSERT_TRUE(manifest.isOk()) << manifest.status().toString();
  const KernelInfo &a = manifest->kernels[0];
  EXPECT_EQ(a.kvDType, KvDType::Fp8E4M3Fnuz);
  EXPECT_EQ(a.kvStorage(), DType::Fp8E4M3Fnuz);
  EXPECT_EQ(a.kCacheLastDim(), 128);
  const KernelInfo &w = manifest->kernels[1];
  EXPECT_EQ(w.kvDType, KvDType::Fp8E5M2Fnuz);
  EXPECT_EQ(w.kvStorage(), DType::Fp8E5M2Fnuz);
  EXPECT_EQ(w.kvRowBytes, 64);
  // A near miss names every accepted value.
  EXPECT_NE(
      manifestError(manifestWith(llamaWith("kv_dtype", R"("fp8_e4m3fn")")))
          .find("unknown kv_dtype \"fp8_e4m3fn\" (expected auto, f32, "
                "f16, bf16, fp8_e4m3, fp8_e5m2, fp8_e4m3fnuz, "
                "fp8_e5m2fnuz, int8_per_token_head or "
                "fp8_per_token_head)"),
      std::string::npos);
  EXPECT_NE(
      manifestError(manifestWith(llamaWith("out_dtype", R"("fp8_e4m3_fnuz")")))
          .find("key \"out_dtype\" has unknown dtype "
                "\"fp8_e4m3_fnuz\" (expected f32, f16, bf16, fp8_e4m3, "
                "fp8_e5m2, fp8_e4m3fnuz, fp8_e5m2fnuz, i8, u8, i32 or "
                "i64)"),
      std::string::npos);
}

TEST(ManifestTest, TopLevelErrors) {
  EXPECT_NE(manifestError("{").find("manifest is not valid JSON: JSON error "
                                    "at line 1, column 2"),
            std::string::npos);
  EXPECT_NE(manifestError("[]").find("must be a JSON object, got array"),
            std::string::npos);
  EXPECT_NE(manifestError(R"({"kernels": []})").find("missing key \"version\""),
            std::string::npos);
  EXPECT_NE(manifestError(R"({"version": "1", "kernels": []})")
                .find("\"version\" must be an integer, got \"1\""),
            std::string::npos);
  EXPECT_NE(manifestError(R"({"version": 2})").find("missing key \"kernels\""),
            std::string::npos);
  EXPECT_NE(manifestError(R"({"version": 2, "kernels": {}})")
                .find("\"kernels\" must be an array, got object"),
            std::string::npos);
  // Version 1 kernels have one argument less (no split_tiles).
  for (int old : {1, 3}) {
    StatusOr<Manifest> other = parseManifest(
        "{\"version\": " + std::to_string(old) + ", \"kernels\": []}");
    ASSERT_FALSE(other.isOk());
    EXPECT_EQ(other.status().code(), StatusCode::FailedPrecondition);
    EXPECT_NE(other.status().message().find(
                  "version " + std::to_string(old) + " is not supported"),
              std::string::npos);
  }
  EXPECT_TRUE(parseManifest(R"({"version": 2, "kernels": []})").isOk());
}

TEST(ManifestTest, EntryErrorsNameKernelAndKey) {
  struct Case {
    std::string entry;
    const char *expected;
  } cases[] = {
      {llamaWith("block_q", ""),
       "manifest kernel 'llama': missing key \"block_q\""},
      {llamaWith("heads", R"("32")"),
       "key \"heads\" must be a positive integer, got \"32\""},
      {llamaWith("heads", "0"), "key \"heads\" must be a positive integer"},
      {llamaWith("segments", "-1"),
       "key \"segments\" must be a non-negative integer, got -1"},
      {llamaWith("heads", "12"),
       "heads (12) must be a multiple of kv_heads (8)"},
      {llamaWith("kind", R"("decode")"), "unknown kind \"decode\""},
      {llamaWith("dtype", R"("float16")"),
       "key \"dtype\" has unknown dtype \"float16\""},
      {llamaWith("kv_dtype", R"("int4")"), "unknown kv_dtype \"int4\""},
      {llamaWith("kv_layout", R"("ragged")"), "unknown kv_layout \"ragged\""},
      {llamaWith("sinks", "2"), "key \"sinks\" must be 0, 1, true or false"},
      {llamaWith("alibi", "0"), "key \"alibi\" must be a string, got 0"},
      {llamaWith("scale", R"("x")"), "key \"scale\" must be a number"},
      {llamaWith("functions", ""), "missing key \"functions\""},
      {llamaWith("functions", R"({"2d": "a"})"),
       "functions has no \"split\" (segments > 0)"},
      {llamaWith("functions", R"({"split": "a", "reduce": "b"})"),
       "functions has no \"2d\""},
      {llamaWith("functions", R"({"2d": ""})"),
       "functions.\"2d\" must be a non-empty string"},
      {llamaWith("block_size", ""), "missing key \"block_size\""},
      {llamaWith("functions", R"({"2d": "a", "split": "b", "reduce": "c",
                                  "2d_wide": "d"})"),
       "functions.\"2d_wide\" needs wide_block_q"},
      {llamaWith("name", ""), "manifest kernel #0: missing key \"name\""},
      {"42", "manifest kernel #0: must be an object, got number"},
      {R"({"name": "w", "kind": "cache_write", "kv_heads": 1,
           "head_size": 8, "block_size": 4, "dtype": "f32",
           "kv_dtype": "auto", "functions": {"2d": "w_2d"}})",
       "manifest kernel 'w': functions has no \"write\""},
      {R"({"name": "w", "kind": "cache_write", "kv_heads": 1,
           "head_size": 8, "kv_layout": "varlen", "dtype": "f32",
           "kv_dtype": "auto", "functions": {"write": "w"}})",
       "a cache_write kernel needs kv_layout \"paged\""},
  };
  for (const Case &c : cases) {
    std::string message = manifestError(manifestWith(c.entry));
    EXPECT_NE(message.find(c.expected), std::string::npos)
        << "entry: " << c.entry << "\nmessage: " << message;
  }
}

TEST(ManifestTest, TheWideForm) {
  StatusOr<json::Value> entry = json::parse(kLlama);
  // The entry's error once `key` is set to `value`.
  auto errorWith = [&](const char *key, const char *value) {
    entry->set(key, *json::parse(value));
    return manifestError(manifestWith(json::serialize(*entry)));
  };
  std::string noRows = errorWith("wide_block_q", "8");
  EXPECT_NE(noRows.find("missing key \"wide_block_m\""), std::string::npos)
      << noRows;
  entry->set("wide_block_q", *json::parse("4"));
  std::string narrow = errorWith("wide_block_m", "16");
  EXPECT_NE(narrow.find("wide_block_q (4) must exceed block_q (4)"),
            std::string::npos)
      << narrow;
  entry->set("wide_block_q", *json::parse("8"));
  std::string noFunction = errorWith("wide_block_m", "32");
  EXPECT_NE(noFunction.find("functions has no \"2d_wide\" (wide_block_q > 0)"),
            std::string::npos)
      << noFunction;
  json::Value fns = *json::parse(
      R"({"2d": "llama_2d", "split": "llama_split", "reduce": "llama_reduce",
          "2d_wide": "llama_2d_wide"})");
  entry->set("functions", fns);
  StatusOr<Manifest> m = parseManifest(manifestWith(json::serialize(*entry)));
  ASSERT_TRUE(m.isOk()) << m.status().message();
  const KernelInfo &k = m->kernels[0];
  EXPECT_TRUE(k.hasWide());
  EXPECT_EQ(k.wideBlockQ, 8);
  EXPECT_EQ(k.wideBlockM, 32);
  EXPECT_EQ(k.functions.twoDWide, "llama_2d_wide");
  StatusOr<Manifest> plain = parseManifest(manifestWith(kLlama));
  ASSERT_TRUE(plain.isOk()) << plain.status().message();
  EXPECT_FALSE(plain->kernels[0].hasWide());
}

TEST(ManifestTest, VarlenNeedsNoBlockSize) {
  std::string entry = llamaWith("kv_layout", R"("varlen")");
  StatusOr<json::Value> parsed = json::parse(entry);
  json::Value withoutBlock = json::Value::object();
  for (size_t i = 0; i < parsed->size(); ++i)
    if (parsed->keys()[i] != "block_size")
      withoutBlock.set(parsed->keys()[i], parsed->elements()[i]);
  StatusOr<Manifest> manifest =
      parseManifest(manifestWith(json::serialize(withoutBlock)));
  ASSERT_TRUE(manifest.isOk()) << manifest.status().toString();
  EXPECT_EQ(manifest->kernels[0].kvLayout, KvLayout::Varlen);
  EXPECT_EQ(manifest->kernels[0].blockSize, 0);
}

TEST(ManifestTest, RejectsDuplicateNames) {
  std::string message =
      manifestError(manifestWith(std::string(kLlama) + "," + kLlama));
  EXPECT_NE(message.find("kernel name 'llama' appears more than once"),
            std::string::npos)
      << message;
}

} // namespace
