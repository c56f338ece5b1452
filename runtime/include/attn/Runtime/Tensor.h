//===- Tensor.h - Tensor references passed to kernels -----------*- C++ -*-===//
//
// Part of the attn project, the runtime library (libattnrt).
//
//===----------------------------------------------------------------------===//
//
// TensorRef describes a contiguous row-major tensor that lives in device
// memory (host memory for the CPU device). It does not own the data. A null
// data pointer means "absent", except that a tensor of rank > 0 with zero
// elements counts as given even with a null pointer (PyTorch hands out null
// pointers for empty tensors).
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_RUNTIME_TENSOR_H
#define ATTN_RUNTIME_TENSOR_H

#include "attn/Runtime/DType.h"

#include <cstdint>
#include <initializer_list>
#include <string>

namespace attn {
namespace rt {

/// Maximum rank of a TensorRef.
constexpr int kMaxRank = 4;

struct TensorRef {
  void *data = nullptr;
  DType dtype = DType::F32;
  int rank = 0;
  int64_t shape[kMaxRank] = {0, 0, 0, 0};

  /// Builds a reference; dims beyond kMaxRank are an error reported by
  /// validation (the rank is recorded, the extra dims are dropped).
  static TensorRef make(void *data, DType dtype,
                        std::initializer_list<int64_t> dims);

  /// True when the tensor was given (see the file comment).
  bool isGiven() const;
  /// Product of the dims (1 for rank 0); 0 if any dim is 0 or negative.
  int64_t numElements() const;
  /// numElements() * dtypeSize(dtype).
  int64_t numBytes() const;
  /// "[5, 32, 128]".
  std::string shapeString() const;
};

} // namespace rt
} // namespace attn

#endif // ATTN_RUNTIME_TENSOR_H
