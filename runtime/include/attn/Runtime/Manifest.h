//===- Manifest.h - Kernel manifests of host bundles ------------*- C++ -*-===//
//
// Part of the attn project, the runtime library (libattnrt).
//
//===----------------------------------------------------------------------===//
//
// The manifest is the JSON text a kernel bundle exports as `attn_manifest`
// (docs/KernelABI.md). It lists every kernel in the bundle with the static
// facts the runtime needs to validate arguments and launch it.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_RUNTIME_MANIFEST_H
#define ATTN_RUNTIME_MANIFEST_H

#include "attn/Runtime/DType.h"
#include "attn/Runtime/Json.h"
#include "attn/Runtime/Status.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace attn {
namespace rt {

/// The manifest version this runtime reads.
constexpr int64_t kManifestVersion = 2;

enum class KernelKind { Attention, CacheWrite };
enum class KvLayout { Paged, Varlen };

/// "attention" / "cache_write"; "paged" / "varlen".
const char *kernelKindName(KernelKind kind);
const char *kvLayoutName(KvLayout layout);

/// Symbol names of a kernel's entry points (manifest key "functions").
/// Empty when the kernel has no such function.
struct KernelFunctions {
  std::string twoD;   // "2d"
  std::string twoDWide; // "2d_wide" (the wide, prefill form)
  std::string split;  // "split"
  std::string reduce; // "reduce"
  std::string write;  // "write"
};

/// One manifest entry.
struct KernelInfo {
  std::string name;
  KernelKind kind = KernelKind::Attention;
  std::string spec;
  int64_t heads = 0;
  int64_t kvHeads = 0;
  int64_t headSize = 0;
  int64_t headSizeV = 0;
  int64_t blockSize = 0;
  KvLayout kvLayout = KvLayout::Paged;
  DType dtype = DType::F32;
  KvDType kvDType = KvDType::Auto;
  DType outDType = DType::F32;
  int64_t kvRowBytes = 0;
  bool causal = false;
  /// Keys left of the diagonal a query attends to (-1: unbounded).
  int64_t windowLeft = -1;
  bool sinks = false;
  /// "none" or the ALiBi form ("plain" or "sqrt").
  std::string alibi = "none";
  bool mmPrefix = false;
  bool qqBias = false;
  bool lse = false;
  double scale = 0.0;
  int64_t blockQ = 0;
  int64_t blockM = 0;
  int64_t blockN = 0;
  /// Split-KV segments; 0 when the kernel has no split form.
  int64_t segments = 0;
  /// The wide 2D form's tile (wide_block_q tokens, wide_block_m rows); 0
  /// when the kernel has none.
  int64_t wideBlockQ = 0;
  int64_t wideBlockM = 0;
  KernelFunctions functions;
  /// The manifest entry as compact JSON text.
  std::string json;

  bool usesAlibi() const { return alibi != "none"; }
  bool hasSplit() const { return segments > 0 && !functions.split.empty(); }
  bool hasWide() const { return wideBlockQ > 0 && !functions.twoDWide.empty(); }
  /// Element type of the K/V cache tensors (see kvStorageDType()).
  DType kvStorage() const { return kvStorageDType(kvDType, dtype); }
  /// Last dim of k_cache / v_cache: head size, + 4 for per-token-head.
  int64_t kCacheLastDim() const;
  int64_t vCacheLastDim() const;
};

struct Manifest {
  int64_t version = kManifestVersion;
  std::vector<KernelInfo> kernels;
};

/// Parses a manifest JSON text. Errors name the kernel and the key:
/// "manifest kernel 'llama': missing key \"block_q\"".
StatusOr<Manifest> parseManifest(std::string_view text);

/// Reads one manifest entry (a JSON object).
StatusOr<KernelInfo> parseKernelInfo(const json::Value &entry);

} // namespace rt
} // namespace attn

#endif // ATTN_RUNTIME_MANIFEST_H
