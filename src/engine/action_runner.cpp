#include "engine/action_runner.h"

#include "core/ids.h"
#include "core/log.h"

namespace riposte::engine {

asl::TaskResult ActionRunner::run(const asl::TaskRequest& req) {
  asl::TaskResult out;
  const actions::Action* action = ctx_.registry->find(req.resource);
  if (!action) {
    out.ok = false;
    out.error = "States.TaskFailed";
    out.cause = "unknown Task resource '" + req.resource + "'";
    return out;
  }
  store::ActionRecord rec;
  rec.id = newId("act");
  rec.incident_id = ctx_.incident_id;
  rec.execution_id = ctx_.execution_id;
  rec.state_name = req.state_name;
  rec.action = std::string(action->name());
  rec.status = "running";
  rec.input = json::serialize(req.parameters);
  rec.started_ms = ctx_.clock->nowMillis();
  if (ctx_.store) {
    if (auto r = ctx_.store->insertAction(rec); !r) {
      out.ok = false;
      out.error = "States.TaskFailed";
      out.cause = "cannot record the action before running it: " + r.error().str();
      return out;
    }
  }
  actions::ActionContext ac;
  ac.incident_id = ctx_.incident_id;
  ac.execution_id = ctx_.execution_id;
  ac.state_name = req.state_name;
  ac.account = ctx_.account;
  ac.region = ctx_.region;
  ac.dry_run = ctx_.dry_run;
  ac.aws = ctx_.aws;
  ac.clock = ctx_.clock;
  ac.protection_tag = ctx_.protected_tag;
  Result<actions::ActionOutcome> r = ctx_.aws_error
                                         ? Result<actions::ActionOutcome>(fail(*ctx_.aws_error))
                                         : action->run(req.parameters, ac);
  rec.ended_ms = ctx_.clock->nowMillis();
  if (ctx_.metrics) {
    ctx_.metrics->observe("riposte_action_duration_seconds", {{"action", rec.action}},
                          static_cast<double>(rec.ended_ms - rec.started_ms) / 1000.0);
  }
  if (r) {
    rec.status = ctx_.dry_run ? "dry_run" : (r->changed ? "succeeded" : "unchanged");
    rec.before = json::serialize(r->before);
    rec.after = json::serialize(r->after);
    rec.output = json::serialize(r->output);
    rec.summary = r->summary;
    rec.changed = r->changed;
    out.output = r->output;
  } else {
    rec.status = "failed";
    rec.error_code = r.error().code;
    rec.error_message = r.error().message;
    rec.summary = "failed: " + r.error().str();
    out.ok = false;
    out.error = r.error().code.empty() ? "States.TaskFailed" : r.error().code;
    out.cause = r.error().message;
    if (ctx_.metrics) ctx_.metrics->inc("riposte_aws_errors_total", {{"code", out.error}});
    logWarn("action failed", {{"incident", ctx_.incident_id},
                              {"execution", ctx_.execution_id},
                              {"action", rec.action},
                              {"error", r.error().str()}});
  }
  if (ctx_.metrics) {
    ctx_.metrics->inc("riposte_actions_total", {{"action", rec.action}, {"status", rec.status}});
  }
  if (ctx_.store) {
    if (auto u = ctx_.store->updateAction(rec); !u) {
      logError("cannot record action result", {{"action", rec.id}, {"error", u.error().str()}});
    }
  }
  records_.push_back(std::move(rec));
  return out;
}

}  // namespace riposte::engine
