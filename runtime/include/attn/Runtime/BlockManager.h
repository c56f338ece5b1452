//===- BlockManager.h - Block accounting of the paged KV cache --*- C++ -*-===//
//
// Part of the attn project, the runtime library (libattnrt).
//
//===----------------------------------------------------------------------===//
//
// The BlockManager is the host-side bookkeeping of a paged KV cache: which
// cache blocks each sequence owns, reference counts, copy-on-write after a
// fork, and prefix caching. It touches no device memory; PagedKVCache
// (KVCache.h) pairs it with the per-layer cache memory and the per-step
// metadata buffers the kernels read.
//
// Model. A sequence is a list of token ids split into blocks of block_size
// slots; token i lives in slot i % block_size of block blocks[i / block_size].
// A token is *computed* once a step that writes its K/V has been prepared
// (markComputed). Blocks have an owner count (the sequences that list them);
// a block with count 0 is either free or, when it holds a full computed
// prefix registered in the prefix cache, *cached*: still holding valid K/V,
// reusable by a later addSequence() with the same prefix, and evicted (least
// recently used first) only when no free block is left.
//
// Prefix caching follows vLLM: the key of a full block is a hash chain,
// hash(parent key, token ids of the block). A lookup walks the chain from
// the first block; each hit is verified exactly (the block's stored token
// ids and its parent's registration), so a hash collision can cost a cache
// hit but never returns the wrong K/V.
//
// Forks (beam search, parallel sampling) share every block of the parent.
// Full blocks are immutable, so sharing them is free; the partial last block
// is copied on write: the first append to a shared partial block moves the
// appending sequence to a fresh block and queues a BlockCopy(src, dst) that
// the owner of the memory (PagedKVCache::prepareStep) performs before the
// step's cache writes.
//
// Every mutating call either succeeds or returns an error and leaves the
// state exactly as it was. After create(), no call allocates host memory:
// all tables are sized from the options up front.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_RUNTIME_BLOCKMANAGER_H
#define ATTN_RUNTIME_BLOCKMANAGER_H

#include "attn/Runtime/Status.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace attn {
namespace rt {

/// A sequence id chosen by the caller (any value).
using SeqId = int64_t;

struct BlockManagerOptions {
  /// Blocks in the cache (block ids are [0, numBlocks)).
  int64_t numBlocks = 0;
  /// Token slots per block.
  int64_t blockSize = 16;
  /// Most sequences alive at once (forks included).
  int64_t maxLiveSeqs = 256;
  /// Most blocks one sequence may hold; 0 means numBlocks. A sequence can
  /// hold at most maxBlocksPerSeq * blockSize tokens.
  int64_t maxBlocksPerSeq = 0;
  /// Reuse blocks of identical full prefixes across sequences.
  bool enablePrefixCaching = true;
};

/// A block copy that copy-on-write requires: the first `numSlots` token
/// slots of block `src` must be copied to block `dst` (in every layer)
/// before the next step's cache writes.
struct BlockCopy {
  int32_t src = 0;
  int32_t dst = 0;
  int32_t numSlots = 0;
};

/// How the blocks are used. used + cached + free == total, always.
struct BlockUsage {
  int64_t total = 0;
  /// Held by at least one sequence (or by a pending copy).
  int64_t used = 0;
  /// Unreferenced but holding a cached prefix (evictable).
  int64_t cached = 0;
  /// Unreferenced and holding nothing.
  int64_t free = 0;
  /// Blocks an allocation can take: free + cached.
  int64_t available() const { return free + cached; }
};

/// Counters since creation (or resetStats()).
struct BlockManagerStats {
  /// Prompt tokens looked up in the prefix cache (addSequence) ...
  int64_t prefixQueryTokens = 0;
  /// ... and how many of them were found there.
  int64_t prefixHitTokens = 0;
  /// Blocks handed out (fresh or evicted), evictions among them.
  int64_t blocksAllocated = 0;
  int64_t evictions = 0;
  /// Copy-on-write block copies queued.
  int64_t cowCopies = 0;
  /// Full blocks registered in the prefix cache.
  int64_t blocksRegistered = 0;
};

/// A sequence's state; `blocks` stays valid until the next mutating call.
struct SequenceView {
  int64_t numTokens = 0;
  int64_t numComputed = 0;
  const int32_t *blocks = nullptr;
  int64_t numBlocks = 0;
};

class BlockManager {
public:
  /// Checks the options (positive sizes, block ids and slots within int32)
  /// and sizes every table. InvalidArgument names the bad option.
  static StatusOr<std::unique_ptr<BlockManager>>
  create(const BlockManagerOptions &options);

  ~BlockManager();
  BlockManager(const BlockManager &) = delete;
  BlockManager &operator=(const BlockManager &) = delete;

  const BlockManagerOptions &options() const;
  int64_t numBlocks() const;
  int64_t blockSize() const;
  int64_t maxBlocksPerSeq() const;

  //===--------------------------------------------------------------------===//
  // Sequences
  //===--------------------------------------------------------------------===//

  /// Adds sequence `id` holding `numTokens` prompt tokens. With prefix
  /// caching, the longest cached prefix of full blocks is shared (at most
  /// numTokens - 1 tokens, so that at least one token is left to compute:
  /// its output is needed) and counts as computed. Returns the number of
  /// tokens found in the cache. Errors: InvalidArgument (id already
  /// exists, numTokens < 0, tokens null with numTokens > 0, more tokens
  /// than maxBlocksPerSeq * blockSize), OutOfMemory (no sequence slot left,
  /// or not enough free + cached blocks).
  StatusOr<int64_t> addSequence(SeqId id, const int32_t *tokens,
                                int64_t numTokens);
  /// Appends tokens to sequence `id`, allocating blocks as needed (and
  /// copying a shared partial last block on write). Errors: NotFound
  /// (unknown or freed id), InvalidArgument (bad arguments, sequence
  /// longer than maxBlocksPerSeq blocks), OutOfMemory (not enough blocks).
  Status appendTokens(SeqId id, const int32_t *tokens, int64_t numTokens);
  /// Releases the sequence's blocks (cached prefixes stay cached). NotFound
  /// for an unknown id.
  Status freeSequence(SeqId id);
  /// Makes `child` a copy of `parent` sharing all its blocks. The parent
  /// must have no uncomputed tokens (FailedPrecondition otherwise: fork
  /// after the step that computes them has been prepared). Errors:
  /// NotFound (parent), InvalidArgument (child exists or equals parent),
  /// OutOfMemory (no sequence slot).
  Status forkSequence(SeqId parent, SeqId child);

  bool hasSequence(SeqId id) const;
  int64_t numSequences() const;
  /// A dense index in [0, maxLiveSeqs) of a live sequence (stable while it
  /// lives), or -1 for an unknown id.
  int32_t sequenceSlot(SeqId id) const;
  /// NotFound for an unknown id.
  StatusOr<SequenceView> sequence(SeqId id) const;
  /// Blocks that appending `numTokens` to `id` would take from the pool
  /// (copy-on-write included); -1 for an unknown id.
  int64_t blocksNeededToAppend(SeqId id, int64_t numTokens) const;
  /// Tokens of `tokens` that addSequence() would find in the prefix cache
  /// (no state change).
  int64_t cachedPrefixLength(const int32_t *tokens, int64_t numTokens) const;

  //===--------------------------------------------------------------------===//
  // Steps
  //===--------------------------------------------------------------------===//

  /// Marks the next `numTokens` uncomputed tokens of `id` computed (their
  /// K/V are written by the step being prepared) and registers blocks that
  /// become full and computed in the prefix cache. Errors: NotFound,
  /// InvalidArgument (numTokens < 0 or more than the uncomputed tokens).
  Status markComputed(SeqId id, int64_t numTokens);

  /// Block copies queued by copy-on-write, in the order they must run.
  /// Their source blocks stay pinned (not reusable) until
  /// clearPendingCopies().
  const std::vector<BlockCopy> &pendingCopies() const;
  /// Call once the pending copies have been performed: unpins the sources.
  void clearPendingCopies();

  //===--------------------------------------------------------------------===//
  // Blocks
  //===--------------------------------------------------------------------===//

  BlockUsage usage() const;
  const BlockManagerStats &stats() const;
  void resetStats();
  /// Owner count of a block (sequences listing it); -1 for a bad id.
  int32_t refCount(int32_t block) const;
  /// True when the block is registered in the prefix cache.
  bool isCached(int32_t block) const;
  /// Drops every cached, unreferenced block back to the free list and
  /// forgets all registrations (blocks in use stay, but are no longer
  /// found by lookups).
  void resetPrefixCache();

  /// Checks every internal invariant (reference counts match the sequences'
  /// block lists, nothing negative, used + cached + free == total, the free
  /// list, LRU list and hash table agree). Internal error on a violation:
  /// a bug in the runtime. O(numBlocks + live sequences' blocks).
  Status checkInvariants() const;

private:
  struct Impl;
  explicit BlockManager(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

} // namespace rt
} // namespace attn

#endif // ATTN_RUNTIME_BLOCKMANAGER_H
