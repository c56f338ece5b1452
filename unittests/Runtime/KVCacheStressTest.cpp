//===- KVCacheStressTest.cpp - Random operations on the paged KV cache ----===//
//
// Part of the attn project, the runtime unit tests.
//
//===----------------------------------------------------------------------===//
//
// Tens of thousands of random operations (add with shared prompts, append,
// fork, free, steps with chunked prefill and padding, prefix-cache resets,
// and deliberate errors) on a PagedKVCache over the CPU device, checked
// against a simple model: each sequence's token list and computed count.
//
// The "K/V" of the token at position p is simulated by a 64-bit hash of
// the sequence's tokens [0, p], the value a real model's K/V depends on:
// every step writes it into the cache memory at the step's slots (as the
// cache-write kernel would), and after every step each computed position of
// every live sequence is read back through the sequence's block list. So a
// wrong block table, a missing or misplaced copy-on-write, a write into a
// shared block, a wrong prefix-cache hit or a block evicted while in use all
// show up as a wrong value. The block manager's invariants (reference counts
// equal the block lists' owners, used + cached + free == total, ...) are
// checked throughout, and freeing everything must return the pool to full.
//
//===----------------------------------------------------------------------===//

#include "TestUtil.h"

#include "attn/Runtime/KVCache.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>
#include <random>
#include <vector>

namespace attn {
namespace rt {
namespace {

uint64_t mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

struct ModelSeq {
  std::vector<int32_t> tokens;
  /// prefix[p]: the simulated K/V of position p.
  std::vector<uint64_t> prefix;
  int64_t computed = 0;

  void push(int32_t token) {
    uint64_t parent = prefix.empty() ? 0x1234567ull : prefix.back();
    tokens.push_back(token);
    prefix.push_back(mix(
        parent ^ (0x9e3779b97f4a7c15ull * static_cast<uint64_t>(token + 1))));
  }
};

struct Counts {
  int64_t ops = 0, adds = 0, appends = 0, frees = 0, forks = 0, steps = 0;
  int64_t stepTokens = 0, outOfBlocks = 0, expectedErrors = 0;
  int64_t prefixHitTokens = 0, cowCopies = 0, resets = 0, verifiedReads = 0;
};

class KVCacheStress {
public:
  static constexpr int64_t kBlocks = 64;
  static constexpr int64_t kBlockSize = 4;
  static constexpr int64_t kMaxLive = 16;
  static constexpr int64_t kMaxBlocksPerSeq = 24;
  static constexpr int64_t kMaxStepSeqs = 8;
  static constexpr int64_t kMaxStepTokens = 96;

  explicit KVCacheStress(uint64_t seed) : rng(seed) {}

  void run(int64_t numOps) {
    device = test::openCPU(1);
    ASSERT_NE(device, nullptr);
    KVCacheConfig c;
    c.numLayers = 1;
    c.numBlocks = kBlocks;
    c.blockSize = kBlockSize;
    c.numKvHeads = 1;
    c.headSize = 2; // 8 bytes per slot in K: one uint64 "K/V"
    c.dtype = DType::F32;
    c.maxNumSeqs = kMaxStepSeqs;
    c.maxNumBatchedTokens = kMaxStepTokens;
    c.maxBlocksPerSeq = kMaxBlocksPerSeq;
    c.maxLiveSeqs = kMaxLive;
    auto created = PagedKVCache::create(*device, c);
    ASSERT_OK(created);
    cache = std::move(*created);
    // A few shared prompts, so that prefixes repeat across sequences.
    for (int i = 0; i < 4; ++i) {
      std::vector<int32_t> p;
      for (int j = 0; j < 32; ++j)
        p.push_back(static_cast<int32_t>(uniform(0, 40)));
      prompts.push_back(p);
    }

    for (int64_t op = 0; op < numOps && !::testing::Test::HasFailure(); ++op) {
      ++counts.ops;
      int64_t r = uniform(0, 99);
      if (r < 14)
        addSequence();
      else if (r < 40)
        appendTokens();
      else if (r < 50)
        freeSequence();
      else if (r < 58)
        forkSequence();
      else if (r < 94)
        step();
      else if (r < 95)
        resetPrefixCache();
      else
        expectedError();
      if (op % 64 == 0)
        checkState();
    }
    if (::testing::Test::HasFailure())
      return;
    checkState();
    // Free everything: the pool must be full again.
    while (!model.empty())
      freeOne(model.begin()->first);
    ASSERT_OK(cache->applyPendingCopies());
    BlockUsage u = cache->blockManager().usage();
    EXPECT_EQ(u.used, 0);
    EXPECT_EQ(u.free + u.cached, kBlocks);
    for (int32_t b = 0; b < kBlocks; ++b)
      EXPECT_EQ(cache->blockManager().refCount(b), 0);
    EXPECT_OK(cache->blockManager().checkInvariants());
    cache->blockManager().resetPrefixCache();
    EXPECT_EQ(cache->blockManager().usage().free, kBlocks);
    const BlockManagerStats &s = cache->blockManager().stats();
    counts.prefixHitTokens = s.prefixHitTokens;
    counts.cowCopies = s.cowCopies;
  }

  Counts counts;

private:
  int64_t uniform(int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  }

  SeqId pickLive() {
    auto it = model.begin();
    std::advance(it, uniform(0, static_cast<int64_t>(model.size()) - 1));
    return it->first;
  }

  /// A snapshot of everything observable, to check that failed calls
  /// changed nothing.
  struct Snapshot {
    BlockUsage usage;
    std::map<SeqId, std::vector<int64_t>> seqs;
    size_t pending = 0;
    bool operator==(const Snapshot &o) const {
      return usage.used == o.usage.used && usage.free == o.usage.free &&
             usage.cached == o.usage.cached && seqs == o.seqs &&
             pending == o.pending;
    }
  };
  Snapshot snapshot() const {
    Snapshot s;
    const BlockManager &m = cache->blockManager();
    s.usage = m.usage();
    s.pending = m.pendingCopies().size();
    for (const auto &entry : model) {
      SequenceView v = *m.sequence(entry.first);
      std::vector<int64_t> state = {v.numTokens, v.numComputed};
      state.insert(state.end(), v.blocks, v.blocks + v.numBlocks);
      s.seqs[entry.first] = state;
    }
    return s;
  }

  /// Owners of a block, counted from the sequences' block lists.
  int64_t owners(int32_t block) const {
    int64_t n = 0;
    for (const auto &entry : model) {
      SequenceView v = *cache->blockManager().sequence(entry.first);
      n += std::count(v.blocks, v.blocks + v.numBlocks, block);
    }
    return n;
  }

  void addSequence() {
    ++counts.adds;
    SeqId id = nextId++;
    ModelSeq s;
    int64_t len = uniform(0, 40);
    if (uniform(0, 9) < 6) {
      const std::vector<int32_t> &p = prompts[uniform(0, 3)];
      int64_t shared = std::min<int64_t>(len, uniform(0, 32));
      for (int64_t i = 0; i < shared; ++i)
        s.push(p[i]);
    }
    while (static_cast<int64_t>(s.tokens.size()) < len)
      s.push(static_cast<int32_t>(uniform(0, 40)));
    int64_t n = len;
    const BlockManager &m = cache->blockManager();
    int64_t expectHit = m.cachedPrefixLength(s.tokens.data(), n);
    Snapshot before = snapshot();
    auto added = cache->addSequence(id, s.tokens.data(), n);
    if (static_cast<int64_t>(model.size()) == kMaxLive) {
      ASSERT_FALSE(added.isOk());
      ASSERT_EQ(added.status().code(), StatusCode::OutOfMemory);
      ASSERT_TRUE(snapshot() == before);
      ++counts.expectedErrors;
      return;
    }
    int64_t needed = (n + kBlockSize - 1) / kBlockSize - expectHit / kBlockSize;
    if (!added.isOk()) {
      // Only legitimate when even the free blocks cannot hold it.
      ASSERT_EQ(added.status().code(), StatusCode::OutOfMemory)
          << added.status().toString();
      ASSERT_GT(needed, before.usage.free) << added.status().toString();
      ASSERT_TRUE(snapshot() == before);
      ++counts.outOfBlocks;
      return;
    }
    ASSERT_LE(needed, before.usage.available());
    ASSERT_EQ(*added, expectHit);
    ASSERT_EQ(*added % kBlockSize, 0);
    ASSERT_LE(*added, std::max<int64_t>(n - 1, 0));
    s.computed = *added;
    model[id] = s;
    // The shared prefix must hold exactly this prompt's K/V.
    verifySequence(id);
  }

  void appendTokens() {
    if (model.empty())
      return addSequence();
    ++counts.appends;
    SeqId id = pickLive();
    ModelSeq &s = model[id];
    int64_t n = uniform(0, 3) == 0 ? uniform(2, 12) : 1;
    std::vector<int32_t> toks;
    for (int64_t i = 0; i < n; ++i)
      toks.push_back(static_cast<int32_t>(uniform(0, 40)));
    const BlockManager &m = cache->blockManager();
    SequenceView v = *m.sequence(id);
    int64_t total = static_cast<int64_t>(s.tokens.size()) + n;
    int64_t blocksAfter = (total + kBlockSize - 1) / kBlockSize;
    bool cow =
        v.numTokens % kBlockSize != 0 && owners(v.blocks[v.numBlocks - 1]) > 1;
    int64_t needed = blocksAfter - v.numBlocks + (cow ? 1 : 0);
    ASSERT_EQ(m.blocksNeededToAppend(id, n), needed);
    Snapshot before = snapshot();
    Status st = cache->appendTokens(id, toks);
    if (blocksAfter > kMaxBlocksPerSeq) {
      ASSERT_EQ(st.code(), StatusCode::InvalidArgument) << st.toString();
      ASSERT_TRUE(snapshot() == before);
      ++counts.expectedErrors;
      return;
    }
    if (needed > before.usage.available()) {
      ASSERT_EQ(st.code(), StatusCode::OutOfMemory) << st.toString();
      ASSERT_TRUE(snapshot() == before);
      ++counts.outOfBlocks;
      return;
    }
    ASSERT_OK(st);
    for (int32_t t : toks)
      s.push(t);
    ASSERT_EQ(m.sequence(id)->numTokens, total);
  }

  void freeOne(SeqId id) {
    ASSERT_OK(cache->freeSequence(id));
    model.erase(id);
    freed.push_back(id);
  }

  void freeSequence() {
    if (model.empty())
      return;
    ++counts.frees;
    freeOne(pickLive());
  }

  void forkSequence() {
    if (model.empty())
      return;
    ++counts.forks;
    SeqId parent = pickLive();
    SeqId child = nextId++;
    const ModelSeq &p = model[parent];
    Snapshot before = snapshot();
    Status st = cache->forkSequence(parent, child);
    if (p.computed != static_cast<int64_t>(p.tokens.size())) {
      ASSERT_EQ(st.code(), StatusCode::FailedPrecondition) << st.toString();
      ASSERT_TRUE(snapshot() == before);
      ++counts.expectedErrors;
      return;
    }
    if (static_cast<int64_t>(model.size()) == kMaxLive) {
      ASSERT_EQ(st.code(), StatusCode::OutOfMemory) << st.toString();
      ASSERT_TRUE(snapshot() == before);
      ++counts.expectedErrors;
      return;
    }
    ASSERT_OK(st);
    model[child] = model[parent];
  }

  void step() {
    if (model.empty())
      return;
    std::vector<SeqId> live;
    for (const auto &entry : model)
      live.push_back(entry.first);
    std::shuffle(live.begin(), live.end(), rng);
    int64_t numSeqs = std::min<int64_t>(uniform(1, kMaxStepSeqs),
                                        static_cast<int64_t>(live.size()));
    std::vector<StepSequence> seqs;
    std::vector<int64_t> q;
    int64_t total = 0;
    for (int64_t i = 0; i < numSeqs; ++i) {
      const ModelSeq &s = model[live[i]];
      int64_t cap = uniform(0, 4) == 0 ? uniform(0, 8) : -1;
      int64_t left = static_cast<int64_t>(s.tokens.size()) - s.computed;
      seqs.push_back({live[i], cap});
      q.push_back(cap >= 0 ? std::min(cap, left) : left);
      total += q.back();
    }
    int64_t padTo = uniform(0, 3) == 0 ? total + uniform(0, 4) : 0;
    Snapshot before = snapshot();
    int64_t stepBefore = cache->lastStep().stepIndex;
    auto prepared = cache->prepareStep(seqs, padTo);
    if (total > kMaxStepTokens || padTo > kMaxStepTokens) {
      ASSERT_FALSE(prepared.isOk());
      ASSERT_EQ(prepared.status().code(), StatusCode::InvalidArgument);
      ASSERT_TRUE(snapshot() == before);
      ASSERT_EQ(cache->lastStep().stepIndex, stepBefore);
      ++counts.expectedErrors;
      return;
    }
    ASSERT_OK(prepared);
    ++counts.steps;
    counts.stepTokens += total;
    const StepMetadata &m = *prepared;
    ASSERT_EQ(m.numSeqs, numSeqs);
    ASSERT_EQ(m.numTokens, total);
    ASSERT_EQ(m.numPaddedTokens, std::max(total, padTo));
    ASSERT_TRUE(cache->blockManager().pendingCopies().empty());
    const auto *cu = static_cast<const int32_t *>(m.cuSeqlensQ.data);
    const auto *lens = static_cast<const int32_t *>(m.seqLens.data);
    const auto *table = static_cast<const int32_t *>(m.blockTable.data);
    const auto *slots = static_cast<const int64_t *>(m.slotMapping.data);
    int64_t width = m.blockTable.shape[1];
    auto *kv = static_cast<char *>(cache->kCache(0).data);
    ASSERT_EQ(cu[0], 0);
    for (int64_t i = 0; i < numSeqs; ++i) {
      ModelSeq &s = model[seqs[i].id];
      SequenceView v = *cache->blockManager().sequence(seqs[i].id);
      ASSERT_EQ(cu[i + 1] - cu[i], q[i]);
      ASSERT_EQ(lens[i], s.computed + q[i]);
      ASSERT_GE(width, v.numBlocks);
      for (int64_t b = 0; b < v.numBlocks; ++b)
        ASSERT_EQ(table[i * width + b], v.blocks[b]);
      for (int64_t j = 0; j < q[i]; ++j) {
        int64_t pos = s.computed + j;
        int64_t slot = slots[cu[i] + j];
        int32_t block = v.blocks[pos / kBlockSize];
        ASSERT_EQ(slot, block * kBlockSize + pos % kBlockSize);
        // Written slots are owned by this sequence alone.
        ASSERT_EQ(cache->blockManager().refCount(block), 1)
            << "step writes into shared block " << block;
        std::memcpy(kv + slot * 8, &s.prefix[pos], 8); // the "cache write"
      }
      s.computed += q[i];
      ASSERT_EQ(v.numComputed, s.computed);
    }
    for (int64_t t = total; t < m.numPaddedTokens; ++t)
      ASSERT_EQ(slots[t], -1);
    for (const auto &entry : model)
      verifySequence(entry.first);
  }

  void resetPrefixCache() {
    ++counts.resets;
    cache->blockManager().resetPrefixCache();
    ASSERT_EQ(cache->blockManager().usage().cached, 0);
  }

  void expectedError() {
    ++counts.expectedErrors;
    Snapshot before = snapshot();
    int32_t tok = 1;
    switch (uniform(0, 4)) {
    case 0: { // a freed (or never added) sequence
      SeqId id = freed.empty() ? -5 : freed[uniform(0, freed.size() - 1)];
      ASSERT_EQ(cache->appendTokens(id, &tok, 1).code(), StatusCode::NotFound);
      break;
    }
    case 1:
      ASSERT_EQ(cache->freeSequence(nextId + 1000).code(),
                StatusCode::NotFound);
      break;
    case 2:
      if (!model.empty())
        ASSERT_EQ(cache->addSequence(pickLive(), &tok, 1).status().code(),
                  StatusCode::InvalidArgument);
      break;
    case 3: {
      if (model.empty())
        break;
      SeqId id = pickLive();
      ASSERT_EQ(cache->prepareStep(std::vector<SeqId>{id, id}).status().code(),
                StatusCode::InvalidArgument);
      break;
    }
    case 4:
      ASSERT_EQ(cache->forkSequence(nextId + 7, nextId + 8).code(),
                StatusCode::NotFound);
      break;
    }
    ASSERT_TRUE(snapshot() == before);
  }

  /// Every computed position of `id` holds its K/V.
  void verifySequence(SeqId id) {
    const ModelSeq &s = model[id];
    SequenceView v = *cache->blockManager().sequence(id);
    ASSERT_EQ(v.numTokens, static_cast<int64_t>(s.tokens.size()));
    ASSERT_EQ(v.numComputed, s.computed);
    const auto *kv = static_cast<const char *>(cache->kCache(0).data);
    for (int64_t p = 0; p < s.computed; ++p) {
      int64_t slot = v.blocks[p / kBlockSize] * kBlockSize + p % kBlockSize;
      uint64_t got;
      std::memcpy(&got, kv + slot * 8, 8);
      ++counts.verifiedReads;
      ASSERT_EQ(got, s.prefix[p])
          << "sequence " << id << " position " << p << " (slot " << slot << ")";
    }
  }

  void checkState() {
    ASSERT_OK(cache->blockManager().checkInvariants());
    BlockUsage u = cache->blockManager().usage();
    ASSERT_EQ(u.used + u.cached + u.free, kBlocks);
    ASSERT_EQ(cache->blockManager().numSequences(),
              static_cast<int64_t>(model.size()));
  }

  std::mt19937_64 rng;
  std::unique_ptr<Device> device;
  std::unique_ptr<PagedKVCache> cache;
  std::map<SeqId, ModelSeq> model;
  std::vector<SeqId> freed;
  std::vector<std::vector<int32_t>> prompts;
  SeqId nextId = 1;
};

TEST(KVCacheStressTest, RandomOperationsAgainstAModel) {
  constexpr int64_t kOps = 20000;
  for (uint64_t seed : {20240601ull, 7ull}) {
    KVCacheStress stress(seed);
    auto start = std::chrono::steady_clock::now();
    stress.run(kOps);
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    if (::testing::Test::HasFailure())
      return;
    const Counts &c = stress.counts;
    EXPECT_EQ(c.ops, kOps);
    // The mix must exercise every path.
    EXPECT_GT(c.steps, 1000);
    EXPECT_GT(c.forks, 100);
    EXPECT_GT(c.outOfBlocks, 10);
    EXPECT_GT(c.prefixHitTokens, 100);
    EXPECT_GT(c.cowCopies, 50);
    std::printf(
        "[ stress  ] seed %llu: %lld ops in %.3f s (%lld adds, %lld "
        "appends, %lld frees, %lld forks, %lld steps with %lld "
        "tokens, %lld out-of-blocks, %lld other expected errors, "
        "%lld prefix-hit tokens, %lld COW copies, %lld K/V reads "
        "verified)\n",
        static_cast<unsigned long long>(seed), static_cast<long long>(c.ops),
        seconds, static_cast<long long>(c.adds),
        static_cast<long long>(c.appends), static_cast<long long>(c.frees),
        static_cast<long long>(c.forks), static_cast<long long>(c.steps),
        static_cast<long long>(c.stepTokens),
        static_cast<long long>(c.outOfBlocks),
        static_cast<long long>(c.expectedErrors),
        static_cast<long long>(c.prefixHitTokens),
        static_cast<long long>(c.cowCopies),
        static_cast<long long>(c.verifiedReads));
  }
}

} // namespace
} // namespace rt
} // namespace attn
