#pragma once
// The least-privilege IAM policy a set of playbooks needs (`riposte iam-policy`, section 10 of
// the runbook), from the descriptors of the actions their Task states run and, by default, of
// those actions' undos (so that release works too).
//
//   auto policy = runbook::iamPolicyFor(cfg, actions::Registry::builtins());
//   if (!policy) …  // NotConfigured: notifications.sns_topic_arn is unset, …
//   std::cout << toPrettyJson(policy->document);
//
// Every grant is on the resources AWS lets it be scoped to (Permission::resources): EC2 changes
// on instances, security groups, network ACLs…; IAM changes on users and roles, and only on
// those without the configured protection tag; iam:PassRole only to EC2; sns:Publish only on
// the topics the playbooks publish to. The roles riposte acts as (aws.accounts.*.role_arn) get
// an explicit Deny of every IAM change, so riposte cannot widen its own permissions. What
// cannot be scoped exactly is an error, never a wider grant: an unset topic, a topic taken from
// the event, an IAM change riposte has no scope for.

#include <map>
#include <string>
#include <vector>

#include "actions/registry.h"
#include "core/json.h"
#include "core/result.h"
#include "engine/config.h"

namespace riposte::runbook {

struct IamPolicyOptions {
  bool include_undo = true;  // add the undo actions' permissions (release needs them)
  // What $.riposte.notify.snsTopicArn is (notifications.sns_topic_arn). Required when a
  // playbook publishes to it: error "NotConfigured" naming the setting otherwise.
  std::string notify_topic_arn;
  // safety.protected_tag: principals carrying the tag are never changed, so every
  // principal-changing permission (Permission::writes_principal) is conditioned on its absence.
  // An empty key: no such condition.
  std::string protected_tag_key, protected_tag_value;
  // The roles riposte acts as (aws.accounts.<id>.role_arn): denied every IAM change.
  std::vector<std::string> own_roles;
  // What riposte calls itself, outside the playbooks, with the resources resolved (filled by
  // iamPolicyOptionsFor from the configuration: engineCalls). Granted like the Tasks'.
  struct EngineCall {
    std::string what;  // "threat list tor-exits", "threat intel publication", "breaker alert"
    std::vector<actions::Permission> permissions;
  };
  std::vector<EngineCall> engine_calls;
};

// What riposte calls itself for a configuration, each with its permissions on exactly the
// resources it names: an s3:// threat list → s3:GetObject on that object; `threat_intel.publish`
// → s3:PutObject on its object, guardduty:ListThreatIntelSets and CreateThreatIntelSet on the
// detector, GetThreatIntelSet and UpdateThreatIntelSet on its threat intel sets, and the
// iam:PutRolePolicy / iam:DeleteRolePolicy on GuardDuty's service-linked role that GuardDuty
// asks of whoever uploads a threat list; the breaker's alert → sns:Publish on
// notifications.sns_topic_arn (nothing without a topic: the breaker then sends no alert, and
// its metric and log say so). No error today; Result for the calls that will need one.
// `topic` is the breaker alert's topic (cfg.sns_topic_arn; the runbook passes it as written).
Result<std::vector<IamPolicyOptions::EngineCall>> engineCalls(const engine::Config& cfg,
                                                              const std::string& topic);

// The options a configuration sets: its topic, protection tag, account roles and engineCalls.
Result<IamPolicyOptions> iamPolicyOptionsFor(const engine::Config& cfg);

// One Task state, what it runs and the permissions it needs (its action's, and its undo's when
// asked), with the resources resolved (the topics it publishes to).
struct TaskPermissions {
  std::string playbook, state, resource;
  std::string action;                            // the action's name ("aws.ec2.isolateInstance")
  std::string undo;                              // its undo action's name, "" when none
  std::vector<actions::Permission> permissions;  // the action's, in its order
  std::vector<actions::Permission> undo_permissions;  // the undo's (empty unless include_undo)
  // The IAM actions of both, sorted and unique.
  std::vector<std::string> names() const;
};

struct IamPolicy {
  // {"Version": "2012-10-17", "Statement": [...]}: one Allow statement per service and distinct
  // (resources, conditions), Sids naming service and resource types ("RiposteEc2Instance"),
  // then the Deny on riposte's own roles ("RiposteNeverOnItself") when it has any.
  json::value document;
  std::vector<TaskPermissions> tasks;  // playbooks by name, then states as visited
};

// Walks every Task state of the playbooks (name → ASL definition), into Parallel branches and
// Map item processors (asl::forEachState). Errors, each naming the playbook and the state:
// "UnknownAction" (a Resource the registry does not know, or an undo it does not know),
// "NotConfigured" (a publish to $.riposte.notify.snsTopicArn with no notify_topic_arn),
// "UnknownTopic" (a topic riposte cannot know in advance: from the event, not a literal ARN),
// "NoScope" (a permission riposte has no resource scope for). Pure and thread-safe.
Result<IamPolicy> iamPolicyFor(const std::map<std::string, json::value>& playbooks,
                               const actions::Registry& registry, const IamPolicyOptions& options);

// The same for a configuration's playbooks with iamPolicyOptionsFor(cfg).
Result<IamPolicy> iamPolicyFor(const engine::Config& cfg, const actions::Registry& registry,
                               bool include_undo = true);

}  // namespace riposte::runbook
