// What persisting after every step costs for a running Map: the interpreter stepped as
// Engine::runExecution does, serializing the snapshot after each step (the bytes the engine
// writes into executions.snapshot), for a Map over N items (bench_machines.h's map10k).
//
//   BM_MapStepOnly/N             stepping alone (no snapshot): the floor
//   BM_MapFullSnapshot/N         toJson(snapshot()) after every step (what the engine does
//                                today)
//   BM_MapIncrementalSnapshot/N  snapshotIncremental() after every step: toJson of its snapshot
//                                plus the new blobs (what the engine would write with the
//                                incremental API, docs/playbooks.md)
//
// Counters: steps (per execution), bytes_per_step (average bytes written per step: snapshot
// plus blobs), max_snapshot_bytes (the largest per-step snapshot while the Map runs),
// ns_per_step (wall time of one step including its snapshot).
#include <benchmark/benchmark.h>

#include <chrono>

#include "asl/asl.h"
#include "bench_machines.h"

using namespace riposte;

namespace {

using bench::EchoRunner;

asl::ExecutionInfo info() {
  return {"exec-1", "exec-1", "bench", 1'700'000'000'000};
}

struct Totals {
  int64_t steps = 0;
  int64_t bytes = 0;
  int64_t max_snapshot = 0;
  double ns = 0;
};

void report(benchmark::State& st, const Totals& t) {
  double iters = static_cast<double>(st.iterations());
  double steps = static_cast<double>(t.steps);
  st.counters["steps"] = steps / iters;
  st.counters["bytes_per_step"] = t.steps ? static_cast<double>(t.bytes) / steps : 0.0;
  st.counters["max_snapshot_bytes"] = static_cast<double>(t.max_snapshot);
  st.counters["ns_per_step"] = t.steps ? t.ns / steps : 0.0;
}

// `per_step(x, t)` persists after a step: returns the bytes it would write and updates
// t.max_snapshot.
template <typename PerStep>
void runMap(benchmark::State& st, PerStep per_step) {
  const int n = static_cast<int>(st.range(0));
  auto m = bench::load(bench::map10k());
  json::value input = bench::map10kInput(n);
  EchoRunner r;
  ManualClock clock(1'700'000'000'000);
  Totals t;
  std::vector<asl::HistoryEvent> events;
  for (auto _ : st) {
    asl::Execution x(m, input, info());
    auto start = std::chrono::steady_clock::now();
    while (x.status() == asl::Status::Running) {
      events.clear();
      x.step(r, clock, events);
      t.bytes += per_step(x, t);
      ++t.steps;
    }
    t.ns +=
        std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count();
    if (x.output().as_array().size() != static_cast<std::size_t>(n)) st.SkipWithError("bad output");
  }
  report(st, t);
}

int64_t noteSnapshot(const asl::Execution& x, Totals& t, std::size_t size) {
  if (x.status() == asl::Status::Running)
    t.max_snapshot = std::max(t.max_snapshot, static_cast<int64_t>(size));
  return static_cast<int64_t>(size);
}

void BM_MapStepOnly(benchmark::State& st) {
  runMap(st, [](asl::Execution&, Totals&) { return int64_t{0}; });
}
BENCHMARK(BM_MapStepOnly)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_MapFullSnapshot(benchmark::State& st) {
  runMap(st, [](asl::Execution& x, Totals& t) {
    std::string s = toJson(x.snapshot());
    benchmark::DoNotOptimize(s);
    return noteSnapshot(x, t, s.size());
  });
}
BENCHMARK(BM_MapFullSnapshot)
    ->Arg(1000)
    ->Arg(10000)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1)
    ->UseRealTime();

void BM_MapIncrementalSnapshot(benchmark::State& st) {
  runMap(st, [](asl::Execution& x, Totals& t) {
    asl::IncrementalSnapshot inc = x.snapshotIncremental();
    std::string s = toJson(inc.snapshot);
    benchmark::DoNotOptimize(s);
    int64_t bytes = noteSnapshot(x, t, s.size());
    for (const auto& b : inc.blobs) bytes += static_cast<int64_t>(b.json.size());
    return bytes;
  });
}
BENCHMARK(BM_MapIncrementalSnapshot)
    ->Arg(1000)
    ->Arg(10000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
