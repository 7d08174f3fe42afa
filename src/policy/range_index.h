#pragma once
// Internal to policy: the address → list-set look-up behind ThreatIntel.
//
// The CIDRs of every list are cut, once, into disjoint ranges, each carrying the id of the
// set of lists that cover it; a range is stored as its first address (a "boundary"), so the
// look-up is "the last boundary <= address". Boundaries sit in one sorted array; a radix
// table over the top 16 bits of the key says which slice of it can hold the answer, and a
// slice of more than kLeafMax boundaries gets a nested table over the next 12 bits (so a
// crowded /16, or IPv6 space where most keys share their first bits, stays a short binary
// search). A table entry costs at most 4 bytes per boundary it splits.
//
// Key: uint32_t (IPv4) or unsigned __int128 (IPv6). Immutable after build(); find() is
// thread-safe.

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
  static constexpr uint32_t kLeafMax = 4096;

  // `leaf_max`: the most boundaries a slice holds before it gets a nested table (tests lower
  // it to exercise nesting on small inputs).
  explicit RangeIndex(uint32_t leaf_max = kLeafMax) : leaf_max_(leaf_max) {}

  // `keys` strictly increasing, keys[0] == 0; values[i] holds for [keys[i], keys[i+1]).
  void build(std::vector<Key> keys, std::vector<uint32_t> values) {
    keys_ = std::move(keys);
    values_ = std::move(values);
    nodes_.clear();
    tables_.clear();
    children_.clear();
    auto n = static_cast<uint32_t>(keys_.size());
    int stride = n > leaf_max_ ? 16 : 0;
    buildNode(0, n, kKeyBits - stride, stride);
  }

  uint32_t find(Key k) const {
    const Node* node = &nodes_[0];
    while (true) {
      auto b = static_cast<uint32_t>(k >> node->shift) & node->mask;
      const uint32_t* t = &tables_[node->table + b];
      uint32_t s = t[0], e = t[1] & kIndex;
      if (s & kNested) {
        node = &nodes_[child(*node, b)];
        continue;
      }
      // The first boundary > k in [s, e); the one before it holds (s - 1 when none of the
      // slice is <= k: the slice's predecessor covers the start of the bucket).
      uint32_t first = s, len = e - s;
      while (len > 0) {
        uint32_t half = len >> 1;
        bool le = keys_[first + half] <= k;
        first = le ? first + half + 1 : first;
        len = le ? len - half - 1 : half;
      }
      return values_[first - 1];
    }
  }

  std::size_t boundaries() const { return keys_.size(); }
  std::size_t tables() const { return nodes_.size(); }
  std::size_t bytes() const {
    return keys_.capacity() * sizeof(Key) + values_.capacity() * sizeof(uint32_t) +
           tables_.capacity() * sizeof(uint32_t) + nodes_.capacity() * sizeof(Node) +
           children_.capacity() * sizeof(Child);
  }

 private:
  static constexpr uint32_t kNested = 0x80000000u;
  static constexpr uint32_t kIndex = 0x7fffffffu;

  struct Node {
    uint32_t table;  // first entry in tables_ ((mask + 2) entries)
    uint32_t mask;   // bucket = (key >> shift) & mask
    int shift;
    uint32_t children_begin, children_end;  // in children_, sorted by bucket
  };
  struct Child {
    uint32_t bucket;
    uint32_t node;
  };

  uint32_t child(const Node& n, uint32_t b) const {
    auto first = children_.begin() + n.children_begin, last = children_.begin() + n.children_end;
    auto it =
        std::lower_bound(first, last, b, [](const Child& c, uint32_t x) { return c.bucket < x; });
    return it->node;
  }

  // Builds the node for boundaries [lo, hi), bucketing on `stride` bits above `shift`.
  uint32_t buildNode(uint32_t lo, uint32_t hi, int shift, int stride) {
    auto id = static_cast<uint32_t>(nodes_.size());
    uint32_t buckets = 1u << stride;
    Node node{static_cast<uint32_t>(tables_.size()), buckets - 1, stride == 0 ? 0 : shift, 0, 0};
    nodes_.push_back(node);
    tables_.resize(tables_.size() + buckets + 1);
    uint32_t* t = &tables_[node.table];
    uint32_t i = lo;
    for (uint32_t b = 0; b <= buckets; ++b) {
      while (i < hi && b < buckets && bucketOf(keys_[i], node) < b) ++i;
      t[b] = b == buckets ? hi : i;
    }
    std::vector<Child> mine;
    for (uint32_t b = 0; b < buckets; ++b) {
      uint32_t s = tables_[node.table + b], e = tables_[node.table + b + 1] & kIndex;
      if (e - s > leaf_max_ && node.shift > 0) {
        int sub = std::min(12, node.shift);
        uint32_t c = buildNode(s, e, node.shift - sub, sub);
        tables_[node.table + b] |= kNested;
        mine.push_back(Child{b, c});
      }
    }
    nodes_[id].children_begin = static_cast<uint32_t>(children_.size());
    children_.insert(children_.end(), mine.begin(), mine.end());
    nodes_[id].children_end = static_cast<uint32_t>(children_.size());
    return id;
  }

  static uint32_t bucketOf(Key k, const Node& n) {
    return static_cast<uint32_t>(k >> n.shift) & n.mask;
  }

  uint32_t leaf_max_;
  std::vector<Key> keys_;
  std::vector<uint32_t> values_;
  std::vector<uint32_t> tables_;
  std::vector<Node> nodes_;
  std::vector<Child> children_;
};

}  // namespace riposte::policy::detail
