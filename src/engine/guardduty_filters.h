#pragma once
// GuardDuty filters for suppressions marked `guardduty: archive` (issue 11): what riposte
// suppresses, GuardDuty archives too (policy/guardduty_filter.h says how a suppression maps).
//
//   FilterSync sync(store, clock, metrics);
//   sync.configure(cfg.guardduty, cfg.default_region, aws_client);
//   if (sync.due(store.suppressionsVersion())) sync.sync(effective_suppressions);
//
// sync() makes the detector's filters named riposte-<suppression> what the suppressions that
// apply now say: each wanted filter is read (GetFilter) and created (CreateFilter, action
// ARCHIVE) or updated (UpdateFilter) when it differs; a filter riposte made whose suppression
// was deleted, expired or no longer asks for it is deleted (DeleteFilter). Each change is an
// action record written BEFORE the call (running), then finished (succeeded or failed): the
// audit log has action.finished for every one, and the records say which filters riposte made
// (a create record still running after a crash counts: the call may have landed). A filter of
// a wanted name that riposte did not make is left alone and reported. Failures are counted
// (riposte_guardduty_filter_changes_total{op, outcome}), logged, and tried again at the next
// sync (a minute later; also when the suppressions or the configuration change).
//
// Thread-safety: sync() calls are serialised; statusJson() never waits for one.

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "aws/client.h"
#include "core/clock.h"
#include "core/json.h"
#include "engine/metrics.h"
#include "policy/guardduty_filter.h"
#include "policy/suppression.h"
#include "store/store.h"

namespace riposte::engine {

class FilterSync {
 public:
  // The action names of the records (one per change).
  static constexpr const char* kCreate = "aws.guardduty.createFilter";
  static constexpr const char* kUpdate = "aws.guardduty.updateFilter";
  static constexpr const char* kDelete = "aws.guardduty.deleteFilter";
  static constexpr int64_t kEveryMs = 60'000;

  FilterSync(store::Store& store, const Clock& clock, Metrics& metrics);
  static void declareMetrics(Metrics& m);

  void configure(std::optional<policy::GuardDutySettings> settings, std::string default_region,
                 std::shared_ptr<aws::Client> aws);
  // A sync is wanted: the configuration changed (configure), the stored suppressions did
  // (`suppressions_version` differs from the last sync's), or a minute passed since the last.
  bool due(int64_t suppressions_version) const;
  // {"created": n, "updated": n, "deleted": n, "unchanged": n, "errors": ["…"]}; an error
  // only when the store cannot be read or written (AWS errors are in "errors").
  Result<json::value> sync(const std::vector<policy::Suppression>& effective,
                           int64_t suppressions_version = 0);
  // {"detectorId", "region", "filters": [names], "lastSyncAt", "lastErrors": [...]} or null.
  json::value statusJson() const;

 private:
  store::Store& store_;
  const Clock& clock_;
  Metrics& metrics_;
  std::mutex sync_mu_;
  mutable std::mutex mu_;
  std::optional<policy::GuardDutySettings> settings_;
  std::string default_region_;
  std::shared_ptr<aws::Client> aws_;
  bool dirty_ = true;
  int64_t last_ms_ = 0;
  int64_t last_version_ = -1;
  std::vector<std::string> filters_, last_errors_;
};

}  // namespace riposte::engine
