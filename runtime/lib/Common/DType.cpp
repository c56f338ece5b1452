//===- DType.cpp - Element types of runtime tensors -----------------------===//
//
// Part of the attn project, the runtime library (libattnrt).
//
//===----------------------------------------------------------------------===//

#include "attn/Runtime/DType.h"

namespace attn {
namespace rt {

namespace {
struct DTypeEntry {
  DType dtype;
  const char *name;
  size_t size;
};
constexpr DTypeEntry kDTypes[] = {
    {DType::F32, "f32", 4},
    {DType::F16, "f16", 2},
    {DType::BF16, "bf16", 2},
    {DType::Fp8E4M3, "fp8_e4m3", 1},
    {DType::Fp8E5M2, "fp8_e5m2", 1},
    {DType::I8, "i8", 1},
    {DType::U8, "u8", 1},
    {DType::I32, "i32", 4},
    {DType::I64, "i64", 8},
    {DType::Fp8E4M3Fnuz, "fp8_e4m3fnuz", 1},
    {DType::Fp8E5M2Fnuz, "fp8_e5m2fnuz", 1},
};
static_assert(sizeof(kDTypes) / sizeof(kDTypes[0]) == kNumDTypes,
              "one kDTypes entry per DType, in code order");

struct KvDTypeEntry {
  KvDType kvDType;
  const char *name;
};
constexpr KvDTypeEntry kKvDTypes[] = {
    {KvDType::Auto, "auto"},
    {KvDType::F32, "f32"},
    {KvDType::F16, "f16"},
    {KvDType::BF16, "bf16"},
    {KvDType::Fp8E4M3, "fp8_e4m3"},
    {KvDType::Fp8E5M2, "fp8_e5m2"},
    {KvDType::Int8PerTokenHead, "int8_per_token_head"},
    {KvDType::Fp8PerTokenHead, "fp8_per_token_head"},
    {KvDType::Fp8E4M3Fnuz, "fp8_e4m3fnuz"},
    {KvDType::Fp8E5M2Fnuz, "fp8_e5m2fnuz"},
};
static_assert(sizeof(kKvDTypes) / sizeof(kKvDTypes[0]) == kNumKvDTypes,
              "one kKvDTypes entry per KvDType");
} // namespace

bool isValidDType(int32_t code) { return code >= 0 && code < kNumDTypes; }

const char *dtypeName(DType dtype) {
  int32_t code = static_cast<int32_t>(dtype);
  return isValidDType(code) ? kDTypes[code].name : "invalid";
}

std::optional<DType> parseDType(std::string_view name) {
  for (const DTypeEntry &entry : kDTypes)
    if (name == entry.name)
      return entry.dtype;
  return std::nullopt;
}

size_t dtypeSize(DType dtype) {
  int32_t code = static_cast<int32_t>(dtype);
  return isValidDType(code) ? kDTypes[code].size : 0;
}

bool isFloat8(DType dtype) {
  return dtype == DType::Fp8E4M3 || dtype == DType::Fp8E5M2 || isFnuz(dtype);
}

bool isFnuz(DType dtype) {
  return dtype == DType::Fp8E4M3Fnuz || dtype == DType::Fp8E5M2Fnuz;
}

bool isValidKvDType(int32_t code) { return code >= 0 && code < kNumKvDTypes; }

const char *kvDTypeName(KvDType kvDType) {
  for (const KvDTypeEntry &entry : kKvDTypes)
    if (entry.kvDType == kvDType)
      return entry.name;
  return "invalid";
}

std::optional<KvDType> parseKvDType(std::string_view name) {
  for (const KvDTypeEntry &entry : kKvDTypes)
    if (name == entry.name)
      return entry.kvDType;
  return std::nullopt;
}

bool isPerTokenHead(KvDType kvDType) {
  return kvDType == KvDType::Int8PerTokenHead ||
         kvDType == KvDType::Fp8PerTokenHead;
}

bool needsPerTensorScale(KvDType kvDType) {
  return kvDType == KvDType::Fp8E4M3 || kvDType == KvDType::Fp8E5M2 ||
         kvDType == KvDType::Fp8E4M3Fnuz || kvDType == KvDType::Fp8E5M2Fnuz;
}

DType kvStorageDType(KvDType kvDType, DType queryDType) {
  switch (kvDType) {
  case KvDType::Auto:
    return queryDType;
  case KvDType::F32:
    return DType::F32;
  case KvDType::F16:
    return DType::F16;
  case KvDType::BF16:
    return DType::BF16;
  case KvDType::Fp8E4M3:
    return DType::Fp8E4M3;
  case KvDType::Fp8E5M2:
    return DType::Fp8E5M2;
  case KvDType::Fp8E4M3Fnuz:
    return DType::Fp8E4M3Fnuz;
  case KvDType::Fp8E5M2Fnuz:
    return DType::Fp8E5M2Fnuz;
  case KvDType::Int8PerTokenHead:
  case KvDType::Fp8PerTokenHead:
    return DType::I8;
  }
  return queryDType;
}

} // namespace rt
} // namespace attn
