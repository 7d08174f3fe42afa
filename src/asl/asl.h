#pragma once
// Amazon States Language (JSONPath mode, plus the JSONata subset the conformance suite uses):
// validation, compilation and a resumable, step-by-step interpreter. Pure: no I/O. Tasks run
// through a TaskRunner; time comes from a Clock.
//
//   auto m = asl::StateMachine::load(definition, isKnownResource);   // Result<shared_ptr>
//   asl::Execution x(*m, input, {.execution_id = "exec-1"});
//   while (x.status() == asl::Status::Running && !x.awaitingCallback()) {
//     x.step(runner, clock, events);        // persist x.snapshot() + events here
//     if (x.wakeAtMs() > clock.nowMillis()) sleepUntil(x.wakeAtMs());
//   }
//   // later, from whoever received the token (see "Task tokens" below):
//   x.sendTaskSuccess(token, R"({"approved": true})", clock, events);   // persist again
//
// Task tokens (`.waitForTaskToken`, the Step Functions callback pattern), for the engine:
//   * A Task whose Resource ends in ".waitForTaskToken" gets a token for each attempt from
//     TaskRunner::newTaskToken() (default: 256 bits from OpenSSL's CSPRNG) when it is
//     scheduled; `$$.Task.Token` is that token while its Parameters are evaluated. The runner
//     is then called with the resource without the suffix (TaskRequest::resource,
//     wait_for_task_token = true, task_token) to start the work — publish the token somewhere;
//     its result is not the Task's result (history: TaskSubmitted). The run then waits in the
//     "callback" phase: no thread, no lease, nothing but its snapshot.
//   * Learning what waits: pendingTasks() lists every open token by its digest
//     (taskTokenDigest(): lowercase hex SHA-256 of the token), with its state, scheduled event
//     and deadlines; awaitingCallback() says nothing but a callback (or a callback's deadline)
//     can move the execution on. Diff pendingTasks() before and after each persisted step or
//     callback to keep a token table (digest → execution): a digest that disappeared was
//     closed (answered, timed out, or its branch was abandoned).
//   * Timeouts: wakeAtMs() includes every open token's deadline — TimeoutSeconds(Path) from
//     TaskStarted (99999999 s, Step Functions' default, when absent), HeartbeatSeconds(Path)
//     from TaskStarted or the last heartbeat. Schedule it as for a Wait state and call step()
//     when it is due: the Task fails with States.Timeout (TaskTimedOut in the history), as
//     Step Functions reports both expiries; "States.HeartbeatTimeout" in ErrorEquals matches
//     the heartbeat one.
//   * Callbacks: restore the execution the digest maps to and call sendTaskSuccess /
//     sendTaskFailure / sendTaskHeartbeat with the token as received; persist the snapshot
//     and the events they appended exactly as after a step, then go on stepping from
//     wakeAtMs() as after any step (now, or a Retry's delay). A heartbeat appends no event but
//     moves wakeAtMs(): persist and re-arm the timer. One at a time per execution, like
//     step(). An error (InvalidToken, TaskDoesNotExist, TaskTimedOut, InvalidOutput — Step
//     Functions' names) changes nothing: nothing to persist.
//   * Secrets: the snapshot keeps only digests, except while an attempt is scheduled and not
//     yet started (one step: the parameters holding the token must survive a crash so the
//     replayed attempt publishes the same token). History events show the token of an open
//     task as "<task token sha256:…>" (TaskScheduled parameters, TaskSubmitted output): history
//     is exported; a token is a bearer credential until closed, then worthless (single use).

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
  // What to run: the Task's Resource ("riposte:aws.ec2.isolateInstance", "arn:aws:states:::…"),
  // without a ".waitForTaskToken" suffix (that is wait_for_task_token).
  std::string resource;
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
  // A `.waitForTaskToken` Task: run() starts the work (e.g. publishes task_token, which is also
  // `$$.Task.Token` in `parameters` and `context`) and returns; its output goes to the
  // TaskSubmitted event only. The execution then waits for a callback with the token; the
  // interpreter enforces timeout_seconds / heartbeat_seconds itself, from TaskStarted.
  // `riposte:approval` waits the same way without the suffix: its runner keeps the token (it is
  // not in `parameters`) and answers it when the approval is decided.
  bool wait_for_task_token = false;
  std::string task_token;
  // This attempt was approved through the approval gate (TaskResult::gate_token): a person
  // decided that it may act. The runner must not ask again.
  bool approved = false;
};

// ok → output is the task result; else error/cause (States.* or the action's error code).
struct TaskResult {
  bool ok = true;
  json::value output;
  std::string error;
  std::string cause;
  // ok, and the work was not done: the runner asked a person first (the approval gate) and the
  // attempt waits, durably and without a thread, on this token (a fresh one from
  // newTaskToken; `output` goes to the TaskSubmitted event). SendTaskSuccess on it runs the
  // same attempt again (same scheduled_event_id) with TaskRequest::approved; SendTaskFailure
  // fails the Task with its error and stops the execution like `final` below.
  std::string gate_token;
  // !ok: a person's decision (a deny): no Retrier or Catcher applies, in this state or any
  // Parallel or Map around it; the execution fails with the error.
  bool final = false;
};

// Runs Task states. Called from the thread that drives the Execution.
class TaskRunner {
 public:
  virtual ~TaskRunner() = default;
  virtual TaskResult run(const TaskRequest& req) = 0;
  // The token of a `.waitForTaskToken` attempt, asked for when the attempt is scheduled (its
  // Parameters not yet evaluated): `req` names it (resource, state_name, attempt,
  // scheduled_event_id; no parameters, no context). It must be unguessable (at least 128 bits from
  // a CSPRNG, or derived from such a secret) and well-formed (wellFormedTaskToken); an error, or a
  // malformed token, fails the Task with States.Runtime (nothing is published). Default: 32 bytes
  // from OpenSSL's RAND_bytes, base64url without padding (43 characters). Tests override it to be
  // deterministic.
  virtual Result<std::string> newTaskToken(const TaskRequest& req);
};

// Task tokens: 1 to 2048 characters (SendTaskSuccess's limit) of A-Z a-z 0-9 - _ . ~ + / = :
// (so that they appear verbatim in JSON text). Anything else is InvalidToken.
bool wellFormedTaskToken(std::string_view token);
// What identifies a token without revealing it: the lowercase hex SHA-256 of its bytes (64
// characters). Snapshots and pendingTasks() hold this; a token table should too.
std::string taskTokenDigest(std::string_view token);

// An open `.waitForTaskToken` attempt (Execution::pendingTasks()).
struct PendingTask {
  std::string token_digest;  // taskTokenDigest(token)
  std::string state_name;
  std::string resource;  // as written, with its ".waitForTaskToken" suffix
  int64_t scheduled_event_id = 0;
  // false: scheduled, the runner not yet called (a callback is kept until it is started).
  bool started = false;
  int64_t timeout_at_ms = 0;    // started: when States.Timeout is raised
  int64_t heartbeat_at_ms = 0;  // started with HeartbeatSeconds: unless a heartbeat comes first
  int64_t heartbeat_ms = 0;     // started: HeartbeatSeconds in ms (0: none); a heartbeat at t
                                // moves heartbeat_at_ms to t + heartbeat_ms
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

  // --- `.waitForTaskToken` callbacks (see "Task tokens" at the top) --------------------------
  // Every open token, depth-first (Parallel branches and Map iterations in index order).
  std::vector<PendingTask> pendingTasks() const;
  // Running, and nothing but a callback — or the deadline of one (wakeAtMs()) — can move it on.
  bool awaitingCallback() const;
  // Step Functions' SendTaskSuccess: the Task succeeds with `output_json` (JSON text) as its
  // result — TaskSucceeded, then ResultSelector / ResultPath / OutputPath (JSONata: Output,
  // Assign) and the next state, as for a task result. `clock` stamps the events appended to
  // `out`. Errors (Error::code; nothing changes): "InvalidToken" (not wellFormedTaskToken),
  // "TaskDoesNotExist" (no token of this execution), "TaskTimedOut" (its task timed out, was
  // answered already or abandoned, the execution ended or passed its TimeoutSeconds: "the
  // task token has either expired or the task associated with the token has already been
  // closed"), "InvalidOutput" (not JSON). A token scheduled but not yet started (a restore
  // after a crash before the runner's call was persisted) takes the callback: it applies once
  // the runner has started the attempt again. API length limits (output ≤ 262144 bytes, error
  // ≤ 256, cause ≤ 32768 characters) are the endpoint's to enforce (ValidationException).
  Result<void> sendTaskSuccess(std::string_view token, std::string_view output_json,
                               const Clock& clock, std::vector<HistoryEvent>& out);
  // SendTaskFailure: the Task fails with `error` / `cause` (TaskFailed), through Retry and
  // Catch like any task failure ("States.TaskFailed" matches it). Absent (nullopt) fields are
  // null in the error output, as Step Functions gives them. Errors as sendTaskSuccess.
  Result<void> sendTaskFailure(std::string_view token, std::optional<std::string_view> error,
                               std::optional<std::string_view> cause, const Clock& clock,
                               std::vector<HistoryEvent>& out);
  // SendTaskHeartbeat: restarts the HeartbeatSeconds clock (no history event, as in Step
  // Functions; wakeAtMs() moves). Errors as sendTaskSuccess but InvalidOutput.
  Result<void> sendTaskHeartbeat(std::string_view token, const Clock& clock);
  // The same three, naming the task by its token's digest (taskTokenDigest) instead of the
  // token, for a caller that keeps callbacks durably and no token in clear: it checked
  // wellFormedTaskToken when it received the token. A digest that is not 64 characters is
  // InvalidToken; the other errors are the token versions'.
  Result<void> taskSucceeded(const std::string& digest, std::string_view output_json,
                             const Clock& clock, std::vector<HistoryEvent>& out);
  Result<void> taskFailed(const std::string& digest, std::optional<std::string_view> error,
                          std::optional<std::string_view> cause, const Clock& clock,
                          std::vector<HistoryEvent>& out);
  Result<void> taskHeartbeat(const std::string& digest, const Clock& clock);

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
  // Tokens of this execution that were closed, most recent last (the first 32 hex digits of
  // their digests; at most kClosedTokens): a late callback gets TaskTimedOut, not
  // TaskDoesNotExist.
  std::vector<std::string> closed_tokens_;
  friend struct Interp;
  friend struct SnapWriter;
};

// Convenience for `riposte execute`, tests and benchmarks: runs to the end, advancing a clock
// through waits (a ManualClock jumps, a SystemClock sleeps). Returns early, status Running,
// when the execution awaits a callback (nobody here can send one).
struct Outcome {
  Status status;
  json::value output;
  std::string error, cause;
  std::vector<HistoryEvent> history;
};
Outcome runToCompletion(std::shared_ptr<const StateMachine> machine, json::value input,
                        TaskRunner& runner, Clock& clock, ExecutionInfo info = {});

}  // namespace riposte::asl
