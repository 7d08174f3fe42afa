#pragma once
// Runs the Task states of a playbook by calling riposte's built-in actions. When given a store,
// each call is recorded before it acts and after (status, before/after, error, duration).

#include <optional>
#include <string>

#include "actions/action.h"
#include "actions/registry.h"
#include "asl/asl.h"
#include "engine/metrics.h"
#include "store/store.h"

namespace riposte::engine {

struct ActionRunnerContext {
  const actions::Registry* registry = nullptr;  // required
  store::Store* store = nullptr;                // null: do not record (riposte execute)
  aws::Client* aws = nullptr;                   // null: AWS actions fail with NoCredentials
  std::optional<Error> aws_error;  // set: every action fails with it (no client for the account)
  const Clock* clock = nullptr;    // required
  Metrics* metrics = nullptr;      // optional
  std::string incident_id, execution_id;
  std::string account, region;  // of the finding: where the actions act
  bool dry_run = false;
  std::string protected_tag = "riposte:protected";
};

class ActionRunner final : public asl::TaskRunner {
 public:
  explicit ActionRunner(ActionRunnerContext ctx) : ctx_(std::move(ctx)) {}
  // Unknown resources fail with States.TaskFailed; an action's error fails the Task with the
  // action's error code (AWS's, e.g. "InvalidInstanceID.NotFound"). Fails closed: an action
  // that cannot be recorded beforehand is not run.
  asl::TaskResult run(const asl::TaskRequest& req) override;

  // The records written so far (also when no store is set), oldest first.
  const std::vector<store::ActionRecord>& records() const { return records_; }

 private:
  ActionRunnerContext ctx_;
  std::vector<store::ActionRecord> records_;
};

}  // namespace riposte::engine
