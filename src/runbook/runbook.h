#pragma once
// The incident-response runbook generated from the configuration (seed 000, step 4): overview,
// one procedure per rule (trigger in words + the pattern, the automated response step by step
// with the AWS calls each step makes and how it is undone, notifications, SIEM), the playbooks'
// diagrams, the response actions, the safety settings, the least-privilege IAM policy (the one
// `riposte iam-policy` prints) and a review section with the config's content hash. Mermaid
// diagrams in Markdown, inline SVGs in HTML.
//
//   RunbookMeta meta{.date = "2026-11-23", .config_label = "config/default"};
//   Result<std::string> md = renderRunbook(cfg, actions::Registry::builtins(),
//                                          RunbookFormat::Markdown, meta);
//
// The output depends only on the configuration (and on the raw files in cfg.dir, read again
// so that ${VAR} settings show as written, not as expanded from this process' environment),
// the registry's action descriptors and `meta`: the same inputs give the same bytes. Everything
// here is pure (no clock, no environment) and thread-safe.
//
// The pieces, for tests and other documents: pattern_words.h (triggers in words),
// choice_words.h, playbook_graph.h (execution order), diagrams.h, steps.h, config_version.h,
// iam_policy.h; document.h is the model both formats render.

#include <string>

#include "actions/registry.h"
#include "core/result.h"
#include "engine/config.h"
#include "policy/coverage.h"
#include "runbook/choice_words.h"
#include "runbook/config_version.h"
#include "runbook/diagrams.h"
#include "runbook/pattern_words.h"
#include "runbook/playbook_graph.h"

namespace riposte::runbook {

enum class RunbookFormat { Markdown, Html };

struct RunbookMeta {
  // Date of the review/generation, YYYY-MM-DD. Required: the output never reads the clock.
  std::string date;
  // Shown as the config's version; "" = configVersion(cfg).
  std::string config_version;
  // How the configuration directory is named in the document ("config/default"); "" = cfg.dir.
  std::string config_label;
  // The command that regenerates the document (shown in the review section); "" = a command
  // built from config_label and date.
  std::string command;
  // The finding types the coverage section checks the enabled rules against (the CLI gives
  // cli::guardDutyCatalogue()); nullptr: the section says coverage was not computed. The
  // suppressions in force are those of the configuration not expired at `date` (00:00 UTC).
  const std::vector<policy::CatalogueType>* catalogue = nullptr;
};

// Renders the runbook. Errors: "InvalidArgument" when meta.date is not YYYY-MM-DD.
Result<std::string> renderRunbook(const engine::Config& cfg, const actions::Registry& registry,
                                  RunbookFormat format, const RunbookMeta& meta);

}  // namespace riposte::runbook
