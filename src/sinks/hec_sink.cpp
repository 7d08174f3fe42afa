#include <thread>

#include "core/ids.h"
#include "sinks/builtin.h"

namespace riposte::sinks {
namespace {

// Splunk HTTP Event Collector: all records of a batch in one POST /services/collector/event
// (events back to back), "Authorization: Splunk <token>". With ack enabled, every request
// carries X-Splunk-Request-Channel and the batch counts as delivered only once
// POST /services/collector/ack reports its ackId true.
class HecSink final : public Sink {
 public:
  HecSink(HecSinkConfig cfg, std::shared_ptr<aws::HttpTransport> http)
      : cfg_(std::move(cfg)), http_(std::move(http)) {
    while (!cfg_.url.empty() && cfg_.url.back() == '/') cfg_.url.pop_back();
    if (cfg_.ack && cfg_.channel.empty()) cfg_.channel = newUuid();
  }
  const std::string& name() const override { return cfg_.name; }

  Result<void> send(const std::vector<AuditRecord>& batch) override {
    aws::HttpRequest req;
    req.method = "POST";
    req.url = cfg_.url + "/services/collector/event";
    req.headers = headers();
    for (const auto& rec : batch) {
      req.body += toJson(toHecEvent(rec, cfg_.fields));
      req.body += '\n';
    }
    auto resp = http_->send(req);
    if (!resp) return fail(kSinkUnavailable, "HEC " + req.url + ": " + resp.error().message);
    if (resp->status == 400) {
      return fail(kSinkRejected, "HEC " + req.url + " rejected the batch: " + resp->body);
    }
    if (resp->status != 200) {
      return fail(kSinkUnavailable,
                  "HEC " + req.url + ": HTTP " + std::to_string(resp->status) + ": " + resp->body);
    }
    if (!cfg_.ack) return {};
    auto body = parseJson(resp->body, 8);
    if (!body || !body->is_object() || !body->as_object().contains("ackId") ||
        !body->as_object().at("ackId").is_number()) {
      return fail(kSinkUnavailable, "HEC " + req.url +
                                        ": no ackId in the response (is "
                                        "indexer acknowledgement enabled on the token?): " +
                                        resp->body);
    }
    return waitForAck(body->as_object().at("ackId").to_number<int64_t>());
  }

 private:
  aws::Pairs headers() const {
    aws::Pairs h;
    h.emplace_back("Authorization", "Splunk " + cfg_.token);
    h.emplace_back("Content-Type", "application/json");
    if (cfg_.ack) h.emplace_back("X-Splunk-Request-Channel", cfg_.channel);
    return h;
  }

  Result<void> waitForAck(int64_t ack_id) {
    aws::HttpRequest req;
    req.method = "POST";
    req.url = cfg_.url + "/services/collector/ack";
    req.headers = headers();
    req.body = "{\"acks\":[" + std::to_string(ack_id) + "]}";
    const auto deadline = std::chrono::steady_clock::now() + cfg_.ack_timeout;
    std::string last;
    for (;;) {
      auto resp = http_->send(req);
      if (resp && resp->status == 200) {
        auto v = parseJson(resp->body, 8);
        const json::value* acked = nullptr;
        if (v && v->is_object()) acked = findPath(*v, "acks." + std::to_string(ack_id));
        if (acked != nullptr && acked->is_bool() && acked->as_bool()) return {};
        last = resp->body;
      } else {
        last = resp ? "HTTP " + std::to_string(resp->status) + ": " + resp->body
                    : resp.error().message;
      }
      if (std::chrono::steady_clock::now() + cfg_.ack_poll > deadline) break;
      std::this_thread::sleep_for(cfg_.ack_poll);
    }
    return fail(kSinkUnavailable, "HEC ackId " + std::to_string(ack_id) +
                                      " not acknowledged within " +
                                      std::to_string(cfg_.ack_timeout.count()) + " ms: " + last);
  }

  HecSinkConfig cfg_;
  std::shared_ptr<aws::HttpTransport> http_;
};

}  // namespace

std::unique_ptr<Sink> makeHecSink(HecSinkConfig cfg, std::shared_ptr<aws::HttpTransport> http) {
  return std::make_unique<HecSink>(std::move(cfg), std::move(http));
}

}  // namespace riposte::sinks
