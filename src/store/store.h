#pragma once
// The durable store: every arrow of the data flow that crosses a box is a record here
// first (ARCHITECTURE.md). `Store` is the interface; `sqlite/` and `postgres/` implement it.
//
// Thread-safety: every method may be called from any thread; implementations serialise
// internally where their backend needs it. Every method is atomic: either all of its
// writes are durable when it returns success, or none is.
//
// Error codes: "InvalidArgument" (empty id, unknown event status, negative limit),
// "NotFound" (no such row, or a reference to a missing incident/execution), "Conflict" (an id
// already used), "LeaseLost" (recordStep), "StoreBusy" (another process held the database
// past the busy timeout), "StoreUnavailable" (PostgreSQL unreachable), "StoreError" (anything
// else from the backend), "InvalidStoreUrl" (openStore).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/result.h"

namespace riposte::store {

// An accepted event, exactly as it will be matched (the EventBridge envelope).
// A value an incremental execution snapshot refers to by id (see asl::SnapshotBlob).
struct SnapshotBlobRecord {
  std::string id;
  std::string json;
};

// Spare capacity (bytes) after EventRecord::body as the stores read it: enough for the pattern
// matcher to parse the body in place (pattern::RuleSet::matchPadded), without a copy.
inline constexpr std::size_t kBodySpare = 64;

struct EventRecord {
  std::string id;           // the event's "id" (EventBridge envelope id); primary key
  int64_t received_ms = 0;  // when riposte accepted it
  std::string source;       // "aws.guardduty"
  std::string detail_type;  // "GuardDuty Finding"
  std::string account;
  std::string region;
  std::string body;                        // the full event JSON (kBodySpare spare when read)
  std::string channel;                     // "http", "putevents", "sqs", "file"
  std::string status = "pending";          // pending | processed | failed | suppressed
  std::string error;                       // why processing failed (status == failed)
  std::vector<std::string> matched_rules;  // names of the rules it matched (after processing)
  std::string suppression;                 // the suppression that silenced it (suppressed)
};

// One incident per (resource, finding): repeats of the same finding attach to it.
struct IncidentRecord {
  std::string id;         // "inc-…"
  std::string dedup_key;  // unique: "<account>/<region>/<resource id>/<finding type or id>"
  std::string account;
  std::string region;
  std::string resource_type;  // "Instance", "AccessKey", …
  std::string resource_id;    // "i-0abc…", "AKIA…"
  std::string finding_id;
  std::string finding_type;  // "UnauthorizedAccess:EC2/SSHBruteForce"
  double severity = 0;
  std::string title;
  std::string rule;      // the rule that opened it
  std::string playbook;  // the playbook it runs ("" when the rule only records)
  // open | responding | contained | notified | recorded | failed | released
  std::string status = "open";
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
  int64_t event_count = 0;
  std::string first_event_id;
};

// One playbook run.
struct ExecutionRecord {
  std::string id;  // "exec-…"
  std::string incident_id;
  std::string playbook;    // playbook name
  std::string definition;  // the ASL JSON it runs (pinned: a config reload does not change it)
  std::string status = "RUNNING";  // RUNNING | SUCCEEDED | FAILED | TIMED_OUT | ABORTED
  std::string input;               // JSON
  std::string output;              // JSON (when SUCCEEDED)
  std::string error;
  std::string cause;
  std::string snapshot;  // interpreter state to resume from (JSON)
  int64_t wake_ms = 0;   // do not run before this time (durable timers: Wait, Retry delays)
  int64_t started_ms = 0;
  int64_t ended_ms = 0;
  bool dry_run = false;
  // Lease: which worker is running it until when (several workers share a store).
  std::string lease_owner;
  int64_t lease_until_ms = 0;
};

// One entry of an execution's history, shaped like Step Functions' GetExecutionHistory.
struct HistoryRecord {
  std::string execution_id;
  int64_t seq = 0;  // 1, 2, 3, … per execution (the event "id")
  int64_t previous_seq = 0;
  int64_t timestamp_ms = 0;
  std::string type;     // "TaskStateEntered", "TaskScheduled", "TaskSucceeded", …
  std::string details;  // JSON object
};

// One response action call, with what it changed.
struct ActionRecord {
  std::string id;  // "act-…"
  std::string incident_id;
  std::string execution_id;
  std::string state_name;  // the Task state that called it
  std::string action;      // "aws.ec2.isolateInstance"
  // planned | running | succeeded | unchanged | failed | dry_run | released
  std::string status = "running";
  std::string input;   // JSON
  std::string before;  // JSON: the state it found
  std::string after;   // JSON: the state it left
  std::string output;  // JSON
  std::string error_code;
  std::string error_message;
  std::string summary;  // one line for humans: "moved i-… from [sg-a, sg-b] to sg-q"
  bool changed = false;
  int64_t started_ms = 0;
  int64_t ended_ms = 0;
};

// A suppression created at run time (API, CLI). The store keeps the policy's JSON opaque
// (policy::suppressionJson's form); `name` is its key.
struct SuppressionRecord {
  std::string name;
  std::string json;
  int64_t created_ms = 0;
  std::string created_by;
};

// One entry of the audit log: what happened, in the order it was committed. Written in the same
// transaction as the records it describes, so it never misses or invents one. `seq` grows
// strictly in commit order (1, 2, 3, …; a reader that has seen seq N never later sees a smaller
// new one), which makes "everything after my cursor" a complete read.
//
// kind and json (an object):
//   incident.opened / incident.event  {"incident":{…every IncidentRecord field…},"event_id":…}
//   incident.status                   {"incident":{…}} (after the change), "by" and "reason"
//                                      when a person made it (a release)
//   execution.started                 {"execution_id","incident_id","playbook","status","dry_run"}
//   execution.step                    {"execution_id","incident_id","seq","type","details":{…}}
//   action.finished                   {"action_id","incident_id","execution_id","state_name",
//                                      "action","status","changed","before","after","summary",
//                                      "error_code","error_message","started_ms","ended_ms"}
//   suppression.created               {"name","by","reason","suppression":{…}} (who, when, why)
//   suppression.deleted               {"name","by","reason","suppression":{…}}
//   limit.refused                     {"action_id","execution_id","incident_id","action",
//                                      "reason":"limit"|"breaker","limit","key","count","max",
//                                      "breaker_count"}
//   breaker.opened                    {"execution_id","incident_id","action","count",
//                                      "threshold","window_ms","reason"}
//   breaker.closed                    {"closed_by","reason"}
//   approval.requested                {"approvalId","incident_id","execution_id","state",
//                                      "approval":<policy::approvalJson>, "incident":
//                                      {title, severity, finding_type, resource_type,
//                                      resource_id, account, region}} (never its signed
//                                      links: engine::ApprovalGate::linksOf makes them again)
//   approval.vote / approval.decided  {"approvalId","incident_id","execution_id","approver",
//                                      "decision","reason","status","decidedBy", "via" ("link"
//                                      when a signed link cast it)}
//   task.callback                     {"execution_id","incident_id","state","kind",
//                                      "token":"sha256:<first 12 hex digits of the digest>",
//                                      "error" (failure, when given)}
// time_ms is the time of the fact itself (incident update, event timestamp, action end).
struct AuditRecord {
  int64_t seq = 0;
  int64_t time_ms = 0;
  std::string kind;
  std::string json;
};

// --- blast-radius limits and the breaker (policy/limits.h decides; the store counts) ---

// One counter a destructive action takes a place in: at most `max` places whose time is within
// the last `window_ms` (a sliding window).
struct LimitCounter {
  std::string limit;  // the limit's name
  std::string key;    // "account=123456789012", "global", …
  int64_t window_ms = 0;
  int64_t max = 0;  // >= 0 (a share cap of a small fleet may allow none)
};

struct BreakerSettings {
  int64_t threshold = 0;  // opens when more than this many executions attempted …
  int64_t window_ms = 0;  // … a destructive action within this window (since it last closed)
};

// What reserveLimits is asked: the places of one action attempt (its action record's id).
struct LimitRequest {
  std::string action_id;  // the attempt's action record id; the places are held under it
  std::string execution_id, incident_id;
  std::string action;  // "aws.ec2.isolateInstance" (for the audit log)
  int64_t now_ms = 0;
  std::vector<LimitCounter> counters;      // in the order the limits are configured
  std::optional<BreakerSettings> breaker;  // nullopt: no breaker configured
};

struct LimitGrant {
  bool granted = false;
  // The places were taken before under this action id (an attempt run again after a crash):
  // granted without counting again.
  bool already = false;
  // Refused by a limit: the first (in request order) that is full, with its count and most.
  std::string limit, key;
  int64_t count = 0, max = 0;
  bool breaker_open = false;    // refused because the breaker is open
  bool breaker_opened = false;  // this request opened it (the one alert is this caller's)
  int64_t breaker_count = 0;    // executions counted in the breaker's window
};

struct BreakerState {
  bool open = false;
  int64_t opened_ms = 0;
  std::string opened_reason;
  int64_t closed_ms = 0;  // the last close by a person (0: never)
  std::string closed_by, closed_reason;
};

// --- task tokens (`.waitForTaskToken`, the Step Functions callback pattern) ---
//
// A token is a bearer credential: the store never holds one, only its digest
// (asl::taskTokenDigest, 64 lowercase hex digits). The engine writes each execution's open
// tokens with the step that opens, starts or closes them (StepRef::tokens); a callback
// (SendTaskSuccess / Failure / Heartbeat) is accepted into a durable inbox against that table
// (acceptTaskCallback) and applied to the execution, exactly once, by the step that deletes it
// (StepRef::callbacks_applied).
struct TaskTokenRecord {
  std::string digest;
  std::string execution_id;
  std::string state_name;
  // open: takes callbacks | answered: a SendTaskSuccess/Failure was accepted, not yet applied |
  // closed: answered and applied, timed out or abandoned (a late callback gets TaskTimedOut).
  std::string status = "open";
  bool started = false;         // false: scheduled, its work not yet started
  int64_t created_ms = 0;       // when it was first written
  int64_t timeout_at_ms = 0;    // started: when States.Timeout is raised
  int64_t heartbeat_at_ms = 0;  // started with HeartbeatSeconds: unless a heartbeat comes first
  int64_t heartbeat_ms = 0;     // HeartbeatSeconds in ms (0: none)
  int64_t closed_ms = 0;
};

// One callback accepted for an open token, waiting to be applied.
struct TaskCallbackRecord {
  int64_t seq = 0;           // order of acceptance (set by acceptTaskCallback)
  std::string execution_id;  // set by acceptTaskCallback from the token's row
  std::string token_digest;
  std::string state_name;                   // set by acceptTaskCallback from the token's row
  std::string kind;                         // success | failure | heartbeat
  std::string output;                       // success: JSON text
  std::optional<std::string> error, cause;  // failure (absent fields stay absent)
  int64_t received_ms = 0;
};

// --- approval requests (`riposte:approval`, the approval gate; policy/approval.h decides) ---
// One per approval Task attempt: which waiting task it answers (the digest of its token, never
// the token), its status, whether its decision was handed to the task (delivered), and the
// whole request and its votes as JSON (policy::approvalJson). `version` orders the writes: an
// update names the version it read.
struct ApprovalRecord {
  std::string id;
  std::string incident_id, execution_id, state_name;
  std::string token_digest;
  std::string status = "pending";  // pending | approved | denied
  bool delivered = false;          // decided and the task's callback accepted
  int64_t created_ms = 0, deadline_ms = 0;
  std::string json;
  int64_t version = 0;
};

// The last good copy of a remote threat-intelligence list (an S3 object or an HTTPS URL), kept
// so that a restart, or another worker on the same store, starts from it while the source is
// unreachable, and asks the source with the copy's validators (a 304 keeps it).
struct ThreatListCopy {
  std::string list;                 // the list's name
  std::string fetch_key;            // policy::ThreatListConfig::fetchKey() of what read it
  std::string entries;              // the parsed entries, one CIDR a line
  int64_t bad_lines = 0;            // lines of the source that were not addresses
  std::string etag, last_modified;  // the source's validators
  int64_t fetched_ms = 0;           // read or confirmed current then
};

class Store {
 public:
  virtual ~Store() = default;

  // Creates or upgrades the schema. Idempotent.
  virtual Result<void> migrate() = 0;
  // A cheap round trip (for /readyz).
  virtual Result<void> ping() = 0;

  // --- events (the durable inbox) ---
  // Inserts all events in one transaction. Returns, per event, true if stored and false if an
  // event with the same id was already stored (a duplicate delivery; nothing changes).
  virtual Result<std::vector<bool>> insertEvents(const std::vector<EventRecord>& events) = 0;
  virtual Result<std::optional<EventRecord>> getEvent(const std::string& id) = 0;
  // Up to `limit` events with status "pending", oldest first.
  virtual Result<std::vector<EventRecord>> pendingEvents(int limit) = 0;
  // kWithNextFlush: the commit is not flushed to disk by itself: it survives a crash of the
  // process at once, and a power loss once the next flushed commit is made (in WAL order a
  // flushed commit hardens every commit before it). For what riposte derives from what it
  // already holds durably — processing an accepted event, the steps of an execution, the
  // status an execution's end gives its incident — and never for what it acknowledges or
  // does outside (accepting events, recording an action before it acts, a sink's cursor).
  enum class Flush { kNow, kWithNextFlush };
  virtual Result<void> markEvent(const std::string& id, const std::string& status,
                                 const std::vector<std::string>& matched_rules,
                                 const std::string& error, Flush flush = Flush::kNow) = 0;
  // Marks an event suppressed by the named suppression (status "suppressed"): stored, matched
  // against the rules (their names kept), and nothing else done. "NotFound" when no such event.
  virtual Result<void> markEventSuppressed(const std::string& id, const std::string& suppression,
                                           const std::vector<std::string>& matched_rules,
                                           Flush flush = Flush::kNow) = 0;
  virtual Result<int64_t> countEvents() = 0;

  // --- incidents ---
  // Finds the incident with rec.dedup_key; creates it from `rec` if there is none (then
  // `created` is true; an empty rec.id gets a generated "inc-…" id). Either way attaches
  // `event_id`, increments event_count, sets updated_ms to max(updated_ms, rec.updated_ms or
  // rec.created_ms) and severity to the max seen. Attaching an event already attached changes
  // nothing (re-processing an event after a crash does not count it twice); an empty
  // event_id always counts. Concurrent calls with one dedup_key create exactly one incident.
  struct Upserted {
    IncidentRecord incident;
    bool created = false;
  };
  virtual Result<Upserted> upsertIncident(const IncidentRecord& rec, const std::string& event_id,
                                          Flush flush = Flush::kNow) = 0;
  virtual Result<std::optional<IncidentRecord>> getIncident(const std::string& id) = 0;
  // Newest first.
  virtual Result<std::vector<IncidentRecord>> listIncidents(int limit, int offset) = 0;
  // `why` (optional) is who made the change and why (a person's release): kept in the audit
  // record. An incident set "released" no longer takes repeats of its finding: its dedup_key
  // is retired (made "<key>#released:<id>"), so the finding delivered again opens a new
  // incident, never attaches to a released one.
  struct StatusCause {
    std::string by, reason;
  };
  virtual Result<void> setIncidentStatus(const std::string& id, const std::string& status,
                                         int64_t now_ms, Flush flush = Flush::kNow,
                                         const StatusCause& why = {}) = 0;
  // The ids of the events attached to an incident, oldest first.
  virtual Result<std::vector<std::string>> incidentEvents(const std::string& incident_id) = 0;

  // --- executions ---
  virtual Result<void> createExecution(const ExecutionRecord& rec,
                                       const std::vector<HistoryRecord>& first_events,
                                       Flush flush = Flush::kNow) = 0;
  virtual Result<std::optional<ExecutionRecord>> getExecution(const std::string& id) = 0;
  virtual Result<std::vector<ExecutionRecord>> executionsForIncident(
      const std::string& incident_id) = 0;
  // Persists one interpreter step atomically: the execution's new status/snapshot/wake time
  // and the history events the step produced. Fails with code "LeaseLost" if
  // rec.lease_owner no longer holds the lease.
  // Writes status, output, error, cause, snapshot, wake_ms, ended_ms and lease_until_ms (so a
  // step can extend its lease, or release it with 0); never the owner, input or definition.
  // An execution created with lease_owner "" is recorded with lease_owner "" until claimed:
  // create it with your own lease when you run it at once, so no other worker claims it.
  virtual Result<void> recordStep(const ExecutionRecord& rec,
                                  const std::vector<HistoryRecord>& events) = 0;
  // One step of one execution, for recordSteps (the store does not keep the pointers):
  // `blobs` (may be null) are the step's new snapshot blobs (asl::SnapshotBlob), written with
  // it; once the execution has ended (status not RUNNING) its blobs are deleted.
  struct StepRef {
    const ExecutionRecord* rec;
    const std::vector<HistoryRecord>* events;
    const std::vector<SnapshotBlobRecord>* blobs = nullptr;
    // Task tokens the step opened, started or closed (may be null): each is inserted, or its
    // row updated — started, deadlines (never earlier than stored: an accepted heartbeat may
    // have moved them), and status "closed" when the record says so (an "answered" row stays
    // answered until closed).
    const std::vector<TaskTokenRecord>* tokens = nullptr;
    // The seqs of the accepted callbacks this step applied: deleted with it. After the step,
    // an execution that still has callbacks waiting gets wake_ms no later than the first one's
    // received_ms (a callback accepted while its step was being taken is not left to wait).
    const std::vector<int64_t>* callbacks_applied = nullptr;
  };
  // Persists the steps of several executions in ONE transaction (one disk flush): each as
  // recordStep would. The outer error means nothing was written (the transaction failed);
  // otherwise one result per step, in order: a step whose lease was lost ("LeaseLost",
  // "NotFound") changed nothing, and the others are written. At most one step per execution.
  virtual Result<std::vector<Result<void>>> recordSteps(const std::vector<StepRef>& steps) = 0;
  virtual Result<std::vector<HistoryRecord>> history(const std::string& execution_id) = 0;
  // The JSON text of one snapshot blob of an execution (nullopt: none with that id).
  virtual Result<std::optional<std::string>> snapshotBlob(const std::string& execution_id,
                                                          const std::string& id) = 0;
  // Claims up to `limit` RUNNING executions whose wake_ms <= now_ms and whose lease is free or
  // expired, setting lease_owner = owner and lease_until_ms = now_ms + lease_ms. Returns them.
  virtual Result<std::vector<ExecutionRecord>> claimRunnable(const std::string& owner,
                                                             int64_t now_ms, int64_t lease_ms,
                                                             int limit) = 0;
  // Frees every lease held by `owner` (lease_until_ms = 0). A worker calls it when it starts
  // under a stable id: the executions a killed predecessor held are runnable again at once
  // instead of after the lease expires. Returns how many leases were freed.
  virtual Result<int64_t> releaseLeases(const std::string& owner) = 0;
  // The earliest wake_ms of any RUNNING execution, if any (to sleep until then).
  virtual Result<std::optional<int64_t>> nextWake() = 0;
  // Counts executions by status.
  virtual Result<std::vector<std::pair<std::string, int64_t>>> executionCounts() = 0;
  // Counts incidents by status.
  virtual Result<std::vector<std::pair<std::string, int64_t>>> incidentCounts() = 0;

  // --- actions ---
  virtual Result<void> insertAction(const ActionRecord& rec) = 0;
  virtual Result<void> updateAction(const ActionRecord& rec) = 0;
  // The action with this id, if any (the engine looks up a Task attempt's record by its
  // deterministic id before running it again after a crash).
  virtual Result<std::optional<ActionRecord>> getAction(const std::string& id) = 0;
  // Oldest first.
  virtual Result<std::vector<ActionRecord>> actionsForIncident(const std::string& incident_id) = 0;
  // Every record of one of `actions` ("aws.ec2.blockIp") with this status ("succeeded"), of
  // any incident, oldest first (started_ms, then the order they were inserted). What riposte
  // has blocked and not released: the addresses it publishes for GuardDuty.
  virtual Result<std::vector<ActionRecord>> actionsWithStatus(
      const std::vector<std::string>& actions, const std::string& status) = 0;

  // --- task tokens and their callbacks (see TaskTokenRecord) ---
  // Accepts one callback for the token `cb.token_digest` into the inbox, in one transaction
  // with the checks Step Functions makes, and returns it as stored (seq, execution_id,
  // state_name set). Errors (nothing written): "TaskDoesNotExist" (no such token),
  // "TaskTimedOut" (closed or answered already, its execution ended, or it is started and
  // `cb.received_ms` is at or past its deadline). success/failure mark the token "answered";
  // a heartbeat moves heartbeat_at_ms to received_ms + heartbeat_ms. The execution's wake_ms
  // becomes at most received_ms (a worker claims it), and the audit log gets task.callback.
  virtual Result<TaskCallbackRecord> acceptTaskCallback(const TaskCallbackRecord& cb) = 0;
  // The accepted callbacks of an execution not yet applied, in seq order.
  virtual Result<std::vector<TaskCallbackRecord>> taskCallbacks(
      const std::string& execution_id) = 0;
  // Every token an execution opened (closed ones included), by created_ms.
  virtual Result<std::vector<TaskTokenRecord>> taskTokens(const std::string& execution_id) = 0;

  // --- approval requests (see ApprovalRecord) ---
  // Inserts one with the audit record (kind approval.requested, `audit_json`, at created_ms) in
  // one transaction. False (nothing written) when its id exists: the same attempt run again.
  virtual Result<bool> insertApproval(const ApprovalRecord& rec, const std::string& audit_json) = 0;
  virtual Result<std::optional<ApprovalRecord>> getApproval(const std::string& id) = 0;
  // Every request (of one execution when `execution_id` is not empty), oldest first.
  virtual Result<std::vector<ApprovalRecord>> listApprovals(const std::string& execution_id) = 0;
  // Writes status, delivered, json and token_digest when the stored version is still
  // `rec.version` (then
  // version + 1), with the audit record (`audit_kind`, `audit_json`, at `time_ms`) in the same
  // transaction (none when `audit_kind` is empty). "Conflict" when another write came first;
  // "NotFound".
  virtual Result<void> updateApproval(const ApprovalRecord& rec, int64_t time_ms,
                                      const std::string& audit_kind,
                                      const std::string& audit_json) = 0;

  // --- suppressions created at run time ---
  // Inserts one and appends suppression.created (time created_ms, by created_by, `reason`) in
  // the same transaction. "Conflict" when the name is taken; "InvalidArgument" for an empty name.
  virtual Result<void> insertSuppression(const SuppressionRecord& rec,
                                         const std::string& reason) = 0;
  // Deletes one and appends suppression.deleted (time now_ms, by, reason). "NotFound" when
  // there is none of that name.
  virtual Result<void> deleteSuppression(const std::string& name, const std::string& by,
                                         const std::string& reason, int64_t now_ms) = 0;
  // Every stored suppression, oldest first (created_ms, then name).
  virtual Result<std::vector<SuppressionRecord>> listSuppressions() = 0;
  // A number that grows with every insert or delete of a suppression (by any process sharing
  // the store): a worker compares it to what it last loaded to know when to load them again.
  virtual Result<int64_t> suppressionsVersion() = 0;
  // --- limits and the breaker ---
  // Takes the places of one destructive action attempt, atomically with every other caller
  // (other threads, processes and, on PostgreSQL, workers): in one transaction (SQLite BEGIN
  // IMMEDIATE; PostgreSQL a transaction-scoped advisory lock taken first) it
  //  1. returns granted + already when places are held under req.action_id;
  //  2. with a breaker: counts req.execution_id as an attempt (once per execution) and, when
  //     the breaker is closed and more than threshold executions attempted within the window
  //     (and since the last close), opens it (breaker_opened; audit "breaker.opened");
  //  3. counts each counter's places within its window (older ones are deleted);
  //  4. grants when the breaker is closed and every counter holds fewer than its max, taking one
  //     place in each; otherwise takes none and appends audit "limit.refused" naming why.
  // A restart does not reset anything: it is all in the store.
  virtual Result<LimitGrant> reserveLimits(const LimitRequest& req) = 0;
  // Gives back the places held under `action_id` (an attempt that changed nothing: it failed,
  // or found the resource already as wanted). Returns how many were given back.
  virtual Result<int64_t> releaseLimits(const std::string& action_id) = 0;
  // Places held now per key of one limit within its window: (key, count), by key.
  virtual Result<std::vector<std::pair<std::string, int64_t>>> limitUsage(const std::string& limit,
                                                                          int64_t window_ms,
                                                                          int64_t now_ms) = 0;
  virtual Result<BreakerState> breakerState() = 0;
  // Executions counted by the breaker within `window_ms` before now (and since the last close).
  virtual Result<int64_t> breakerCount(int64_t window_ms, int64_t now_ms) = 0;
  // A person closes the breaker: records who, when and why (audit "breaker.closed"); the count
  // starts again from now. Returns false (and changes nothing) when it was not open.
  virtual Result<bool> closeBreaker(const std::string& by, const std::string& reason,
                                    int64_t now_ms) = 0;

  // --- audit log and sink cursors (see AuditRecord) ---
  // upsertIncident appends incident.opened (created) or incident.event (an event attached);
  // setIncidentStatus appends incident.status; createExecution appends execution.started then
  // one execution.step per first event; recordStep one execution.step per event;
  // insertAction/updateAction append action.finished when the stored status is an end status
  // (anything but "running", "planned" and "awaiting_approval").
  //
  // Up to `limit` records with seq > after_seq, oldest first.
  virtual Result<std::vector<AuditRecord>> readAudit(int64_t after_seq, int limit) = 0;
  // The greatest seq written so far (0 when the log is empty).
  virtual Result<int64_t> auditHead() = 0;
  // The last seq the named sink has delivered (0 when it has none yet).
  virtual Result<int64_t> sinkCursor(const std::string& sink) = 0;
  // The same, nullopt when no cursor was ever set for it (a sink that never ran), as opposed
  // to one set to 0.
  virtual Result<std::optional<int64_t>> sinkCursorIfSet(const std::string& sink) = 0;
  // Records that the named sink has delivered everything up to `seq`.
  virtual Result<void> setSinkCursor(const std::string& sink, int64_t seq) = 0;
  // A sink's delivery lease: several workers on one store run the same sinks, and each sink is
  // delivered by one of them at a time (a notification is sent once, not once per worker).
  // True when `owner` holds it now, until now_ms + lease_ms: it was free, expired (until_ms <=
  // now_ms) or `owner`'s already. False: another worker holds it.
  virtual Result<bool> claimSinkLease(const std::string& sink, const std::string& owner,
                                      int64_t now_ms, int64_t lease_ms) = 0;

  // --- the last good copies of remote threat lists (engine/threat_feeds.h) ---
  // Replaces the list's copy (one a list; the newest wins).
  virtual Result<void> putThreatListCopy(const ThreatListCopy& copy) = 0;
  // The source confirmed the copy current (304) at fetched_ms: sets its time, when the copy
  // kept is the one read under `fetch_key` (else nothing).
  virtual Result<void> touchThreatListCopy(const std::string& list, const std::string& fetch_key,
                                           int64_t fetched_ms) = 0;
  // The list's copy, nullopt when none was ever kept.
  virtual Result<std::optional<ThreatListCopy>> getThreatListCopy(const std::string& list) = 0;
};

// Opens a store from a URL: "sqlite:///abs/path.db", "sqlite://relative.db", "sqlite::memory:",
// or "postgresql://user:pass@host:port/db" (also "postgres://", with libpq's query
// parameters). Creates a SQLite file's parent directory. Runs migrate().
Result<std::unique_ptr<Store>> openStore(const std::string& url);

}  // namespace riposte::store
