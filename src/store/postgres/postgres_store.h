#pragma once
// The shared store: PostgreSQL through libpq, for several riposte processes on one database.
// Upserts and duplicate detection use INSERT … ON CONFLICT; claimRunnable uses
// SELECT … FOR UPDATE SKIP LOCKED, so concurrent workers never claim the same execution.
//
// Thread-safety: a pool of connections (Options::pool_size); every method may be called from
// any thread, and up to pool_size calls run at once, each on its own connection. A call that
// finds its connection broken reconnects: a read retries once on a fresh connection, a write
// retries only when the connection broke before its transaction began (so a write is never
// applied twice). Otherwise the error is "StoreUnavailable".

#include <memory>
#include <string>

#include "store/store.h"

namespace riposte::store {

class PostgresStore final : public Store {
 public:
  struct Options {
    int pool_size = 4;
  };

  // Connects once (to report a bad URL, host or password now) using `conninfo`, a
  // "postgresql://…" URL or a libpq key=value string. Does not migrate: call migrate()
  // (openStore() does). Errors: "StoreUnavailable".
  static Result<std::unique_ptr<PostgresStore>> open(const std::string& conninfo, Options options);
  static Result<std::unique_ptr<PostgresStore>> open(const std::string& conninfo) {
    return open(conninfo, Options{});
  }
  ~PostgresStore() override;

  // The schema version this build writes (max(version) of schema_migrations after migrate()).
  static int schemaVersion();

  Result<void> migrate() override;
  Result<void> ping() override;

  Result<std::vector<bool>> insertEvents(const std::vector<EventRecord>& events) override;
  Result<std::optional<EventRecord>> getEvent(const std::string& id) override;
  Result<std::vector<EventRecord>> pendingEvents(int limit) override;
  Result<void> markEvent(const std::string& id, const std::string& status,
                         const std::vector<std::string>& matched_rules, const std::string& error,
                         Flush flush = Flush::kNow) override;
  Result<void> markEventSuppressed(const std::string& id, const std::string& suppression,
                                   const std::vector<std::string>& matched_rules,
                                   Flush flush = Flush::kNow) override;
  Result<int64_t> countEvents() override;

  Result<Upserted> upsertIncident(const IncidentRecord& rec, const std::string& event_id,
                                  Flush flush = Flush::kNow) override;
  Result<std::optional<IncidentRecord>> getIncident(const std::string& id) override;
  Result<std::vector<IncidentRecord>> listIncidents(int limit, int offset) override;
  Result<void> setIncidentStatus(const std::string& id, const std::string& status, int64_t now_ms,
                                 Flush flush = Flush::kNow, const StatusCause& why = {}) override;
  Result<std::vector<std::string>> incidentEvents(const std::string& incident_id) override;

  Result<void> createExecution(const ExecutionRecord& rec,
                               const std::vector<HistoryRecord>& first_events,
                               Flush flush = Flush::kNow) override;
  Result<std::optional<ExecutionRecord>> getExecution(const std::string& id) override;
  Result<std::vector<ExecutionRecord>> executionsForIncident(
      const std::string& incident_id) override;
  Result<void> recordStep(const ExecutionRecord& rec,
                          const std::vector<HistoryRecord>& events) override;
  Result<std::vector<Result<void>>> recordSteps(const std::vector<StepRef>& steps) override;
  Result<std::vector<HistoryRecord>> history(const std::string& execution_id) override;
  Result<std::optional<std::string>> snapshotBlob(const std::string& execution_id,
                                                  const std::string& id) override;
  Result<std::vector<ExecutionRecord>> claimRunnable(const std::string& owner, int64_t now_ms,
                                                     int64_t lease_ms, int limit) override;
  Result<std::optional<int64_t>> nextWake() override;
  Result<std::vector<std::pair<std::string, int64_t>>> executionCounts() override;
  Result<std::vector<std::pair<std::string, int64_t>>> incidentCounts() override;
  Result<int64_t> releaseLeases(const std::string& owner) override;

  Result<void> insertAction(const ActionRecord& rec) override;
  Result<void> updateAction(const ActionRecord& rec) override;
  Result<std::optional<ActionRecord>> getAction(const std::string& id) override;
  Result<std::vector<ActionRecord>> actionsForIncident(const std::string& incident_id) override;
  Result<std::vector<ActionRecord>> actionsWithStatus(const std::vector<std::string>& actions,
                                                      const std::string& status) override;

  Result<void> insertSuppression(const SuppressionRecord& rec, const std::string& reason) override;
  Result<void> deleteSuppression(const std::string& name, const std::string& by,
                                 const std::string& reason, int64_t now_ms) override;
  Result<std::vector<SuppressionRecord>> listSuppressions() override;
  Result<bool> insertApproval(const ApprovalRecord& rec, const std::string& audit_json) override;
  Result<std::optional<ApprovalRecord>> getApproval(const std::string& id) override;
  Result<std::vector<ApprovalRecord>> listApprovals(const std::string& execution_id) override;
  Result<void> updateApproval(const ApprovalRecord& rec, int64_t time_ms,
                              const std::string& audit_kind,
                              const std::string& audit_json) override;
  Result<int64_t> suppressionsVersion() override;
  Result<TaskCallbackRecord> acceptTaskCallback(const TaskCallbackRecord& cb) override;
  Result<std::vector<TaskCallbackRecord>> taskCallbacks(const std::string& execution_id) override;
  Result<std::vector<TaskTokenRecord>> taskTokens(const std::string& execution_id) override;
  Result<LimitGrant> reserveLimits(const LimitRequest& req) override;
  Result<int64_t> releaseLimits(const std::string& action_id) override;
  Result<std::vector<std::pair<std::string, int64_t>>> limitUsage(const std::string& limit,
                                                                  int64_t window_ms,
                                                                  int64_t now_ms) override;
  Result<BreakerState> breakerState() override;
  Result<int64_t> breakerCount(int64_t window_ms, int64_t now_ms) override;
  Result<bool> closeBreaker(const std::string& by, const std::string& reason,
                            int64_t now_ms) override;

  Result<std::vector<AuditRecord>> readAudit(int64_t after_seq, int limit) override;
  Result<int64_t> auditHead() override;
  Result<int64_t> sinkCursor(const std::string& sink) override;
  Result<void> setSinkCursor(const std::string& sink, int64_t seq) override;
  Result<std::optional<int64_t>> sinkCursorIfSet(const std::string& sink) override;
  Result<bool> claimSinkLease(const std::string& sink, const std::string& owner, int64_t now_ms,
                              int64_t lease_ms) override;
  Result<void> putThreatListCopy(const ThreatListCopy& copy) override;
  Result<void> touchThreatListCopy(const std::string& list, const std::string& fetch_key,
                                   int64_t fetched_ms) override;
  Result<std::optional<ThreatListCopy>> getThreatListCopy(const std::string& list) override;

  struct Impl;

 private:
  // status → count over one table ("executions", "incidents"); the name is never user input.
  Result<std::vector<std::pair<std::string, int64_t>>> statusCounts(const std::string& table);
  explicit PostgresStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace riposte::store
