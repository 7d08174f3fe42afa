#include "actions/iam_policy.h"

#include <cctype>
#include <set>

namespace riposte::actions {
namespace {

constexpr std::string_view kNotifyPath = "$.riposte.notify.snsTopicArn";

struct Walker {
  const Registry& registry;
  const IamPolicyOptions& options;
  std::string playbook;
  std::vector<TaskPermissions> tasks;
  std::set<std::string> topics;  // literal / configured topics sns:Publish goes to
  bool any_topic = false;        // a topic we cannot know in advance

  // The topics of a publishing Task's Parameters (riposte's "topicArn"/"topicArns" and Step
  // Functions' "TopicArn"/"TargetArn").
  void collectTopics(const json::value* params) {
    if (!params || !params->is_object()) {
      any_topic = true;
      return;
    }
    bool found = false;
    auto take = [&](const json::value& v, bool is_path) {
      found = true;
      if (!v.is_string()) {
        any_topic = true;
      } else if (!is_path) {
        topics.insert(std::string(v.get_string()));
      } else if (v.get_string() == kNotifyPath && !options.notify_topic_arn.empty()) {
        topics.insert(options.notify_topic_arn);
      } else {
        any_topic = true;
      }
    };
    for (const auto& [k, v] : params->get_object()) {
      std::string key(k);
      bool is_path = key.size() > 2 && key.compare(key.size() - 2, 2, ".$") == 0;
      if (is_path) key.resize(key.size() - 2);
      if (key == "topicArn" || key == "TopicArn" || key == "TargetArn") {
        take(v, is_path);
      } else if (key == "topicArns") {
        if (is_path || !v.is_object()) {
          found = true;
          any_topic = true;
        } else {
          for (const auto& [_, t] : v.get_object()) take(t, false);
        }
      }
    }
    if (!found) any_topic = true;
  }

  Result<void> walkStates(const json::value& machine) {
    const json::value* states = findPath(machine, "States");
    if (!states || !states->is_object()) return {};
    for (const auto& [name, st] : states->get_object()) {
      if (!st.is_object()) continue;
      const std::string type = stringAt(st, "Type").value_or("");
      if (type == "Task") {
        if (auto r = task(std::string(name), st); !r) return r;
      } else if (type == "Parallel") {
        if (const json::value* b = findPath(st, "Branches"); b && b->is_array()) {
          for (const auto& branch : b->get_array()) {
            if (auto r = walkStates(branch); !r) return r;
          }
        }
      } else if (type == "Map") {
        for (const char* k : {"ItemProcessor", "Iterator"}) {
          if (const json::value* p = findPath(st, k)) {
            if (auto r = walkStates(*p); !r) return r;
          }
        }
      }
    }
    return {};
  }

  Result<void> task(const std::string& state, const json::value& st) {
    auto resource = stringAt(st, "Resource");
    if (!resource) {
      return fail("UnknownAction", "playbook " + playbook + ", state " + state + ": no Resource");
    }
    const Action* a = registry.find(*resource);
    if (!a) {
      return fail("UnknownAction", "playbook " + playbook + ", state " + state +
                                       ": unknown Task resource \"" + *resource + "\"");
    }
    TaskPermissions t;
    t.playbook = playbook;
    t.state = state;
    t.resource = *resource;
    t.action = std::string(a->name());
    std::set<std::string> perms;
    const json::value* params = findPath(st, "Parameters");
    auto needed = [&](const Permission& p) {
      if (p.when_parameter.empty()) return true;
      return params && params->is_object() &&
             (params->as_object().contains(p.when_parameter) ||
              params->as_object().contains(p.when_parameter + ".$"));
    };
    for (auto& p : a->descriptor().permissions)
      if (needed(p)) perms.insert(p.action);
    if (!a->descriptor().undo.empty()) {
      t.undo = a->descriptor().undo;
      const Action* u = registry.find(t.undo);
      if (!u) {
        return fail("UnknownAction", "action " + t.action + " declares the unknown undo " + t.undo);
      }
      if (options.include_undo) {
        for (auto& p : u->descriptor().permissions)
          if (needed(p)) perms.insert(p.action);
      }
    }
    if (perms.count("sns:Publish")) collectTopics(findPath(st, "Parameters"));
    t.permissions.assign(perms.begin(), perms.end());
    tasks.push_back(std::move(t));
    return {};
  }
};

// "ec2" → "Ec2", "securityhub" → "Securityhub": the statement ids.
std::string sidOf(const std::string& service) {
  std::string s = "Riposte";
  bool up = true;
  for (char c : service) {
    if (!std::isalnum(static_cast<unsigned char>(c))) {
      up = true;
      continue;
    }
    s += up ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    up = false;
  }
  return s;
}

}  // namespace

Result<IamPolicy> iamPolicyFor(const std::map<std::string, json::value>& playbooks,
                               const Registry& registry, const IamPolicyOptions& options) {
  Walker w{registry, options, {}, {}, {}, false};
  for (const auto& [name, def] : playbooks) {
    w.playbook = name;
    if (auto r = w.walkStates(def); !r) return fail(r.error());
  }
  std::map<std::string, std::set<std::string>> by_service;  // "ec2" → {"ec2:CreateTags", …}
  for (const auto& t : w.tasks) {
    for (const auto& p : t.permissions) by_service[p.substr(0, p.find(':'))].insert(p);
  }
  const bool scoped_sns = !w.any_topic && !w.topics.empty();
  json::array statements;
  for (const auto& [service, perms] : by_service) {
    json::array actions;
    for (const auto& p : perms) {
      if (scoped_sns && p == "sns:Publish") continue;
      actions.emplace_back(p);
    }
    if (actions.empty()) continue;
    statements.push_back(json::object{
        {"Sid", sidOf(service)}, {"Effect", "Allow"}, {"Action", actions}, {"Resource", "*"}});
  }
  if (scoped_sns) {
    json::array topics;
    for (const auto& t : w.topics) topics.emplace_back(t);
    statements.push_back(json::object{{"Sid", "RiposteSnsPublish"},
                                      {"Effect", "Allow"},
                                      {"Action", json::array{"sns:Publish"}},
                                      {"Resource", topics}});
  }
  IamPolicy out;
  out.document = json::object{{"Version", "2012-10-17"}, {"Statement", statements}};
  out.tasks = std::move(w.tasks);
  return out;
}

}  // namespace riposte::actions
