#include "support/findings.h"

namespace riposte::testing {

json::value guardDutyFinding(const FindingSpec& s) {
  json::object action{{"actionType", "NETWORK_CONNECTION"}};
  if (!s.remote_ip.empty()) {
    action["networkConnectionAction"] = json::object{
        {"connectionDirection", "INBOUND"},
        {"protocol", "TCP"},
        {"blocked", false},
        {"localPortDetails", json::object{{"port", 22}, {"portName", "SSH"}}},
        {"remoteIpDetails",
         json::object{{"ipAddressV4", s.remote_ip},
                      {"country", json::object{{"countryName", "Exampleland"}}},
                      {"organization",
                       json::object{{"org", "Example Hosting"}, {"asnOrg", "EXAMPLE-AS"}}}}}};
  }
  const std::string arn = "arn:aws:guardduty:" + s.region + ":" + s.account +
                          ":detector/12abc34d567e8fa901bc2d34e56789f0/finding/" + s.id;
  return json::object{
      {"schemaVersion", "2.0"},
      {"accountId", s.account},
      {"region", s.region},
      {"partition", "aws"},
      {"id", s.id},
      {"arn", arn},
      {"type", s.type},
      {"resource",
       json::object{
           {"resourceType", "Instance"},
           {"instanceDetails", json::object{{"instanceId", s.instance_id},
                                            {"instanceType", "t3.micro"},
                                            {"tags", json::array{json::object{
                                                         {"key", "Name"}, {"value", "web-1"}}}}}}}},
      {"service", json::object{{"serviceName", "guardduty"},
                               {"action", action},
                               {"count", 3},
                               {"eventFirstSeen", "2026-11-23T06:00:00.000Z"},
                               {"eventLastSeen", "2026-11-23T06:05:00.000Z"}}},
      {"severity", s.severity},
      {"createdAt", "2026-11-23T06:00:00.000Z"},
      {"updatedAt", "2026-11-23T06:05:00.000Z"},
      {"title", s.remote_ip.empty() ? "Suspicious activity on EC2 instance " + s.instance_id
                                    : s.remote_ip +
                                          " is performing SSH brute force attacks "
                                          "against " +
                                          s.instance_id + "."},
      {"description", "Brute force attacks against " + s.instance_id + " were observed."}};
}

json::value guardDutyEvent(const FindingSpec& s) {
  return json::object{{"version", "0"},
                      {"id", "7bf73129-1428-4cd3-a780-95db273d1602"},
                      {"detail-type", "GuardDuty Finding"},
                      {"source", "aws.guardduty"},
                      {"account", s.account},
                      {"time", "2026-11-23T06:05:00Z"},
                      {"region", s.region},
                      {"resources", json::array()},
                      {"detail", guardDutyFinding(s)}};
}

}  // namespace riposte::testing
