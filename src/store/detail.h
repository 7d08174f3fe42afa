#pragma once
// Helpers shared by the store backends (not part of the public interface).

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "core/result.h"
#include "store/store.h"

// Early return of a failed Result from a function that returns a Result.
#define RIPOSTE_STORE_TRY(expr)                                           \
  do {                                                                    \
    auto riposte_store_try_r_ = (expr);                                   \
    if (!riposte_store_try_r_) return fail(riposte_store_try_r_.error()); \
  } while (0)

// Declares `var` as a reference to the value of a successful Result, or returns its error.
#define RIPOSTE_STORE_TRY_ASSIGN(var, expr)     \
  auto var##_r_ = (expr);                       \
  if (!var##_r_) return fail(var##_r_.error()); \
  auto& var = *var##_r_

namespace riposte::store::detail {

// matched_rules is stored as a JSON array of strings.
std::string encodeStringList(const std::vector<std::string>& v);
// Anything that is not a JSON array of strings decodes as empty.
std::vector<std::string> decodeStringList(const std::string& s);

// Checks of caller input shared by both backends ("InvalidArgument").
Result<void> checkId(const std::string& what, const std::string& id);
Result<void> checkEventStatus(const std::string& status);
Result<void> checkLimit(int limit, int offset = 0);

// --- audit log entries (the kind and JSON of each, shared by both backends) ---
struct AuditEntry {
  int64_t time_ms = 0;
  std::string kind;
  std::string json;
};
AuditEntry auditIncident(const std::string& kind, const IncidentRecord& inc,
                         const std::string& event_id);
// The entry with "by" and "reason" members added (a person's status change).
AuditEntry withCause(AuditEntry entry, const Store::StatusCause& why);
AuditEntry auditExecutionStarted(const ExecutionRecord& rec);
AuditEntry auditStep(const std::string& execution_id, const std::string& incident_id,
                     const HistoryRecord& h);
// True when an action with this status has ended (action.finished is due).
bool actionEnded(const std::string& status);
AuditEntry auditActionFinished(const ActionRecord& a);
// suppression.created / suppression.deleted: {"name","by","reason","suppression":<json>}.
AuditEntry auditSuppression(const std::string& kind, const std::string& name, const std::string& by,
                            const std::string& reason, const std::string& suppression_json,
                            int64_t time_ms);
Result<void> checkSuppression(const SuppressionRecord& rec);

// --- more checks and defaults shared by both backends ---
Result<void> checkEvents(const std::vector<EventRecord>& events);  // each id and status
Result<void> checkDedupKey(const IncidentRecord& rec);
Result<void> checkIncidentStatus(const std::string& status);
Result<void> checkClaim(const std::string& owner, int64_t lease_ms, int limit);
Result<void> checkSinkCursor(const std::string& sink, int64_t seq);
// Every history event must belong to `execution_id` (or name no execution).
Result<void> checkHistoryEvent(const std::string& execution_id, const HistoryRecord& h);
// The id of an incident upsertIncident creates: rec.id, else a new "inc-…" id.
std::string newIncidentId(const IncidentRecord& rec);
// upsertIncident's time: updated_ms, else created_ms.
int64_t incidentNowMs(const IncidentRecord& rec);
// Logs "store schema migrated" after `backend` took the schema from version `from` to `to`.
void logMigrated(const std::string& backend, int64_t from, int64_t to);
// The errors both backends report for these cases.
Error vanished(const std::string& what, const std::string& id);
Error leaseLost(const ExecutionRecord& rec, const std::string& current_owner);

// --- columns: the one order in which both backends select and insert each record ---
extern const std::string kEventCols;
extern const std::string kIncidentCols;  // insert: event_count is always 0
extern const std::string kExecutionCols;
extern const std::string kHistoryCols;
extern const std::string kActionCols;

// "<mark><first>, …, <mark><first + n - 1>": "?1, ?2" (SQLite) or "$1, $2" (PostgreSQL).
std::string placeholders(char mark, int n, int first = 1);

// A value written as SQL NULL when the string is empty (optional foreign keys).
struct NullIfEmpty {
  const std::string& s;
};

// Row readers: `Row` has text(col), i64(col), real(col) and flag(col) for the current row,
// whose columns are those of the matching k…Cols.
template <class Row>
EventRecord readEvent(const Row& r) {
  EventRecord e;
  e.id = r.text(0);
  e.received_ms = r.i64(1);
  e.source = r.text(2);
  e.detail_type = r.text(3);
  e.account = r.text(4);
  e.region = r.text(5);
  e.body = r.text(6, kBodySpare);
  e.channel = r.text(7);
  e.status = r.text(8);
  e.error = r.text(9);
  e.matched_rules = decodeStringList(r.text(10));
  e.suppression = r.text(11);
  return e;
}

template <class Row>
IncidentRecord readIncident(const Row& r) {
  IncidentRecord x;
  x.id = r.text(0);
  x.dedup_key = r.text(1);
  x.account = r.text(2);
  x.region = r.text(3);
  x.resource_type = r.text(4);
  x.resource_id = r.text(5);
  x.finding_id = r.text(6);
  x.finding_type = r.text(7);
  x.severity = r.real(8);
  x.title = r.text(9);
  x.rule = r.text(10);
  x.playbook = r.text(11);
  x.status = r.text(12);
  x.created_ms = r.i64(13);
  x.updated_ms = r.i64(14);
  x.event_count = r.i64(15);
  x.first_event_id = r.text(16);
  return x;
}

template <class Row>
ExecutionRecord readExecution(const Row& r) {
  ExecutionRecord x;
  x.id = r.text(0);
  x.incident_id = r.text(1);  // NULL reads as ""
  x.playbook = r.text(2);
  x.definition = r.text(3);
  x.status = r.text(4);
  x.input = r.text(5);
  x.output = r.text(6);
  x.error = r.text(7);
  x.cause = r.text(8);
  x.snapshot = r.text(9);
  x.wake_ms = r.i64(10);
  x.started_ms = r.i64(11);
  x.ended_ms = r.i64(12);
  x.dry_run = r.flag(13);
  x.lease_owner = r.text(14);
  x.lease_until_ms = r.i64(15);
  return x;
}

template <class Row>
HistoryRecord readHistory(const Row& r) {
  HistoryRecord h;
  h.execution_id = r.text(0);
  h.seq = r.i64(1);
  h.previous_seq = r.i64(2);
  h.timestamp_ms = r.i64(3);
  h.type = r.text(4);
  h.details = r.text(5);
  return h;
}

template <class Row>
ActionRecord readAction(const Row& r) {
  ActionRecord a;
  a.id = r.text(0);
  a.incident_id = r.text(1);
  a.execution_id = r.text(2);
  a.state_name = r.text(3);
  a.action = r.text(4);
  a.status = r.text(5);
  a.input = r.text(6);
  a.before = r.text(7);
  a.after = r.text(8);
  a.output = r.text(9);
  a.error_code = r.text(10);
  a.error_message = r.text(11);
  a.summary = r.text(12);
  a.changed = r.flag(13);
  a.started_ms = r.i64(14);
  a.ended_ms = r.i64(15);
  return a;
}

template <class Row>
AuditRecord readAuditRecord(const Row& r) {  // columns: seq, time_ms, kind, json
  return AuditRecord{r.i64(0), r.i64(1), r.text(2), r.text(3)};
}

// Value writers: call put(value) once per parameter, in parameter order ($1/?1 first).
// The values are std::string, int64_t, double, bool or NullIfEmpty.

// INSERT INTO events (kEventCols): kEventValues values.
inline constexpr int kEventValues = 12;
template <class Put>
void eventValues(const EventRecord& e, Put&& put) {
  put(e.id);
  put(e.received_ms);
  put(e.source);
  put(e.detail_type);
  put(e.account);
  put(e.region);
  put(e.body);
  put(e.channel);
  put(e.status);
  put(e.error);
  put(encodeStringList(e.matched_rules));
  put(e.suppression);
}

// INSERT INTO incidents (kIncidentCols) VALUES (1..15, 0, 16): 16 values, `id` as the id, the
// status defaulting to "open" and first_event_id to `event_id`.
template <class Put>
void incidentValues(const IncidentRecord& rec, const std::string& id, const std::string& event_id,
                    Put&& put) {
  put(id);
  put(rec.dedup_key);
  put(rec.account);
  put(rec.region);
  put(rec.resource_type);
  put(rec.resource_id);
  put(rec.finding_id);
  put(rec.finding_type);
  put(rec.severity);
  put(rec.title);
  put(rec.rule);
  put(rec.playbook);
  put(rec.status.empty() ? std::string("open") : rec.status);
  put(rec.created_ms);
  put(incidentNowMs(rec));
  put(rec.first_event_id.empty() ? event_id : rec.first_event_id);
}

// INSERT INTO executions (kExecutionCols): 16 values.
template <class Put>
void executionValues(const ExecutionRecord& rec, Put&& put) {
  put(rec.id);
  put(NullIfEmpty{rec.incident_id});
  put(rec.playbook);
  put(rec.definition);
  put(rec.status);
  put(rec.input);
  put(rec.output);
  put(rec.error);
  put(rec.cause);
  put(rec.snapshot);
  put(rec.wake_ms);
  put(rec.started_ms);
  put(rec.ended_ms);
  put(rec.dry_run);
  put(rec.lease_owner);
  put(rec.lease_until_ms);
}

// The UPDATE of recordStep: id, lease_owner, then the 8 columns a step changes.
template <class Put>
void stepValues(const ExecutionRecord& rec, Put&& put) {
  put(rec.id);
  put(rec.lease_owner);
  put(rec.status);
  put(rec.output);
  put(rec.error);
  put(rec.cause);
  put(rec.snapshot);
  put(rec.wake_ms);
  put(rec.ended_ms);
  put(rec.lease_until_ms);
}

// INSERT INTO history (kHistoryCols): 6 values; empty details are stored as "{}".
template <class Put>
void historyValues(const std::string& execution_id, const HistoryRecord& h, Put&& put) {
  put(execution_id);
  put(h.seq);
  put(h.previous_seq);
  put(h.timestamp_ms);
  put(h.type);
  put(h.details.empty() ? std::string("{}") : h.details);
}

// INSERT INTO actions (kActionCols): 16 values.
template <class Put>
void actionValues(const ActionRecord& rec, Put&& put) {
  put(rec.id);
  put(NullIfEmpty{rec.incident_id});
  put(NullIfEmpty{rec.execution_id});
  put(rec.state_name);
  put(rec.action);
  put(rec.status);
  put(rec.input);
  put(rec.before);
  put(rec.after);
  put(rec.output);
  put(rec.error_code);
  put(rec.error_message);
  put(rec.summary);
  put(rec.changed);
  put(rec.started_ms);
  put(rec.ended_ms);
}

// The UPDATE of updateAction: id, then the 11 columns an update changes.
template <class Put>
void actionUpdateValues(const ActionRecord& rec, Put&& put) {
  put(rec.id);
  put(rec.status);
  put(rec.input);
  put(rec.before);
  put(rec.after);
  put(rec.output);
  put(rec.error_code);
  put(rec.error_message);
  put(rec.summary);
  put(rec.changed);
  put(rec.started_ms);
  put(rec.ended_ms);
}

// --- the steps of the write methods that both backends share ---
// Each runs inside the backend's write transaction, after the backend's own statement, through
// `tx`, which has (each returning a Result): appendAudit(const AuditEntry&),
// insertHistory(execution_id, events), selectIncident(id), selectExecution(id), selectAction(id).

template <class Tx>
Result<void> auditSteps(Tx& tx, const std::string& execution_id, const std::string& incident_id,
                        const std::vector<HistoryRecord>& events) {
  for (const auto& h : events)
    RIPOSTE_STORE_TRY(tx.appendAudit(auditStep(execution_id, incident_id, h)));
  return {};
}

// upsertIncident, once the incident `id` exists and the event is attached (or not).
template <class Tx>
Result<Store::Upserted> incidentUpserted(Tx& tx, const std::string& id, bool created, bool attached,
                                         const std::string& event_id) {
  Store::Upserted out;
  out.created = created;
  RIPOSTE_STORE_TRY_ASSIGN(row, tx.selectIncident(id));
  if (!row) return fail(vanished("incident", id));
  out.incident = std::move(*row);
  if (out.created || attached) {
    RIPOSTE_STORE_TRY(tx.appendAudit(
        auditIncident(out.created ? "incident.opened" : "incident.event", out.incident, event_id)));
  }
  return out;
}

// setIncidentStatus, once its UPDATE touched `changed` rows.
template <class Tx>
Result<void> incidentStatusSet(Tx& tx, const std::string& id, int64_t now_ms, int64_t changed,
                               const Store::StatusCause& why) {
  if (changed == 0) return fail("NotFound", "no incident '" + id + "'");
  RIPOSTE_STORE_TRY_ASSIGN(row, tx.selectIncident(id));
  if (!row) return fail(vanished("incident", id));
  auto entry = auditIncident("incident.status", *row, "");
  if (!why.by.empty() || !why.reason.empty()) entry = withCause(std::move(entry), why);
  entry.time_ms = now_ms;
  return tx.appendAudit(entry);
}

// createExecution, once the execution row is inserted.
template <class Tx>
Result<void> executionCreated(Tx& tx, const ExecutionRecord& rec,
                              const std::vector<HistoryRecord>& first_events) {
  RIPOSTE_STORE_TRY(tx.insertHistory(rec.id, first_events));
  RIPOSTE_STORE_TRY(tx.appendAudit(auditExecutionStarted(rec)));
  return auditSteps(tx, rec.id, rec.incident_id, first_events);
}

// recordStep, once its UPDATE (of the execution leased by rec.lease_owner) touched `changed`
// rows.
template <class Tx>
Result<void> stepRecorded(Tx& tx, const ExecutionRecord& rec, int64_t changed,
                          const std::vector<HistoryRecord>& events) {
  if (changed == 0) {
    RIPOSTE_STORE_TRY_ASSIGN(current, tx.selectExecution(rec.id));
    if (!current) return fail("NotFound", "no execution '" + rec.id + "'");
    return fail(leaseLost(rec, current->lease_owner));
  }
  RIPOSTE_STORE_TRY(tx.insertHistory(rec.id, events));
  if (events.empty()) return {};
  if (!rec.incident_id.empty()) return auditSteps(tx, rec.id, rec.incident_id, events);
  RIPOSTE_STORE_TRY_ASSIGN(current, tx.selectExecution(rec.id));
  return auditSteps(tx, rec.id, current ? current->incident_id : "", events);
}

// Schema 3 of both backends: blobs of incremental snapshots (asl::Execution::
// snapshotIncremental), values a running execution's snapshots refer to by id; deleted when
// the execution ends.
inline constexpr const char* kSnapshotBlobsSchema = R"sql(
CREATE TABLE snapshot_blobs (
  execution_id TEXT NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
  id TEXT NOT NULL,
  json TEXT NOT NULL,
  PRIMARY KEY (execution_id, id)
);
)sql";

// Schema of both backends: suppressions created at run time, a version every change bumps,
// and the name of the suppression that silenced an event.
inline constexpr const char* kSuppressionsSchema = R"sql(
CREATE TABLE suppressions (
  name TEXT PRIMARY KEY,
  json TEXT NOT NULL,
  created_ms BIGINT NOT NULL,
  created_by TEXT NOT NULL
);
CREATE TABLE suppressions_version (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  version BIGINT NOT NULL
);
INSERT INTO suppressions_version (id, version) VALUES (1, 0);
ALTER TABLE events ADD COLUMN suppression TEXT NOT NULL DEFAULT '';
)sql";

// --- task tokens (TaskTokenRecord, TaskCallbackRecord) ---
// The SQL of both backends but the callbacks' key (`seq_column`: "seq INTEGER PRIMARY KEY"
// for SQLite, "seq BIGSERIAL PRIMARY KEY" for PostgreSQL).
std::string taskTokensSchema(const std::string& seq_column);
Result<void> checkTaskToken(const TaskTokenRecord& t);
Result<void> checkTaskCallback(const TaskCallbackRecord& cb);
AuditEntry auditTaskCallback(const TaskCallbackRecord& cb, const std::string& incident_id);
// A token's deadline now: 0 while not started (none), else the earlier of its timeout and its
// heartbeat deadline.
int64_t taskTokenDeadline(const TaskTokenRecord& t);

// The token rows a step writes and the callbacks it applied, inside recordSteps, through `tx`:
// upsertToken(rec), deleteCallback(seq), firstCallbackMs(execution_id) → optional<int64>,
// lowerWake(execution_id, ms).
template <class Tx>
Result<void> tokensStepped(Tx& tx, const Store::StepRef& s) {
  if (s.tokens) {
    for (const auto& t : *s.tokens) {
      RIPOSTE_STORE_TRY(checkTaskToken(t));
      if (t.execution_id != s.rec->id)
        return fail("InvalidArgument",
                    "token of execution '" + t.execution_id + "' in a step of '" + s.rec->id + "'");
      RIPOSTE_STORE_TRY(tx.upsertToken(t));
    }
  }
  if (s.callbacks_applied) {
    for (int64_t seq : *s.callbacks_applied) RIPOSTE_STORE_TRY(tx.deleteCallback(seq));
  }
  if (s.rec->status != "RUNNING") return {};
  RIPOSTE_STORE_TRY_ASSIGN(first, tx.firstCallbackMs(s.rec->id));
  if (first) RIPOSTE_STORE_TRY(tx.lowerWake(s.rec->id, *first));
  return {};
}

// acceptTaskCallback inside the backend's write transaction, through `tx`: selectToken(digest)
// → optional<TaskTokenRecord>, lockExecution(id) → optional<ExecutionRecord> (the execution's
// row locked before the token's is read again: the order recordSteps writes them in),
// updateToken(rec), insertCallback(cb) → seq, lowerWake(execution_id, ms), appendAudit(entry).
template <class Tx>
Result<TaskCallbackRecord> callbackAccepted(Tx& tx, TaskCallbackRecord cb) {
  RIPOSTE_STORE_TRY(checkTaskCallback(cb));
  auto gone = [] {
    return fail("TaskTimedOut", "Task Timed Out: 'Provided task does not exist anymore'");
  };
  std::string execution_id;
  {
    RIPOSTE_STORE_TRY_ASSIGN(first, tx.selectToken(cb.token_digest));
    if (!first) return fail("TaskDoesNotExist", "Task does not exist: no open task has this token");
    execution_id = first->execution_id;
  }
  RIPOSTE_STORE_TRY_ASSIGN(exec, tx.lockExecution(execution_id));
  RIPOSTE_STORE_TRY_ASSIGN(row, tx.selectToken(cb.token_digest));
  if (!row || !exec)
    return fail("TaskDoesNotExist", "Task does not exist: no open task has this token");
  TaskTokenRecord t = *row;
  if (t.status != "open" || exec->status != "RUNNING") return gone();
  if (int64_t d = taskTokenDeadline(t); d > 0 && cb.received_ms >= d) {
    return fail("TaskTimedOut",
                std::string("Task Timed Out: the task has exceeded its ") +
                    (t.heartbeat_at_ms && t.heartbeat_at_ms < t.timeout_at_ms ? "HeartbeatSeconds"
                                                                              : "TimeoutSeconds"));
  }
  if (cb.kind == "heartbeat") {
    if (t.started && t.heartbeat_ms > 0) t.heartbeat_at_ms = cb.received_ms + t.heartbeat_ms;
  } else {
    t.status = "answered";
  }
  RIPOSTE_STORE_TRY(tx.updateToken(t));
  cb.execution_id = t.execution_id;
  cb.state_name = t.state_name;
  RIPOSTE_STORE_TRY_ASSIGN(seq, tx.insertCallback(cb));
  cb.seq = seq;
  RIPOSTE_STORE_TRY(tx.lowerWake(t.execution_id, cb.received_ms));
  RIPOSTE_STORE_TRY(tx.appendAudit(auditTaskCallback(cb, exec->incident_id)));
  return cb;
}

// Row readers of the token tables (columns as kTaskTokenCols / kTaskCallbackCols).
extern const std::string kTaskTokenCols;
extern const std::string kTaskCallbackCols;
template <class Row>
TaskTokenRecord readTaskToken(const Row& r) {
  TaskTokenRecord t;
  t.digest = r.text(0);
  t.execution_id = r.text(1);
  t.state_name = r.text(2);
  t.status = r.text(3);
  t.started = r.i64(4) != 0;
  t.created_ms = r.i64(5);
  t.timeout_at_ms = r.i64(6);
  t.heartbeat_at_ms = r.i64(7);
  t.heartbeat_ms = r.i64(8);
  t.closed_ms = r.i64(9);
  return t;
}
// INSERT INTO task_tokens (kTaskTokenCols): 10 values.
template <class Put>
void taskTokenValues(const TaskTokenRecord& t, Put&& put) {
  put(t.digest);
  put(t.execution_id);
  put(t.state_name);
  put(t.status);
  put(static_cast<int64_t>(t.started ? 1 : 0));
  put(t.created_ms);
  put(t.timeout_at_ms);
  put(t.heartbeat_at_ms);
  put(t.heartbeat_ms);
  put(t.closed_ms);
}
// `isNull(col)` tells absent error / cause apart from empty ones.
template <class Row, class IsNull>
TaskCallbackRecord readTaskCallback(const Row& r, IsNull&& isNull) {
  TaskCallbackRecord cb;
  cb.seq = r.i64(0);
  cb.execution_id = r.text(1);
  cb.token_digest = r.text(2);
  cb.state_name = r.text(3);
  cb.kind = r.text(4);
  cb.output = r.text(5);
  if (!isNull(6)) cb.error = r.text(6);
  if (!isNull(7)) cb.cause = r.text(7);
  cb.received_ms = r.i64(8);
  return cb;
}

// recordSteps inside its transaction: `update(rec)` runs the step's UPDATE and returns the
// rows it changed. A step whose lease is lost is reported in its slot and writes nothing; a
// failing statement fails the whole batch (the caller rolls it back).
template <class Tx, class Update>
Result<std::vector<Result<void>>> stepsRecorded(Tx& tx, const std::vector<Store::StepRef>& steps,
                                                Update&& update) {
  // `update` runs the step's UPDATE; the blobs go in after it (tx.insertBlobs), and an ended
  // execution's blobs go away (tx.deleteBlobs).
  std::vector<Result<void>> out;
  out.reserve(steps.size());
  for (const auto& s : steps) {
    RIPOSTE_STORE_TRY(checkId("execution", s.rec->id));
    RIPOSTE_STORE_TRY_ASSIGN(changed, update(*s.rec));
    if (changed == 0) {
      RIPOSTE_STORE_TRY_ASSIGN(current, tx.selectExecution(s.rec->id));
      out.push_back(current ? fail(leaseLost(*s.rec, current->lease_owner))
                            : fail("NotFound", "no execution '" + s.rec->id + "'"));
      continue;
    }
    RIPOSTE_STORE_TRY(stepRecorded(tx, *s.rec, changed, *s.events));
    if (s.rec->status != "RUNNING") {
      RIPOSTE_STORE_TRY(tx.deleteBlobs(s.rec->id));
    } else if (s.blobs && !s.blobs->empty()) {
      RIPOSTE_STORE_TRY(tx.insertBlobs(s.rec->id, *s.blobs));
    }
    if (s.tokens || s.callbacks_applied) RIPOSTE_STORE_TRY(tokensStepped(tx, s));
    out.push_back({});
  }
  return out;
}

// insertAction, once the action row is inserted.
template <class Tx>
Result<void> actionInserted(Tx& tx, const ActionRecord& rec) {
  if (!actionEnded(rec.status)) return {};
  return tx.appendAudit(auditActionFinished(rec));
}

// updateAction, once its UPDATE touched `changed` rows.
template <class Tx>
Result<void> actionUpdated(Tx& tx, const ActionRecord& rec, int64_t changed) {
  if (changed == 0) return fail("NotFound", "no action '" + rec.id + "'");
  if (!actionEnded(rec.status)) return {};
  RIPOSTE_STORE_TRY_ASSIGN(row, tx.selectAction(rec.id));
  if (!row) return fail(vanished("action", rec.id));
  return tx.appendAudit(auditActionFinished(*row));
}

// Schema of both backends for blast-radius limits and the breaker (reserveLimits).
// Schema of both backends: which worker delivers each sink (Store::claimSinkLease).
inline constexpr const char* kSinkLeasesSchema = R"sql(
CREATE TABLE sink_leases (
  sink TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  until_ms BIGINT NOT NULL
);
)sql";

// Schema of both backends: the last good copies of remote threat lists (ThreatListCopy).
inline constexpr const char* kThreatListCopiesSchema = R"sql(
CREATE TABLE threat_list_copies (
  list TEXT PRIMARY KEY,
  fetch_key TEXT NOT NULL,
  entries TEXT NOT NULL,
  bad_lines BIGINT NOT NULL,
  etag TEXT NOT NULL,
  last_modified TEXT NOT NULL,
  fetched_ms BIGINT NOT NULL
);
)sql";

// Schema of both backends: approval requests (ApprovalRecord).
inline constexpr const char* kApprovalsSchema = R"sql(
CREATE TABLE approvals (
  id TEXT PRIMARY KEY,
  incident_id TEXT NOT NULL,
  execution_id TEXT NOT NULL,
  state_name TEXT NOT NULL,
  token_digest TEXT NOT NULL,
  status TEXT NOT NULL,
  delivered BIGINT NOT NULL DEFAULT 0,
  created_ms BIGINT NOT NULL,
  deadline_ms BIGINT NOT NULL,
  json TEXT NOT NULL,
  version BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX approvals_execution ON approvals (execution_id, created_ms);
)sql";
inline const std::string kApprovalCols =
    "id, incident_id, execution_id, state_name, token_digest, status, delivered, created_ms, "
    "deadline_ms, json, version";
template <typename Row>
ApprovalRecord readApproval(const Row& r) {
  ApprovalRecord a;
  a.id = r.text(0);
  a.incident_id = r.text(1);
  a.execution_id = r.text(2);
  a.state_name = r.text(3);
  a.token_digest = r.text(4);
  a.status = r.text(5);
  a.delivered = r.i64(6) != 0;
  a.created_ms = r.i64(7);
  a.deadline_ms = r.i64(8);
  a.json = r.text(9);
  a.version = r.i64(10);
  return a;
}

inline constexpr const char* kLimitsSchema = R"sql(
CREATE TABLE limit_places (
  limit_name TEXT NOT NULL,
  counter_key TEXT NOT NULL,
  action_id TEXT NOT NULL,
  time_ms BIGINT NOT NULL,
  PRIMARY KEY (limit_name, counter_key, action_id)
);
CREATE INDEX limit_places_action ON limit_places (action_id);
CREATE INDEX limit_places_time ON limit_places (limit_name, counter_key, time_ms);
CREATE TABLE breaker_attempts (
  execution_id TEXT PRIMARY KEY,
  time_ms BIGINT NOT NULL
);
CREATE TABLE breaker_state (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  is_open INTEGER NOT NULL,
  opened_ms BIGINT NOT NULL,
  opened_reason TEXT NOT NULL,
  closed_ms BIGINT NOT NULL,
  closed_by TEXT NOT NULL,
  closed_reason TEXT NOT NULL
);
INSERT INTO breaker_state VALUES (1, 0, 0, '', 0, '', '');
)sql";

Result<void> checkLimitRequest(const LimitRequest& req);
AuditEntry auditLimitRefused(const LimitRequest& req, const LimitGrant& g);
AuditEntry auditBreakerOpened(const LimitRequest& req, const LimitGrant& g, const std::string& why);
AuditEntry auditBreakerClosed(const std::string& by, const std::string& reason, int64_t now_ms);

// reserveLimits inside the backend's write transaction, through `tx`, which has (each returning
// a Result): lockLimits(), placesHeld(action_id) → int64, addAttempt(execution_id, now),
// countAttempts(since_ms) → int64, breaker() → BreakerState, openBreaker(now, reason),
// prune(limit, key, before_ms), countPlaces(limit, key, since_ms) → int64,
// addPlace(limit, key, action_id, now), appendAudit(entry).
template <class Tx>
Result<LimitGrant> limitsReserved(Tx& tx, const LimitRequest& req) {
  RIPOSTE_STORE_TRY(checkLimitRequest(req));
  RIPOSTE_STORE_TRY(tx.lockLimits());
  LimitGrant g;
  {
    RIPOSTE_STORE_TRY_ASSIGN(held, tx.placesHeld(req.action_id));
    if (held > 0) {
      g.granted = g.already = true;
      return g;
    }
  }
  if (req.breaker) {
    RIPOSTE_STORE_TRY_ASSIGN(state, tx.breaker());
    RIPOSTE_STORE_TRY(tx.addAttempt(req.execution_id, req.now_ms));
    // closeBreaker deletes the attempts counted so far: the count starts again at a close.
    RIPOSTE_STORE_TRY_ASSIGN(count, tx.countAttempts(req.now_ms - req.breaker->window_ms));
    g.breaker_count = count;
    if (state.open) {
      g.breaker_open = true;
    } else if (count > req.breaker->threshold) {
      std::string why = std::to_string(count) +
                        " executions attempted a destructive action within " +
                        std::to_string(req.breaker->window_ms / 1000) + " s (threshold " +
                        std::to_string(req.breaker->threshold) + ")";
      RIPOSTE_STORE_TRY(tx.openBreaker(req.now_ms, why));
      g.breaker_open = g.breaker_opened = true;
      RIPOSTE_STORE_TRY(tx.appendAudit(auditBreakerOpened(req, g, why)));
    }
  }
  for (const auto& c : req.counters) {
    RIPOSTE_STORE_TRY(tx.prune(c.limit, c.key, req.now_ms - c.window_ms));
    RIPOSTE_STORE_TRY_ASSIGN(n, tx.countPlaces(c.limit, c.key, req.now_ms - c.window_ms));
    if (n >= c.max && g.limit.empty()) {
      g.limit = c.limit;
      g.key = c.key;
      g.count = n;
      g.max = c.max;
    }
  }
  if (!g.limit.empty() || g.breaker_open) {
    RIPOSTE_STORE_TRY(tx.appendAudit(auditLimitRefused(req, g)));
    return g;
  }
  for (const auto& c : req.counters) {
    RIPOSTE_STORE_TRY(tx.addPlace(c.limit, c.key, req.action_id, req.now_ms));
  }
  g.granted = true;
  return g;
}

}  // namespace riposte::store::detail
