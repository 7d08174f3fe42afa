#pragma once
// Reading GuardDuty findings and earlier action results, for notifications and records.

#include <string>
#include <vector>

#include "core/json.h"

namespace riposte::actions {

// What a notification or a Security Hub record needs from a GuardDuty finding.
struct FindingSummary {
  std::string id, arn, type, title, description, account, region, partition = "aws";
  std::string created_at, updated_at;
  double severity = 0;
  std::string severity_label;  // LOW / MEDIUM / HIGH / CRITICAL
  std::string resource_type;   // GuardDuty's: "Instance", "AccessKey", "S3Bucket", …
  std::string resource_id;     // "i-…", "AKIA…", bucket name
  std::string resource_label;  // "EC2 instance i-0abc (Name: web-1)"
  std::string user_name;       // AccessKey findings
  std::string remote_ip;       // the attacker's address, if the finding names one
  std::string remote_where;    // "Country, Org" when known
  std::string domain;          // DNS findings
};

// Accepts a finding (the `detail` of a "GuardDuty Finding" event) or the whole event.
FindingSummary summarizeFinding(const json::value& finding_or_event);

// GuardDuty's bands: < 4 LOW, < 7 MEDIUM, < 9 HIGH, else CRITICAL.
std::string severityLabel(double severity);

// One line per action taken, from "actions" (any JSON: results of earlier steps): objects
// carrying "summary" give it; objects carrying "Error"/"Cause" (a caught failure) give
// "FAILED …"; other values are shown compactly. Object keys prefix their line ("isolate: …").
std::vector<std::string> actionLines(const json::value& actions);

// Replaces control characters and non-ASCII by spaces/'?', collapses whitespace and cuts to
// `max` characters (with "..." when cut): a valid SNS Subject.
std::string singleLine(std::string_view s, std::size_t max);

}  // namespace riposte::actions
