//===- Module.h - Loaded kernel modules -------------------------*- C++ -*-===//
//
// Part of the attn project, the runtime library (libattnrt).
//
//===----------------------------------------------------------------------===//
//
// A Module is a kernel bundle loaded on a Device: its manifest (the list of
// KernelInfo) and the entry points the manifest names, all resolved at load
// time so that a bundle missing a function fails to load rather than to
// launch.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_RUNTIME_MODULE_H
#define ATTN_RUNTIME_MODULE_H

#include "attn/Runtime/Device.h"
#include "attn/Runtime/Manifest.h"
#include "attn/Runtime/Status.h"

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace attn {
namespace rt {

class Module {
public:
  virtual ~Module();
  Module(const Module &) = delete;
  Module &operator=(const Module &) = delete;

  Device &device() const { return device_; }
  /// The file the module was loaded from.
  const std::string &path() const { return path_; }
  /// The manifest JSON text as exported by the bundle.
  const std::string &manifestText() const { return manifestText_; }
  const std::vector<KernelInfo> &kernels() const { return kernels_; }

  /// The kernel called `name`, or null.
  const KernelInfo *find(std::string_view name) const;
  /// Like find(), with a NotFound error that lists the available kernels.
  StatusOr<const KernelInfo *> lookup(std::string_view name) const;
  /// An entry point named in the manifest (NotFound for other names).
  StatusOr<Function> function(std::string_view symbol) const;

protected:
  Module(Device &device, std::string path);

  /// Called by backends once the bundle is loaded: parses the manifest and
  /// resolves every function it names through resolveFunction().
  Status initialize(std::string manifestText);
  /// Backend hook: the handle of an exported function, or NotFound.
  virtual StatusOr<void *> resolveFunction(const std::string &symbol) = 0;

private:
  Device &device_;
  std::string path_;
  std::string manifestText_;
  std::vector<KernelInfo> kernels_;
  std::map<std::string, void *, std::less<>> functions_;
};

} // namespace rt
} // namespace attn

#endif // ATTN_RUNTIME_MODULE_H
