#include "runbook/iam_policy.h"

#include <cctype>
#include <set>

#include "asl/visit.h"
#include "runbook/text.h"

namespace riposte::runbook {
namespace {

using actions::Condition;
using actions::Permission;

constexpr std::string_view kNotifyPath = "$.riposte.notify.snsTopicArn";

std::string where(const std::string& playbook, std::string_view state) {
  return "playbook " + playbook + ", state " + std::string(state);
}

bool isTopicArn(std::string_view s) {
  return s.starts_with("arn:") && s.find(":sns:") != std::string_view::npos;
}

// The SNS topics a publishing Task sends to: riposte's "topicArn" / "topicArns" (per severity)
// and Step Functions' "TopicArn" / "TargetArn". A literal topic ARN, or the configured topic
// read as $.riposte.notify.snsTopicArn; anything else cannot be known before the event.
Result<std::set<std::string>> topicsOf(const json::object* params, const std::string& at,
                                       const IamPolicyOptions& options) {
  std::set<std::string> topics;
  auto take = [&](const json::value& v, bool is_path, const std::string& key) -> Result<void> {
    if (!v.is_string()) {
      return fail("UnknownTopic", at + ": " + key + " is not a string: riposte cannot know the " +
                                      "topic it publishes to");
    }
    const std::string s(v.get_string());
    if (is_path && s == kNotifyPath) {
      if (options.notify_topic_arn.empty()) {
        return fail("NotConfigured",
                    at + " publishes to " + std::string(kNotifyPath) +
                        ", but notifications.sns_topic_arn is not set in riposte.yaml: set it "
                        "to the topic's ARN (sns:Publish is granted on that topic only, never "
                        "on every topic)");
      }
      topics.insert(options.notify_topic_arn);
      return {};
    }
    if (is_path) {
      return fail("UnknownTopic", at + " publishes to the topic at " + s +
                                      ", which riposte cannot know before the event: publish to " +
                                      std::string(kNotifyPath) + " or to a literal topic ARN");
    }
    if (!isTopicArn(s)) {
      return fail("UnknownTopic", at + ": " + key + " \"" + s + "\" is not an SNS topic ARN");
    }
    topics.insert(s);
    return {};
  };
  bool found = false;
  if (params) {
    for (const auto& [k, v] : *params) {
      std::string key(k);
      const bool is_path = key.ends_with(".$");
      if (is_path) key.resize(key.size() - 2);
      if (key == "topicArn" || key == "TopicArn" || key == "TargetArn") {
        found = true;
        if (auto r = take(v, is_path, key); !r) return fail(r.error());
      } else if (key == "topicArns") {
        found = true;
        if (is_path || !v.is_object()) {
          return fail("UnknownTopic", at + ": topicArns must be an object of topic ARNs for " +
                                          "riposte to know the topics it publishes to");
        }
        for (const auto& [sev, t] : v.get_object()) {
          if (auto r = take(t, false, "topicArns." + std::string(sev)); !r) return fail(r.error());
        }
      }
    }
  }
  if (!found) return fail("UnknownTopic", at + " names no topic to publish to");
  return topics;
}

// The grant a permission needs for one Task: its resources resolved, the protection condition
// added.
Result<Permission> resolve(const Permission& p, const json::object* params, const std::string& at,
                           const std::string& action, const IamPolicyOptions& options) {
  Permission out = p;
  if (p.task_topics) {
    auto topics = topicsOf(params, at, options);
    if (!topics) return fail(topics.error());
    out.resources.assign(topics->begin(), topics->end());
    out.task_topics = false;
  }
  if (out.resources.empty()) {
    return fail("NoScope", at + " (" + action + ") calls " + p.action +
                               ", which riposte does not know how to scope: it will not grant an "
                               "IAM change on every resource");
  }
  if (p.writes_principal && !options.protected_tag_key.empty()) {
    out.conditions.push_back(Condition{"StringNotEqualsIgnoreCase",
                                       "aws:ResourceTag/" + options.protected_tag_key,
                                       {options.protected_tag_value}});
  }
  return out;
}

// "ec2" → "Ec2", "network-interface" → "NetworkInterface".
std::string titleWords(std::string_view s) {
  std::string out;
  bool up = true;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c))) {
      up = true;
      continue;
    }
    out += up ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    up = false;
  }
  return out;
}

// The resource type an ARN pattern names, in words: "arn:aws:ec2:*:*:instance/*" → "Instance",
// "arn:aws:ec2:*:*:*/*" → "Any", an SNS topic → "Topic", "*" → "".
std::string typeWords(const std::string& arn) {
  if (arn == "*") return "";
  std::size_t p = std::string::npos;
  for (int i = 0; i < 5; ++i) {
    p = arn.find(':', p == std::string::npos ? 0 : p + 1);
    if (p == std::string::npos) return "Any";
  }
  const std::string rest = arn.substr(p + 1);
  if (rest.find('/') == std::string::npos) {
    return arn.find(":sns:") != std::string::npos ? "Topic" : titleWords(rest);
  }
  std::size_t b = 0;
  while (b < rest.size()) {
    std::size_t e = rest.find('/', b);
    if (e == std::string::npos) e = rest.size();
    std::string seg = rest.substr(b, e - b);
    if (seg.find('*') == std::string::npos && seg.find('?') == std::string::npos) {
      return titleWords(seg);
    }
    b = e + 1;
  }
  return "Any";
}

json::value conditionJson(const std::vector<Condition>& conditions) {
  json::object out;
  for (const auto& c : conditions) {
    json::array values;
    for (const auto& v : c.values) values.emplace_back(v);
    json::value& op = out[c.op];
    if (!op.is_object()) op = json::object();
    op.as_object()[c.key] = values.size() == 1 ? values[0] : json::value(values);
  }
  return out;
}

struct Group {
  std::string service;
  std::vector<std::string> resources;
  std::vector<Condition> conditions;
  std::set<std::string> actions;
};

}  // namespace

std::vector<std::string> TaskPermissions::names() const {
  std::set<std::string> s;
  for (const auto& p : permissions) s.insert(p.action);
  for (const auto& p : undo_permissions) s.insert(p.action);
  return {s.begin(), s.end()};
}

Result<std::vector<IamPolicyOptions::EngineCall>> engineCalls(const engine::Config& cfg,
                                                              const std::string& topic) {
  std::vector<IamPolicyOptions::EngineCall> out;
  auto grant = [](std::string action, std::vector<std::string> resources) {
    Permission p;
    p.action = std::move(action);
    p.resources = std::move(resources);
    return p;
  };
  for (const auto& l : cfg.threat_intel.lists) {
    if (l.source.kind != policy::ListSource::Kind::kS3) continue;
    out.push_back(
        {"threat list " + l.name,
         {grant("s3:GetObject", {"arn:aws:s3:::" + l.source.bucket + "/" + l.source.key})}});
  }
  if (const auto& pub = cfg.threat_intel.publish) {
    const std::string region = pub->region.empty() ? cfg.default_region : pub->region;
    const std::string detector = "arn:aws:guardduty:" + region + ":*:detector/" + pub->detector_id;
    out.push_back(
        {"threat intel publication",
         {grant("s3:PutObject", {"arn:aws:s3:::" + pub->location.bucket + "/" + pub->location.key}),
          // GuardDuty asks whoever uploads a threat list for read access to its object.
          grant("s3:GetObject", {"arn:aws:s3:::" + pub->location.bucket + "/" + pub->location.key}),
          grant("guardduty:ListThreatIntelSets", {detector}),
          grant("guardduty:CreateThreatIntelSet", {detector}),
          grant("guardduty:GetThreatIntelSet", {detector + "/threatintelset/*"}),
          grant("guardduty:UpdateThreatIntelSet", {detector + "/threatintelset/*"}),
          // GuardDuty's user guide: uploading a threat list needs these on its
          // service-linked role (it attaches the policy that lets GuardDuty read the list).
          grant("iam:PutRolePolicy", {"arn:aws:iam::*:role/aws-service-role/"
                                      "guardduty.amazonaws.com/AWSServiceRoleForAmazonGuardDuty"}),
          grant("iam:DeleteRolePolicy",
                {"arn:aws:iam::*:role/aws-service-role/guardduty.amazonaws.com/"
                 "AWSServiceRoleForAmazonGuardDuty"})}});
  }
  // Suppressions marked `guardduty: archive` (from a file or made at run time) become filters
  // on this detector, all named riposte-… (engine/guardduty_filters.h).
  if (const auto& gd = cfg.guardduty) {
    const std::string region = gd->region.empty() ? cfg.default_region : gd->region;
    const std::string detector = "arn:aws:guardduty:" + region + ":*:detector/" + gd->detector_id;
    const std::string filters =
        detector + "/filter/" + std::string(policy::kGuardDutyFilterPrefix) + "*";
    out.push_back(
        {"GuardDuty filters of suppressions",
         {grant("guardduty:CreateFilter", {detector, filters}),
          grant("guardduty:GetFilter", {filters}), grant("guardduty:UpdateFilter", {filters}),
          grant("guardduty:DeleteFilter", {filters})}});
  }
  // Notifications to people (sinks/notify.h): notifications.on_failure's topic (an implicit sns
  // sink) and every `sns` sink's topic. Webhook sinks need no AWS permission.
  std::set<std::string> topics;
  if (cfg.on_failure.enabled && !cfg.on_failure.sns_topic_arn.empty())
    topics.insert(cfg.on_failure.sns_topic_arn);
  if (auto it = cfg.settings.find("sinks"); it != cfg.settings.end() && it->value().is_array())
    for (const auto& item : it->value().get_array()) {
      const json::object* o = item.if_object();
      const json::value* type = o ? o->if_contains("type") : nullptr;
      const json::value* arn = o ? o->if_contains("topic_arn") : nullptr;
      if (type && type->is_string() && type->get_string() == "sns" && arn && arn->is_string() &&
          !arn->get_string().empty())
        topics.emplace(arn->get_string());
    }
  if (!topics.empty())
    out.push_back({"notifications (on_failure, sns sinks)",
                   {grant("sns:Publish", {topics.begin(), topics.end()})}});
  // Without a topic the breaker sends nothing (riposte_limit_breaker_alerts_total{outcome=
  // "no_topic"} and an error in the log say so): nothing to grant.
  if (cfg.guard_rails.breaker && !topic.empty()) {
    out.push_back({"breaker alert", {grant("sns:Publish", {topic})}});
  }
  return out;
}

Result<IamPolicyOptions> iamPolicyOptionsFor(const engine::Config& cfg) {
  IamPolicyOptions o;
  auto calls = engineCalls(cfg, cfg.sns_topic_arn);
  if (!calls) return fail(calls.error());
  o.engine_calls = std::move(*calls);
  o.notify_topic_arn = cfg.sns_topic_arn;
  o.protected_tag_key = cfg.safety.protected_tag_key;
  o.protected_tag_value = cfg.safety.protected_tag_value;
  for (const auto& [account, a] : cfg.accounts) {
    if (!a.role_arn.empty()) o.own_roles.push_back(a.role_arn);
  }
  return o;
}

Result<IamPolicy> iamPolicyFor(const std::map<std::string, json::value>& playbooks,
                               const actions::Registry& registry, const IamPolicyOptions& options) {
  IamPolicy out;
  for (const auto& [playbook, definition] : playbooks) {
    std::optional<Error> error;
    asl::forEachState(definition, [&](const asl::VisitedState& s) {
      if (error || s.type != "Task") return;
      const std::string at = where(playbook, s.name);
      const json::value* r = s.json().if_contains("Resource");
      if (!r || !r->is_string()) {
        error = Error{"UnknownAction", at + ": no Resource"};
        return;
      }
      const std::string resource(r->get_string());
      const actions::Action* a = registry.find(resource);
      if (!a) {
        error = Error{"UnknownAction", at + ": unknown Task resource \"" + resource + "\""};
        return;
      }
      const actions::Descriptor& d = a->descriptor();
      TaskPermissions t;
      t.playbook = playbook;
      t.state = std::string(s.name);
      t.resource = resource;
      t.action = d.name;
      t.undo = d.undo;
      const json::object* params = taskParameters(s.json());
      auto add = [&](const actions::Descriptor& of, std::vector<Permission>& into) {
        for (const auto& p : actions::permissionsFor(of, params)) {
          auto g = resolve(p, params, at, of.name, options);
          if (!g) {
            error = g.error();
            return;
          }
          into.push_back(std::move(*g));
        }
      };
      add(d, t.permissions);
      if (!d.undo.empty()) {
        const actions::Action* u = registry.find(d.undo);
        if (!u) {
          error =
              Error{"UnknownAction", "action " + d.name + " declares the unknown undo " + d.undo};
          return;
        }
        if (options.include_undo) add(u->descriptor(), t.undo_permissions);
      }
      if (!error) out.tasks.push_back(std::move(t));
    });
    if (error) return fail(*error);
  }

  for (const auto& c : options.engine_calls) {
    TaskPermissions t;
    t.playbook = "(riposte)";
    t.state = c.what;
    t.action = c.what;
    t.permissions = c.permissions;
    out.tasks.push_back(std::move(t));
  }

  // Each IAM action on the union of the resources its grants name (per distinct conditions),
  // then one Allow statement per service and distinct (resources, conditions).
  struct Grant {
    std::set<std::string> resources;
    std::vector<Condition> conditions;
  };
  std::map<std::pair<std::string, std::string>, Grant> by_action;  // (action, conditions)
  std::set<std::string> principal_writes;
  for (const auto& t : out.tasks) {
    for (const auto* list : {&t.permissions, &t.undo_permissions}) {
      for (const auto& p : *list) {
        Grant& g = by_action[{p.action, toJson(conditionJson(p.conditions))}];
        g.resources.insert(p.resources.begin(), p.resources.end());
        g.conditions = p.conditions;
        if (p.writes_principal || p.action == "iam:PassRole") principal_writes.insert(p.action);
      }
    }
  }
  std::map<std::string, Group> groups;  // key: service, resources, conditions as JSON
  for (const auto& [key, grant] : by_action) {
    const std::string& action = key.first;
    const std::string service = action.substr(0, action.find(':'));
    // "*" covers every pattern: nothing narrower to list beside it.
    std::vector<std::string> res(grant.resources.begin(), grant.resources.end());
    if (grant.resources.count("*")) res = {"*"};
    json::array rj;
    for (const auto& x : res) rj.emplace_back(x);
    Group& g = groups[service + "\n" + toJson(json::value(rj)) + "\n" + key.second];
    g.service = service;
    g.resources = res;
    g.conditions = grant.conditions;
    g.actions.insert(action);
  }
  json::array statements;
  std::set<std::string> sids;
  for (const auto& [key, g] : groups) {
    std::string sid = "Riposte" + titleWords(g.service);
    std::set<std::string> words;
    for (const auto& r : g.resources) {
      std::string w = typeWords(r);
      if (words.insert(w).second) sid += w;
    }
    for (const auto& c : g.conditions) {
      if (c.key.starts_with("aws:ResourceTag/")) {
        sid += "Unprotected";
      } else if (c.key == "iam:PassedToService" && c.values.size() == 1) {
        sid += "To" + titleWords(c.values[0].substr(0, c.values[0].find('.')));
      } else {
        sid += "Conditional";
      }
    }
    const std::string base = sid;
    for (int n = 2; !sids.insert(sid).second; ++n) sid = base + std::to_string(n);
    json::array actions, resources;
    for (const auto& a : g.actions) actions.emplace_back(a);
    for (const auto& r : g.resources) resources.emplace_back(r);
    json::object st{{"Sid", sid},
                    {"Effect", "Allow"},
                    {"Action", actions},
                    {"Resource", resources.size() == 1 ? resources[0] : json::value(resources)}};
    if (!g.conditions.empty()) st["Condition"] = conditionJson(g.conditions);
    statements.push_back(std::move(st));
  }
  if (!options.own_roles.empty() && !principal_writes.empty()) {
    json::array actions, roles;
    for (const auto& a : principal_writes) actions.emplace_back(a);
    std::set<std::string> uniq(options.own_roles.begin(), options.own_roles.end());
    for (const auto& r : uniq) roles.emplace_back(r);
    statements.push_back(json::object{{"Sid", "RiposteNeverOnItself"},
                                      {"Effect", "Deny"},
                                      {"Action", actions},
                                      {"Resource", roles}});
  }
  out.document = json::object{{"Version", "2012-10-17"}, {"Statement", statements}};
  return out;
}

Result<IamPolicy> iamPolicyFor(const engine::Config& cfg, const actions::Registry& registry,
                               bool include_undo) {
  std::map<std::string, json::value> playbooks;
  for (const auto& [name, pb] : cfg.playbooks) playbooks[name] = pb.definition;
  auto opts = iamPolicyOptionsFor(cfg);
  if (!opts) return fail(opts.error());
  IamPolicyOptions o = std::move(*opts);
  o.include_undo = include_undo;
  return iamPolicyFor(playbooks, registry, o);
}

}  // namespace riposte::runbook
