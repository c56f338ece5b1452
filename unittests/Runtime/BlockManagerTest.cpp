//===- BlockManagerTest.cpp - Block accounting of the paged KV cache ------===//
//
// Part of the attn project, the runtime unit tests.
//
//===----------------------------------------------------------------------===//
//
// The BlockManager alone (no device): allocation, free, fork and
// copy-on-write, prefix reuse, LRU eviction, exhaustion and every error,
// with the invariants checked after each test.
//
//===----------------------------------------------------------------------===//

#include "TestUtil.h"

#include "attn/Runtime/BlockManager.h"

#include <numeric>
#include <vector>

namespace attn {
namespace rt {
namespace {

using test::allocationCount;
using test::countsAllocations;

std::vector<int32_t> iota(int64_t n, int32_t start = 0) {
  std::vector<int32_t> v(static_cast<size_t>(n));
  std::iota(v.begin(), v.end(), start);
  return v;
}

std::vector<int32_t> blocksOf(const BlockManager &m, SeqId id) {
  auto view = m.sequence(id);
  if (!view.isOk())
    return {};
  return std::vector<int32_t>(view->blocks, view->blocks + view->numBlocks);
}

class BlockManagerTest : public ::testing::Test {
public:
  void make(int64_t numBlocks, int64_t blockSize = 4, bool prefix = true,
            int64_t maxLiveSeqs = 16, int64_t maxBlocksPerSeq = 0) {
    BlockManagerOptions o;
    o.numBlocks = numBlocks;
    o.blockSize = blockSize;
    o.enablePrefixCaching = prefix;
    o.maxLiveSeqs = maxLiveSeqs;
    o.maxBlocksPerSeq = maxBlocksPerSeq;
    auto created = BlockManager::create(o);
    ASSERT_OK(created);
    m = std::move(*created);
  }

  /// Adds a sequence and computes its prompt (as a step would).
  int64_t addComputed(SeqId id, const std::vector<int32_t> &tokens) {
    auto added = m->addSequence(id, tokens.data(), tokens.size());
    EXPECT_OK(added);
    if (!added.isOk())
      return -1;
    auto view = m->sequence(id);
    EXPECT_OK(m->markComputed(id, view->numTokens - view->numComputed));
    return *added;
  }

  void TearDown() override {
    if (m)
      EXPECT_OK(m->checkInvariants());
  }

  std::unique_ptr<BlockManager> m;
};

TEST_F(BlockManagerTest, CreateRejectsBadOptions) {
  BlockManagerOptions o;
  o.numBlocks = 0;
  auto r = BlockManager::create(o);
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), StatusCode::InvalidArgument);
  EXPECT_EQ(r.status().message(), "num_blocks must be positive, got 0");

  o.numBlocks = 8;
  o.blockSize = 0;
  EXPECT_EQ(BlockManager::create(o).status().message(),
            "block_size must be positive, got 0");
  o.blockSize = 1 << 20;
  o.numBlocks = 1 << 12;
  EXPECT_NE(BlockManager::create(o).status().message().find(
                "exceed the kernels' int32 slot range"),
            std::string::npos);
  o.blockSize = 16;
  o.maxLiveSeqs = 0;
  EXPECT_EQ(BlockManager::create(o).status().code(),
            StatusCode::InvalidArgument);
  o.maxLiveSeqs = 4;
  o.maxBlocksPerSeq = -1;
  EXPECT_EQ(BlockManager::create(o).status().code(),
            StatusCode::InvalidArgument);
  o.maxBlocksPerSeq = 0;
  auto ok = BlockManager::create(o);
  ASSERT_OK(ok);
  EXPECT_EQ((*ok)->maxBlocksPerSeq(), 4096);
}

TEST_F(BlockManagerTest, AllocatesBlocksAsTokensArrive) {
  make(8);
  ASSERT_OK(m->addSequence(1, nullptr, 0));
  EXPECT_EQ(m->sequence(1)->numBlocks, 0);
  std::vector<int32_t> t = iota(9);
  ASSERT_OK(m->appendTokens(1, t.data(), 1));
  EXPECT_EQ(blocksOf(*m, 1), (std::vector<int32_t>{0}));
  ASSERT_OK(m->appendTokens(1, t.data() + 1, 3)); // fills block 0
  EXPECT_EQ(blocksOf(*m, 1), (std::vector<int32_t>{0}));
  ASSERT_OK(m->appendTokens(1, t.data() + 4, 5)); // 9 tokens: 3 blocks
  EXPECT_EQ(blocksOf(*m, 1), (std::vector<int32_t>{0, 1, 2}));
  SequenceView v = *m->sequence(1);
  EXPECT_EQ(v.numTokens, 9);
  EXPECT_EQ(v.numComputed, 0);
  BlockUsage u = m->usage();
  EXPECT_EQ(u.total, 8);
  EXPECT_EQ(u.used, 3);
  EXPECT_EQ(u.free, 5);
  EXPECT_EQ(u.cached, 0);
  EXPECT_EQ(m->refCount(0), 1);
  EXPECT_EQ(m->refCount(7), 0);
  EXPECT_EQ(m->refCount(8), -1);
  EXPECT_EQ(m->blocksNeededToAppend(1, 3), 0);
  EXPECT_EQ(m->blocksNeededToAppend(1, 4), 1);
  EXPECT_EQ(m->blocksNeededToAppend(99, 4), -1);
  ASSERT_OK(m->appendTokens(1, t.data(), 0)); // no-op
  EXPECT_EQ(m->sequence(1)->numTokens, 9);
}

TEST_F(BlockManagerTest, AddSequenceWithPrompt) {
  make(8);
  std::vector<int32_t> t = iota(10);
  auto added = m->addSequence(3, t.data(), 10);
  ASSERT_OK(added);
  EXPECT_EQ(*added, 0);
  EXPECT_EQ(blocksOf(*m, 3), (std::vector<int32_t>{0, 1, 2}));
  EXPECT_TRUE(m->hasSequence(3));
  EXPECT_FALSE(m->hasSequence(4));
  EXPECT_EQ(m->numSequences(), 1);
  EXPECT_GE(m->sequenceSlot(3), 0);
  EXPECT_EQ(m->sequenceSlot(4), -1);
}

TEST_F(BlockManagerTest, FreeReturnsEveryBlock) {
  make(8, 4, /*prefix=*/false);
  std::vector<int32_t> t = iota(30);
  ASSERT_OK(m->addSequence(1, t.data(), 30)); // 8 blocks: all of them
  EXPECT_EQ(m->usage().free, 0);
  ASSERT_OK(m->markComputed(1, 30));
  ASSERT_OK(m->freeSequence(1));
  BlockUsage u = m->usage();
  EXPECT_EQ(u.free, 8);
  EXPECT_EQ(u.used, 0);
  EXPECT_EQ(u.cached, 0);
  EXPECT_EQ(m->numSequences(), 0);
}

TEST_F(BlockManagerTest, UnknownAndFreedSequences) {
  make(8);
  int32_t tok = 5;
  Status s = m->appendTokens(42, &tok, 1);
  EXPECT_EQ(s.code(), StatusCode::NotFound);
  EXPECT_EQ(s.message(), "unknown sequence 42 (never added, or already freed)");
  ASSERT_OK(m->addSequence(1, &tok, 1));
  ASSERT_OK(m->freeSequence(1));
  EXPECT_EQ(m->appendTokens(1, &tok, 1).code(), StatusCode::NotFound);
  EXPECT_EQ(m->freeSequence(1).code(), StatusCode::NotFound); // double free
  EXPECT_EQ(m->markComputed(1, 0).code(), StatusCode::NotFound);
  EXPECT_EQ(m->sequence(1).status().code(), StatusCode::NotFound);
  EXPECT_EQ(m->forkSequence(1, 2).code(), StatusCode::NotFound);
  EXPECT_EQ(m->usage().free, 8);
}

TEST_F(BlockManagerTest, BadArguments) {
  make(8);
  int32_t tok = 1;
  ASSERT_OK(m->addSequence(1, &tok, 1));
  Status dup = m->addSequence(1, &tok, 1).status();
  EXPECT_EQ(dup.code(), StatusCode::InvalidArgument);
  EXPECT_EQ(dup.message(), "sequence 1 already exists");
  EXPECT_EQ(m->addSequence(2, nullptr, 3).status().message(),
            "tokens is null but the token count is 3");
  EXPECT_EQ(m->addSequence(2, &tok, -1).status().message(),
            "token count -1 is negative");
  EXPECT_EQ(m->appendTokens(1, nullptr, 2).code(), StatusCode::InvalidArgument);
  EXPECT_EQ(m->appendTokens(1, &tok, -2).code(), StatusCode::InvalidArgument);
  Status mark = m->markComputed(1, 2);
  EXPECT_EQ(mark.code(), StatusCode::InvalidArgument);
  EXPECT_EQ(mark.message(), "cannot mark 2 tokens of sequence 1 computed: it "
                            "has 1 uncomputed tokens");
  EXPECT_EQ(m->markComputed(1, -1).code(), StatusCode::InvalidArgument);
  EXPECT_EQ(m->numSequences(), 1);
  EXPECT_EQ(m->sequence(1)->numTokens, 1);
}

TEST_F(BlockManagerTest, SequenceLongerThanItsBlockTable) {
  make(16, 4, true, 4, /*maxBlocksPerSeq=*/3);
  std::vector<int32_t> t = iota(13);
  Status s = m->addSequence(1, t.data(), 13).status();
  EXPECT_EQ(s.code(), StatusCode::InvalidArgument);
  EXPECT_EQ(s.message(), "sequence 1 would hold 13 tokens, more than "
                         "max_blocks_per_seq (3) * block_size (4) = 12");
  EXPECT_FALSE(m->hasSequence(1));
  ASSERT_OK(m->addSequence(1, t.data(), 12));
  EXPECT_EQ(m->appendTokens(1, t.data(), 1).code(),
            StatusCode::InvalidArgument);
  EXPECT_EQ(m->sequence(1)->numTokens, 12);
  EXPECT_EQ(m->usage().used, 3);
}

TEST_F(BlockManagerTest, OutOfBlocksChangesNothing) {
  make(4, 4, true, 16, /*maxBlocksPerSeq=*/8);
  std::vector<int32_t> t = iota(20);
  ASSERT_OK(m->addSequence(1, t.data(), 10)); // 3 blocks
  ASSERT_OK(m->addSequence(2, t.data(), 0));
  // Sequence 1 holds 10 tokens; 7 more need 2 blocks, 1 is left.
  Status s = m->appendTokens(1, t.data(), 7);
  EXPECT_EQ(s.code(), StatusCode::OutOfMemory);
  EXPECT_EQ(s.message(),
            "KV cache out of blocks: appending to sequence 1 needs 2 more "
            "blocks for 7 tokens, but only 1 of 4 are available (1 free, 0 "
            "cached); nothing was changed");
  EXPECT_EQ(m->sequence(1)->numTokens, 10);
  EXPECT_EQ(blocksOf(*m, 1), (std::vector<int32_t>{0, 1, 2}));
  EXPECT_EQ(m->usage().free, 1);
  // Appending what fits still works.
  ASSERT_OK(m->appendTokens(1, t.data(), 6));
  EXPECT_EQ(m->usage().free, 0);
  EXPECT_EQ(m->appendTokens(2, t.data(), 1).code(), StatusCode::OutOfMemory);
  EXPECT_EQ(m->sequence(2)->numTokens, 0);

  // addSequence: the sequence is not created.
  Status add = m->addSequence(3, t.data(), 5).status();
  EXPECT_EQ(add.code(), StatusCode::OutOfMemory);
  EXPECT_NE(add.message().find("adding sequence 3 with 5 tokens needs 2 new "
                               "blocks"),
            std::string::npos);
  EXPECT_FALSE(m->hasSequence(3));
  EXPECT_OK(m->checkInvariants());

  ASSERT_OK(m->freeSequence(1));
  ASSERT_OK(m->freeSequence(2));
  EXPECT_EQ(m->usage().free + m->usage().cached, 4);
}

TEST_F(BlockManagerTest, TooManySequences) {
  make(8, 4, true, /*maxLiveSeqs=*/2);
  ASSERT_OK(m->addSequence(1, nullptr, 0));
  ASSERT_OK(m->addSequence(2, nullptr, 0));
  Status s = m->addSequence(3, nullptr, 0).status();
  EXPECT_EQ(s.code(), StatusCode::OutOfMemory);
  EXPECT_EQ(s.message(), "too many sequences: all 2 sequence slots "
                         "(max_live_seqs) are in use; free a sequence first");
  EXPECT_EQ(m->forkSequence(1, 3).code(), StatusCode::OutOfMemory);
  ASSERT_OK(m->freeSequence(2));
  ASSERT_OK(m->addSequence(3, nullptr, 0));
  // Negative and huge ids are fine.
  ASSERT_OK(m->freeSequence(3));
  ASSERT_OK(m->addSequence(-7, nullptr, 0));
  EXPECT_TRUE(m->hasSequence(-7));
}

TEST_F(BlockManagerTest, ForkSharesBlocks) {
  make(8);
  std::vector<int32_t> t = iota(8);
  addComputed(1, t); // 2 full blocks
  ASSERT_OK(m->forkSequence(1, 2));
  EXPECT_EQ(blocksOf(*m, 2), blocksOf(*m, 1));
  EXPECT_EQ(m->refCount(0), 2);
  EXPECT_EQ(m->refCount(1), 2);
  EXPECT_EQ(m->sequence(2)->numComputed, 8);
  // The last block is full: appending needs a new block, no copy.
  ASSERT_OK(m->appendTokens(2, t.data(), 1));
  EXPECT_TRUE(m->pendingCopies().empty());
  EXPECT_EQ(blocksOf(*m, 2), (std::vector<int32_t>{0, 1, 2}));
  ASSERT_OK(m->freeSequence(1));
  EXPECT_EQ(m->refCount(0), 1);
  ASSERT_OK(m->freeSequence(2));
  EXPECT_EQ(m->usage().used, 0);
}

TEST_F(BlockManagerTest, ForkErrors) {
  make(8);
  std::vector<int32_t> t = iota(6);
  ASSERT_OK(m->addSequence(1, t.data(), 6));
  Status s = m->forkSequence(1, 2);
  EXPECT_EQ(s.code(), StatusCode::FailedPrecondition);
  EXPECT_EQ(s.message(),
            "cannot fork sequence 1: 6 of its 6 tokens are not computed yet; "
            "fork after preparing the step that computes them");
  EXPECT_FALSE(m->hasSequence(2));
  ASSERT_OK(m->markComputed(1, 6));
  EXPECT_EQ(m->forkSequence(1, 1).code(), StatusCode::InvalidArgument);
  ASSERT_OK(m->addSequence(3, nullptr, 0));
  Status exists = m->forkSequence(1, 3);
  EXPECT_EQ(exists.code(), StatusCode::InvalidArgument);
  EXPECT_EQ(exists.message(),
            "cannot fork sequence 1 into 3: sequence 3 already exists");
  Status unknown = m->forkSequence(9, 4);
  EXPECT_EQ(unknown.code(), StatusCode::NotFound);
  EXPECT_EQ(unknown.message(),
            "cannot fork unknown sequence 9 (never added, or already freed)");
  EXPECT_EQ(m->refCount(0), 1);
}

TEST_F(BlockManagerTest, CopyOnWriteOfThePartialLastBlock) {
  make(8);
  std::vector<int32_t> t = iota(6);
  addComputed(1, t); // blocks 0 (full), 1 (2 of 4 slots)
  ASSERT_OK(m->forkSequence(1, 2));
  EXPECT_EQ(m->blocksNeededToAppend(2, 1), 1); // the copy
  int32_t tok = 100;
  ASSERT_OK(m->appendTokens(2, &tok, 1));
  ASSERT_EQ(m->pendingCopies().size(), 1u);
  BlockCopy c = m->pendingCopies()[0];
  EXPECT_EQ(c.src, 1);
  EXPECT_EQ(c.dst, 2);
  EXPECT_EQ(c.numSlots, 2);
  EXPECT_EQ(blocksOf(*m, 2), (std::vector<int32_t>{0, 2}));
  EXPECT_EQ(blocksOf(*m, 1), (std::vector<int32_t>{0, 1}));
  EXPECT_EQ(m->refCount(0), 2);
  EXPECT_EQ(m->refCount(1), 1);
  EXPECT_EQ(m->refCount(2), 1);
  EXPECT_EQ(m->stats().cowCopies, 1);
  // The parent owns block 1 alone now: it writes in place.
  ASSERT_OK(m->appendTokens(1, &tok, 1));
  EXPECT_EQ(m->pendingCopies().size(), 1u);
  EXPECT_EQ(blocksOf(*m, 1), (std::vector<int32_t>{0, 1}));
  m->clearPendingCopies();
  EXPECT_TRUE(m->pendingCopies().empty());
  EXPECT_EQ(m->usage().used, 3);
}

TEST_F(BlockManagerTest, PendingCopiesPinTheirBlocks) {
  make(4);
  std::vector<int32_t> t = iota(6);
  addComputed(1, t);
  ASSERT_OK(m->forkSequence(1, 2));
  int32_t tok = 7;
  ASSERT_OK(m->appendTokens(2, &tok, 1)); // copy 1 -> 2
  ASSERT_OK(m->freeSequence(1));
  ASSERT_OK(m->freeSequence(2));
  // Block 0 is cached (full, computed); blocks 1 and 2 wait for the copy.
  BlockUsage u = m->usage();
  EXPECT_EQ(u.used, 2);
  EXPECT_EQ(u.cached, 1);
  EXPECT_EQ(u.free, 1);
  EXPECT_OK(m->checkInvariants());
  m->clearPendingCopies();
  u = m->usage();
  EXPECT_EQ(u.used, 0);
  EXPECT_EQ(u.available(), 4);
}

TEST_F(BlockManagerTest, CopyOnWriteNeedsABlock) {
  make(2);
  std::vector<int32_t> t = iota(6);
  addComputed(1, t); // both blocks
  ASSERT_OK(m->forkSequence(1, 2));
  int32_t tok = 1;
  Status s = m->appendTokens(2, &tok, 1);
  EXPECT_EQ(s.code(), StatusCode::OutOfMemory);
  EXPECT_NE(s.message().find("needs 1 more block for 1 token"),
            std::string::npos);
  EXPECT_TRUE(m->pendingCopies().empty());
  EXPECT_EQ(blocksOf(*m, 2), (std::vector<int32_t>{0, 1}));
  EXPECT_EQ(m->refCount(1), 2);
  EXPECT_EQ(m->sequence(2)->numTokens, 6);
}

TEST_F(BlockManagerTest, PrefixIsReused) {
  make(16);
  std::vector<int32_t> prompt = iota(10); // 2 full blocks + 2
  EXPECT_EQ(addComputed(1, prompt), 0);
  EXPECT_TRUE(m->isCached(0));
  EXPECT_TRUE(m->isCached(1));
  EXPECT_FALSE(m->isCached(2)); // partial
  EXPECT_EQ(m->cachedPrefixLength(prompt.data(), 10), 8);

  auto hit = m->addSequence(2, prompt.data(), 10);
  ASSERT_OK(hit);
  EXPECT_EQ(*hit, 8);
  EXPECT_EQ(blocksOf(*m, 2), (std::vector<int32_t>{0, 1, 3}));
  EXPECT_EQ(m->refCount(0), 2);
  EXPECT_EQ(m->sequence(2)->numComputed, 8);
  EXPECT_EQ(m->stats().prefixQueryTokens, 20);
  EXPECT_EQ(m->stats().prefixHitTokens, 8);

  // A prompt sharing only the first block.
  std::vector<int32_t> other = prompt;
  other[5] = 99;
  EXPECT_EQ(m->cachedPrefixLength(other.data(), 10), 4);
  // The same block content after a different first block is not a hit.
  std::vector<int32_t> shifted = prompt;
  shifted[0] = 77;
  EXPECT_EQ(m->cachedPrefixLength(shifted.data(), 10), 0);
}

TEST_F(BlockManagerTest, AtLeastOneTokenIsLeftToCompute) {
  make(16);
  std::vector<int32_t> prompt = iota(8); // exactly 2 blocks
  addComputed(1, prompt);
  auto hit = m->addSequence(2, prompt.data(), 8);
  ASSERT_OK(hit);
  EXPECT_EQ(*hit, 4); // the last block is recomputed
  EXPECT_EQ(m->sequence(2)->numComputed, 4);
  EXPECT_EQ(blocksOf(*m, 2), (std::vector<int32_t>{0, 2}));
  ASSERT_OK(m->markComputed(2, 4));
  // Block 2 holds the same content as block 1, which stays the cached one.
  EXPECT_FALSE(m->isCached(2));
  EXPECT_EQ(m->addSequence(3, prompt.data(), 1).value(), 0);
}

TEST_F(BlockManagerTest, FreedPrefixIsRevived) {
  make(8);
  std::vector<int32_t> prompt = iota(10);
  addComputed(1, prompt);
  ASSERT_OK(m->freeSequence(1));
  BlockUsage u = m->usage();
  EXPECT_EQ(u.cached, 2);
  EXPECT_EQ(u.free, 6);
  EXPECT_EQ(u.used, 0);
  auto hit = m->addSequence(2, prompt.data(), 10);
  ASSERT_OK(hit);
  EXPECT_EQ(*hit, 8);
  u = m->usage();
  EXPECT_EQ(u.cached, 0);
  EXPECT_EQ(u.used, 3);
}

TEST_F(BlockManagerTest, DuplicateComputationChainsOnTheCachedCopy) {
  make(16);
  std::vector<int32_t> prompt = iota(9);
  // Both added before either is computed: no hit, two copies of the prefix.
  ASSERT_OK(m->addSequence(1, prompt.data(), 9));
  ASSERT_OK(m->addSequence(2, prompt.data(), 9));
  ASSERT_OK(m->markComputed(1, 9));
  ASSERT_OK(m->markComputed(2, 9));
  EXPECT_EQ(m->stats().blocksRegistered, 2);
  // Sequence 2 grows; its next full block chains on to sequence 1's blocks.
  std::vector<int32_t> more = iota(7, 9);
  ASSERT_OK(m->appendTokens(2, more.data(), 7)); // 16 tokens
  ASSERT_OK(m->markComputed(2, 7));
  EXPECT_EQ(m->stats().blocksRegistered, 4);
  std::vector<int32_t> longPrompt = iota(17);
  EXPECT_EQ(m->cachedPrefixLength(longPrompt.data(), 17), 16);
  auto hit = m->addSequence(3, longPrompt.data(), 17);
  ASSERT_OK(hit);
  std::vector<int32_t> b1 = blocksOf(*m, 1), b2 = blocksOf(*m, 2),
                       b3 = blocksOf(*m, 3);
  EXPECT_EQ(b3[0], b1[0]);
  EXPECT_EQ(b3[1], b1[1]);
  EXPECT_EQ(b3[2], b2[2]);
  EXPECT_EQ(b3[3], b2[3]);
}

TEST_F(BlockManagerTest, EvictsLeastRecentlyUsedCachedBlocks) {
  make(6);
  std::vector<int32_t> a = iota(13, 0);   // 3 full blocks + 1
  std::vector<int32_t> b = iota(9, 1000); // 2 full blocks + 1
  addComputed(1, a);                      // blocks 0-3
  ASSERT_OK(m->freeSequence(1));          // 0-2 cached, 3 free
  addComputed(2, b);                      // blocks 3, 4, 5
  ASSERT_OK(m->freeSequence(2));          // 3, 4 cached, 5 free
  BlockUsage u = m->usage();
  EXPECT_EQ(u.cached, 5);
  EXPECT_EQ(u.free, 1);
  EXPECT_EQ(m->cachedPrefixLength(a.data(), 13), 12);
  EXPECT_EQ(m->cachedPrefixLength(b.data(), 9), 8);

  // 3 blocks: the free one, then the LRU cached ones: sequence 1's blocks,
  // tail first.
  std::vector<int32_t> c = iota(12, 5000);
  ASSERT_OK(m->addSequence(3, c.data(), 12));
  EXPECT_EQ(blocksOf(*m, 3), (std::vector<int32_t>{5, 2, 1}));
  EXPECT_EQ(m->stats().evictions, 2);
  EXPECT_EQ(m->cachedPrefixLength(a.data(), 13), 4);
  EXPECT_EQ(m->cachedPrefixLength(b.data(), 9), 8);
  EXPECT_FALSE(m->isCached(2));

  // A lookup refreshes: using b makes a's block 0 the next victim.
  ASSERT_OK(m->addSequence(4, b.data(), 9)); // revives 3, 4; takes block 0
  EXPECT_EQ(blocksOf(*m, 4), (std::vector<int32_t>{3, 4, 0}));
  EXPECT_EQ(m->cachedPrefixLength(a.data(), 13), 0);
  EXPECT_EQ(m->usage().available(), 0);
}

TEST_F(BlockManagerTest, RevivedBlocksAreNotCountedTwice) {
  make(4);
  std::vector<int32_t> p = iota(9);
  addComputed(1, p); // blocks 0, 1 full, 2 partial
  ASSERT_OK(m->freeSequence(1));
  ASSERT_OK(m->addSequence(9, nullptr, 0));
  std::vector<int32_t> filler = iota(4, 500);
  ASSERT_OK(m->appendTokens(9, filler.data(), 4)); // takes a free block
  // 1 free + 2 cached. The prompt reuses both cached blocks and needs 2
  // more: only 1 is left once the cached ones are revived.
  std::vector<int32_t> longer = iota(13);
  Status s = m->addSequence(2, longer.data(), 13).status();
  EXPECT_EQ(s.code(), StatusCode::OutOfMemory);
  EXPECT_NE(s.message().find("needs 2 new blocks (2 found in the prefix "
                             "cache), but only 1 of 4 are available"),
            std::string::npos);
  EXPECT_FALSE(m->hasSequence(2));
  EXPECT_EQ(m->usage().cached, 2);
  auto fits = m->addSequence(2, longer.data(), 12);
  ASSERT_OK(fits);
  EXPECT_EQ(*fits, 8);
}

TEST_F(BlockManagerTest, ResetPrefixCache) {
  make(8);
  std::vector<int32_t> p = iota(9);
  addComputed(1, p);
  addComputed(2, iota(9, 100));
  ASSERT_OK(m->freeSequence(2));
  EXPECT_EQ(m->usage().cached, 2);
  m->resetPrefixCache();
  EXPECT_EQ(m->usage().cached, 0);
  EXPECT_EQ(m->usage().free, 5);
  EXPECT_FALSE(m->isCached(0)); // in use but forgotten
  EXPECT_EQ(m->cachedPrefixLength(p.data(), 9), 0);
  ASSERT_OK(m->freeSequence(1));
  EXPECT_EQ(m->usage().free, 8);
}

TEST_F(BlockManagerTest, PrefixCachingOff) {
  make(8, 4, /*prefix=*/false);
  std::vector<int32_t> p = iota(9);
  addComputed(1, p);
  EXPECT_FALSE(m->isCached(0));
  EXPECT_EQ(m->addSequence(2, p.data(), 9).value(), 0);
  ASSERT_OK(m->freeSequence(1));
  ASSERT_OK(m->freeSequence(2));
  EXPECT_EQ(m->usage().free, 8);
  EXPECT_EQ(m->stats().prefixQueryTokens, 0);
}

TEST_F(BlockManagerTest, FreeingEverythingRestoresThePool) {
  make(32);
  std::vector<int32_t> p = iota(23);
  for (SeqId id = 0; id < 4; ++id)
    addComputed(id, p);
  ASSERT_OK(m->forkSequence(0, 10));
  ASSERT_OK(m->forkSequence(1, 11));
  int32_t tok = 3;
  ASSERT_OK(m->appendTokens(10, &tok, 1));
  ASSERT_OK(m->appendTokens(11, &tok, 1));
  for (SeqId id : {0, 1, 2, 3, 10, 11})
    ASSERT_OK(m->freeSequence(id));
  m->clearPendingCopies();
  BlockUsage u = m->usage();
  EXPECT_EQ(u.used, 0);
  EXPECT_EQ(u.available(), 32);
  for (int32_t b = 0; b < 32; ++b)
    EXPECT_EQ(m->refCount(b), 0);
}

TEST_F(BlockManagerTest, SequenceManagementDoesNotAllocate) {
  if (!countsAllocations())
    GTEST_SKIP() << "allocation counting is unavailable in this build";
  make(64, 4, true, 8, 16);
  std::vector<int32_t> p = iota(30);
  uint64_t before = allocationCount();
  for (int round = 0; round < 3; ++round) {
    auto hit = m->addSequence(1, p.data(), 30);
    ASSERT_TRUE(hit.isOk());
    EXPECT_EQ(*hit, round == 0 ? 0 : 28);
    ASSERT_TRUE(m->markComputed(1, 30 - *hit).isOk());
    ASSERT_TRUE(m->forkSequence(1, 2).isOk());
    ASSERT_TRUE(m->appendTokens(2, p.data(), 5).isOk());
    ASSERT_TRUE(m->addSequence(3, p.data(), 30).isOk());
    ASSERT_TRUE(m->markComputed(3, 1).isOk());
    m->clearPendingCopies();
    ASSERT_TRUE(m->freeSequence(1).isOk());
    ASSERT_TRUE(m->freeSequence(2).isOk());
    ASSERT_TRUE(m->freeSequence(3).isOk());
  }
  EXPECT_EQ(allocationCount(), before);
}

} // namespace
} // namespace rt
} // namespace attn
