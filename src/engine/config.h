#pragma once
// The configuration directory (ARCHITECTURE.md "Configuration"): riposte.yaml, rules/*.yaml,
// playbooks/*.asl.json|*.asl.yaml, policies/*.yaml and the directories other modules register.
// Loaded in stages, on src/config: every file read with the position of every value
// (config::readYaml / readJson) and its ${VAR}s expanded once → each file checked against its
// schema (riposte.yaml: settingsSchema, with the sink and source types their modules register;
// rules: ruleSchema; patterns: pattern::checkPattern; playbooks: asl::validate; policies: the
// parsers of src/policy) → the checks across files (a rule's playbook exists, names are
// unique) → the typed Config. Every problem of every file is reported, located at the
// offending value: "rules/ec2.yaml:7:15: event_pattern.detail.severity[0]: …".
//
//   config::Registry registry;            // sinks::registerConfig(registry), sources::…
//   engine::Checkers checkers{&registry, [](std::string_view r) { return known(r); }};
//   std::vector<engine::Problem> problems;
//   auto cfg = engine::loadConfig("config/default", checkers, problems);
//   if (!cfg) for (const auto& p : problems) std::cerr << p.str() << "\n";

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "actions/connection.h"
#include "config/document.h"
#include "config/registry.h"
#include "config/schema.h"
#include "core/json.h"
#include "core/result.h"
#include "policy/approval.h"
#include "policy/guardduty_filter.h"
#include "policy/limits.h"
#include "policy/suppression.h"
#include "policy/threat_config.h"

namespace riposte::engine {

// A problem of the configuration: file (relative to the directory), line and column of the
// offending value, path inside the file, message. str(): "file:line:column: path: message".
using Problem = config::Located;

struct Rule {
  std::string name;
  std::string description;
  std::string file;
  int line = 0;              // of the rule's name
  std::string pattern_json;  // the EventBridge pattern, verbatim, as JSON text
  json::value pattern;
  std::string playbook;  // "" = record only
  bool enabled = true;
  bool dry_run = false;
  // `on_limit`: what a refused destructive action of this rule's executions does instead of
  // the limit's (or breaker's) own on_limit (policy/limits.h). nullopt: the limit decides.
  std::optional<policy::OnLimit> on_limit;
  // `require_approval`: the approval gate's request (groups, quorum, timeout_seconds,
  // on_timeout) every destructive action of this rule's executions waits on first, once per
  // execution (engine/action_runner.h). nullopt: none (the playbook's own setting may ask).
  std::optional<json::object> require_approval;
};

struct Playbook {
  std::string name;  // file name without .asl.json / .asl.yaml
  std::string file;
  json::value definition;
  std::string definition_json;
  // riposte.yaml `playbooks: {<name>: {dry_run: true}}`: every execution of this playbook plans
  // and records, changes nothing (kept out of the ASL document, which stays valid ASL).
  bool dry_run = false;
  // riposte.yaml `playbooks.<name>.require_approval` (as Rule::require_approval; a rule's own
  // setting wins).
  std::optional<json::object> require_approval;
};

struct Safety {
  bool dry_run = false;  // plan and record, change nothing
  std::string protected_tag_key = "riposte:protected";
  std::string protected_tag_value = "true";
};

// riposte.yaml `sources.sqs[]`: queues polled for events.
struct SqsSource {
  std::string queue_url;
  std::string region;  // "" → from the URL
  int wait_seconds = 20;
};

// riposte.yaml `aws.accounts.<account id>`: how to act in another account.
struct AccountSettings {
  std::string role_arn;  // assumed (STS AssumeRole, cached until shortly before expiry)
  std::string external_id;
};

// notifications.on_failure: where an uncaught execution failure or an approval timeout goes.
struct OnFailureSettings {
  bool enabled = true;        // on by default
  std::string sns_topic_arn;  // on_failure.sns_topic_arn, else notifications.sns_topic_arn
};

struct Config {
  std::string dir;
  std::string store_url = "sqlite:///var/lib/riposte/riposte.db";
  std::string listen = "127.0.0.1:8080";
  std::string log_level = "info";
  std::string log_format = "json";
  std::string default_region = "us-east-1";
  std::string default_account;
  std::map<std::string, AccountSettings> accounts;  // aws.accounts
  std::string sns_topic_arn;                        // notifications.sns_topic_arn
  OnFailureSettings on_failure;                     // notifications.on_failure
  Safety safety;
  std::vector<SqsSource> sqs_sources;
  // riposte.yaml as JSON, ${VAR}s expanded and checked against settingsSchema (its defaults
  // written in, "true"/"false" left by expansion made booleans): `sinks` is read from here.
  json::object settings;
  std::vector<Rule> rules;
  std::map<std::string, Playbook> playbooks;
  // policies/*.yaml `suppressions:` (policy/suppression.h), in file order; the file of each.
  std::vector<policy::Suppression> suppressions;
  std::map<std::string, std::string> suppression_files;  // name → "policies/x.yaml"
  // policies/*.yaml `limits:`, `breaker:`, `scope:` (policy/limits.h).
  policy::GuardRails guard_rails;
  // riposte.yaml `approvals:` (policy/approval.h): who may decide `riposte:approval` requests.
  policy::ApprovalSettings approvals;
  // riposte.yaml `connections:` (actions/connection.h): how http:invoke Tasks authenticate,
  // secrets from the environment. Never null.
  std::shared_ptr<const actions::Connections> connections =
      std::make_shared<const actions::Connections>();
  // policies/*.yaml `threat_intel:` (policy/threat_config.h): the lists of every file, in file
  // order (names unique across files), and `publish` (at most once).
  policy::ThreatIntelConfig threat_intel;
  // policies/*.yaml `guardduty:` (policy/guardduty_filter.h): the detector suppressions marked
  // `guardduty: archive` become filters on; nullopt when no file sets it.
  std::optional<policy::GuardDutySettings> guardduty;
  // The files of every registered directory (config::Registry::addDirectory), checked, by
  // directory ("policies"), in file name order: what their modules build their settings from.
  std::map<std::string, std::vector<config::Document>> directories;
};

// What the loader needs from the modules above it.
struct Checkers {
  // The sink and source types (riposte.yaml `sinks:`, `sources:`) and the directories other
  // modules register. Null: none (a `sinks:` item is then of an unknown type).
  const config::Registry* registry = nullptr;
  // Whether a Task state's Resource names something riposte can run (the built-in actions).
  // Unset: every resource is accepted.
  std::function<bool(std::string_view resource)> known_resource;
};

// Loads and checks a configuration directory. Every problem found is appended to `problems`,
// in file order and, within a file, by position; the result is an error ("InvalidConfig", the
// first problem) when there is any.
Result<Config> loadConfig(const std::string& dir, const Checkers& checkers,
                          std::vector<Problem>& problems);

// The schema of riposte.yaml, with the sink and source types of `registry`.
config::Schema settingsSchema(const config::Registry& registry);
// The schema of a `serve --credentials` file: riposte.yaml's api.tokens and api.access_keys
// (server/auth.h), kept apart from the configuration directory.
config::Schema apiCredentialsSchema();
// The schema of one rule of rules/*.yaml (a file holds one rule, a list of rules, or
// {rules: [...]}).
config::Schema ruleSchema();
// policies/*.yaml: the sections of a policies file, each read by its parser in src/policy
// (every problem with its path in the file). The loader reads the directory through it.
config::DirectoryParser policiesDirectory();

// The configuration reference (README.md "Configuration reference"): one row per key of
// riposte.yaml (with `registry`'s sink and source types) and of a rule.
std::string referenceMarkdown(const config::Registry& registry);

}  // namespace riposte::engine
