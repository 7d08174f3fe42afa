#include "engine/action_runner.h"

#include "aws/sigv4.h"
#include "core/ids.h"
#include "core/log.h"

namespace riposte::engine {

std::string attemptActionId(const std::string& execution_id, const std::string& state_name,
                            int64_t scheduled_event_id) {
  const std::string key =
      execution_id + '\n' + state_name + '\n' + std::to_string(scheduled_event_id);
  return "act-" + aws::sha256Hex(key).substr(0, 32);
}

namespace {

// The Task result a finished record stands for: its output, or its failure.
asl::TaskResult resultOf(const store::ActionRecord& rec) {
  asl::TaskResult out;
  if (rec.status == "failed") {
    out.ok = false;
    out.error = rec.error_code.empty() ? "States.TaskFailed" : rec.error_code;
    out.cause = rec.error_message;
    return out;
  }
  if (rec.output.empty()) {
    out.output = json::object();
  } else if (auto v = parseJson(rec.output, 512)) {
    out.output = std::move(*v);
  } else {
    out.output = json::value(rec.output);
  }
  return out;
}

bool interrupted(const store::ActionRecord& rec) {
  return rec.status == "running" || rec.status == "planned";
}

// A `.waitForTaskToken` attempt's record never holds its token (a bearer credential until the
// task closes): it shows as the history shows it, "<task token sha256:…>".
void hideToken(std::string& text, const std::string& token, const std::string& mask) {
  for (std::size_t at = text.find(token); at != std::string::npos;
       at = text.find(token, at + mask.size()))
    text.replace(at, token.size(), mask);
}
void hideToken(store::ActionRecord& rec, const std::string& token) {
  if (token.empty()) return;
  const std::string mask = "<task token sha256:" + asl::taskTokenDigest(token).substr(0, 12) + ">";
  for (std::string* f :
       {&rec.input, &rec.before, &rec.after, &rec.output, &rec.summary, &rec.error_message})
    hideToken(*f, token, mask);
}

}  // namespace

std::optional<TrustedRefusal> checkTrusted(const actions::Descriptor& d, const json::value& input,
                                           const policy::ThreatIntel* intel,
                                           const std::vector<std::string>& trusted_unavailable) {
  if (actions::blocksOf(d).empty() || (!intel && trusted_unavailable.empty())) {
    return std::nullopt;
  }
  auto texts = actions::blockedAddresses(d, input);
  if (!texts) {
    return TrustedRefusal{actions::kInvalidInput,
                          "cannot tell which addresses this Task blocks to check them against "
                          "the trusted lists: " +
                              texts.error().message,
                          {}};
  }
  if (texts->empty()) return std::nullopt;  // blocks nothing (or the action reports the input)
  std::vector<policy::Cidr> cidrs;
  for (const auto& text : *texts) {
    auto cidr = policy::Cidr::make(text);
    if (!cidr) {
      return TrustedRefusal{
          actions::kInvalidInput,
          "cannot read \"" + text.substr(0, 100) +
              "\" as an address to check it against the trusted lists: " + cidr.error().message,
          {}};
    }
    cidrs.push_back(*cidr);
  }
  auto shown = [](const policy::Cidr& c) {
    return c.prefix() == c.network().bits() ? c.network().str() : c.str();
  };
  auto joined = [](const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
    return out;
  };
  if (!trusted_unavailable.empty()) {
    std::string blocked;
    for (const auto& c : cidrs) blocked += (blocked.empty() ? "" : ", ") + shown(c);
    return TrustedRefusal{kTrustedListUnavailable,
                          "the trusted list(s) " + joined(trusted_unavailable) +
                              " could not be read yet: riposte cannot check that " + blocked +
                              (cidrs.size() == 1 ? " is" : " are") +
                              " not trusted, so it does not block it",
                          {}};
  }
  // Overlap either way: a block wider than a trusted address blocks it too.
  for (const auto& c : cidrs) {
    std::vector<std::string> lists = intel->trustedOverlapping(c);
    if (lists.empty()) continue;
    const bool host = c.prefix() == c.network().bits();
    return TrustedRefusal{actions::kResourceProtected,
                          shown(c) +
                              (host ? " is in the trusted list " : " overlaps the trusted list ") +
                              joined(lists) + ": riposte never blocks a trusted address",
                          std::move(lists)};
  }
  return std::nullopt;
}

asl::TaskResult ActionRunner::run(const asl::TaskRequest& req) {
  asl::TaskResult out;
  const actions::Action* action = ctx_.registry->find(req.resource);
  if (!action) {
    out.ok = false;
    out.error = "States.TaskFailed";
    out.cause = "unknown Task resource '" + req.resource + "'";
    return out;
  }
  // A Task attempt of a stored execution has a durable identity: a restarted engine that runs
  // the same attempt again (its step was not persisted before the crash) finds this record.
  const bool durable = ctx_.store && !ctx_.execution_id.empty() && req.scheduled_event_id > 0;
  store::ActionRecord rec;
  rec.id = durable ? attemptActionId(ctx_.execution_id, req.state_name, req.scheduled_event_id)
                   : newId("act");
  rec.incident_id = ctx_.incident_id;
  rec.execution_id = ctx_.execution_id;
  rec.state_name = req.state_name;
  rec.action = std::string(action->name());
  rec.status = "running";
  rec.input = json::serialize(req.parameters);
  hideToken(rec, req.task_token);
  rec.started_ms = ctx_.clock->nowMillis();
  auto replayed = [&](const char* how) {
    if (ctx_.metrics) {
      ctx_.metrics->inc("riposte_actions_replayed_total",
                        {{"action", rec.action}, {"outcome", how}});
    }
  };
  bool rerun = false;
  if (durable) {
    auto prior = ctx_.store->getAction(rec.id);
    if (!prior) {
      out.ok = false;
      out.error = "States.TaskFailed";
      out.cause = "cannot read the action's record before running it: " + prior.error().str();
      return out;
    }
    if (*prior && !interrupted(**prior)) {
      // Already done (succeeded, unchanged, dry_run, failed, or since released): the attempt's
      // outcome is the recorded one. AWS is not called again.
      logInfo("action already recorded for this attempt: not run again",
              {{"incident", ctx_.incident_id},
               {"execution", ctx_.execution_id},
               {"action", rec.action},
               {"record", rec.id},
               {"status", (*prior)->status}});
      replayed("recorded");
      records_.push_back(**prior);
      return resultOf(**prior);
    }
    if (*prior) {
      // Interrupted: the process died after recording "running", during the call.
      rec.started_ms = ctx_.clock->nowMillis();
      if (!ctx_.dry_run && action->descriptor().replay == actions::Replay::kFailInterrupted) {
        rec.status = "failed";
        rec.ended_ms = rec.started_ms;
        rec.error_code = actions::kActionInterrupted;
        rec.error_message = "riposte stopped during " + rec.action + " (record " + rec.id +
                            "); its effect cannot be checked and running it again may repeat "
                            "it, so it is not run again";
        rec.summary = "failed: " + rec.error_code + ": " + rec.error_message;
        hideToken(rec, req.task_token);
        if (auto u = ctx_.store->updateAction(rec); !u) {
          logError("cannot record action result", {{"action", rec.id}, {"error", u.error().str()}});
        }
        logWarn("interrupted action not run again",
                {{"incident", ctx_.incident_id}, {"action", rec.action}, {"record", rec.id}});
        replayed("interrupted");
        records_.push_back(rec);
        out.ok = false;
        out.error = rec.error_code;
        out.cause = rec.error_message;
        return out;
      }
      rerun = true;
      logWarn("running an interrupted action again",
              {{"incident", ctx_.incident_id},
               {"action", rec.action},
               {"record", rec.id},
               {"how", action->descriptor().replay == actions::Replay::kRerunDeduplicated
                           ? "with the same deduplication id"
                           : "its state check decides"}});
      replayed("rerun");
    }
  }
  if (ctx_.store && !rerun) {
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
  ac.action_id = rec.id;
  if (!req.task_token.empty()) ac.task_token_digest = asl::taskTokenDigest(req.task_token);
  ac.timeout_seconds = req.timeout_seconds;
  ac.approvals = ctx_.approvals;
  ac.http = ctx_.http;
  if (ctx_.config) ac.connections = ctx_.config->connections.get();
  // A trusted address is never blocked, whatever the playbook says (and in a dry run too).
  const std::optional<TrustedRefusal> trusted = checkTrusted(
      action->descriptor(), req.parameters, ctx_.intel.get(), ctx_.trusted_unavailable);
  if (trusted) {
    if (ctx_.metrics) {
      ctx_.metrics->inc("riposte_threat_trusted_refusals_total",
                        {{"action", rec.action}, {"code", trusted->code}});
    }
    logWarn("action refused: trusted address", {{"incident", ctx_.incident_id},
                                                {"execution", ctx_.execution_id},
                                                {"action", rec.action},
                                                {"reason", trusted->reason}});
  }
  // The guard rails, before a destructive action acts (guard.h).
  GuardVerdict verdict;
  const bool guarded = !trusted && ctx_.guard && ctx_.config &&
                       (!ctx_.dry_run || ctx_.simulation) && !ctx_.aws_error &&
                       action->descriptor().isDestructive() && !ctx_.config->guard_rails.empty();
  if (guarded) {
    Guard::Request g;
    g.rails = &ctx_.config->guard_rails;
    g.rule_on_limit = ctx_.rule_on_limit;
    g.descriptor = &action->descriptor();
    g.parameters = &req.parameters;
    g.ac = &ac;
    g.sns_topic_arn = ctx_.config->sns_topic_arn;
    g.alert_client = ctx_.alert_client;
    g.simulation = ctx_.simulation;
    verdict = ctx_.guard->check(g);
  }
  const bool refuse =
      !verdict.act && (verdict.out_of_scope || verdict.on_limit == policy::OnLimit::kFail);
  const bool limited = !verdict.act && !refuse;  // on_limit dry_run or approve: plan only
  std::string limit_note;
  if (limited) {
    ac.dry_run = true;
    limit_note = verdict.on_limit == policy::OnLimit::kApprove
                     ? "; on_limit approve: approval wanted, and no approval gate is part of "
                       "this build, so it is planned only (dry run), nothing changed"
                     : "; on_limit dry_run: planned only, nothing changed";
  }
  Result<actions::ActionOutcome> r =
      trusted          ? Result<actions::ActionOutcome>(fail(trusted->code, trusted->reason))
      : ctx_.aws_error ? Result<actions::ActionOutcome>(fail(*ctx_.aws_error))
      : refuse         ? Result<actions::ActionOutcome>(
                     fail(verdict.out_of_scope ? policy::kOutOfScope : policy::kLimitExceeded,
                          verdict.reason + (verdict.out_of_scope ? "" : "; on_limit fail")))
               : action->run(req.parameters, ac);
  rec.ended_ms = ctx_.clock->nowMillis();
  if (ctx_.metrics) {
    ctx_.metrics->observe("riposte_action_duration_seconds", {{"action", rec.action}},
                          static_cast<double>(rec.ended_ms - rec.started_ms) / 1000.0);
  }
  if (r && limited) {
    json::value output = r->output;
    if (!output.is_object()) output = json::object{{"result", output}};
    output.as_object()["limited"] =
        json::object{{"reason", verdict.reason},
                     {"onLimit", std::string(policy::onLimitName(verdict.on_limit))}};
    rec.status = "dry_run";
    rec.before = json::serialize(r->before);
    rec.after = json::serialize(r->after);
    rec.output = json::serialize(output);
    rec.error_code = policy::kLimitExceeded;
    rec.error_message = verdict.reason + limit_note;
    rec.summary = "not acted: " + verdict.reason + limit_note + " (plan: " + r->summary + ")";
    rec.changed = false;
    out.output = std::move(output);
  } else if (r) {
    rec.status = ctx_.dry_run ? "dry_run" : (r->changed ? "succeeded" : "unchanged");
    rec.before = json::serialize(r->before);
    rec.after = json::serialize(r->after);
    rec.output = json::serialize(r->output);
    rec.summary = r->summary;
    if (rerun) rec.summary += " (run again after an interrupted attempt)";
    if (!verdict.note.empty()) rec.summary += " (" + verdict.note + ")";
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
    if (ctx_.metrics && !refuse && !trusted) {
      ctx_.metrics->inc("riposte_aws_errors_total", {{"code", out.error}});
    }
    logWarn("action failed", {{"incident", ctx_.incident_id},
                              {"execution", ctx_.execution_id},
                              {"action", rec.action},
                              {"error", r.error().str()}});
  }
  if (ctx_.metrics) {
    ctx_.metrics->inc("riposte_actions_total", {{"action", rec.action}, {"status", rec.status}});
  }
  if (guarded) ctx_.guard->settle(rec.id, rec.status, verdict.reserved, rerun);
  if (rec.status == "succeeded" && !action->descriptor().blocked_address.empty() &&
      ctx_.on_blocked) {
    ctx_.on_blocked();
  }
  hideToken(rec, req.task_token);
  if (ctx_.store) {
    if (auto u = ctx_.store->updateAction(rec); !u) {
      logError("cannot record action result", {{"action", rec.id}, {"error", u.error().str()}});
    }
  }
  records_.push_back(std::move(rec));
  return out;
}

}  // namespace riposte::engine
