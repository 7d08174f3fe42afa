#pragma once
// Notifications to people (issue 12 "ready-made notifications", "failure is never silent"):
// which audit records a person must hear about, and each service's message for one. Pure
// functions, thread-safe; the webhook and sns sinks (notify_sink.cpp) send them.
//
// A record is a Notice of one class, the `events` a notification sink subscribes to:
//   approval  approval.requested (who may decide, the plan, each approver's signed links),
//             approval.decided (by whom, or by the deadline)
//   failure   an execution that failed, timed out or was aborted (execution.step
//             ExecutionFailed / ExecutionTimedOut / ExecutionAborted, except a deny of
//             riposte.ApprovalDenied, which a person decided), and an approval its deadline
//             decided (approval.decided with decidedBy "timeout")
//   incident  an incident opened, and its end status (incident.status)
//   breaker   the circuit breaker opened (breaker.opened: every destructive action goes to its
//             on_limit until a person closes it) or was closed (breaker.closed)
//
// Every text taken from a finding (title, resource, error causes) is attacker-controlled: each
// format puts it where the service shows it as text (Slack plain_text, Adaptive Card TextRun,
// Jira {noformat}), and lines are bounded to the service's limits.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"
#include "store/store.h"

namespace riposte::sinks {

struct Notice {
  std::string event;  // approval | failure | incident
  std::string kind;   // the audit record's kind
  int64_t seq = 0;
  int64_t time_ms = 0;
  std::string incident_id;
  std::string title;               // one line, what happened
  std::vector<std::string> lines;  // details, one fact per line ("Approvers: alice, bob")
  std::string severity = "info";   // critical | error | warning | info (PagerDuty's)
  // PagerDuty: trigger (a person is wanted), resolve (the incident reached an end status that
  // needs no one), or "" (nothing to say to PagerDuty).
  std::string pager_action;
  std::string dedup_key;  // PagerDuty's: the incident id, or "riposte-breaker"
  std::string approval_id;
  // approval.requested with links: approver → {"approve": URL, "deny": URL}.
  json::object links;
  json::object data;  // the record's JSON object as written
};

// The notice of `rec` (nullopt: not something a person is told). `links` makes the signed links
// of an approval.requested record (empty object when links are off).
using LinkMaker = std::function<json::object(const json::object& requested)>;
std::optional<Notice> noticeOf(const store::AuditRecord& rec, const LinkMaker& links);

// The formats of the webhook sink.
inline constexpr const char* kNotifyFormats[] = {"slack", "teams", "pagerduty", "jira", "generic"};

struct WebhookFormat {
  std::string format;               // one of kNotifyFormats
  std::string routing_key;          // pagerduty: the integration's routing key
  std::string source = "riposte";   // pagerduty payload.source
  std::string project;              // jira: the project key
  std::string issue_type = "Task";  // jira
};

// The JSON body `fmt` posts for `n` (nullopt: this format says nothing of it, e.g. PagerDuty
// for a notice that neither triggers nor resolves):
//   slack      incoming webhook: {"text", "blocks": [header, section, context, actions]} (Block
//              Kit; the approve/deny buttons are the signed links)
//   teams      {"type": "message", "attachments": [{"contentType":
//              "application/vnd.microsoft.card.adaptive", "content": AdaptiveCard 1.4}]}
//   pagerduty  Events API v2: {"routing_key", "event_action", "dedup_key": Notice::dedup_key,
//              "payload": {"summary", "source", "severity", "timestamp", "custom_details"}}
//   jira       POST /rest/api/2/issue: {"fields": {"project": {"key"}, "issuetype": {"name"},
//              "summary", "description", "labels"}}
//   generic    {"event", "kind", "seq", "time", "incidentId", "title", "lines", "severity",
//              "approvalId", "links", "record"}
std::optional<json::value> renderWebhook(const WebhookFormat& fmt, const Notice& n);

// SNS Publish: Subject (at most 100 characters, one line) and Message (plain text).
struct SnsMessage {
  std::string subject;
  std::string message;
};
SnsMessage renderSns(const Notice& n);

// `s` on one line (control characters → space) and at most `max` bytes (cut at a UTF-8
// boundary, "…" appended when cut).
std::string oneLine(std::string_view s, std::size_t max);

}  // namespace riposte::sinks
