#pragma once
// Internal to policy: the address → list-set look-up behind ThreatIntel.
//
// The CIDRs of every list are cut, once, into disjoint ranges, each carrying the id of the
// set of lists that cover it; a range is stored as its first address (a "boundary"), so the
// look-up is "the last boundary <= address". Boundaries sit in one sorted array. A radix
// table says which slice of it can hold the answer: it indexes the bits that follow the
// leading bits all boundaries share (none for IPv4 lists spread over the Internet; "001"
// for IPv6 in 2000::/3) and is sized for about kLeafTarget boundaries a bucket (2^20
// buckets at most: 4 MB for 16M boundaries). A bucket of more than leaf_max boundaries
// (a crowded /16, IPv6 hosts packed into a few allocations) gets a nested table over the
// next bits, sized the same way, so a slice stays one or two cache lines.
//
// What a slice is searched on: IPv4, the low 16 bits (the top 16 are the bucket's), 2 bytes
// a boundary; IPv6, the 32 bits after the top table's (4 bytes a boundary), then whole keys
// only among boundaries equal in those 32 (hosts of one /64, say). Values (list-set ids) are read
// from a parallel array, prefetched while the slice is searched.
//
// Key: uint32_t (IPv4) or U128 (IPv6). Immutable after build(); find() is thread-safe.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace riposte::policy::detail {

__extension__ typedef unsigned __int128 U128;

template <class Key>
class RangeIndex {
 public:
  static constexpr int kKeyBits = static_cast<int>(sizeof(Key) * 8);
  static constexpr bool kV4 = sizeof(Key) == 4;
  static constexpr uint32_t kLeafMax = 64;
  static constexpr uint32_t kLeafTarget = 16;

  // `leaf_max`: the most boundaries a slice holds before it gets a nested table (tests vary
  // it to exercise nesting on small inputs).
  explicit RangeIndex(uint32_t leaf_max = kLeafMax) : leaf_max_(std::max<uint32_t>(leaf_max, 1)) {}

  // `keys` strictly increasing, keys[0] == 0; values[i] holds for [keys[i], keys[i+1]).
  void build(const std::vector<Key>& keys, std::vector<uint32_t> values) {
    values_ = std::move(values);
    tables_.clear();
    tables_count_ = 0;
    auto n = static_cast<uint32_t>(keys.size());
    // The top table: over the bits after those every boundary but the first (0) shares, wide
    // enough for about kLeafTarget boundaries a bucket (2^20 buckets at most).
    int stride = 0, common = 0;
    if (n > leaf_max_) {
      stride = 1;
      while (stride < 20 && (n >> stride) > kLeafTarget) ++stride;
      common = std::min(leadingZeros(keys[1] ^ keys[n - 1]), kKeyBits - stride);
    }
    region_bits_ = common;
    region_ = common > 0 ? static_cast<Key>(keys[1] >> (kKeyBits - common)) : Key{0};
    buildNode(keys, 0, n, kKeyBits - common - stride, stride);
    if constexpr (kV4) {
      full_.clear();
      low_.clear();
      // Below the top table's bits a slice's keys share their first 16 bits with any key
      // that lands in it (key 0, in bucket 0, is below all of them either way).
      low16_ = stride > 0 && common + stride >= 16;
      if (low16_) {
        for (Key k : keys) low_.push_back(static_cast<uint16_t>(k));
      } else {
        full_ = keys;
      }
    } else {
      // A slice's keys share the bits above the top table's; the 32 after those tell most
      // of them apart (ties, such as hosts of one /64, compare the whole key).
      mid_shift_ = kKeyBits - (common + stride) - 32;
      mid_.clear();
      for (Key k : keys) mid_.push_back(static_cast<uint32_t>(k >> mid_shift_));
      full_ = keys;
    }
    tables_.shrink_to_fit();
  }

  uint32_t find(Key k) const {
    if (region_bits_ > 0) {
      // Outside the region every boundary but 0 is in: below it 0 holds, above it the last.
      auto top = static_cast<Key>(k >> (kKeyBits - region_bits_));
      if (top != region_) return top < region_ ? values_.front() : values_.back();
    }
    uint32_t off = 0;  // the root table's header
    while (true) {
      uint32_t h = tables_[off];
      auto b = static_cast<uint32_t>(k >> (h & 0xff)) & ((1u << (h >> 8)) - 1);
      uint32_t s = tables_[off + 1 + b];
      if (s & kNested) {
        off = s & kIndex;
        continue;
      }
      uint32_t e = startOf(tables_[off + 2 + b]);
      // The slice's predecessor (s - 1) covers the start of the bucket: when no boundary of
      // the slice is <= k, it holds. (s == 0 only for the bucket holding key 0, and 0 <= k.)
      __builtin_prefetch(values_.data() + s);
      if constexpr (!kV4) {
        // Hits on narrow ranges (hosts, /64s) tie on the 32 bits and compare whole keys:
        // fetch those alongside.
        __builtin_prefetch(full_.data() + s);
        __builtin_prefetch(full_.data() + s + 4);
        __builtin_prefetch(full_.data() + s + 8);
        __builtin_prefetch(full_.data() + s + 12);
      }
      return values_[search(s, e, k) - 1];
    }
  }

  std::size_t boundaries() const { return values_.size(); }
  std::size_t tables() const { return tables_count_; }
  std::size_t bytes() const {
    std::size_t keys = 0;
    if constexpr (kV4) {
      keys = full_.capacity() * sizeof(Key) + low_.capacity() * sizeof(uint16_t);
    } else {
      keys = full_.capacity() * sizeof(Key) + mid_.capacity() * sizeof(uint32_t);
    }
    return keys + values_.capacity() * sizeof(uint32_t) + tables_.capacity() * sizeof(uint32_t);
  }

 private:
  static constexpr uint32_t kNested = 0x80000000u;
  static constexpr uint32_t kIndex = 0x7fffffffu;

  // A table is a header (shift | stride << 8) and 2^stride + 1 entries: entry b is the first
  // boundary of bucket b, or kNested | the offset of the bucket's own table (whose first
  // entry, followed down, is that first boundary).
  uint32_t startOf(uint32_t entry) const {
    while (entry & kNested) entry = tables_[(entry & kIndex) + 1];
    return entry;
  }

  // The first index in [first, first + len) whose element is > x (branch-free).
  template <class T>
  static uint32_t upperBound(const T* a, uint32_t first, uint32_t len, T x) {
    while (len > 0) {
      uint32_t half = len >> 1;
      bool le = a[first + half] <= x;
      first = le ? first + half + 1 : first;
      len = le ? len - half - 1 : half;
    }
    return first;
  }

  // The first index in [first, first + len) whose element is >= x.
  template <class T>
  static uint32_t lowerBound(const T* a, uint32_t first, uint32_t len, T x) {
    while (len > 0) {
      uint32_t half = len >> 1;
      bool lt = a[first + half] < x;
      first = lt ? first + half + 1 : first;
      len = lt ? len - half - 1 : half;
    }
    return first;
  }

  // The first boundary of [s, e) greater than k (e if none).
  uint32_t search(uint32_t s, uint32_t e, Key k) const {
    if constexpr (kV4) {
      if (!low16_) return upperBound(full_.data(), s, e - s, k);
      return upperBound(low_.data(), s, e - s, static_cast<uint16_t>(k));
    } else {
      auto kmid = static_cast<uint32_t>(k >> mid_shift_);
      uint32_t u = upperBound(mid_.data(), s, e - s, kmid);
      if (u > s && mid_[u - 1] == kmid) {
        // Boundaries whose 32 bits equal k's end at u: compare them whole.
        uint32_t r = lowerBound(mid_.data(), s, u - s, kmid);
        u = upperBound(full_.data(), r, u - r, k);
      }
      return u;
    }
  }

  // Builds the table for boundaries [lo, hi), bucketing on `stride` bits above `shift`;
  // returns its offset.
  uint32_t buildNode(const std::vector<Key>& keys, uint32_t lo, uint32_t hi, int shift,
                     int stride) {
    ++tables_count_;
    auto off = static_cast<uint32_t>(tables_.size());
    uint32_t buckets = 1u << stride;
    int sh = stride == 0 ? 0 : shift;
    uint32_t mask = buckets - 1;
    tables_.push_back(static_cast<uint32_t>(sh) | (static_cast<uint32_t>(stride) << 8));
    tables_.resize(tables_.size() + buckets + 1);
    uint32_t i = lo;
    for (uint32_t b = 0; b <= buckets; ++b) {
      while (i < hi && b < buckets && (static_cast<uint32_t>(keys[i] >> sh) & mask) < b) ++i;
      tables_[off + 1 + b] = b == buckets ? hi : i;
    }
    for (uint32_t b = 0; b < buckets; ++b) {
      uint32_t s = tables_[off + 1 + b], e = startOf(tables_[off + 2 + b]);
      if (e - s > leaf_max_ && sh > 0) {
        // Enough bits for about kLeafTarget boundaries a slice, at most 12.
        int sub = 1;
        while (sub < 12 && ((e - s) >> sub) > kLeafTarget) ++sub;
        sub = std::min(sub, sh);
        uint32_t child = buildNode(keys, s, e, sh - sub, sub);
        tables_[off + 1 + b] = kNested | child;
      }
    }
    return off;
  }

  static int leadingZeros(Key x) {
    if constexpr (kV4) {
      return x == 0 ? 32 : __builtin_clz(x);
    } else {
      auto hi = static_cast<uint64_t>(x >> 64), lo = static_cast<uint64_t>(x);
      if (hi) return __builtin_clzll(hi);
      return lo ? 64 + __builtin_clzll(lo) : 128;
    }
  }

  uint32_t leaf_max_;
  int region_bits_ = 0;        // leading bits every boundary but 0 shares
  Key region_ = 0;             // their value
  bool low16_ = false;         // IPv4: slices are searched on the low 16 bits
  std::vector<Key> full_;      // IPv4, !low16_: the keys
  std::vector<uint16_t> low_;  // IPv4: the keys' low 16 bits
  int mid_shift_ = 0;          // IPv6: the bits a slice is searched on start here
  std::vector<uint32_t> mid_;  // IPv6: those 32 bits of each key
  std::vector<uint32_t> values_;
  std::vector<uint32_t> tables_;
  std::size_t tables_count_ = 0;
};

}  // namespace riposte::policy::detail
