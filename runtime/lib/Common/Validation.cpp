//===- Validation.cpp - Checking tensors against a kernel -----------------===//
//
// Part of the attn project, the runtime library (libattnrt).
//
//===----------------------------------------------------------------------===//

#include "Common/Validation.h"

#include <string>

namespace attn {
namespace rt {
namespace detail {

namespace {
std::string maskNames(DTypeMask dtypes) {
  std::string names;
  for (int32_t code = 0; code < kNumDTypes; ++code) {
    if (!(dtypes & (1u << code)))
      continue;
    if (!names.empty())
      names += " or ";
    names += dtypeName(static_cast<DType>(code));
  }
  return names;
}

std::string expectedShape(std::initializer_list<Dim> dims) {
  std::string text = "[";
  bool first = true;
  for (const Dim &dim : dims) {
    if (!first)
      text += ", ";
    first = false;
    switch (dim.kind) {
    case Dim::Kind::Static:
      text += std::to_string(dim.value);
      break;
    case Dim::Kind::Derived:
      text += std::string(dim.name) + "=" + std::to_string(dim.value);
      break;
    case Dim::Kind::Bind:
      text += dim.name;
      break;
    case Dim::Kind::AtLeast:
      text += std::string(">=") + dim.name + "=" + std::to_string(dim.value);
      break;
    }
  }
  return text + "]";
}

std::string prefix(const char *kernel) {
  return std::string("kernel '") + kernel + "': ";
}
} // namespace

Status checkTensor(const char *kernel, const char *what, const TensorRef &t,
                   DTypeMask dtypes, std::initializer_list<Dim> dims) {
  if (!isValidDType(static_cast<int32_t>(t.dtype)))
    return invalidArgument(prefix(kernel), what, " has an invalid dtype code ",
                           static_cast<int32_t>(t.dtype));
  if (!(dtypes & maskOf(t.dtype)))
    return invalidArgument(prefix(kernel), what, " has dtype ",
                           dtypeName(t.dtype), "; expected ",
                           maskNames(dtypes));
  if (t.rank < 0 || t.rank > kMaxRank)
    return invalidArgument(prefix(kernel), what, " has rank ", t.rank,
                           "; ranks 0 to ", kMaxRank, " are supported");
  int expectedRank = static_cast<int>(dims.size());
  if (t.rank != expectedRank)
    return invalidArgument(prefix(kernel), what, " has ", t.rank,
                           t.rank == 1 ? " dim " : " dims ", t.shapeString(),
                           "; expected ", expectedRank, " dims ",
                           expectedShape(dims));
  int i = 0;
  for (const Dim &dim : dims) {
    int64_t got = t.shape[i];
    bool ok = true;
    switch (dim.kind) {
    case Dim::Kind::Static:
    case Dim::Kind::Derived:
      ok = got == dim.value;
      break;
    case Dim::Kind::Bind:
      ok = got >= 0;
      break;
    case Dim::Kind::AtLeast:
      ok = got >= dim.value;
      break;
    }
    if (!ok) {
      std::string note;
      if (dim.kind == Dim::Kind::Bind)
        note = "must not be negative";
      else if (dim.kind == Dim::Kind::AtLeast)
        note = std::string("expected at least ") + dim.name + " = " +
               std::to_string(dim.value);
      else
        note = std::string("expected ") + dim.name + " = " +
               std::to_string(dim.value);
      return invalidArgument(
          prefix(kernel), what, " has shape ", t.shapeString(), "; expected ",
          expectedShape(dims), " (dim ", i, " is ", got, ", ", note, ")");
    }
    ++i;
  }
  i = 0;
  for (const Dim &dim : dims) {
    if (dim.kind == Dim::Kind::Bind && dim.bind)
      *dim.bind = t.shape[i];
    ++i;
  }
  return Status::ok();
}

Status requireGiven(const char *kernel, const char *what, const TensorRef &t,
                    const char *why) {
  if (t.isGiven())
    return Status::ok();
  return invalidArgument(prefix(kernel), what, " is required (", why,
                         ") but was not given (null data pointer)");
}

const char *perTensorScaleReason(KvDType kvDType) {
  switch (kvDType) {
  case KvDType::Fp8E4M3:
    return "kv_dtype=fp8_e4m3";
  case KvDType::Fp8E5M2:
    return "kv_dtype=fp8_e5m2";
  case KvDType::Fp8E4M3Fnuz:
    return "kv_dtype=fp8_e4m3fnuz";
  case KvDType::Fp8E5M2Fnuz:
    return "kv_dtype=fp8_e5m2fnuz";
  default:
    return "a per-tensor fp8 kv_dtype";
  }
}

const char *fp8OutReason(DType outDType) {
  switch (outDType) {
  case DType::Fp8E4M3:
    return "out_dtype=fp8_e4m3";
  case DType::Fp8E5M2:
    return "out_dtype=fp8_e5m2";
  case DType::Fp8E4M3Fnuz:
    return "out_dtype=fp8_e4m3fnuz";
  case DType::Fp8E5M2Fnuz:
    return "out_dtype=fp8_e5m2fnuz";
  default:
    return "an fp8 out_dtype";
  }
}

Status checkScalar(const char *kernel, const char *what, const TensorRef &t,
                   const char *why) {
  ATTN_RT_RETURN_IF_ERROR(requireGiven(kernel, what, t, why));
  if (t.rank == 0)
    return checkTensor(kernel, what, t, maskOf(DType::F32), {});
  return checkTensor(kernel, what, t, maskOf(DType::F32), {staticDim(1, "1")});
}

Status checkInt32(const char *kernel, const char *what, int64_t value) {
  if (value >= 0 && value <= INT32_MAX)
    return Status::ok();
  return invalidArgument(prefix(kernel), what, " = ", value,
                         " does not fit the kernel ABI's int32 argument");
}

} // namespace detail
} // namespace rt
} // namespace attn
