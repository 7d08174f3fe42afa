// Durable interpreter throughput with SQLite (file database, WAL, synchronous=FULL, as
// SqliteStore opens it). Machines: the 10-state Pass chain, the Choice-heavy machine and a Map
// over 10,000 items (bench_machines.h).
//
//   BM_DurablePerStep: one execution at a time, each step its own transaction
//     (Store::recordStep): the latency floor, one disk flush per step.
//   BM_EngineDurable: what `riposte serve` does: Engine::drain() claims the executions and
//     runs them in rounds, every round's steps in one transaction (Store::recordSteps), each
//     step still persisted before that execution's next.
//
// "transitions" counts the states entered, which is how Step Functions counts them.
#include <benchmark/benchmark.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>

#include "asl/asl.h"
#include "bench_machines.h"
#include "engine/engine.h"
#include "store/detail.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store.h"

using namespace riposte;

namespace {

using bench::EchoRunner;

std::string tempDb(const std::string& tag) {
  auto dir = std::filesystem::temp_directory_path() /
             ("riposte-durable-bench-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  auto p = dir / (tag + ".db");
  for (const char* ext : {"", "-wal", "-shm"}) std::filesystem::remove(p.string() + ext);
  return p.string();
}

struct Case {
  std::shared_ptr<const asl::StateMachine> machine;
  json::value input;
};

Case caseOf(int which) {
  switch (which) {
    case 0:
      return {bench::load(bench::passChain()), *parseJson(R"({"finding": {"id": "f-1"}})")};
    case 1:
      return {bench::load(bench::choiceHeavy()), bench::choiceInput()};
    default:
      return {bench::load(bench::map10k()), bench::map10kInput()};
  }
}

const char* caseName(int which) {
  return which == 0 ? "pass_chain_10" : which == 1 ? "choice_heavy" : "map_10000";
}

store::HistoryRecord toRecord(const std::string& id, const asl::HistoryEvent& e) {
  store::HistoryRecord h;
  h.execution_id = id;
  h.seq = e.id;
  h.previous_seq = e.previous_id;
  h.timestamp_ms = e.timestamp_ms;
  h.type = e.type;
  h.details = json::serialize(e.details);
  return h;
}

store::ExecutionRecord newRecord(const std::string& id, const std::string& incident,
                                 const json::value& input, int64_t now) {
  store::ExecutionRecord rec;
  rec.id = id;
  rec.incident_id = incident;
  rec.playbook = "bench";
  rec.definition = "{}";
  rec.input = json::serialize(input);
  rec.started_ms = now;
  rec.lease_owner = "bench";
  rec.lease_until_ms = now + 60'000;
  return rec;
}

std::unique_ptr<store::SqliteStore> openStore(const std::string& path, std::string& incident) {
  auto s = store::SqliteStore::open(path);
  if (!s) throw std::runtime_error(s.error().message);
  if (auto m = (*s)->migrate(); !m) throw std::runtime_error(m.error().message);
  store::IncidentRecord inc;
  inc.dedup_key = "bench";
  inc.created_ms = 1;
  auto u = (*s)->upsertIncident(inc, "");
  if (!u) throw std::runtime_error(u.error().message);
  incident = u->incident.id;
  return std::move(*s);
}

int64_t entered(const std::vector<asl::HistoryEvent>& events) {
  int64_t n = 0;
  for (const auto& e : events) n += e.type.ends_with("StateEntered") ? 1 : 0;
  return n;
}

// One execution at a time, one transaction per step: what Engine::runExecution does today.
void BM_DurablePerStep(benchmark::State& st) {
  const int which = static_cast<int>(st.range(0));
  Case c = caseOf(which);
  std::string incident;
  auto store = openStore(tempDb(std::string("per-step-") + caseName(which)), incident);
  EchoRunner runner;
  ManualClock clock(1'700'000'000'000);
  int64_t transitions = 0, executions = 0, steps = 0;
  std::vector<asl::HistoryEvent> events;
  std::vector<store::HistoryRecord> hist;
  for (auto _ : st) {
    // Creating the execution (its own transaction, when the event is processed) is not timed.
    st.PauseTiming();
    std::string id = "exec-" + std::to_string(executions++);
    auto rec = newRecord(id, incident, c.input, clock.nowMillis());
    asl::Execution exec(c.machine, c.input, {id, id, "bench", clock.nowMillis()});
    if (auto r = store->createExecution(rec, {}); !r) st.SkipWithError(r.error().message.c_str());
    st.ResumeTiming();
    while (exec.status() == asl::Status::Running) {
      events.clear();
      exec.step(runner, clock, events);
      hist.clear();
      for (const auto& e : events) hist.push_back(toRecord(id, e));
      rec.snapshot = json::serialize(exec.snapshot());
      rec.status = asl::statusName(exec.status());
      rec.wake_ms = exec.wakeAtMs();
      if (exec.status() != asl::Status::Running) {
        rec.ended_ms = clock.nowMillis();
        rec.output = json::serialize(exec.output());
      }
      if (auto r = store->recordStep(rec, hist); !r) {
        st.SkipWithError(r.error().message.c_str());
        return;
      }
      transitions += entered(events);
      ++steps;
    }
  }
  st.counters["transitions/s"] =
      benchmark::Counter(static_cast<double>(transitions), benchmark::Counter::kIsRate);
  st.counters["executions/s"] =
      benchmark::Counter(static_cast<double>(executions), benchmark::Counter::kIsRate);
  st.counters["commits/s"] =
      benchmark::Counter(static_cast<double>(steps), benchmark::Counter::kIsRate);
  st.SetLabel(caseName(which));
}
BENCHMARK(BM_DurablePerStep)
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond)
    ->MinTime(2.0)
    ->UseRealTime();
BENCHMARK(BM_DurablePerStep)->Arg(2)->Unit(benchmark::kMillisecond)->Iterations(1)->UseRealTime();

// --- the proposal: one transaction per drain pass over K executions ---

// The engine's own path: K executions created in the store as the engine creates them, then
// Engine::drain() claims them (batch of 64, as `riposte serve`) and runs them in rounds, each
// round's steps persisted in one transaction (Store::recordSteps), on SQLite in WAL mode with
// synchronous=FULL. Wall clock: the disk flushes count.
void BM_EngineDurable(benchmark::State& st) {
  const int which = static_cast<int>(st.range(0));
  const int k = static_cast<int>(st.range(1));
  Case c = caseOf(which);
  std::string def = which == 0   ? bench::passChain()
                    : which == 1 ? bench::choiceHeavy()
                                 : bench::map10k();
  int64_t transitions = 0, executions = 0, run = 0;
  for (auto _ : st) {
    st.PauseTiming();
    std::string path =
        tempDb(std::string("engine-") + caseName(which) + "-" + std::to_string(run++));
    auto store = store::openStore("sqlite://" + path);
    if (!store) {
      st.SkipWithError(store.error().message.c_str());
      return;
    }
    store::IncidentRecord inc;
    inc.dedup_key = "bench";
    inc.created_ms = 1;
    auto u = (*store)->upsertIncident(inc, "");
    ManualClock clock(1'700'000'000'000);
    for (int i = 0; i < k; ++i) {
      store::ExecutionRecord rec;
      rec.id = "exec-" + std::to_string(i);
      rec.incident_id = u->incident.id;
      rec.playbook = "bench";
      rec.definition = def;
      rec.status = "RUNNING";
      rec.input = json::serialize(c.input);
      rec.started_ms = rec.wake_ms = clock.nowMillis();
      if (auto r = (*store)->createExecution(rec, {}); !r) {
        st.SkipWithError(r.error().message.c_str());
        return;
      }
    }
    engine::Config config;
    engine::EngineOptions opt;
    opt.background = false;
    opt.worker_id = "bench";
    opt.batch = static_cast<int>(st.range(2));
    engine::Engine eng(config, std::move(*store), nullptr, clock, opt);
    if (auto r = eng.start(); !r) {
      st.SkipWithError(r.error().message.c_str());
      return;
    }
    st.ResumeTiming();
    if (auto r = eng.drain(); !r) {
      st.SkipWithError(r.error().message.c_str());
      return;
    }
    st.PauseTiming();
    auto counts = eng.store().executionCounts();
    int64_t succeeded = 0;
    if (counts)
      for (const auto& [status, n] : *counts) succeeded += status == "SUCCEEDED" ? n : 0;
    if (succeeded != k) {
      st.SkipWithError("not every execution succeeded");
      return;
    }
    // Transitions as Step Functions counts them: the states entered.
    for (int i = 0; i < k; ++i) {
      auto h = eng.store().history("exec-" + std::to_string(i));
      if (h)
        for (const auto& e : *h) transitions += e.type.ends_with("StateEntered") ? 1 : 0;
    }
    executions += k;
    st.ResumeTiming();
  }
  st.counters["transitions/s"] =
      benchmark::Counter(static_cast<double>(transitions), benchmark::Counter::kIsRate);
  st.counters["executions/s"] =
      benchmark::Counter(static_cast<double>(executions), benchmark::Counter::kIsRate);
  st.SetLabel(caseName(which));
}
BENCHMARK(BM_EngineDurable)
    ->Args({0, 1, 64})
    ->Args({0, 64, 64})
    ->Args({0, 1000, 64})
    ->Args({0, 1000, 256})
    ->Args({0, 1000, 1000})
    ->Args({1, 1000, 64})
    ->Args({1, 1000, 256})
    ->Args({2, 1, 64})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
