// The runbook's words for the blast-radius guard rails (policy/limits.h): every limit, the
// circuit breaker and the scope of policies/*.yaml, what a refused action does, and how a
// person sees and closes them. Part of section 7 (Safety settings).
#include <set>

#include "runbook/sections.h"
#include "runbook/steps.h"
#include "runbook/text.h"

namespace riposte::runbook {
namespace {

// What the on_limit value makes a refused action do, in words.
std::string onLimitWords(policy::OnLimit o) {
  switch (o) {
    case policy::OnLimit::kApprove:
      return "approve: the action waits for a person's approval (any approver of "
             "approvals.groups, or the rule's require_approval groups; one approval, the "
             "default deadline, no decision denies) and acts over the limit once approved; a "
             "deny ends the incident denied";
    case policy::OnLimit::kDryRun:
      return "dry_run: the action is planned and recorded, nothing is changed";
    case policy::OnLimit::kFail:
      return "fail: the step fails with riposte.LimitExceeded, which the playbook can Catch";
  }
  return "";
}

std::string windowWords(int64_t ms) {
  const std::string w = policy::windowName(ms);
  const std::string n = w.substr(0, w.size() - 1);
  const bool one = n == "1";
  switch (w.back()) {
    case 's':
      return n + (one ? " second" : " seconds");
    case 'm':
      return n + (one ? " minute" : " minutes");
    case 'h':
      return n + (one ? " hour" : " hours");
    default:
      return n + (one ? " day" : " days");
  }
}

std::string perWords(const policy::Limit& l) {
  if (l.per_account && l.per_region) return "counted per account and region";
  if (l.per_account) return "counted per account";
  if (l.per_region) return "counted per region";
  return "counted once for all accounts and regions";
}

// The destructive actions the playbooks use, each with a limit counting it or not.
std::vector<std::string> destructiveUsed(const Context& c) {
  std::set<std::string> out;
  for (const auto& [name, pb] : c.cfg.playbooks) {
    for (const auto& [state, t] : tasksOf(pb.definition)) {
      const auto* a = c.registry.find(stringMember(*t, "Resource"));
      if (a && a->descriptor().isDestructive()) out.insert(std::string(a->name()));
    }
  }
  return {out.begin(), out.end()};
}

Line scopeListLine(const std::string& side, const policy::ScopeList& l) {
  Line out{strong(side), text(": ")};
  bool first = true;
  auto part = [&](const std::string& what, const std::vector<std::string>& v) {
    if (v.empty()) return;
    if (!first) out << text("; ");
    first = false;
    out << text(what + " ") << codeList(v);
  };
  part("accounts", l.accounts);
  part("regions", l.regions);
  part("VPCs", l.vpcs);
  part("resource ids", l.resource_ids);
  for (const auto& [key, values] : l.tags) {
    if (!first) out << text("; ");
    first = false;
    out << text("tag ") << code(key) << text(" = ") << codeList(values);
  }
  return out;
}

}  // namespace

void guardRailsSection(Doc& doc, const Context& c) {
  const policy::GuardRails& rails = c.cfg.guard_rails;
  doc.heading(3, "Blast-radius limits, circuit breaker and scope");
  const std::vector<std::string> destructive = destructiveUsed(c);
  {
    Line l{text(
        "Set in policies/*.yaml. Checked by the engine at action time, before every destructive "
        "action (role contain) of every playbook, whichever rule starts it")};
    if (!destructive.empty()) l << text("; the playbooks here use ") << codeList(destructive);
    l << text(
        ". Their counters live in the store: a restart does not reset them, and several "
        "workers on one PostgreSQL store share them (a place is taken atomically before the "
        "action acts). An action that changed nothing (it failed, or found the resource "
        "already as wanted) gives its place back. GET /v1/policy and riposte breaker status "
        "show each limit's level and the breaker's state; /metrics has riposte_limit_usage, "
        "riposte_limit_refused_total and riposte_limit_breaker_open.");
    doc.para(std::move(l));
  }
  std::vector<Item> items;
  if (rails.limits.empty()) {
    items.push_back(Item{
        Line{strong("No limit"), text(": nothing bounds how many resources a burst of findings "
                                      "contains. Add one to policies/*.yaml (limits:).")},
        {}});
  }
  for (const auto& l : rails.limits) {
    Line what;
    if (!l.action.empty()) {
      what << code(l.action) << text(" actions");
    } else {
      what << text(l.role == "contain" ? "containment actions (role " : "actions of role ")
           << code(l.role) << text(l.role == "contain" ? ")" : "");
    }
    Line head{strong("Limit"), text(" "), code(l.name), text(": ")};
    if (l.max_percent) {
      head << what
           << text(" on at most " + numberText(json::value(*l.max_percent)) +
                   " % of the running instances in any " + windowWords(l.window_ms) + ", " +
                   perWords(l) +
                   " (the running instances are counted with DescribeInstances and kept 5 "
                   "minutes; when they cannot be counted the action does not act).");
    } else {
      head << text("at most " + std::to_string(l.max) + " ") << what
           << text(" in any " + windowWords(l.window_ms) + ", " + perWords(l) + ".");
    }
    std::vector<Item> kids;
    kids.push_back(
        Item{Line{text("When full: on_limit "), text(onLimitWords(l.on_limit) + ".")}, {}});
    items.push_back(Item{std::move(head), std::move(kids)});
  }
  if (rails.breaker) {
    const auto& b = *rails.breaker;
    Line head{
        strong("Circuit breaker"),
        text(": opens when more than " + std::to_string(b.threshold) +
             " executions attempt a destructive action within " + windowWords(b.window_ms) + ".")};
    std::vector<Item> kids;
    // As written in riposte.yaml (the document does not depend on this process' environment).
    std::string topic;
    if (const auto* n = asObject(member(c.raw, "notifications")))
      topic = stringMember(*n, "sns_topic_arn");
    Line alert{
        text("When it opens, an alert is published to notifications.sns_topic_arn from its "
             "breaker.opened audit record (at least once: a crash does not lose it)")};
    if (topic.empty()) {
      alert << text(
          " (not set: no alert is sent, only a log line and "
          "riposte_limit_breaker_alerts_total{outcome=\"no_topic\"})");
    } else {
      alert << text(" (") << code(topic) << text(")");
    }
    alert << text(".");
    kids.push_back(Item{std::move(alert), {}});
    kids.push_back(Item{Line{text("While it is open, every destructive action goes to on_limit " +
                                  onLimitWords(b.on_limit) + ".")},
                        {}});
    kids.push_back(Item{Line{text("It stays open until a person closes it: "),
                             code("riposte breaker close --reason '…'"), text(" or "),
                             code("POST /v1/breaker/close"),
                             text(" with {\"by\", \"reason\"}; who, when and why are audited, "
                                  "and the count starts again.")},
                        {}});
    items.push_back(Item{std::move(head), std::move(kids)});
  } else {
    items.push_back(Item{
        Line{strong("No circuit breaker"), text(": a misfiring detector is not paused. Arm one in "
                                                "policies/*.yaml (breaker:).")},
        {}});
  }
  {
    std::vector<std::string> overrides;
    for (const auto& r : c.cfg.rules)
      if (r.on_limit)
        overrides.push_back(r.name + " (" + std::string(policy::onLimitName(*r.on_limit)) + ")");
    if (!overrides.empty()) {
      items.push_back(Item{Line{text("Rules with their own on_limit (it replaces the limit's "
                                     "and the breaker's for their executions): ")}
                               << codeList(overrides),
                           {}});
    }
  }
  if (rails.scope.empty()) {
    items.push_back(Item{
        Line{strong("Scope"), text(": none. Destructive actions may act on every account, "
                                   "region and resource riposte's credentials reach (protected "
                                   "resources excepted).")},
        {}});
  } else {
    std::vector<Item> kids;
    if (!rails.scope.allow.empty()) {
      kids.push_back(Item{
          scopeListLine("Only", rails.scope.allow)
              << text(" (a resource must be in every list given; of the tags, one is enough)."),
          {}});
    }
    if (!rails.scope.deny.empty()) {
      kids.push_back(Item{scopeListLine("Never", rails.scope.deny)
                              << text(" (a resource matching any of them is refused)."),
                          {}});
    }
    Line head{strong("Scope"),
              text(": held against the resource's current state, read from AWS at action time"
                   " (its VPC and tags). What cannot be read refuses the action (fail closed): "
                   "the step fails with riposte.OutOfScope, and the timeline says why.")};
    items.push_back(Item{std::move(head), std::move(kids)});
  }
  doc.list(std::move(items));
}

}  // namespace riposte::runbook
