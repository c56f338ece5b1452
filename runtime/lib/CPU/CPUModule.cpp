//===- CPUModule.cpp - Host bundles loaded with dlopen --------------------===//
//
// Part of the attn project, the runtime library (libattnrt).
//
//===----------------------------------------------------------------------===//
//
// A host bundle is a shared object exporting `attn_manifest` (a
// NUL-terminated const char[]) and the functions the manifest names
// (docs/KernelABI.md). It is opened with RTLD_LOCAL | RTLD_NOW so that two
// bundles may export the same names.
//
//===----------------------------------------------------------------------===//

#include "CPU/CPUDevice.h"

#include "Common/DynamicLibrary.h"
#include "attn/Runtime/KernelABI.h"
#include "attn/Runtime/Module.h"

#include <dlfcn.h>
#include <elf.h>
#include <link.h>

#include <cstring>

namespace attn {
namespace rt {
namespace cpu {

namespace {
class CPUModule final : public Module {
public:
  CPUModule(Device &device, std::string path, detail::DynamicLibrary library)
      : Module(device, std::move(path)), library_(std::move(library)) {}

  Status load() {
    const void *symbol = library_.symbol(ATTN_MANIFEST_SYMBOL);
    if (!symbol)
      return invalidArgument("module '", path(), "' does not export '",
                             ATTN_MANIFEST_SYMBOL,
                             "' (is it an attn host bundle?)");
    std::string text;
    ATTN_RT_RETURN_IF_ERROR(readManifest(symbol, text));
    return initialize(std::move(text));
  }

protected:
  StatusOr<void *> resolveFunction(const std::string &symbol) override {
    if (void *address = library_.symbol(symbol.c_str()))
      return address;
    return notFound("no symbol '", symbol, "'");
  }

private:
  /// Copies the manifest string, checking that the symbol really is a
  /// NUL-terminated character array (its ELF size bounds the search).
  Status readManifest(const void *symbol, std::string &text) {
    const char *chars = static_cast<const char *>(symbol);
    size_t limit = size_t(64) << 20;
    Dl_info info;
    void *symbolEntry = nullptr;
    if (dladdr1(symbol, &info, &symbolEntry, RTLD_DL_SYMENT) && symbolEntry) {
      const auto *elfSymbol = static_cast<const ElfW(Sym) *>(symbolEntry);
      if (elfSymbol->st_size > 0)
        limit = elfSymbol->st_size;
    }
    size_t length = strnlen(chars, limit);
    if (length == limit)
      return invalidArgument("module '", path(), "': '", ATTN_MANIFEST_SYMBOL,
                             "' is not a NUL-terminated string (it must be "
                             "a const char[] holding JSON, not a pointer)");
    size_t first = 0;
    while (first < length && std::strchr(" \t\r\n", chars[first]))
      ++first;
    if (first == length || chars[first] != '{')
      return invalidArgument("module '", path(), "': '", ATTN_MANIFEST_SYMBOL,
                             "' does not hold a JSON object (it must be a "
                             "const char[], not a pointer)");
    text.assign(chars, length);
    return Status::ok();
  }

  detail::DynamicLibrary library_;
};
} // namespace

StatusOr<std::unique_ptr<Module>> loadHostBundle(Device &device,
                                                 const std::string &path) {
  if (path.empty())
    return invalidArgument("module path is empty");
  StatusOr<detail::DynamicLibrary> library = detail::DynamicLibrary::open(path);
  if (!library.isOk())
    return library.status();
  auto module = std::make_unique<CPUModule>(device, path, std::move(*library));
  ATTN_RT_RETURN_IF_ERROR(module->load());
  return std::unique_ptr<Module>(std::move(module));
}

} // namespace cpu
} // namespace rt
} // namespace attn
