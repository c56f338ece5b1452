//===- Spec.cpp - the compact variant spec string -------------------------===//

#include "attn/Spec/Spec.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <map>
#include <sstream>

using namespace attn;

const char *const attn::kDefaultSpec =
    "name=llama,heads=32,kv_heads=8,head_size=128,dtype=bf16,block_size=16,"
    "causal=1";

double VariantSpec::effectiveScale() const {
  return scale > 0.0 ? scale : 1.0 / std::sqrt(double(headSize));
}

namespace {

using Setter = std::function<bool(VariantSpec &, const std::string &,
                                  std::string &)>;

bool parseInt(const std::string &s, int64_t &out) {
  if (s.empty())
    return false;
  errno = 0;
  char *end = nullptr;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (errno || *end)
    return false;
  out = v;
  return true;
}

bool parseDouble(const std::string &s, double &out) {
  if (s.empty())
    return false;
  errno = 0;
  char *end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (errno || *end || !std::isfinite(v))
    return false;
  out = v;
  return true;
}

Setter positiveInt(int64_t VariantSpec::*field) {
  return [field](VariantSpec &s, const std::string &v, std::string &err) {
    int64_t x;
    if (!parseInt(v, x) || x <= 0) {
      err = "expected a positive integer";
      return false;
    }
    s.*field = x;
    return true;
  };
}

Setter flag(bool VariantSpec::*field) {
  return [field](VariantSpec &s, const std::string &v, std::string &err) {
    if (v != "0" && v != "1") {
      err = "expected 0 or 1";
      return false;
    }
    s.*field = v == "1";
    return true;
  };
}

Setter oneOf(std::string VariantSpec::*field,
             std::vector<std::string> choices) {
  return [field, choices](VariantSpec &s, const std::string &v,
                          std::string &err) {
    for (const std::string &c : choices)
      if (c == v) {
        s.*field = v;
        return true;
      }
    err = "expected one of";
    for (const std::string &c : choices)
      err += " " + c;
    return false;
  };
}

/// "A:B" into two integers, each >= lo.
Setter pair(int64_t VariantSpec::*a, int64_t VariantSpec::*b, int64_t loA,
            int64_t loB, const char *what) {
  return [=](VariantSpec &s, const std::string &v, std::string &err) {
    size_t colon = v.find(':');
    int64_t x, y;
    if (colon == std::string::npos || !parseInt(v.substr(0, colon), x) ||
        !parseInt(v.substr(colon + 1), y) || x < loA || y < loB) {
      err = std::string("expected ") + what;
      return false;
    }
    s.*a = x;
    s.*b = y;
    return true;
  };
}

Setter nonNegativeReal(double VariantSpec::*field) {
  return [field](VariantSpec &s, const std::string &v, std::string &err) {
    double x;
    if (!parseDouble(v, x) || x < 0) {
      err = "expected a non-negative number (0 = off/default)";
      return false;
    }
    s.*field = x;
    return true;
  };
}

const std::vector<std::pair<std::string, Setter>> &setters() {
  static const std::vector<std::pair<std::string, Setter>> table = {
      {"name",
       [](VariantSpec &s, const std::string &v, std::string &err) {
         bool ok = !v.empty() && (std::isalpha((unsigned char)v[0]) || v[0] == '_');
         for (char c : v)
           ok = ok && (std::isalnum((unsigned char)c) || c == '_');
         if (!ok) {
           err = "expected an identifier ([A-Za-z_][A-Za-z0-9_]*)";
           return false;
         }
         s.name = v;
         return true;
       }},
      {"kind", oneOf(&VariantSpec::kind, {"attention", "cache_write"})},
      {"kv", oneOf(&VariantSpec::kv, {"paged", "varlen"})},
      {"heads", positiveInt(&VariantSpec::heads)},
      {"kv_heads", positiveInt(&VariantSpec::kvHeads)},
      {"head_size", positiveInt(&VariantSpec::headSize)},
      {"head_size_v",
       [](VariantSpec &s, const std::string &v, std::string &err) {
         int64_t x;
         if (!parseInt(v, x) || x < 0) {
           err = "expected a positive integer (0 = head_size)";
           return false;
         }
         s.headSizeV = x;
         return true;
       }},
      {"dtype", oneOf(&VariantSpec::dtype, {"f16", "bf16", "f32"})},
      {"kv_dtype",
       oneOf(&VariantSpec::kvDtype,
             {"auto", "fp8_e4m3", "fp8_e5m2", "fp8_e4m3fnuz", "fp8_e5m2fnuz",
              "int8_per_token_head", "fp8_per_token_head"})},
      {"out_dtype",
       oneOf(&VariantSpec::outDtype, {"f16", "bf16", "f32", "fp8_e4m3"})},
      {"block_size", positiveInt(&VariantSpec::blockSize)},
      {"causal", flag(&VariantSpec::causal)},
      {"window", pair(&VariantSpec::windowLeft, &VariantSpec::windowRight, -1,
                      -1, "LEFT:RIGHT with each >= -1 (-1 = unbounded)")},
      {"softcap", nonNegativeReal(&VariantSpec::softcap)},
      {"sinks", flag(&VariantSpec::sinks)},
      {"alibi", oneOf(&VariantSpec::alibi, {"0", "1", "sqrt"})},
      {"mm_prefix", flag(&VariantSpec::mmPrefix)},
      {"chunk", pair(&VariantSpec::chunkSize, &VariantSpec::chunkLookback, 0,
                     0, "SIZE:LOOKBACK with SIZE > 0 (0:0 = off) and "
                        "LOOKBACK >= 0")},
      {"qq_bias", flag(&VariantSpec::qqBias)},
      {"lse", flag(&VariantSpec::lse)},
      {"scale", nonNegativeReal(&VariantSpec::scale)},
  };
  return table;
}

} // namespace

const std::vector<std::string> &attn::specKeys() {
  static const std::vector<std::string> keys = [] {
    std::vector<std::string> k;
    for (const auto &entry : setters())
      k.push_back(entry.first);
    return k;
  }();
  return keys;
}

std::optional<VariantSpec> attn::parseSpec(const std::string &text,
                                           std::string &error) {
  VariantSpec spec;
  std::map<std::string, bool> seen;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    // Tolerate spaces around items.
    size_t b = item.find_first_not_of(" \t"), e = item.find_last_not_of(" \t");
    if (b == std::string::npos)
      continue;
    item = item.substr(b, e - b + 1);
    size_t eq = item.find('=');
    if (eq == std::string::npos) {
      error = "spec item '" + item + "' is not of the form key=value";
      return std::nullopt;
    }
    auto trim = [](std::string x) {
      size_t b = x.find_first_not_of(" \t"), e = x.find_last_not_of(" \t");
      return b == std::string::npos ? std::string() : x.substr(b, e - b + 1);
    };
    std::string key = trim(item.substr(0, eq)),
                value = trim(item.substr(eq + 1));
    const Setter *setter = nullptr;
    for (const auto &entry : setters())
      if (entry.first == key)
        setter = &entry.second;
    if (!setter) {
      error = "unknown spec key '" + key + "' (known keys:";
      for (const std::string &k : specKeys())
        error += " " + k;
      error += ")";
      return std::nullopt;
    }
    if (seen[key]) {
      error = "spec key '" + key + "' is given twice";
      return std::nullopt;
    }
    seen[key] = true;
    std::string why;
    if (!(*setter)(spec, value, why)) {
      error = "bad value '" + value + "' for spec key '" + key + "': " + why;
      return std::nullopt;
    }
  }
  if (spec.chunkSize == 0 && spec.chunkLookback != 0) {
    error = "bad value for spec key 'chunk': SIZE must be positive when "
            "LOOKBACK is given";
    return std::nullopt;
  }
  return spec;
}

static std::string formatReal(double x) {
  std::ostringstream os;
  os.precision(17);
  os << x;
  return os.str();
}

std::string attn::formatSpec(const VariantSpec &s) {
  std::ostringstream os;
  os << "name=" << s.name << ",kind=" << s.kind << ",kv=" << s.kv
     << ",heads=" << s.heads << ",kv_heads=" << s.kvHeads
     << ",head_size=" << s.headSize
     << ",head_size_v=" << s.effectiveHeadSizeV() << ",dtype=" << s.dtype
     << ",kv_dtype=" << s.kvDtype << ",out_dtype=" << s.effectiveOutDtype()
     << ",block_size=" << s.blockSize << ",causal=" << s.causal
     << ",window=" << s.windowLeft << ":" << s.windowRight
     << ",softcap=" << formatReal(s.softcap) << ",sinks=" << s.sinks
     << ",alibi=" << s.alibi << ",mm_prefix=" << s.mmPrefix
     << ",chunk=" << s.chunkSize << ":" << s.chunkLookback
     << ",qq_bias=" << s.qqBias << ",lse=" << s.lse
     << ",scale=" << formatReal(s.effectiveScale());
  return os.str();
}
