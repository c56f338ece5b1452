//===- BlockManager.cpp - Block accounting of the paged KV cache ----------===//
//
// Part of the attn project, the runtime library (libattnrt).
//
//===----------------------------------------------------------------------===//
//
// Every block is in exactly one of three states:
//   used    owners (refCount) > 0 or pinned by a pending copy (pinCount > 0);
//   cached  unreferenced, registered in the prefix cache, on the LRU list;
//   free    unreferenced, unregistered, on the free stack.
// Allocation pops the free stack first, then evicts the LRU head (the least
// recently released cached block). Mutating calls check everything first
// and only then change state, so an error leaves no trace.
//
//===----------------------------------------------------------------------===//

#include "attn/Runtime/BlockManager.h"

#include "Common/FixedHashMap.h"

#include <algorithm>
#include <cstring>
#include <limits>

namespace attn {
namespace rt {

using detail::FixedHashMap;
using detail::mix64;

namespace {
constexpr uint64_t kRootHash = 0xcbf29ce484222325ull;
constexpr int32_t kNone = -1;

/// hash(parent, token ids of one block).
uint64_t hashBlock(uint64_t parent, const int32_t *tokens, int64_t n) {
  uint64_t h = mix64(parent ^ 0x6a09e667f3bcc909ull);
  for (int64_t i = 0; i < n; ++i)
    h = mix64(h ^ (0x9e3779b97f4a7c15ull +
                   static_cast<uint64_t>(static_cast<uint32_t>(tokens[i]))));
  return h;
}

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }
} // namespace

struct BlockManager::Impl {
  struct Seq {
    SeqId id = 0;
    bool live = false;
    int64_t numTokens = 0;
    int64_t numComputed = 0;
    int64_t numBlocks = 0;
    /// Full computed blocks already processed for the prefix cache, and the
    /// chain state after them (hash key and registration id of the last).
    int64_t numHashed = 0;
    uint64_t chainHash = kRootHash;
    uint64_t chainRegId = 0;
  };

  BlockManagerOptions opt;
  int64_t numBlocks = 0, bs = 0, maxBlocksPerSeq = 0;

  // Per block.
  std::vector<int32_t> refCount, pinCount;
  std::vector<int32_t> lruPrev, lruNext;
  std::vector<uint8_t> inLru;
  std::vector<uint64_t> blockHash, regId, parentRegId;
  /// Token id of every slot (numBlocks * bs).
  std::vector<int32_t> blockTokens;

  std::vector<int32_t> freeStack;
  int32_t lruHead = kNone, lruTail = kNone;
  int64_t numCached = 0;
  int64_t numPinnedOnly = 0; // unreferenced but pinned (counted as used)

  FixedHashMap prefixMap; // chain hash -> block
  uint64_t nextRegId = 1;

  // Sequences.
  FixedHashMap seqMap; // id -> slot
  std::vector<Seq> seqs;
  std::vector<int32_t> seqBlocks; // slot * maxBlocksPerSeq
  std::vector<int32_t> freeSlots;
  /// Scratch for prefix lookups (maxBlocksPerSeq).
  mutable std::vector<int32_t> scratch;

  std::vector<BlockCopy> pending;
  BlockManagerStats stats;

  int32_t *blocksOf(int32_t slot) {
    return seqBlocks.data() + static_cast<int64_t>(slot) * maxBlocksPerSeq;
  }
  const int32_t *blocksOf(int32_t slot) const {
    return seqBlocks.data() + static_cast<int64_t>(slot) * maxBlocksPerSeq;
  }
  int32_t *tokensOf(int32_t block) {
    return blockTokens.data() + static_cast<int64_t>(block) * bs;
  }
  const int32_t *tokensOf(int32_t block) const {
    return blockTokens.data() + static_cast<int64_t>(block) * bs;
  }

  int32_t slotOf(SeqId id) const {
    return seqMap.find(static_cast<uint64_t>(id));
  }

  int64_t available() const {
    return static_cast<int64_t>(freeStack.size()) + numCached;
  }

  //===-- LRU list ----------------------------------------------------------//

  void lruPushBack(int32_t b) {
    lruPrev[b] = lruTail;
    lruNext[b] = kNone;
    if (lruTail != kNone)
      lruNext[lruTail] = b;
    else
      lruHead = b;
    lruTail = b;
    inLru[b] = 1;
    ++numCached;
  }

  void lruUnlink(int32_t b) {
    if (lruPrev[b] != kNone)
      lruNext[lruPrev[b]] = lruNext[b];
    else
      lruHead = lruNext[b];
    if (lruNext[b] != kNone)
      lruPrev[lruNext[b]] = lruPrev[b];
    else
      lruTail = lruPrev[b];
    lruPrev[b] = lruNext[b] = kNone;
    inLru[b] = 0;
    --numCached;
  }

  //===-- Block states ------------------------------------------------------//

  void unregister(int32_t b) {
    if (regId[b] == 0)
      return;
    if (prefixMap.find(blockHash[b]) == b)
      prefixMap.erase(blockHash[b]);
    regId[b] = 0;
    parentRegId[b] = 0;
    blockHash[b] = 0;
  }

  /// Takes a block for a new owner (refCount 1). The caller has checked
  /// available() > 0.
  int32_t allocate() {
    int32_t b;
    if (!freeStack.empty()) {
      b = freeStack.back();
      freeStack.pop_back();
    } else {
      b = lruHead;
      lruUnlink(b);
      unregister(b);
      ++stats.evictions;
    }
    refCount[b] = 1;
    ++stats.blocksAllocated;
    return b;
  }

  /// A block nobody references or pins any more.
  void becameUnreferenced(int32_t b) {
    if (regId[b] != 0)
      lruPushBack(b);
    else
      freeStack.push_back(b);
  }

  void release(int32_t b) {
    if (--refCount[b] == 0) {
      if (pinCount[b] == 0)
        becameUnreferenced(b);
      else
        ++numPinnedOnly;
    }
  }

  void pin(int32_t b) { ++pinCount[b]; }

  void unpin(int32_t b) {
    if (--pinCount[b] == 0 && refCount[b] == 0) {
      --numPinnedOnly;
      becameUnreferenced(b);
    }
  }

  /// One more owner of a block found by a prefix lookup.
  void acquire(int32_t b) {
    if (inLru[b])
      lruUnlink(b);
    if (refCount[b] == 0 && pinCount[b] > 0)
      --numPinnedOnly;
    ++refCount[b];
  }

  //===-- Prefix cache ------------------------------------------------------//

  /// The registered block holding `tokens` after parent registration
  /// `parentReg`, under key `h`; -1 when none (or on a hash collision).
  int32_t lookup(uint64_t h, uint64_t parentReg, const int32_t *tokens) const {
    int32_t b = prefixMap.find(h);
    if (b < 0 || regId[b] == 0 || parentRegId[b] != parentReg)
      return -1;
    if (std::memcmp(tokensOf(b), tokens, sizeof(int32_t) * bs) != 0)
      return -1;
    return b;
  }

  /// Walks the prefix cache for `tokens`; fills scratch with the matched
  /// blocks and returns their count (at most (n - 1) / bs).
  int64_t matchPrefix(const int32_t *tokens, int64_t n, uint64_t &hashOut,
                      uint64_t &regOut) const {
    hashOut = kRootHash;
    regOut = 0;
    if (!opt.enablePrefixCaching || n <= 1)
      return 0;
    int64_t maxFull = std::min((n - 1) / bs, maxBlocksPerSeq);
    int64_t matched = 0;
    uint64_t h = kRootHash, reg = 0;
    for (; matched < maxFull; ++matched) {
      const int32_t *blockToks = tokens + matched * bs;
      uint64_t next = hashBlock(h, blockToks, bs);
      int32_t b = lookup(next, reg, blockToks);
      if (b < 0)
        break;
      scratch[matched] = b;
      h = next;
      reg = regId[b];
    }
    hashOut = h;
    regOut = reg;
    return matched;
  }

  /// Registers block index `index` of sequence `s` (full and computed).
  void registerBlock(Seq &s, int32_t slot, int64_t index) {
    int32_t b = blocksOf(slot)[index];
    const int32_t *toks = tokensOf(b);
    uint64_t h = hashBlock(s.chainHash, toks, bs);
    if (regId[b] != 0) {
      // Already registered (shared with the sequence that registered it).
      s.chainRegId = regId[b];
    } else if (int32_t existing = lookup(h, s.chainRegId, toks);
               existing >= 0) {
      // Same content computed twice: chain on to the registered copy.
      s.chainRegId = regId[existing];
    } else if (prefixMap.find(h) < 0) {
      blockHash[b] = h;
      regId[b] = nextRegId++;
      parentRegId[b] = s.chainRegId;
      prefixMap.insert(h, b);
      s.chainRegId = regId[b];
      ++stats.blocksRegistered;
    } else {
      // A hash collision with different content: leave this block out of
      // the cache; a fresh registration id makes its descendants
      // unreachable rather than wrong.
      s.chainRegId = nextRegId++;
    }
    s.chainHash = h;
    ++s.numHashed;
  }

  void registerComputedBlocks(Seq &s, int32_t slot) {
    if (!opt.enablePrefixCaching)
      return;
    int64_t full = s.numComputed / bs;
    while (s.numHashed < full)
      registerBlock(s, slot, s.numHashed);
  }

  Status unknownSequence(SeqId id) const {
    return notFound("unknown sequence ", id,
                    " (never added, or already freed)");
  }

  Status outOfBlocks(SeqId id, const char *what, int64_t tokens,
                     int64_t needed) const {
    return outOfMemory("KV cache out of blocks: ", what, " sequence ", id,
                       " needs ", needed, " more block", needed == 1 ? "" : "s",
                       " for ", tokens, " token", tokens == 1 ? "" : "s",
                       ", but only ", available(), " of ", numBlocks,
                       " are available (", freeStack.size(), " free, ",
                       numCached, " cached); nothing was changed");
  }

  Status tooLong(SeqId id, int64_t tokens) const {
    return invalidArgument("sequence ", id, " would hold ", tokens,
                           " tokens, more than max_blocks_per_seq (",
                           maxBlocksPerSeq, ") * block_size (", bs,
                           ") = ", maxBlocksPerSeq * bs);
  }

  Status checkTokens(const int32_t *tokens, int64_t n) const {
    if (n < 0)
      return invalidArgument("token count ", n, " is negative");
    if (n > 0 && !tokens)
      return invalidArgument("tokens is null but the token count is ", n);
    return Status::ok();
  }

  Status takeSeqSlot(SeqId id, int32_t &slot) {
    if (freeSlots.empty())
      return outOfMemory("too many sequences: all ", opt.maxLiveSeqs,
                         " sequence slots (max_live_seqs) are in use; "
                         "free a sequence first");
    slot = freeSlots.back();
    freeSlots.pop_back();
    seqMap.insert(static_cast<uint64_t>(id), slot);
    seqs[slot] = Seq();
    seqs[slot].id = id;
    seqs[slot].live = true;
    return Status::ok();
  }

  /// Writes tokens [from, from + n) of a sequence into its blocks' slots.
  void storeTokens(int32_t slot, int64_t from, const int32_t *tokens,
                   int64_t n) {
    const int32_t *blocks = blocksOf(slot);
    for (int64_t i = 0; i < n; ++i) {
      int64_t pos = from + i;
      tokensOf(blocks[pos / bs])[pos % bs] = tokens[i];
    }
  }
};

BlockManager::BlockManager(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}
BlockManager::~BlockManager() = default;

StatusOr<std::unique_ptr<BlockManager>>
BlockManager::create(const BlockManagerOptions &options) {
  const int64_t kMaxInt32 = std::numeric_limits<int32_t>::max();
  if (options.numBlocks <= 0)
    return invalidArgument("num_blocks must be positive, got ",
                           options.numBlocks);
  if (options.blockSize <= 0)
    return invalidArgument("block_size must be positive, got ",
                           options.blockSize);
  if (options.numBlocks > kMaxInt32 / options.blockSize)
    return invalidArgument("num_blocks (", options.numBlocks,
                           ") * block_size (", options.blockSize,
                           ") slots exceed the kernels' int32 slot range");
  if (options.maxLiveSeqs <= 0 || options.maxLiveSeqs > kMaxInt32)
    return invalidArgument("max_live_seqs must be in [1, 2^31), got ",
                           options.maxLiveSeqs);
  if (options.maxBlocksPerSeq < 0 || options.maxBlocksPerSeq > kMaxInt32)
    return invalidArgument("max_blocks_per_seq must be >= 0, got ",
                           options.maxBlocksPerSeq);
  int64_t maxBlocksPerSeq =
      options.maxBlocksPerSeq ? options.maxBlocksPerSeq : options.numBlocks;
  if (options.maxLiveSeqs > (int64_t(1) << 40) / maxBlocksPerSeq)
    return invalidArgument("max_live_seqs (", options.maxLiveSeqs,
                           ") * max_blocks_per_seq (", maxBlocksPerSeq,
                           ") block-table entries is too large");

  auto impl = std::make_unique<Impl>();
  Impl &m = *impl;
  m.opt = options;
  m.numBlocks = options.numBlocks;
  m.bs = options.blockSize;
  m.maxBlocksPerSeq = maxBlocksPerSeq;
  m.opt.maxBlocksPerSeq = maxBlocksPerSeq;
  size_t nb = static_cast<size_t>(m.numBlocks);
  m.refCount.assign(nb, 0);
  m.pinCount.assign(nb, 0);
  m.lruPrev.assign(nb, kNone);
  m.lruNext.assign(nb, kNone);
  m.inLru.assign(nb, 0);
  m.blockHash.assign(nb, 0);
  m.regId.assign(nb, 0);
  m.parentRegId.assign(nb, 0);
  m.blockTokens.assign(nb * static_cast<size_t>(m.bs), 0);
  // Pop order 0, 1, 2, ...
  m.freeStack.resize(nb);
  for (size_t i = 0; i < nb; ++i)
    m.freeStack[i] = static_cast<int32_t>(nb - 1 - i);
  m.prefixMap = FixedHashMap(nb);
  size_t maxSeqs = static_cast<size_t>(options.maxLiveSeqs);
  m.seqMap = FixedHashMap(maxSeqs);
  m.seqs.assign(maxSeqs, Impl::Seq());
  m.seqBlocks.assign(maxSeqs * static_cast<size_t>(maxBlocksPerSeq), kNone);
  m.freeSlots.resize(maxSeqs);
  for (size_t i = 0; i < maxSeqs; ++i)
    m.freeSlots[i] = static_cast<int32_t>(maxSeqs - 1 - i);
  m.scratch.assign(static_cast<size_t>(maxBlocksPerSeq), kNone);
  // Each pending copy pins a distinct destination block.
  m.pending.reserve(nb);
  return std::unique_ptr<BlockManager>(new BlockManager(std::move(impl)));
}

const BlockManagerOptions &BlockManager::options() const { return impl_->opt; }
int64_t BlockManager::numBlocks() const { return impl_->numBlocks; }
int64_t BlockManager::blockSize() const { return impl_->bs; }
int64_t BlockManager::maxBlocksPerSeq() const { return impl_->maxBlocksPerSeq; }

//===----------------------------------------------------------------------===//
// Sequences
//===----------------------------------------------------------------------===//

StatusOr<int64_t> BlockManager::addSequence(SeqId id, const int32_t *tokens,
                                            int64_t n) {
  Impl &m = *impl_;
  ATTN_RT_RETURN_IF_ERROR(m.checkTokens(tokens, n));
  if (m.slotOf(id) >= 0)
    return invalidArgument("sequence ", id, " already exists");
  int64_t totalBlocks = ceilDiv(n, m.bs);
  if (totalBlocks > m.maxBlocksPerSeq)
    return m.tooLong(id, n);
  if (m.freeSlots.empty())
    return outOfMemory("too many sequences: all ", m.opt.maxLiveSeqs,
                       " sequence slots (max_live_seqs) are in use; free a "
                       "sequence first");

  uint64_t chainHash, chainReg;
  int64_t matched = m.matchPrefix(tokens, n, chainHash, chainReg);
  int64_t revived = 0;
  for (int64_t i = 0; i < matched; ++i)
    revived += m.inLru[m.scratch[i]];
  int64_t needed = totalBlocks - matched;
  if (needed > m.available() - revived)
    return outOfMemory("KV cache out of blocks: adding sequence ", id, " with ",
                       n, " tokens needs ", needed, " new block",
                       needed == 1 ? "" : "s", " (", matched,
                       " found in the prefix cache), but only ",
                       m.available() - revived, " of ", m.numBlocks,
                       " are available (", m.freeStack.size(), " free, ",
                       m.numCached - revived, " cached); nothing was changed");

  int32_t slot = -1;
  ATTN_RT_RETURN_IF_ERROR(m.takeSeqSlot(id, slot));
  Impl::Seq &s = m.seqs[slot];
  int32_t *blocks = m.blocksOf(slot);
  for (int64_t i = 0; i < matched; ++i) {
    m.acquire(m.scratch[i]);
    blocks[i] = m.scratch[i];
  }
  for (int64_t i = matched; i < totalBlocks; ++i)
    blocks[i] = m.allocate();
  s.numBlocks = totalBlocks;
  s.numTokens = n;
  s.numComputed = matched * m.bs;
  s.numHashed = matched;
  s.chainHash = chainHash;
  s.chainRegId = chainReg;
  int64_t fromToken = matched * m.bs;
  m.storeTokens(slot, fromToken, tokens + fromToken, n - fromToken);
  if (m.opt.enablePrefixCaching) {
    m.stats.prefixQueryTokens += n;
    m.stats.prefixHitTokens += matched * m.bs;
  }
  return matched * m.bs;
}

Status BlockManager::appendTokens(SeqId id, const int32_t *tokens, int64_t n) {
  Impl &m = *impl_;
  int32_t slot = m.slotOf(id);
  if (slot < 0)
    return m.unknownSequence(id);
  ATTN_RT_RETURN_IF_ERROR(m.checkTokens(tokens, n));
  if (n == 0)
    return Status::ok();
  Impl::Seq &s = m.seqs[slot];
  int64_t newTotal = s.numTokens + n;
  int64_t totalBlocks = ceilDiv(newTotal, m.bs);
  if (totalBlocks > m.maxBlocksPerSeq)
    return m.tooLong(id, newTotal);
  int32_t *blocks = m.blocksOf(slot);
  int64_t filled = s.numTokens % m.bs;
  bool cow = filled != 0 && m.refCount[blocks[s.numBlocks - 1]] > 1;
  int64_t needed = totalBlocks - s.numBlocks + (cow ? 1 : 0);
  if (needed > m.available())
    return m.outOfBlocks(id, "appending to", n, needed);

  if (cow) {
    int32_t src = blocks[s.numBlocks - 1];
    int32_t dst = m.allocate();
    std::memcpy(m.tokensOf(dst), m.tokensOf(src), sizeof(int32_t) * filled);
    m.pin(src);
    m.pin(dst);
    m.pending.push_back({src, dst, static_cast<int32_t>(filled)});
    m.release(src);
    blocks[s.numBlocks - 1] = dst;
    ++m.stats.cowCopies;
  }
  for (int64_t i = s.numBlocks; i < totalBlocks; ++i)
    blocks[i] = m.allocate();
  s.numBlocks = totalBlocks;
  m.storeTokens(slot, s.numTokens, tokens, n);
  s.numTokens = newTotal;
  return Status::ok();
}

Status BlockManager::freeSequence(SeqId id) {
  Impl &m = *impl_;
  int32_t slot = m.slotOf(id);
  if (slot < 0)
    return m.unknownSequence(id);
  Impl::Seq &s = m.seqs[slot];
  int32_t *blocks = m.blocksOf(slot);
  // Last block first, so that a prefix's tail is evicted before its head
  // (the head is what later lookups need first).
  for (int64_t i = s.numBlocks - 1; i >= 0; --i) {
    m.release(blocks[i]);
    blocks[i] = kNone;
  }
  s = Impl::Seq();
  m.seqMap.erase(static_cast<uint64_t>(id));
  m.freeSlots.push_back(slot);
  return Status::ok();
}

Status BlockManager::forkSequence(SeqId parent, SeqId child) {
  Impl &m = *impl_;
  int32_t pslot = m.slotOf(parent);
  if (pslot < 0)
    return notFound("cannot fork unknown sequence ", parent,
                    " (never added, or already freed)");
  if (child == parent)
    return invalidArgument("cannot fork sequence ", parent, " into itself");
  if (m.slotOf(child) >= 0)
    return invalidArgument("cannot fork sequence ", parent, " into ", child,
                           ": sequence ", child, " already exists");
  const Impl::Seq &p = m.seqs[pslot];
  if (p.numComputed != p.numTokens)
    return failedPrecondition(
        "cannot fork sequence ", parent, ": ", p.numTokens - p.numComputed,
        " of its ", p.numTokens,
        " tokens are not computed yet; fork after preparing the step that "
        "computes them");
  int32_t cslot = -1;
  ATTN_RT_RETURN_IF_ERROR(m.takeSeqSlot(child, cslot));
  Impl::Seq &c = m.seqs[cslot];
  const Impl::Seq &pp = m.seqs[pslot];
  c = pp;
  c.id = child;
  const int32_t *pb = m.blocksOf(pslot);
  int32_t *cb = m.blocksOf(cslot);
  for (int64_t i = 0; i < pp.numBlocks; ++i) {
    cb[i] = pb[i];
    ++m.refCount[pb[i]];
  }
  return Status::ok();
}

bool BlockManager::hasSequence(SeqId id) const {
  return impl_->slotOf(id) >= 0;
}

int32_t BlockManager::sequenceSlot(SeqId id) const { return impl_->slotOf(id); }

int64_t BlockManager::numSequences() const {
  return static_cast<int64_t>(impl_->seqMap.size());
}

StatusOr<SequenceView> BlockManager::sequence(SeqId id) const {
  const Impl &m = *impl_;
  int32_t slot = m.slotOf(id);
  if (slot < 0)
    return m.unknownSequence(id);
  const Impl::Seq &s = m.seqs[slot];
  SequenceView view;
  view.numTokens = s.numTokens;
  view.numComputed = s.numComputed;
  view.blocks = m.blocksOf(slot);
  view.numBlocks = s.numBlocks;
  return view;
}

int64_t BlockManager::blocksNeededToAppend(SeqId id, int64_t n) const {
  const Impl &m = *impl_;
  int32_t slot = m.slotOf(id);
  if (slot < 0 || n < 0)
    return -1;
  if (n == 0)
    return 0;
  const Impl::Seq &s = m.seqs[slot];
  bool cow = s.numTokens % m.bs != 0 &&
             m.refCount[m.blocksOf(slot)[s.numBlocks - 1]] > 1;
  return ceilDiv(s.numTokens + n, m.bs) - s.numBlocks + (cow ? 1 : 0);
}

int64_t BlockManager::cachedPrefixLength(const int32_t *tokens,
                                         int64_t n) const {
  if (n < 0 || (n > 0 && !tokens))
    return 0;
  uint64_t h, reg;
  return impl_->matchPrefix(tokens, n, h, reg) * impl_->bs;
}

//===----------------------------------------------------------------------===//
// Steps
//===----------------------------------------------------------------------===//

Status BlockManager::markComputed(SeqId id, int64_t n) {
  Impl &m = *impl_;
  int32_t slot = m.slotOf(id);
  if (slot < 0)
    return m.unknownSequence(id);
  Impl::Seq &s = m.seqs[slot];
  if (n < 0 || n > s.numTokens - s.numComputed)
    return invalidArgument("cannot mark ", n, " tokens of sequence ", id,
                           " computed: it has ", s.numTokens - s.numComputed,
                           " uncomputed tokens");
  s.numComputed += n;
  m.registerComputedBlocks(s, slot);
  return Status::ok();
}

const std::vector<BlockCopy> &BlockManager::pendingCopies() const {
  return impl_->pending;
}

void BlockManager::clearPendingCopies() {
  Impl &m = *impl_;
  for (const BlockCopy &c : m.pending) {
    m.unpin(c.src);
    m.unpin(c.dst);
  }
  m.pending.clear();
}

//===----------------------------------------------------------------------===//
// Blocks
//===----------------------------------------------------------------------===//

BlockUsage BlockManager::usage() const {
  const Impl &m = *impl_;
  BlockUsage u;
  u.total = m.numBlocks;
  u.free = static_cast<int64_t>(m.freeStack.size());
  u.cached = m.numCached;
  u.used = u.total - u.free - u.cached;
  return u;
}

const BlockManagerStats &BlockManager::stats() const { return impl_->stats; }
void BlockManager::resetStats() { impl_->stats = BlockManagerStats(); }

int32_t BlockManager::refCount(int32_t block) const {
  if (block < 0 || block >= impl_->numBlocks)
    return -1;
  return impl_->refCount[block];
}

bool BlockManager::isCached(int32_t block) const {
  if (block < 0 || block >= impl_->numBlocks)
    return false;
  return impl_->regId[block] != 0;
}

void BlockManager::resetPrefixCache() {
  Impl &m = *impl_;
  while (m.lruHead != kNone) {
    int32_t b = m.lruHead;
    m.lruUnlink(b);
    m.unregister(b);
    m.freeStack.push_back(b);
  }
  for (int32_t b = 0; b < m.numBlocks; ++b)
    m.unregister(b);
  m.prefixMap.clear();
}

Status BlockManager::checkInvariants() const {
  const Impl &m = *impl_;
  auto fail = [](auto &&...args) {
    return internalError("block manager invariant violated: ", args...);
  };
  std::vector<int64_t> owners(m.numBlocks, 0), pins(m.numBlocks, 0);
  int64_t live = 0;
  for (size_t slot = 0; slot < m.seqs.size(); ++slot) {
    const Impl::Seq &s = m.seqs[slot];
    if (!s.live)
      continue;
    ++live;
    if (m.slotOf(s.id) != static_cast<int32_t>(slot))
      return fail("sequence ", s.id, " is not found at its slot ", slot);
    if (s.numComputed < 0 || s.numComputed > s.numTokens)
      return fail("sequence ", s.id, " has ", s.numComputed, " computed of ",
                  s.numTokens, " tokens");
    if (s.numBlocks != ceilDiv(s.numTokens, m.bs))
      return fail("sequence ", s.id, " holds ", s.numBlocks, " blocks for ",
                  s.numTokens, " tokens");
    const int32_t *blocks = m.blocksOf(static_cast<int32_t>(slot));
    for (int64_t i = 0; i < s.numBlocks; ++i) {
      if (blocks[i] < 0 || blocks[i] >= m.numBlocks)
        return fail("sequence ", s.id, " lists block id ", blocks[i]);
      ++owners[blocks[i]];
    }
  }
  if (live != static_cast<int64_t>(m.seqMap.size()) ||
      live + static_cast<int64_t>(m.freeSlots.size()) != m.opt.maxLiveSeqs)
    return fail(live, " live sequences, ", m.seqMap.size(), " in the map, ",
                m.freeSlots.size(), " free slots");
  for (const BlockCopy &c : m.pending) {
    if (c.src < 0 || c.src >= m.numBlocks || c.dst < 0 ||
        c.dst >= m.numBlocks || c.numSlots <= 0 || c.numSlots >= m.bs)
      return fail("bad pending copy ", c.src, " -> ", c.dst);
    ++pins[c.src];
    ++pins[c.dst];
  }
  std::vector<uint8_t> onFree(m.numBlocks, 0);
  for (int32_t b : m.freeStack) {
    if (b < 0 || b >= m.numBlocks || onFree[b])
      return fail("free list holds ", b, " twice or out of range");
    onFree[b] = 1;
  }
  int64_t lruCount = 0;
  for (int32_t b = m.lruHead, prev = kNone; b != kNone;
       prev = b, b = m.lruNext[b]) {
    if (b < 0 || b >= m.numBlocks || !m.inLru[b] || m.lruPrev[b] != prev ||
        ++lruCount > m.numBlocks)
      return fail("LRU list is corrupt at block ", b);
  }
  if (lruCount != m.numCached)
    return fail("LRU list has ", lruCount, " blocks, counted ", m.numCached);
  int64_t registered = 0, pinnedOnly = 0;
  for (int32_t b = 0; b < m.numBlocks; ++b) {
    if (m.refCount[b] < 0 || m.pinCount[b] < 0)
      return fail("block ", b, " has negative count ", m.refCount[b], "/",
                  m.pinCount[b]);
    if (m.refCount[b] != owners[b])
      return fail("block ", b, " has reference count ", m.refCount[b], " but ",
                  owners[b], " sequences list it");
    if (m.pinCount[b] != pins[b])
      return fail("block ", b, " has pin count ", m.pinCount[b], " but ",
                  pins[b], " pending copies name it");
    bool used = m.refCount[b] > 0 || m.pinCount[b] > 0;
    if (int(used) + int(m.inLru[b]) + int(onFree[b]) != 1)
      return fail("block ", b, " is in ",
                  int(used) + int(m.inLru[b]) + int(onFree[b]),
                  " states (used ", used, ", cached ", int(m.inLru[b]),
                  ", free ", int(onFree[b]), ")");
    if (m.inLru[b] && m.regId[b] == 0)
      return fail("cached block ", b, " is not registered");
    if (onFree[b] && m.regId[b] != 0)
      return fail("free block ", b, " is still registered");
    if (m.regId[b] != 0) {
      ++registered;
      if (m.prefixMap.find(m.blockHash[b]) != b)
        return fail("registered block ", b, " is not in the hash table");
    }
    if (m.refCount[b] == 0 && m.pinCount[b] > 0)
      ++pinnedOnly;
  }
  if (pinnedOnly != m.numPinnedOnly)
    return fail(pinnedOnly, " pinned-only blocks, counted ", m.numPinnedOnly);
  if (registered != static_cast<int64_t>(m.prefixMap.size()))
    return fail(registered, " registered blocks but ", m.prefixMap.size(),
                " hash table entries");
  return Status::ok();
}

} // namespace rt
} // namespace attn
