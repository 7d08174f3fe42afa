// Policy evaluation as a share of event processing (issue 11: "< 5 % with 10,000 suppressions
// and 1M list entries"), one thread, in one run:
//   policy      = threat-intelligence enrichment against 1,000,000 IPv4 CIDRs in 4 lists
//                 (ThreatIntel::enrich) + suppression matching with 10,000 suppressions
//                 (SuppressionSet::match on the enriched event; with `facts`, 1 % of them
//                 scoped by tags, so the engine reads the event's DOM for its resource facts
//                 and that parse is counted as policy)
//   processing  = what the engine does with every event anyway: matching against 100 rules
//                 (RuleSet::matchPadded, in place) + storing it (SqliteStore::insertEvents in
//                 batches of `batch`, flushed, as one POST /v1/events or one SQS receive) +
//                 marking it processed (markEvent, flushed with the next write)
// over 2,000 GuardDuty finding events of 3-5 KB (bench/pattern/workloads.h), none of which a
// suppression silences (the worst case: every suppression is looked at and the event goes on).
// Counters (microseconds per event, wall clock): enrich_us, suppress_us, facts_us, match_us,
// store_us, policy_us, processing_us, and share_percent = policy / processing; store_cpu_us
// and share_cpu_percent count the store's CPU time only (its waits for the disk left out).
// The store is a SQLite file in $TMPDIR (ext4 on this machine's disk).
#include <benchmark/benchmark.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <random>

#include "bench/pattern/workloads.h"
#include "core/json.h"
#include "engine/suppressions.h"
#include "pattern/pattern.h"
#include "policy/suppression.h"
#include "policy/threat_intel.h"
#include "store/store.h"

namespace riposte::policy::bench {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kEvents = 2000;
constexpr std::size_t kSuppressions = 10'000;
constexpr std::size_t kCidrs = 1'000'000;
constexpr int64_t kNow = 1'795'000'000'000;

std::string randomInstance(std::mt19937_64& rng) {
  char inst[32];
  snprintf(inst, sizeof inst, "i-%08x%08x", static_cast<unsigned>(rng()),
           static_cast<unsigned>(rng() & 0x1ff));
  return inst;
}

std::string randomAccount(std::mt19937_64& rng) {
  return std::to_string(100000000000ULL + rng() % 900000000ULL);
}

// Events with distinct envelope ids (the store's key), padded for in-place matching.
const std::vector<std::string>& events() {
  static const auto* e = [] {
    auto* out = new std::vector<std::string>();
    auto raw = pattern::bench::guardDutyFindings(kEvents);
    const std::string id = "c8c4daa7-a20c-2f03-0070-b7393dd542ad";
    for (std::size_t i = 0; i < raw.size(); ++i) {
      std::string s = raw[i];
      char fresh[40];
      snprintf(fresh, sizeof fresh, "c8c4daa7-a20c-2f03-0070-%012zx", i);
      s.replace(s.find(id), id.size(), fresh);
      std::string p;
      p.reserve(s.size() + 512);
      p.assign(s);
      out->push_back(std::move(p));
    }
    return out;
  }();
  return *e;
}

// 10,000 suppressions of the shapes a security team writes, through the configuration's parser.
// None silences a benchmark event (their instances, accounts and types are elsewhere).
std::shared_ptr<const SuppressionSet> suppressions(bool with_tags) {
  std::mt19937_64 rng(with_tags ? 99 : 98);
  json::array list;
  for (std::size_t i = 0; i < kSuppressions; ++i) {
    json::object s{{"name", "s-" + std::to_string(i)},
                   {"reason", "benchmark"},
                   {"owner", "secops"},
                   {"expires", "2099-01-01T00:00:00Z"}};
    json::object match;
    switch (i % 5) {
      case 0:  // one instance, by pattern
        match["pattern"] = json::object{
            {"detail",
             json::object{
                 {"resource", json::object{{"instanceDetails",
                                            json::object{{"instanceId",
                                                          json::array{randomInstance(rng)}}}}}}}}};
        break;
      case 1:  // a finding type in one account
        match["pattern"] =
            json::object{{"detail", json::object{{"type", json::array{"PenTest:IAMUser/KaliLinux"}},
                                                 {"accountId", json::array{randomAccount(rng)}}}}};
        break;
      case 2:  // one resource, by scope
        match["scope"] = json::object{{"resource_ids", json::array{randomInstance(rng)}}};
        break;
      case 3:  // a type prefix in an account, in a region (scope)
        match["pattern"] = json::object{
            {"account", json::array{randomAccount(rng)}},
            {"detail",
             json::object{{"type", json::array{json::object{{"prefix", "Recon:EC2/"}}}}}}};
        match["scope"] = json::object{{"regions", json::array{"eu-west-3"}}};
        break;
      default:  // low severity in an account (EventBridge numeric)
        match["pattern"] = json::object{
            {"account", json::array{randomAccount(rng)}},
            {"detail", json::object{{"severity", json::array{json::object{
                                                     {"numeric", json::array{"<", 2}}}}}}}};
        break;
    }
    if (with_tags && i % 100 == 7) {
      json::object scope;
      scope["tags"] = json::object{{"team", "t-" + std::to_string(i)}};
      match = json::object{{"scope", std::move(scope)}};
    }
    s["match"] = std::move(match);
    list.push_back(std::move(s));
  }
  auto parsed = parseSuppressions(list, "suppressions", Origin::kConfig, kNow);
  if (!parsed.problems.empty() || parsed.suppressions.size() != kSuppressions) std::abort();
  auto set = SuppressionSet::build(std::move(parsed.suppressions));
  if (!set) std::abort();
  return *set;
}

// 1,000,000 IPv4 CIDRs (/16 to /32) in 4 malicious lists of 250,000 (GuardDuty's quota).
const ThreatIntel& intel() {
  static const auto t = [] {
    std::mt19937_64 rng(3);
    ThreatIntelBuilder b;
    for (int l = 0; l < 4; ++l) {
      std::vector<Cidr> cidrs;
      cidrs.reserve(kCidrs / 4);
      while (cidrs.size() < kCidrs / 4) {
        uint32_t v = static_cast<uint32_t>(rng());
        if ((v >> 24) == 0 || (v >> 24) == 10 || (v >> 24) >= 224) continue;
        int prefix = 16 + static_cast<int>(rng() % 17);
        auto c = Cidr::make(IpAddress::v4(v), prefix);
        if (c) cidrs.push_back(*c);
      }
      if (!b.add("list-" + std::to_string(l), Verdict::kMalicious, std::move(cidrs))) std::abort();
    }
    return b.build();
  }();
  return *t;
}

std::shared_ptr<const pattern::RuleSet> rules() {
  pattern::RuleSetBuilder b;
  auto rs = pattern::bench::guardDutyRules(100);
  for (std::size_t i = 0; i < rs.size(); ++i) b.add("r" + std::to_string(i), rs[i]);
  return b.build();
}

double us(Clock::duration d) {
  return std::chrono::duration<double, std::micro>(d).count();
}

// This thread's CPU time (what the store costs without its waits for the disk).
double cpuUs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

void BM_PolicyShare(benchmark::State& state) {
  const bool with_tags = state.range(0) != 0;
  const std::size_t batch = static_cast<std::size_t>(state.range(1));
  const auto& evs = events();
  const ThreatIntel& ti = intel();
  auto supp = suppressions(with_tags);
  auto rs = rules();
  fs::path dir =
      fs::temp_directory_path() / ("riposte-policy-bench-" + std::to_string(::getpid()) + "-" +
                                   std::to_string(with_tags) + "-" + std::to_string(batch));
  fs::remove_all(dir);
  fs::create_directories(dir);
  auto store = store::openStore("sqlite://" + (dir / "bench.db").string());
  if (!store) std::abort();
  Clock::duration enrich{}, suppress{}, facts_t{}, match{}, storing{};
  double store_cpu = 0;
  std::size_t n = 0, round = 0, silenced = 0;
  std::string enriched;
  std::vector<store::EventRecord> recs;
  for (auto _ : state) {
    // One batch: stored, then each event enriched, checked against the suppressions, matched
    // and marked, as the engine's loop does.
    recs.clear();
    for (std::size_t k = 0; k < batch; ++k) {
      const std::string& body = evs[(n + k) % evs.size()];
      store::EventRecord r;
      r.id = "e-" + std::to_string(round) + "-" + std::to_string(k);
      r.received_ms = kNow;
      r.source = "aws.guardduty";
      r.detail_type = "GuardDuty Finding";
      r.account = "123456789012";
      r.region = "us-east-1";
      r.body = body;
      r.channel = "http";
      recs.push_back(std::move(r));
    }
    auto t0 = Clock::now();
    double c0 = cpuUs();
    if (!(*store)->insertEvents(recs)) std::abort();
    store_cpu += cpuUs() - c0;
    storing += Clock::now() - t0;
    for (std::size_t k = 0; k < batch; ++k, ++n) {
      const std::string& body = evs[n % evs.size()];
      auto a = Clock::now();
      if (!ti.enrich(body, enriched)) std::abort();
      auto b = Clock::now();
      policy::EventFacts facts{recs[k].account, recs[k].region, {}, {}};
      if (supp->needsFacts()) {
        auto dom = parseJson(body, 512);
        if (!dom || !dom->is_object()) std::abort();
        engine::addResourceFacts(dom->get_object(), facts);
      }
      auto c = Clock::now();
      auto s = supp->match(enriched, facts, kNow);
      if (!s) std::abort();
      silenced += *s != nullptr;
      auto d = Clock::now();
      auto m = rs->matchPadded(body);
      benchmark::DoNotOptimize(m);
      auto e = Clock::now();
      double c1 = cpuUs();
      if (!(*store)->markEvent(recs[k].id, "processed", {}, "",
                               store::Store::Flush::kWithNextFlush))
        std::abort();
      store_cpu += cpuUs() - c1;
      auto f = Clock::now();
      enrich += b - a;
      facts_t += c - b;
      suppress += d - c;
      match += e - d;
      storing += f - e;
    }
    ++round;
  }
  if (silenced != 0) std::abort();  // the worst case is meant: nothing silenced
  const double per = static_cast<double>(std::max<std::size_t>(1, n));
  const double policy_us = (us(enrich) + us(facts_t) + us(suppress)) / per;
  const double processing_us = (us(match) + us(storing)) / per;
  state.counters["enrich_us"] = us(enrich) / per;
  state.counters["facts_us"] = us(facts_t) / per;
  state.counters["suppress_us"] = us(suppress) / per;
  state.counters["match_us"] = us(match) / per;
  state.counters["store_us"] = us(storing) / per;
  state.counters["policy_us"] = policy_us;
  state.counters["processing_us"] = processing_us;
  state.counters["share_percent"] = 100.0 * policy_us / processing_us;
  // The same share with the store's CPU time only (no disk waits): a lower bound on what
  // processing costs, so an upper bound on the policy's share.
  const double processing_cpu_us = us(match) / per + store_cpu / per;
  state.counters["store_cpu_us"] = store_cpu / per;
  state.counters["share_cpu_percent"] = 100.0 * policy_us / processing_cpu_us;
  state.counters["suppressions"] = static_cast<double>(supp->size());
  state.SetItemsProcessed(static_cast<int64_t>(n));
  store->reset();
  fs::remove_all(dir);
}

// Suppression matching alone against the same events (no store), for the policy's own figure.
void BM_SuppressionMatch(benchmark::State& state) {
  auto supp = suppressions(state.range(0) != 0);
  const auto& evs = events();
  std::size_t i = 0;
  for (auto _ : state) {
    const std::string& body = evs[i];
    policy::EventFacts facts{"123456789012", "us-east-1", {}, {}};
    if (supp->needsFacts()) {
      auto dom = parseJson(body, 512);
      engine::addResourceFacts(dom->get_object(), facts);
    }
    auto s = supp->match(body, facts, kNow);
    benchmark::DoNotOptimize(s);
    if (++i == evs.size()) i = 0;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.counters["ns_per_event"] =
      benchmark::Counter(static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

BENCHMARK(BM_PolicyShare)
    ->ArgNames({"tags", "batch"})
    ->Args({0, 1})
    ->Args({0, 10})
    ->Args({1, 10})
    ->Unit(benchmark::kMicrosecond)
    ->MinTime(2.0);
BENCHMARK(BM_SuppressionMatch)->ArgName("tags")->Arg(0)->Arg(1);

}  // namespace
}  // namespace riposte::policy::bench

BENCHMARK_MAIN();
