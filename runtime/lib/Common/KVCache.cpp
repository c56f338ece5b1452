//===- KVCache.cpp - The paged KV cache -----------------------------------===//
//
// Part of the attn project, the runtime library (libattnrt).
//
//===----------------------------------------------------------------------===//
//
// Step metadata is packed into one region per step, in this order:
//   slot_mapping  i64 [num_padded_tokens]
//   cu_seqlens_q  i32 [num_seqs + 1]
//   seq_lens      i32 [num_seqs]
//   block_table   i32 [num_seqs, width]
// each section 16-byte aligned, built in the host staging buffer and sent
// with a single copyToDevice; both buffers are sized for the configured
// maxima at creation.
//
//===----------------------------------------------------------------------===//

#include "attn/Runtime/KVCache.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace attn {
namespace rt {

namespace {
constexpr size_t kLayerAlign = 256;
constexpr size_t kSectionAlign = 16;

size_t alignUp(size_t x, size_t a) { return (x + a - 1) / a * a; }

/// a * b, false on overflow.
bool mulOk(size_t a, size_t b, size_t &out) {
  if (a != 0 && b > std::numeric_limits<size_t>::max() / a)
    return false;
  out = a * b;
  return true;
}

/// kv_dtype with auto resolved against the model dtype.
KvDType canonicalKv(KvDType kv, DType dtype) {
  if (kv != KvDType::Auto)
    return kv;
  switch (dtype) {
  case DType::F32:
    return KvDType::F32;
  case DType::F16:
    return KvDType::F16;
  case DType::BF16:
    return KvDType::BF16;
  default:
    return KvDType::Auto;
  }
}

bool isModelDType(DType d) {
  return d == DType::F32 || d == DType::F16 || d == DType::BF16;
}
} // namespace

PagedKVCache::PagedKVCache(Device &device, const KVCacheConfig &config)
    : device_(device), config_(config) {}

PagedKVCache::~PagedKVCache() = default;

StatusOr<std::unique_ptr<PagedKVCache>>
PagedKVCache::create(Device &device, const KVCacheConfig &configIn) {
  KVCacheConfig c = configIn;
  const int64_t kMaxInt32 = std::numeric_limits<int32_t>::max();
  if (c.numLayers <= 0)
    return invalidArgument("KV cache: num_layers must be positive, got ",
                           c.numLayers);
  if (c.numKvHeads <= 0)
    return invalidArgument("KV cache: num_kv_heads must be positive, got ",
                           c.numKvHeads);
  if (c.headSize <= 0)
    return invalidArgument("KV cache: head_size must be positive, got ",
                           c.headSize);
  if (c.headSizeV < 0)
    return invalidArgument("KV cache: head_size_v must be >= 0 (0: "
                           "head_size), got ",
                           c.headSizeV);
  if (c.headSizeV == 0)
    c.headSizeV = c.headSize;
  if (!isModelDType(c.dtype))
    return invalidArgument("KV cache: dtype must be f32, f16 or bf16, got ",
                           dtypeName(c.dtype));
  if (!isValidKvDType(static_cast<int32_t>(c.kvDType)))
    return invalidArgument("KV cache: invalid kv dtype code ",
                           static_cast<int32_t>(c.kvDType), " (expected 0 .. ",
                           kNumKvDTypes - 1, ")");
  if (c.maxNumSeqs <= 0 || c.maxNumSeqs > kMaxInt32)
    return invalidArgument("KV cache: max_num_seqs must be in [1, 2^31), got ",
                           c.maxNumSeqs);
  if (c.maxNumBatchedTokens <= 0 || c.maxNumBatchedTokens > kMaxInt32)
    return invalidArgument(
        "KV cache: max_num_batched_tokens must be in [1, 2^31), got ",
        c.maxNumBatchedTokens);
  if (c.maxLiveSeqs < 0)
    return invalidArgument("KV cache: max_live_seqs must be >= 0 (0: "
                           "max_num_seqs), got ",
                           c.maxLiveSeqs);
  if (c.maxLiveSeqs == 0)
    c.maxLiveSeqs = c.maxNumSeqs;

  BlockManagerOptions bo;
  bo.numBlocks = c.numBlocks;
  bo.blockSize = c.blockSize;
  bo.maxLiveSeqs = c.maxLiveSeqs;
  bo.maxBlocksPerSeq = c.maxBlocksPerSeq;
  bo.enablePrefixCaching = c.enablePrefixCaching;
  StatusOr<std::unique_ptr<BlockManager>> blocks = BlockManager::create(bo);
  if (!blocks.isOk())
    return Status(blocks.status().code(),
                  "KV cache: " + blocks.status().message());
  c.maxBlocksPerSeq = (*blocks)->maxBlocksPerSeq();

  std::unique_ptr<PagedKVCache> cache(new PagedKVCache(device, c));
  PagedKVCache &kv = *cache;
  kv.blocks_ = std::move(*blocks);
  bool ptHead = isPerTokenHead(c.kvDType);
  kv.kRowElems_ = c.headSize + (ptHead ? 4 : 0);
  kv.vRowElems_ = c.headSizeV + (ptHead ? 4 : 0);

  // Sizes, with overflow checks.
  size_t elem = dtypeSize(kv.storageDType());
  size_t slotsPerLayer = static_cast<size_t>(c.numBlocks) *
                         static_cast<size_t>(c.blockSize); // < 2^31
  size_t kBytes = 0, vBytes = 0;
  bool ok = mulOk(slotsPerLayer,
                  static_cast<size_t>(c.numKvHeads) * elem *
                      static_cast<size_t>(kv.kRowElems_),
                  kBytes) &&
            mulOk(slotsPerLayer,
                  static_cast<size_t>(c.numKvHeads) * elem *
                      static_cast<size_t>(kv.vRowElems_),
                  vBytes);
  size_t layerStride = 0, total = 0;
  if (ok) {
    kv.kBytes_ = kBytes;
    kv.vOffset_ = alignUp(kBytes, kLayerAlign);
    layerStride = alignUp(kv.vOffset_ + vBytes, kLayerAlign);
    ok = mulOk(layerStride, static_cast<size_t>(c.numLayers), total);
  }
  if (!ok)
    return invalidArgument("KV cache: the cache size overflows (num_layers ",
                           c.numLayers, ", num_blocks ", c.numBlocks,
                           ", block_size ", c.blockSize, ", num_kv_heads ",
                           c.numKvHeads, ", head sizes ", c.headSize, "/",
                           c.headSizeV, ")");
  kv.layerStride_ = layerStride;

  // K/V memory, zeroed.
  kv.layerBase_.assign(static_cast<size_t>(c.numLayers), nullptr);
  if (c.singleAllocation) {
    StatusOr<Buffer> buffer = device.allocate(total);
    if (!buffer.isOk())
      return Status(buffer.status().code(),
                    detail::concat("KV cache: allocating ", total,
                                   " bytes for ", c.numLayers,
                                   " layers: ", buffer.status().message()));
    ATTN_RT_RETURN_IF_ERROR(device.memset(buffer->data(), 0, total));
    for (int64_t l = 0; l < c.numLayers; ++l)
      kv.layerBase_[l] = static_cast<char *>(buffer->data()) + l * layerStride;
    kv.layerMemory_.push_back(std::move(*buffer));
  } else {
    kv.layerMemory_.reserve(static_cast<size_t>(c.numLayers));
    for (int64_t l = 0; l < c.numLayers; ++l) {
      StatusOr<Buffer> buffer = device.allocate(layerStride);
      if (!buffer.isOk())
        return Status(buffer.status().code(),
                      detail::concat("KV cache: allocating ", layerStride,
                                     " bytes for layer ", l, ": ",
                                     buffer.status().message()));
      ATTN_RT_RETURN_IF_ERROR(device.memset(buffer->data(), 0, layerStride));
      kv.layerBase_[l] = static_cast<char *>(buffer->data());
      kv.layerMemory_.push_back(std::move(*buffer));
    }
  }

  // Per-tensor scales [num_layers, 2], 1.0.
  {
    std::vector<float> ones(static_cast<size_t>(2 * c.numLayers), 1.0f);
    ATTN_RT_ASSIGN_OR_RETURN(kv.scales_,
                             device.allocate(ones.size() * sizeof(float)));
    ATTN_RT_RETURN_IF_ERROR(device.copyToDevice(kv.scales_.data(), ones.data(),
                                                ones.size() * sizeof(float)));
  }

  // Step metadata: device buffer + host staging of the largest step.
  size_t maxSeqs = static_cast<size_t>(c.maxNumSeqs);
  size_t tableEntries = 0;
  if (!mulOk(maxSeqs, static_cast<size_t>(c.maxBlocksPerSeq), tableEntries))
    return invalidArgument("KV cache: max_num_seqs * max_blocks_per_seq "
                           "overflows");
  size_t metaBytes =
      alignUp(8 * static_cast<size_t>(c.maxNumBatchedTokens), kSectionAlign) +
      alignUp(4 * (maxSeqs + 1), kSectionAlign) +
      alignUp(4 * maxSeqs, kSectionAlign) + 4 * tableEntries;
  ATTN_RT_ASSIGN_OR_RETURN(kv.metadata_, device.allocate(metaBytes));
  kv.staging_.assign(metaBytes, 0);
  kv.stepQueryLens_.assign(maxSeqs, 0);
  kv.seenStamp_.assign(static_cast<size_t>(c.maxLiveSeqs), 0);
  return cache;
}

DType PagedKVCache::storageDType() const {
  return kvStorageDType(config_.kvDType, config_.dtype);
}

size_t PagedKVCache::bytesPerSlot() const {
  return static_cast<size_t>(config_.numKvHeads) * dtypeSize(storageDType()) *
         static_cast<size_t>(kRowElems_ + vRowElems_);
}

size_t PagedKVCache::bytesPerLayer() const { return layerStride_; }

KVCacheStats PagedKVCache::stats() const {
  KVCacheStats s;
  s.blocks = blocks_->usage();
  s.counters = blocks_->stats();
  s.numSequences = blocks_->numSequences();
  s.cacheBytes = layerStride_ * static_cast<size_t>(config_.numLayers);
  s.metadataBytes = metadata_.size();
  return s;
}

//===----------------------------------------------------------------------===//
// Sequences
//===----------------------------------------------------------------------===//

StatusOr<int64_t> PagedKVCache::addSequence(SeqId id, const int32_t *tokens,
                                            int64_t n) {
  return blocks_->addSequence(id, tokens, n);
}
StatusOr<int64_t> PagedKVCache::addSequence(SeqId id,
                                            const std::vector<int32_t> &t) {
  return blocks_->addSequence(id, t.data(), static_cast<int64_t>(t.size()));
}
Status PagedKVCache::appendTokens(SeqId id, const int32_t *tokens, int64_t n) {
  return blocks_->appendTokens(id, tokens, n);
}
Status PagedKVCache::appendTokens(SeqId id, const std::vector<int32_t> &t) {
  return blocks_->appendTokens(id, t.data(), static_cast<int64_t>(t.size()));
}
Status PagedKVCache::freeSequence(SeqId id) {
  return blocks_->freeSequence(id);
}
Status PagedKVCache::forkSequence(SeqId parent, SeqId child) {
  return blocks_->forkSequence(parent, child);
}

//===----------------------------------------------------------------------===//
// Steps
//===----------------------------------------------------------------------===//

StatusOr<int64_t> PagedKVCache::applyPendingCopies() {
  const std::vector<BlockCopy> &copies = blocks_->pendingCopies();
  size_t elem = dtypeSize(storageDType());
  size_t kSlot = static_cast<size_t>(config_.numKvHeads) * elem *
                 static_cast<size_t>(kRowElems_);
  size_t vSlot = static_cast<size_t>(config_.numKvHeads) * elem *
                 static_cast<size_t>(vRowElems_);
  size_t bs = static_cast<size_t>(config_.blockSize);
  for (const BlockCopy &c : copies) {
    size_t src = static_cast<size_t>(c.src), dst = static_cast<size_t>(c.dst);
    size_t n = static_cast<size_t>(c.numSlots);
    for (char *base : layerBase_) {
      ATTN_RT_RETURN_IF_ERROR(device_.copyOnDevice(
          base + dst * bs * kSlot, base + src * bs * kSlot, n * kSlot));
      char *v = base + vOffset_;
      ATTN_RT_RETURN_IF_ERROR(device_.copyOnDevice(
          v + dst * bs * vSlot, v + src * bs * vSlot, n * vSlot));
    }
  }
  int64_t count = static_cast<int64_t>(copies.size());
  blocks_->clearPendingCopies();
  return count;
}

StatusOr<StepMetadata> PagedKVCache::prepareStep(const StepSequence *seqs,
                                                 size_t numSeqs,
                                                 int64_t padTo) {
  const KVCacheConfig &c = config_;
  if (numSeqs > 0 && !seqs)
    return invalidArgument("prepareStep: seqs is null but num_seqs is ",
                           numSeqs);
  if (static_cast<int64_t>(numSeqs) > c.maxNumSeqs)
    return invalidArgument("prepareStep: ", numSeqs,
                           " sequences exceed max_num_seqs (", c.maxNumSeqs,
                           ")");
  if (padTo < 0)
    return invalidArgument("prepareStep: padTo must be >= 0, got ", padTo);

  // Validate everything before changing anything.
  ++stamp_;
  int64_t numTokens = 0, width = 1, maxSeqLen = 0, maxQueryLen = 0,
          totalSeqLen = 0;
  for (size_t i = 0; i < numSeqs; ++i) {
    const StepSequence &s = seqs[i];
    int32_t slot = blocks_->sequenceSlot(s.id);
    if (slot < 0)
      return notFound("prepareStep: unknown sequence ", s.id,
                      " (never added, or already freed)");
    if (seenStamp_[slot] == stamp_)
      return invalidArgument("prepareStep: sequence ", s.id,
                             " is listed twice");
    seenStamp_[slot] = stamp_;
    if (s.maxNewTokens < -1)
      return invalidArgument("prepareStep: sequence ", s.id,
                             ": maxNewTokens must be >= 0 (or -1 for all), "
                             "got ",
                             s.maxNewTokens);
    SequenceView view = *blocks_->sequence(s.id);
    int64_t q = view.numTokens - view.numComputed;
    if (s.maxNewTokens >= 0)
      q = std::min(q, s.maxNewTokens);
    stepQueryLens_[i] = q;
    numTokens += q;
    int64_t seqLen = view.numComputed + q;
    maxSeqLen = std::max(maxSeqLen, seqLen);
    totalSeqLen += seqLen;
    maxQueryLen = std::max(maxQueryLen, q);
    width = std::max(width, view.numBlocks);
  }
  if (numTokens > c.maxNumBatchedTokens)
    return invalidArgument("prepareStep: ", numTokens,
                           " new tokens exceed max_num_batched_tokens (",
                           c.maxNumBatchedTokens, ")");
  if (padTo > c.maxNumBatchedTokens)
    return invalidArgument("prepareStep: padTo (", padTo,
                           ") exceeds max_num_batched_tokens (",
                           c.maxNumBatchedTokens, ")");
  if (padTo > 0 && padTo < numTokens)
    return invalidArgument("prepareStep: padTo (", padTo,
                           ") is less than the step's ", numTokens,
                           " new tokens");
  int64_t padded = std::max(numTokens, padTo);

  // Copy-on-write copies queued since the last step.
  ATTN_RT_ASSIGN_OR_RETURN(int64_t copies, applyPendingCopies());

  // Fill the staging buffer.
  int64_t n = static_cast<int64_t>(numSeqs);
  size_t offSlots = 0;
  size_t offCu =
      alignUp(offSlots + 8 * static_cast<size_t>(padded), kSectionAlign);
  size_t offLens =
      alignUp(offCu + 4 * static_cast<size_t>(n + 1), kSectionAlign);
  size_t offTable =
      alignUp(offLens + 4 * static_cast<size_t>(n), kSectionAlign);
  size_t used = offTable + 4 * static_cast<size_t>(n * width);
  uint8_t *h = staging_.data();
  auto *slots = reinterpret_cast<int64_t *>(h + offSlots);
  auto *cu = reinterpret_cast<int32_t *>(h + offCu);
  auto *lens = reinterpret_cast<int32_t *>(h + offLens);
  auto *table = reinterpret_cast<int32_t *>(h + offTable);
  int64_t bs = c.blockSize;
  int64_t token = 0;
  cu[0] = 0;
  for (int64_t i = 0; i < n; ++i) {
    SequenceView view = *blocks_->sequence(seqs[i].id);
    int64_t q = stepQueryLens_[i];
    for (int64_t p = view.numComputed; p < view.numComputed + q; ++p)
      slots[token++] = static_cast<int64_t>(view.blocks[p / bs]) * bs + p % bs;
    cu[i + 1] = static_cast<int32_t>(token);
    lens[i] = static_cast<int32_t>(view.numComputed + q);
    int32_t *row = table + i * width;
    std::memcpy(row, view.blocks, sizeof(int32_t) * view.numBlocks);
    std::fill(row + view.numBlocks, row + width, 0);
  }
  for (; token < padded; ++token)
    slots[token] = -1;
  ATTN_RT_RETURN_IF_ERROR(
      device_.copyToDevice(metadata_.data(), staging_.data(), used));

  // Commit: the new tokens are computed once this step's writes run.
  for (int64_t i = 0; i < n; ++i)
    ATTN_RT_RETURN_IF_ERROR(
        blocks_->markComputed(seqs[i].id, stepQueryLens_[i]));

  char *d = static_cast<char *>(metadata_.data());
  StepMetadata step;
  step.slotMapping = TensorRef::make(d + offSlots, DType::I64, {padded});
  step.cuSeqlensQ = TensorRef::make(d + offCu, DType::I32, {n + 1});
  step.seqLens = TensorRef::make(d + offLens, DType::I32, {n});
  step.blockTable = TensorRef::make(d + offTable, DType::I32, {n, width});
  step.numSeqs = n;
  step.numTokens = numTokens;
  step.numPaddedTokens = padded;
  step.maxSeqLen = maxSeqLen;
  step.maxQueryLen = maxQueryLen;
  step.totalSeqLen = totalSeqLen;
  step.numBlockCopies = copies;
  step.stepIndex = step_.stepIndex + 1;
  step_ = step;
  return step;
}

StatusOr<StepMetadata>
PagedKVCache::prepareStep(const std::vector<StepSequence> &seqs,
                          int64_t padTo) {
  return prepareStep(seqs.data(), seqs.size(), padTo);
}

StatusOr<StepMetadata> PagedKVCache::prepareStep(const std::vector<SeqId> &ids,
                                                 int64_t padTo) {
  if (static_cast<int64_t>(ids.size()) > config_.maxNumSeqs)
    return invalidArgument("prepareStep: ", ids.size(),
                           " sequences exceed max_num_seqs (",
                           config_.maxNumSeqs, ")");
  // A fixed-size local array keeps this overload allocation-free for
  // batches up to 64 sequences; larger ones go through a vector.
  constexpr size_t kInline = 64;
  if (ids.size() <= kInline) {
    StepSequence seqs[kInline];
    for (size_t i = 0; i < ids.size(); ++i)
      seqs[i].id = ids[i];
    return prepareStep(seqs, ids.size(), padTo);
  }
  std::vector<StepSequence> seqs(ids.size());
  for (size_t i = 0; i < ids.size(); ++i)
    seqs[i].id = ids[i];
  return prepareStep(seqs.data(), seqs.size(), padTo);
}

//===----------------------------------------------------------------------===//
// Layers and kernels
//===----------------------------------------------------------------------===//

Status PagedKVCache::checkLayer(int64_t layer) const {
  if (layer < 0 || layer >= config_.numLayers)
    return invalidArgument("KV cache: layer ", layer, " is out of range [0, ",
                           config_.numLayers, ")");
  return Status::ok();
}

Status PagedKVCache::checkStepPrepared(const char *what) const {
  if (step_.stepIndex == 0)
    return failedPrecondition("KV cache: ", what,
                              " needs a step: call prepareStep first");
  return Status::ok();
}

TensorRef PagedKVCache::kCache(int64_t layer) const {
  if (!checkLayer(layer).isOk())
    return TensorRef();
  return TensorRef::make(
      layerBase_[layer], storageDType(),
      {config_.numBlocks, config_.blockSize, config_.numKvHeads, kRowElems_});
}

TensorRef PagedKVCache::vCache(int64_t layer) const {
  if (!checkLayer(layer).isOk())
    return TensorRef();
  return TensorRef::make(
      layerBase_[layer] + vOffset_, storageDType(),
      {config_.numBlocks, config_.blockSize, config_.numKvHeads, vRowElems_});
}

TensorRef PagedKVCache::kScale(int64_t layer) const {
  if (!needsPerTensorScale(config_.kvDType) || !checkLayer(layer).isOk())
    return TensorRef();
  return TensorRef::make(static_cast<float *>(scales_.data()) + 2 * layer,
                         DType::F32, {1});
}

TensorRef PagedKVCache::vScale(int64_t layer) const {
  if (!needsPerTensorScale(config_.kvDType) || !checkLayer(layer).isOk())
    return TensorRef();
  return TensorRef::make(static_cast<float *>(scales_.data()) + 2 * layer + 1,
                         DType::F32, {1});
}

Status PagedKVCache::setScales(int64_t layer, float kScale, float vScale) {
  if (!needsPerTensorScale(config_.kvDType))
    return failedPrecondition("KV cache: per-tensor scales apply to "
                              "fp8_e4m3/fp8_e5m2/fp8_e4m3fnuz/fp8_e5m2fnuz "
                              "caches; this cache is ",
                              kvDTypeName(config_.kvDType));
  if (layer != -1)
    ATTN_RT_RETURN_IF_ERROR(checkLayer(layer));
  for (float s : {kScale, vScale})
    if (!(std::isfinite(s) && s > 0))
      return invalidArgument("KV cache: scales must be finite and positive, "
                             "got k_scale ",
                             kScale, ", v_scale ", vScale);
  float pair[2] = {kScale, vScale};
  auto *base = static_cast<float *>(scales_.data());
  int64_t first = layer == -1 ? 0 : layer;
  int64_t last = layer == -1 ? config_.numLayers : layer + 1;
  for (int64_t l = first; l < last; ++l)
    ATTN_RT_RETURN_IF_ERROR(
        device_.copyToDevice(base + 2 * l, pair, sizeof(pair)));
  return Status::ok();
}

Status PagedKVCache::checkKernel(const KernelInfo &k) const {
  const KVCacheConfig &c = config_;
  auto mismatch = [&](const char *what, auto kernelValue, auto cacheValue) {
    return invalidArgument("kernel '", k.name,
                           "' does not match the KV cache: its ", what, " is ",
                           kernelValue, ", the cache's is ", cacheValue);
  };
  if (k.kvLayout != KvLayout::Paged)
    return invalidArgument("kernel '", k.name,
                           "' reads varlen K/V, not a paged cache");
  if (k.kvHeads != c.numKvHeads)
    return mismatch("kv_heads", k.kvHeads, c.numKvHeads);
  if (k.headSize != c.headSize)
    return mismatch("head_size", k.headSize, c.headSize);
  int64_t kHeadSizeV = k.headSizeV ? k.headSizeV : k.headSize;
  if (kHeadSizeV != c.headSizeV)
    return mismatch("head_size_v", kHeadSizeV, c.headSizeV);
  if (k.blockSize != c.blockSize)
    return mismatch("block_size", k.blockSize, c.blockSize);
  if (k.dtype != c.dtype)
    return mismatch("dtype", dtypeName(k.dtype), dtypeName(c.dtype));
  if (canonicalKv(k.kvDType, k.dtype) != canonicalKv(c.kvDType, c.dtype))
    return mismatch("kv_dtype", kvDTypeName(k.kvDType), kvDTypeName(c.kvDType));
  return Status::ok();
}

Status PagedKVCache::checkKeyValue(const TensorRef &key, const TensorRef &value,
                                   int64_t numTokens) const {
  const KVCacheConfig &c = config_;
  struct Item {
    const char *name;
    const TensorRef &t;
    int64_t headSize;
  } items[] = {{"key", key, c.headSize}, {"value", value, c.headSizeV}};
  for (const Item &it : items) {
    if (it.t.dtype != c.dtype)
      return invalidArgument("KV cache: ", it.name, " has dtype ",
                             dtypeName(it.t.dtype), "; the cache's dtype is ",
                             dtypeName(c.dtype));
    if (it.t.rank != 3 || it.t.shape[0] < numTokens ||
        it.t.shape[1] != c.numKvHeads || it.t.shape[2] != it.headSize)
      return invalidArgument("KV cache: ", it.name, " has shape ",
                             it.t.shapeString(), "; expected [>= ", numTokens,
                             " (tokens of the step), ", c.numKvHeads, ", ",
                             it.headSize, "]");
  }
  return Status::ok();
}

Status PagedKVCache::writeKV(int64_t layer, CacheWriteKernel &kernel,
                             const TensorRef &key, const TensorRef &value,
                             void *stream) {
  ATTN_RT_RETURN_IF_ERROR(checkStepPrepared("writeKV"));
  ATTN_RT_RETURN_IF_ERROR(checkLayer(layer));
  ATTN_RT_RETURN_IF_ERROR(checkKernel(kernel.info()));
  ATTN_RT_RETURN_IF_ERROR(checkKeyValue(key, value, step_.numPaddedTokens));
  return kernel.run(key, value, kCache(layer), vCache(layer), step_.slotMapping,
                    kScale(layer), vScale(layer), stream);
}

Status PagedKVCache::writeKV(int64_t layer, CacheWriteKernel &kernel,
                             const TensorRef &key, const TensorRef &value,
                             const TensorRef &slotMapping, void *stream) {
  ATTN_RT_RETURN_IF_ERROR(checkLayer(layer));
  ATTN_RT_RETURN_IF_ERROR(checkKernel(kernel.info()));
  if (slotMapping.dtype != DType::I64 || slotMapping.rank != 1)
    return invalidArgument("KV cache: slot_mapping must be a 1-D i64 tensor, "
                           "got ",
                           dtypeName(slotMapping.dtype), " ",
                           slotMapping.shapeString());
  int64_t n = slotMapping.shape[0];
  if (n > 0 && !slotMapping.data)
    return invalidArgument("KV cache: slot_mapping has ", n,
                           " entries but a null data pointer");
  ATTN_RT_RETURN_IF_ERROR(checkKeyValue(key, value, n));
  if (device_.isHostAccessible()) {
    const auto *slots = static_cast<const int64_t *>(slotMapping.data);
    int64_t numSlots = config_.numBlocks * config_.blockSize;
    for (int64_t i = 0; i < n; ++i) {
      int64_t s = slots[i];
      if (s == -1)
        continue;
      if (s < 0 || s >= numSlots)
        return invalidArgument("KV cache: slot_mapping[", i, "] = ", s,
                               " is outside the cache's slots [0, ", numSlots,
                               ") (-1 skips a token)");
      int32_t block = static_cast<int32_t>(s / config_.blockSize);
      int32_t owners = blocks_->refCount(block);
      if (owners == 0)
        return invalidArgument("KV cache: slot_mapping[", i, "] = ", s,
                               " is in block ", block,
                               ", which no sequence holds");
      if (owners > 1)
        return invalidArgument("KV cache: slot_mapping[", i, "] = ", s,
                               " is in block ", block, ", shared by ", owners,
                               " sequences: writing it would change their "
                               "K/V too");
    }
  }
  return kernel.run(key, value, kCache(layer), vCache(layer), slotMapping,
                    kScale(layer), vScale(layer), stream);
}

Status PagedKVCache::bindAttention(int64_t layer, AttentionArgs &args) const {
  ATTN_RT_RETURN_IF_ERROR(checkStepPrepared("bindAttention"));
  ATTN_RT_RETURN_IF_ERROR(checkLayer(layer));
  args.kCache = kCache(layer);
  args.vCache = vCache(layer);
  args.blockTable = step_.blockTable;
  args.seqLens = step_.seqLens;
  args.cuSeqlensQ = step_.cuSeqlensQ;
  args.kScale = kScale(layer);
  args.vScale = vScale(layer);
  args.numSeqs = static_cast<int>(step_.numSeqs);
  args.maxSeqLen = static_cast<int>(step_.maxSeqLen);
  args.totalSeqLen = step_.totalSeqLen;
  return Status::ok();
}

Status PagedKVCache::runAttention(int64_t layer, AttentionKernel &kernel,
                                  const TensorRef &q, const TensorRef &out,
                                  void *stream) {
  ATTN_RT_RETURN_IF_ERROR(checkKernel(kernel.info()));
  AttentionArgs args;
  ATTN_RT_RETURN_IF_ERROR(bindAttention(layer, args));
  args.q = q;
  args.out = out;
  args.stream = stream;
  return kernel.run(args);
}

} // namespace rt
} // namespace attn
