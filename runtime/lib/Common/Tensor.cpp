//===- Tensor.cpp - Tensor references passed to kernels -------------------===//
//
// Part of the attn project, the runtime library (libattnrt).
//
//===----------------------------------------------------------------------===//

#include "attn/Runtime/Tensor.h"

namespace attn {
namespace rt {

TensorRef TensorRef::make(void *data, DType dtype,
                          std::initializer_list<int64_t> dims) {
  TensorRef ref;
  ref.data = data;
  ref.dtype = dtype;
  ref.rank = static_cast<int>(dims.size());
  int i = 0;
  for (int64_t dim : dims) {
    if (i >= kMaxRank)
      break;
    ref.shape[i++] = dim;
  }
  return ref;
}

bool TensorRef::isGiven() const {
  if (data)
    return true;
  return rank > 0 && rank <= kMaxRank && numElements() == 0;
}

int64_t TensorRef::numElements() const {
  int64_t count = 1;
  for (int i = 0; i < rank && i < kMaxRank; ++i) {
    if (shape[i] <= 0)
      return 0;
    count *= shape[i];
  }
  return count;
}

int64_t TensorRef::numBytes() const {
  return numElements() * static_cast<int64_t>(dtypeSize(dtype));
}

std::string TensorRef::shapeString() const {
  std::string text = "[";
  for (int i = 0; i < rank && i < kMaxRank; ++i) {
    if (i)
      text += ", ";
    text += std::to_string(shape[i]);
  }
  if (rank > kMaxRank)
    text += ", ...";
  return text + "]";
}

} // namespace rt
} // namespace attn
