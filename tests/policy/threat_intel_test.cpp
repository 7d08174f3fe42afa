// The look-up: lists by verdict for an address, against a brute-force reading of the lists
// (nested, overlapping, duplicated CIDRs; crowded /16s and IPv6 prefixes that force nested
// radix tables); the builder's checks; the atomic holder.
#include "policy/threat_intel.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <random>
#include <thread>

#include "policy/range_index.h"

namespace riposte::policy {

void PrintTo(const ListMatch& m, std::ostream* os) {
  *os << "{malicious:[";
  for (const auto& n : m.malicious) *os << n << " ";
  *os << "] trusted:[";
  for (const auto& n : m.trusted) *os << n << " ";
  *os << "]}";
}

namespace {

IpAddress ip(std::string_view s) {
  return *IpAddress::make(s);
}
Cidr cidr(std::string_view s) {
  return *Cidr::make(s);
}
std::vector<Cidr> cidrs(std::initializer_list<const char*> l) {
  std::vector<Cidr> out;
  for (const char* s : l) out.push_back(cidr(s));
  return out;
}

using V = std::vector<std::string>;

std::shared_ptr<const ThreatIntel> sample() {
  ThreatIntelBuilder b;
  EXPECT_TRUE(b.add("tor-exits", Verdict::kMalicious,
                    cidrs({"198.51.100.7", "198.51.100.0/28", "2001:db8:dead::/48"})));
  EXPECT_TRUE(b.add("botnet-c2", Verdict::kMalicious,
                    cidrs({"198.51.100.0/24", "203.0.113.0/24", "203.0.113.0/24"})));
  EXPECT_TRUE(b.add("corp-egress", Verdict::kTrusted,
                    cidrs({"203.0.113.128/25", "2001:db8::/32", "0.0.0.0/32"})));
  EXPECT_TRUE(b.add("everything", Verdict::kTrusted, cidrs({"255.255.255.255"})));
  return b.build();
}

TEST(ThreatIntel, ListsByVerdictSortedAndUnique) {
  auto t = sample();
  EXPECT_EQ(t->lookup(ip("198.51.100.7")).malicious, (V{"botnet-c2", "tor-exits"}));
  EXPECT_EQ(t->lookup(ip("198.51.100.7")).trusted, V{});
  EXPECT_EQ(t->lookup(ip("198.51.100.15")).malicious, (V{"botnet-c2", "tor-exits"}));
  EXPECT_EQ(t->lookup(ip("198.51.100.16")).malicious, (V{"botnet-c2"}));
  EXPECT_EQ(t->lookup(ip("198.51.100.255")).malicious, (V{"botnet-c2"}));
  EXPECT_TRUE(t->lookup(ip("198.51.101.0")).empty());
  EXPECT_TRUE(t->lookup(ip("198.51.99.255")).empty());
  const ListMatch& both = t->lookup(ip("203.0.113.200"));
  EXPECT_EQ(both.malicious, (V{"botnet-c2"}));
  EXPECT_EQ(both.trusted, (V{"corp-egress"}));
  EXPECT_EQ(t->lookup(ip("203.0.113.127")).trusted, V{});
  EXPECT_EQ(t->lookup(ip("0.0.0.0")).trusted, (V{"corp-egress"}));
  EXPECT_TRUE(t->lookup(ip("0.0.0.1")).empty());
  EXPECT_EQ(t->lookup(ip("255.255.255.255")).trusted, (V{"everything"}));
  EXPECT_TRUE(t->lookup(ip("255.255.255.254")).empty());
  // IPv6, and the mapped form of an IPv4 address.
  EXPECT_EQ(t->lookup(ip("2001:db8:dead:beef::1")).malicious, (V{"tor-exits"}));
  EXPECT_EQ(t->lookup(ip("2001:db8:dead:beef::1")).trusted, (V{"corp-egress"}));
  EXPECT_EQ(t->lookup(ip("2001:db8:ffff::1")).trusted, (V{"corp-egress"}));
  EXPECT_TRUE(t->lookup(ip("2001:db9::")).empty());
  EXPECT_TRUE(t->lookup(ip("::")).empty());
  EXPECT_EQ(t->lookup(ip("::ffff:198.51.100.7")).malicious, (V{"botnet-c2", "tor-exits"}));
}

TEST(ThreatIntel, TrustedOverlappingReadsBothWaysOfNesting) {
  auto t = sample();
  // Wider than a trusted range: 203.0.0.0/16 holds corp-egress's 203.0.113.128/25.
  EXPECT_EQ(t->trustedOverlapping(cidr("203.0.0.0/16")), V{"corp-egress"});
  EXPECT_EQ(t->trustedOverlapping(cidr("0.0.0.0/0")), (V{"corp-egress", "everything"}));
  // Within one: a host and a /28 inside the /25.
  EXPECT_EQ(t->trustedOverlapping(cidr("203.0.113.200")), V{"corp-egress"});
  EXPECT_EQ(t->trustedOverlapping(cidr("203.0.113.192/28")), V{"corp-egress"});
  // Beside it: the /25 below, only malicious lists hold it.
  EXPECT_EQ(t->trustedOverlapping(cidr("203.0.113.0/25")), V{});
  EXPECT_EQ(t->trustedOverlapping(cidr("203.0.113.127")), V{});
  EXPECT_EQ(t->trustedOverlapping(cidr("198.51.100.0/24")), V{});
  // The edges of the address space, and IPv6.
  EXPECT_EQ(t->trustedOverlapping(cidr("255.255.255.255")), V{"everything"});
  EXPECT_EQ(t->trustedOverlapping(cidr("255.255.255.254/31")), V{"everything"});
  EXPECT_EQ(t->trustedOverlapping(cidr("0.0.0.0/32")), V{"corp-egress"});
  EXPECT_EQ(t->trustedOverlapping(cidr("0.0.0.1/32")), V{});
  EXPECT_EQ(t->trustedOverlapping(cidr("2001::/16")), V{"corp-egress"});
  EXPECT_EQ(t->trustedOverlapping(cidr("2001:db8:1::/48")), V{"corp-egress"});
  EXPECT_EQ(t->trustedOverlapping(cidr("::/0")), V{"corp-egress"});
  EXPECT_EQ(t->trustedOverlapping(cidr("2001:db9::/32")), V{});
  EXPECT_EQ(ThreatIntel::empty()->trustedOverlapping(cidr("0.0.0.0/0")), V{});
}

TEST(ThreatIntel, TrustedOverlappingAgreesWithBruteForce) {
  std::mt19937 rng(7);
  std::vector<std::vector<Cidr>> lists(4);
  auto random4 = [&](int min_prefix) {
    const int prefix =
        min_prefix + static_cast<int>(rng() % static_cast<unsigned>(33 - min_prefix));
    const uint32_t bits = (0x0a000000u | (rng() & 0x00ffffffu));
    const uint32_t mask = prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix);
    return *Cidr::make(IpAddress::v4(bits & mask), prefix);
  };
  for (auto& l : lists)
    for (int i = 0; i < 40; ++i) l.push_back(random4(12));
  ThreatIntelBuilder b;
  const char* names[] = {"a-trusted", "b-malicious", "c-trusted", "d-trusted"};
  const Verdict verdicts[] = {Verdict::kTrusted, Verdict::kMalicious, Verdict::kTrusted,
                              Verdict::kTrusted};
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(b.add(names[i], verdicts[i], lists[i]));
  auto t = b.build();
  for (int q = 0; q < 3000; ++q) {
    const Cidr c = random4(8);
    V want;
    for (int i = 0; i < 4; ++i) {
      if (verdicts[i] != Verdict::kTrusted) continue;
      for (const auto& e : lists[i]) {
        if (e.overlaps(c)) {
          want.push_back(names[i]);
          break;
        }
      }
    }
    ASSERT_EQ(t->trustedOverlapping(c), want) << c.str();
  }
}

TEST(ThreatIntel, FamiliesDoNotLeak) {
  ThreatIntelBuilder b;
  ASSERT_TRUE(b.add("all-v6", Verdict::kMalicious, cidrs({"::/0"})));
  ASSERT_TRUE(b.add("all-v4", Verdict::kTrusted, cidrs({"0.0.0.0/0"})));
  auto t = b.build();
  EXPECT_EQ(t->lookup(ip("192.0.2.1")).trusted, (V{"all-v4"}));
  EXPECT_EQ(t->lookup(ip("192.0.2.1")).malicious, V{});
  EXPECT_EQ(t->lookup(ip("::ffff:192.0.2.1")).malicious, V{});
  EXPECT_EQ(t->lookup(ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")).malicious, (V{"all-v6"}));
  EXPECT_EQ(t->lookup(ip("::")).malicious, (V{"all-v6"}));
  EXPECT_EQ(t->lookup(ip("::")).trusted, V{});
}

TEST(ThreatIntel, EmptyIndex) {
  auto t = ThreatIntel::empty();
  EXPECT_TRUE(t->lookup(ip("198.51.100.7")).empty());
  EXPECT_TRUE(t->lookup(ip("2001:db8::1")).empty());
  EXPECT_EQ(t->stats().lists, 0u);
  EXPECT_EQ(t->stats().list_sets, 1u);
  EXPECT_TRUE(ThreatIntelBuilder().build()->lookup(ip("10.0.0.1")).empty());
}

TEST(ThreatIntelBuilder, ChecksNames) {
  ThreatIntelBuilder b;
  EXPECT_TRUE(b.add("a.B_c-9", Verdict::kMalicious, {}));
  EXPECT_EQ(b.add("a.B_c-9", Verdict::kTrusted, {}).error().code, "DuplicateList");
  for (std::string bad : {std::string(""), std::string("has space"), std::string("quote\""),
                          std::string("é"), std::string(129, 'x'), std::string("a/b")}) {
    auto r = b.add(bad, Verdict::kMalicious, {});
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, "InvalidListName");
  }
  EXPECT_TRUE(b.add(std::string(128, 'x'), Verdict::kMalicious, {}));
  EXPECT_EQ(b.size(), 2u);
  auto t = b.build();
  ASSERT_EQ(t->lists().size(), 2u);
  EXPECT_EQ(t->lists()[0].name, "a.B_c-9");  // sorted by name
  EXPECT_EQ(*verdictFromName("trusted"), Verdict::kTrusted);
  EXPECT_EQ(verdictFromName("bad").error().code, "InvalidVerdict");
  EXPECT_EQ(verdictName(Verdict::kMalicious), "malicious");
}

// Brute force: every list whose CIDRs contain the address.
ListMatch bruteForce(const std::vector<std::tuple<std::string, Verdict, std::vector<Cidr>>>& lists,
                     const IpAddress& a) {
  ListMatch m;
  for (const auto& [name, verdict, entries] : lists) {
    for (const auto& c : entries) {
      if (c.contains(a)) {
        (verdict == Verdict::kMalicious ? m.malicious : m.trusted).push_back(name);
        break;
      }
    }
  }
  std::sort(m.malicious.begin(), m.malicious.end());
  std::sort(m.trusted.begin(), m.trusted.end());
  return m;
}

// A random CIDR of `family` inside `within` (prefix drawn between within's and the maximum).
Cidr randomCidr(std::mt19937_64& rng, const Cidr& within, int min_prefix) {
  int bits = within.network().bits();
  int lowest = std::max(within.prefix(), std::min(min_prefix, bits));
  int prefix = lowest + static_cast<int>(rng() % static_cast<uint64_t>(bits - lowest + 1));
  if (rng() % 2) prefix = bits;  // many hosts, as real lists have
  uint64_t hi = rng(), lo = rng();
  IpAddress base = within.network();
  IpAddress last = within.last();
  // Keep within's network bits, randomise the rest, then clear the host bits of `prefix`.
  uint64_t mhi = base.hi() ^ last.hi(), mlo = base.lo() ^ last.lo();  // within's host bits
  hi = base.hi() | (hi & mhi);
  lo = base.lo() | (lo & mlo);
  if (bits == 32) {
    uint32_t v = static_cast<uint32_t>(lo);
    if (prefix < 32) v &= ~(0xffffffffu >> prefix);
    return *Cidr::make(IpAddress::v4(v), prefix);
  }
  if (prefix < 64) {
    hi &= prefix == 0 ? 0 : ~(~0ULL >> prefix);
    lo = 0;
  } else if (prefix < 128) {
    lo &= prefix == 64 ? 0 : ~(~0ULL >> (prefix - 64));
  }
  auto c = Cidr::make(IpAddress::v6(hi, lo), prefix);
  EXPECT_TRUE(c) << c.error().message;
  return *c;
}

IpAddress randomIn(std::mt19937_64& rng, const Cidr& c) {
  IpAddress f = c.first(), l = c.last();
  uint64_t mhi = f.hi() ^ l.hi(), mlo = f.lo() ^ l.lo();
  if (f.isV4()) return IpAddress::v4(static_cast<uint32_t>(f.lo() | (rng() & mlo)));
  return IpAddress::v6(f.hi() | (rng() & mhi), f.lo() | (rng() & mlo));
}

// Returns the index's statistics (to show which shapes of the index were exercised).
ThreatIntel::Stats differential(uint64_t seed, const std::vector<Cidr>& regions, int per_list,
                                int lists_n, int min_prefix = 0) {
  std::mt19937_64 rng(seed);
  std::vector<std::tuple<std::string, Verdict, std::vector<Cidr>>> lists;
  ThreatIntelBuilder b;
  for (int i = 0; i < lists_n; ++i) {
    std::vector<Cidr> entries;
    for (int k = 0; k < per_list; ++k) {
      entries.push_back(randomCidr(rng, regions[rng() % regions.size()], min_prefix));
      if (rng() % 50 == 0) entries.push_back(entries.back());  // duplicates
    }
    std::string name = "list-" + std::to_string(i);
    Verdict v = i % 3 == 2 ? Verdict::kTrusted : Verdict::kMalicious;
    lists.emplace_back(name, v, entries);
    EXPECT_TRUE(b.add(name, v, entries));
  }
  auto t = b.build();
  // Probe the edges of every CIDR (and just outside) and random addresses in the regions.
  std::vector<IpAddress> probes;
  for (const auto& [name, v, entries] : lists) {
    for (std::size_t k = 0; k < entries.size(); k += 11) {
      const Cidr& c = entries[k];
      probes.push_back(c.first());
      probes.push_back(c.last());
      IpAddress f = c.first(), l = c.last();
      if (f.isV4()) {
        if (f.v4Bits() > 0) probes.push_back(IpAddress::v4(f.v4Bits() - 1));
        if (l.v4Bits() < 0xffffffffu) probes.push_back(IpAddress::v4(l.v4Bits() + 1));
      } else {
        if (f.lo() > 0) probes.push_back(IpAddress::v6(f.hi(), f.lo() - 1));
        if (l.lo() < ~0ULL) probes.push_back(IpAddress::v6(l.hi(), l.lo() + 1));
      }
    }
  }
  for (int k = 0; k < 5000; ++k) probes.push_back(randomIn(rng, regions[rng() % regions.size()]));
  int wrong = 0;
  for (const auto& a : probes) {
    if (t->lookup(a) == bruteForce(lists, a)) continue;
    EXPECT_EQ(t->lookup(a), bruteForce(lists, a)) << a.str();
    if (++wrong == 5) break;
  }
  return t->stats();
}

TEST(ThreatIntel, AgreesWithBruteForceOnSparseIpv4) {
  auto s = differential(1, {cidr("0.0.0.0/0")}, 800, 5);
  EXPECT_EQ(s.radix_tables, 2u);  // one table per family: no slice over 64 boundaries
}

TEST(ThreatIntel, AgreesWithBruteForceOnACrowdedSlash16) {
  // Over 4,096 boundaries in 10.20.0.0/16 and 10.21.0.0/16: nested tables.
  auto s = differential(2, {cidr("10.20.0.0/16"), cidr("10.21.0.0/16"), cidr("10.0.0.0/8")}, 3000,
                        4, 27);
  EXPECT_GE(s.radix_tables, 4u);  // the top table, an IPv6 leaf, and nested /16s
}

TEST(ThreatIntel, AgreesWithBruteForceOnIpv6SharingTheirFirstBits) {
  // Every key in 2001:db8::/32: the top 16 bits are all 0x2001, so the top bucket nests.
  auto s = differential(3, {cidr("2001:db8::/32"), cidr("2001:db8:aaaa::/48"), cidr("2600::/12")},
                        3000, 4, 60);
  EXPECT_GE(s.radix_tables, 3u);  // 0x2001 nests
}

TEST(ThreatIntel, AgreesWithBruteForceOnMixedFamilies) {
  differential(4,
               {cidr("192.0.2.0/24"), cidr("::/0"), cidr("203.0.113.0/24"), cidr("fe80::/10"),
                cidr("2001:db8:1:2::/64")},
               500, 7);
}

// The radix tables directly, with small slices so that every level nests: find() is the
// last boundary <= key, for keys spread out, crowded into one bucket, or at the extremes.
template <class Key>
void rangeIndexAgrees(uint32_t leaf_max, int spread_bits, uint64_t seed, std::size_t min_tables) {
  std::mt19937_64 rng(seed);
  constexpr int kBits = static_cast<int>(sizeof(Key) * 8);
  auto random = [&]() -> Key {
    Key k = static_cast<Key>(rng());
    if constexpr (kBits > 64) k = (static_cast<Key>(rng()) << 64) | static_cast<Key>(rng());
    if (spread_bits < kBits) {
      // Share the top bits: everything lands in one top bucket, then one nested bucket...
      Key prefix = static_cast<Key>(0x2001) << (kBits - 16);
      k = prefix | (k >> (kBits - spread_bits));
    }
    return k;
  };
  for (int n : {1, 2, 5, 50, 3000}) {
    std::vector<Key> keys{0};
    for (int i = 0; i < n; ++i) keys.push_back(random());
    keys.push_back(static_cast<Key>(~Key{0}));
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    std::vector<uint32_t> values;
    for (std::size_t i = 0; i < keys.size(); ++i)
      values.push_back(static_cast<uint32_t>(rng() % 1000));
    detail::RangeIndex<Key> idx(leaf_max);
    idx.build(keys, values);
    auto want = [&](Key k) {
      auto it = std::upper_bound(keys.begin(), keys.end(), k);
      return values[static_cast<std::size_t>(it - keys.begin()) - 1];
    };
    std::vector<Key> probes{0, 1, static_cast<Key>(~Key{0}), static_cast<Key>(~Key{0} - 1)};
    for (Key k : keys) {
      probes.push_back(k);
      probes.push_back(static_cast<Key>(k - 1));
      probes.push_back(static_cast<Key>(k + 1));
    }
    for (int i = 0; i < 2000; ++i) probes.push_back(random());
    for (Key k : probes) ASSERT_EQ(idx.find(k), want(k)) << n;
    if (n == 3000) {
      EXPECT_GE(idx.tables(), min_tables);
    }
  }
}

TEST(RangeIndex, AgreesWithUpperBound) {
  rangeIndexAgrees<uint32_t>(4, 32, 1, 1);
  rangeIndexAgrees<uint32_t>(4, 14, 2, 2);  // crowded: every key in one /18
  rangeIndexAgrees<uint32_t>(8, 9, 3, 3);   // 512 keys: nested down to the last 4 bits
  rangeIndexAgrees<detail::U128>(4, 128, 4, 1);
  rangeIndexAgrees<detail::U128>(4, 20, 5, 3);  // nested level after level
  rangeIndexAgrees<detail::U128>(8, 40, 6, 3);
  rangeIndexAgrees<uint32_t>(detail::RangeIndex<uint32_t>::kLeafMax, 32, 7, 1);
}

TEST(ThreatIntel, StatsCountTheIndex) {
  ThreatIntelBuilder b;
  ASSERT_TRUE(
      b.add("a", Verdict::kMalicious, cidrs({"10.0.0.0/8", "10.1.0.0/16", "2001:db8::/32"})));
  ASSERT_TRUE(b.add("b", Verdict::kTrusted, cidrs({"10.1.0.0/16"})));
  auto s = b.build()->stats();
  EXPECT_EQ(s.lists, 2u);
  EXPECT_EQ(s.cidrs, 4u);
  // v4: 0, 10.0.0.0 {a}, 10.1.0.0 {a,b}, 10.2.0.0 {a}, 11.0.0.0 {}
  EXPECT_EQ(s.boundaries_v4, 5u);
  EXPECT_EQ(s.boundaries_v6, 3u);  // 0, 2001:db8::, 2001:db9::
  EXPECT_EQ(s.list_sets, 3u);      // {}, {a}, {a,b}
  EXPECT_GT(s.index_bytes, 0u);
}

TEST(ThreatIntelHolder, SwapsWhileReadersRead) {
  ThreatIntelBuilder one, two;
  ASSERT_TRUE(one.add("one", Verdict::kMalicious, cidrs({"198.51.100.0/24"})));
  ASSERT_TRUE(two.add("two", Verdict::kMalicious, cidrs({"198.51.100.0/24"})));
  auto a = one.build(), b = two.build();
  ThreatIntelHolder holder;
  EXPECT_TRUE(holder.get()->lookup(ip("198.51.100.1")).empty());
  holder.replace(a);
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0}, reads{0};
  std::vector<std::thread> readers;
  for (int i = 0; i < 3; ++i) {
    readers.emplace_back([&] {
      while (!stop) {
        auto t = holder.get();
        const auto& m = t->lookup(ip("198.51.100.1")).malicious;
        if (m.size() != 1 || (m[0] != "one" && m[0] != "two")) ++bad;
        ++reads;
      }
    });
  }
  for (int i = 0; i < 2000; ++i) holder.replace(i % 2 ? a : b);
  while (reads < 1000) std::this_thread::yield();
  stop = true;
  for (auto& r : readers) r.join();
  EXPECT_EQ(bad, 0);
}

}  // namespace
}  // namespace riposte::policy
