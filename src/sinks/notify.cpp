#include "sinks/notify.h"

#include <algorithm>

#include "core/clock.h"
#include "core/text.h"

namespace riposte::sinks {
namespace {

std::string str(const json::object& o, std::string_view k) {
  const json::value* v = o.if_contains(k);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}
int64_t num(const json::object& o, std::string_view k) {
  const json::value* v = o.if_contains(k);
  return v != nullptr && v->is_int64() ? v->get_int64() : 0;
}
const json::object* obj(const json::object& o, std::string_view k) {
  const json::value* v = o.if_contains(k);
  return v != nullptr ? v->if_object() : nullptr;
}
std::string joined(const json::object& o, std::string_view k) {
  std::string out;
  const json::value* v = o.if_contains(k);
  if (v == nullptr || !v->is_array()) return out;
  for (const auto& e : v->get_array())
    if (e.is_string()) out += (out.empty() ? "" : ", ") + std::string(e.get_string());
  return out;
}
std::string isoTime(int64_t ms) {
  return ms > 0 ? formatIso8601Millis(ms) : std::string("-");
}

// PagerDuty severity of a GuardDuty-style 0–10 severity.
std::string severityName(double sev) {
  if (sev >= 7) return "critical";
  if (sev >= 4) return "error";
  if (sev > 0) return "warning";
  return "info";
}

// The end statuses after which nobody is wanted any more (PagerDuty resolves).
bool resolvedStatus(std::string_view s) {
  return s == "contained" || s == "released" || s == "responded" || s == "notified";
}

std::optional<Notice> approvalNotice(const store::AuditRecord& rec, const json::object& d,
                                     const LinkMaker& links) {
  Notice n;
  n.event = "approval";
  n.approval_id = str(d, "approvalId");
  n.incident_id = str(d, "incident_id");
  if (rec.kind == "approval.requested") {
    const json::object* a = obj(d, "approval");
    if (a == nullptr) return std::nullopt;
    const std::string summary = str(*a, "summary");
    n.title = "Approval wanted: " + (summary.empty() ? str(d, "state") : summary);
    n.severity = "warning";
    n.pager_action = "trigger";
    n.lines.push_back("Incident: " + n.incident_id);
    if (const json::object* inc = obj(d, "incident")) {
      if (auto t = str(*inc, "title"); !t.empty()) n.lines.push_back("Finding: " + t);
      if (auto r = str(*inc, "resource_id"); !r.empty()) n.lines.push_back("Resource: " + r);
      if (const json::value* s = inc->if_contains("severity"); s && s->is_number())
        n.severity = severityName(s->to_number<double>());
    }
    n.lines.push_back("Step: " + str(d, "state") + " of execution " + str(d, "execution_id"));
    // The plan: the action a gate holds back ({"state", "action", "parameters"}), or the
    // Tasks a riposte:approval state lets run ({"next": [{"state", "action"}]}).
    if (const json::object* plan = obj(*a, "plan")) {
      auto step = [](const json::object& so) {
        std::string s = str(so, "state");
        const std::string act = str(so, "action").empty() ? str(so, "resource") : str(so, "action");
        if (!act.empty()) s += " (" + act + ")";
        return s;
      };
      std::string p;
      if (const json::value* next = plan->if_contains("next"); next && next->is_array()) {
        for (const auto& s : next->get_array())
          if (const auto* so = s.if_object()) p += (p.empty() ? "" : " → ") + step(*so);
      } else if (!str(*plan, "action").empty()) {
        p = step(*plan);
        if (const json::object* params = obj(*plan, "parameters"))
          p += " with " + oneLine(json::serialize(*params), 300);
      }
      if (!p.empty()) n.lines.push_back("Plan: " + p);
    }
    n.lines.push_back("Approvers: " + joined(*a, "approvers") + " (" +
                      std::to_string(num(*a, "quorum")) + " needed)");
    n.lines.push_back("Deadline: " + isoTime(num(*a, "deadlineMs")) + " (then " +
                      str(*a, "onTimeout") + ")");
    n.lines.push_back("Decide: riposte approvals approve " + n.approval_id + " | deny " +
                      n.approval_id + " --reason …");
    if (links) n.links = links(d);
    return n;
  }
  // approval.decided
  const std::string status = str(d, "status");
  const std::string by = str(d, "decidedBy");
  if (by == "timeout") {
    n.event = "failure";
    n.severity = "error";
    n.pager_action = "trigger";
    n.title = "Approval " + n.approval_id + " timed out: " + status + " by its deadline";
  } else {
    n.title = "Approval " + n.approval_id + " " + status + " by " + str(d, "approver");
    n.severity = "info";
  }
  n.lines.push_back("Incident: " + n.incident_id);
  if (auto r = str(d, "reason"); !r.empty()) n.lines.push_back("Reason: " + r);
  return n;
}

std::optional<Notice> failureNotice(const json::object& d) {
  const std::string type = str(d, "type");
  if (type != "ExecutionFailed" && type != "ExecutionTimedOut" && type != "ExecutionAborted")
    return std::nullopt;
  const json::object* det = obj(d, "details");
  const std::string error = det ? str(*det, "error") : "";
  if (error == "riposte.ApprovalDenied") return std::nullopt;  // a person decided it
  Notice n;
  n.event = "failure";
  n.severity = "error";
  n.pager_action = "trigger";
  n.incident_id = str(d, "incident_id");
  const std::string what = type == "ExecutionTimedOut"  ? "timed out"
                           : type == "ExecutionAborted" ? "was aborted"
                                                        : "failed";
  n.title =
      "Response " + what + " for incident " + n.incident_id + (error.empty() ? "" : ": " + error);
  n.lines.push_back("Incident: " + n.incident_id);
  n.lines.push_back("Execution: " + str(d, "execution_id"));
  if (!error.empty()) n.lines.push_back("Error: " + error);
  if (auto c = det ? str(*det, "cause") : ""; !c.empty()) n.lines.push_back("Cause: " + c);
  n.lines.push_back("Nothing caught it: see riposte incidents show " + n.incident_id);
  return n;
}

std::optional<Notice> incidentNotice(const store::AuditRecord& rec, const json::object& d) {
  const json::object* inc = obj(d, "incident");
  if (inc == nullptr) return std::nullopt;
  Notice n;
  n.event = "incident";
  n.incident_id = str(*inc, "id");
  const std::string status = str(*inc, "status");
  double sev = 0;
  if (const json::value* s = inc->if_contains("severity"); s && s->is_number())
    sev = s->to_number<double>();
  n.severity = severityName(sev);
  if (rec.kind == "incident.opened") {
    n.title = "Incident " + n.incident_id + " opened: " + str(*inc, "title");
  } else {
    n.title = "Incident " + n.incident_id + " " + status;
    if (resolvedStatus(status)) n.pager_action = "resolve";
  }
  n.lines.push_back(
      "Finding: " + str(*inc, "finding_type") + " (severity " +
      oneLine(json::serialize(inc->contains("severity") ? inc->at("severity") : json::value(0)),
              16) +
      ")");
  if (auto r = str(*inc, "resource_id"); !r.empty()) n.lines.push_back("Resource: " + r);
  if (auto a = str(*inc, "account"); !a.empty())
    n.lines.push_back("Account: " + a + " " + str(*inc, "region"));
  n.lines.push_back("Rule: " + str(*inc, "rule") + ", playbook " + str(*inc, "playbook"));
  n.lines.push_back("Status: " + status);
  return n;
}

std::optional<Notice> breakerNotice(const store::AuditRecord& rec, const json::object& d) {
  Notice n;
  n.event = "breaker";
  n.dedup_key = "riposte-breaker";
  if (rec.kind == "breaker.opened") {
    n.title = "circuit breaker opened";
    n.severity = "critical";
    n.pager_action = "trigger";
    n.incident_id = str(d, "incident_id");
    n.lines.push_back("Why: " + str(d, "reason"));
    n.lines.push_back("Executions: " + std::to_string(num(d, "count")) + " attempted a " +
                      "destructive action within " + std::to_string(num(d, "window_ms") / 1000) +
                      " s (threshold " + std::to_string(num(d, "threshold")) + ")");
    n.lines.push_back("Action: " + str(d, "action") + " of incident " + n.incident_id);
    n.lines.push_back(
        "What now: every destructive action goes to its on_limit until a person closes the "
        "breaker: riposte breaker close --reason '...' or POST /v1/breaker/close");
  } else {
    n.title = "circuit breaker closed by " + str(d, "closed_by");
    n.severity = "info";
    n.pager_action = "resolve";
    n.lines.push_back("Reason: " + str(d, "reason"));
  }
  return n;
}

std::string bodyText(const Notice& n) {
  std::string t;
  for (const auto& l : n.lines) t += (t.empty() ? "" : "\n") + l;
  return t;
}

// The buttons/links of an approval notice: (label, url, decision), approvers in order.
struct LinkButton {
  std::string label, url, decision;
};
std::vector<LinkButton> buttons(const Notice& n) {
  std::vector<LinkButton> out;
  for (const auto& [approver, l] : n.links) {
    const auto* lo = l.if_object();
    if (lo == nullptr) continue;
    for (const char* d : {"approve", "deny"}) {
      const std::string url = str(*lo, d);
      if (url.empty()) continue;
      out.push_back({oneLine(std::string(d == std::string_view("approve") ? "Approve" : "Deny") +
                                 " as " + std::string(approver),
                             75),
                     url, d});
    }
  }
  return out;
}

json::value slack(const Notice& n) {
  json::array blocks;
  blocks.push_back(json::object{
      {"type", "header"},
      {"text", json::object{{"type", "plain_text"}, {"text", oneLine(n.title, 150)}}}});
  // plain_text: Slack shows it as typed (no mrkdwn links, mentions or formatting).
  std::string body = bodyText(n);
  if (body.size() > 3000) body = oneLine(body, 2990);
  if (!body.empty())
    blocks.push_back(json::object{
        {"type", "section"},
        {"text", json::object{{"type", "plain_text"}, {"text", body}, {"emoji", false}}}});
  json::array elements;
  for (const auto& b : buttons(n)) {
    if (elements.size() == 25) break;  // Block Kit's limit per actions block
    json::object e{{"type", "button"},
                   {"text", json::object{{"type", "plain_text"}, {"text", b.label}}},
                   {"url", b.url},
                   {"action_id", b.decision + "-" + std::to_string(elements.size())},
                   {"style", b.decision == "approve" ? "primary" : "danger"}};
    elements.push_back(std::move(e));
  }
  if (!elements.empty())
    blocks.push_back(json::object{{"type", "actions"}, {"elements", std::move(elements)}});
  blocks.push_back(json::object{
      {"type", "context"},
      {"elements",
       json::array{json::object{
           {"type", "plain_text"},
           {"text", oneLine("riposte · " + n.kind + " · " + isoTime(n.time_ms), 150)}}}}});
  return json::object{{"text", oneLine(n.title, 150)}, {"blocks", std::move(blocks)}};
}

json::value teams(const Notice& n) {
  // TextRun inside a RichTextBlock is never read as markdown: finding text stays text.
  auto run = [](const std::string& text, bool bold) {
    json::object r{{"type", "TextRun"}, {"text", text}};
    if (bold) r["weight"] = "Bolder";
    return r;
  };
  json::array body;
  body.push_back(json::object{{"type", "RichTextBlock"},
                              {"inlines", json::array{run(oneLine(n.title, 400), true)}}});
  for (const auto& l : n.lines)
    body.push_back(json::object{{"type", "RichTextBlock"},
                                {"inlines", json::array{run(oneLine(l, 2000), false)}}});
  json::array actions;
  for (const auto& b : buttons(n))
    actions.push_back(json::object{{"type", "Action.OpenUrl"}, {"title", b.label}, {"url", b.url}});
  json::object card{{"$schema", "http://adaptivecards.io/schemas/adaptive-card.json"},
                    {"type", "AdaptiveCard"},
                    {"version", "1.4"},
                    {"body", std::move(body)}};
  if (!actions.empty()) card["actions"] = std::move(actions);
  return json::object{
      {"type", "message"},
      {"attachments",
       json::array{json::object{{"contentType", "application/vnd.microsoft.card.adaptive"},
                                {"contentUrl", nullptr},
                                {"content", std::move(card)}}}}};
}

std::optional<json::value> pagerduty(const WebhookFormat& f, const Notice& n) {
  if (n.pager_action.empty() || n.dedup_key.empty()) return std::nullopt;
  json::object o{
      {"routing_key", f.routing_key}, {"event_action", n.pager_action}, {"dedup_key", n.dedup_key}};
  if (n.pager_action == "trigger") {
    json::object details;
    for (const auto& l : n.lines) {
      auto c = l.find(": ");
      if (c == std::string::npos) continue;
      details[l.substr(0, c)] = l.substr(c + 2);
    }
    json::object payload{{"summary", oneLine(n.title, 1024)},
                         {"source", f.source},
                         {"severity", n.severity},
                         {"component", "riposte"},
                         {"class", n.kind},
                         {"custom_details", std::move(details)}};
    if (n.time_ms > 0) payload["timestamp"] = formatIso8601Millis(n.time_ms);
    o["payload"] = std::move(payload);
  }
  return json::value(std::move(o));
}

// Jira wiki markup: finding text inside {noformat} (shown as typed); the block's own end
// marker cannot occur in it.
std::string noformat(std::string s) {
  for (std::size_t at = s.find("{noformat}"); at != std::string::npos;
       at = s.find("{noformat}", at))
    s.replace(at, 10, "{ noformat}");
  return "{noformat}\n" + s + "\n{noformat}";
}

json::value jira(const WebhookFormat& f, const Notice& n) {
  std::string description = noformat(bodyText(n));
  for (const auto& b : buttons(n))
    description += "\n[" + b.label + "|" + b.url + "]";  // riposte's own URLs only
  return json::object{{"fields", json::object{{"project", json::object{{"key", f.project}}},
                                              {"issuetype", json::object{{"name", f.issue_type}}},
                                              {"summary", oneLine("[riposte] " + n.title, 255)},
                                              {"description", std::move(description)},
                                              {"labels", json::array{"riposte", n.event}}}}};
}

json::value generic(const Notice& n) {
  json::array lines;
  for (const auto& l : n.lines) lines.emplace_back(l);
  return json::object{{"event", n.event},
                      {"kind", n.kind},
                      {"seq", n.seq},
                      {"time", isoTime(n.time_ms)},
                      {"incidentId", n.incident_id},
                      {"title", n.title},
                      {"lines", std::move(lines)},
                      {"severity", n.severity},
                      {"approvalId", n.approval_id},
                      {"links", n.links},
                      {"record", n.data}};
}

}  // namespace

std::string oneLine(std::string_view s, std::size_t max) {
  std::string out;
  out.reserve(std::min(s.size(), max));
  for (char c : s) out += static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? ' ' : c;
  return text::truncateUtf8(out, max, "…");
}

std::optional<Notice> noticeOf(const store::AuditRecord& rec, const LinkMaker& links) {
  auto parsed = parseJson(rec.json);
  if (!parsed || !parsed->is_object()) return std::nullopt;
  const json::object& d = parsed->as_object();
  std::optional<Notice> n;
  if (rec.kind == "approval.requested" || rec.kind == "approval.decided") {
    n = approvalNotice(rec, d, links);
  } else if (rec.kind == "execution.step") {
    n = failureNotice(d);
  } else if (rec.kind == "incident.opened" || rec.kind == "incident.status") {
    n = incidentNotice(rec, d);
  } else if (rec.kind == "breaker.opened" || rec.kind == "breaker.closed") {
    n = breakerNotice(rec, d);
  }
  if (!n) return n;
  // One fact per line: text from a finding cannot start a line of its own (a forged
  // "Approve: URL" or "Decide:" line).
  n->title = oneLine(n->title, 400);
  for (auto& l : n->lines) l = oneLine(l, 2000);
  if (n->dedup_key.empty()) n->dedup_key = n->incident_id;
  n->kind = rec.kind;
  n->seq = rec.seq;
  n->time_ms = rec.time_ms;
  n->data = d;
  return n;
}

std::optional<json::value> renderWebhook(const WebhookFormat& fmt, const Notice& n) {
  if (fmt.format == "slack") return slack(n);
  if (fmt.format == "teams") return teams(n);
  if (fmt.format == "pagerduty") return pagerduty(fmt, n);
  if (fmt.format == "jira") return jira(fmt, n);
  return generic(n);
}

SnsMessage renderSns(const Notice& n) {
  SnsMessage m;
  // SNS: ASCII, no line breaks or control characters, under 100 characters.
  std::string subject;
  for (char c : "riposte: " + n.title) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x80 && (u & 0xC0) == 0x80) continue;  // a UTF-8 continuation: one '?' per char
    subject += u < 0x20 || u == 0x7f ? ' ' : u >= 0x80 ? '?' : c;
  }
  if (subject.size() > 99) subject = subject.substr(0, 96) + "...";
  m.subject = subject;
  m.message = n.title + "\n\n" + bodyText(n);
  for (const auto& b : buttons(n)) m.message += "\n" + b.label + ": " + b.url;
  return m;
}

}  // namespace riposte::sinks
