#pragma once
// The least-privilege IAM policy a set of playbooks needs, from the actions' declared
// permissions (and, by default, those of their undo actions, so that release works too).

#include <map>
#include <string>
#include <vector>

#include "actions/registry.h"
#include "core/json.h"
#include "core/result.h"

namespace riposte::actions {

struct IamPolicyOptions {
  bool include_undo = true;  // add the undo actions' permissions (release needs them)
  // The configured notification topic ($.riposte.notify.snsTopicArn). When every sns:Publish
  // in the playbooks goes to it or to a literal topic ARN, sns:Publish is limited to those
  // topics; otherwise (a topic from the event, or this is empty) it is allowed on "*".
  std::string notify_topic_arn;
};

// One Task state and what it needs.
struct TaskPermissions {
  std::string playbook, state, resource;
  std::string action;                    // the action's name ("aws.ec2.isolateInstance")
  std::string undo;                      // its undo action's name, "" when none
  std::vector<std::string> permissions;  // sorted, including the undo's when asked
};

struct IamPolicy {
  json::value document;  // {"Version": "2012-10-17", "Statement": [...]}, one statement a service
  std::vector<TaskPermissions> tasks;  // in playbook, then state order
};

// Walks every Task state of the playbooks (name → ASL definition), into Parallel branches and
// Map item processors. A Task whose Resource the registry does not know is an error
// ("UnknownAction", naming the playbook and the state). Pure and thread-safe.
Result<IamPolicy> iamPolicyFor(const std::map<std::string, json::value>& playbooks,
                               const Registry& registry, const IamPolicyOptions& options = {});

}  // namespace riposte::actions
