#pragma once
// A suppression in words, for the runbook, `riposte suppress list` and the event view: what it
// matches (its pattern as the runbook words triggers, then its resource scope) and until when.

#include <string>

#include "policy/suppression.h"

namespace riposte::runbook {

// "GuardDuty findings where type starts with "Recon:EC2/", in account 111122223333" (no final
// period); "every event in account 111122223333" for a scope only. Plain text, UTF-8. Pure.
std::string describeSuppressionMatch(const policy::Suppression& s);

// "until 2026-12-31T00:00:00.000Z" or "until deleted (no expiry)". Pure (no clock).
std::string describeSuppressionExpiry(const policy::Suppression& s);

}  // namespace riposte::runbook
