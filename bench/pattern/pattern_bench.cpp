// Pattern-engine benchmarks (single thread). Items are events: items_per_second is
// events/s/core; the "ns_per_event" counter is its inverse.
//   (a) GuardDuty findings (3-5 KB) against 1, 100, 10,000 and 100,000 rules
//   (b) CityLots-style features (~850 B) against 5 rules of each operator
//   (c) simdjson parse-only (visit every scalar) and skip-only (find one field) baselines

#include <benchmark/benchmark.h>
#include <malloc.h>
#if RIPOSTE_TCMALLOC
#include <gperftools/malloc_extension.h>
#endif
#include <simdjson.h>

#include <chrono>
#include <iostream>

#include "bench/pattern/workloads.h"
#include "pattern/pattern.h"

namespace riposte::pattern::bench {
namespace {

const std::vector<std::string>& cityEvents() {
  static const auto* e = new std::vector<std::string>(cityLots(20000));
  return *e;
}
const std::vector<std::string>& guardDutyEvents() {
  static const auto* e = new std::vector<std::string>(guardDutyFindings(2000));
  return *e;
}

// Bytes the process's allocator has handed out and not yet been given back.
std::size_t heapInUse() {
#if RIPOSTE_TCMALLOC
  std::size_t n = 0;
  MallocExtension::instance()->GetNumericProperty("generic.current_allocated_bytes", &n);
  return n;
#else
  return mallinfo2().uordblks;
#endif
}

void finish(benchmark::State& state, const std::vector<std::string>& events, uint64_t matches) {
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  std::size_t bytes = 0;
  for (const auto& e : events) bytes += e.size();
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * (bytes / events.size())));
  state.counters["ns_per_event"] =
      benchmark::Counter(static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["avg_event_bytes"] = static_cast<double>(bytes / events.size());
  state.counters["matches_per_event"] =
      static_cast<double>(matches) / static_cast<double>(std::max<int64_t>(1, state.iterations()));
}

void runMatch(benchmark::State& state, const RuleSet& rs, const std::vector<std::string>& events) {
  std::size_t i = 0;
  uint64_t matches = 0;
  for (auto _ : state) {
    auto r = rs.match(events[i]);
    if (!r) {
      state.SkipWithError(r.error().message.c_str());
      return;
    }
    matches += r->size();
    benchmark::DoNotOptimize(r);
    if (++i == events.size()) i = 0;
  }
  finish(state, events, matches);
}

// (b) CityLots, five rules of one operator, as the engine matches: the event parsed in place
// (RuleSet::matchPadded; bodies read from the store carry the spare capacity).
void BM_CityLots(benchmark::State& state, const std::string& op) {
  RuleSetBuilder b;
  for (const auto& p : cityLotsRules(op)) {
    auto r = b.add(op, p);
    if (!r) {
      state.SkipWithError(r.error().message.c_str());
      return;
    }
  }
  auto rs = b.build();
  std::vector<std::string> events;
  for (const auto& e : cityEvents()) {
    std::string copy;
    copy.reserve(e.size() + RuleSet::kPadding);
    copy.assign(e);
    events.push_back(std::move(copy));
  }
  std::size_t i = 0;
  uint64_t matches = 0;
  for (auto _ : state) {
    auto r = rs->matchPadded(events[i]);
    if (!r) {
      state.SkipWithError(r.error().message.c_str());
      return;
    }
    matches += r->size();
    benchmark::DoNotOptimize(r);
    if (++i == events.size()) i = 0;
  }
  finish(state, events, matches);
}

// (b) through RuleSet::match(), which first copies the event into a padded buffer.
void BM_CityLotsCopy(benchmark::State& state, const std::string& op) {
  RuleSetBuilder b;
  for (const auto& p : cityLotsRules(op)) b.add(op, p);
  auto rs = b.build();
  runMatch(state, *rs, cityEvents());
}

// (a) GuardDuty findings against N rules.
void BM_GuardDuty(benchmark::State& state) {
  auto n = static_cast<std::size_t>(state.range(0));
  auto patterns = guardDutyRules(n);
  std::size_t before = heapInUse();
  std::shared_ptr<const RuleSet> rs;
  double build_ms = 0;
  {
    RuleSetBuilder b;
    for (std::size_t i = 0; i < patterns.size(); ++i) {
      if (!b.add("r" + std::to_string(i), patterns[i])) {
        state.SkipWithError("bad rule");
        return;
      }
    }
    auto build_start = std::chrono::steady_clock::now();
    rs = b.build();
    build_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - build_start)
            .count();
  }  // the builder (and its copy of the compiled rules) is gone: what remains is the RuleSet
  std::size_t after = heapInUse();
  runMatch(state, *rs, guardDutyEvents());
  state.counters["rules"] = static_cast<double>(n);
  state.counters["build_ms"] = build_ms;
  // Heap held by the RuleSet, per rule (rule names included).
  state.counters["heap_bytes_per_rule"] =
      static_cast<double>(after - before) / static_cast<double>(n);
}

// (c) Baselines with simdjson On-Demand.
void visitAll(simdjson::ondemand::value v, uint64_t& n) {
  using T = simdjson::ondemand::json_type;
  switch (v.type()) {
    case T::object:
      for (auto f : v.get_object()) {
        std::string_view k = f.unescaped_key();
        n += k.size();
        visitAll(f.value(), n);
      }
      break;
    case T::array:
      for (auto e : v.get_array()) visitAll(e.value(), n);
      break;
    case T::string:
      n += std::string_view(v.get_string()).size();
      break;
    case T::number:
      n += static_cast<uint64_t>(double(v.get_double()) != 0);
      break;
    case T::boolean:
      n += bool(v.get_bool());
      break;
    case T::null:
      n += v.is_null();
      break;
  }
}

template <bool kSkipOnly>
void BM_Simdjson(benchmark::State& state, const std::vector<std::string>& (*events)()) {
  const auto& ev = events();
  std::vector<simdjson::padded_string> padded;
  for (const auto& e : ev) padded.emplace_back(e);
  simdjson::ondemand::parser parser;
  std::size_t i = 0;
  uint64_t sink = 0;
  for (auto _ : state) {
    auto doc = parser.iterate(padded[i]);
    if constexpr (kSkipOnly) {
      // Find one field (properties.STREET / detail.type), compare it, skip the rest.
      std::string_view v;
      auto obj = doc.get_object();
      if (events == &cityEvents) {
        v = obj["properties"]["STREET"].get_string();
        sink += v == "HYDE";
      } else {
        v = obj["detail"]["type"].get_string();
        sink += v.size();
      }
    } else {
      simdjson::ondemand::value root = doc.get_value();
      visitAll(root, sink);
    }
    if (++i == ev.size()) i = 0;
  }
  benchmark::DoNotOptimize(sink);
  finish(state, ev, 0);
}

#define CITY_OP(op)                                                \
  (std::string(#op) == "equals_ignore_case" ? "equals-ignore-case" \
   : std::string(#op) == "anything_but"     ? "anything-but"       \
   : std::string(#op) == "complex_array"    ? "complex-array"      \
                                            : #op)
#define CITY(op)                                   \
  BENCHMARK_CAPTURE(BM_CityLots, op, CITY_OP(op)); \
  BENCHMARK_CAPTURE(BM_CityLotsCopy, op, CITY_OP(op))
CITY(exact);
CITY(prefix);
CITY(suffix);
CITY(equals_ignore_case);
CITY(wildcard);
CITY(anything_but);
CITY(numeric);
CITY(exists);
CITY(cidr);
CITY(complex_array);
BENCHMARK(BM_GuardDuty)->Arg(1)->Arg(100)->Arg(10000)->Arg(100000)->Unit(benchmark::kNanosecond);
// Every top-level key visited (as a matcher must, since keys may come in any order and
// repeat), descending only into "properties" to compare STREET: the floor for (b).
void BM_ScanKeys(benchmark::State& state) {
  const auto& ev = cityEvents();
  std::vector<simdjson::padded_string> padded;
  for (const auto& e : ev) padded.emplace_back(e);
  simdjson::ondemand::parser parser;
  std::size_t i = 0;
  uint64_t sink = 0;
  for (auto _ : state) {
    auto doc = parser.iterate(padded[i]);
    for (auto f : doc.get_object()) {
      std::string_view k = f.unescaped_key();
      if (k != "properties") continue;
      for (auto g : f.value().get_object()) {
        std::string_view k2 = g.unescaped_key();
        if (k2 == "STREET") sink += std::string_view(g.value().get_string()) == "HYDE";
      }
    }
    if (++i == ev.size()) i = 0;
  }
  benchmark::DoNotOptimize(sink);
  finish(state, ev, 0);
}
BENCHMARK(BM_ScanKeys);

void BM_ParseOnly(benchmark::State& s, const std::vector<std::string>& (*e)()) {
  BM_Simdjson<false>(s, e);
}
void BM_SkipOnly(benchmark::State& s, const std::vector<std::string>& (*e)()) {
  BM_Simdjson<true>(s, e);
}
BENCHMARK_CAPTURE(BM_ParseOnly, citylots, &cityEvents);
BENCHMARK_CAPTURE(BM_SkipOnly, citylots, &cityEvents);
BENCHMARK_CAPTURE(BM_ParseOnly, guardduty, &guardDutyEvents);
BENCHMARK_CAPTURE(BM_SkipOnly, guardduty, &guardDutyEvents);

}  // namespace
}  // namespace riposte::pattern::bench

BENCHMARK_MAIN();
