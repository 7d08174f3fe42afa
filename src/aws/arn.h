#pragma once
// ARNs riposte reads from its configuration and from playbooks.
//
//   auto t = aws::parseSnsTopicArn("arn:aws:sns:us-east-1:123456789012:alerts");
//   if (t) publish_in(t->region);
//
// Pure; thread-safe.

#include <optional>
#include <string>
#include <string_view>

namespace riposte::aws {

// arn:<partition>:sns:<region>:<account>:<name>: six parts, the service sns, a region and a
// name. fifo: the name ends in ".fifo" (a FIFO topic needs a message group id).
struct SnsTopicArn {
  std::string partition, region, account, name;
  bool fifo = false;
};
std::optional<SnsTopicArn> parseSnsTopicArn(std::string_view arn);

}  // namespace riposte::aws
