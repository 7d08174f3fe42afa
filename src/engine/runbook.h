#pragma once
// The incident-response runbook generated from the configuration (issue 6; seed 000, step 4):
// overview, one procedure per rule (trigger in words + the pattern, the automated response
// step by step with the AWS calls each step makes and how it is undone, notifications, SIEM),
// the safety settings, the least-privilege IAM policy, a review section with the config's
// content hash, and a diagram of each playbook (Mermaid in Markdown, an inline SVG in HTML).
//
//   RunbookMeta meta{.date = "2026-11-23", .config_label = "config/default"};
//   Result<std::string> md = renderRunbook(cfg, actions::Registry::builtins(),
//                                          RunbookFormat::Markdown, meta);
//
// The output depends only on the configuration (and on the raw files in cfg.dir, read again
// so that ${VAR} settings show as written, not as expanded from this process' environment),
// the registry and `meta`: the same inputs give the same bytes. Everything here is pure
// (no clock, no environment) and thread-safe.

#include <string>
#include <vector>

#include "actions/registry.h"
#include "core/json.h"
#include "core/result.h"
#include "engine/config.h"

namespace riposte::engine {

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
};

// "sha256:<hex>": a hash of the configuration's files (riposte.yaml, rules/, playbooks/,
// policies/: every .yaml/.yml/.json file, by relative path and content, in path order). When
// cfg.dir is empty or not a directory, a hash of the loaded configuration's canonical JSON.
Result<std::string> configVersion(const Config& cfg);

// Renders the runbook. Errors: "InvalidArgument" when meta.date is not YYYY-MM-DD.
Result<std::string> renderRunbook(const Config& cfg, const actions::Registry& registry,
                                  RunbookFormat format, const RunbookMeta& meta);

// ----- The pieces, exposed for tests and for other documents -----

// An EventBridge pattern in words, one sentence: "GuardDuty findings where resourceType is
// "Instance" and severity ≥ 7." (plain text, UTF-8; every operator has its wording).
std::string describePattern(const json::value& pattern);

// The pattern's conditions as lines, one per field (full dotted paths), "any one of" groups
// for $or indented by two spaces per level: "detail.severity ≥ 7".
std::vector<std::string> describePatternConditions(const json::value& pattern);

// A Choice rule (the object with Variable/And/Or/Not/Condition) in words:
// "$.riposte.remoteIp is present and $.riposte.remoteIp is a string".
std::string describeChoiceRule(const json::value& rule);

// A playbook's states in execution order (longest path from StartAt, ties in discovery
// order; states no path reaches come last). Top level only.
std::vector<std::string> executionOrder(const json::value& definition);

// Mermaid `flowchart TD` of a playbook: one node per state (nested Parallel/Map states in
// subgraphs), one `-->` edge per transition (Next, each Choice rule, Default, each Catch).
std::string mermaidDiagram(const json::value& definition);

// A self-contained <svg> of a playbook's top-level states: layered layout, boxes, arrows,
// labelled Choice / Default / Catch edges.
std::string svgDiagram(const json::value& definition);

// The IAM permissions the playbooks' Task states need (riposte actions' permissions(),
// aws-sdk integrations' service:Action, sns:publish), sorted and unique; `undo` (optional)
// receives the extra permissions needed to undo those actions (release).
std::vector<std::string> requiredPermissions(const Config& cfg, const actions::Registry& registry,
                                             std::vector<std::string>* undo = nullptr);

}  // namespace riposte::engine
