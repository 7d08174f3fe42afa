#include "engine/guard.h"

#include "actions/util.h"
#include "core/log.h"

namespace riposte::engine {

Guard::Guard(store::Store& store, const Clock& clock, Metrics& metrics)
    : store_(store), clock_(clock), metrics_(metrics) {}

void Guard::declareMetrics(Metrics& m) {
  m.declare("riposte_limit_granted_total",
            "Destructive actions a limit let act, by limit (places taken in its counters).",
            "counter");
  m.declare("riposte_limit_refused_total",
            "Destructive actions refused by a limit or the breaker, by what refused them "
            "(limit name or \"breaker\") and the on_limit applied.",
            "counter");
  m.declare("riposte_limit_scope_refused_total",
            "Destructive actions refused by the scope (out of scope, or what the scope needs "
            "could not be read), by action.",
            "counter");
  m.declare("riposte_limit_usage",
            "Places held now in each limit's window, by limit and counter key (from the store).",
            "gauge");
  m.declare("riposte_limit_max", "The most each rate limit allows in its window.", "gauge");
  m.declare("riposte_limit_breaker_open", "1 while the circuit breaker is open (from the store).",
            "gauge");
  m.declare("riposte_limit_breaker_attempts",
            "Executions that attempted a destructive action within the breaker's window.", "gauge");
  m.declare("riposte_limit_breaker_alerts_total",
            "Breaker openings by what became of their alert: recorded (the breaker.opened "
            "audit record, which the breaker sink publishes to notifications.sns_topic_arn), "
            "no_topic; simulated in riposte simulate and replay, which send none.",
            "counter");
}

namespace {

std::string memberOf(const json::value& params, const std::string& member) {
  if (!params.is_object()) return "";
  const auto* v = params.as_object().if_contains(member);
  return v && v->is_string() ? std::string(v->as_string()) : "";
}

// IAM's <member> lists: one member comes back as an object.
std::map<std::string, std::string> iamTags(const json::value& result) {
  std::map<std::string, std::string> tags;
  if (!result.is_object()) return tags;
  const json::value* r = &result;
  for (const char* k : {"ListUserTagsResult", "ListRoleTagsResult"}) {
    if (auto* x = result.as_object().if_contains(k)) r = x;
  }
  const json::value* t = r->is_object() ? r->as_object().if_contains("Tags") : nullptr;
  if (!t) return tags;
  const json::value* m =
      t->is_object() && t->as_object().contains("member") ? &t->as_object().at("member") : t;
  auto one = [&](const json::value& e) { tags[actions::str(e, "Key")] = actions::str(e, "Value"); };
  if (m->is_array()) {
    for (const auto& e : m->as_array()) one(e);
  } else if (m->is_object()) {
    one(*m);
  }
  return tags;
}

}  // namespace

policy::ResourceFacts Guard::readFacts(const policy::Scope& scope, const actions::Descriptor& d,
                                       const json::value& parameters,
                                       const actions::ActionContext& ac) {
  policy::ResourceFacts f;
  f.account = ac.account;
  f.region = ac.region;
  const actions::Target* target = nullptr;
  for (const auto& t : d.targets) {
    f.resource_id = memberOf(parameters, t.member);
    if (!f.resource_id.empty()) {
      target = &t;
      break;
    }
  }
  if (!target) {
    std::string why = d.targets.empty() ? d.name + " does not say which resource it changes"
                                        : "the input of " + d.name + " names no resource (" +
                                              [&] {
                                                std::string m;
                                                for (const auto& t : d.targets)
                                                  m += (m.empty() ? "" : ", ") + t.member;
                                                return m;
                                              }() +
                                              ")";
    f.resource_id_error = why;
    f.has_vpc = f.has_tags = true;  // unknown: held to every list, which refuses it
    f.vpc_error = f.tags_error = why;
    return f;
  }
  const bool vpc = scope.needsVpc(), tags = scope.needsTags();
  switch (target->kind) {
    case actions::TargetKind::kEc2Instance:
    case actions::TargetKind::kEc2Subnet: {
      f.has_vpc = f.has_tags = true;
      if (!vpc && !tags) break;
      Result<json::value> r = json::value();
      if (target->kind == actions::TargetKind::kEc2Instance) {
        r = actions::describeInstance(ac, f.resource_id);
      } else {
        auto s = actions::ec2Call(ac, "DescribeSubnets", {{"SubnetId.1", f.resource_id}});
        if (s) {
          const auto& set = actions::arrayAt(*s, "subnetSet");
          if (set.empty()) {
            r = fail("InvalidSubnetID.NotFound", "subnet " + f.resource_id + " not found");
          } else {
            r = set.front();
          }
        } else {
          r = fail(s.error());
        }
      }
      if (!r) {
        f.vpc_error = f.tags_error = "describing " + f.resource_id + " failed: " + r.error().str();
        break;
      }
      std::string v = actions::str(*r, "vpcId");
      if (v.empty()) {
        f.vpc_error = "AWS returned no VPC for " + f.resource_id;
      } else {
        f.vpc = v;
      }
      f.tags = actions::tagsOf(*r);
      break;
    }
    case actions::TargetKind::kIamUser:
    case actions::TargetKind::kIamRole: {
      f.has_tags = true;
      if (!tags) break;
      const bool user = target->kind == actions::TargetKind::kIamUser;
      if (!ac.aws) {
        f.tags_error = "no AWS client for account " + ac.account;
        break;
      }
      aws::Call call;
      call.service = "iam";
      call.region = "us-east-1";
      call.action = user ? "ListUserTags" : "ListRoleTags";
      call.params = {{user ? "UserName" : "RoleName", f.resource_id}};
      auto r = ac.aws->queryJson(call);
      if (!r) {
        f.tags_error = call.action + " failed: " + r.error().str();
        break;
      }
      f.tags = iamTags(*r);
      break;
    }
    case actions::TargetKind::kWafIpSet:
      break;
  }
  return f;
}

Result<int64_t> Guard::runningInstances(const actions::ActionContext& ac) {
  const std::string key = ac.account + "/" + ac.region;
  const int64_t now = clock_.nowMillis();
  {
    std::lock_guard lk(mu_);
    auto it = running_.find(key);
    if (it != running_.end() && now - it->second.at_ms < kRunningCacheMs) return it->second.count;
  }
  int64_t count = 0;
  std::string token;
  for (int page = 0; page < 1000; ++page) {
    aws::Pairs params = {{"Filter.1.Name", "instance-state-name"},
                         {"Filter.1.Value.1", "running"},
                         {"MaxResults", "1000"}};
    if (!token.empty()) params.push_back({"NextToken", token});
    auto r = actions::ec2Call(ac, "DescribeInstances", params);
    if (!r) return fail(r.error());
    for (const auto& res : actions::arrayAt(*r, "reservationSet")) {
      count += static_cast<int64_t>(actions::arrayAt(res, "instancesSet").size());
    }
    token = actions::str(*r, "nextToken");
    if (token.empty()) break;
  }
  std::lock_guard lk(mu_);
  running_[key] = Cached{count, now};
  return count;
}

void Guard::alert(const Request& req, const std::string& reason) {
  if (req.simulation) {
    metrics_.inc("riposte_limit_breaker_alerts_total", {{"outcome", "simulated"}});
    logInfo("circuit breaker would open (simulation: no alert sent)", {{"reason", reason}});
    return;
  }
  // The alert is the breaker.opened audit record, written with the breaker's opening: the
  // "breaker" sink publishes it to the topic (at least once; a crash does not lose it).
  if (req.sns_topic_arn.empty()) {
    metrics_.inc("riposte_limit_breaker_alerts_total", {{"outcome", "no_topic"}});
    logError("circuit breaker opened; no alert is sent (no notifications.sns_topic_arn)",
             {{"reason", reason}});
    return;
  }
  metrics_.inc("riposte_limit_breaker_alerts_total", {{"outcome", "recorded"}});
  logWarn("circuit breaker opened; its alert goes to the topic from the audit log",
          {{"topic", req.sns_topic_arn}, {"reason", reason}});
}

GuardVerdict Guard::check(const Request& req) {
  GuardVerdict v;
  const policy::GuardRails& rails = *req.rails;
  actions::ActionContext& ac = *req.ac;
  const std::string& action = req.descriptor->name;
  auto refuse_scope = [&](std::string why) {
    v.act = false;
    v.out_of_scope = true;
    v.reason = std::move(why);
    metrics_.inc("riposte_limit_scope_refused_total", {{"action", action}});
    logWarn("destructive action refused by the scope",
            {{"incident", ac.incident_id}, {"action", action}, {"reason", v.reason}});
    return v;
  };
  // 1. scope, against the resource as it is now.
  if (!rails.scope.empty()) {
    static const json::value kNone;
    const policy::Scope* scope = &rails.scope;
    policy::Scope without_reads;
    if (req.simulation && !ac.aws && (scope->needsVpc() || scope->needsTags())) {
      // Nothing to read the resource with: hold it to the lists that need no read.
      without_reads = rails.scope;
      without_reads.allow.vpcs.clear();
      without_reads.deny.vpcs.clear();
      without_reads.allow.tags.clear();
      without_reads.deny.tags.clear();
      scope = &without_reads;
      v.note =
          "simulation without AWS: the scope's VPC and tag lists were not checked; riposte "
          "reads them from AWS at action time (simulate --against ENDPOINT reads them too)";
    }
    auto facts = readFacts(*scope, *req.descriptor, req.parameters ? *req.parameters : kNone, ac);
    auto d = policy::checkScope(*scope, facts);
    if (!d.allowed) return refuse_scope("out of scope: " + d.reason);
  }
  // 2. limits (with the running instances for share caps), 3. the breaker: one store request.
  if (rails.limits.empty() && !rails.breaker) return v;
  policy::ActionFacts af{action, std::string(actions::roleName(req.descriptor->role)), ac.account,
                         ac.region};
  auto checks = policy::checksFor(rails, af);
  store::LimitRequest lr;
  lr.action_id = ac.action_id;
  lr.execution_id = ac.execution_id;
  lr.incident_id = ac.incident_id;
  lr.action = action;
  lr.now_ms = clock_.nowMillis();
  std::optional<int64_t> running;
  for (const auto& c : checks) {
    store::LimitCounter counter{c.limit->name, c.key, c.limit->window_ms, c.limit->max};
    if (c.share_cap() && req.simulation && !ac.aws) {
      // The running instances are counted in AWS: without it, the share cap is not held.
      v.note += std::string(v.note.empty() ? "" : "; ") + "simulation without AWS: limit '" +
                c.limit->name + "' (a share of the running instances) was not checked";
      continue;
    }
    if (c.share_cap()) {
      if (!running) {
        auto n = runningInstances(ac);
        if (!n) {
          v.act = false;
          v.on_limit = policy::effectiveOnLimit(req.rule_on_limit, c.limit->on_limit);
          v.reason = "limit '" + c.limit->name +
                     "' caps a share of the running instances, and "
                     "riposte cannot count them in " +
                     ac.account + "/" + ac.region + ": " + n.error().str() + "; not acting";
          metrics_.inc("riposte_limit_refused_total",
                       {{"limit", c.limit->name},
                        {"on_limit", std::string(policy::onLimitName(v.on_limit))}});
          return v;
        }
        running = *n;
      }
      counter.max = policy::shareCapMax(*c.limit->max_percent, *running);
    }
    lr.counters.push_back(std::move(counter));
  }
  if (rails.breaker)
    lr.breaker = store::BreakerSettings{rails.breaker->threshold, rails.breaker->window_ms};
  if (lr.counters.empty() && !lr.breaker) return v;
  if (ac.execution_id.empty()) lr.execution_id = ac.action_id;
  auto g = store_.reserveLimits(lr);
  if (!g) {
    // Fail closed: a limit that cannot be counted does not let the action act.
    v.act = false;
    v.on_limit = policy::OnLimit::kFail;
    v.reason = "the limits cannot be counted in the store: " + g.error().str() + "; not acting";
    metrics_.inc("riposte_limit_refused_total", {{"limit", "store"}, {"on_limit", "fail"}});
    logError("limit reservation failed",
             {{"incident", ac.incident_id}, {"error", g.error().str()}});
    return v;
  }
  if (g->breaker_opened) {
    alert(req, rails.breaker->describe() + ": it opened at " + std::to_string(g->breaker_count) +
                   " executions");
  }
  if (g->granted) {
    v.reserved = true;  // also a place taken by an earlier run of this attempt
    for (const auto& c : lr.counters)
      metrics_.inc("riposte_limit_granted_total", {{"limit", c.limit}});
    return v;
  }
  v.act = false;
  std::string what;
  if (!g->limit.empty()) {
    const policy::Limit* l = nullptr;
    for (const auto& c : checks)
      if (c.limit->name == g->limit) l = c.limit;
    v.on_limit =
        policy::effectiveOnLimit(req.rule_on_limit, l ? l->on_limit : policy::OnLimit::kDryRun);
    what = g->limit;
    v.reason = "limit '" + g->limit + "' (" + (l ? l->describe() : std::string()) +
               ") is full for " + g->key + ": " + std::to_string(g->count) + " of " +
               std::to_string(g->max) + " taken";
    if (g->breaker_open) v.reason += "; and the circuit breaker is open";
  } else {
    v.on_limit = policy::effectiveOnLimit(req.rule_on_limit, rails.breaker->on_limit);
    what = "breaker";
    v.reason = "the circuit breaker is open (" + rails.breaker->describe() + "; " +
               std::to_string(g->breaker_count) + " counted); a person closes it";
  }
  metrics_.inc("riposte_limit_refused_total",
               {{"limit", what}, {"on_limit", std::string(policy::onLimitName(v.on_limit))}});
  logWarn("destructive action refused by a limit",
          {{"incident", ac.incident_id},
           {"action", action},
           {"on_limit", std::string(policy::onLimitName(v.on_limit))},
           {"reason", v.reason}});
  return v;
}

void Guard::settle(const std::string& action_id, const std::string& status, bool reserved,
                   bool rerun) {
  if (!reserved || rerun || status == "succeeded") return;
  if (status != "failed" && status != "unchanged") return;
  if (auto r = store_.releaseLimits(action_id); !r) {
    logError("cannot give back limit places", {{"action", action_id}, {"error", r.error().str()}});
  }
}

}  // namespace riposte::engine
