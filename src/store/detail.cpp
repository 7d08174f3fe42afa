#include "store/detail.h"

#include "core/json.h"

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
  if (status == "pending" || status == "processed" || status == "failed") return {};
  return fail("InvalidArgument",
              "event status '" + status + "' is not one of pending, processed, failed");
}

Result<void> checkLimit(int limit, int offset) {
  if (limit < 0) return fail("InvalidArgument", "limit " + std::to_string(limit) + " < 0");
  if (offset < 0) return fail("InvalidArgument", "offset " + std::to_string(offset) + " < 0");
  return {};
}

namespace {

// A stored JSON text embedded as a value; text that is not JSON is embedded as a string.
json::value embed(const std::string& text) {
  if (text.empty()) return nullptr;
  auto v = parseJson(text, 64);
  if (v) return std::move(*v);
  return json::string(text);
}

}  // namespace

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
  json::object o;
  o["execution_id"] = execution_id;
  o["incident_id"] = incident_id;
  o["seq"] = h.seq;
  o["previous_seq"] = h.previous_seq;
  o["type"] = h.type;
  o["details"] = h.details.empty() ? json::value(json::object()) : embed(h.details);
  return AuditEntry{h.timestamp_ms, "execution.step", toJson(o)};
}

bool actionEnded(const std::string& status) {
  return status != "running" && status != "planned";
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

}  // namespace riposte::store::detail
