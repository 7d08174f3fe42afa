#include "pattern/range_index.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace riposte::pattern {

void RangeIndex::build(std::vector<NumRange> ranges) {
  nodes_.clear();
  by_lo_.clear();
  by_hi_.clear();
  buildNode(ranges);
}

int32_t RangeIndex::buildNode(std::vector<NumRange>& rs) {
  // Center: a point inside the range with the median lower bound, so that at least that
  // range stays at this node and both sides shrink (no unbounded recursion). A range that
  // holds no float64 at all, like (1, nextafter(1)), can never match and is dropped.
  const double inf = std::numeric_limits<double>::infinity();
  auto lo_key = [&](const NumRange& r) { return r.has_lo ? r.lo : -inf; };
  auto hi_key = [&](const NumRange& r) { return r.has_hi ? r.hi : inf; };
  auto pointIn = [&](const NumRange& r, double& c) {
    double cands[4] = {0, 0, 0, 0};
    int n = 0;
    if (r.has_lo && r.has_hi) cands[n++] = r.lo + (r.hi - r.lo) / 2;
    if (r.has_lo) cands[n++] = r.lo_incl ? r.lo : std::nextafter(r.lo, inf);
    if (r.has_hi) cands[n++] = r.hi_incl ? r.hi : std::nextafter(r.hi, -inf);
    if (!r.has_lo && !r.has_hi) cands[n++] = 0;
    for (int i = 0; i < n; ++i) {
      if (r.contains(cands[i])) {
        c = cands[i];
        return true;
      }
    }
    return false;
  };
  double c = 0;
  while (true) {
    if (rs.empty()) return -1;
    std::size_t mid = rs.size() / 2;
    std::nth_element(rs.begin(), rs.begin() + static_cast<long>(mid), rs.end(),
                     [&](const NumRange& x, const NumRange& y) { return lo_key(x) < lo_key(y); });
    if (pointIn(rs[mid], c)) break;
    rs.erase(rs.begin() + static_cast<long>(mid));
  }
  std::vector<NumRange> here, left, right;
  for (const NumRange& r : rs) {
    if (r.contains(c)) {
      here.push_back(r);
    } else if (r.has_hi && (r.hi < c || (r.hi == c && !r.hi_incl))) {
      left.push_back(r);
    } else {
      right.push_back(r);
    }
  }
  auto idx = static_cast<int32_t>(nodes_.size());
  nodes_.push_back(Node{c, 0, 0, 0, 0, -1, -1});
  std::vector<NumRange> a = here, b = here;
  std::sort(a.begin(), a.end(), [&](const NumRange& x, const NumRange& y) {
    if (lo_key(x) != lo_key(y)) return lo_key(x) < lo_key(y);
    return x.lo_incl && !y.lo_incl;  // inclusive bounds admit more: first
  });
  std::sort(b.begin(), b.end(), [&](const NumRange& x, const NumRange& y) {
    if (hi_key(x) != hi_key(y)) return hi_key(x) > hi_key(y);
    return x.hi_incl && !y.hi_incl;
  });
  nodes_[idx].by_lo_begin = static_cast<uint32_t>(by_lo_.size());
  by_lo_.insert(by_lo_.end(), a.begin(), a.end());
  nodes_[idx].by_lo_end = static_cast<uint32_t>(by_lo_.size());
  nodes_[idx].by_hi_begin = static_cast<uint32_t>(by_hi_.size());
  by_hi_.insert(by_hi_.end(), b.begin(), b.end());
  nodes_[idx].by_hi_end = static_cast<uint32_t>(by_hi_.size());
  if (!left.empty()) {
    int32_t l = buildNode(left);
    nodes_[idx].left = l;
  }
  if (!right.empty()) {
    int32_t r = buildNode(right);
    nodes_[idx].right = r;
  }
  return idx;
}

}  // namespace riposte::pattern
