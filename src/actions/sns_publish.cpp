// aws.sns.publish: a readable alert (or a given message) to an SNS topic.
#include "actions/notify.h"
#include "actions/registry.h"
#include "actions/util.h"
#include "aws/arn.h"
#include "aws/sigv4.h"
#include "core/text.h"

namespace riposte::actions {

Alert renderAlert(const json::value& finding, const json::value& actions,
                  const std::string& incident_id) {
  Alert a;
  const bool has_finding = finding.is_object();
  FindingSummary f = has_finding ? summarizeFinding(finding) : FindingSummary{};
  std::vector<std::string> lines = actionLines(actions);

  std::string subject = "[riposte] ";
  if (has_finding) {
    subject += f.severity_label + " " + (f.type.empty() ? "finding" : f.type);
    if (!f.resource_id.empty()) subject += " on " + f.resource_id;
    if (!lines.empty()) subject += ": " + std::to_string(lines.size()) + " action(s) taken";
  } else {
    subject += "incident " + incident_id;
  }
  a.subject = singleLine(subject, 100);

  std::string m;
  if (has_finding) {
    char sev[32];
    std::snprintf(sev, sizeof sev, "%g", f.severity);
    m += "riposte responded to a " + f.severity_label + " severity GuardDuty finding.\n\n";
    m += "Finding:    " + (f.type.empty() ? std::string("(no type)") : f.type) + " (severity " +
         sev + ", " + f.severity_label + ")\n";
    if (!f.title.empty()) m += "Title:      " + f.title + "\n";
    m += "Resource:   " + f.resource_label + "\n";
    if (!f.remote_ip.empty()) {
      m += "Attacker:   " + f.remote_ip;
      if (!f.remote_where.empty()) m += " (" + f.remote_where + ")";
      m += "\n";
    } else if (!f.domain.empty()) {
      m += "Attacker:   domain " + f.domain + "\n";
    } else {
      m += "Attacker:   no remote address in the finding\n";
    }
    if (!f.id.empty()) m += "Finding id: " + f.id + "\n";
  }
  if (!incident_id.empty()) m += "Incident:   " + incident_id + "\n";
  m += "\nActions taken:\n";
  if (lines.empty()) m += "  (none: notification only)\n";
  for (const auto& l : lines) m += "  - " + l + "\n";
  if (has_finding && !f.description.empty()) m += "\n" + f.description + "\n";
  a.message = std::move(m);
  return a;
}

namespace {

constexpr std::size_t kMaxMessageBytes = 200 * 1024;  // SNS allows 256 KB

class SnsPublish final : public BuiltinAction {
 public:
  // A publish cannot be checked afterwards: an interrupted one is sent again with the same
  // deduplication id (MessageDeduplicationId on a FIFO topic, riposte-dedup-id otherwise).
  const Descriptor& descriptor() const override {
    static const Descriptor kD{
        .name = "aws.sns.publish",
        .description =
            "Publishes an alert to an SNS topic (or to the topic for the finding's severity, "
            "from \"topicArns\"). Without an explicit message it renders a readable one naming "
            "the finding (type, severity, title), the resource, the attacker (remote IP) and "
            "every action taken so far; the subject is one line of at most 100 characters. "
            "Message attributes carry the severity, the incident id and riposte-dedup-id (the "
            "same when an interrupted attempt is sent again; a FIFO topic also gets it as "
            "MessageDeduplicationId).",
        .role = Role::kNotify,
        .permissions = {[] {
          Permission p = awsPermission("sns:Publish");
          p.resources.clear();
          p.task_topics = true;
          return p;
        }()},
        .undo_note = "nothing to undo: a message cannot be recalled.",
        .replay = Replay::kRerunDeduplicated,
    };
    return kD;
  }

 protected:
  Result<ActionOutcome> execute(const json::value& input, ActionContext& ctx) const override {
    // "topicArn", or "topicArns" per severity label ({"HIGH": …, "default": …}).
    Result<std::string> topic = fail(kInvalidInput, "");
    if (const json::value* by =
            input.is_object() ? input.as_object().if_contains("topicArns") : nullptr;
        by && by->is_object() && !input.as_object().contains("topicArn")) {
      const json::value* f = input.as_object().if_contains("finding");
      const std::string label =
          (f && f->is_object()) ? summarizeFinding(*f).severity_label : std::string("default");
      std::string chosen = stringAt(*by, label).value_or(stringAt(*by, "default").value_or(""));
      if (chosen.empty()) {
        return fail(kInvalidInput,
                    "topicArns has no topic for severity " + label + " and no \"default\"");
      }
      topic = chosen;
    } else {
      topic = requireString(input, "topicArn");
    }
    if (!topic) return fail(topic.error());
    const auto arn = aws::parseSnsTopicArn(*topic);
    if (!arn) {
      return fail(kInvalidInput, "topicArn \"" + *topic + "\" is not an SNS topic ARN");
    }
    auto subject_in = optionalString(input, "subject");
    if (!subject_in) return fail(subject_in.error());
    auto message_in = optionalString(input, "message");
    if (!message_in) return fail(message_in.error());
    auto incident = optionalString(input, "incidentId", ctx.incident_id);
    if (!incident) return fail(incident.error());
    const json::value* finding = input.as_object().if_contains("finding");
    const json::value* actions = input.as_object().if_contains("actions");

    Alert alert = renderAlert(finding ? *finding : json::value(nullptr),
                              actions ? *actions : json::value(nullptr), *incident);
    if (!message_in->empty()) alert.message = *message_in;
    if (!subject_in->empty()) alert.subject = singleLine(*subject_in, 100);
    if (alert.message.size() > kMaxMessageBytes) {
      alert.message = text::truncateUtf8(alert.message, kMaxMessageBytes) + "\n[truncated]";
    }
    std::string severity;
    if (finding && finding->is_object()) severity = summarizeFinding(*finding).severity_label;

    ActionOutcome out;
    out.before = nullptr;
    if (ctx.dry_run) {
      out.changed = false;
      out.output = json::object{{"topicArn", *topic},
                                {"subject", alert.subject},
                                {"message", alert.message},
                                {"dryRun", true}};
      out.after = nullptr;
      out.summary = "dry run: would notify " + *topic + ": " + alert.subject;
      return out;
    }
    auto c = ctx.aws;
    if (!c) return fail(kNotConfigured, "no AWS client configured for this action");
    aws::Call call;
    call.service = "sns";
    call.region = arn->region;
    call.action = "Publish";
    call.params = {{"TopicArn", *topic}, {"Subject", alert.subject}, {"Message", alert.message}};
    int n = 0;
    auto attr = [&](const std::string& k, const std::string& v) {
      if (v.empty()) return;
      const std::string p = "MessageAttributes.entry." + std::to_string(++n);
      call.params.emplace_back(p + ".Name", k);
      call.params.emplace_back(p + ".Value.DataType", "String");
      call.params.emplace_back(p + ".Value.StringValue", v);
    };
    // The deduplication id: the action record's id, the same when the engine runs an
    // interrupted attempt again (outside the engine, one made from the content).
    const std::string dedup_id =
        ctx.action_id.empty()
            ? "msg-" +
                  aws::sha256Hex(*topic + "\n" + alert.subject + "\n" + alert.message).substr(0, 32)
            : ctx.action_id;
    const bool fifo = arn->fifo;
    if (fifo) {
      // SNS FIFO drops a second message with the same id within its 5-minute window, and
      // passes the id on to FIFO queues. Messages of one incident stay in order.
      call.params.emplace_back("MessageGroupId", incident->empty() ? "riposte" : *incident);
      call.params.emplace_back("MessageDeduplicationId", dedup_id);
    }
    attr("severity", severity);
    attr("incidentId", *incident);
    attr("riposte-dedup-id", dedup_id);  // for receivers of a standard topic to drop repeats
    auto r = c->query(call);
    if (!r) return fail(r.error());
    const std::string message_id = r->text("PublishResult/MessageId");
    out.changed = true;
    out.after = json::object{{"messageId", message_id}};
    out.output = json::object{{"topicArn", *topic},
                              {"messageId", message_id},
                              {"subject", alert.subject},
                              {"dedupId", dedup_id}};
    out.summary = "notified " + *topic + " (message " + message_id + ")";
    return out;
  }
};

}  // namespace

std::shared_ptr<const Action> makeSnsPublish() {
  return std::make_shared<SnsPublish>();
}

}  // namespace riposte::actions
