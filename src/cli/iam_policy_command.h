#pragma once
// `riposte iam-policy`: the least-privilege IAM policy the configured playbooks need.

#include <CLI/CLI.hpp>
#include <iosfwd>
#include <string>

namespace riposte::cli {

// Adds the subcommand
//   iam-policy --config DIR [--no-undo] [--explain] [-o FILE]
//       prints the IAM policy document (JSON) allowing exactly the AWS actions that the Task
//       states of DIR's playbooks need, on the resources AWS lets them be scoped to, from the
//       actions' descriptors plus those of their undo actions (release needs them; --no-undo
//       leaves them out): runbook::iamPolicyFor (runbook/iam_policy.h). sns:Publish only on
//       the topics the playbooks publish to; IAM changes only on principals without the
//       protection tag and never on the configured account roles. --explain writes, to
//       stderr, which playbook state needs which permissions. Exit 0; 2 on an invalid
//       configuration, an unknown Task resource, or a grant that cannot be scoped (an unset
//       notifications.sns_topic_arn, a topic from the event); 1 when FILE cannot be written.
// Failures throw CLI::RuntimeError(exit_code) (messages already printed).
void addIamPolicyCommands(CLI::App& app);

struct IamPolicyCommandOptions {
  std::string config_dir = "config/default";
  std::string output;  // "" or "-" = `out`
  bool include_undo = true;
  bool explain = false;
};

// The logic behind the command (callable from tests). Returns the exit code.
int runIamPolicy(const IamPolicyCommandOptions& options, std::ostream& out, std::ostream& err);

}  // namespace riposte::cli
