#pragma once
// A static centered interval tree over numeric ranges: stabbing queries in
// O(log n + matches), so many numeric rules on one field cost what their matches cost.

#include <cstdint>
#include <vector>

namespace riposte::pattern {

struct NumRange {
  bool has_lo = false, lo_incl = false, has_hi = false, hi_incl = false;
  double lo = 0, hi = 0;
  uint32_t id = 0;  // the caller's payload (a clause id)

  bool contains(double x) const {
    if (has_lo && (lo_incl ? x < lo : x <= lo)) return false;
    if (has_hi && (hi_incl ? x > hi : x >= hi)) return false;
    return true;
  }
};

class RangeIndex {
 public:
  void build(std::vector<NumRange> ranges);
  bool empty() const { return nodes_.empty(); }
  // Calls f(id) for every range that contains x.
  template <class F>
  void stab(double x, F&& f) const {
    int32_t n = nodes_.empty() ? -1 : 0;
    while (n >= 0) {
      const Node& node = nodes_[n];
      if (x < node.center) {
        for (uint32_t i = node.by_lo_begin; i < node.by_lo_end; ++i) {
          const NumRange& r = by_lo_[i];
          if (r.has_lo && (r.lo_incl ? x < r.lo : x <= r.lo)) break;
          f(r.id);
        }
        n = node.left;
      } else if (x > node.center) {
        for (uint32_t i = node.by_hi_begin; i < node.by_hi_end; ++i) {
          const NumRange& r = by_hi_[i];
          if (r.has_hi && (r.hi_incl ? x > r.hi : x >= r.hi)) break;
          f(r.id);
        }
        n = node.right;
      } else {
        for (uint32_t i = node.by_lo_begin; i < node.by_lo_end; ++i) f(by_lo_[i].id);
        return;
      }
    }
  }

 private:
  struct Node {
    double center;
    uint32_t by_lo_begin, by_lo_end, by_hi_begin, by_hi_end;
    int32_t left = -1, right = -1;
  };
  std::vector<Node> nodes_;
  std::vector<NumRange> by_lo_, by_hi_;
  int32_t buildNode(std::vector<NumRange>& rs);
};

}  // namespace riposte::pattern
