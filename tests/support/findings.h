#pragma once
// GuardDuty finding fixtures shaped like the real thing (the `detail` of a
// "GuardDuty Finding" EventBridge event), for tests.

#include <string>

#include "core/json.h"

namespace riposte::testing {

struct FindingSpec {
  std::string instance_id = "i-0123456789abcdef0";
  std::string remote_ip = "198.51.100.7";  // "" → no remote address
  double severity = 8;
  std::string type = "UnauthorizedAccess:EC2/SSHBruteForce";
  std::string account = "123456789012";
  std::string region = "us-east-1";
  std::string id = "5ab1c2d3e4f5a6b7c8d9e0f1a2b3c4d5";
};

// The finding detail (instance resource, networkConnectionAction with remoteIpDetails).
json::value guardDutyFinding(const FindingSpec& spec = {});
// The same wrapped as EventBridge delivers it (source aws.guardduty, detail-type
// "GuardDuty Finding").
json::value guardDutyEvent(const FindingSpec& spec = {});

}  // namespace riposte::testing
