//===- FixedHashMap.h - An open-addressing map of fixed capacity -*- C++
//-*-===//
//
// Part of the attn project, the runtime library (libattnrt).
//
//===----------------------------------------------------------------------===//
//
// Private to the runtime. A uint64 -> int32 hash map with linear probing and
// backward-shift deletion whose table is sized once, at construction, for a
// maximum number of entries: inserting and erasing never allocate. The block
// manager uses it for sequence ids and for prefix-cache keys, so that
// sequence management stays allocation-free after the cache is created.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_RUNTIME_LIB_COMMON_FIXEDHASHMAP_H
#define ATTN_RUNTIME_LIB_COMMON_FIXEDHASHMAP_H

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace attn {
namespace rt {
namespace detail {

/// The splitmix64 finalizer: a fast, well-mixing 64-bit permutation.
inline uint64_t mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

class FixedHashMap {
public:
  FixedHashMap() = default;
  /// A map that holds up to `maxEntries` entries (load factor <= 1/2).
  explicit FixedHashMap(size_t maxEntries) {
    size_t capacity = 16;
    while (capacity < 2 * maxEntries)
      capacity *= 2;
    keys_.assign(capacity, 0);
    values_.assign(capacity, 0);
    used_.assign(capacity, 0);
    mask_ = capacity - 1;
    maxEntries_ = maxEntries;
  }

  size_t size() const { return size_; }
  size_t maxEntries() const { return maxEntries_; }
  bool full() const { return size_ >= maxEntries_; }

  /// The value of `key`, or -1.
  int32_t find(uint64_t key) const {
    if (used_.empty())
      return -1;
    for (size_t i = home(key);; i = (i + 1) & mask_) {
      if (!used_[i])
        return -1;
      if (keys_[i] == key)
        return values_[i];
    }
  }

  /// Inserts or overwrites; false when the map is full and `key` is new.
  bool insert(uint64_t key, int32_t value) {
    if (used_.empty())
      return false;
    size_t i = home(key);
    for (; used_[i]; i = (i + 1) & mask_) {
      if (keys_[i] == key) {
        values_[i] = value;
        return true;
      }
    }
    if (full())
      return false;
    used_[i] = 1;
    keys_[i] = key;
    values_[i] = value;
    ++size_;
    return true;
  }

  /// Removes `key`; false when absent.
  bool erase(uint64_t key) {
    if (used_.empty())
      return false;
    size_t i = home(key);
    for (;; i = (i + 1) & mask_) {
      if (!used_[i])
        return false;
      if (keys_[i] == key)
        break;
    }
    // Backward-shift deletion: move later entries of the probe run into
    // the hole when their home position allows it.
    size_t hole = i;
    for (size_t j = (hole + 1) & mask_; used_[j]; j = (j + 1) & mask_) {
      size_t h = home(keys_[j]);
      // Entry j may move to `hole` when `hole` lies cyclically in [h, j).
      bool movable = hole <= j ? (h <= hole || h > j) : (h <= hole && h > j);
      if (movable) {
        keys_[hole] = keys_[j];
        values_[hole] = values_[j];
        hole = j;
      }
    }
    used_[hole] = 0;
    --size_;
    return true;
  }

  void clear() {
    std::fill(used_.begin(), used_.end(), 0);
    size_ = 0;
  }

  /// Calls fn(key, value) for every entry.
  template <typename Fn> void forEach(Fn &&fn) const {
    for (size_t i = 0; i < used_.size(); ++i)
      if (used_[i])
        fn(keys_[i], values_[i]);
  }

private:
  size_t home(uint64_t key) const {
    return static_cast<size_t>(mix64(key)) & mask_;
  }

  std::vector<uint64_t> keys_;
  std::vector<int32_t> values_;
  std::vector<uint8_t> used_;
  size_t mask_ = 0;
  size_t size_ = 0;
  size_t maxEntries_ = 0;
};

} // namespace detail
} // namespace rt
} // namespace attn

#endif // ATTN_RUNTIME_LIB_COMMON_FIXEDHASHMAP_H
