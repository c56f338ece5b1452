//===- Validation.h - Checking tensors against a kernel ---------*- C++ -*-===//
//
// Part of the attn project, the runtime library (libattnrt).
//
//===----------------------------------------------------------------------===//
//
// Private to the runtime: shape and dtype checks shared by the kernel
// objects. A check names the kernel, the argument, what it got and what was
// expected:
//   kernel 'llama': q has shape [5, 16, 128]; expected [num_tokens, 32, 128]
//   (dim 1 is 16, expected heads = 32)
// Success allocates nothing (the hot path runs these on every launch).
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_RUNTIME_LIB_COMMON_VALIDATION_H
#define ATTN_RUNTIME_LIB_COMMON_VALIDATION_H

#include "attn/Runtime/Status.h"
#include "attn/Runtime/Tensor.h"

#include <cstdint>
#include <initializer_list>

namespace attn {
namespace rt {
namespace detail {

/// A set of DTypes, one bit per DType value.
using DTypeMask = uint32_t;

inline DTypeMask maskOf(DType dtype) {
  return 1u << static_cast<uint32_t>(dtype);
}

/// One expected dimension.
struct Dim {
  enum class Kind {
    /// A size fixed by the kernel (heads, head_size, ...): printed as the
    /// number, named in the mismatch note.
    Static,
    /// A size known from an earlier argument: printed as "name=value".
    Derived,
    /// A size this argument defines: any value >= 0, stored in *bind.
    Bind,
    /// At least `value` (printed as ">=name").
    AtLeast,
  };
  Kind kind;
  int64_t value;
  const char *name;
  int64_t *bind;
};

inline Dim staticDim(int64_t value, const char *name) {
  return {Dim::Kind::Static, value, name, nullptr};
}
inline Dim derivedDim(const char *name, int64_t value) {
  return {Dim::Kind::Derived, value, name, nullptr};
}
inline Dim bindDim(const char *name, int64_t *bind) {
  return {Dim::Kind::Bind, -1, name, bind};
}
inline Dim atLeastDim(const char *name, int64_t value) {
  return {Dim::Kind::AtLeast, value, name, nullptr};
}

/// Checks a tensor that is given: dtype in `dtypes`, rank and every dim.
/// Bound dims are written only when the whole check passes.
Status checkTensor(const char *kernel, const char *what, const TensorRef &t,
                   DTypeMask dtypes, std::initializer_list<Dim> dims);

/// Fails when a tensor the kernel reads was not given; `why` says which
/// manifest setting needs it ("sinks=1").
Status requireGiven(const char *kernel, const char *what, const TensorRef &t,
                    const char *why);

/// A per-tensor float32 scale: rank 0, or rank 1 with shape [1].
Status checkScalar(const char *kernel, const char *what, const TensorRef &t,
                   const char *why);

/// "kv_dtype=<name>" for a per-tensor fp8 kv dtype (a static string, for
/// checkScalar's `why`; no allocation on the launch path).
const char *perTensorScaleReason(KvDType kvDType);
/// "out_dtype=<name>" for an fp8 out dtype (static, as above).
const char *fp8OutReason(DType outDType);

/// Fails when `value` does not fit the ABI's int32 scalar `what`.
Status checkInt32(const char *kernel, const char *what, int64_t value);

} // namespace detail
} // namespace rt
} // namespace attn

#endif // ATTN_RUNTIME_LIB_COMMON_VALIDATION_H
