#pragma once
// The loop (ARCHITECTURE.md): inbox → rules → incidents → executions → actions.
// Every arrow is a record in the store first: an accepted event is in the inbox before
// ingest() returns; an execution's every step is persisted before the next one starts; an
// action is recorded before it acts and after. A restarted engine resumes from the store.

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "actions/action.h"
#include "actions/registry.h"
#include "asl/asl.h"
#include "aws/client.h"
#include "aws/http.h"
#include "aws/sts.h"
#include "core/clock.h"
#include "engine/action_runner.h"
#include "engine/approvals.h"
#include "engine/config.h"
#include "engine/guardduty_filters.h"
#include "engine/metrics.h"
#include "engine/threat_feeds.h"
#include "engine/threat_publish.h"
#include "pattern/pattern.h"
#include "policy/suppression.h"
#include "sources/ingest.h"
#include "store/store.h"

namespace riposte::engine {

struct EngineOptions {
  std::string worker_id;      // lease owner name; default "<hostname>-<pid>"
  int64_t lease_ms = 60'000;  // an execution claimed by a dead worker is taken over after this
  bool background = true;     // run the worker thread (false: call drain() yourself)
  int batch = 64;             // events / executions taken per pass
  // A simulation (riposte simulate, replay: an in-memory store, every execution a dry run):
  // the guard rails decide the dry runs too, so a simulated burst shows what the limits and
  // the breaker would hold, and why; the breaker's alert is not sent; without AWS, what the
  // scope would read of a resource (its VPC, tags) is not checked, and the record says so.
  bool simulation = false;
};

class Engine {
 public:
  // `aws` may be null when no credentials are configured: Tasks calling AWS then fail with
  // "NoCredentials". The engine does not own the clock; it shares the store (the last owner
  // closes it), so a supervisor may keep the store open beyond the engine's lifetime.
  Engine(Config config, std::shared_ptr<store::Store> store, std::shared_ptr<aws::Client> aws,
         const Clock& clock, EngineOptions options = {});
  ~Engine();

  // Compiles the rules and playbooks and (if options.background) starts the worker, which first
  // resumes whatever the store holds (pending events, running executions).
  Result<void> start();
  void stop();

  // Replaces the built-in actions (tests use fakes). Call before start().
  void setRegistry(actions::Registry registry) { registry_ = std::move(registry); }
  // The HTTP client of http:invoke Tasks (default: libcurl). Call before start().
  void setHttpTransport(std::shared_ptr<aws::HttpTransport> http) { http_ = std::move(http); }

  // Stores events durably (one transaction) and wakes the worker. Per event: true if stored,
  // false if an event with the same id was already accepted (nothing changes).
  Result<std::vector<bool>> ingest(const std::vector<sources::NormalizedEvent>& events,
                                   const std::string& channel);

  // Processes all pending events and runs every runnable execution until none is runnable now.
  // Used by tests, `riposte process` and by the worker itself.
  Result<void> drain();

  // Waits until the inbox is empty and no execution is runnable before `timeout_ms` (timers in
  // the future do not count). True if idle.
  bool waitIdle(int64_t timeout_ms);

  // Swaps in a new configuration without stopping matching: rules, playbooks, safety (dry
  // run, protected tag), per-playbook settings, notifications, accounts and AWS defaults. The
  // swap is atomic: each event is processed wholly under the old or wholly under the new
  // configuration (the worker takes the current one at every pass). An execution already
  // started keeps the definition it was created with (stored with it); executions created
  // after the swap use the new playbooks. An error (a rule whose pattern does not compile)
  // changes nothing. Thread-safe. The store and listen address are not the engine's to swap.
  Result<void> reload(Config config);

  // Undoes the incident's recorded actions in reverse order (each through its action's undo:
  // releaseInstance for isolateInstance, unblockIp for blockIp, …), records every undo as an
  // action, marks the undone actions "released" and the incident "released". Actions without
  // an undo are listed as skipped; a failed undo leaves the incident as it was and is listed
  // with its error. Repeating a release changes nothing.
  // Undoes an incident's actions, newest first; `by` and `reason` (who asked, why) go into the
  // incident.status audit record of the release.
  Result<json::value> release(const std::string& incident_id, const std::string& by = "",
                              const std::string& reason = "");

  // --- read API (JSON for the HTTP API and the CLI) ---
  Result<json::value> listIncidents(int limit, int offset);
  Result<json::value> incident(const std::string& id);  // with its timeline; NotFound error
  // GET /v1/events/{id}: the stored event, what processing decided (status, the rules it
  // matched, the error) and, for a suppressed one, the suppression that silenced it (its
  // policy::suppressionJson, or {"name", "deleted": true} once it is gone). NotFound error.
  Result<json::value> event(const std::string& id);
  Result<json::value> execution(const std::string& id);  // with its history; NotFound error
  // Matches one event against the current rules (no side effects): names of matching rules.
  Result<std::vector<std::string>> matchRules(std::string_view event_json) const;

  // --- suppressions (engine/suppressions.h): the configuration's and the store's ---
  // {"suppressions": [...]}: every one that applies, expired ones included (marked).
  Result<json::value> listSuppressions();
  // POST /v1/suppressions: creates a stored one (audited as `by`); it applies from the next
  // event on, in every worker sharing the store. The created suppression as JSON.
  Result<json::value> createSuppression(const json::value& body, const std::string& by);
  Result<void> deleteSuppression(const std::string& name, const std::string& by,
                                 const std::string& reason);
  // The suppressions in force now (the configuration's and the store's as last loaded).
  Result<std::shared_ptr<const policy::SuppressionSet>> suppressions();

  // Prometheus text: the counters and histograms, plus gauges read from the store now
  // (incidents by status, executions by status, events waiting in the inbox).
  std::string renderMetrics();

  // --- blast-radius guard rails (guard.h, policy/limits.h) ---
  // GET /v1/policy: the breaker's state, every limit with its level now (places held per
  // counter key), the scope, in data and in words.
  Result<json::value> policyView();
  // A person closes the breaker (`riposte breaker close`, POST /v1/breaker/close): who and why
  // are required and recorded in the audit log. Returns {"closed": bool, "breaker": {…}};
  // closed false when it was not open.
  Result<json::value> closeBreaker(const std::string& by, const std::string& reason);

  // --- threat intelligence (threat_feeds.h) ---
  // The lists in use, their state, and a refresh of those due now (tests, `riposte process`;
  // the engine's own thread refreshes them when it runs in the background).
  ThreatFeeds& threatFeeds() { return *feeds_; }
  // The addresses riposte blocks, published for GuardDuty (threat_publish.h): synced after
  // each pass of the loop that blocked or released one.
  BlockPublisher& publisher() { return *publisher_; }
  FilterSync& filterSync() { return *filters_; }

  // --- Step Functions' callback API (`.waitForTaskToken`; server/api.h serves it) ---
  // Each accepts one callback for a task token into the store's durable inbox
  // (store::Store::acceptTaskCallback) and wakes the worker, which applies it to the waiting
  // execution exactly once (also after a crash: an accepted callback is in the store). Errors,
  // Step Functions' names: "InvalidToken" (malformed), "InvalidOutput" (success output not
  // JSON), "TaskDoesNotExist" (no task has this token), "TaskTimedOut" (closed, answered already,
  // or past its deadline); else the store's. The token itself is neither stored nor logged: its
  // digest is, and logs and the timeline show "sha256:" and its first 12 hex digits.
  Result<void> sendTaskSuccess(std::string_view token, std::string_view output_json);
  Result<void> sendTaskFailure(std::string_view token, std::optional<std::string> error,
                               std::optional<std::string> cause);
  Result<void> sendTaskHeartbeat(std::string_view token);

  // --- the approval gate (approvals.h): `riposte:approval` requests and their decisions ---
  // GET /v1/approvals[?status=pending|decided]: {"approvals": [...]}.
  Result<json::value> listApprovals(const std::string& status);
  Result<json::value> approval(const std::string& id);  // NotFound
  // POST /v1/approvals/{id}: one approver's decision ("approve" | "deny", a reason to deny);
  // policy/approval.h's errors (NotAnApprover, AlreadyVoted, ReasonRequired, ApprovalDecided,
  // InvalidDecision) or NotFound. A decision wakes the waiting execution.
  Result<json::value> decideApproval(const std::string& id, const std::string& decision,
                                     const std::string& reason, const std::string& approver);
  // GET /v1/approvals/{id}/link?t=: what a signed link's confirmation page shows (decides
  // nothing); POST: the link's vote as its approver (ApprovalGate::link / decideByLink).
  Result<json::value> approvalLink(const std::string& id, const std::string& token);
  Result<json::value> decideApprovalByLink(const std::string& id, const std::string& token,
                                           const std::string& reason);
  // The signed links of the request an approval.requested audit record describes
  // (ApprovalGate::linksOf): what approval notifications carry. Thread-safe.
  json::object approvalLinks(const json::object& requested) const;

  store::Store& store() { return *store_; }
  // The lease owner name of this worker (EngineOptions::worker_id, else RIPOSTE_WORKER_ID or
  // the host name).
  const std::string& workerId() const { return options_.worker_id; }
  // The configuration in force now (the one reload() swapped in last; before start(), the
  // constructor's). Safe to hold across a reload: it stays valid and unchanged.
  std::shared_ptr<const Config> config() const;
  Metrics& metrics() { return metrics_; }
  const actions::Registry& registry() const { return registry_; }

 private:
  struct Compiled {
    std::shared_ptr<const pattern::RuleSet> rules;
    std::vector<const Rule*> rule_of;  // RuleSet index → Rule
    Config config;
  };

  Result<std::shared_ptr<Compiled>> compile(Config config) const;
  Result<void> processEvent(const store::EventRecord& ev, const Compiled& compiled,
                            const policy::SuppressionSet& suppressions);
  // The suppression set for `compiled`: loaded again when the configuration was swapped or
  // the store's suppressions changed (any worker's write).
  Result<std::shared_ptr<const policy::SuppressionSet>> suppressionsFor(
      const std::shared_ptr<Compiled>& compiled);
  struct Live;
  Result<std::unique_ptr<Live>> startLive(store::ExecutionRecord rec);  // null: failed at once
  void stepLive(Live& live, std::vector<asl::HistoryEvent>& events);
  // What the actions of an incident act with: its account's AWS client (or why there is
  // none), its region, the store, clock, metrics and protection tag.
  ActionRunnerContext runnerContext(const store::IncidentRecord& incident);
  Result<void> runExecutions(std::vector<store::ExecutionRecord> recs);
  Result<std::shared_ptr<const asl::StateMachine>> machineFor(const std::string& definition);
  void finishIncident(const store::ExecutionRecord& rec);
  void workerLoop();
  void wakeWorker();
  Result<void> acceptCallback(std::string_view token, store::TaskCallbackRecord cb);
  // The same for a token known by its digest (cb.token_digest; the approval gate's).
  Result<void> acceptCallbackByDigest(store::TaskCallbackRecord cb);
  // Applies the callbacks accepted for `live` (true when there were any: they are this step).
  bool applyCallbacks(Live& live, std::vector<asl::HistoryEvent>& events);
  // The token rows this step of `live` writes: opened, started, heartbeat moved, closed.
  void diffTokens(Live& live);
  // The AWS client that acts in `account`: the configured role's (aws.accounts), assumed and
  // cached, or the base client. Error "AssumeRoleFailed" when the role cannot be assumed.
  Result<aws::Client*> clientForAccount(const std::string& account);
  std::shared_ptr<Compiled> current() const;

  Config config_;  // the constructor's, until start() compiles it
  std::shared_ptr<store::Store> store_;
  std::shared_ptr<aws::Client> aws_;
  std::unique_ptr<aws::AssumeRoleCache> roles_;
  const Clock& clock_;
  EngineOptions options_;
  actions::Registry registry_;
  Metrics metrics_;
  std::unique_ptr<Guard> guard_;
  std::unique_ptr<ApprovalGate> approvals_;
  std::shared_ptr<aws::HttpTransport> http_ = aws::makeCurlTransport();
  std::unique_ptr<ThreatFeeds> feeds_;
  std::unique_ptr<BlockPublisher> publisher_;
  std::unique_ptr<FilterSync> filters_;
  void configureThreatIntel(const Config& c);
  // Brings the GuardDuty filters of `guardduty: archive` suppressions up to date when due.
  void syncFilters(const std::shared_ptr<Compiled>& compiled);

  mutable std::mutex compiled_mu_;
  std::shared_ptr<Compiled> compiled_;

  std::mutex machines_mu_;
  std::map<std::string, std::shared_ptr<const asl::StateMachine>> machines_;

  std::mutex supp_mu_;  // guards the three below
  std::shared_ptr<const policy::SuppressionSet> supp_set_;
  std::shared_ptr<Compiled> supp_compiled_;  // the configuration supp_set_ was built with
  int64_t supp_version_ = -1;                // the store's suppressionsVersion() it read

  std::mutex drain_mu_;  // one drain at a time
  std::mutex wake_mu_;
  std::condition_variable wake_cv_;
  bool wake_ = false;
  std::atomic<bool> running_{false};
  std::thread worker_;
};

}  // namespace riposte::engine
