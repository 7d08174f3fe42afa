// In-memory interpreter throughput: state transitions per second for a 10-state Pass chain,
// a Choice-heavy machine, and a Map over 10,000 items (history recorded, as the engine does);
// `.waitForTaskToken` callbacks: one execution from start to its callback's answer, and a Map
// whose 1,000 iterations each wait for a callback (40 open at once), answered as they open;
// the approval gate of a plain Task (BM_GateRoundTrip), the peer of the callback round trip.
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

// A Task waiting for a callback, then Succeed: start → token (the default CSPRNG source) →
// TaskSubmitted → SendTaskSuccess → end. Also what the engine adds per callback: the waiting
// execution's snapshot serialized, parsed and restored before the callback, serialized after.
void BM_CallbackRoundTrip(benchmark::State& st) {
  const bool durable = st.range(0) == 1;
  auto m = load(R"({"StartAt": "Ask", "States": {
      "Ask": {"Type": "Task", "Resource": "riposte:notify.waitForTaskToken", "HeartbeatSeconds": 60,
              "TimeoutSeconds": 3600, "ResultPath": "$.answer", "Next": "Done",
              "Parameters": {"Message": {"TaskToken.$": "$$.Task.Token", "finding.$": "$.finding"}}},
      "Done": {"Type": "Succeed"}}})");
  json::value input = *parseJson(R"({"finding": {"id": "f-1", "severity": 8}})");
  struct TokenEcho final : asl::TaskRunner {
    std::string last;
    asl::TaskResult run(const asl::TaskRequest& req) override {
      last = req.task_token;
      asl::TaskResult r;
      r.output = json::object{{"MessageId", "m-1"}};
      return r;
    }
  } r;
  ManualClock clock;
  std::vector<asl::HistoryEvent> h;
  h.reserve(16);
  for (auto _ : st) {
    h.clear();
    asl::Execution x(m, input, info());
    while (!x.awaitingCallback()) x.step(r, clock, h);
    if (durable) {
      auto y = asl::Execution::restore(m, *parseJson(toJson(x.snapshot()), 4096));
      x = std::move(*y);
    }
    if (!x.sendTaskSuccess(r.last, R"({"approved": true})", clock, h))
      st.SkipWithError("callback refused");
    if (durable) benchmark::DoNotOptimize(toJson(x.snapshot()));
    while (x.status() == asl::Status::Running) x.step(r, clock, h);
    if (x.status() != asl::Status::Succeeded) st.SkipWithError("did not succeed");
  }
  st.counters["callbacks/s"] =
      benchmark::Counter(static_cast<double>(st.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_CallbackRoundTrip)->Arg(0)->Arg(1)->ArgName("restore");

// The approval gate (asl::TaskResult::gate_token) of a plain Task, the peer of
// BM_CallbackRoundTrip: the runner asks first (a fresh CSPRNG token), the attempt waits,
// SendTaskSuccess, the same attempt runs again as approved, then Succeed. What require_approval
// and on_limit approve add to a destructive action in the interpreter.
void BM_GateRoundTrip(benchmark::State& st) {
  const bool durable = st.range(0) == 1;
  auto m = load(R"({"StartAt": "Isolate", "States": {
      "Isolate": {"Type": "Task", "Resource": "riposte:notify", "ResultPath": "$.answer",
                  "Next": "Done", "Parameters": {"finding.$": "$.finding"}},
      "Done": {"Type": "Succeed"}}})");
  json::value input = *parseJson(R"({"finding": {"id": "f-1", "severity": 8}})");
  struct Gate final : asl::TaskRunner {
    std::string last;
    asl::TaskResult run(const asl::TaskRequest& req) override {
      asl::TaskResult r;
      r.output = json::object{{"approvalId", "apr-1"}};
      if (!req.approved) {
        last = *newTaskToken(req);
        r.gate_token = last;
      }
      return r;
    }
  } r;
  ManualClock clock;
  std::vector<asl::HistoryEvent> h;
  h.reserve(16);
  for (auto _ : st) {
    h.clear();
    asl::Execution x(m, input, info());
    while (!x.awaitingCallback()) x.step(r, clock, h);
    if (durable) {
      auto y = asl::Execution::restore(m, *parseJson(toJson(x.snapshot()), 4096));
      x = std::move(*y);
    }
    if (!x.sendTaskSuccess(r.last, R"({"approved": true})", clock, h))
      st.SkipWithError("approval refused");
    if (durable) benchmark::DoNotOptimize(toJson(x.snapshot()));
    while (x.status() == asl::Status::Running) x.step(r, clock, h);
    if (x.status() != asl::Status::Succeeded) st.SkipWithError("did not succeed");
  }
  st.counters["approvals/s"] =
      benchmark::Counter(static_cast<double>(st.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_GateRoundTrip)->Arg(0)->Arg(1)->ArgName("restore");

// A Map over 1,000 items, each iteration a callback Task (40 open at once), every token
// answered as soon as it is open: callbacks per second with 40 tokens outstanding.
void BM_CallbackMap1k(benchmark::State& st) {
  auto m = load(R"({"StartAt": "M", "States": {"M": {"Type": "Map", "ItemsPath": "$.items",
      "End": true, "ItemProcessor": {"StartAt": "Ask", "States": {"Ask": {"Type": "Task",
        "Resource": "riposte:notify.waitForTaskToken",
        "Parameters": {"item.$": "$", "t.$": "$$.Task.Token"}, "End": true}}}}}})");
  json::array items;
  for (int i = 0; i < 1000; ++i) items.emplace_back(i);
  json::value input(json::object{{"items", std::move(items)}});
  struct Collect final : asl::TaskRunner {
    std::vector<std::string> open;
    asl::TaskResult run(const asl::TaskRequest& req) override {
      open.push_back(req.task_token);
      return {};
    }
  } r;
  ManualClock clock;
  std::vector<asl::HistoryEvent> h;
  for (auto _ : st) {
    h.clear();
    r.open.clear();
    asl::Execution x(m, input, info());
    std::size_t answered = 0;
    while (x.status() == asl::Status::Running) {
      if (!x.awaitingCallback()) {
        x.step(r, clock, h);
        continue;
      }
      if (!x.sendTaskSuccess(r.open[answered++], "1", clock, h)) st.SkipWithError("refused");
    }
    if (x.status() != asl::Status::Succeeded || answered != 1000) st.SkipWithError("bad run");
  }
  st.counters["callbacks/s"] =
      benchmark::Counter(static_cast<double>(st.iterations()) * 1000, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_CallbackMap1k)->Unit(benchmark::kMillisecond);

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
