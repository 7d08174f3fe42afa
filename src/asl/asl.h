#pragma once
// Amazon States Language (JSONPath mode, plus the JSONata subset the conformance suite uses):
// validation, compilation and a resumable, step-by-step interpreter. Pure: no I/O. Tasks run
// through a TaskRunner; time comes from a Clock.
//
//   auto m = asl::StateMachine::load(definition, isKnownResource);   // Result<shared_ptr>
//   asl::Execution x(*m, input, {.execution_id = "exec-1"});
//   while (x.status() == asl::Status::Running) {
//     x.step(runner, clock, events);        // persist x.snapshot() + events here
//     if (x.wakeAtMs() > clock.nowMillis()) sleepUntil(x.wakeAtMs());
//   }

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/json.h"
#include "core/result.h"

namespace riposte::asl {

// One problem found in a definition. `path` is a JSONPath into the definition
// ("$.States.Isolate.Next"); `message` says what is wrong.
struct Diagnostic {
  std::string path;
  std::string message;
};

// Validates a definition (JSON value) without compiling it. `known_resource` (optional) says
// whether a Task Resource string is runnable; resources it rejects are diagnostics. Returns
// every problem found (empty = valid). Thread-safe.
std::vector<Diagnostic> validate(const json::value& definition,
                                 const std::function<bool(std::string_view)>& known_resource = {});

struct Machine;  // the compiled form (internal)

// A validated, compiled state machine. Immutable, shareable across threads.
class StateMachine {
 public:
  // Validates and compiles. On failure: Error{"InvalidDefinition", "path: message; …"} with
  // every diagnostic.
  static Result<std::shared_ptr<const StateMachine>> load(
      const json::value& definition,
      const std::function<bool(std::string_view)>& known_resource = {});

  const json::value& definition() const;
  // Internal: the compiled machine.
  const Machine& machine() const { return *machine_; }

  StateMachine() = default;
  ~StateMachine();

 private:
  std::unique_ptr<Machine> machine_;
  json::value definition_;
};

// What a Task state asks the runner to do.
struct TaskRequest {
  std::string resource;    // "riposte:aws.ec2.isolateInstance", "arn:aws:states:::…"
  json::value parameters;  // effective input after InputPath/Parameters
  json::value context;     // the Context object $$ at this point
  std::string state_name;
  int attempt = 0;  // 0 first try, then retries
  // The id of this attempt's TaskScheduled history event: unique within the execution (a Retry,
  // a loop back to the state or another Map iteration schedules anew, with a new id) and the
  // same when a restored snapshot runs the scheduled Task again. (execution id, this) names one
  // attempt durably, so a runner can tell a replay after a crash from a new attempt. 0 when
  // unknown (a snapshot taken before this field existed).
  int64_t scheduled_event_id = 0;
  std::optional<double> timeout_seconds, heartbeat_seconds;
};

// ok → output is the task result; else error/cause (States.* or the action's error code).
struct TaskResult {
  bool ok = true;
  json::value output;
  std::string error;
  std::string cause;
};

// Runs Task states. Called from the thread that drives the Execution.
class TaskRunner {
 public:
  virtual ~TaskRunner() = default;
  virtual TaskResult run(const TaskRequest& req) = 0;
};

// One history event, shaped like Step Functions' GetExecutionHistory events.
struct HistoryEvent {
  int64_t id = 0, previous_id = 0, timestamp_ms = 0;
  std::string type;      // ExecutionStarted, TaskStateEntered, TaskScheduled, TaskSucceeded, …
  json::object details;  // e.g. {"name": state, "input": "…", "output": "…", "error", "cause"}
};

enum class Status { Running, Succeeded, Failed, TimedOut, Aborted };
// "RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED".
const char* statusName(Status s);

struct ExecutionInfo {
  std::string execution_id;  // $$.Execution.Id (an ARN is made up when empty)
  std::string execution_name;
  std::string state_machine_name;
  int64_t start_ms = 0;  // 0 = the clock's time at the first step
};

struct Run;  // interpreter state (internal)

// Incremental snapshots (Execution::snapshotIncremental): values that stay the same over many
// steps — a large execution input, a running Map's or Parallel's input, a Map's finished
// results in chunks of 128 — are handed out once as blobs, and later snapshots refer
// to them by id. A blob never changes once handed out.
struct SnapshotBlob {
  std::string id;    // unique within the execution: "b1", "b2", …
  std::string json;  // the value, serialized
};
struct IncrementalSnapshot {
  json::value snapshot;             // small; refers to blobs by id
  std::vector<SnapshotBlob> blobs;  // new since the previous call: persist them with `snapshot`
};
// Returns the JSON text of a blob persisted with an earlier IncrementalSnapshot (nullopt: not
// found).
using BlobLookup = std::function<std::optional<std::string>(std::string_view id)>;

// A resumable interpreter instance. NOT thread-safe; one thread drives it. Movable.
class Execution {
 public:
  Execution(std::shared_ptr<const StateMachine> machine, json::value input, ExecutionInfo info);
  Execution(Execution&&) noexcept;
  Execution& operator=(Execution&&) noexcept;
  ~Execution();

  // Rebuilds an execution from snapshot() output (after a crash/restart). The machine must be
  // the one the snapshot was taken with.
  static Result<Execution> restore(std::shared_ptr<const StateMachine> machine,
                                   const json::value& snapshot);
  // Everything needed to continue from the current point (a JSON tree), self-contained.
  json::value snapshot() const;

  // What to persist after this step when earlier snapshots and blobs were persisted: a
  // snapshot whose size does not grow with a Map's items, plus the blobs not handed out by an
  // earlier call (each is handed out once). The caller persists both atomically; if that
  // fails it must drop this Execution and restore from what was persisted.
  IncrementalSnapshot snapshotIncremental();
  // Rebuilds an execution from snapshot() or snapshotIncremental() output; `blobs` resolves
  // the blobs an incremental snapshot refers to (every one persisted with it or before).
  static Result<Execution> restore(std::shared_ptr<const StateMachine> machine,
                                   const json::value& snapshot, const BlobLookup& blobs);

  // Advances by one step and appends the history events it produced. Steps are small: one
  // state transition; entering a Task state ends a step right after TaskScheduled (so the
  // caller can persist "scheduled" BEFORE the task runs); the next step runs the task via
  // `runner` and continues. A Wait or a Retry delay ends the step with wakeAtMs() set in the
  // future: the caller must not call step() before then. Never sleeps. Map/Parallel children
  // advance one at a time, round-robin. A no-op once status() is not Running.
  void step(TaskRunner& runner, const Clock& clock, std::vector<HistoryEvent>& out);

  Status status() const;
  // When the next step() may run (epoch ms); 0 or a past time = now.
  int64_t wakeAtMs() const;
  const json::value& output() const;
  const std::string& error() const;
  const std::string& cause() const;
  // Number of history events produced so far (the id of the last one).
  int64_t lastEventId() const;

 private:
  Execution() = default;
  std::shared_ptr<const StateMachine> machine_;
  std::unique_ptr<Run> root_;
  ExecutionInfo info_;
  json::value input_;
  json::value output_;
  std::string error_, cause_;
  Status status_ = Status::Running;
  int64_t wake_ms_ = 0;
  int64_t last_event_ = 0;
  bool started_ = false;
  int64_t next_blob_ = 0;   // incremental snapshots: the last blob id handed out
  std::string input_blob_;  // the blob holding input_ ("-": small, kept inline)
  friend struct Interp;
  friend struct SnapWriter;
};

// Convenience for `riposte execute`, tests and benchmarks: runs to the end, advancing a clock
// through waits (a ManualClock jumps, a SystemClock sleeps).
struct Outcome {
  Status status;
  json::value output;
  std::string error, cause;
  std::vector<HistoryEvent> history;
};
Outcome runToCompletion(std::shared_ptr<const StateMachine> machine, json::value input,
                        TaskRunner& runner, Clock& clock, ExecutionInfo info = {});

}  // namespace riposte::asl
