#include "sources/config.h"

namespace riposte::sources {

Result<void> registerConfig(config::Registry& registry) {
  using config::Field;
  using config::Schema;
  return registry.addType(
      "source", "sqs",
      Schema::object(
          {
              Field("queue_url", Schema::url({"https", "http"}, "the queue polled for events"))
                  .needed(),
              Field("region", Schema::string("the queue's signing region"))
                  .defaultText("the URL's, else us-east-1"),
              Field("wait_seconds", Schema::integer(0, 20, "long polling, seconds")).byDefault(20),
          },
          "SQS queues polled for events (EventBridge events or raw findings)"));
}

}  // namespace riposte::sources
