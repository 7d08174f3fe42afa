#include "store/detail.h"

#include "core/ids.h"
#include "core/json.h"
#include "core/log.h"

namespace riposte::store::detail {

std::string encodeStringList(const std::vector<std::string>& v) {
  json::array a;
  a.reserve(v.size());
  for (const auto& s : v) a.emplace_back(json::string(s));
  return toJson(a);
}

std::vector<std::string> decodeStringList(const std::string& s) {
  std::vector<std::string> out;
  auto v = parseJson(s, 4);
  if (!v || !v->is_array()) return out;
  for (const auto& e : v->as_array()) {
    if (e.is_string()) out.emplace_back(e.as_string());
  }
  return out;
}

Result<void> checkId(const std::string& what, const std::string& id) {
  if (id.empty()) return fail("InvalidArgument", what + " id is empty");
  return {};
}

Result<void> checkEventStatus(const std::string& status) {
  if (status == "pending" || status == "processed" || status == "failed" || status == "suppressed")
    return {};
  return fail("InvalidArgument",
              "event status '" + status + "' is not one of pending, processed, failed, suppressed");
}

Result<void> checkLimit(int limit, int offset) {
  if (limit < 0) return fail("InvalidArgument", "limit " + std::to_string(limit) + " < 0");
  if (offset < 0) return fail("InvalidArgument", "offset " + std::to_string(offset) + " < 0");
  return {};
}

Result<void> checkEvents(const std::vector<EventRecord>& events) {
  for (const auto& e : events) {
    RIPOSTE_STORE_TRY(checkId("event", e.id));
    RIPOSTE_STORE_TRY(checkEventStatus(e.status));
  }
  return {};
}

Result<void> checkDedupKey(const IncidentRecord& rec) {
  if (rec.dedup_key.empty()) return fail("InvalidArgument", "incident dedup_key is empty");
  return {};
}

Result<void> checkIncidentStatus(const std::string& status) {
  if (status.empty()) return fail("InvalidArgument", "incident status is empty");
  return {};
}

Result<void> checkClaim(const std::string& owner, int64_t lease_ms, int limit) {
  if (owner.empty()) return fail("InvalidArgument", "lease owner is empty");
  if (lease_ms <= 0) return fail("InvalidArgument", "lease_ms must be > 0");
  return checkLimit(limit);
}

Result<void> checkSinkCursor(const std::string& sink, int64_t seq) {
  RIPOSTE_STORE_TRY(checkId("sink", sink));
  if (seq < 0) return fail("InvalidArgument", "sink cursor " + std::to_string(seq) + " < 0");
  return {};
}

Result<void> checkHistoryEvent(const std::string& execution_id, const HistoryRecord& h) {
  if (!h.execution_id.empty() && h.execution_id != execution_id) {
    return fail("InvalidArgument", "history event of execution '" + h.execution_id +
                                       "' recorded for execution '" + execution_id + "'");
  }
  return {};
}

std::string newIncidentId(const IncidentRecord& rec) {
  return rec.id.empty() ? newId("inc") : rec.id;
}

int64_t incidentNowMs(const IncidentRecord& rec) {
  return rec.updated_ms != 0 ? rec.updated_ms : rec.created_ms;
}

void logMigrated(const std::string& backend, int64_t from, int64_t to) {
  logInfo("store schema migrated",
          {{"backend", backend}, {"from", std::to_string(from)}, {"to", std::to_string(to)}});
}

Error vanished(const std::string& what, const std::string& id) {
  return Error{"StoreError", what + " '" + id + "' vanished inside its transaction"};
}

Error leaseLost(const ExecutionRecord& rec, const std::string& current_owner) {
  return Error{"LeaseLost", "execution '" + rec.id + "' is leased by '" + current_owner +
                                "', not '" + rec.lease_owner + "'"};
}

std::string placeholders(char mark, int n, int first) {
  std::string out;
  for (int i = first; i < first + n; ++i) {
    if (i > first) out += ", ";
    out += mark + std::to_string(i);
  }
  return out;
}

const std::string kEventCols =
    "id, received_ms, source, detail_type, account, region, body, channel, status, error, "
    "matched_rules, suppression";
const std::string kIncidentCols =
    "id, dedup_key, account, region, resource_type, resource_id, finding_id, finding_type, "
    "severity, title, rule, playbook, status, created_ms, updated_ms, event_count, "
    "first_event_id";
const std::string kExecutionCols =
    "id, incident_id, playbook, definition, status, input, output, error, cause, snapshot, "
    "wake_ms, started_ms, ended_ms, dry_run, lease_owner, lease_until_ms";
const std::string kHistoryCols = "execution_id, seq, previous_seq, timestamp_ms, type, details";
const std::string kActionCols =
    "id, incident_id, execution_id, state_name, action, status, input, state_before, "
    "state_after, output, error_code, error_message, summary, changed, started_ms, ended_ms";

namespace {

// A stored JSON text embedded as a value; text that is not JSON is embedded as a string.
json::value embed(const std::string& text) {
  if (text.empty()) return nullptr;
  auto v = parseJson(text, 64);
  if (v) return std::move(*v);
  return json::string(text);
}

}  // namespace

AuditEntry withCause(AuditEntry entry, const Store::StatusCause& why) {
  auto v = parseJson(entry.json, 64);
  if (!v || !v->is_object()) return entry;
  v->get_object()["by"] = why.by;
  v->get_object()["reason"] = why.reason;
  entry.json = json::serialize(*v);
  return entry;
}

AuditEntry auditIncident(const std::string& kind, const IncidentRecord& inc,
                         const std::string& event_id) {
  json::object o;
  o["id"] = inc.id;
  o["dedup_key"] = inc.dedup_key;
  o["account"] = inc.account;
  o["region"] = inc.region;
  o["resource_type"] = inc.resource_type;
  o["resource_id"] = inc.resource_id;
  o["finding_id"] = inc.finding_id;
  o["finding_type"] = inc.finding_type;
  o["severity"] = inc.severity;
  o["title"] = inc.title;
  o["rule"] = inc.rule;
  o["playbook"] = inc.playbook;
  o["status"] = inc.status;
  o["created_ms"] = inc.created_ms;
  o["updated_ms"] = inc.updated_ms;
  o["event_count"] = inc.event_count;
  o["first_event_id"] = inc.first_event_id;
  json::object top;
  top["incident"] = std::move(o);
  if (!event_id.empty()) top["event_id"] = event_id;
  return AuditEntry{inc.updated_ms, kind, toJson(top)};
}

AuditEntry auditExecutionStarted(const ExecutionRecord& rec) {
  json::object o;
  o["execution_id"] = rec.id;
  o["incident_id"] = rec.incident_id;
  o["playbook"] = rec.playbook;
  o["status"] = rec.status;
  o["dry_run"] = rec.dry_run;
  o["started_ms"] = rec.started_ms;
  return AuditEntry{rec.started_ms, "execution.started", toJson(o)};
}

AuditEntry auditStep(const std::string& execution_id, const std::string& incident_id,
                     const HistoryRecord& h) {
  // Written once per history event, so built as text: the details (a JSON object, as
  // HistoryRecord documents) are spliced in as they are rather than parsed and re-serialized.
  auto quoted = [](std::string_view s) { return json::serialize(json::string_view(s)); };
  std::string_view d = h.details;
  while (!d.empty() && (d.back() == ' ' || d.back() == '\n')) d.remove_suffix(1);
  std::string out =
      "{\"execution_id\":" + quoted(execution_id) + ",\"incident_id\":" + quoted(incident_id) +
      ",\"seq\":" + std::to_string(h.seq) + ",\"previous_seq\":" + std::to_string(h.previous_seq) +
      ",\"type\":" + quoted(h.type) + ",\"details\":";
  if (d.empty()) {
    out += "{}";
  } else if (d.front() == '{' && d.back() == '}') {
    out += d;
  } else {
    out += toJson(embed(h.details));
  }
  out += '}';
  return AuditEntry{h.timestamp_ms, "execution.step", std::move(out)};
}

bool actionEnded(const std::string& status) {
  return status != "running" && status != "planned" && status != "awaiting_approval";
}

AuditEntry auditActionFinished(const ActionRecord& a) {
  json::object o;
  o["action_id"] = a.id;
  o["incident_id"] = a.incident_id;
  o["execution_id"] = a.execution_id;
  o["state_name"] = a.state_name;
  o["action"] = a.action;
  o["status"] = a.status;
  o["changed"] = a.changed;
  o["before"] = embed(a.before);
  o["after"] = embed(a.after);
  o["summary"] = a.summary;
  o["error_code"] = a.error_code;
  o["error_message"] = a.error_message;
  o["started_ms"] = a.started_ms;
  o["ended_ms"] = a.ended_ms;
  return AuditEntry{a.ended_ms != 0 ? a.ended_ms : a.started_ms, "action.finished", toJson(o)};
}

AuditEntry auditSuppression(const std::string& kind, const std::string& name, const std::string& by,
                            const std::string& reason, const std::string& suppression_json,
                            int64_t time_ms) {
  json::object o;
  o["name"] = name;
  o["by"] = by;
  o["reason"] = reason;
  o["suppression"] = embed(suppression_json);
  return AuditEntry{time_ms, kind, toJson(o)};
}

Result<void> checkSuppression(const SuppressionRecord& rec) {
  RIPOSTE_STORE_TRY(checkId("suppression", rec.name));
  if (rec.json.empty()) return fail("InvalidArgument", "suppression '" + rec.name + "' is empty");
  return {};
}

Result<void> checkLimitRequest(const LimitRequest& req) {
  RIPOSTE_STORE_TRY(checkId("action", req.action_id));
  if (req.breaker) {
    RIPOSTE_STORE_TRY(checkId("execution", req.execution_id));
    if (req.breaker->threshold < 1 || req.breaker->window_ms < 1)
      return fail("InvalidArgument", "breaker threshold and window must be >= 1");
  }
  for (const auto& c : req.counters) {
    if (c.limit.empty() || c.key.empty())
      return fail("InvalidArgument", "limit counter with an empty name or key");
    if (c.window_ms < 1 || c.max < 0)
      return fail("InvalidArgument", "limit '" + c.limit + "': window must be >= 1, max >= 0");
  }
  return {};
}

AuditEntry auditLimitRefused(const LimitRequest& req, const LimitGrant& g) {
  json::object o;
  o["action_id"] = req.action_id;
  o["execution_id"] = req.execution_id;
  o["incident_id"] = req.incident_id;
  o["action"] = req.action;
  o["reason"] = g.limit.empty() ? "breaker" : "limit";
  o["limit"] = g.limit;
  o["key"] = g.key;
  o["count"] = g.count;
  o["max"] = g.max;
  o["breaker_count"] = g.breaker_count;
  return AuditEntry{req.now_ms, "limit.refused", toJson(o)};
}

AuditEntry auditBreakerOpened(const LimitRequest& req, const LimitGrant& g,
                              const std::string& why) {
  json::object o;
  o["execution_id"] = req.execution_id;
  o["incident_id"] = req.incident_id;
  o["action"] = req.action;
  o["count"] = g.breaker_count;
  o["threshold"] = req.breaker ? req.breaker->threshold : 0;
  o["window_ms"] = req.breaker ? req.breaker->window_ms : 0;
  o["reason"] = why;
  return AuditEntry{req.now_ms, "breaker.opened", toJson(o)};
}

AuditEntry auditBreakerClosed(const std::string& by, const std::string& reason, int64_t now_ms) {
  json::object o;
  o["closed_by"] = by;
  o["reason"] = reason;
  return AuditEntry{now_ms, "breaker.closed", toJson(o)};
}

std::string taskTokensSchema(const std::string& seq_column) {
  return R"sql(
CREATE TABLE task_tokens (
  digest TEXT PRIMARY KEY,
  execution_id TEXT NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
  state_name TEXT NOT NULL,
  status TEXT NOT NULL,
  started INTEGER NOT NULL,
  created_ms BIGINT NOT NULL,
  timeout_at_ms BIGINT NOT NULL,
  heartbeat_at_ms BIGINT NOT NULL,
  heartbeat_ms BIGINT NOT NULL,
  closed_ms BIGINT NOT NULL
);
CREATE INDEX task_tokens_execution ON task_tokens (execution_id, created_ms);
CREATE TABLE task_callbacks (
  )sql" + seq_column +
         R"sql(,
  execution_id TEXT NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
  token_digest TEXT NOT NULL,
  state_name TEXT NOT NULL,
  kind TEXT NOT NULL,
  output TEXT NOT NULL,
  error TEXT,
  cause TEXT,
  received_ms BIGINT NOT NULL
);
CREATE INDEX task_callbacks_execution ON task_callbacks (execution_id, seq);
)sql";
}

const std::string kTaskTokenCols =
    "digest, execution_id, state_name, status, started, created_ms, timeout_at_ms, "
    "heartbeat_at_ms, heartbeat_ms, closed_ms";
const std::string kTaskCallbackCols =
    "seq, execution_id, token_digest, state_name, kind, output, error, cause, received_ms";

namespace {
bool isDigest(const std::string& d) {
  return d.size() == 64 && std::all_of(d.begin(), d.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}
}  // namespace

Result<void> checkTaskToken(const TaskTokenRecord& t) {
  if (!isDigest(t.digest))
    return fail("InvalidArgument", "a task token is stored by its SHA-256 digest (64 hex digits)");
  RIPOSTE_STORE_TRY(checkId("execution", t.execution_id));
  if (t.status != "open" && t.status != "answered" && t.status != "closed")
    return fail("InvalidArgument", "unknown task token status '" + t.status + "'");
  return {};
}

Result<void> checkTaskCallback(const TaskCallbackRecord& cb) {
  if (!isDigest(cb.token_digest))
    return fail("InvalidArgument", "a callback names its token by its SHA-256 digest");
  if (cb.kind != "success" && cb.kind != "failure" && cb.kind != "heartbeat")
    return fail("InvalidArgument", "unknown callback kind '" + cb.kind + "'");
  return {};
}

int64_t taskTokenDeadline(const TaskTokenRecord& t) {
  if (!t.started) return 0;
  if (t.heartbeat_at_ms > 0) return std::min(t.timeout_at_ms, t.heartbeat_at_ms);
  return t.timeout_at_ms;
}

AuditEntry auditTaskCallback(const TaskCallbackRecord& cb, const std::string& incident_id) {
  json::object o;
  o["execution_id"] = cb.execution_id;
  o["incident_id"] = incident_id;
  o["state"] = cb.state_name;
  o["kind"] = cb.kind;
  o["token"] = "sha256:" + cb.token_digest.substr(0, 12);
  if (cb.error) o["error"] = *cb.error;
  return AuditEntry{cb.received_ms, "task.callback", toJson(o)};
}

}  // namespace riposte::store::detail
