#pragma once
// The embedded store: SQLite 3 in WAL mode with synchronous=FULL (a write is on disk when a
// method returns success), foreign keys on, a busy timeout for other processes sharing the
// file, and every prepared statement cached.
//
// Thread-safety: one connection guarded by one mutex; every method may be called from any
// thread and methods run one at a time. Several processes may share one database file
// (write transactions start with BEGIN IMMEDIATE and wait up to the busy timeout).

#include <memory>
#include <string>

#include "store/store.h"

namespace riposte::store {

class SqliteStore final : public Store {
 public:
  struct Options {
    // How long a write waits for another process's write transaction before failing with
    // "StoreBusy".
    int busy_timeout_ms = 5000;
    // true: every write flushes to disk itself, also those asked with Flush::kWithNextFlush
    // (recordSteps, and processing an accepted event). false (the default): those survive any
    // crash of the process once recorded, and a power loss once the next flushed commit is
    // made (an accepted event, an action's record, a sink cursor: every write before
    // anything leaves riposte), which flushes the WAL up to them.
    bool flush_steps = false;
  };

  // Opens (creating it if needed) the database at `path` (":memory:" for a private in-memory
  // database) and creates the parent directory when missing. Does not migrate: call
  // migrate() (openStore() does). Errors: "StoreError".
  static Result<std::unique_ptr<SqliteStore>> open(const std::string& path, Options options);
  static Result<std::unique_ptr<SqliteStore>> open(const std::string& path) {
    return open(path, Options{});
  }
  ~SqliteStore() override;

  // The schema version this build writes (PRAGMA user_version after migrate()).
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
  explicit SqliteStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace riposte::store
