//===- Runtime.h - Everything of the attn runtime's C++ API -----*- C++ -*-===//
//
// Part of the attn project, the runtime library (libattnrt).
//
//===----------------------------------------------------------------------===//
//
// One include for programs that embed precompiled attention kernels:
//
//   auto device = attn::rt::Device::open(attn::rt::DeviceKind::CPU);
//   auto module = (*device)->loadModule("llama.so");
//   auto kernel = attn::rt::AttentionKernel::create(**device, **module,
//                                                   "llama", 8192);
//   attn::rt::Status status = (*kernel)->run(args);
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_RUNTIME_RUNTIME_H
#define ATTN_RUNTIME_RUNTIME_H

#include "attn/Runtime/AttentionKernel.h"
#include "attn/Runtime/CacheWriteKernel.h"
#include "attn/Runtime/DType.h"
#include "attn/Runtime/Device.h"
#include "attn/Runtime/Manifest.h"
#include "attn/Runtime/Module.h"
#include "attn/Runtime/Status.h"
#include "attn/Runtime/Tensor.h"

#endif // ATTN_RUNTIME_RUNTIME_H
