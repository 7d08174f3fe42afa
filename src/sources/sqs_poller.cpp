#include "sources/sqs_poller.h"

#include <thread>

#include "core/limits.h"
#include "core/log.h"

namespace riposte::sources {

namespace {

// "https://sqs.eu-west-1.amazonaws.com/123/q" → "eu-west-1".
std::string regionFromQueueUrl(const std::string& url) {
  auto p = url.find("sqs.");
  if (p == std::string::npos) return {};
  auto start = p + 4;
  auto end = url.find('.', start);
  if (end == std::string::npos) return {};
  return url.substr(start, end - start);
}

}  // namespace

Result<NormalizedEvent> eventFromSqsBody(std::string_view body, const std::string& message_id,
                                         const Clock& clock) {
  if (body.size() > limits::kMaxEventBytes) {
    return fail("TooLarge", "message " + message_id + " is " + std::to_string(body.size()) +
                                " bytes; an event may be at most 256 KB");
  }
  auto v = parseJson(body, limits::kMaxJsonDepth);
  if (!v) return fail(v.error().code, "message " + message_id + ": " + v.error().message);
  if (!v->is_object()) return fail("InvalidInput", "message " + message_id + ": not a JSON object");
  json::object obj = v->get_object();
  // An SNS notification (not raw delivery): the event is the Message string.
  if (auto t = obj.find("Type"); t != obj.end() && t->value() == "Notification" &&
                                 obj.contains("Message") && obj.at("Message").is_string()) {
    auto inner = parseJson(obj.at("Message").get_string(), limits::kMaxJsonDepth);
    if (!inner || !inner->is_object()) {
      return fail("InvalidInput", "message " + message_id + ": SNS Message is not a JSON object");
    }
    obj = inner->get_object();
  }
  // An event without an id of its own (a bare finding too) gets the message's: a redelivery
  // is then recognised as the same event.
  return eventFromObject(obj, clock, "message " + message_id, message_id);
}

SqsPoller::SqsPoller(SqsSourceConfig config, const aws::Client& client, EventSink sink,
                     const Clock& clock)
    : config_(std::move(config)), client_(client), sink_(std::move(sink)), clock_(clock) {
  if (config_.region.empty()) config_.region = regionFromQueueUrl(config_.queue_url);
  if (config_.region.empty()) config_.region = "us-east-1";
}

Result<PollStats> SqsPoller::pollOnce() {
  PollStats stats;
  aws::Call recv;
  recv.service = "sqs";
  recv.region = config_.region;
  recv.action = "AmazonSQS.ReceiveMessage";
  recv.json_version = "1.0";
  recv.body = json::object{{"QueueUrl", config_.queue_url},
                           {"MaxNumberOfMessages", config_.max_messages},
                           {"WaitTimeSeconds", config_.wait_seconds},
                           {"VisibilityTimeout", config_.visibility_timeout}};
  auto r = client_.jsonRpc(recv);
  if (!r) return fail(r.error());
  const auto* msgs = r->is_object() ? r->get_object().if_contains("Messages") : nullptr;
  if (!msgs || !msgs->is_array() || msgs->get_array().empty()) return stats;

  std::vector<NormalizedEvent> events;
  std::vector<std::string> handles;  // of the messages whose event goes to the store
  for (const auto& m : msgs->get_array()) {
    ++stats.received;
    if (!m.is_object()) continue;
    std::string id = stringAt(m, "MessageId").value_or("");
    std::string handle = stringAt(m, "ReceiptHandle").value_or("");
    std::string body = stringAt(m, "Body").value_or("");
    auto ev = eventFromSqsBody(body, id, clock_);
    if (!ev) {
      ++stats.rejected;
      logWarn("sqs message rejected (left in the queue)",
              {{"queue", config_.queue_url}, {"message", id}, {"error", ev.error().str()}});
      continue;
    }
    events.push_back(std::move(*ev));
    handles.push_back(handle);
  }
  if (events.empty()) return stats;
  auto stored = sink_(events);
  if (!stored) return fail(stored.error());  // nothing deleted: SQS redelivers
  for (bool s : *stored) (s ? stats.stored : stats.duplicates)++;

  // Stored (or already stored): now the messages may go.
  json::array entries;
  for (std::size_t i = 0; i < handles.size(); ++i) {
    entries.push_back(json::object{{"Id", std::to_string(i)}, {"ReceiptHandle", handles[i]}});
  }
  aws::Call del;
  del.service = "sqs";
  del.region = config_.region;
  del.action = "AmazonSQS.DeleteMessageBatch";
  del.json_version = "1.0";
  del.body = json::object{{"QueueUrl", config_.queue_url}, {"Entries", std::move(entries)}};
  if (auto d = client_.jsonRpc(del); !d) {
    // The events are stored; a redelivery is recognised by its id and changes nothing.
    logWarn("sqs delete failed (messages will be redelivered as duplicates)",
            {{"queue", config_.queue_url}, {"error", d.error().str()}});
  }
  return stats;
}

void SqsPoller::run(const std::atomic<bool>& running) {
  int backoff_ms = 500;
  while (running) {
    auto r = pollOnce();
    if (r) {
      backoff_ms = 500;
      continue;
    }
    logWarn("sqs poll failed", {{"queue", config_.queue_url}, {"error", r.error().str()}});
    for (int waited = 0; running && waited < backoff_ms; waited += 100) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    backoff_ms = std::min(backoff_ms * 2, 30'000);
  }
}

}  // namespace riposte::sources
