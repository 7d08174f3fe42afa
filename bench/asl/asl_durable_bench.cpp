// Durable interpreter throughput with SQLite: the interpreter stepped exactly as
// Engine::runExecution does (after every step: snapshot serialized, then Store::recordStep
// with the step's history events, before the next step), on a file database in WAL mode with
// synchronous=FULL (as SqliteStore opens it). Machines: the 10-state Pass chain, the
// Choice-heavy machine and a Map over 10,000 items (bench_machines.h).
//
// "transitions" counts the states entered (the *StateEntered history events), which is how
// Step Functions counts state transitions.
//
// BM_DurableGrouped measures the proposed engine/store change (docs/playbooks.md, "Durable
// throughput"): the steps of K executions of one drain pass written in ONE transaction
// (still each step persisted before that execution's next step). The Store has no batch call
// yet, so it writes the same rows with the same statements as SqliteStore::recordStep
// (UPDATE executions … WHERE lease_owner, INSERT history, SELECT the execution, INSERT
// audit_log) through its own connection to a database SqliteStore created and migrated.
//
// BM_DurableMapSnapshot: the Map over 10,000 items committed per step with the self-contained
// snapshot vs the incremental one (its blobs in a table this benchmark creates).
#include <benchmark/benchmark.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>

#include "asl/asl.h"
#include "bench_machines.h"
#include "store/detail.h"
#include "store/sqlite/sqlite_store.h"

using namespace riposte;

namespace {

class EchoRunner final : public asl::TaskRunner {
 public:
  asl::TaskResult run(const asl::TaskRequest& req) override {
    asl::TaskResult r;
    r.output = req.parameters;
    return r;
  }
};

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

class Db {
 public:
  Db(const std::string& path, bool full_sync) {
    if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) throw std::runtime_error("open");
    exec("PRAGMA journal_mode = WAL");
    exec(full_sync ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
    exec("PRAGMA foreign_keys = ON");
    update_ = prepare(
        "UPDATE executions SET status = ?3, output = ?4, error = ?5, cause = ?6, snapshot = ?7, "
        "wake_ms = ?8, ended_ms = ?9, lease_until_ms = ?10 WHERE id = ?1 AND lease_owner = ?2");
    history_ = prepare(
        "INSERT INTO history (execution_id, seq, previous_seq, timestamp_ms, type, details) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    select_ = prepare("SELECT incident_id FROM executions WHERE id = ?1");
    audit_ = prepare("INSERT INTO audit_log (time_ms, kind, json) VALUES (?1, ?2, ?3)");
    // The blob table the incremental snapshots need (docs/playbooks.md, "Incremental
    // snapshots"); the store does not have it yet.
    exec(
        "CREATE TABLE IF NOT EXISTS snapshot_blobs (execution_id TEXT NOT NULL, id TEXT NOT NULL, "
        "json TEXT NOT NULL, PRIMARY KEY (execution_id, id))");
    blob_ = prepare(
        "INSERT OR IGNORE INTO snapshot_blobs (execution_id, id, json) VALUES (?1, ?2, ?3)");
  }
  ~Db() {
    for (auto* s : {update_, history_, select_, audit_, blob_}) sqlite3_finalize(s);
    sqlite3_close(db_);
  }
  void exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      std::string m = err ? err : "?";
      sqlite3_free(err);
      throw std::runtime_error(m);
    }
  }
  void recordBlobs(const std::string& id, const std::vector<asl::SnapshotBlob>& blobs) {
    for (const auto& b : blobs) {
      bind(blob_, 1, id);
      bind(blob_, 2, b.id);
      bind(blob_, 3, b.json);
      run(blob_);
    }
  }
  // The body of SqliteStore::recordStep, without its BEGIN/COMMIT.
  void recordStep(const store::ExecutionRecord& rec, const std::vector<store::HistoryRecord>& hs) {
    bind(update_, 1, rec.id);
    bind(update_, 2, rec.lease_owner);
    bind(update_, 3, rec.status);
    bind(update_, 4, rec.output);
    bind(update_, 5, rec.error);
    bind(update_, 6, rec.cause);
    bind(update_, 7, rec.snapshot);
    sqlite3_bind_int64(update_, 8, rec.wake_ms);
    sqlite3_bind_int64(update_, 9, rec.ended_ms);
    sqlite3_bind_int64(update_, 10, rec.lease_until_ms);
    run(update_);
    if (sqlite3_changes(db_) != 1) throw std::runtime_error("LeaseLost");
    for (const auto& h : hs) {
      bind(history_, 1, rec.id);
      sqlite3_bind_int64(history_, 2, h.seq);
      sqlite3_bind_int64(history_, 3, h.previous_seq);
      sqlite3_bind_int64(history_, 4, h.timestamp_ms);
      bind(history_, 5, h.type);
      bind(history_, 6, h.details);
      run(history_);
    }
    if (hs.empty()) return;
    bind(select_, 1, rec.id);
    std::string incident;
    if (sqlite3_step(select_) == SQLITE_ROW) {
      incident = reinterpret_cast<const char*>(sqlite3_column_text(select_, 0));
    }
    sqlite3_reset(select_);
    for (const auto& h : hs) {
      auto e = store::detail::auditStep(rec.id, incident, h);
      sqlite3_bind_int64(audit_, 1, e.time_ms);
      bind(audit_, 2, e.kind);
      bind(audit_, 3, e.json);
      run(audit_);
    }
  }

 private:
  sqlite3_stmt* prepare(const char* sql) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db_, sql, -1, &s, nullptr) != SQLITE_OK) {
      throw std::runtime_error(sqlite3_errmsg(db_));
    }
    return s;
  }
  static void bind(sqlite3_stmt* s, int i, const std::string& v) {
    sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  void run(sqlite3_stmt* s) {
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) throw std::runtime_error(sqlite3_errmsg(db_));
  }
  sqlite3* db_ = nullptr;
  sqlite3_stmt *update_ = nullptr, *history_ = nullptr, *select_ = nullptr, *audit_ = nullptr,
               *blob_ = nullptr;
};

// K executions advanced round-robin, one step each per pass; each pass is one transaction.
// Args: machine, K, synchronous (1 = FULL as SqliteStore opens it, 0 = NORMAL: in WAL mode a
// process crash (kill -9) loses nothing, an OS crash or power loss may lose the last commits).
void BM_DurableGrouped(benchmark::State& st) {
  const int which = static_cast<int>(st.range(0));
  const int k = static_cast<int>(st.range(1));
  const bool full_sync = st.range(2) != 0;
  Case c = caseOf(which);
  std::string incident;
  std::string path = tempDb(std::string("grouped-") + caseName(which));
  auto store = openStore(path, incident);
  Db db(path, full_sync);
  EchoRunner runner;
  ManualClock clock(1'700'000'000'000);
  int64_t transitions = 0, executions = 0, passes = 0;
  struct Live {
    store::ExecutionRecord rec;
    asl::Execution exec;
  };
  std::vector<asl::HistoryEvent> events;
  std::vector<store::HistoryRecord> hist;
  for (auto _ : st) {
    // Creating the executions (one transaction each, when their events are processed) is
    // not timed.
    st.PauseTiming();
    std::vector<Live> live;
    for (int i = 0; i < k; ++i) {
      std::string id = "exec-" + std::to_string(executions++);
      auto rec = newRecord(id, incident, c.input, clock.nowMillis());
      if (auto r = store->createExecution(rec, {}); !r) {
        st.SkipWithError(r.error().message.c_str());
        return;
      }
      live.push_back({rec, asl::Execution(c.machine, c.input, {id, id, "bench", 1})});
    }
    st.ResumeTiming();
    size_t running = live.size();
    while (running > 0) {
      db.exec("BEGIN IMMEDIATE");
      for (auto& l : live) {
        if (l.exec.status() != asl::Status::Running) continue;
        events.clear();
        l.exec.step(runner, clock, events);
        hist.clear();
        for (const auto& e : events) hist.push_back(toRecord(l.rec.id, e));
        l.rec.snapshot = json::serialize(l.exec.snapshot());
        l.rec.status = asl::statusName(l.exec.status());
        l.rec.wake_ms = l.exec.wakeAtMs();
        if (l.exec.status() != asl::Status::Running) {
          l.rec.ended_ms = clock.nowMillis();
          l.rec.output = json::serialize(l.exec.output());
          --running;
        }
        db.recordStep(l.rec, hist);
        transitions += entered(events);
      }
      db.exec("COMMIT");
      ++passes;
    }
  }
  st.counters["transitions/s"] =
      benchmark::Counter(static_cast<double>(transitions), benchmark::Counter::kIsRate);
  st.counters["executions/s"] =
      benchmark::Counter(static_cast<double>(executions), benchmark::Counter::kIsRate);
  st.counters["commits/s"] =
      benchmark::Counter(static_cast<double>(passes), benchmark::Counter::kIsRate);
  st.SetLabel(std::string(caseName(which)) + (full_sync ? " sync=FULL" : " sync=NORMAL"));
}
BENCHMARK(BM_DurableGrouped)
    ->Args({0, 1, 1})
    ->Args({0, 64, 1})
    ->Args({1, 64, 1})
    ->Args({0, 256, 1})
    ->Args({1, 256, 1})
    ->Args({0, 1024, 1})
    ->Args({0, 1, 0})
    ->Args({1, 1, 0})
    ->Args({0, 64, 0})
    ->Args({1, 64, 0})
    ->Unit(benchmark::kMillisecond)
    ->MinTime(2.0)
    ->UseRealTime();

// The Map over 10,000 items, one transaction per step (as the engine commits), with the
// self-contained snapshot (arg 0 = 0: what the engine writes today) or the incremental one
// plus its new blobs in the same transaction (arg 0 = 1: what the engine would write with the
// API in docs/playbooks.md). Arg 1: synchronous FULL (1) or NORMAL (0).
void BM_DurableMapSnapshot(benchmark::State& st) {
  const bool incremental = st.range(0) != 0;
  const bool full_sync = st.range(1) != 0;
  Case c = caseOf(2);
  std::string incident;
  std::string path = tempDb(std::string("map-") + (incremental ? "incremental" : "full"));
  auto store = openStore(path, incident);
  Db db(path, full_sync);
  EchoRunner runner;
  ManualClock clock(1'700'000'000'000);
  int64_t steps = 0, bytes = 0, executions = 0;
  std::vector<asl::HistoryEvent> events;
  std::vector<store::HistoryRecord> hist;
  for (auto _ : st) {
    st.PauseTiming();
    std::string id = "exec-" + std::to_string(executions++);
    auto rec = newRecord(id, incident, c.input, clock.nowMillis());
    if (auto r = store->createExecution(rec, {}); !r) {
      st.SkipWithError(r.error().message.c_str());
      return;
    }
    asl::Execution exec(c.machine, c.input, {id, id, "bench", 1});
    st.ResumeTiming();
    while (exec.status() == asl::Status::Running) {
      events.clear();
      exec.step(runner, clock, events);
      hist.clear();
      for (const auto& e : events) hist.push_back(toRecord(id, e));
      std::vector<asl::SnapshotBlob> blobs;
      if (incremental) {
        asl::IncrementalSnapshot inc = exec.snapshotIncremental();
        rec.snapshot = json::serialize(inc.snapshot);
        blobs = std::move(inc.blobs);
      } else {
        rec.snapshot = json::serialize(exec.snapshot());
      }
      rec.status = asl::statusName(exec.status());
      rec.wake_ms = exec.wakeAtMs();
      if (exec.status() != asl::Status::Running) {
        rec.ended_ms = clock.nowMillis();
        rec.output = json::serialize(exec.output());
      }
      db.exec("BEGIN IMMEDIATE");
      db.recordStep(rec, hist);
      db.recordBlobs(id, blobs);
      db.exec("COMMIT");
      bytes += static_cast<int64_t>(rec.snapshot.size());
      for (const auto& b : blobs) bytes += static_cast<int64_t>(b.json.size());
      ++steps;
    }
  }
  st.counters["steps/s"] =
      benchmark::Counter(static_cast<double>(steps), benchmark::Counter::kIsRate);
  st.counters["snapshot_bytes_per_step"] =
      steps ? static_cast<double>(bytes) / static_cast<double>(steps) : 0.0;
  st.SetLabel(std::string("map_10000 ") + (incremental ? "incremental" : "self-contained") +
              (full_sync ? " sync=FULL" : " sync=NORMAL"));
}
BENCHMARK(BM_DurableMapSnapshot)
    ->Args({0, 0})
    ->Args({1, 0})
    ->Args({0, 1})
    ->Args({1, 1})
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
