// The notification sinks: `webhook` (Slack, Microsoft Teams, PagerDuty, Jira, generic JSON) and
// `sns`. They read the audit log like every sink (a durable cursor, at least once) and send one
// message per record a person must hear about (sinks/notify.h); every other record only moves
// the cursor. A notification sink starts at the end of the audit log the first time it runs:
// people are told of what happens from then on, not of the history.
#include "aws/client.h"
#include "core/log.h"
#include "sinks/builtin.h"

namespace riposte::sinks {
namespace {

// One message per record of the subscribed events (deliver); every other record only moves
// the cursor. A record of a batch already delivered by this object is not sent again when a
// later record of the batch failed and the runner sends the whole batch again.
class NotifySink : public Sink {
 public:
  NotifySink(std::string name, std::set<std::string> events, LinkMaker links)
      : name_(std::move(name)), events_(std::move(events)), links_(std::move(links)) {}
  const std::string& name() const override { return name_; }
  bool startsAtHead() const override { return true; }

  Result<void> send(const std::vector<AuditRecord>& batch) override {
    for (const auto& rec : batch) {
      if (rec.seq <= sent_through_) continue;
      auto n = noticeOf(rec, links_);
      if (n && events_.contains(n->event)) {
        if (auto r = deliver(*n); !r) return r;
      }
      sent_through_ = std::max(sent_through_, rec.seq);
    }
    return {};
  }

 protected:
  virtual Result<void> deliver(const Notice& n) = 0;

 private:
  std::string name_;
  std::set<std::string> events_;
  LinkMaker links_;
  int64_t sent_through_ = 0;
};

class WebhookSink final : public NotifySink {
 public:
  WebhookSink(WebhookSinkConfig cfg, std::shared_ptr<aws::HttpTransport> http, LinkMaker links)
      : NotifySink(cfg.name, cfg.events, std::move(links)),
        cfg_(std::move(cfg)),
        http_(std::move(http)) {}

 private:
  Result<void> deliver(const Notice& n) override {
    auto body = renderWebhook(cfg_.format, n);
    if (!body) return {};  // this format says nothing of it
    aws::HttpRequest req;
    req.method = "POST";
    req.url = cfg_.url;
    req.headers = cfg_.headers;
    req.headers.emplace_back("Content-Type", "application/json");
    req.body = toJson(*body);
    auto resp = http_->send(req);
    const std::string where =
        cfg_.format.format + " webhook (audit seq " + std::to_string(n.seq) + ")";
    if (!resp) return fail(kSinkUnavailable, where + ": " + resp.error().message);
    if (resp->status >= 200 && resp->status < 300) return {};
    const std::string msg =
        where + ": HTTP " + std::to_string(resp->status) + ": " + oneLine(resp->body, 300);
    // 400 / 413 / 422: the service refused this message as malformed; sending it again cannot
    // succeed. Anything else (401, 403, 404, 429, 5xx) may pass: retried with backoff.
    if (resp->status == 400 || resp->status == 413 || resp->status == 422)
      return fail(kSinkRejected, msg);
    return fail(kSinkUnavailable, msg);
  }

  WebhookSinkConfig cfg_;
  std::shared_ptr<aws::HttpTransport> http_;
};

class SnsSink final : public NotifySink {
 public:
  SnsSink(SnsSinkConfig cfg, std::shared_ptr<aws::Client> aws, LinkMaker links)
      : NotifySink(cfg.name, cfg.events, std::move(links)),
        cfg_(std::move(cfg)),
        aws_(std::move(aws)) {}

 private:
  Result<void> deliver(const Notice& n) override {
    if (!aws_)
      return fail(kSinkUnavailable, "sns sink " + cfg_.name + ": no AWS client (credentials)");
    const SnsMessage m = renderSns(n);
    aws::Call call;
    call.service = "sns";
    call.region = cfg_.region;
    call.action = "Publish";
    call.params = {{"TopicArn", cfg_.topic_arn}, {"Subject", m.subject}, {"Message", m.message}};
    // The same id for the same audit record: a FIFO topic drops a repeat, and receivers of a
    // standard topic can.
    const std::string dedup = "riposte-audit-" + std::to_string(n.seq);
    if (cfg_.topic_arn.ends_with(".fifo")) {
      call.params.emplace_back("MessageGroupId", n.incident_id.empty() ? "riposte" : n.incident_id);
      call.params.emplace_back("MessageDeduplicationId", dedup);
    }
    int i = 0;
    for (const auto& [k, v] : {std::pair<std::string, std::string>{"event", n.event},
                               {"incidentId", n.incident_id},
                               {"riposte-dedup-id", dedup}}) {
      if (v.empty()) continue;
      const std::string p = "MessageAttributes.entry." + std::to_string(++i);
      call.params.emplace_back(p + ".Name", k);
      call.params.emplace_back(p + ".Value.DataType", "String");
      call.params.emplace_back(p + ".Value.StringValue", v);
    }
    auto r = aws_->query(call);
    if (!r) {
      const std::string msg = "sns " + cfg_.topic_arn + " (audit seq " + std::to_string(n.seq) +
                              "): " + r.error().str();
      if (r.error().code == "InvalidParameter" || r.error().code == "InvalidParameterValue")
        return fail(kSinkRejected, msg);
      return fail(kSinkUnavailable, msg);
    }
    return {};
  }

  SnsSinkConfig cfg_;
  std::shared_ptr<aws::Client> aws_;
};

}  // namespace

std::unique_ptr<Sink> makeWebhookSink(WebhookSinkConfig cfg,
                                      std::shared_ptr<aws::HttpTransport> http, LinkMaker links) {
  return std::make_unique<WebhookSink>(std::move(cfg), std::move(http), std::move(links));
}

std::unique_ptr<Sink> makeSnsSink(SnsSinkConfig cfg, std::shared_ptr<aws::Client> aws,
                                  LinkMaker links) {
  return std::make_unique<SnsSink>(std::move(cfg), std::move(aws), std::move(links));
}

}  // namespace riposte::sinks
