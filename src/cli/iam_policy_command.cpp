#include "cli/iam_policy_command.h"

#include <fstream>
#include <iostream>
#include <map>

#include "actions/registry.h"
#include "cli/config_loader.h"
#include "runbook/iam_policy.h"

namespace riposte::cli {

int runIamPolicy(const IamPolicyCommandOptions& options, std::ostream& out, std::ostream& err) {
  auto cfg = loadConfigChecked(options.config_dir, err);
  if (!cfg) {
    err << "riposte iam-policy: invalid configuration: " << cfg.error().message << "\n";
    return 2;
  }
  auto policy = runbook::iamPolicyFor(*cfg, actions::Registry::builtins(), options.include_undo);
  if (!policy) {
    err << "riposte iam-policy: " << policy.error().message << "\n";
    return 2;
  }
  if (options.explain) {
    for (const auto& t : policy->tasks) {
      err << t.playbook << " / " << t.state << " (" << t.action;
      if (!t.undo.empty()) err << ", undo " << t.undo;
      err << "):";
      for (const auto& p : t.names()) err << " " << p;
      err << "\n";
    }
  }
  const std::string text = toPrettyJson(policy->document) + "\n";
  if (options.output.empty() || options.output == "-") {
    out << text;
    return 0;
  }
  std::ofstream f(options.output, std::ios::binary | std::ios::trunc);
  f << text;
  if (!f.flush()) {
    err << "riposte iam-policy: cannot write " << options.output << "\n";
    return 1;
  }
  return 0;
}

void addIamPolicyCommands(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "iam-policy", "Print the least-privilege IAM policy the configured playbooks need");
  auto opts = std::make_shared<IamPolicyCommandOptions>();
  cmd->add_option("--config", opts->config_dir, "Configuration directory")->capture_default_str();
  cmd->add_option("-o,--output", opts->output, "Output file (default: stdout)");
  cmd->add_flag("!--no-undo", opts->include_undo,
                "Leave out the undo actions' permissions (release will not work)");
  cmd->add_flag("--explain", opts->explain, "Write which state needs which permission to stderr");
  cmd->callback([opts] {
    int rc = runIamPolicy(*opts, std::cout, std::cerr);
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace riposte::cli
