#pragma once
// Delivers the audit log to one sink at least once (STYLE.md item 8): reads from the sink's
// durable cursor in batches, sends, and advances the cursor only after a successful send. A
// sink that is down gets the same batch again after a capped exponential backoff, so it
// catches up when it returns. A batch the sink rejects as malformed ("SinkRejected") is split
// into single records; a single record it still rejects is logged with its seq, counted in
// `rejected`, and passed (never silently).

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sinks/sink.h"
#include "store/store.h"

namespace riposte::sinks {

struct SinkRunnerOptions {
  int batch_size = 100;
  // Several workers on one store: each sink is delivered by the one holding its lease
  // (Store::claimSinkLease), taken over when that worker stops renewing it. "" (one process):
  // no lease.
  std::string worker_id;
  std::chrono::milliseconds lease{15000};
  std::chrono::milliseconds poll_interval{500};    // idle wait when up to date
  std::chrono::milliseconds initial_backoff{250};  // after the first failure
  std::chrono::milliseconds max_backoff{30000};    // cap
};

struct SinkCounters {
  int64_t delivered = 0;  // records sent successfully
  int64_t batches = 0;    // successful send() calls
  int64_t failures = 0;   // failed send() attempts (SinkUnavailable or a store error)
  int64_t rejected = 0;   // records the sink refused as malformed (logged, passed)
  int64_t consecutive_failures = 0;
  std::string last_error;  // the latest failure ("" after a success)
};

// The status of one sink for /metrics.
struct SinkStatus {
  std::string name;
  int64_t cursor = 0;
  int64_t backlog = 0;  // auditHead − cursor (−1 when the store could not be read)
  SinkCounters counters;
};

// The wait before retry number `failures` (1-based): initial·2^(failures−1), capped.
std::chrono::milliseconds backoffFor(int64_t failures, const SinkRunnerOptions& opts);

// Thread-safety: runOnce() from one thread at a time (start() runs it on its own thread);
// backlog(), counters() and status() from any thread.
class SinkRunner {
 public:
  SinkRunner(std::shared_ptr<store::Store> store, std::unique_ptr<Sink> sink,
             SinkRunnerOptions opts = {});
  ~SinkRunner();  // stops the thread
  SinkRunner(const SinkRunner&) = delete;
  SinkRunner& operator=(const SinkRunner&) = delete;

  const std::string& name() const { return sink_->name(); }

  // Delivers at most one batch from the cursor. Returns the number of records the cursor
  // advanced over (0: up to date), or the error of the failed send/store call (the cursor
  // then has not moved).
  Result<int> runOnce();

  // Runs runOnce() on a thread until stop(): immediately again after a full batch, after
  // poll_interval when up to date, after backoffFor(consecutive failures) on an error.
  void start();
  // Stops the thread (interrupting its wait) and joins it. Idempotent.
  void stop();

  Result<int64_t> backlog();
  SinkCounters counters() const;
  SinkStatus status();

 private:
  Result<void> sendOrIsolate(const std::vector<AuditRecord>& batch);
  // A startsAtHead() sink without a cursor: placed at the log's end (once). The cursor.
  Result<int64_t> position();
  void noteFailure(const Error& e);
  void loop();

  std::shared_ptr<store::Store> store_;
  std::unique_ptr<Sink> sink_;
  SinkRunnerOptions opts_;
  mutable std::mutex mu_;  // guards counters_ and stop_
  std::condition_variable cv_;
  SinkCounters counters_;
  bool stop_ = false;
  bool leased_ = false;  // runOnce's thread: this worker holds the sink's lease
  std::thread thread_;
  bool positioned_ = false;  // a startsAtHead() sink's cursor was placed (runOnce's thread)
};

// Owns one SinkRunner per sink: the service `riposte serve` starts after the engine and stops
// before it. Thread-safe.
class SinkManager {
 public:
  SinkManager(std::shared_ptr<store::Store> store, std::vector<std::unique_ptr<Sink>> sinks,
              SinkRunnerOptions opts = {});
  // Borrows `store` (e.g. Engine::store()): it must outlive the manager, or stop() first.
  SinkManager(store::Store& store, std::vector<std::unique_ptr<Sink>> sinks,
              SinkRunnerOptions opts = {});
  ~SinkManager();  // stops
  void start();
  void stop();
  // Per sink, in configuration order.
  std::vector<SinkStatus> status();
  size_t size() const { return runners_.size(); }

 private:
  std::vector<std::unique_ptr<SinkRunner>> runners_;
};

// Prometheus text exposition of sink statuses (for GET /metrics): riposte_sink_backlog (gauge;
// a sink whose backlog could not be read is left out), riposte_sink_delivered_total,
// riposte_sink_failures_total, riposte_sink_rejected_total (counters), each labelled
// sink="<name>". Empty when there are no sinks.
std::string renderSinkMetrics(const std::vector<SinkStatus>& statuses);

}  // namespace riposte::sinks
