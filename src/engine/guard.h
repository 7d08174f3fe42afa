#pragma once
// The engine's side of the blast-radius guard rails (policy/limits.h decides): before a
// destructive action acts, the action runner asks the Guard, which
//   1. reads what the scope needs of the resource's CURRENT state from AWS (its VPC, its tags)
//      and holds it against scope.allow / scope.deny — what cannot be read refuses the action
//      (fail closed, with the reason);
//   2. reads the running instances of the account and region when a share cap counts the
//      action (DescribeInstances, cached for kRunningCacheMs) — a count that cannot be read
//      refuses it too;
//   3. takes the action's places in the store (Store::reserveLimits: the limits' counters and
//      the breaker, atomically across workers);
// and says whether the action may act. A refused action goes to its on_limit (the rule's,
// else the limit's or the breaker's). When a request opens the breaker, the Guard sends the
// one alert (SNS Publish to notifications.sns_topic_arn).
//
// Places are kept for an action that changed something (succeeded) or planned under a limit,
// and given back (settle) for one that failed or found the resource already as wanted
// (unchanged): the limits count changes made, not attempts. The breaker counts attempts.
// An attempt run again after a crash keeps its places whatever it finds: "unchanged" may mean
// the interrupted run made the change, and a failure may follow a change it made, so it
// counts as a change (over-counting holds the limit; under-counting could pass it).
//
// Thread-safe.

#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "actions/action.h"
#include "core/clock.h"
#include "engine/metrics.h"
#include "policy/limits.h"
#include "store/store.h"

namespace riposte::engine {

struct GuardVerdict {
  bool act = true;            // the action may act
  bool out_of_scope = false;  // refused by the scope (the Task fails with riposte.OutOfScope)
  bool reserved = false;      // places were taken (give them back with settle() if unused)
  policy::OnLimit on_limit = policy::OnLimit::kDryRun;  // refused by a limit or the breaker
  std::string reason;                                   // why it is refused, in words
  std::string note;  // what was not checked, and why (a simulation without AWS)
};

class Guard {
 public:
  static constexpr int64_t kRunningCacheMs = 5 * 60'000;

  Guard(store::Store& store, const Clock& clock, Metrics& metrics);

  // Declares the riposte_limit_* metrics (called by the engine's constructor).
  static void declareMetrics(Metrics& m);

  struct Request {
    const policy::GuardRails* rails = nullptr;        // required
    std::optional<policy::OnLimit> rule_on_limit;     // the rule's on_limit, if it sets one
    const actions::Descriptor* descriptor = nullptr;  // required, destructive
    const json::value* parameters = nullptr;          // the Task's input
    actions::ActionContext* ac = nullptr;             // the AWS client, account, region, ids
    std::string sns_topic_arn;                        // where the breaker alert goes
    // EngineOptions::simulation: no alert is sent; without an AWS client (ac->aws null) the
    // scope's VPC and tag lists are not checked (GuardVerdict::note says so) instead of
    // refusing the action.
    bool simulation = false;
  };
  GuardVerdict check(const Request& req);

  // After the action: gives back the places of one that changed nothing (never for `rerun`,
  // an attempt run again after a crash).
  void settle(const std::string& action_id, const std::string& status, bool reserved,
              bool rerun = false);

  // What the scope check reads of the resource `d` changes (public for tests and simulate).
  static policy::ResourceFacts readFacts(const policy::Scope& scope, const actions::Descriptor& d,
                                         const json::value& parameters,
                                         const actions::ActionContext& ac);

 private:
  Result<int64_t> runningInstances(const actions::ActionContext& ac);
  void alert(const Request& req, const std::string& reason);

  store::Store& store_;
  const Clock& clock_;
  Metrics& metrics_;
  std::mutex mu_;
  struct Cached {
    int64_t count = 0, at_ms = 0;
  };
  std::map<std::string, Cached> running_;  // "account/region" → running instances
};

}  // namespace riposte::engine
