#pragma once
// Rendering of the alert aws.sns.publish sends (exposed for tests and other sinks).

#include <string>

#include "actions/finding.h"
#include "core/json.h"

namespace riposte::actions {

struct Alert {
  std::string subject;  // <= 100 characters, one line, ASCII
  std::string message;  // readable text
};

// The alert for a finding and the actions taken ("actions": results of earlier steps).
Alert renderAlert(const json::value& finding, const json::value& actions,
                  const std::string& incident_id);

}  // namespace riposte::actions

namespace riposte::actions {
// The ASFF finding aws.securityhub.importFindings imports (every required field set).
json::object buildAsff(const FindingSummary& f, const std::vector<std::string>& actions,
                       const std::string& incident_id, const std::string& account,
                       const std::string& region, const std::string& now_iso8601);
}  // namespace riposte::actions
