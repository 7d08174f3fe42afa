#pragma once
// Helpers shared by the store backends (not part of the public interface).

#include <string>
#include <vector>

#include "core/result.h"
#include "store/store.h"

// Early return of a failed Result from a function that returns a Result.
#define RIPOSTE_STORE_TRY(expr)                                           \
  do {                                                                    \
    auto riposte_store_try_r_ = (expr);                                   \
    if (!riposte_store_try_r_) return fail(riposte_store_try_r_.error()); \
  } while (0)

// Declares `var` as a reference to the value of a successful Result, or returns its error.
#define RIPOSTE_STORE_TRY_ASSIGN(var, expr)     \
  auto var##_r_ = (expr);                       \
  if (!var##_r_) return fail(var##_r_.error()); \
  auto& var = *var##_r_

namespace riposte::store::detail {

// matched_rules is stored as a JSON array of strings.
std::string encodeStringList(const std::vector<std::string>& v);
// Anything that is not a JSON array of strings decodes as empty.
std::vector<std::string> decodeStringList(const std::string& s);

// Checks of caller input shared by both backends ("InvalidArgument").
Result<void> checkId(const std::string& what, const std::string& id);
Result<void> checkEventStatus(const std::string& status);
Result<void> checkLimit(int limit, int offset = 0);

// --- audit log entries (the kind and JSON of each, shared by both backends) ---
struct AuditEntry {
  int64_t time_ms = 0;
  std::string kind;
  std::string json;
};
AuditEntry auditIncident(const std::string& kind, const IncidentRecord& inc,
                         const std::string& event_id);
AuditEntry auditExecutionStarted(const ExecutionRecord& rec);
AuditEntry auditStep(const std::string& execution_id, const std::string& incident_id,
                     const HistoryRecord& h);
// True when an action with this status has ended (action.finished is due).
bool actionEnded(const std::string& status);
AuditEntry auditActionFinished(const ActionRecord& a);

}  // namespace riposte::store::detail
