//===- DynamicLibrary.cpp - dlopen wrapper --------------------------------===//
//
// Part of the attn project, the runtime library (libattnrt).
//
//===----------------------------------------------------------------------===//

#include "Common/DynamicLibrary.h"

#include <dlfcn.h>
#include <sys/stat.h>

namespace attn {
namespace rt {
namespace detail {

DynamicLibrary &DynamicLibrary::operator=(DynamicLibrary &&other) noexcept {
  if (this != &other) {
    if (handle_)
      dlclose(handle_);
    handle_ = other.handle_;
    other.handle_ = nullptr;
  }
  return *this;
}

DynamicLibrary::~DynamicLibrary() {
  if (handle_)
    dlclose(handle_);
}

StatusOr<DynamicLibrary> DynamicLibrary::open(const std::string &path) {
  if (path.find('/') != std::string::npos) {
    struct stat info;
    if (::stat(path.c_str(), &info) != 0)
      return notFound("cannot load '", path, "': file not found");
    if (S_ISDIR(info.st_mode))
      return invalidArgument("cannot load '", path, "': it is a directory");
  }
  dlerror(); // Clear a stale error.
  void *handle = dlopen(path.c_str(), RTLD_LOCAL | RTLD_NOW);
  if (!handle) {
    const char *message = dlerror();
    std::string text = message ? message : "dlopen failed";
    if (text.find("No such file or directory") != std::string::npos)
      return notFound("cannot load '", path, "': ", text);
    return invalidArgument("cannot load '", path, "': ", text);
  }
  return DynamicLibrary(handle);
}

void *DynamicLibrary::symbol(const char *name) const {
  if (!handle_)
    return nullptr;
  return dlsym(handle_, name);
}

} // namespace detail
} // namespace rt
} // namespace attn
