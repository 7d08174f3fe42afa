#pragma once
// `riposte iam-policy`: the least-privilege IAM policy the configured playbooks need.

#include <CLI/CLI.hpp>
#include <iosfwd>
#include <string>

namespace riposte::cli {

// Adds the subcommand
//   iam-policy --config DIR [--no-undo] [--explain] [-o FILE]
//       prints the IAM policy document (JSON) allowing exactly the AWS actions that the Task
//       states of DIR's playbooks need, from the actions' declared permissions plus those of
//       their undo actions (release needs them; --no-undo leaves them out). sns:Publish is
//       limited to the topics the playbooks publish to when they are all known (the configured
//       notifications.sns_topic_arn or literal ARNs). --explain writes, to stderr, which
//       playbook state needs which permissions. Exit 0; 2 on an invalid configuration or an
//       unknown Task resource; 1 when FILE cannot be written.
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
