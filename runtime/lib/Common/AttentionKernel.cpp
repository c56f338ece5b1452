//===- AttentionKernel.cpp - Launching compiled attention -----------------===//
//
// Part of the attn project, the runtime library (libattnrt).
//
//===----------------------------------------------------------------------===//

#include "attn/Runtime/AttentionKernel.h"

#include "Common/DataChecks.h"
#include "Common/PathChoice.h"
#include "Common/Validation.h"

#include <algorithm>
#include <cmath>

namespace attn {
namespace rt {

using detail::bindDim;
using detail::checkTensor;
using detail::derivedDim;
using detail::DTypeMask;
using detail::maskOf;
using detail::requireGiven;
using detail::staticDim;

const char *pathName(Path path) {
  switch (path) {
  case Path::Auto:
    return "auto";
  case Path::TwoD:
    return "2d";
  case Path::Split:
    return "split";
  case Path::TwoDWide:
    return "2d_wide";
  }
  return "invalid";
}

/// Sizes found while validating one call.
struct AttentionKernel::Shapes {
  int64_t numTokens = 0;
  int64_t numSeqs = 0;
  int64_t numBlocks = 0;
  int64_t maxBlocksPerSeq = 0;
  int64_t numKvTokens = 0;
  int64_t maxMmRanges = 0;
  int64_t qqBiasStride = 0;
  int64_t maxSeqLen = 0;
  int64_t totalSeqLen = 0;
};

namespace {
/// Accepted dtypes for a tensor of element type `dtype`: fp8 data may also
/// come as u8 (PyTorch's usual storage for fp8 caches).
DTypeMask floatMask(DType dtype) {
  DTypeMask mask = maskOf(dtype);
  if (isFloat8(dtype))
    mask |= maskOf(DType::U8);
  return mask;
}

DTypeMask kvMask(const KernelInfo &info) {
  if (isPerTokenHead(info.kvDType))
    return maskOf(DType::I8) | maskOf(DType::U8);
  return floatMask(info.kvStorage());
}

const char *lastDimName(const KernelInfo &info, bool isV) {
  if (isPerTokenHead(info.kvDType))
    return isV ? "head_size_v+4" : "head_size+4";
  return isV ? "head_size_v" : "head_size";
}

template <typename T> const T *asPtr(const TensorRef &t) {
  return static_cast<const T *>(t.data);
}
} // namespace

AttentionKernel::AttentionKernel(Device &device, const KernelInfo &info,
                                 int64_t maxNumTokens)
    : device_(device), info_(info), maxNumTokens_(maxNumTokens) {}

AttentionKernel::~AttentionKernel() = default;

StatusOr<std::unique_ptr<AttentionKernel>>
AttentionKernel::create(Device &device, Module &module, std::string_view name,
                        int64_t maxNumTokens) {
  if (&module.device() != &device)
    return invalidArgument("module '", module.path(),
                           "' was loaded on another device");
  ATTN_RT_ASSIGN_OR_RETURN(const KernelInfo *info, module.lookup(name));
  if (info->kind != KernelKind::Attention)
    return invalidArgument("kernel '", name, "' of module '", module.path(),
                           "' is a ", kernelKindName(info->kind),
                           " kernel, not an attention kernel");
  if (maxNumTokens < 0 || maxNumTokens > INT32_MAX)
    return invalidArgument("kernel '", name,
                           "': max_num_tokens = ", maxNumTokens,
                           " is outside [0, 2^31)");
  std::unique_ptr<AttentionKernel> kernel(
      new AttentionKernel(device, *info, maxNumTokens));
  ATTN_RT_ASSIGN_OR_RETURN(kernel->twoD_,
                           module.function(info->functions.twoD));
  // The occupancies only inform the path choice: a device that cannot
  // tell (an error included) leaves it to the rule that needs none.
  StatusOr<int64_t> resident = device.residentPrograms(kernel->twoD_);
  kernel->resident2D_ = resident.isOk() ? *resident : 0;
  if (info->hasWide()) {
    ATTN_RT_ASSIGN_OR_RETURN(kernel->twoDWide_,
                             module.function(info->functions.twoDWide));
  }
  if (info->hasSplit()) {
    ATTN_RT_ASSIGN_OR_RETURN(kernel->split_,
                             module.function(info->functions.split));
    ATTN_RT_ASSIGN_OR_RETURN(kernel->reduce_,
                             module.function(info->functions.reduce));
    resident = device.residentPrograms(kernel->split_);
    kernel->residentSplit_ = resident.isOk() ? *resident : 0;
  }
  if (info->hasSplit() && maxNumTokens > 0) {
    double rows = static_cast<double>(info->segments) *
                  static_cast<double>(maxNumTokens) *
                  static_cast<double>(info->heads);
    double outBytes = rows * static_cast<double>(info->headSizeV) * 4.0;
    if (outBytes > 4e18)
      return outOfMemory("kernel '", name,
                         "': the split-KV workspace for max_num_tokens = ",
                         maxNumTokens, " is too large");
    size_t lseBytes = static_cast<size_t>(rows) * sizeof(float);
    StatusOr<Buffer> partialOut =
        device.allocate(static_cast<size_t>(outBytes));
    StatusOr<Buffer> partialLse =
        partialOut.isOk() ? device.allocate(lseBytes) : partialOut.status();
    if (!partialLse.isOk())
      return Status(
          partialLse.status().code(),
          detail::concat("kernel '", name,
                         "': cannot allocate the split-KV workspace (",
                         static_cast<size_t>(outBytes) + lseBytes,
                         " bytes for max_num_tokens = ", maxNumTokens,
                         ", segments = ", info->segments,
                         "): ", partialLse.status().message()));
    kernel->partialOut_ = std::move(*partialOut);
    kernel->partialLse_ = std::move(*partialLse);
  }
  return kernel;
}

Status AttentionKernel::validate(const AttentionArgs &a,
                                 AttentionLaunchParams &p, Shapes &s) const {
  const char *k = info_.name.c_str();
  const KernelInfo &info = info_;
  bool paged = info.kvLayout == KvLayout::Paged;

  // Sequences and query tokens.
  ATTN_RT_RETURN_IF_ERROR(
      requireGiven(k, "cu_seqlens_q", a.cuSeqlensQ, "all attention kernels"));
  if (a.numSeqs < 0) {
    int64_t count = 0;
    ATTN_RT_RETURN_IF_ERROR(checkTensor(k, "cu_seqlens_q", a.cuSeqlensQ,
                                        maskOf(DType::I32),
                                        {bindDim("num_seqs+1", &count)}));
    if (count < 1)
      return invalidArgument("kernel '", k,
                             "': cu_seqlens_q has shape [0]; it needs "
                             "num_seqs + 1 >= 1 entries");
    s.numSeqs = count - 1;
  } else {
    s.numSeqs = a.numSeqs;
    ATTN_RT_RETURN_IF_ERROR(
        checkTensor(k, "cu_seqlens_q", a.cuSeqlensQ, maskOf(DType::I32),
                    {derivedDim("num_seqs+1", s.numSeqs + 1)}));
  }
  ATTN_RT_RETURN_IF_ERROR(requireGiven(k, "q", a.q, "all attention kernels"));
  ATTN_RT_RETURN_IF_ERROR(checkTensor(k, "q", a.q, maskOf(info.dtype),
                                      {bindDim("num_tokens", &s.numTokens),
                                       staticDim(info.heads, "heads"),
                                       staticDim(info.headSize, "head_size")}));
  ATTN_RT_RETURN_IF_ERROR(
      requireGiven(k, "out", a.out, "all attention kernels"));
  ATTN_RT_RETURN_IF_ERROR(checkTensor(
      k, "out", a.out, floatMask(info.outDType),
      {derivedDim("num_tokens", s.numTokens), staticDim(info.heads, "heads"),
       staticDim(info.headSizeV, "head_size_v")}));

  // Keys and values.
  DTypeMask kv = kvMask(info);
  if (paged) {
    ATTN_RT_RETURN_IF_ERROR(
        requireGiven(k, "k_cache", a.kCache, "kv_layout=paged"));
    ATTN_RT_RETURN_IF_ERROR(checkTensor(
        k, "k_cache", a.kCache, kv,
        {bindDim("num_blocks", &s.numBlocks),
         staticDim(info.blockSize, "block_size"),
         staticDim(info.kvHeads, "kv_heads"),
         staticDim(info.kCacheLastDim(), lastDimName(info, false))}));
    ATTN_RT_RETURN_IF_ERROR(
        requireGiven(k, "v_cache", a.vCache, "kv_layout=paged"));
    ATTN_RT_RETURN_IF_ERROR(checkTensor(
        k, "v_cache", a.vCache, kv,
        {derivedDim("num_blocks", s.numBlocks),
         staticDim(info.blockSize, "block_size"),
         staticDim(info.kvHeads, "kv_heads"),
         staticDim(info.vCacheLastDim(), lastDimName(info, true))}));
    ATTN_RT_RETURN_IF_ERROR(
        requireGiven(k, "block_table", a.blockTable, "kv_layout=paged"));
    ATTN_RT_RETURN_IF_ERROR(
        checkTensor(k, "block_table", a.blockTable, maskOf(DType::I32),
                    {derivedDim("num_seqs", s.numSeqs),
                     bindDim("max_blocks_per_seq", &s.maxBlocksPerSeq)}));
    ATTN_RT_RETURN_IF_ERROR(
        requireGiven(k, "seq_lens", a.seqLens, "kv_layout=paged"));
    ATTN_RT_RETURN_IF_ERROR(checkTensor(k, "seq_lens", a.seqLens,
                                        maskOf(DType::I32),
                                        {derivedDim("num_seqs", s.numSeqs)}));
  } else {
    ATTN_RT_RETURN_IF_ERROR(requireGiven(k, "k", a.kCache, "kv_layout=varlen"));
    ATTN_RT_RETURN_IF_ERROR(checkTensor(
        k, "k", a.kCache, kv,
        {bindDim("num_kv_tokens", &s.numKvTokens),
         staticDim(info.kvHeads, "kv_heads"),
         staticDim(info.kCacheLastDim(), lastDimName(info, false))}));
    ATTN_RT_RETURN_IF_ERROR(requireGiven(k, "v", a.vCache, "kv_layout=varlen"));
    ATTN_RT_RETURN_IF_ERROR(checkTensor(
        k, "v", a.vCache, kv,
        {derivedDim("num_kv_tokens", s.numKvTokens),
         staticDim(info.kvHeads, "kv_heads"),
         staticDim(info.vCacheLastDim(), lastDimName(info, true))}));
    ATTN_RT_RETURN_IF_ERROR(
        requireGiven(k, "cu_seqlens_k", a.cuSeqlensK, "kv_layout=varlen"));
    ATTN_RT_RETURN_IF_ERROR(
        checkTensor(k, "cu_seqlens_k", a.cuSeqlensK, maskOf(DType::I32),
                    {derivedDim("num_seqs+1", s.numSeqs + 1)}));
  }

  // Inputs that only some variants read.
  DTypeMask f32 = maskOf(DType::F32);
  if (info.sinks) {
    ATTN_RT_RETURN_IF_ERROR(requireGiven(k, "sinks", a.sinks, "sinks=1"));
    ATTN_RT_RETURN_IF_ERROR(checkTensor(k, "sinks", a.sinks, f32,
                                        {staticDim(info.heads, "heads")}));
  }
  if (info.usesAlibi()) {
    ATTN_RT_RETURN_IF_ERROR(
        requireGiven(k, "alibi_slopes", a.alibiSlopes, "alibi is not none"));
    ATTN_RT_RETURN_IF_ERROR(checkTensor(k, "alibi_slopes", a.alibiSlopes, f32,
                                        {staticDim(info.heads, "heads")}));
  }
  if (info.mmPrefix) {
    ATTN_RT_RETURN_IF_ERROR(
        requireGiven(k, "mm_prefix_ranges", a.mmPrefixRanges, "mm_prefix=1"));
    ATTN_RT_RETURN_IF_ERROR(checkTensor(
        k, "mm_prefix_ranges", a.mmPrefixRanges, maskOf(DType::I32),
        {derivedDim("num_seqs", s.numSeqs),
         bindDim("max_mm_ranges", &s.maxMmRanges), staticDim(2, "2")}));
  }
  if (info.qqBias) {
    ATTN_RT_RETURN_IF_ERROR(requireGiven(k, "qq_bias", a.qqBias, "qq_bias=1"));
    ATTN_RT_RETURN_IF_ERROR(
        checkTensor(k, "qq_bias", a.qqBias, f32,
                    {bindDim("qq_bias_stride", &s.qqBiasStride),
                     bindDim("qq_bias_stride", nullptr)}));
    if (a.qqBias.shape[1] != s.qqBiasStride)
      return invalidArgument("kernel '", k, "': qq_bias has shape ",
                             a.qqBias.shapeString(),
                             "; expected a square [n, n]");
  }
  if (needsPerTensorScale(info.kvDType)) {
    const char *why = detail::perTensorScaleReason(info.kvDType);
    ATTN_RT_RETURN_IF_ERROR(detail::checkScalar(k, "k_scale", a.kScale, why));
    ATTN_RT_RETURN_IF_ERROR(detail::checkScalar(k, "v_scale", a.vScale, why));
  }
  if (isFloat8(info.outDType))
    ATTN_RT_RETURN_IF_ERROR(detail::checkScalar(
        k, "out_scale", a.outScale, detail::fp8OutReason(info.outDType)));
  if (info.lse) {
    ATTN_RT_RETURN_IF_ERROR(requireGiven(k, "lse", a.lse, "lse=1"));
    ATTN_RT_RETURN_IF_ERROR(checkTensor(k, "lse", a.lse, f32,
                                        {derivedDim("num_tokens", s.numTokens),
                                         staticDim(info.heads, "heads")}));
  }

  // ABI scalars are int32.
  ATTN_RT_RETURN_IF_ERROR(detail::checkInt32(k, "num_tokens", s.numTokens));
  ATTN_RT_RETURN_IF_ERROR(detail::checkInt32(k, "num_seqs", s.numSeqs));
  ATTN_RT_RETURN_IF_ERROR(
      detail::checkInt32(k, "max_blocks_per_seq", s.maxBlocksPerSeq));
  ATTN_RT_RETURN_IF_ERROR(
      detail::checkInt32(k, "max_mm_ranges", s.maxMmRanges));
  ATTN_RT_RETURN_IF_ERROR(
      detail::checkInt32(k, "qq_bias_stride", s.qqBiasStride));

  // Index data, where the host can read it.
  s.maxSeqLen = a.maxSeqLen;
  s.totalSeqLen = a.totalSeqLen;
  if (device_.isHostAccessible() && s.numSeqs > 0) {
    ATTN_RT_RETURN_IF_ERROR(
        detail::checkCuSeqlens(k, "cu_seqlens_q", asPtr<int32_t>(a.cuSeqlensQ),
                               s.numSeqs, s.numTokens, "num_tokens"));
    int64_t longest = 0;
    if (paged) {
      ATTN_RT_RETURN_IF_ERROR(detail::checkPagedSequences(
          k, asPtr<int32_t>(a.cuSeqlensQ), asPtr<int32_t>(a.seqLens),
          asPtr<int32_t>(a.blockTable), s.numSeqs, s.maxBlocksPerSeq,
          info.blockSize, s.numBlocks, longest));
    } else {
      ATTN_RT_RETURN_IF_ERROR(detail::checkCuSeqlens(
          k, "cu_seqlens_k", asPtr<int32_t>(a.cuSeqlensK), s.numSeqs,
          s.numKvTokens, "num_kv_tokens"));
      longest =
          detail::maxVarlenKeyLength(asPtr<int32_t>(a.cuSeqlensK), s.numSeqs);
    }
    if (s.maxSeqLen <= 0)
      s.maxSeqLen = longest;
  }

  // Launch arguments: inputs the variant does not read stay null.
  p.q = a.q.data;
  p.k = a.kCache.data;
  p.v = a.vCache.data;
  if (paged) {
    p.blockTable = asPtr<int32_t>(a.blockTable);
    p.seqLens = asPtr<int32_t>(a.seqLens);
  } else {
    p.cuSeqlensK = asPtr<int32_t>(a.cuSeqlensK);
  }
  p.cuSeqlensQ = asPtr<int32_t>(a.cuSeqlensQ);
  p.sinks = info.sinks ? asPtr<float>(a.sinks) : nullptr;
  p.alibiSlopes = info.usesAlibi() ? asPtr<float>(a.alibiSlopes) : nullptr;
  p.mmPrefixRanges = info.mmPrefix ? asPtr<int32_t>(a.mmPrefixRanges) : nullptr;
  p.qqBias = info.qqBias ? asPtr<float>(a.qqBias) : nullptr;
  if (needsPerTensorScale(info.kvDType)) {
    p.kScale = asPtr<float>(a.kScale);
    p.vScale = asPtr<float>(a.vScale);
  }
  p.outScale = isFloat8(info.outDType) ? asPtr<float>(a.outScale) : nullptr;
  p.out = a.out.data;
  p.lse = info.lse ? static_cast<float *>(a.lse.data) : nullptr;
  p.numSeqs = static_cast<int32_t>(s.numSeqs);
  p.numTokens = static_cast<int32_t>(s.numTokens);
  p.maxBlocksPerSeq = static_cast<int32_t>(s.maxBlocksPerSeq);
  p.maxMmRanges = static_cast<int32_t>(s.maxMmRanges);
  p.qqBiasStride = static_cast<int32_t>(s.qqBiasStride);
  return Status::ok();
}

/// The keys a query block visits at most: a sliding window bounds them.
static int64_t visitedKeys(const KernelInfo &info, int64_t maxSeqLen) {
  if (info.windowLeft >= 0)
    return std::min(maxSeqLen, info.windowLeft + info.blockQ);
  return maxSeqLen;
}

/// Programs of a 2D grid of `blockQ`-token query blocks (ABI numbering).
static int64_t gridPrograms(const KernelInfo &info, int64_t blockQ,
                            int64_t numTokens, int64_t numSeqs) {
  return (numTokens / blockQ + numSeqs) * info.kvHeads;
}

/// Programs per unit of device parallelism that keep it busy: one per
/// worker thread's share on the CPU, several per SM on a GPU.
static int64_t programsPerUnit(const Device &device) {
  return device.kind() == DeviceKind::CPU ? 4 : detail::kGPUProgramsPerSM;
}

/// Tiles of a query block that visits `keys` keys (a window bounds them).
static int64_t tilesOf(const KernelInfo &info, int64_t keys) {
  return (visitedKeys(info, keys) + info.blockN - 1) / info.blockN;
}

/// Mean tiles per query block of a batch of `totalSeqLen` keys; 0 unknown.
static int64_t meanTiles(const KernelInfo &info, int64_t numSeqs,
                         int64_t totalSeqLen) {
  if (totalSeqLen <= 0 || numSeqs <= 0)
    return 0;
  return std::max<int64_t>(
      tilesOf(info, (totalSeqLen + numSeqs - 1) / numSeqs), 1);
}

int64_t AttentionKernel::splitSegments(int64_t numTokens, int64_t numSeqs,
                                       int64_t maxSeqLen,
                                       int64_t totalSeqLen) const {
  int64_t programs = gridPrograms(info_, info_.blockQ, numTokens, numSeqs);
  int64_t tiles = tilesOf(info_, maxSeqLen);
  int64_t mean = meanTiles(info_, numSeqs, totalSeqLen);
  // Measured on an H200 (docs/perf.md): decode b64 at 4k keys wants 8
  // segments of 16 tiles, at 1k keys and with a 1024-key window 4 of 8,
  // at 16k keys all 16.
  int64_t units =
      programsPerUnit(device_) * static_cast<int64_t>(device_.parallelism());
  int64_t work = programs * (mean > 0 ? std::min(mean, tiles) : tiles);
  int64_t per = std::clamp<int64_t>((work + units - 1) / units, 1, 16);
  return std::clamp<int64_t>((tiles + per - 1) / per, 1,
                             std::max<int64_t>(info_.segments, 1));
}

Path detail::chooseGPUPath(const GPUPathInputs &in) {
  if (in.segments < 2)
    return Path::TwoD;
  if (in.meanTiles <= 0 || in.resident2D <= 0 || in.residentSplit <= 0)
    return in.programs < kGPUProgramsPerSM * in.units ? Path::Split
                                                       : Path::TwoD;
  // Measured on an H200 (docs/perf.md): uniform decode batches of 64 fill
  // the GPU's resident 2D programs and run 2D faster at every length; one
  // long sequence among short ones, or a batch of 8, leaves the longest
  // program to set the 2D path's time.
  double work = static_cast<double>(in.programs) *
                static_cast<double>(std::min(in.meanTiles, in.longestTiles));
  double longest = static_cast<double>(in.longestTiles);
  double span2D = std::max(longest, work / static_cast<double>(in.resident2D));
  double spanSplit =
      std::max(std::ceil(longest / static_cast<double>(in.segments)),
               work / static_cast<double>(in.residentSplit));
  return span2D > 1.25 * spanSplit ? Path::Split : Path::TwoD;
}

/// The 2D form for a batch that does not split: the wide one for long
/// queries that still give the device 8 programs per unit.
static Path twoDForm(const KernelInfo &info, const Device &device,
                     int64_t numTokens, int64_t numSeqs) {
  if (!info.hasWide() || numTokens < 8 * info.wideBlockQ * numSeqs)
    return Path::TwoD;
  int64_t programs = gridPrograms(info, info.wideBlockQ, numTokens, numSeqs);
  return programs >= 8 * static_cast<int64_t>(device.parallelism())
             ? Path::TwoDWide
             : Path::TwoD;
}

Path AttentionKernel::choosePath(int64_t numTokens, int64_t numSeqs,
                                 int64_t maxSeqLen,
                                 int64_t totalSeqLen) const {
  Path path = chooseSplit(numTokens, numSeqs, maxSeqLen, totalSeqLen);
  return path == Path::TwoD ? twoDForm(info_, device_, numTokens, numSeqs)
                            : path;
}

Path AttentionKernel::chooseSplit(int64_t numTokens, int64_t numSeqs,
                                  int64_t maxSeqLen,
                                  int64_t totalSeqLen) const {
  if (!info_.hasSplit() || !partialOut_.data() || numTokens > maxNumTokens_)
    return Path::TwoD;
  int64_t programs = gridPrograms(info_, info_.blockQ, numTokens, numSeqs);
  if (device_.kind() == DeviceKind::CPU) {
    // The CPU runs one program per thread: split when the grid leaves
    // threads idle and the keys are many.
    bool longKeys = visitedKeys(info_, maxSeqLen) >=
                    4 * info_.blockN * info_.segments;
    bool fewPrograms = programs < programsPerUnit(device_) *
                                      static_cast<int64_t>(
                                          device_.parallelism());
    return longKeys && fewPrograms ? Path::Split : Path::TwoD;
  }
  detail::GPUPathInputs in;
  in.programs = programs;
  in.longestTiles = tilesOf(info_, maxSeqLen);
  in.meanTiles = meanTiles(info_, numSeqs, totalSeqLen);
  in.segments = splitSegments(numTokens, numSeqs, maxSeqLen, totalSeqLen);
  in.units = device_.parallelism();
  in.resident2D = resident2D_;
  in.residentSplit = residentSplit_;
  return detail::chooseGPUPath(in);
}

Status AttentionKernel::run(const AttentionArgs &args) {
  AttentionLaunchParams params;
  Shapes s;
  ATTN_RT_RETURN_IF_ERROR(validate(args, params, s));
  const char *k = info_.name.c_str();

  Path path = args.path;
  int32_t pathValue = static_cast<int32_t>(path);
  if (pathValue < 0 || pathValue > static_cast<int32_t>(Path::TwoDWide))
    return invalidArgument(
        "kernel '", k, "': unknown path ", pathValue,
        " (expected 0 = auto, 1 = 2d, 2 = split, 3 = 2d_wide)");
  if (path == Path::Auto)
    path = choosePath(s.numTokens, s.numSeqs, s.maxSeqLen, s.totalSeqLen);
  if (path == Path::Split) {
    if (!info_.hasSplit())
      return failedPrecondition("kernel '", k,
                                "': path split was requested but the variant "
                                "has no split-KV form (segments = 0)");
    if (s.numTokens > maxNumTokens_)
      return failedPrecondition(
          "kernel '", k, "': path split needs num_tokens (", s.numTokens,
          ") <= max_num_tokens (", maxNumTokens_,
          ") given at creation, which sized the split-KV workspace");
  }
  if (path == Path::TwoDWide && !info_.hasWide())
    return failedPrecondition("kernel '", k,
                              "': path 2d_wide was requested but the "
                              "variant's plan has no wide form "
                              "(wide_block_m = 0)");

  if (s.numTokens > 0) {
    int64_t programs =
        gridPrograms(info_, info_.blockQ, s.numTokens, s.numSeqs);
    if (path == Path::TwoD) {
      ATTN_RT_RETURN_IF_ERROR(
          device_.launch(twoD_, programs, params, args.stream));
    } else if (path == Path::TwoDWide) {
      int64_t wide =
          gridPrograms(info_, info_.wideBlockQ, s.numTokens, s.numSeqs);
      ATTN_RT_RETURN_IF_ERROR(
          device_.launch(twoDWide_, wide, params, args.stream));
    } else {
      params.splitSegments = static_cast<int32_t>(
          splitSegments(s.numTokens, s.numSeqs, s.maxSeqLen, s.totalSeqLen));
      params.partialOut = static_cast<float *>(partialOut_.data());
      params.partialLse = static_cast<float *>(partialLse_.data());
      ATTN_RT_RETURN_IF_ERROR(device_.launch(split_, programs * info_.segments,
                                             params, args.stream));
      ATTN_RT_RETURN_IF_ERROR(device_.launch(reduce_, s.numTokens * info_.heads,
                                             params, args.stream));
    }
  }
  lastPath_ = path;
  return Status::ok();
}

} // namespace rt
} // namespace attn
