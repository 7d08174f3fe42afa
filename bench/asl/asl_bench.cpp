// In-memory interpreter throughput: state transitions per second for a 10-state Pass chain,
// a Choice-heavy machine, and a Map over 10,000 items (history recorded, as the engine does).
#include <benchmark/benchmark.h>

#include "asl/asl.h"
#include "bench_machines.h"

using namespace riposte;

namespace {

using bench::EchoRunner;

std::shared_ptr<const asl::StateMachine> load(const std::string& def) {
  auto v = parseJson(def, 512);
  auto m = asl::StateMachine::load(*v);
  if (!m) throw std::runtime_error(m.error().message);
  return *m;
}

// The engine names every execution; an empty name would make one up with a UUID.
asl::ExecutionInfo info() {
  return {"exec-1", "exec-1", "bench", 1'700'000'000'000};
}

// The machines are shared with asl_durable_bench.
using bench::choiceHeavy;
using bench::passChain;

void BM_PassChain10(benchmark::State& st) {
  auto m = load(passChain());
  json::value input = *parseJson(R"({"finding": {"id": "f-1", "severity": 8}})");
  EchoRunner r;
  ManualClock clock;
  int64_t transitions = 0;
  for (auto _ : st) {
    auto o = asl::runToCompletion(m, input, r, clock, info());
    benchmark::DoNotOptimize(o);
    transitions += 10;
  }
  st.counters["transitions/s"] =
      benchmark::Counter(static_cast<double>(transitions), benchmark::Counter::kIsRate);
  st.counters["executions/s"] =
      benchmark::Counter(static_cast<double>(st.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_PassChain10);

void BM_ChoiceHeavy(benchmark::State& st) {
  auto m = load(choiceHeavy());
  json::value input = *parseJson(
      R"({"severity": 8, "type": "UnauthorizedAccess", "ok": true, "resource": {"id": "i-0abc"}})");
  EchoRunner r;
  ManualClock clock;
  int64_t transitions = 0;
  for (auto _ : st) {
    auto o = asl::runToCompletion(m, input, r, clock, info());
    if (o.status != asl::Status::Succeeded) st.SkipWithError("did not succeed");
    transitions += 11;
  }
  st.counters["transitions/s"] =
      benchmark::Counter(static_cast<double>(transitions), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ChoiceHeavy);

void BM_Map10k(benchmark::State& st) {
  auto m = load(R"({"StartAt": "M", "States": {"M": {"Type": "Map", "ItemsPath": "$.items",
      "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}},
      "End": true}}})");
  json::array items;
  for (int i = 0; i < 10000; ++i) items.emplace_back(i);
  json::object in;
  in["items"] = std::move(items);
  json::value input(std::move(in));
  EchoRunner r;
  ManualClock clock;
  for (auto _ : st) {
    auto o = asl::runToCompletion(m, input, r, clock, info());
    if (o.output.as_array().size() != 10000) st.SkipWithError("bad output");
  }
  st.counters["items/s"] =
      benchmark::Counter(static_cast<double>(st.iterations()) * 10000, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Map10k)->Unit(benchmark::kMillisecond);

void BM_SnapshotSerialize(benchmark::State& st) {
  auto m = load(passChain());
  json::value input = *parseJson(R"({"finding": {"id": "f-1", "severity": 8}})");
  EchoRunner r;
  ManualClock clock;
  asl::Execution x(m, input, {});
  std::vector<asl::HistoryEvent> h;
  x.step(r, clock, h);
  for (auto _ : st) {
    std::string s = toJson(x.snapshot());
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_SnapshotSerialize);

}  // namespace

BENCHMARK_MAIN();
