#pragma once
// The configuration directory (ARCHITECTURE.md "Configuration"): riposte.yaml, rules/*.yaml,
// playbooks/*.asl.json|*.asl.yaml. Loaded in stages: read (YAML/JSON with positions) →
// expand ${VAR} → check each item → report every problem with file, line and path.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/result.h"
#include "policy/limits.h"
#include "policy/suppression.h"
#include "policy/threat_config.h"

namespace riposte::engine {

struct Problem {
  std::string file;  // path relative to the config dir ("rules/ec2-high.yaml")
  int line = 0;      // 1-based; 0 when unknown
  int column = 0;
  std::string path;  // where inside the item ("event_pattern.detail.severity", "$.States.X.Next")
  std::string message;
  bool warning = false;

  std::string str() const;
};

struct Rule {
  std::string name;
  std::string description;
  std::string file;
  int line = 0;
  std::string pattern_json;  // the EventBridge pattern, verbatim, as JSON text
  json::value pattern;
  std::string playbook;  // "" = record only
  bool enabled = true;
  bool dry_run = false;
  // `on_limit`: what a refused destructive action of this rule's executions does instead of
  // the limit's (or breaker's) own on_limit (policy/limits.h). nullopt: the limit decides.
  std::optional<policy::OnLimit> on_limit;
};

struct Playbook {
  std::string name;  // file name without .asl.json / .asl.yaml
  std::string file;
  json::value definition;
  std::string definition_json;
  // riposte.yaml `playbooks: {<name>: {dry_run: true}}`: every execution of this playbook plans
  // and records, changes nothing (kept out of the ASL document, which stays valid ASL).
  bool dry_run = false;
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
  Safety safety;
  std::vector<SqsSource> sqs_sources;
  json::object settings;  // riposte.yaml as JSON (after ${VAR} expansion), for playbooks
  std::vector<Rule> rules;
  std::map<std::string, Playbook> playbooks;
  // policies/*.yaml `suppressions:` (policy/suppression.h), in file order; the file of each.
  std::vector<policy::Suppression> suppressions;
  std::map<std::string, std::string> suppression_files;  // name → "policies/x.yaml"
  // policies/*.yaml `limits:`, `breaker:`, `scope:` (policy/limits.h).
  policy::GuardRails guard_rails;
  // policies/*.yaml `threat_intel:` (policy/threat_config.h): the lists of every file, in file
  // order (names unique across files), and `publish` (at most once).
  policy::ThreatIntelConfig threat_intel;
};

// policies/*.yaml: each file is a mapping of policy sections, read by the section parsers of
// src/policy (each over the JSON value, returning its problems with dotted paths, located here
// in the file). Unknown sections are errors. Appends to `cfg` and `problems`.
void loadPolicies(const std::string& dir, Config& cfg, std::vector<Problem>& problems);

// Expands ${VAR} and ${VAR:-default} from the environment. An unset ${VAR} without a default
// expands to "" and is reported in `unset` (when given).
std::string expandEnv(const std::string& s, std::vector<std::string>* unset = nullptr);

// Loads and checks a configuration directory. Every problem found is appended to `problems`
// (errors and warnings); the result is an error if any problem is an error. Pattern and
// playbook checks are done by the callers given here (so this file stays free of them):
//  - check_pattern(json) returns "" or the pattern error;
//  - check_playbook(definition) returns the playbook's problems (path + message).
struct Checkers {
  std::function<std::string(const std::string& pattern_json)> pattern;
  std::function<std::vector<std::pair<std::string, std::string>>(const json::value& definition)>
      playbook;
};
Result<Config> loadConfig(const std::string& dir, const Checkers& checkers,
                          std::vector<Problem>& problems);

// YAML text → JSON (typed scalars: quoted → string; plain → bool/null/number when they look so).
Result<json::value> yamlToJson(const std::string& text, const std::string& file);

}  // namespace riposte::engine
