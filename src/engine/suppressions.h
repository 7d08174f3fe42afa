#pragma once
// Suppressions at run time (policy/suppression.h decides what they match): those of the
// configuration (policies/*.yaml) and those kept in the store (created and deleted through
// POST/DELETE /v1/suppressions or `riposte suppress`, audited there, surviving restarts).
// The engine, the HTTP API and the CLI share these helpers, so a suppression made by the CLI
// on the store is the same record the API makes. Thread-safe as the store is.

#include <string>
#include <vector>

#include "core/json.h"
#include "core/result.h"
#include "engine/config.h"
#include "policy/suppression.h"
#include "store/store.h"

namespace riposte::engine {

// The stored suppressions, parsed (oldest first). One that no longer reads is an error naming it.
Result<std::vector<policy::Suppression>> storedSuppressions(store::Store& store);

// Creates a stored suppression from a request body ({"name", "reason", "owner"?, "expires"?
// (RFC 3339 or 7d/12h/30m from now), "match": {"pattern"?, "scope"?}, "guardduty"?}), on
// behalf of `by` (who; also the owner when none is given). Errors: "InvalidSuppression" with
// every problem ("body.expires: …; body.match: …"), "Conflict" when the name is taken (by the
// configuration or the store).
Result<policy::Suppression> createSuppression(store::Store& store, const Config& cfg,
                                              const json::value& body, const std::string& by,
                                              int64_t now_ms);

// Deletes a stored suppression, recording who and why. Errors: "NotDeletable" for one of the
// configuration (it is removed by editing its file), "NotFound".
Result<void> deleteSuppression(store::Store& store, const Config& cfg, const std::string& name,
                               const std::string& by, const std::string& reason, int64_t now_ms);

// What applies, in precedence order: the configuration's, then the stored ones (oldest first).
// A stored one named like one of the configuration is left out (the file wins; created before
// the file named it) and reported in `shadowed`.
std::vector<policy::Suppression> effectiveSuppressions(
    const Config& cfg, std::vector<policy::Suppression> stored,
    std::vector<std::string>* shadowed = nullptr);

// The resource facts of an event a scope is checked against, beyond its account and region:
// the id of the resource the finding is about (as incidents read it) and that resource's tags.
void addResourceFacts(const json::object& event, policy::EventFacts& facts);

// {"suppressions": [policy::suppressionJson(…) + "file" for the configuration's]}.
json::object suppressionsJson(const Config& cfg, const std::vector<policy::Suppression>& effective,
                              int64_t now_ms);

}  // namespace riposte::engine
