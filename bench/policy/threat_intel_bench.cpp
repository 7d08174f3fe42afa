// Threat-intelligence benchmarks (one thread). items_per_second is look-ups/s or events/s.
//   (a) Look-ups against 1,000,000 CIDRs in 4 lists of 250,000 (GuardDuty's per-list quota):
//       IPv4 with a mix of prefix lengths, IPv6 spread over 2000::/3 and IPv6 crowded into a
//       few prefixes; probes that hit the lists and uniform random ones. The index in use
//       (radix table + binary search: ThreatIntel::lookup) and, in the same run, the same
//       disjoint ranges searched by std::upper_bound on a sorted vector, by an Eytzinger-
//       ordered array, and by std::map. Counters: bytes_per_cidr (the index's structures;
//       heap_bytes_per_cidr: everything the built ThreatIntel holds), build_ms.
//   (b) Enrichment of 3-5 KB GuardDuty finding events and Security Hub (ASFF) events with the
//       1M-CIDR index, beside pattern matching of the same events (RuleSet::matchPadded, as
//       the engine matches) with 100 and 10,000 rules, and enrichment followed by matching:
//       enrich() on the text (the cursor reads it), and the ingest-time split (addresses
//       read from the DOM at ingest, remoteAddressesOf; appendThreatIntel at match time).
//   (c) Parsing a 250,000-line TXT list.

#include <benchmark/benchmark.h>
#include <malloc.h>
#if RIPOSTE_TCMALLOC
#include <gperftools/malloc_extension.h>
#endif

#include <algorithm>
#include <chrono>
#include <map>
#include <random>

#include "bench/pattern/workloads.h"
#include "core/json.h"
#include "pattern/pattern.h"
#include "policy/range_index.h"
#include "policy/threat_intel.h"
#include "sources/samples.h"

namespace riposte::policy::bench {
namespace {

using detail::U128;

std::size_t heapInUse() {
#if RIPOSTE_TCMALLOC
  std::size_t n = 0;
  MallocExtension::instance()->GetNumericProperty("generic.current_allocated_bytes", &n);
  return n;
#else
  return mallinfo2().uordblks;
#endif
}

// ------------------------------------------------------------------ workloads

constexpr std::size_t kCidrs = 1'000'000;
constexpr std::size_t kLists = 4;
constexpr std::size_t kProbes = 1 << 20;

// A public-looking IPv4 network (first octet 1-223, not 10/127) with `prefix` bits.
Cidr randomV4(std::mt19937_64& rng, int prefix) {
  uint32_t v;
  do {
    v = static_cast<uint32_t>(rng());
  } while ((v >> 24) == 0 || (v >> 24) == 10 || (v >> 24) == 127 || (v >> 24) >= 224);
  if (prefix < 32) v &= ~(0xffffffffu >> prefix);
  return *Cidr::make(IpAddress::v4(v), prefix);
}

// Threat feeds are mostly hosts, some /24s, few wider blocks.
int v4Prefix(std::mt19937_64& rng) {
  auto r = rng() % 1000;
  if (r < 700) return 32;
  if (r < 900) return 24;
  if (r < 970) return 25 + static_cast<int>(rng() % 7);
  if (r < 999) return 17 + static_cast<int>(rng() % 7);
  return 12 + static_cast<int>(rng() % 5);
}

int v6Prefix(std::mt19937_64& rng) {
  auto r = rng() % 100;
  if (r < 35) return 128;
  if (r < 65) return 64;
  if (r < 75) return 56;
  if (r < 95) return 48;
  return 32;
}

// `crowded`: most networks inside a handful of /16-/24 allocations (as real IPv6 space is
// used), else uniform over 2000::/3.
Cidr randomV6(std::mt19937_64& rng, int prefix, bool crowded) {
  uint64_t hi = rng(), lo = rng();
  if (crowded) {
    // Six allocations (a /32, /29, /24, /20, /19, /16), networks of /40 and longer in them.
    static const std::pair<uint64_t, int> kAllocs[] = {
        {0x2001067c00000000ULL, 32}, {0x2a01040000000000ULL, 29}, {0x2600100000000000ULL, 24},
        {0x2400c00000000000ULL, 20}, {0x2a0e000000000000ULL, 19}, {0x2003000000000000ULL, 16}};
    auto [top, bits] = kAllocs[rng() % 6];
    hi = top | (hi >> bits);
    prefix = std::max(prefix, 40);
  } else {
    hi = 0x2000000000000000ULL | (hi >> 3);
  }
  if (prefix < 64) {
    hi &= ~(~0ULL >> prefix);
    lo = 0;
  } else if (prefix < 128) {
    lo &= prefix == 64 ? 0 : ~(~0ULL >> (prefix - 64));
  }
  return *Cidr::make(IpAddress::v6(hi, lo), prefix);
}

enum class Family { kV4, kV6Spread, kV6Crowded };

struct Workload {
  std::vector<std::vector<Cidr>> lists;
  std::vector<IpAddress> hits;     // addresses inside random entries
  std::vector<IpAddress> uniform;  // addresses anywhere in the family's populated space
};

IpAddress randomIn(std::mt19937_64& rng, const Cidr& c) {
  IpAddress f = c.first(), l = c.last();
  uint64_t mhi = f.hi() ^ l.hi(), mlo = f.lo() ^ l.lo();
  if (f.isV4()) return IpAddress::v4(static_cast<uint32_t>(f.lo() | (rng() & mlo)));
  return IpAddress::v6(f.hi() | (rng() & mhi), f.lo() | (rng() & mlo));
}

const Workload& workload(Family fam) {
  static std::map<Family, Workload> cache;
  auto it = cache.find(fam);
  if (it != cache.end()) return it->second;
  std::mt19937_64 rng(42 + static_cast<int>(fam));
  Workload w;
  w.lists.resize(kLists);
  for (std::size_t i = 0; i < kCidrs; ++i) {
    Cidr c = fam == Family::kV4 ? randomV4(rng, v4Prefix(rng))
                                : randomV6(rng, v6Prefix(rng), fam == Family::kV6Crowded);
    w.lists[i % kLists].push_back(c);
  }
  for (std::size_t i = 0; i < kProbes; ++i) {
    const auto& l = w.lists[rng() % kLists];
    w.hits.push_back(randomIn(rng, l[rng() % l.size()]));
    if (fam == Family::kV4) {
      w.uniform.push_back(IpAddress::v4(static_cast<uint32_t>(rng())));
    } else {
      w.uniform.push_back(randomIn(
          rng, randomV6(rng, fam == Family::kV6Crowded ? 40 : 32, fam == Family::kV6Crowded)));
    }
  }
  return cache.emplace(fam, std::move(w)).first->second;
}

const char* kNames[kLists] = {"botnet-c2", "scanners", "tor-exits", "partners"};

std::shared_ptr<const ThreatIntel> buildIntel(const Workload& w, double* build_ms,
                                              std::size_t* heap) {
  ThreatIntelBuilder b;
  for (std::size_t i = 0; i < kLists; ++i) {
    if (!b.add(kNames[i], i == 3 ? Verdict::kTrusted : Verdict::kMalicious, w.lists[i]))
      std::abort();
  }
  std::size_t before = heapInUse();
  auto t0 = std::chrono::steady_clock::now();
  auto t = b.build();
  auto t1 = std::chrono::steady_clock::now();
  if (build_ms) *build_ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
  if (heap) *heap = heapInUse() - before;
  return t;
}

// ------------------------------------------------------------------ (a) look-ups

void lookupCounters(benchmark::State& state, const ThreatIntel& t, std::size_t hits) {
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  auto s = t.stats();
  state.counters["bytes_per_cidr"] =
      static_cast<double>(s.index_bytes) / static_cast<double>(s.cidrs);
  state.counters["boundaries"] = static_cast<double>(s.boundaries_v4 + s.boundaries_v6);
  state.counters["hit_rate"] =
      static_cast<double>(hits) / static_cast<double>(std::max<int64_t>(1, state.iterations()));
}

void BM_Lookup(benchmark::State& state, Family fam, bool hit_probes) {
  const Workload& w = workload(fam);
  double build_ms = 0;
  std::size_t heap = 0;
  auto t = buildIntel(w, &build_ms, &heap);
  const auto& probes = hit_probes ? w.hits : w.uniform;
  std::size_t i = 0, hits = 0;
  for (auto _ : state) {
    const ListMatch& m = t->lookup(probes[i]);
    hits += !m.empty();
    benchmark::DoNotOptimize(&m);
    if (++i == probes.size()) i = 0;
  }
  lookupCounters(state, *t, hits);
  state.counters["build_ms"] = build_ms;
  state.counters["heap_bytes_per_cidr"] = static_cast<double>(heap) / kCidrs;
}

// The same disjoint ranges, for the peers: (first address, set id) per range, and the ids'
// emptiness, computed by a sweep of their own.
template <class Key>
struct Ranges {
  std::vector<Key> keys;
  std::vector<uint32_t> values;  // 0 = in no list, else 1 + a count of lists (enough to compare)
};

template <class Key>
Key keyOf(const IpAddress& a) {
  if constexpr (sizeof(Key) == 4) {
    return a.v4Bits();
  } else {
    return (U128{a.hi()} << 64) | a.lo();
  }
}

template <class Key>
Ranges<Key> rangesOf(const Workload& w) {
  // Events (address, list, +1/-1); the value of a range is the mask of the lists covering
  // it, so the partition is exactly ThreatIntel's.
  struct Ev {
    Key at;
    int list, delta;
    bool operator<(const Ev& o) const { return at < o.at; }
  };
  std::vector<Ev> evs;
  for (std::size_t l = 0; l < w.lists.size(); ++l) {
    for (const auto& c : w.lists[l]) {
      evs.push_back({keyOf<Key>(c.first()), static_cast<int>(l), +1});
      Key last = keyOf<Key>(c.last());
      if (last != static_cast<Key>(~Key{0}))
        evs.push_back({static_cast<Key>(last + 1), static_cast<int>(l), -1});
    }
  }
  std::sort(evs.begin(), evs.end());
  Ranges<Key> r;
  r.keys.push_back(0);
  r.values.push_back(0);
  int count[kLists] = {};
  for (std::size_t i = 0; i < evs.size();) {
    Key at = evs[i].at;
    for (; i < evs.size() && evs[i].at == at; ++i) count[evs[i].list] += evs[i].delta;
    uint32_t v = 0;
    for (std::size_t l = 0; l < kLists; ++l) v |= (count[l] > 0 ? 1u : 0u) << l;
    if (r.keys.back() == at) {
      r.values.back() = v;
    } else if (r.values.back() != v) {
      r.keys.push_back(at);
      r.values.push_back(v);
    }
  }
  return r;
}

template <class Key>
void peerCounters(benchmark::State& state, const Ranges<Key>& r, std::size_t bytes,
                  std::size_t hits) {
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.counters["bytes_per_cidr"] = static_cast<double>(bytes) / kCidrs;
  state.counters["boundaries"] = static_cast<double>(r.keys.size());
  state.counters["hit_rate"] =
      static_cast<double>(hits) / static_cast<double>(std::max<int64_t>(1, state.iterations()));
}

template <class Key>
void BM_PeerSortedVectorOf(benchmark::State& state, Family fam, bool hit_probes) {
  const Workload& w = workload(fam);
  Ranges<Key> r = rangesOf<Key>(w);
  std::vector<Key> probes;
  for (const auto& a : hit_probes ? w.hits : w.uniform) probes.push_back(keyOf<Key>(a));
  std::size_t i = 0, hits = 0;
  for (auto _ : state) {
    auto it = std::upper_bound(r.keys.begin(), r.keys.end(), probes[i]);
    uint32_t v = r.values[static_cast<std::size_t>(it - r.keys.begin()) - 1];
    hits += v != 0;
    benchmark::DoNotOptimize(v);
    if (++i == probes.size()) i = 0;
  }
  peerCounters(state, r, r.keys.size() * (sizeof(Key) + 4), hits);
}

// Binary search in Eytzinger (BFS) order, branch-free with a prefetch of the 16th
// descendant: the best comparison-based layout for large arrays (Khuong & Morin).
template <class Key>
void BM_PeerEytzingerOf(benchmark::State& state, Family fam, bool hit_probes) {
  const Workload& w = workload(fam);
  Ranges<Key> r = rangesOf<Key>(w);
  std::size_t n = r.keys.size();
  std::vector<Key> e(n + 1);
  std::vector<uint32_t> ev(n + 1);
  std::size_t src = 0;
  auto fill = [&](auto& self, std::size_t k) -> void {
    if (k > n) return;
    self(self, 2 * k);
    e[k] = r.keys[src];
    ev[k] = r.values[src++];
    self(self, 2 * k + 1);
  };
  fill(fill, 1);
  std::vector<Key> probes;
  for (const auto& a : hit_probes ? w.hits : w.uniform) probes.push_back(keyOf<Key>(a));
  std::size_t i = 0, hits = 0;
  for (auto _ : state) {
    Key x = probes[i];
    std::size_t k = 1;
    while (k <= n) {
      __builtin_prefetch(e.data() + std::min(k * 16, n));
      k = 2 * k + (e[k] <= x);
    }
    k >>= __builtin_ffsll(static_cast<long long>(k));  // the last node where we went right
    uint32_t v = ev[k];
    hits += v != 0;
    benchmark::DoNotOptimize(v);
    if (++i == probes.size()) i = 0;
  }
  peerCounters(state, r, (n + 1) * (sizeof(Key) + 4), hits);
}

template <class Key>
void BM_PeerStdMapOf(benchmark::State& state, Family fam, bool hit_probes) {
  const Workload& w = workload(fam);
  Ranges<Key> r = rangesOf<Key>(w);
  std::size_t before = heapInUse();
  std::map<Key, uint32_t> m;
  for (std::size_t k = 0; k < r.keys.size(); ++k) m.emplace_hint(m.end(), r.keys[k], r.values[k]);
  std::size_t bytes = heapInUse() - before;
  std::vector<Key> probes;
  for (const auto& a : hit_probes ? w.hits : w.uniform) probes.push_back(keyOf<Key>(a));
  std::size_t i = 0, hits = 0;
  for (auto _ : state) {
    auto it = std::prev(m.upper_bound(probes[i]));
    hits += it->second != 0;
    benchmark::DoNotOptimize(it);
    if (++i == probes.size()) i = 0;
  }
  peerCounters(state, r, bytes, hits);
}

void BM_PeerSortedVector(benchmark::State& state, Family fam, bool hit_probes) {
  if (fam == Family::kV4) {
    BM_PeerSortedVectorOf<uint32_t>(state, fam, hit_probes);
  } else {
    BM_PeerSortedVectorOf<U128>(state, fam, hit_probes);
  }
}

void BM_PeerEytzinger(benchmark::State& state, Family fam, bool hit_probes) {
  if (fam == Family::kV4) {
    BM_PeerEytzingerOf<uint32_t>(state, fam, hit_probes);
  } else {
    BM_PeerEytzingerOf<U128>(state, fam, hit_probes);
  }
}

void BM_PeerStdMap(benchmark::State& state, Family fam, bool hit_probes) {
  if (fam == Family::kV4) {
    BM_PeerStdMapOf<uint32_t>(state, fam, hit_probes);
  } else {
    BM_PeerStdMapOf<U128>(state, fam, hit_probes);
  }
}

#define LOOKUPS(fam, tag)                                            \
  BENCHMARK_CAPTURE(BM_Lookup, tag##_hits, fam, true);               \
  BENCHMARK_CAPTURE(BM_Lookup, tag##_uniform, fam, false);           \
  BENCHMARK_CAPTURE(BM_PeerSortedVector, tag##_hits, fam, true);     \
  BENCHMARK_CAPTURE(BM_PeerSortedVector, tag##_uniform, fam, false); \
  BENCHMARK_CAPTURE(BM_PeerEytzinger, tag##_hits, fam, true);        \
  BENCHMARK_CAPTURE(BM_PeerEytzinger, tag##_uniform, fam, false);    \
  BENCHMARK_CAPTURE(BM_PeerStdMap, tag##_hits, fam, true)

// ------------------------------------------------------------------ (b) enrichment

const ThreatIntel& intelV4() {
  static const auto t = buildIntel(workload(Family::kV4), nullptr, nullptr);
  return *t;
}

// The 3-5 KB findings of bench/pattern (random public remote addresses: some in the lists).
const std::vector<std::string>& guardDutyEvents() {
  static const auto* e = new std::vector<std::string>(pattern::bench::guardDutyFindings(2000));
  return *e;
}

// Security Hub "Findings - Imported" events of the sample GuardDuty findings (ASFF), each
// carrying a random public remote address.
const std::vector<std::string>& asffEvents() {
  static const auto* e = [] {
    auto* out = new std::vector<std::string>();
    std::mt19937_64 rng(5);
    const auto& types = sources::sampleTypes();
    for (int i = 0; i < 2000; ++i) {
      sources::SampleOptions o;
      o.seed = rng();
      o.now_ms = 1'795'000'000'000;
      auto f = sources::sampleFinding(types[rng() % types.size()].type, o);
      json::object a = sources::toAsff(*f);
      if (auto it = a.find("Network"); it != a.end()) {
        auto& net = it->value().as_object();
        std::string remote = IpAddress::v4(static_cast<uint32_t>(rng())).str();
        (net["Direction"] == "IN" ? net["SourceIpV4"] : net["DestinationIpV4"]) = remote;
      }
      out->push_back(
          toJson(sources::wrapAsffFindings(json::array{a}, "id", "2026-12-01T00:00:00Z")));
    }
    return out;
  }();
  return *e;
}

std::vector<std::string> padded(const std::vector<std::string>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) {
    std::string s;
    s.reserve(e.size() + pattern::RuleSet::kPadding);
    s.assign(e);
    out.push_back(std::move(s));
  }
  return out;
}

void eventCounters(benchmark::State& state, const std::vector<std::string>& events) {
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  std::size_t bytes = 0;
  for (const auto& e : events) bytes += e.size();
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * (bytes / events.size())));
  state.counters["ns_per_event"] =
      benchmark::Counter(static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["avg_event_bytes"] = static_cast<double>(bytes / events.size());
}

std::shared_ptr<const pattern::RuleSet> guardDutyRules(std::size_t n) {
  pattern::RuleSetBuilder b;
  auto rules = pattern::bench::guardDutyRules(n);
  for (std::size_t i = 0; i < rules.size(); ++i) b.add("r" + std::to_string(i), rules[i]);
  // As a deployment using the lists would: a rule on the enrichment.
  b.add("tor", R"({"riposte":{"threatIntel":{"malicious":["tor-exits"]}}})");
  return b.build();
}

const std::vector<std::string>& eventsOf(int which) {
  return which == 0 ? guardDutyEvents() : asffEvents();
}

// Pattern matching alone, as the engine matches stored bodies (in place).
void BM_Match(benchmark::State& state, int which) {
  auto rs = guardDutyRules(static_cast<std::size_t>(state.range(0)));
  auto events = padded(eventsOf(which));
  std::size_t i = 0, matches = 0;
  for (auto _ : state) {
    auto r = rs->matchPadded(events[i]);
    matches += r->size();
    benchmark::DoNotOptimize(r);
    if (++i == events.size()) i = 0;
  }
  eventCounters(state, events);
  state.counters["rules"] = static_cast<double>(state.range(0));
}

// Enrichment alone (extraction, look-ups, the copy), into a reused buffer.
void BM_Enrich(benchmark::State& state, int which) {
  const ThreatIntel& t = intelV4();
  const auto& events = eventsOf(which);
  std::string out;
  std::size_t i = 0, addresses = 0, listed = 0;
  for (auto _ : state) {
    auto r = t.enrich(events[i], out);
    addresses += r->addresses;
    listed += out.find("\"malicious\":[]", out.size() - 80) == std::string::npos;
    benchmark::DoNotOptimize(out.data());
    if (++i == events.size()) i = 0;
  }
  eventCounters(state, events);
  auto n = static_cast<double>(std::max<int64_t>(1, state.iterations()));
  state.counters["addresses_per_event"] = static_cast<double>(addresses) / n;
  state.counters["malicious_rate"] = static_cast<double>(listed) / n;
}

// The cursor alone (no look-up, no copy).
void BM_Extract(benchmark::State& state, int which) {
  const auto& events = eventsOf(which);
  std::size_t i = 0;
  for (auto _ : state) {
    auto r = extractRemoteAddresses(events[i]);
    benchmark::DoNotOptimize(r);
    if (++i == events.size()) i = 0;
  }
  eventCounters(state, events);
}

// Enrichment, then matching of its result (in place: enrich() leaves the padding).
void BM_EnrichThenMatch(benchmark::State& state, int which) {
  const ThreatIntel& t = intelV4();
  auto rs = guardDutyRules(static_cast<std::size_t>(state.range(0)));
  const auto& events = eventsOf(which);
  std::string out;
  std::size_t i = 0, matches = 0;
  for (auto _ : state) {
    if (!t.enrich(events[i], out)) std::abort();
    auto r = rs->matchString(out);
    matches += r->size();
    benchmark::DoNotOptimize(r);
    if (++i == events.size()) i = 0;
  }
  eventCounters(state, events);
  state.counters["rules"] = static_cast<double>(state.range(0));
}

// The ingest-time split: addresses read from the DOM the sources already hold, then at match
// time the look-ups and an append in place (the body string has spare capacity, as the
// store's reads give it).
void BM_AppendKnown(benchmark::State& state, int which) {
  const ThreatIntel& t = intelV4();
  const auto& events = eventsOf(which);
  std::vector<EventAddresses> addresses;
  std::vector<std::string> bodies;
  for (const auto& e : events) {
    addresses.push_back(remoteAddressesOf(*parseJson(e)));
    std::string b;
    b.reserve(e.size() + 512);
    b.assign(e);
    bodies.push_back(std::move(b));
  }
  std::size_t i = 0;
  for (auto _ : state) {
    std::string& b = bodies[i];
    std::size_t n = events[i].size();
    b.resize(n - 1);  // back to the stored body: its last member, then '}'
    b += '}';
    auto r = t.appendThreatIntel(b, addresses[i]);
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(b.data());
    if (++i == events.size()) i = 0;
  }
  eventCounters(state, events);
}

// Its ingest half: remoteAddressesOf on the parsed event, beside the parse itself.
void BM_AddressesFromDom(benchmark::State& state, int which) {
  const auto& events = eventsOf(which);
  std::vector<json::value> doms;
  for (const auto& e : events) doms.push_back(*parseJson(e));
  std::size_t i = 0;
  for (auto _ : state) {
    auto a = remoteAddressesOf(doms[i]);
    benchmark::DoNotOptimize(a);
    if (++i == doms.size()) i = 0;
  }
  eventCounters(state, events);
}

void BM_IngestParse(benchmark::State& state, int which) {
  const auto& events = eventsOf(which);
  std::size_t i = 0;
  for (auto _ : state) {
    auto v = parseJson(events[i]);
    benchmark::DoNotOptimize(v);
    if (++i == events.size()) i = 0;
  }
  eventCounters(state, events);
}

// ------------------------------------------------------------------ (c) parsing

void BM_ParseTxt(benchmark::State& state) {
  std::mt19937_64 rng(9);
  std::string text = "# generated\n";
  for (int i = 0; i < 250'000; ++i) text += randomV4(rng, v4Prefix(rng)).str() + "\n";
  for (auto _ : state) {
    auto l = parseTxtList(text);
    if (!l || l->entries.size() != 250'000) std::abort();
    benchmark::DoNotOptimize(l);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
  state.counters["lines_per_second"] = benchmark::Counter(
      250'000.0 * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

LOOKUPS(Family::kV4, v4);
LOOKUPS(Family::kV6Spread, v6_spread);
LOOKUPS(Family::kV6Crowded, v6_crowded);

BENCHMARK_CAPTURE(BM_Match, guardduty, 0)->Arg(100)->Arg(10000);
BENCHMARK_CAPTURE(BM_Enrich, guardduty, 0);
BENCHMARK_CAPTURE(BM_Extract, guardduty, 0);
BENCHMARK_CAPTURE(BM_EnrichThenMatch, guardduty, 0)->Arg(100)->Arg(10000);
BENCHMARK_CAPTURE(BM_AppendKnown, guardduty, 0);
BENCHMARK_CAPTURE(BM_AddressesFromDom, guardduty, 0);
BENCHMARK_CAPTURE(BM_IngestParse, guardduty, 0);
BENCHMARK_CAPTURE(BM_Match, asff, 1)->Arg(100);
BENCHMARK_CAPTURE(BM_Enrich, asff, 1);
BENCHMARK_CAPTURE(BM_Extract, asff, 1);
BENCHMARK_CAPTURE(BM_EnrichThenMatch, asff, 1)->Arg(100);
BENCHMARK_CAPTURE(BM_AppendKnown, asff, 1);
BENCHMARK_CAPTURE(BM_AddressesFromDom, asff, 1);
BENCHMARK(BM_ParseTxt)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace riposte::policy::bench

BENCHMARK_MAIN();
