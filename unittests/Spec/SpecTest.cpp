//===- SpecTest.cpp - the variant spec string and its IR ------------------===//
//
// parseSpec / formatSpec (every key, defaults, errors, round trip) and
// buildVariantModule (the op a spec builds, read through the C++ API, and
// the error of an invalid variant).
//
//===----------------------------------------------------------------------===//

#include "attn/Spec/Spec.h"
#include "attn/Spec/SpecToIR.h"

#include "attn/Dialect/Attn/IR/AttnOps.h"
#include "attn/Dialect/Attn/IR/Variant.h"
#include "attn/InitAllDialects.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

using ::attn::formatSpec;
using ::attn::parseSpec;
using ::attn::specKeys;
using ::attn::VariantSpec;

namespace {

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

/// Parses `text`, failing the test (with the parser's message) on error.
VariantSpec mustParse(const std::string &text) {
  std::string error;
  std::optional<VariantSpec> spec = parseSpec(text, error);
  EXPECT_TRUE(spec.has_value()) << "spec '" << text << "': " << error;
  return spec ? *spec : VariantSpec();
}

/// Parses `text`, which must fail; returns the error message.
std::string mustFail(const std::string &text) {
  std::string error;
  std::optional<VariantSpec> spec = parseSpec(text, error);
  EXPECT_FALSE(spec.has_value()) << "spec '" << text << "' parsed";
  EXPECT_FALSE(error.empty()) << "spec '" << text << "' gave no message";
  return error;
}

/// Every field, as written (no defaults resolved).
void expectSameFields(const VariantSpec &a, const VariantSpec &b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.kv, b.kv);
  EXPECT_EQ(a.heads, b.heads);
  EXPECT_EQ(a.kvHeads, b.kvHeads);
  EXPECT_EQ(a.headSize, b.headSize);
  EXPECT_EQ(a.headSizeV, b.headSizeV);
  EXPECT_EQ(a.dtype, b.dtype);
  EXPECT_EQ(a.kvDtype, b.kvDtype);
  EXPECT_EQ(a.outDtype, b.outDtype);
  EXPECT_EQ(a.blockSize, b.blockSize);
  EXPECT_EQ(a.causal, b.causal);
  EXPECT_EQ(a.windowLeft, b.windowLeft);
  EXPECT_EQ(a.windowRight, b.windowRight);
  EXPECT_EQ(a.softcap, b.softcap);
  EXPECT_EQ(a.sinks, b.sinks);
  EXPECT_EQ(a.alibi, b.alibi);
  EXPECT_EQ(a.mmPrefix, b.mmPrefix);
  EXPECT_EQ(a.chunkSize, b.chunkSize);
  EXPECT_EQ(a.chunkLookback, b.chunkLookback);
  EXPECT_EQ(a.qqBias, b.qqBias);
  EXPECT_EQ(a.lse, b.lse);
  EXPECT_EQ(a.scale, b.scale);
}

/// The variant two specs describe: every field, with the "0 = default"
/// fields (head_size_v, out_dtype, scale) resolved.
void expectSameVariant(const VariantSpec &a, const VariantSpec &b) {
  VariantSpec ra = a, rb = b;
  for (VariantSpec *s : {&ra, &rb}) {
    s->headSizeV = s->effectiveHeadSizeV();
    s->outDtype = s->effectiveOutDtype();
    s->scale = s->effectiveScale();
  }
  expectSameFields(ra, rb);
}

/// The keys of a formatted spec, in order.
std::vector<std::string> keysOf(const std::string &text) {
  std::vector<std::string> keys;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ','))
    keys.push_back(item.substr(0, item.find('=')));
  return keys;
}

/// A valid, non-default value for each key.
const std::map<std::string, std::string> &validValues() {
  static const std::map<std::string, std::string> values = {
      {"name", "gemma3_local"},
      {"kind", "cache_write"},
      {"kv", "varlen"},
      {"heads", "16"},
      {"kv_heads", "4"},
      {"head_size", "256"},
      {"head_size_v", "128"},
      {"dtype", "f16"},
      {"kv_dtype", "fp8_e4m3"},
      {"out_dtype", "fp8_e4m3"},
      {"block_size", "32"},
      {"causal", "0"},
      {"window", "1023:0"},
      {"softcap", "30"},
      {"sinks", "1"},
      {"alibi", "sqrt"},
      {"mm_prefix", "1"},
      {"chunk", "8192:1"},
      {"qq_bias", "1"},
      {"lse", "1"},
      {"scale", "0.0625"},
  };
  return values;
}

//===----------------------------------------------------------------------===//
// parseSpec: defaults and every key
//===----------------------------------------------------------------------===//

TEST(SpecParse, EmptySpecGivesDefaults) {
  VariantSpec s = mustParse("");
  expectSameFields(s, VariantSpec());
  EXPECT_EQ(s.name, "attn");
  EXPECT_EQ(s.kind, "attention");
  EXPECT_EQ(s.kv, "paged");
  EXPECT_EQ(s.heads, 32);
  EXPECT_EQ(s.kvHeads, 8);
  EXPECT_EQ(s.headSize, 128);
  EXPECT_EQ(s.headSizeV, 0);
  EXPECT_EQ(s.dtype, "bf16");
  EXPECT_EQ(s.kvDtype, "auto");
  EXPECT_EQ(s.outDtype, "");
  EXPECT_EQ(s.blockSize, 16);
  EXPECT_TRUE(s.causal);
  EXPECT_EQ(s.windowLeft, -1);
  EXPECT_EQ(s.windowRight, -1);
  EXPECT_EQ(s.softcap, 0.0);
  EXPECT_FALSE(s.sinks);
  EXPECT_EQ(s.alibi, "0");
  EXPECT_FALSE(s.mmPrefix);
  EXPECT_EQ(s.chunkSize, 0);
  EXPECT_EQ(s.chunkLookback, 0);
  EXPECT_FALSE(s.qqBias);
  EXPECT_FALSE(s.lse);
  EXPECT_EQ(s.scale, 0.0);
}

TEST(SpecParse, EffectiveDefaults) {
  VariantSpec s = mustParse("head_size=64,dtype=f16");
  EXPECT_EQ(s.effectiveHeadSizeV(), 64);
  EXPECT_EQ(s.effectiveOutDtype(), "f16");
  EXPECT_DOUBLE_EQ(s.effectiveScale(), 0.125);

  s = mustParse("head_size=64,head_size_v=32,out_dtype=fp8_e4m3,scale=0.5");
  EXPECT_EQ(s.effectiveHeadSizeV(), 32);
  EXPECT_EQ(s.effectiveOutDtype(), "fp8_e4m3");
  EXPECT_DOUBLE_EQ(s.effectiveScale(), 0.5);

  // 0 means "the default" for these keys.
  s = mustParse("head_size_v=0,scale=0,softcap=0");
  EXPECT_EQ(s.effectiveHeadSizeV(), 128);
  EXPECT_DOUBLE_EQ(s.effectiveScale(), 1.0 / std::sqrt(128.0));
  EXPECT_EQ(s.softcap, 0.0);
}

TEST(SpecParse, DefaultSpecConstant) {
  VariantSpec s = mustParse(::attn::kDefaultSpec);
  EXPECT_EQ(s.name, "llama");
  EXPECT_EQ(s.heads, 32);
  EXPECT_EQ(s.kvHeads, 8);
  EXPECT_EQ(s.headSize, 128);
  EXPECT_EQ(s.dtype, "bf16");
  EXPECT_EQ(s.blockSize, 16);
  EXPECT_TRUE(s.causal);
}

TEST(SpecParse, KeysInCanonicalOrder) {
  std::vector<std::string> expected = {
      "name",      "kind",        "kv",       "heads",      "kv_heads",
      "head_size", "head_size_v", "dtype",    "kv_dtype",   "out_dtype",
      "block_size", "causal",     "window",   "softcap",    "sinks",
      "alibi",     "mm_prefix",   "chunk",    "qq_bias",    "lse",
      "scale"};
  EXPECT_EQ(specKeys(), expected);
  // The test tables below cover every key.
  for (const std::string &key : specKeys())
    EXPECT_TRUE(validValues().count(key)) << "no test value for key " << key;
}

TEST(SpecParse, EveryKey) {
  struct Case {
    std::string text;
    std::function<void(const VariantSpec &)> check;
  };
  std::vector<Case> cases = {
      {"name=gemma3_local", [](auto &s) { EXPECT_EQ(s.name, "gemma3_local"); }},
      {"name=_x9", [](auto &s) { EXPECT_EQ(s.name, "_x9"); }},
      {"kind=attention", [](auto &s) { EXPECT_EQ(s.kind, "attention"); }},
      {"kind=cache_write", [](auto &s) { EXPECT_EQ(s.kind, "cache_write"); }},
      {"kv=paged", [](auto &s) { EXPECT_EQ(s.kv, "paged"); }},
      {"kv=varlen", [](auto &s) { EXPECT_EQ(s.kv, "varlen"); }},
      {"heads=64", [](auto &s) { EXPECT_EQ(s.heads, 64); }},
      {"kv_heads=1", [](auto &s) { EXPECT_EQ(s.kvHeads, 1); }},
      {"head_size=80", [](auto &s) { EXPECT_EQ(s.headSize, 80); }},
      {"head_size_v=96", [](auto &s) { EXPECT_EQ(s.headSizeV, 96); }},
      {"head_size_v=0", [](auto &s) { EXPECT_EQ(s.headSizeV, 0); }},
      {"dtype=f16", [](auto &s) { EXPECT_EQ(s.dtype, "f16"); }},
      {"dtype=bf16", [](auto &s) { EXPECT_EQ(s.dtype, "bf16"); }},
      {"dtype=f32", [](auto &s) { EXPECT_EQ(s.dtype, "f32"); }},
      {"kv_dtype=auto", [](auto &s) { EXPECT_EQ(s.kvDtype, "auto"); }},
      {"kv_dtype=fp8_e4m3", [](auto &s) { EXPECT_EQ(s.kvDtype, "fp8_e4m3"); }},
      {"kv_dtype=fp8_e5m2", [](auto &s) { EXPECT_EQ(s.kvDtype, "fp8_e5m2"); }},
      {"kv_dtype=fp8_e4m3fnuz",
       [](auto &s) {
         EXPECT_EQ(s.kvDtype, "fp8_e4m3fnuz");
         EXPECT_TRUE(s.perTensorKv());
       }},
      {"kv_dtype=fp8_e5m2fnuz",
       [](auto &s) {
         EXPECT_EQ(s.kvDtype, "fp8_e5m2fnuz");
         EXPECT_TRUE(s.perTensorKv());
       }},
      {"kv_dtype=int8_per_token_head",
       [](auto &s) { EXPECT_EQ(s.kvDtype, "int8_per_token_head"); }},
      {"kv_dtype=fp8_per_token_head",
       [](auto &s) { EXPECT_EQ(s.kvDtype, "fp8_per_token_head"); }},
      {"out_dtype=f16", [](auto &s) { EXPECT_EQ(s.outDtype, "f16"); }},
      {"out_dtype=bf16", [](auto &s) { EXPECT_EQ(s.outDtype, "bf16"); }},
      {"out_dtype=f32", [](auto &s) { EXPECT_EQ(s.outDtype, "f32"); }},
      {"out_dtype=fp8_e4m3",
       [](auto &s) { EXPECT_EQ(s.outDtype, "fp8_e4m3"); }},
      {"block_size=1", [](auto &s) { EXPECT_EQ(s.blockSize, 1); }},
      {"block_size=32", [](auto &s) { EXPECT_EQ(s.blockSize, 32); }},
      {"causal=0", [](auto &s) { EXPECT_FALSE(s.causal); }},
      {"causal=1", [](auto &s) { EXPECT_TRUE(s.causal); }},
      {"window=1023:0",
       [](auto &s) {
         EXPECT_EQ(s.windowLeft, 1023);
         EXPECT_EQ(s.windowRight, 0);
       }},
      {"window=-1:64",
       [](auto &s) {
         EXPECT_EQ(s.windowLeft, -1);
         EXPECT_EQ(s.windowRight, 64);
       }},
      {"softcap=30", [](auto &s) { EXPECT_EQ(s.softcap, 30.0); }},
      {"softcap=50.5", [](auto &s) { EXPECT_EQ(s.softcap, 50.5); }},
      {"sinks=1", [](auto &s) { EXPECT_TRUE(s.sinks); }},
      {"sinks=0", [](auto &s) { EXPECT_FALSE(s.sinks); }},
      {"alibi=0", [](auto &s) { EXPECT_EQ(s.alibi, "0"); }},
      {"alibi=1", [](auto &s) { EXPECT_EQ(s.alibi, "1"); }},
      {"alibi=sqrt", [](auto &s) { EXPECT_EQ(s.alibi, "sqrt"); }},
      {"mm_prefix=1", [](auto &s) { EXPECT_TRUE(s.mmPrefix); }},
      {"chunk=8192:0",
       [](auto &s) {
         EXPECT_EQ(s.chunkSize, 8192);
         EXPECT_EQ(s.chunkLookback, 0);
       }},
      {"chunk=64:3",
       [](auto &s) {
         EXPECT_EQ(s.chunkSize, 64);
         EXPECT_EQ(s.chunkLookback, 3);
       }},
      {"chunk=0:0", [](auto &s) { EXPECT_EQ(s.chunkSize, 0); }},
      {"qq_bias=1", [](auto &s) { EXPECT_TRUE(s.qqBias); }},
      {"lse=1", [](auto &s) { EXPECT_TRUE(s.lse); }},
      {"scale=0.125", [](auto &s) { EXPECT_EQ(s.scale, 0.125); }},
      {"scale=1e-2", [](auto &s) { EXPECT_EQ(s.scale, 0.01); }},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.text);
    c.check(mustParse(c.text));
  }
}

TEST(SpecParse, EveryKeyWithItsValidValue) {
  // All keys at once, each set to a non-default value.
  std::string text;
  for (const std::string &key : specKeys())
    text += (text.empty() ? "" : ",") + key + "=" + validValues().at(key);
  VariantSpec s = mustParse(text);
  EXPECT_EQ(s.name, "gemma3_local");
  EXPECT_EQ(s.kind, "cache_write");
  EXPECT_EQ(s.kv, "varlen");
  EXPECT_EQ(s.heads, 16);
  EXPECT_EQ(s.kvHeads, 4);
  EXPECT_EQ(s.headSize, 256);
  EXPECT_EQ(s.headSizeV, 128);
  EXPECT_EQ(s.dtype, "f16");
  EXPECT_EQ(s.kvDtype, "fp8_e4m3");
  EXPECT_EQ(s.outDtype, "fp8_e4m3");
  EXPECT_EQ(s.blockSize, 32);
  EXPECT_FALSE(s.causal);
  EXPECT_EQ(s.windowLeft, 1023);
  EXPECT_EQ(s.windowRight, 0);
  EXPECT_EQ(s.softcap, 30.0);
  EXPECT_TRUE(s.sinks);
  EXPECT_EQ(s.alibi, "sqrt");
  EXPECT_TRUE(s.mmPrefix);
  EXPECT_EQ(s.chunkSize, 8192);
  EXPECT_EQ(s.chunkLookback, 1);
  EXPECT_TRUE(s.qqBias);
  EXPECT_TRUE(s.lse);
  EXPECT_EQ(s.scale, 0.0625);
}

TEST(SpecParse, OrderDoesNotMatter) {
  expectSameFields(mustParse("heads=8,kv_heads=2,window=63:0,sinks=1"),
                   mustParse("sinks=1,window=63:0,kv_heads=2,heads=8"));
}

//===----------------------------------------------------------------------===//
// parseSpec: whitespace and separators
//===----------------------------------------------------------------------===//

TEST(SpecParse, SpacesAroundItems) {
  VariantSpec s = mustParse("  heads=8 ,\tkv_heads=2\t, causal=0 ");
  EXPECT_EQ(s.heads, 8);
  EXPECT_EQ(s.kvHeads, 2);
  EXPECT_FALSE(s.causal);
}

TEST(SpecParse, EmptyItemsAreSkipped) {
  VariantSpec s = mustParse(",heads=8,,kv_heads=2, ,");
  EXPECT_EQ(s.heads, 8);
  EXPECT_EQ(s.kvHeads, 2);
  expectSameFields(mustParse(" , ,"), VariantSpec());
}

// Spaces around keys and values are trimmed.
TEST(SpecParse, SpacesAroundEquals) {
  VariantSpec s = mustParse("heads = 8, kv_heads= 2");
  EXPECT_EQ(s.heads, 8);
  EXPECT_EQ(s.kvHeads, 2);
}

//===----------------------------------------------------------------------===//
// parseSpec: errors
//===----------------------------------------------------------------------===//

TEST(SpecParseErrors, UnknownKeyListsTheKnownKeys) {
  std::string error = mustFail("heads=8,head_dim=64");
  EXPECT_NE(error.find("unknown spec key 'head_dim'"), std::string::npos)
      << error;
  for (const std::string &key : specKeys())
    EXPECT_NE(error.find(" " + key), std::string::npos)
        << "missing " << key << " in: " << error;
}

TEST(SpecParseErrors, KeysAreCaseSensitive) {
  EXPECT_NE(mustFail("HEADS=8").find("unknown spec key 'HEADS'"),
            std::string::npos);
}

TEST(SpecParseErrors, ItemWithoutEquals) {
  std::string error = mustFail("heads=8,causal");
  EXPECT_EQ(error, "spec item 'causal' is not of the form key=value");
}

TEST(SpecParseErrors, EveryKeyGivenTwice) {
  for (const std::string &key : specKeys()) {
    const std::string &v = validValues().at(key);
    std::string error = mustFail(key + "=" + v + "," + key + "=" + v);
    EXPECT_EQ(error, "spec key '" + key + "' is given twice");
  }
  // Also when the two values differ, and with other keys in between.
  EXPECT_EQ(mustFail("heads=8,kv_heads=2,heads=16"),
            "spec key 'heads' is given twice");
}

TEST(SpecParseErrors, EveryKeyNamesItselfOnABadValue) {
  // '@' is a bad value for every key.
  for (const std::string &key : specKeys()) {
    std::string error = mustFail(key + "=@");
    EXPECT_EQ(error.rfind("bad value '@' for spec key '" + key + "': ", 0), 0u)
        << error;
  }
  // So is the empty value.
  for (const std::string &key : specKeys()) {
    std::string error = mustFail(key + "=");
    EXPECT_NE(error.find("spec key '" + key + "'"), std::string::npos)
        << error;
  }
}

TEST(SpecParseErrors, BadValues) {
  struct Case {
    const char *text, *message;
  };
  Case cases[] = {
      {"name=9lives", "bad value '9lives' for spec key 'name': expected an "
                      "identifier ([A-Za-z_][A-Za-z0-9_]*)"},
      {"name=a-b", "bad value 'a-b' for spec key 'name'"},
      {"kind=decode", "bad value 'decode' for spec key 'kind': expected one of "
                      "attention cache_write"},
      {"kv=contiguous", "bad value 'contiguous' for spec key 'kv': expected "
                        "one of paged varlen"},
      {"heads=0", "bad value '0' for spec key 'heads': expected a positive "
                  "integer"},
      {"heads=-8", "bad value '-8' for spec key 'heads'"},
      {"heads=8.0", "bad value '8.0' for spec key 'heads'"},
      {"heads=99999999999999999999", "bad value '99999999999999999999' for "
                                     "spec key 'heads'"},
      {"kv_heads=0", "bad value '0' for spec key 'kv_heads'"},
      {"head_size=0x40", "bad value '0x40' for spec key 'head_size'"},
      {"head_size_v=-1", "bad value '-1' for spec key 'head_size_v': expected "
                         "a positive integer (0 = head_size)"},
      {"dtype=fp16", "bad value 'fp16' for spec key 'dtype': expected one of "
                     "f16 bf16 f32"},
      {"dtype=BF16", "bad value 'BF16' for spec key 'dtype'"},
      {"kv_dtype=fp8", "bad value 'fp8' for spec key 'kv_dtype': expected one "
                       "of auto fp8_e4m3 fp8_e5m2 fp8_e4m3fnuz fp8_e5m2fnuz "
                       "int8_per_token_head fp8_per_token_head"},
      {"kv_dtype=float8_e4m3fnuz", "bad value 'float8_e4m3fnuz' for spec key "
                                   "'kv_dtype'"},
      {"out_dtype=fp8_e4m3fnuz", "bad value 'fp8_e4m3fnuz' for spec key "
                                 "'out_dtype': expected one of f16 bf16 f32 "
                                 "fp8_e4m3"},
      {"out_dtype=fp8_e5m2", "bad value 'fp8_e5m2' for spec key 'out_dtype': "
                             "expected one of f16 bf16 f32 fp8_e4m3"},
      {"block_size=-16", "bad value '-16' for spec key 'block_size'"},
      {"causal=2", "bad value '2' for spec key 'causal': expected 0 or 1"},
      {"causal=true", "bad value 'true' for spec key 'causal'"},
      {"window=1023", "bad value '1023' for spec key 'window': expected "
                      "LEFT:RIGHT with each >= -1 (-1 = unbounded)"},
      {"window=1023:", "bad value '1023:' for spec key 'window'"},
      {"window=-2:0", "bad value '-2:0' for spec key 'window'"},
      {"window=0:-2", "bad value '0:-2' for spec key 'window'"},
      {"window=1:2:3", "bad value '1:2:3' for spec key 'window'"},
      {"softcap=-1", "bad value '-1' for spec key 'softcap': expected a "
                     "non-negative number (0 = off/default)"},
      {"softcap=nan", "bad value 'nan' for spec key 'softcap'"},
      {"softcap=inf", "bad value 'inf' for spec key 'softcap'"},
      {"softcap=30x", "bad value '30x' for spec key 'softcap'"},
      {"sinks=yes", "bad value 'yes' for spec key 'sinks': expected 0 or 1"},
      {"alibi=plain", "bad value 'plain' for spec key 'alibi': expected one "
                      "of 0 1 sqrt"},
      {"mm_prefix=2", "bad value '2' for spec key 'mm_prefix'"},
      {"chunk=64", "bad value '64' for spec key 'chunk': expected "
                   "SIZE:LOOKBACK with SIZE > 0 (0:0 = off) and LOOKBACK >= 0"},
      {"chunk=-64:0", "bad value '-64:0' for spec key 'chunk'"},
      {"chunk=64:-1", "bad value '64:-1' for spec key 'chunk'"},
      {"chunk=0:1", "bad value for spec key 'chunk': SIZE must be positive "
                    "when LOOKBACK is given"},
      {"qq_bias=on", "bad value 'on' for spec key 'qq_bias'"},
      {"lse=-1", "bad value '-1' for spec key 'lse'"},
      {"scale=-0.125", "bad value '-0.125' for spec key 'scale': expected a "
                       "non-negative number (0 = off/default)"},
      {"scale=1e999", "bad value '1e999' for spec key 'scale'"},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.text);
    std::string error = mustFail(c.text);
    EXPECT_EQ(error.rfind(c.message, 0), 0u) << error;
  }
}

TEST(SpecParseErrors, FirstErrorWins) {
  EXPECT_EQ(mustFail("heads=0,dtype=fp16").rfind("bad value '0' for spec key "
                                                 "'heads'",
                                                 0),
            0u);
}

//===----------------------------------------------------------------------===//
// formatSpec: canonical form and round trip
//===----------------------------------------------------------------------===//

TEST(SpecFormat, EveryKeyOnceInCanonicalOrder) {
  EXPECT_EQ(keysOf(formatSpec(VariantSpec())), specKeys());
  EXPECT_EQ(keysOf(formatSpec(mustParse("kind=cache_write,alibi=sqrt"))),
            specKeys());
}

TEST(SpecFormat, DefaultsAreResolved) {
  EXPECT_EQ(formatSpec(mustParse("head_size=64,dtype=f16")),
            "name=attn,kind=attention,kv=paged,heads=32,kv_heads=8,"
            "head_size=64,head_size_v=64,dtype=f16,kv_dtype=auto,"
            "out_dtype=f16,block_size=16,causal=1,window=-1:-1,softcap=0,"
            "sinks=0,alibi=0,mm_prefix=0,chunk=0:0,qq_bias=0,lse=0,"
            "scale=0.125");
}

TEST(SpecFormat, RoundTrip) {
  std::vector<std::string> specs = {
      "",
      ::attn::kDefaultSpec,
      "heads=8,kv_heads=1,head_size=256,dtype=f32,block_size=1",
      "name=gemma3_local,heads=8,kv_heads=4,head_size=256,window=1023:0,"
      "softcap=30",
      "name=gpt_oss,heads=64,kv_heads=8,head_size=64,sinks=1,window=127:0",
      "alibi=1,scale=0.1",
      "alibi=sqrt,causal=0,scale=0.333333333333333",
      "mm_prefix=1,lse=1,qq_bias=1",
      "chunk=8192:0",
      "chunk=64:2,softcap=0.1",
      "kv_dtype=fp8_e4m3,out_dtype=fp8_e4m3",
      "kv_dtype=fp8_e5m2,dtype=f16",
      "kv_dtype=fp8_e4m3fnuz",
      "kv_dtype=fp8_e5m2fnuz,dtype=f16,lse=1",
      "kv_dtype=int8_per_token_head,head_size=192,head_size_v=128",
      "kv_dtype=fp8_per_token_head",
      "kv=varlen,causal=0,heads=16,kv_heads=16,head_size=80",
      "kind=cache_write,kv_heads=2,block_size=32",
      "window=-1:0",
      "window=5:5,causal=0",
  };
  // Plus each key alone with its test value.
  for (const auto &[key, value] : validValues())
    specs.push_back(key + "=" + value);

  for (const std::string &text : specs) {
    SCOPED_TRACE(text);
    VariantSpec s = mustParse(text);
    std::string canonical = formatSpec(s);
    VariantSpec back = mustParse(canonical);
    // The same variant, and formatSpec is a fixed point.
    expectSameVariant(s, back);
    EXPECT_EQ(formatSpec(back), canonical);
    // Once the defaults are resolved, every field comes back as written.
    expectSameFields(back, mustParse(formatSpec(back)));
  }
}

TEST(SpecFormat, ExplicitSpecRoundTripsExactly) {
  // With head_size_v, out_dtype and scale given, parse(format(x)) == x
  // field by field.
  VariantSpec s = mustParse(
      "name=x,kind=attention,kv=paged,heads=24,kv_heads=6,head_size=72,"
      "head_size_v=40,dtype=bf16,kv_dtype=fp8_e4m3,out_dtype=fp8_e4m3,"
      "block_size=64,causal=1,window=100:3,softcap=12.25,sinks=1,alibi=sqrt,"
      "mm_prefix=1,chunk=0:0,qq_bias=1,lse=1,scale=0.1");
  expectSameFields(mustParse(formatSpec(s)), s);
}

TEST(SpecFormat, RealsRoundTripExactly) {
  for (double x : {0.1, 1.0 / 3.0, 0.08838834764831845, 1e-7, 123456.789}) {
    VariantSpec s;
    s.scale = x;
    s.softcap = x;
    VariantSpec back = mustParse(formatSpec(s));
    EXPECT_EQ(back.scale, x);
    EXPECT_EQ(back.softcap, x);
  }
}

//===----------------------------------------------------------------------===//
// buildVariantModule
//===----------------------------------------------------------------------===//

class SpecToIRTest : public ::testing::Test {
protected:
  SpecToIRTest() : context(makeRegistry()) { context.loadAllAvailableDialects(); }

  static mlir::DialectRegistry makeRegistry() {
    mlir::DialectRegistry registry;
    mlir::attn::registerAllDialects(registry);
    return registry;
  }

  /// Builds the variant of `text`, failing the test on any error.
  mlir::OwningOpRef<mlir::ModuleOp> build(const std::string &text) {
    VariantSpec spec = mustParse(text);
    std::string error;
    mlir::OwningOpRef<mlir::ModuleOp> module =
        mlir::attn::buildVariantModule(&context, spec, error);
    EXPECT_TRUE(module) << "spec '" << text << "': " << error;
    EXPECT_TRUE(error.empty()) << error;
    return module;
  }

  /// Builds the variant of `text`, which must be invalid; returns the error.
  std::string buildError(const std::string &text) {
    VariantSpec spec = mustParse(text);
    std::string error;
    mlir::OwningOpRef<mlir::ModuleOp> module =
        mlir::attn::buildVariantModule(&context, spec, error);
    EXPECT_FALSE(module) << "spec '" << text << "' built";
    return error;
  }

  /// The only op of type OpT in `module` (null, with a failure, otherwise).
  template <typename OpT>
  static OpT only(mlir::ModuleOp module) {
    OpT found;
    int count = 0;
    module.walk([&](OpT op) {
      found = op;
      ++count;
    });
    EXPECT_EQ(count, 1);
    return found;
  }

  static mlir::attn::Variant variantOf(mlir::Operation *op) {
    mlir::FailureOr<mlir::attn::Variant> v = mlir::attn::getVariant(op);
    EXPECT_TRUE(mlir::succeeded(v));
    return succeeded(v) ? *v : mlir::attn::Variant();
  }

  static std::string print(mlir::Operation *op) {
    std::string text;
    llvm::raw_string_ostream os(text);
    op->print(os);
    return text;
  }

  mlir::MLIRContext context;
};

TEST_F(SpecToIRTest, DefaultVariant) {
  auto module = build("");
  ASSERT_TRUE(module);
  auto func = only<mlir::func::FuncOp>(*module);
  ASSERT_TRUE(func);
  EXPECT_EQ(func.getSymName(), "attn");
  EXPECT_EQ(func.getFunctionType().getNumResults(), 0u);

  auto op = only<mlir::attn::PagedAttentionOp>(*module);
  ASSERT_TRUE(op);
  mlir::attn::Variant v = variantOf(op);
  EXPECT_TRUE(v.paged);
  EXPECT_EQ(v.heads, 32);
  EXPECT_EQ(v.kvHeads, 8);
  EXPECT_EQ(v.groupSize(), 4);
  EXPECT_EQ(v.headSizeQK, 128);
  EXPECT_EQ(v.headSizeV, 128);
  EXPECT_EQ(v.blockSize, 16);
  EXPECT_TRUE(v.dtype.isBF16());
  EXPECT_TRUE(v.kvType.isBF16());
  EXPECT_TRUE(v.outType.isBF16());
  EXPECT_TRUE(v.causal);
  EXPECT_FALSE(v.kvQuant.has_value());
  EXPECT_FALSE(v.alibi.has_value());
  EXPECT_FALSE(v.sinks || v.mmPrefix || v.qqBias || v.lse || v.split);
  EXPECT_EQ(v.windowLeft, -1);
  EXPECT_EQ(v.windowRight, -1);
  EXPECT_EQ(v.chunkSize, 0);
  EXPECT_EQ(v.softcap, 0.0);
  EXPECT_FALSE(v.plan);
  EXPECT_NEAR(v.scale, 1.0 / std::sqrt(128.0), 1e-7);

  // No optional operand, no optional attribute.
  EXPECT_FALSE(op.getSinks());
  EXPECT_FALSE(op.getAlibiSlopes());
  EXPECT_FALSE(op.getMmPrefixRanges());
  EXPECT_FALSE(op.getQqBias());
  EXPECT_FALSE(op.getKScale());
  EXPECT_FALSE(op.getVScale());
  EXPECT_FALSE(op.getOutScale());
  EXPECT_FALSE(op.getLse());
  EXPECT_FALSE(op.getWindowAttr());
  EXPECT_FALSE(op.getChunkAttr());
  EXPECT_FALSE(op.getSoftcapAttr());
  EXPECT_FALSE(op.getAlibiAttr());
  EXPECT_FALSE(op.getKvQuantAttr());
  EXPECT_FALSE(op.getSplit());
}

TEST_F(SpecToIRTest, FunctionArgumentsAreTheOperandsInOrder) {
  for (const char *text :
       {"", "sinks=1,alibi=1,mm_prefix=1,qq_bias=1,lse=1",
        "kv_dtype=fp8_e4m3,out_dtype=fp8_e4m3,sinks=1",
        "kv=varlen,causal=0,alibi=sqrt", "kind=cache_write,kv_dtype=fp8_e5m2"}) {
    SCOPED_TRACE(text);
    auto module = build(text);
    ASSERT_TRUE(module);
    auto func = only<mlir::func::FuncOp>(*module);
    mlir::Block &body = func.getBody().front();
    ASSERT_EQ(body.getOperations().size(), 2u); // the op and the return
    mlir::Operation &op = body.front();
    ASSERT_EQ(op.getNumOperands(), body.getNumArguments());
    for (unsigned i = 0; i < op.getNumOperands(); ++i)
      EXPECT_EQ(op.getOperand(i), body.getArgument(i)) << "operand " << i;
  }
}

TEST_F(SpecToIRTest, Name) {
  auto module = build("name=gemma3_local");
  ASSERT_TRUE(module);
  EXPECT_EQ(only<mlir::func::FuncOp>(*module).getSymName(), "gemma3_local");
}

TEST_F(SpecToIRTest, SizesAndGroupSize) {
  auto module = build("heads=40,kv_heads=5,head_size=64,head_size_v=96,"
                      "block_size=32,dtype=f16");
  ASSERT_TRUE(module);
  auto op = only<mlir::attn::PagedAttentionOp>(*module);
  mlir::attn::Variant v = variantOf(op);
  EXPECT_EQ(v.heads, 40);
  EXPECT_EQ(v.kvHeads, 5);
  EXPECT_EQ(v.groupSize(), 8);
  EXPECT_EQ(v.headSizeQK, 64);
  EXPECT_EQ(v.headSizeV, 96);
  EXPECT_EQ(v.blockSize, 32);
  EXPECT_TRUE(v.dtype.isF16());
  auto kc = op.getKCache().getType();
  EXPECT_EQ(kc.getShape(),
            llvm::ArrayRef<int64_t>({mlir::ShapedType::kDynamic, 32, 5, 64}));
  auto out = op.getOut().getType();
  EXPECT_EQ(out.getShape(),
            llvm::ArrayRef<int64_t>({mlir::ShapedType::kDynamic, 40, 96}));
}

TEST_F(SpecToIRTest, Dtypes) {
  for (auto [text, check] :
       std::vector<std::pair<const char *, bool (*)(mlir::Type)>>{
           {"dtype=f16", [](mlir::Type t) { return t.isF16(); }},
           {"dtype=bf16", [](mlir::Type t) { return t.isBF16(); }},
           {"dtype=f32", [](mlir::Type t) { return t.isF32(); }}}) {
    SCOPED_TRACE(text);
    auto module = build(text);
    ASSERT_TRUE(module);
    mlir::attn::Variant v =
        variantOf(only<mlir::attn::PagedAttentionOp>(*module));
    EXPECT_TRUE(check(v.dtype));
    EXPECT_TRUE(check(v.kvType));
    EXPECT_TRUE(check(v.outType));
  }
}

TEST_F(SpecToIRTest, CausalWindowChunkSoftcapScale) {
  {
    auto module = build("causal=0,window=64:64,softcap=30,scale=0.5");
    ASSERT_TRUE(module);
    auto op = only<mlir::attn::PagedAttentionOp>(*module);
    EXPECT_FALSE(op.getCausal());
    ASSERT_TRUE(op.getWindowAttr());
    EXPECT_EQ(op.getWindowAttr().getLeft(), 64);
    EXPECT_EQ(op.getWindowAttr().getRight(), 64);
    ASSERT_TRUE(op.getSoftcap());
    EXPECT_EQ(op.getSoftcap()->convertToDouble(), 30.0);
    EXPECT_EQ(op.getScale().convertToDouble(), 0.5);
  }
  {
    auto module = build("window=-1:0");
    ASSERT_TRUE(module);
    auto op = only<mlir::attn::PagedAttentionOp>(*module);
    ASSERT_TRUE(op.getWindowAttr());
    EXPECT_EQ(op.getWindowAttr().getLeft(), -1);
    EXPECT_EQ(op.getWindowAttr().getRight(), 0);
  }
  {
    // -1:-1 is no window at all.
    auto module = build("window=-1:-1");
    ASSERT_TRUE(module);
    EXPECT_FALSE(only<mlir::attn::PagedAttentionOp>(*module).getWindowAttr());
  }
  {
    auto module = build("chunk=8192:1");
    ASSERT_TRUE(module);
    auto op = only<mlir::attn::PagedAttentionOp>(*module);
    ASSERT_TRUE(op.getChunkAttr());
    EXPECT_EQ(op.getChunkAttr().getSize(), 8192);
    EXPECT_EQ(op.getChunkAttr().getLookback(), 1);
    mlir::attn::Variant v = variantOf(op);
    EXPECT_EQ(v.chunkSize, 8192);
    EXPECT_EQ(v.chunkLookback, 1);
  }
}

TEST_F(SpecToIRTest, SinksAlibiMmPrefixQqBiasLse) {
  auto module = build("heads=16,kv_heads=4,head_size=64,sinks=1,alibi=sqrt,"
                      "mm_prefix=1,qq_bias=1,lse=1");
  ASSERT_TRUE(module);
  auto op = only<mlir::attn::PagedAttentionOp>(*module);
  ASSERT_TRUE(op.getSinks());
  EXPECT_EQ(op.getSinks().getType().getShape(), llvm::ArrayRef<int64_t>({16}));
  ASSERT_TRUE(op.getAlibiSlopes());
  EXPECT_EQ(op.getAlibiSlopes().getType().getShape(),
            llvm::ArrayRef<int64_t>({16}));
  ASSERT_TRUE(op.getAlibi());
  EXPECT_EQ(*op.getAlibi(), mlir::attn::AlibiKind::sqrt);
  ASSERT_TRUE(op.getMmPrefixRanges());
  EXPECT_EQ(op.getMmPrefixRanges().getType().getDimSize(2), 2);
  ASSERT_TRUE(op.getQqBias());
  EXPECT_EQ(op.getQqBias().getType().getRank(), 2);
  ASSERT_TRUE(op.getLse());
  EXPECT_EQ(op.getLse().getType().getShape(),
            llvm::ArrayRef<int64_t>({mlir::ShapedType::kDynamic, 16}));
  mlir::attn::Variant v = variantOf(op);
  EXPECT_TRUE(v.sinks && v.mmPrefix && v.qqBias && v.lse);

  auto plain = build("alibi=1");
  ASSERT_TRUE(plain);
  EXPECT_EQ(only<mlir::attn::PagedAttentionOp>(*plain).getAlibi(),
            mlir::attn::AlibiKind::plain);
}

TEST_F(SpecToIRTest, PerTensorFp8) {
  enum Fmt { E4M3, E5M2, E4M3Fnuz, E5M2Fnuz };
  for (auto [text, fmt] : std::vector<std::pair<const char *, Fmt>>{
           {"kv_dtype=fp8_e4m3", E4M3},
           {"kv_dtype=fp8_e5m2", E5M2},
           {"kv_dtype=fp8_e4m3fnuz", E4M3Fnuz},
           {"kv_dtype=fp8_e5m2fnuz", E5M2Fnuz}}) {
    SCOPED_TRACE(text);
    auto module = build(text);
    ASSERT_TRUE(module);
    auto op = only<mlir::attn::PagedAttentionOp>(*module);
    ASSERT_TRUE(op.getKvQuant());
    EXPECT_EQ(*op.getKvQuant(), mlir::attn::KVQuant::per_tensor);
    mlir::Type kv = op.getKCache().getType().getElementType();
    EXPECT_EQ(mlir::isa<mlir::Float8E4M3FNType>(kv), fmt == E4M3);
    EXPECT_EQ(mlir::isa<mlir::Float8E5M2Type>(kv), fmt == E5M2);
    EXPECT_EQ(mlir::isa<mlir::Float8E4M3FNUZType>(kv), fmt == E4M3Fnuz);
    EXPECT_EQ(mlir::isa<mlir::Float8E5M2FNUZType>(kv), fmt == E5M2Fnuz);
    EXPECT_EQ(op.getVCache().getType().getElementType(), kv);
    ASSERT_TRUE(op.getKScale());
    ASSERT_TRUE(op.getVScale());
    EXPECT_EQ(op.getKScale().getType().getShape(), llvm::ArrayRef<int64_t>({1}));
    EXPECT_FALSE(variantOf(op).perTokenHead());
  }
}

TEST_F(SpecToIRTest, PerTokenHead) {
  for (auto [text, quant] :
       std::vector<std::pair<const char *, mlir::attn::KVQuant>>{
           {"kv_dtype=int8_per_token_head,head_size=192,head_size_v=128",
            mlir::attn::KVQuant::per_token_head_int8},
           {"kv_dtype=fp8_per_token_head,head_size=192,head_size_v=128",
            mlir::attn::KVQuant::per_token_head_fp8}}) {
    SCOPED_TRACE(text);
    auto module = build(text);
    ASSERT_TRUE(module);
    auto op = only<mlir::attn::PagedAttentionOp>(*module);
    EXPECT_EQ(op.getKvQuant(), quant);
    EXPECT_TRUE(op.getKCache().getType().getElementType().isInteger(8));
    EXPECT_EQ(op.getKCache().getType().getDimSize(3), 196);
    EXPECT_EQ(op.getVCache().getType().getDimSize(3), 132);
    EXPECT_FALSE(op.getKScale());
    EXPECT_FALSE(op.getVScale());
    mlir::attn::Variant v = variantOf(op);
    EXPECT_TRUE(v.perTokenHead());
    EXPECT_EQ(v.headSizeQK, 192);
    EXPECT_EQ(v.headSizeV, 128);
    EXPECT_EQ(v.kRowElems(), 196);
    EXPECT_EQ(v.vRowElems(), 132);
  }
}

TEST_F(SpecToIRTest, Fp8Output) {
  auto module = build("out_dtype=fp8_e4m3");
  ASSERT_TRUE(module);
  auto op = only<mlir::attn::PagedAttentionOp>(*module);
  EXPECT_TRUE(mlir::isa<mlir::Float8E4M3FNType>(
      op.getOut().getType().getElementType()));
  ASSERT_TRUE(op.getOutScale());
  EXPECT_EQ(op.getOutScale().getType().getShape(),
            llvm::ArrayRef<int64_t>({1}));

  auto same = build("dtype=f16,out_dtype=f16");
  ASSERT_TRUE(same);
  auto sameOp = only<mlir::attn::PagedAttentionOp>(*same);
  EXPECT_TRUE(sameOp.getOut().getType().getElementType().isF16());
  EXPECT_FALSE(sameOp.getOutScale());
}

TEST_F(SpecToIRTest, VarlenEncoder) {
  auto module = build("kv=varlen,causal=0,heads=16,kv_heads=16,head_size=80");
  ASSERT_TRUE(module);
  auto op = only<mlir::attn::VarlenAttentionOp>(*module);
  ASSERT_TRUE(op);
  EXPECT_FALSE(op.getCausal());
  EXPECT_EQ(op.getK().getType().getRank(), 3);
  EXPECT_EQ(op.getK().getType().getShape(),
            llvm::ArrayRef<int64_t>({mlir::ShapedType::kDynamic, 16, 80}));
  EXPECT_TRUE(op.getCuSeqlensK());
  mlir::attn::Variant v = variantOf(op);
  EXPECT_FALSE(v.paged);
  EXPECT_EQ(v.blockSize, 0);
  EXPECT_EQ(v.groupSize(), 1);
  EXPECT_EQ(v.headSizeQK, 80);
  EXPECT_FALSE(v.causal);
  EXPECT_NEAR(v.scale, 1.0 / std::sqrt(80.0), 1e-7);

  // No paged op is built for varlen K/V.
  int paged = 0;
  module->walk([&](mlir::attn::PagedAttentionOp) { ++paged; });
  EXPECT_EQ(paged, 0);
}

TEST_F(SpecToIRTest, CacheWriteForEveryKVDtype) {
  struct Case {
    const char *text;
    std::optional<mlir::attn::KVQuant> quant;
    int64_t extra;
    bool scales;
  };
  Case cases[] = {
      {"kind=cache_write", std::nullopt, 0, false},
      {"kind=cache_write,kv_dtype=fp8_e4m3", mlir::attn::KVQuant::per_tensor, 0,
       true},
      {"kind=cache_write,kv_dtype=fp8_e5m2", mlir::attn::KVQuant::per_tensor, 0,
       true},
      {"kind=cache_write,kv_dtype=fp8_e4m3fnuz",
       mlir::attn::KVQuant::per_tensor, 0, true},
      {"kind=cache_write,kv_dtype=fp8_e5m2fnuz",
       mlir::attn::KVQuant::per_tensor, 0, true},
      {"kind=cache_write,kv_dtype=int8_per_token_head",
       mlir::attn::KVQuant::per_token_head_int8, 4, false},
      {"kind=cache_write,kv_dtype=fp8_per_token_head",
       mlir::attn::KVQuant::per_token_head_fp8, 4, false},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.text);
    auto module = build(std::string(c.text) +
                        ",kv_heads=2,head_size=128,head_size_v=64,"
                        "block_size=32");
    ASSERT_TRUE(module);
    auto op = only<mlir::attn::CacheWriteOp>(*module);
    ASSERT_TRUE(op);
    EXPECT_EQ(op.getKvQuant(), c.quant);
    EXPECT_EQ(op.getKey().getType().getShape(),
              llvm::ArrayRef<int64_t>({mlir::ShapedType::kDynamic, 2, 128}));
    EXPECT_EQ(op.getValue().getType().getShape(),
              llvm::ArrayRef<int64_t>({mlir::ShapedType::kDynamic, 2, 64}));
    EXPECT_EQ(op.getKCache().getType().getShape(),
              llvm::ArrayRef<int64_t>(
                  {mlir::ShapedType::kDynamic, 32, 2, 128 + c.extra}));
    EXPECT_EQ(op.getVCache().getType().getShape(),
              llvm::ArrayRef<int64_t>(
                  {mlir::ShapedType::kDynamic, 32, 2, 64 + c.extra}));
    EXPECT_TRUE(op.getSlotMapping().getType().getElementType().isInteger(64));
    EXPECT_EQ(bool(op.getKScale()), c.scales);
    EXPECT_EQ(bool(op.getVScale()), c.scales);
  }
}

TEST_F(SpecToIRTest, MatchesHandWrittenIR) {
  // The spec of a Gemma-3 local layer builds exactly this IR.
  const char *expected = R"mlir(
    func.func @gemma(%q: memref<?x8x256xbf16>, %kc: memref<?x16x4x256xbf16>,
                     %vc: memref<?x16x4x256xbf16>, %bt: memref<?x?xi32>,
                     %sl: memref<?xi32>, %cu: memref<?xi32>, %o: memref<?x8x256xbf16>) {
      attn.paged_attention q(%q : memref<?x8x256xbf16>)
          k_cache(%kc : memref<?x16x4x256xbf16>) v_cache(%vc : memref<?x16x4x256xbf16>)
          block_table(%bt : memref<?x?xi32>) seq_lens(%sl : memref<?xi32>)
          cu_seqlens_q(%cu : memref<?xi32>)
          out(%o : memref<?x8x256xbf16>) scale(6.250000e-02)
          causal window <left = 1023, right = 0> softcap(3.000000e+01)
      return
    }
  )mlir";
  mlir::OwningOpRef<mlir::ModuleOp> parsed =
      mlir::parseSourceString<mlir::ModuleOp>(expected, &context);
  ASSERT_TRUE(parsed);
  auto built = build("name=gemma,heads=8,kv_heads=4,head_size=256,"
                     "window=1023:0,softcap=30");
  ASSERT_TRUE(built);
  EXPECT_EQ(print(*built), print(*parsed));
}

TEST_F(SpecToIRTest, BuiltModulesReparse) {
  for (const char *text :
       {"", "heads=16,kv_heads=4,head_size=64,sinks=1,alibi=sqrt,mm_prefix=1,"
            "qq_bias=1,kv_dtype=fp8_e4m3,out_dtype=fp8_e4m3,lse=1,"
            "window=511:0,softcap=50",
        "kv=varlen,causal=0", "chunk=64:2",
        "kind=cache_write,kv_dtype=int8_per_token_head"}) {
    SCOPED_TRACE(text);
    auto module = build(text);
    ASSERT_TRUE(module);
    std::string printed = print(*module);
    mlir::OwningOpRef<mlir::ModuleOp> reparsed =
        mlir::parseSourceString<mlir::ModuleOp>(printed, &context);
    ASSERT_TRUE(reparsed);
    EXPECT_EQ(print(*reparsed), printed);
  }
}

TEST_F(SpecToIRTest, BuildingTwiceInOneContext) {
  auto a = build("heads=8,kv_heads=2");
  auto b = build("heads=8,kv_heads=2");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(print(*a), print(*b));
}

TEST_F(SpecToIRTest, InvalidVariantsNameTheRule) {
  struct Case {
    const char *text, *message;
  };
  Case cases[] = {
      {"heads=8,kv_heads=3", "'attn.paged_attention' op query heads (8) must "
                             "be a multiple of key/value heads (3)"},
      {"head_size=36", "query head_size (36) must be a multiple of 8 between "
                       "32 and 256"},
      {"head_size=264", "query head_size (264) must be a multiple of 8"},
      {"head_size=20", "query head_size (20) must be a multiple of 8"},
      {"head_size_v=300", "value head_size (300) must be a multiple of 8"},
      {"chunk=64:0,window=63:0", "chunked local attention replaces the "
                                 "sliding window; got both chunk and window"},
      {"qq_bias=1,causal=0", "qq_bias (tree attention) is added on top of the "
                             "causal mask and requires causal"},
      {"dtype=f32,out_dtype=fp8_e4m3",
       "fp8 output requires a 16-bit query dtype; got f32"},
      {"dtype=bf16,out_dtype=f32", "out dtype ('f32') must be the query dtype "
                                   "('bf16') or f8E4M3FN"},
      {"kv=varlen,kv_dtype=fp8_e4m3",
       "'attn.varlen_attention' op kv_quant applies to paged caches only"},
      {"kv=varlen,kv_dtype=int8_per_token_head",
       "kv_quant applies to paged caches only"},
      {"kv=varlen,kv_dtype=fp8_e4m3fnuz",
       "'attn.varlen_attention' op kv_quant applies to paged caches only"},
      {"kv=varlen,heads=6,kv_heads=4",
       "'attn.varlen_attention' op query heads (6) must be a multiple of "
       "key/value heads (4)"},
      {"kind=cache_write,head_size=36", "'attn.cache_write' op key head_size "
                                        "(36) must be a multiple of 8"},
      {"kind=cache_write,head_size_v=12", "'attn.cache_write' op value "
                                          "head_size (12) must be a multiple "
                                          "of 8"},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.text);
    std::string error = buildError(c.text);
    EXPECT_EQ(error.rfind("invalid variant: ", 0), 0u) << error;
    EXPECT_NE(error.find(c.message), std::string::npos) << error;
  }
}

TEST_F(SpecToIRTest, ContextIsUsableAfterAnError) {
  // The scoped diagnostic handler is gone: a later valid build succeeds
  // and reports nothing.
  EXPECT_FALSE(buildError("head_size=36").empty());
  auto module = build("head_size=64");
  ASSERT_TRUE(module);
  EXPECT_EQ(variantOf(only<mlir::attn::PagedAttentionOp>(*module)).headSizeQK,
            64);
}

} // namespace
