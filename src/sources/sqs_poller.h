#pragma once
// The SQS source: long-polls a queue (the target of an EventBridge rule, an SNS subscription, or
// anything that writes findings to it), stores each message's event in the durable inbox, and
// deletes the message only after the store has it. A message that cannot be understood is left
// in the queue (SQS's redrive policy moves it to a dead-letter queue), never dropped silently.
//
// Departure from ARCHITECTURE.md's table: sources/ uses aws/ here (the poller must call SQS).

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "aws/client.h"
#include "core/clock.h"
#include "sources/ingest.h"

namespace riposte::sources {

struct SqsSourceConfig {
  std::string queue_url;  // https://sqs.<region>.amazonaws.com/<account>/<name> (or a local one)
  std::string region;     // signing region; "" → taken from the URL or us-east-1
  int wait_seconds = 20;  // long polling (0–20)
  int max_messages = 10;  // per ReceiveMessage (1–10)
  int visibility_timeout = 60;
};

// Stores events durably; per event true if stored, false if a duplicate (as Engine::ingest).
using EventSink = std::function<Result<std::vector<bool>>(const std::vector<NormalizedEvent>&)>;

// Turns one SQS message body into an event: an EventBridge envelope (as an EventBridge rule
// delivers it), an SNS notification wrapping one, or a bare GuardDuty or ASFF finding. `message_id`
// gives the event its id when the body has none (so a redelivery is recognised).
Result<NormalizedEvent> eventFromSqsBody(std::string_view body, const std::string& message_id,
                                         const Clock& clock);

struct PollStats {
  int received = 0;
  int stored = 0;
  int duplicates = 0;
  int rejected = 0;  // left in the queue
};

class SqsPoller {
 public:
  SqsPoller(SqsSourceConfig config, const aws::Client& client, EventSink sink, const Clock& clock);

  // One ReceiveMessage → store → DeleteMessageBatch round.
  Result<PollStats> pollOnce();
  // Polls until `running` turns false, backing off (up to 30 s) while SQS fails.
  void run(const std::atomic<bool>& running);

 private:
  SqsSourceConfig config_;
  const aws::Client& client_;
  EventSink sink_;
  const Clock& clock_;
};

}  // namespace riposte::sources
