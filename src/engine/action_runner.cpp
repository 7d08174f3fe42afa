#include "engine/action_runner.h"

#include <set>

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

// What an approval request names of the action's target: " (instanceId=i-0abc, ip=…)", from
// the Task's string parameters (at most three, each cut short).
std::string summaryOfParameters(const json::value& p) {
  std::string out;
  int n = 0;
  if (const auto* o = p.if_object())
    for (const auto& [k, v] : *o) {
      if (!v.is_string() || n == 3) continue;
      std::string val(v.get_string());
      if (val.size() > 64) val = val.substr(0, 61) + "...";
      out += std::string(n++ ? ", " : " (") + std::string(k) + "=" + val;
    }
  return n ? out + ")" : out;
}

// The state list (a "States" object) holding `state`, searched through Parallel branches and
// Map processors; null when none does.
const json::object* listHolding(const json::value& owner, const std::string& state) {
  const json::object* o = owner.if_object();
  const json::value* states = o ? o->if_contains("States") : nullptr;
  if (!states || !states->is_object()) return nullptr;
  if (states->as_object().contains(state)) return &states->as_object();
  for (const auto& [name, sv] : states->as_object()) {
    const json::object* so = sv.if_object();
    if (!so) continue;
    if (const json::value* b = so->if_contains("Branches"); b && b->is_array())
      for (const auto& branch : b->as_array())
        if (const auto* found = listHolding(branch, state)) return found;
    for (const char* k : {"ItemProcessor", "Iterator"})
      if (const json::value* p = so->if_contains(k))
        if (const auto* found = listHolding(*p, state)) return found;
  }
  return nullptr;
}

// Every Task of a state list (a branch or a processor), definition order.
void tasksOf(const json::value& owner, const std::string& in, const actions::Registry& reg,
             json::array& out);

// The step of one Task state for a plan.
json::object planStep(const std::string& name, const json::object& st, const actions::Registry& reg,
                      const std::string& in) {
  std::string resource;
  if (const json::value* r = st.if_contains("Resource"); r && r->is_string())
    resource = std::string(r->get_string());
  json::object step{{"state", name}, {"resource", resource}};
  if (const actions::Action* a = reg.find(resource)) {
    step["action"] = std::string(a->name());
    step["role"] = std::string(actions::roleName(a->descriptor().role));
  }
  if (!in.empty()) step["in"] = in;
  return step;
}

void tasksOf(const json::value& owner, const std::string& in, const actions::Registry& reg,
             json::array& out) {
  const json::object* o = owner.if_object();
  const json::value* states = o ? o->if_contains("States") : nullptr;
  if (!states || !states->is_object()) return;
  for (const auto& [name, sv] : states->as_object()) {
    const json::object* so = sv.if_object();
    if (!so) continue;
    const json::value* type = so->if_contains("Type");
    if (type && *type == "Task") out.push_back(planStep(std::string(name), *so, reg, in));
    if (const json::value* b = so->if_contains("Branches"); b && b->is_array())
      for (const auto& branch : b->as_array()) tasksOf(branch, std::string(name), reg, out);
    for (const char* k : {"ItemProcessor", "Iterator"})
      if (const json::value* p = so->if_contains(k)) tasksOf(*p, std::string(name), reg, out);
  }
}

// The Tasks that may run after `state` (reached from it through Next, Choice rules, Default and
// Catch, within its state list; a Parallel's or Map's own Tasks with them), breadth first:
// [{"state", "resource", "action", "role", "in"}]. What a riposte:approval request shows.
json::array tasksAfter(const json::value& definition, const std::string& state,
                       const actions::Registry& reg) {
  json::array out;
  const json::object* list = listHolding(definition, state);
  if (!list) return out;
  std::vector<std::string> queue;
  std::set<std::string> seen{state};
  auto follow = [&](const json::object& st) {
    auto add = [&](const json::value* n) {
      if (n && n->is_string() && seen.insert(std::string(n->get_string())).second)
        queue.emplace_back(n->get_string());
    };
    add(st.if_contains("Next"));
    add(st.if_contains("Default"));
    for (const char* k : {"Choices", "Catch"})
      if (const json::value* a = st.if_contains(k); a && a->is_array())
        for (const auto& c : a->as_array())
          if (const auto* co = c.if_object()) add(co->if_contains("Next"));
  };
  if (const auto* st = list->at(state).if_object()) follow(*st);
  for (std::size_t i = 0; i < queue.size(); ++i) {
    const json::value* sv = list->if_contains(queue[i]);
    const json::object* st = sv ? sv->if_object() : nullptr;
    if (!st) continue;
    const json::value* type = st->if_contains("Type");
    if (type && *type == "Task") out.push_back(planStep(queue[i], *st, reg, ""));
    if (const json::value* b = st->if_contains("Branches"); b && b->is_array())
      for (const auto& branch : b->as_array()) tasksOf(branch, queue[i], reg, out);
    for (const char* k : {"ItemProcessor", "Iterator"})
      if (const json::value* p = st->if_contains(k)) tasksOf(*p, queue[i], reg, out);
    follow(*st);
  }
  return out;
}

// An attempt that waits for a person (the approval gate): not an end status.
constexpr const char* kAwaitingApproval = "awaiting_approval";

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
  bool resumed = false;  // its record says it waited for approval: the gate decides again
  if (durable) {
    auto prior = ctx_.store->getAction(rec.id);
    if (!prior) {
      out.ok = false;
      out.error = "States.TaskFailed";
      out.cause = "cannot read the action's record before running it: " + prior.error().str();
      return out;
    }
    if (*prior && (*prior)->status == kAwaitingApproval) {
      resumed = true;
      rec.started_ms = (*prior)->started_ms;
    } else if (*prior && !interrupted(**prior)) {
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
  if (ctx_.store && !rerun && !resumed) {
    if (auto r = ctx_.store->insertAction(rec); !r) {
      out.ok = false;
      out.error = "States.TaskFailed";
      out.cause = "cannot record the action before running it: " + r.error().str();
      return out;
    }
  }
  // riposte:approval: the request shows what the approval lets run (unless it says itself).
  json::value parameters_with_plan;
  const json::value* params = &req.parameters;
  if (action->name() == "approval" && ctx_.config && req.parameters.is_object() &&
      !req.parameters.as_object().contains("plan")) {
    if (auto pb = ctx_.config->playbooks.find(ctx_.playbook); pb != ctx_.config->playbooks.end()) {
      parameters_with_plan = req.parameters;
      parameters_with_plan.as_object()["plan"] =
          json::object{{"origin", "riposte:approval"},
                       {"next", tasksAfter(pb->second.definition, req.state_name, *ctx_.registry)}};
      params = &parameters_with_plan;
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
    g.simulation = ctx_.simulation;
    verdict = ctx_.guard->check(g);
  }
  const bool refuse =
      !verdict.act && (verdict.out_of_scope || verdict.on_limit == policy::OnLimit::kFail);
  bool limited = !verdict.act && !refuse;  // on_limit dry_run or approve: plan only
  // The approval gate: require_approval, or a limit's on_limit approve (see the header).
  const bool over_limit = limited && verdict.on_limit == policy::OnLimit::kApprove;
  const bool gateable = !trusted && !ctx_.aws_error && !refuse && !ctx_.dry_run &&
                        !ctx_.simulation && durable && ctx_.approvals &&
                        action->descriptor().isDestructive();
  std::string approved_note;
  if (gateable && (over_limit || ctx_.require_approval)) {
    if (req.approved) {
      approved_note = over_limit ? "approved by a person over the limit: " + verdict.reason
                                 : "approved by a person (require_approval)";
    } else if (auto waiting = gate(req, rec, ac, over_limit, verdict.reason)) {
      if (guarded) ctx_.guard->settle(rec.id, "unchanged", verdict.reserved, rerun);
      return *waiting;
    } else {
      approved_note = "approved for this execution (require_approval)";
    }
    if (over_limit) limited = false;  // a person decided it may go over
  }
  std::string limit_note;
  if (limited) {
    ac.dry_run = true;
    limit_note = verdict.on_limit == policy::OnLimit::kApprove
                     ? "; on_limit approve: approval wanted, and this attempt cannot wait for "
                       "one (a dry run, a simulation, or no approval gate), so it is planned "
                       "only, nothing changed"
                     : "; on_limit dry_run: planned only, nothing changed";
  }
  Result<actions::ActionOutcome> r =
      trusted          ? Result<actions::ActionOutcome>(fail(trusted->code, trusted->reason))
      : ctx_.aws_error ? Result<actions::ActionOutcome>(fail(*ctx_.aws_error))
      : refuse         ? Result<actions::ActionOutcome>(
                     fail(verdict.out_of_scope ? policy::kOutOfScope : policy::kLimitExceeded,
                          verdict.reason + (verdict.out_of_scope ? "" : "; on_limit fail")))
               : action->run(*params, ac);
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
    if (!approved_note.empty()) rec.summary += " (" + approved_note + ")";
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

std::optional<asl::TaskResult> ActionRunner::gate(const asl::TaskRequest& req,
                                                  store::ActionRecord& rec,
                                                  const actions::ActionContext& ac, bool over_limit,
                                                  const std::string& limit_reason) {
  auto failed = [&](std::string code, std::string message, bool final) {
    rec.status = "failed";
    rec.ended_ms = ctx_.clock->nowMillis();
    rec.error_code = code;
    rec.error_message = message;
    rec.summary = "failed: " + code + ": " + message;
    if (auto u = ctx_.store->updateAction(rec); !u)
      logError("cannot record action result", {{"action", rec.id}, {"error", u.error().str()}});
    records_.push_back(rec);
    asl::TaskResult out;
    out.ok = false;
    out.error = std::move(code);
    out.cause = std::move(message);
    out.final = final;
    return out;
  };
  auto deniedBy = [](const json::object& a) {
    std::string who;
    for (const auto& v : a.at("votes").as_array())
      if (v.at("decision").as_string() == "deny") who = std::string(v.at("approver").as_string());
    const std::string by(a.at("decidedBy").as_string());
    return (by == "timeout" ? std::string("its deadline")
            : who.empty()   ? by
                            : who) +
           ": " + std::string(a.at("reason").as_string());
  };
  // require_approval asks once per execution: an earlier request of it decides.
  if (!over_limit) {
    auto all = ctx_.store->listApprovals(ctx_.execution_id);
    if (!all)
      return failed("States.TaskFailed",
                    "cannot read the execution's approvals: " + all.error().str(), false);
    for (const auto& a : *all) {
      if (a.id == "apr-" + rec.id || a.status == "pending") continue;
      auto v = parseJson(a.json);
      if (!v || !v->is_object()) continue;
      const json::value* plan = v->as_object().if_contains("plan");
      const json::value* origin =
          plan && plan->is_object() ? plan->as_object().if_contains("origin") : nullptr;
      if (!origin || !origin->is_string() || origin->get_string() != "require_approval") continue;
      if (a.status == "approved") return std::nullopt;
      return failed(policy::kApprovalDenied,
                    "the response was denied (approval " + a.id + " by " +
                        deniedBy(v->as_object()) + "); nothing more of it acts",
                    true);
    }
  }
  json::object params;
  if (ctx_.require_approval) params = *ctx_.require_approval;
  if (over_limit && !ctx_.require_approval) {
    json::array groups;
    for (const auto& g : ctx_.approver_groups) groups.emplace_back(g);
    params["groups"] = std::move(groups);
  }
  if (over_limit) {
    params["quorum"] = 1;
    params.erase("timeout_seconds");
    params["on_timeout"] = "deny";
  }
  std::string resource = summaryOfParameters(req.parameters);
  params["summary"] =
      over_limit ? rec.action + resource + " over a blast-radius limit (" + limit_reason + ")"
                 : rec.action + resource + " (the rule requires approval)";
  params["plan"] = json::object{{"origin", over_limit ? "on_limit" : "require_approval"},
                                {"state", req.state_name},
                                {"action", rec.action},
                                {"parameters", req.parameters},
                                {"reason", over_limit ? limit_reason : "require_approval"}};
  auto token = newTaskToken(req);
  if (!token)
    return failed("States.Runtime", "no task token for the approval gate: " + token.error().str(),
                  false);
  actions::ActionContext gac = ac;
  gac.task_token_digest = asl::taskTokenDigest(*token);
  auto opened = ctx_.approvals->open(params, gac);
  if (!opened)
    return failed(opened.error().code.empty() ? "States.TaskFailed" : opened.error().code,
                  "cannot ask for approval, so it does not act: " + opened.error().message, false);
  const std::string id(opened->at("approvalId").as_string());
  const json::value* status = opened->as_object().if_contains("status");
  const std::string decided =
      status && status->is_string() ? std::string(status->get_string()) : "";
  if (decided == "approved") return std::nullopt;  // decided while riposte was down
  if (decided == "denied") {
    auto a = ctx_.store->getApproval(id);
    std::string why = "approval " + id + " was denied";
    if (a && *a)
      if (auto v = parseJson((*a)->json); v && v->is_object())
        why = "approval " + id + " was denied by " + deniedBy(v->as_object());
    return failed(policy::kApprovalDenied, why, true);
  }
  rec.status = kAwaitingApproval;
  rec.summary = "waiting for approval " + id +
                " before it acts: " + std::string(params.at("summary").as_string());
  if (auto u = ctx_.store->updateAction(rec); !u)
    logError("cannot record action result", {{"action", rec.id}, {"error", u.error().str()}});
  logInfo("destructive action waits for approval", {{"incident", ctx_.incident_id},
                                                    {"execution", ctx_.execution_id},
                                                    {"action", rec.action},
                                                    {"approval", id}});
  if (ctx_.metrics)
    ctx_.metrics->inc("riposte_actions_total", {{"action", rec.action}, {"status", rec.status}});
  records_.push_back(rec);
  asl::TaskResult out;
  out.output = *opened;
  out.gate_token = std::move(*token);
  return out;
}

}  // namespace riposte::engine
