//===- Module.cpp - Loaded kernel modules ---------------------------------===//
//
// Part of the attn project, the runtime library (libattnrt).
//
//===----------------------------------------------------------------------===//

#include "attn/Runtime/Module.h"

namespace attn {
namespace rt {

Module::Module(Device &device, std::string path)
    : device_(device), path_(std::move(path)) {}

Module::~Module() = default;

Status Module::initialize(std::string manifestText) {
  manifestText_ = std::move(manifestText);
  StatusOr<Manifest> manifest = parseManifest(manifestText_);
  if (!manifest.isOk())
    return Status(manifest.status().code(),
                  "module '" + path_ + "': " + manifest.status().message());
  kernels_ = std::move(manifest->kernels);
  for (const KernelInfo &info : kernels_) {
    for (const std::string *symbol :
         {&info.functions.twoD, &info.functions.twoDWide,
          &info.functions.split, &info.functions.reduce,
          &info.functions.write}) {
      if (symbol->empty() || functions_.count(*symbol))
        continue;
      StatusOr<void *> handle = resolveFunction(*symbol);
      if (!handle.isOk())
        return notFound("module '", path_, "': kernel '", info.name,
                        "' names function '", *symbol,
                        "', which the module does not export (",
                        handle.status().message(), ")");
      functions_.emplace(*symbol, *handle);
    }
  }
  return Status::ok();
}

const KernelInfo *Module::find(std::string_view name) const {
  for (const KernelInfo &info : kernels_)
    if (info.name == name)
      return &info;
  return nullptr;
}

StatusOr<const KernelInfo *> Module::lookup(std::string_view name) const {
  if (const KernelInfo *info = find(name))
    return info;
  std::string available;
  for (const KernelInfo &info : kernels_)
    available += (available.empty() ? "" : ", ") + info.name;
  return notFound("module '", path_, "' has no kernel '", name,
                  "' (it has: ", available.empty() ? "none" : available, ")");
}

StatusOr<Function> Module::function(std::string_view symbol) const {
  auto it = functions_.find(symbol);
  if (it == functions_.end())
    return notFound("module '", path_, "' has no function '", symbol,
                    "' in its manifest");
  Function fn;
  fn.name = it->first.c_str();
  fn.handle = it->second;
  return fn;
}

} // namespace rt
} // namespace attn
