#pragma once
// Correlation: what an event is about (resource, finding), so repeats attach to one incident.

#include <string>

#include "core/json.h"
#include "store/store.h"

namespace riposte::engine {

// Extracts the incident facts from an EventBridge event: GuardDuty findings (detail.resource,
// detail.id/type/severity/title), Security Hub findings (detail.findings[0] in ASFF), or any
// other event (resources[0] / source, event id). `dedup_key` is
// "<account>/<region>/<resource id>/<finding id or type>".
store::IncidentRecord describeIncident(const json::object& event);

// The attacker's address named by a GuardDuty finding, if any (network connection, AWS API
// call, port probe, RDP/SSH brute force …). "" when there is none.
std::string remoteIpOf(const json::object& detail);

}  // namespace riposte::engine
