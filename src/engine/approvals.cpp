#include "engine/approvals.h"

#include <limits>

#include "core/clock.h"
#include "core/log.h"
#include "policy/approval_link.h"

namespace riposte::engine {

ApprovalGate::ApprovalGate(store::Store& store, const Clock& clock,
                           std::function<std::shared_ptr<const Config>()> config, Accept accept)
    : store_(store), clock_(clock), config_(std::move(config)), accept_(std::move(accept)) {}

json::object ApprovalGate::view(const store::ApprovalRecord& rec, const policy::ApprovalState& st) {
  json::object o = policy::approvalJson(st);
  o["approvalId"] = rec.id;
  o["incidentId"] = rec.incident_id;
  o["executionId"] = rec.execution_id;
  o["state"] = rec.state_name;
  o["delivered"] = rec.delivered;
  o["deadline"] = formatIso8601Millis(st.deadline_ms);
  json::array by;
  for (const auto& a : policy::approvedBy(st)) by.emplace_back(a);
  o["approvedBy"] = std::move(by);
  return o;
}

Result<json::value> ApprovalGate::open(const json::value& parameters,
                                       const actions::ActionContext& ctx) {
  auto cfg = config_();
  const policy::ApprovalSettings settings = cfg ? cfg->approvals : policy::ApprovalSettings{};
  auto spec = policy::parseApprovalRequest(parameters, settings, ctx.timeout_seconds);
  if (!spec) return fail(spec.error());
  store::ApprovalRecord rec;
  rec.id = "apr-" + (ctx.action_id.empty() ? std::to_string(clock_.nowMillis()) : ctx.action_id);
  rec.incident_id = ctx.incident_id;
  rec.execution_id = ctx.execution_id;
  rec.state_name = ctx.state_name;
  rec.token_digest = ctx.task_token_digest;
  policy::ApprovalState st;
  st.spec = std::move(*spec);
  st.created_ms = clock_.nowMillis();
  st.deadline_ms = st.created_ms + st.spec.timeout_ms;
  rec.created_ms = st.created_ms;
  rec.deadline_ms = st.deadline_ms;
  rec.json = toJson(policy::approvalJson(st));
  json::object audit{{"approvalId", rec.id},
                     {"incident_id", rec.incident_id},
                     {"execution_id", rec.execution_id},
                     {"state", rec.state_name},
                     {"approval", policy::approvalJson(st)}};
  // What the approvers are shown of the incident (its notification is made from this record).
  if (auto inc = store_.getIncident(rec.incident_id); inc && *inc)
    audit["incident"] = json::object{{"title", (*inc)->title},
                                     {"severity", (*inc)->severity},
                                     {"finding_type", (*inc)->finding_type},
                                     {"resource_type", (*inc)->resource_type},
                                     {"resource_id", (*inc)->resource_id},
                                     {"account", (*inc)->account},
                                     {"region", (*inc)->region}};
  auto inserted = store_.insertApproval(rec, toJson(audit));
  if (!inserted) return fail(inserted.error());
  if (!*inserted) {
    // The same attempt run again (a restart before its step was persisted): the request it
    // opened, votes and all.
    auto prior = store_.getApproval(rec.id);
    if (!prior) return fail(prior.error());
    if (!*prior) return fail("NotFound", "approval " + rec.id + " vanished");
    rec = **prior;
    auto pst = policy::approvalFromJson(*parseJson(rec.json));
    if (!pst) return fail(pst.error());
    st = *pst;
    // The gate of a destructive action made a new token for the attempt run again: a pending
    // request is decided on that one now (the old one was never answered: nothing held it).
    if (st.status == "pending" && !ctx.task_token_digest.empty() &&
        rec.token_digest != ctx.task_token_digest) {
      rec.token_digest = ctx.task_token_digest;
      if (auto w = write(rec, st, "", {}); !w) return fail(w.error());
    }
  } else {
    logInfo("approval requested", {{"approval", rec.id},
                                   {"incident", rec.incident_id},
                                   {"execution", rec.execution_id},
                                   {"state", rec.state_name}});
  }
  json::array approvers;
  for (const auto& a : st.spec.approvers) approvers.emplace_back(a);
  return json::value(json::object{{"approvalId", rec.id},
                                  {"status", st.status},
                                  {"approvers", std::move(approvers)},
                                  {"quorum", st.spec.quorum},
                                  {"deadline", formatIso8601Millis(st.deadline_ms)}});
}

Result<json::value> ApprovalGate::list(const std::string& status) {
  if (!status.empty() && status != "pending" && status != "decided")
    return fail("InvalidInput", "status must be pending or decided, not '" + status + "'");
  auto all = store_.listApprovals("");
  if (!all) return fail(all.error());
  json::array out;
  for (const auto& rec : *all) {
    if (status == "pending" && rec.status != "pending") continue;
    if (status == "decided" && rec.status == "pending") continue;
    auto st = policy::approvalFromJson(*parseJson(rec.json));
    if (!st) return fail(st.error());
    out.push_back(view(rec, *st));
  }
  return json::value(json::object{{"approvals", std::move(out)}});
}

Result<json::value> ApprovalGate::get(const std::string& id) {
  auto rec = store_.getApproval(id);
  if (!rec) return fail(rec.error());
  if (!*rec) return fail("NotFound", "no approval '" + id + "'");
  auto st = policy::approvalFromJson(*parseJson((*rec)->json));
  if (!st) return fail(st.error());
  return json::value(view(**rec, *st));
}

Result<void> ApprovalGate::write(store::ApprovalRecord& rec, const policy::ApprovalState& st,
                                 const std::string& kind, const json::object& audit) {
  rec.status = st.status;
  rec.json = toJson(policy::approvalJson(st));
  auto u = store_.updateApproval(rec, clock_.nowMillis(), kind, toJson(audit));
  if (!u) return fail(u.error());
  ++rec.version;
  return {};
}

void ApprovalGate::deliver(store::ApprovalRecord& rec, const policy::ApprovalState& st) {
  if (st.status == "pending" || rec.delivered) return;
  store::TaskCallbackRecord cb;
  cb.token_digest = rec.token_digest;
  if (st.status == "approved") {
    json::array by;
    for (const auto& a : policy::approvedBy(st)) by.emplace_back(a);
    cb.kind = "success";
    cb.output = toJson(json::object{{"approved", true},
                                    {"approvalId", rec.id},
                                    {"approvers", std::move(by)},
                                    {"decidedBy", st.decided_by}});
  } else {
    cb.kind = "failure";
    cb.error = policy::kApprovalDenied;
    cb.cause =
        (st.decided_by == "timeout" ? st.reason : "denied by " + st.decided_by + ": " + st.reason);
  }
  auto r = accept_(cb);
  // A task that cannot take it any more (its execution ended, or it timed out) never will.
  if (!r && r.error().code != "TaskTimedOut" && r.error().code != "TaskDoesNotExist") {
    logError("approval decision not handed to its task yet",
             {{"approval", rec.id}, {"error", r.error().str()}});
    return;
  }
  rec.delivered = true;
  if (auto w = write(rec, st, "", {}); !w)
    logError("cannot mark an approval delivered",
             {{"approval", rec.id}, {"error", w.error().str()}});
}

Result<json::value> ApprovalGate::decide(const std::string& id, const std::string& decision,
                                         const std::string& reason, const std::string& approver,
                                         const std::string& via) {
  for (int attempt = 0; attempt < 8; ++attempt) {
    auto got = store_.getApproval(id);
    if (!got) return fail(got.error());
    if (!*got) return fail("NotFound", "no approval '" + id + "'");
    store::ApprovalRecord rec = **got;
    auto st = policy::approvalFromJson(*parseJson(rec.json));
    if (!st) return fail(st.error());
    if (via == "link")
      for (const auto& prior : st->votes)
        if (prior.approver == approver && prior.via == "link" && prior.decision == decision)
          return fail(policy::kLinkUsed, "this link was used already: " + approver + " voted " +
                                             decision + " with it at " +
                                             formatIso8601Millis(prior.at_ms));
    const std::string before = st->status;
    auto v = policy::castVote(*st, approver, decision, reason, clock_.nowMillis(), via);
    if (!v) {
      // A vote after the deadline: the deadline's decision is written (and handed over) now.
      if (before == "pending" && st->status != "pending") settle(rec.execution_id);
      return fail(v.error());
    }
    json::object audit{{"approvalId", rec.id},
                       {"incident_id", rec.incident_id},
                       {"execution_id", rec.execution_id},
                       {"approver", approver},
                       {"decision", decision},
                       {"reason", reason},
                       {"status", st->status},
                       {"decidedBy", st->decided_by}};
    if (!via.empty()) audit["via"] = via;
    auto w = write(rec, *st, *v ? "approval.decided" : "approval.vote", audit);
    if (!w && w.error().code == "Conflict") continue;  // another vote came first: read again
    if (!w) return fail(w.error());
    logInfo("approval vote", {{"approval", rec.id},
                              {"approver", approver},
                              {"decision", decision},
                              {"status", st->status}});
    if (*v) deliver(rec, *st);
    return json::value(view(rec, *st));
  }
  return fail("Conflict", "approval '" + id + "' is changing too fast; try again");
}

Result<json::value> ApprovalGate::link(const std::string& id, const std::string& token) {
  auto cfg = config_();
  if (!cfg || !cfg->approvals.links.enabled())
    return fail("LinksNotConfigured", "approval links are off (riposte.yaml approvals.links)");
  auto claims = policy::verifyApprovalLink(cfg->approvals.links.key, token, id, clock_.nowMillis());
  if (!claims) return fail(claims.error());
  auto rec = store_.getApproval(id);
  if (!rec) return fail(rec.error());
  if (!*rec) return fail("NotFound", "no approval '" + id + "'");
  auto st = policy::approvalFromJson(*parseJson((*rec)->json));
  if (!st) return fail(st.error());
  bool used = false;
  for (const auto& v : st->votes)
    used = used ||
           (v.approver == claims->approver && v.via == "link" && v.decision == claims->decision);
  return json::value(json::object{{"approval", view(**rec, *st)},
                                  {"approver", claims->approver},
                                  {"decision", claims->decision},
                                  {"expires", formatIso8601Millis(claims->expires_ms)},
                                  {"used", used}});
}

json::object ApprovalGate::linksOf(const json::object& requested) const {
  auto cfg = config_();
  if (!cfg || !cfg->approvals.links.enabled()) return {};
  const json::value* id = requested.if_contains("approvalId");
  const json::value* a = requested.if_contains("approval");
  if (!id || !id->is_string() || !a) return {};
  auto st = policy::approvalFromJson(*a);
  if (!st) return {};
  return policy::approvalLinks(cfg->approvals.links, std::string(id->as_string()), *st);
}

Result<json::value> ApprovalGate::decideByLink(const std::string& id, const std::string& token,
                                               const std::string& reason) {
  auto cfg = config_();
  if (!cfg || !cfg->approvals.links.enabled())
    return fail("LinksNotConfigured", "approval links are off (riposte.yaml approvals.links)");
  auto claims = policy::verifyApprovalLink(cfg->approvals.links.key, token, id, clock_.nowMillis());
  if (!claims) return fail(claims.error());
  return decide(id, claims->decision, reason, claims->approver, "link");
}

int64_t ApprovalGate::settle(const std::string& execution_id) {
  int64_t next = std::numeric_limits<int64_t>::max();
  auto all = store_.listApprovals(execution_id);
  if (!all) {
    logError("cannot read the approvals of an execution",
             {{"execution", execution_id}, {"error", all.error().str()}});
    return next;
  }
  const int64_t now = clock_.nowMillis();
  for (auto rec : *all) {
    if (rec.delivered) continue;
    auto st = policy::approvalFromJson(*parseJson(rec.json));
    if (!st) continue;
    if (policy::expire(*st, now)) {
      json::object audit{{"approvalId", rec.id},
                         {"incident_id", rec.incident_id},
                         {"execution_id", rec.execution_id},
                         {"approver", ""},
                         {"decision", st->status == "approved" ? "approve" : "deny"},
                         {"reason", st->reason},
                         {"status", st->status},
                         {"decidedBy", "timeout"}};
      if (auto w = write(rec, *st, "approval.decided", audit); !w) {
        // Conflict: a vote came first; the next wake reads it again.
        next = std::min(next, now);
        continue;
      }
      logInfo("approval decided by its deadline", {{"approval", rec.id}, {"status", st->status}});
    }
    if (st->status == "pending") {
      next = std::min(next, st->deadline_ms);
    } else {
      deliver(rec, *st);
    }
  }
  return next;
}

}  // namespace riposte::engine
