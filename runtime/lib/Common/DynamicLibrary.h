//===- DynamicLibrary.h - dlopen wrapper ------------------------*- C++ -*-===//
//
// Part of the attn project, the runtime library (libattnrt).
//
//===----------------------------------------------------------------------===//
//
// Private to the runtime: an owned dlopen() handle, used for host bundles
// (CPU modules) and for the GPU driver libraries.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_RUNTIME_LIB_COMMON_DYNAMICLIBRARY_H
#define ATTN_RUNTIME_LIB_COMMON_DYNAMICLIBRARY_H

#include "attn/Runtime/Status.h"

#include <string>

namespace attn {
namespace rt {
namespace detail {

class DynamicLibrary {
public:
  DynamicLibrary() = default;
  DynamicLibrary(DynamicLibrary &&other) noexcept { *this = std::move(other); }
  DynamicLibrary &operator=(DynamicLibrary &&other) noexcept;
  DynamicLibrary(const DynamicLibrary &) = delete;
  DynamicLibrary &operator=(const DynamicLibrary &) = delete;
  ~DynamicLibrary();

  /// dlopen(path, RTLD_LOCAL | RTLD_NOW). The error carries dlerror()'s
  /// text; a path containing '/' that does not exist gives NotFound.
  static StatusOr<DynamicLibrary> open(const std::string &path);

  bool isOpen() const { return handle_ != nullptr; }
  /// dlsym(); null when absent.
  void *symbol(const char *name) const;

private:
  explicit DynamicLibrary(void *handle) : handle_(handle) {}
  void *handle_ = nullptr;
};

} // namespace detail
} // namespace rt
} // namespace attn

#endif // ATTN_RUNTIME_LIB_COMMON_DYNAMICLIBRARY_H
