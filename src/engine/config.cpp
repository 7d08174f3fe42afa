#include "engine/config.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "asl/asl.h"
#include "config/expand.h"
#include "config/reference.h"
#include "pattern/pattern.h"
#include "policy/approval_link.h"
#include "policy/schema.h"
#include "store/store_url.h"

namespace riposte::engine {

namespace fs = std::filesystem;
using config::Field;
using config::joinPath;
using config::Schema;

namespace {

using Problems = std::vector<config::Problem>;

bool isDigits(std::string_view s, std::size_t n) {
  return s.size() == n &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// ------------------------------------------------------------------- value parsers

Problems storeUrlProblems(const json::value& v) {
  if (!v.is_string()) return {};
  auto r = store::parseStoreUrl(std::string(v.get_string()));
  if (!r) return {{"", r.error().message}};
  return {};
}

// "us-east-1", "eu-central-2", "us-gov-west-1", "cn-north-1": letters, '-', ending in digits.
Problems regionProblems(const json::value& v) {
  if (!v.is_string()) return {};
  std::string_view s = v.get_string();
  auto dash = s.rfind('-');
  bool ok = dash != std::string_view::npos && dash > 0 && dash + 1 < s.size() &&
            std::all_of(s.begin(), s.begin() + static_cast<long>(dash),
                        [](char c) { return (c >= 'a' && c <= 'z') || c == '-'; }) &&
            s.find('-') < dash &&
            std::all_of(s.begin() + static_cast<long>(dash) + 1, s.end(),
                        [](char c) { return c >= '0' && c <= '9'; });
  if (!ok) return {{"", "'" + std::string(s) + "' is not an AWS region (such as us-east-1)"}};
  return {};
}

Problems accountIdProblems(const json::value& v) {
  if (v.is_string() && isDigits(v.get_string(), 12)) return {};
  if (v.is_string())
    return {{"", "'" + std::string(v.get_string()) + "' is not an account id (12 digits)"}};
  return {{"", "must be an account id, 12 digits as a string (quote it: \"123456789012\")"}};
}

Problems roleArnProblems(const json::value& v) {
  if (!v.is_string()) return {};
  std::string_view s = v.get_string();
  if (s.starts_with("arn:") && s.find(":iam::") != std::string_view::npos &&
      s.find(":role/") != std::string_view::npos)
    return {};
  return {{"", "'" + std::string(s) + "' is not a role ARN (arn:aws:iam::<account>:role/<name>)"}};
}

Problems topicArnProblems(const json::value& v) {
  if (!v.is_string()) return {};
  std::string_view s = v.get_string();
  if (s.starts_with("arn:") && s.find(":sns:") != std::string_view::npos) return {};
  return {{"", "'" + std::string(s) +
                   "' is not an SNS topic ARN (arn:aws:sns:<region>:<account>:<topic>)"}};
}

Problems protectedTagProblems(const json::value& v) {
  if (!v.is_string()) return {};
  std::string_view s = v.get_string();
  if (s.empty() || s[0] == '=')
    return {{"", "must be a tag key, optionally with its value (key=value)"}};
  return {};
}

// A connection's name: what an EventBridge connection name may be ([.\-_A-Za-z0-9]{1,64}).
Problems connectionNameProblems(const json::value& v) {
  if (!v.is_string()) return {};
  std::string_view s = v.get_string();
  bool ok = !s.empty() && s.size() <= 64;
  for (char c : s)
    ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_');
  if (!ok) return {{"", "a connection name is 1 to 64 letters, digits, '.', '-' or '_'"}};
  return {};
}

// An HTTP header name (RFC 9110 token characters).
Problems headerNameProblems(const json::value& v) {
  if (!v.is_string()) return {};
  std::string_view s = v.get_string();
  bool ok = !s.empty();
  for (char c : s)
    ok = ok && (std::isalnum(static_cast<unsigned char>(c)) ||
                std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos);
  if (!ok) return {{"", "must be an HTTP header name (letters, digits, '-', …)"}};
  return {};
}

Problems nonEmpty(const json::value& v) {
  if (v.is_string() && v.get_string().empty()) return {{"", "must not be empty"}};
  return {};
}

// The names of a list of mappings (sinks) are unique.
Problems uniqueNames(const json::value& v) {
  Problems out;
  if (!v.is_array()) return out;
  std::map<std::string, std::size_t> seen;
  const auto& a = v.get_array();
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto* o = a[i].if_object();
    const json::value* n = o != nullptr ? o->if_contains("name") : nullptr;
    if (n == nullptr || !n->is_string()) continue;
    std::string name(n->get_string());
    if (auto it = seen.find(name); it != seen.end()) {
      out.push_back({"[" + std::to_string(i) + "].name",
                     "'" + name + "' is also the name of item " + std::to_string(it->second) +
                         " (names must be unique)"});
    } else {
      seen.emplace(name, i);
    }
  }
  return out;
}

// An event pattern: a mapping in the rule, or its JSON text in a string; every problem with its
// path inside the pattern (pattern::checkPattern).
Problems patternProblems(const json::value& v) {
  Problems out;
  std::string text;
  if (v.is_string()) {
    text = std::string(v.get_string());
  } else if (v.is_object()) {
    text = json::serialize(v);
  } else {
    return {{"", "must be an EventBridge event pattern (a mapping, or its JSON text)"}};
  }
  for (auto& p : pattern::checkPattern(text)) out.push_back({p.path, std::move(p.message)});
  return out;
}

// ------------------------------------------------------------------- schemas

const std::vector<std::string> kLogLevels = {"trace", "debug",    "info", "warn",
                                             "error", "critical", "off"};

Schema awsSchema() {
  Schema account = Schema::object(
      {
          Field("role_arn", Schema::string("the role riposte assumes to act in this account")
                                .withParser(roleArnProblems))
              .needed(),
          Field("external_id", Schema::string("the external id the role's trust policy asks for")),
      },
      "how to act in another account");
  return Schema::object(
      {
          Field("region",
                Schema::string("the region of events that name none").withParser(regionProblems))
              .byDefault("us-east-1"),
          Field("account", Schema::any("the account of events that name none (12 digits, quoted)",
                                       accountIdProblems)
                               .named("account id")),
          Field("accounts", Schema::map(std::move(account),
                                        "accounts riposte acts in through a role, by account id",
                                        accountIdProblems)
                                .keyed("account id")),
      },
      "AWS defaults; credentials come from the standard AWS chain");
}

// `require_approval` of a rule or a playbook: every destructive action of its executions waits
// for a person first (the approval gate; engine/action_runner.h).
Schema requireApprovalSchema() {
  return Schema::object(
      {
          Field("groups", Schema::list(Schema::string("an approvals.groups name"),
                                       "who may decide: approver groups of riposte.yaml"))
              .needed(),
          Field("quorum", Schema::integer(1, 1000, "approvals needed (N of the groups' M)"))
              .byDefault(1),
          Field("timeout_seconds",
                Schema::integer(1, 31'536'000, "the request's deadline after it opens"))
              .defaultText("approvals.default_timeout_seconds"),
          Field("on_timeout",
                Schema::oneOf({"deny", "approve"}, "what the deadline decides when nobody did"))
              .byDefault("deny"),
      },
      "a person approves before the first destructive action of each execution acts; the "
      "approval covers the execution, a deny stops it");
}

Schema playbookSettingsSchema() {
  Schema settings = Schema::object(
      {Field("dry_run", Schema::boolean("every execution of this playbook plans and records, "
                                        "changes nothing"))
           .byDefault(false),
       Field("require_approval", requireApprovalSchema())},
      "settings of one playbook (kept out of the ASL document)");
  return Schema::map(std::move(settings), "per-playbook settings, by playbook name")
      .keyed("playbook");
}

// riposte.yaml `api.tokens` / `api.access_keys` (server/auth.h), and a `serve --credentials`
// file's.
Problems subjectProblems(const json::value& v) {
  if (!v.is_string()) return {};
  std::string_view s = v.get_string();
  bool ok = !s.empty() && s.size() <= 128;
  for (unsigned char c : s)
    ok = ok && (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '@');
  if (!ok) return {{"", "must be 1-128 letters, digits and - _ . @"}};
  return {};
}

Problems sha256Problems(const json::value& v) {
  if (!v.is_string()) return {};
  std::string_view s = v.get_string();
  bool ok = s.size() == 64;
  for (unsigned char c : s) ok = ok && std::isxdigit(c);
  if (!ok)
    return {{"",
             "must be the token's SHA-256, 64 hex digits (riposte token create prints it); "
             "never the token itself"}};
  return {};
}

// A setting that names an environment variable holding a secret (`what`): the name must be
// one, and the variable set. The value, or the problems (`value` then unset).
Problems secretEnvProblems(const json::value& v, const std::string& what,
                           std::optional<std::string>& value, const std::string& advice = "") {
  value.reset();
  if (!v.is_string()) return {};
  const std::string name(v.get_string());
  bool ok = !name.empty() && !std::isdigit(static_cast<unsigned char>(name[0]));
  for (char c : name) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
  if (!ok) return {{"", "must name an environment variable ([A-Za-z_][A-Za-z0-9_]*)"}};
  value = config::processEnvironment()(name);
  if (!value || value->empty()) {
    value.reset();
    return {{"", "the environment variable " + name + " (" + what + ") is not set" + advice}};
  }
  return {};
}

Problems envNameProblems(const json::value& v) {
  std::optional<std::string> value;
  return secretEnvProblems(v, "the access key's secret", value);
}

Problems nonEmptyList(const json::value& v) {
  if (v.is_array() && v.get_array().empty()) return {{"", "must name at least one"}};
  return {};
}

Schema scopesSchema() {
  return Schema::list(Schema::oneOf({"ingest", "read", "respond", "admin"}, "a scope"),
                      "what it may do: ingest (events, PutEvents), read (incidents, policy, "
                      "metrics), respond (release, approvals, callbacks), admin (reload, "
                      "suppressions, breaker)")
      .withParser(nonEmptyList);
}

std::vector<Field> credentialFields() {
  return {
      Field("tokens",
            Schema::list(
                Schema::object(
                    {Field("subject", Schema::string("who holds it: the audit log's actor and "
                                                     "the approver's name")
                                          .withParser(subjectProblems))
                         .needed(),
                     Field("sha256", Schema::string("the token's SHA-256 in hex (riposte token "
                                                    "create prints it), never the token")
                                         .withParser(sha256Problems))
                         .needed(),
                     Field("scopes", scopesSchema()).needed()},
                    "an API token (Authorization: Bearer)"),
                "API tokens")),
      Field("access_keys",
            Schema::list(
                Schema::object(
                    {Field("access_key_id",
                           Schema::string("the access key id the AWS CLI, an SDK or EventBridge "
                                          "signs with")
                               .withParser(nonEmpty))
                         .needed(),
                     Field("secret_env", Schema::string("the environment variable that holds "
                                                        "its secret access key")
                                             .withParser(envNameProblems))
                         .needed(),
                     Field("subject", Schema::string("who holds it").withParser(subjectProblems))
                         .needed(),
                     Field("scopes", scopesSchema()).needed()},
                    "an AWS access key for SigV4-signed requests to the AWS-compatible "
                    "endpoint"),
                "SigV4 access keys (PutEvents, Step Functions callbacks)")),
  };
}

Schema apiSchema() {
  std::vector<Field> fields = credentialFields();
  fields.push_back(Field("auth", Schema::oneOf({"tokens", "none"},
                                               "tokens: every endpoint but health needs a "
                                               "credential; none: nobody needs one (a loopback "
                                               "listen address only)"))
                       .byDefault("tokens"));
  fields.push_back(
      Field("hosts", Schema::list(Schema::string("a host name, or host:port").withParser(nonEmpty),
                                  "Host header values accepted beside the listen "
                                  "address and localhost (DNS rebinding)")));
  fields.push_back(
      Field("regions", Schema::list(Schema::string("an AWS region").withParser(nonEmpty),
                                    "regions a SigV4 credential scope may name "
                                    "(default: aws.region)")));
  fields.push_back(Field("max_connections",
                         Schema::integer(1, 100000,
                                         "connections open at once; one more is answered 503 "
                                         "and closed (idle keep-alive ones close after 30 s)"))
                       .byDefault(512));
  return Schema::object(std::move(fields), "who may call the API");
}

// riposte.yaml `approvals.links`: signed one-time links to decide a request
// (policy/approval_link.h). The key comes from the environment variable secret_env names.
Problems linkSecretEnvProblems(const json::value& v) {
  std::optional<std::string> value;
  Problems p = secretEnvProblems(
      v, "the links' HMAC key", value,
      "; links need a key of at least " + std::to_string(policy::kMinLinkKeyBytes) + " bytes");
  if (!p.empty() || !value) return p;
  const std::string name(v.get_string());
  if (value->size() < policy::kMinLinkKeyBytes)
    return {{"", "the environment variable " + name + " holds " + std::to_string(value->size()) +
                     " bytes; the links' HMAC key must be at least " +
                     std::to_string(policy::kMinLinkKeyBytes) + " bytes"}};
  return {};
}

// https://, or http:// to this machine only (a link is a credential: not in clear on a network);
// no query or fragment (the link's path and token follow).
Problems linkBaseUrlProblems(const json::value& v) {
  if (!v.is_string()) return {};
  std::string_view s = v.get_string();
  if (s.find_first_of("?#") != std::string_view::npos)
    return {{"", "must have no query or fragment: the link's path and token follow it"}};
  if (s.starts_with("http://")) {
    std::string_view host = s.substr(
        7, s.find('/', 7) == std::string_view::npos ? std::string_view::npos : s.find('/', 7) - 7);
    if (host.starts_with("[::1]")) return {};
    host =
        host.substr(0, host.rfind(':') == std::string_view::npos ? host.size() : host.rfind(':'));
    if (host == "localhost" || host == "127.0.0.1") return {};
    return {{"",
             "must be https:// (http:// only to localhost, 127.0.0.1 or [::1]): a link is "
             "a credential"}};
  }
  return {};
}

Schema approvalLinksSchema() {
  return Schema::object(
      {
          Field("secret_env",
                Schema::string("the environment variable holding the HMAC-SHA256 key (at "
                               "least 32 bytes; never in the file)")
                    .withParser(linkSecretEnvProblems))
              .needed(),
          Field("base_url", Schema::url({"https", "http"},
                                        "what links start with (the address "
                                        "approvers reach riposte at)")
                                .withParser(linkBaseUrlProblems))
              .needed(),
          Field("ttl_seconds", Schema::integer(1, 31'536'000, "how long a link lasts"))
              .defaultText("the approval's deadline"),
      },
      "signed one-time links to approve or deny, in approval notifications (webhook sinks)");
}

// riposte.yaml `connections.<name>`: how http:invoke authenticates (actions/connection.h), as
// EventBridge connections do. Secrets only from the environment (Schema::secret).
Schema connectionsSchema() {
  auto tagField = [] {
    return Field("auth", Schema::oneOf({"api_key", "basic", "oauth_client_credentials"},
                                       "how requests are authenticated"))
        .needed();
  };
  auto apiKey = std::make_shared<const Schema>(Schema::object(
      {tagField(),
       Field("header", Schema::string("the header that carries the key (\"Authorization\", "
                                      "\"X-Api-Key\")")
                           .withParser(headerNameProblems))
           .needed(),
       Field("value", Schema::secret("the header's value")).needed()},
      "an API key header"));
  auto basic = std::make_shared<const Schema>(Schema::object(
      {tagField(), Field("username", Schema::string("the user name").withParser(nonEmpty)).needed(),
       Field("password", Schema::secret("the password (or API token)")).needed()},
      "HTTP basic authentication"));
  auto oauth = std::make_shared<const Schema>(Schema::object(
      {tagField(),
       Field("token_url", Schema::url({"https", "http"}, "the OAuth 2.0 token endpoint")).needed(),
       Field("client_id", Schema::string("the client id").withParser(nonEmpty)).needed(),
       Field("client_secret", Schema::secret("the client secret")).needed(),
       Field("scope", Schema::string("the scope asked for (space-separated)"))},
      "OAuth 2.0 client credentials (RFC 6749 4.4): a bearer token fetched and cached"));
  Schema one = Schema::tagged(
      "auth", {{"api_key", apiKey}, {"basic", basic}, {"oauth_client_credentials", oauth}},
      "one connection");
  one.type_name = "connection";
  return Schema::map(std::move(one),
                     "connections http:invoke Tasks name in Authentication.ConnectionArn "
                     "(arn:aws:events:REGION:ACCOUNT:connection/NAME or riposte:connection/NAME)",
                     connectionNameProblems);
}

}  // namespace

config::Schema settingsSchema(const config::Registry& registry) {
  return Schema::object(
      {
          Field("store", Schema::string("where every event, incident, execution step and action is "
                                        "recorded: sqlite:///abs/path.db, sqlite://relative.db, "
                                        "sqlite::memory: or postgresql://user:pass@host:5432/db")
                             .withParser(storeUrlProblems)
                             .named("store URL (sqlite://, postgresql://)"))
              .byDefault("sqlite:///var/lib/riposte/riposte.db"),
          Field("listen", Schema::listen(0, "the HTTP API and the PutEvents endpoint"))
              .byDefault("127.0.0.1:8080"),
          Field("api", apiSchema()).byDefault(json::object()),
          Field("log", Schema::object(
                           {
                               Field("level", Schema::oneOf(kLogLevels, "the lowest level logged"))
                                   .byDefault("info"),
                               Field("format", Schema::oneOf({"json", "text"},
                                                             "one JSON object per line, or text"))
                                   .byDefault("json"),
                           },
                           "diagnostic logs (stderr)"))
              .byDefault(json::object()),
          Field("aws", awsSchema()).byDefault(json::object()),
          Field(
              "notifications",
              Schema::object(
                  {Field("sns_topic_arn", Schema::string("the SNS topic that receives every alert "
                                                         "($.riposte.notify.snsTopicArn)")
                                              .withParser(topicArnProblems))
                       .optionalWhenEmpty(),
                   Field("on_failure",
                         Schema::object(
                             {
                                 Field("enabled",
                                       Schema::boolean("true: an execution that fails without a "
                                                       "Catch, or an approval that times out, "
                                                       "publishes one failure notification"))
                                     .byDefault(true),
                                 Field("sns_topic_arn",
                                       Schema::string("the SNS topic failures go to (default: "
                                                      "notifications.sns_topic_arn)")
                                           .withParser(topicArnProblems))
                                     .optionalWhenEmpty(),
                             },
                             "where failures go (issue: failure is never silent)"))
                       .byDefault(json::object())},
                  "where alerts go")),
          Field("safety",
                Schema::object(
                    {
                        Field("dry_run", Schema::boolean("true: plan and record every action, "
                                                         "change nothing"))
                            .byDefault(false),
                        Field("protected_tag",
                              Schema::string("resources with this tag (key=value, or key) are "
                                             "never modified")
                                  .withParser(protectedTagProblems))
                            .byDefault("riposte:protected=true"),
                    },
                    "safety switches"))
              .byDefault(json::object()),
          Field("sources", registry.listsByType("source", "where events are read from, by type")),
          Field("sinks", Schema::list(registry.tagged("sink", "type", "one SIEM sink"),
                                      "SIEM sinks fed from the audit log")
                             .withParser(uniqueNames)),
          Field("playbooks", playbookSettingsSchema()),
          Field(
              "approvals",
              Schema::object(
                  {
                      Field("groups", Schema::map(Schema::list(Schema::string("an approver's name")
                                                                   .withParser(nonEmpty),
                                                               "the approvers of the group"),
                                                  "approver groups, by name")
                                          .keyed("group")),
                      Field("default_timeout_seconds",
                            Schema::integer(1, 31'536'000,
                                            "the deadline of a request that names none"))
                          .byDefault(3600),
                      Field("links", approvalLinksSchema()),
                  },
                  "who may decide riposte:approval requests"))
              .byDefault(json::object()),
          Field("connections", connectionsSchema()),
      },
      "riposte.yaml");
}

config::Schema apiCredentialsSchema() {
  return Schema::object(credentialFields(), "a credentials file (serve --credentials)");
}

config::Schema ruleSchema() {
  return Schema::object(
      {
          Field("name", Schema::string("unique among the rules").withParser(nonEmpty)).needed(),
          Field("description", Schema::string("what the rule is for, in words (the runbook)")),
          Field("event_pattern",
                Schema::any("an EventBridge event pattern (a mapping, or its JSON text)",
                            patternProblems)
                    .named("event pattern"))
              .needed(),
          Field("playbook", Schema::string("the playbook run for each incident (file name "
                                           "without .asl.json); none: record only")),
          Field("enabled", Schema::boolean("false: the rule matches nothing")).byDefault(true),
          Field("dry_run",
                Schema::boolean("executions of this rule plan and record, change nothing"))
              .byDefault(false),
          Field("on_limit", Schema::oneOf({"approve", "dry_run", "fail"},
                                          "what a refused destructive action does instead of "
                                          "the limit's own on_limit")),
          Field("require_approval", requireApprovalSchema()),
      },
      "one rule");
}

namespace {

// The per-file check of policies/*.yaml: sections known, each section's parser's problems.
Problems policyFileProblems(const json::value& v) {
  Problems out;
  if (v.is_null()) return out;
  if (!v.is_object()) {
    std::string known;
    for (const auto& k : policy::policySectionNames()) known += (known.empty() ? "" : ", ") + k;
    return {{"", "must be a mapping of policy sections (known: " + known + ")"}};
  }
  auto add = [&](const policy::Problems& ps) {
    for (const auto& p : ps) out.push_back({p.path, p.message});
  };
  for (const auto& [key, value] : v.get_object()) {
    const std::string section(key);
    std::vector<policy::Problem> found;
    if (section == "suppressions") {
      add(policy::parseSuppressions(value, section, policy::Origin::kConfig, 0).problems);
    } else if (section == "limits") {
      (void)policy::parseLimits(value, found);
    } else if (section == "breaker") {
      (void)policy::parseBreaker(value, found);
    } else if (section == "scope") {
      (void)policy::parseScope(value, found);
    } else if (section == "threat_intel") {
      (void)policy::parseThreatIntel(value, found);
    } else if (section == "guardduty") {
      (void)policy::parseGuardDutySettings(value, found);
    } else {
      out.push_back(
          {section, config::unknownMessage("policy section", section, policy::policySectionNames()),
           true});
    }
    add(found);
  }
  return out;
}

}  // namespace

config::DirectoryParser policiesDirectory() {
  return config::DirectoryParser{"policies",
                                 {".yaml", ".yml", ".json"},
                                 "suppressions, blast-radius limits, the breaker, the scope and "
                                 "threat-intelligence lists (policy/suppression.h, "
                                 "policy/limits.h, policy/threat_config.h)",
                                 policyFileProblems};
}

namespace {

// ------------------------------------------------------------------- reading

std::optional<std::string> readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool endsWith(const std::string& s, const std::string& suffix) {
  return s.size() > suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::vector<fs::path> listFiles(const fs::path& dir, const std::vector<std::string>& suffixes) {
  std::vector<fs::path> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (!e.is_regular_file()) continue;
    const std::string name = e.path().filename().string();
    for (const auto& s : suffixes) {
      if (endsWith(name, s)) {
        out.push_back(e.path());
        break;
      }
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Reads one file (YAML, or JSON for *.json) with positions and ${VAR}s expanded.
std::optional<config::Document> readDocument(const fs::path& path, const std::string& rel,
                                             std::vector<Problem>& problems) {
  auto text = readFile(path);
  if (!text) {
    problems.push_back(Problem{rel, {}, "", "cannot read the file"});
    return std::nullopt;
  }
  return endsWith(rel, ".json") ? config::readJson(*text, rel, problems)
                                : config::readYaml(*text, rel, problems);
}

// The document's unset ${VAR}s as problems. A value that lost a variable is reported for that
// alone: the schema's complaint about what was left of it (problems from `first` on, at the
// same path) is dropped.
void unsetProblems(const config::Document& doc, std::vector<Problem>& problems, std::size_t first) {
  std::vector<Problem> unset;
  doc.unsetProblems(unset);
  if (unset.empty()) return;
  std::set<std::string> paths;
  for (const auto& u : unset) paths.insert(u.path);
  problems.erase(std::remove_if(problems.begin() + static_cast<long>(first), problems.end(),
                                [&](const Problem& p) {
                                  return p.file == doc.file && paths.count(p.path) > 0;
                                }),
                 problems.end());
  problems.insert(problems.end(), unset.begin(), unset.end());
}

// Checks `value`/`node` (at `path` of `doc`) against `schema`, locating the problems.
void checkAt(const Schema& schema, const config::Document& doc, json::value& value,
             config::Node& node, const std::string& path, std::vector<Problem>& problems) {
  Problems found;
  config::check(schema, value, node, path, found);
  for (const auto& p : found) problems.push_back(doc.locate(p));
}

std::string str(const json::object& o, std::string_view k, const std::string& def = "") {
  const json::value* v = o.if_contains(k);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : def;
}

bool boolean(const json::object& o, std::string_view k, bool def) {
  const json::value* v = o.if_contains(k);
  return v != nullptr && v->is_bool() ? v->get_bool() : def;
}

const json::object* obj(const json::object& o, std::string_view k) {
  const json::value* v = o.if_contains(k);
  return v != nullptr ? v->if_object() : nullptr;
}

// The typed settings of riposte.yaml, from its checked value (defaults written in).
void readSettings(const json::object& o, Config& cfg) {
  cfg.settings = o;
  cfg.store_url = str(o, "store", cfg.store_url);
  cfg.listen = str(o, "listen", cfg.listen);
  if (const auto* log = obj(o, "log")) {
    cfg.log_level = str(*log, "level", cfg.log_level);
    cfg.log_format = str(*log, "format", cfg.log_format);
  }
  if (const auto* aws = obj(o, "aws")) {
    cfg.default_region = str(*aws, "region", cfg.default_region);
    cfg.default_account = str(*aws, "account", cfg.default_account);
    if (const auto* accounts = obj(*aws, "accounts")) {
      for (const auto& [id, v] : *accounts) {
        if (const auto* a = v.if_object())
          cfg.accounts[std::string(id)] =
              AccountSettings{str(*a, "role_arn"), str(*a, "external_id")};
      }
    }
  }
  if (const auto* n = obj(o, "notifications")) {
    cfg.sns_topic_arn = str(*n, "sns_topic_arn");
    if (const auto* f = obj(*n, "on_failure")) {
      cfg.on_failure.enabled = boolean(*f, "enabled", true);
      cfg.on_failure.sns_topic_arn = str(*f, "sns_topic_arn");
    }
  }
  if (cfg.on_failure.sns_topic_arn.empty()) cfg.on_failure.sns_topic_arn = cfg.sns_topic_arn;
  if (const auto* a = obj(o, "approvals")) {
    if (const auto* g = obj(*a, "groups")) {
      for (const auto& [name, members] : *g) {
        auto& list = cfg.approvals.groups[std::string(name)];
        if (const auto* arr = members.if_array())
          for (const auto& m : *arr)
            if (m.is_string()) list.emplace_back(m.get_string());
      }
    }
    if (const json::value* t = a->if_contains("default_timeout_seconds"); t && t->is_int64())
      cfg.approvals.default_timeout_ms = t->get_int64() * 1000;
    if (const auto* l = obj(*a, "links")) {
      auto& links = cfg.approvals.links;
      links.secret_env = str(*l, "secret_env");
      links.key = config::processEnvironment()(links.secret_env).value_or("");
      links.base_url = str(*l, "base_url");
      if (const json::value* t = l->if_contains("ttl_seconds"); t && t->is_int64())
        links.ttl_ms = t->get_int64() * 1000;
    }
  }
  if (const auto* cs = obj(o, "connections")) {
    auto all = std::make_shared<actions::Connections>();
    for (const auto& [name, v] : *cs) {
      const auto* c = v.if_object();
      if (c == nullptr) continue;
      actions::Connection conn;
      conn.name = std::string(name);
      const std::string auth = str(*c, "auth");
      conn.auth = auth == "basic" ? actions::Connection::Auth::kBasic
                  : auth == "oauth_client_credentials"
                      ? actions::Connection::Auth::kOAuthClientCredentials
                      : actions::Connection::Auth::kApiKey;
      conn.header = str(*c, "header");
      conn.value = str(*c, "value");
      conn.username = str(*c, "username");
      conn.password = str(*c, "password");
      conn.token_url = str(*c, "token_url");
      conn.client_id = str(*c, "client_id");
      conn.client_secret = str(*c, "client_secret");
      conn.scope = str(*c, "scope");
      all->add(std::move(conn));
    }
    cfg.connections = std::move(all);
  }
  if (const auto* s = obj(o, "safety")) {
    cfg.safety.dry_run = boolean(*s, "dry_run", false);
    const std::string tag = str(*s, "protected_tag", "riposte:protected=true");
    const auto eq = tag.find('=');
    cfg.safety.protected_tag_key = tag.substr(0, eq);
    cfg.safety.protected_tag_value = eq == std::string::npos ? "" : tag.substr(eq + 1);
  }
  if (const auto* sources = obj(o, "sources")) {
    if (const json::value* sqs = sources->if_contains("sqs"); sqs != nullptr && sqs->is_array()) {
      for (const auto& e : sqs->get_array()) {
        const auto* q = e.if_object();
        if (q == nullptr) continue;
        SqsSource s;
        s.queue_url = str(*q, "queue_url");
        s.region = str(*q, "region");
        if (const json::value* w = q->if_contains("wait_seconds"); w != nullptr && w->is_int64())
          s.wait_seconds = static_cast<int>(w->get_int64());
        cfg.sqs_sources.push_back(std::move(s));
      }
    }
  }
}

// A require_approval that the approval gate could not open (a group not in approvals.groups, a
// quorum larger than its approvers): why, or nullopt.
std::optional<std::string> requireApprovalProblem(const json::object& ra, const Config& cfg) {
  auto spec = policy::parseApprovalRequest(ra, cfg.approvals, std::nullopt);
  if (spec) return std::nullopt;
  std::string m = spec.error().message;
  if (m.starts_with("riposte:approval: ")) m = m.substr(18);
  return m;
}

// riposte.yaml `playbooks.<name>`: every name is a playbook of the directory.
void applyPlaybookSettings(const config::Document& doc, Config& cfg,
                           std::vector<Problem>& problems) {
  const json::object* settings = obj(cfg.settings, "playbooks");
  if (settings == nullptr) return;
  std::vector<std::string> known;
  for (const auto& [k, _] : cfg.playbooks) known.push_back(k);
  for (const auto& [key, v] : *settings) {
    const std::string name(key);
    auto pb = cfg.playbooks.find(name);
    if (pb == cfg.playbooks.end()) {
      problems.push_back(doc.locate(config::Problem{
          "playbooks." + name, config::unknownMessage("playbook", name, known), true}));
      continue;
    }
    if (const auto* o = v.if_object()) {
      pb->second.dry_run = boolean(*o, "dry_run", false);
      if (const auto* ra = obj(*o, "require_approval")) {
        const std::string at = "playbooks." + name + ".require_approval";
        if (auto bad = requireApprovalProblem(*ra, cfg))
          problems.push_back(doc.locate(config::Problem{at, *bad}));
        else
          pb->second.require_approval = *ra;
      }
    }
  }
}

// The http:invoke Tasks of a playbook (also inside Parallel branches and Map processors): the
// connection named is configured, and the URL's scheme and host are the playbook's own. An
// ApiEndpoint from the input (finding data) could send the request, and the connection's
// credentials, anywhere: it must be a literal URL, or States.Format('https://host/…{}…', …)
// whose literal text fixes the scheme, the host and the start of the path.
void httpTaskProblems(const json::value& states_owner, const std::string& path, const Config& cfg,
                      Problems& out) {
  const json::object* owner = states_owner.if_object();
  const json::object* states = owner ? obj(*owner, "States") : nullptr;
  if (states == nullptr) return;
  for (const auto& [key, sv] : *states) {
    const json::object* st = sv.if_object();
    if (st == nullptr) continue;
    const std::string at = joinPath(joinPath(path, "States"), std::string(key));
    if (const json::value* b = st->if_contains("Branches"); b && b->is_array()) {
      for (std::size_t i = 0; i < b->get_array().size(); ++i)
        httpTaskProblems(b->get_array()[i], config::indexPath(joinPath(at, "Branches"), i), cfg,
                         out);
    }
    for (const char* inner : {"ItemProcessor", "Iterator"}) {
      if (const json::value* p = st->if_contains(inner))
        httpTaskProblems(*p, joinPath(at, inner), cfg, out);
    }
    const std::string resource = str(*st, "Resource");
    if (!resource.starts_with("arn:aws:states:::http:invoke") &&
        !resource.starts_with("riposte:http.invoke"))
      continue;
    const char* args_key = st->contains("Arguments") ? "Arguments" : "Parameters";
    const json::object* params = obj(*st, args_key);
    const std::string ppath = joinPath(at, args_key);
    if (params == nullptr) {
      out.push_back({at, "an http:invoke Task needs " + std::string(args_key) +
                             " with ApiEndpoint, Method and Authentication.ConnectionArn"});
      continue;
    }
    // The connection: written in the playbook. One the input chose could send a connection's
    // credentials to the host of a Task written for another.
    const std::string apath = joinPath(joinPath(ppath, "Authentication"), "ConnectionArn");
    const json::object* auth = obj(*params, "Authentication");
    const json::value* a = auth ? auth->if_contains("ConnectionArn") : nullptr;
    if (params->contains("Authentication.$") || (auth && auth->contains("ConnectionArn.$")) ||
        (a && a->is_string() && a->get_string().starts_with("{%"))) {
      out.push_back({apath,
                     "must be written in the playbook, not taken from the input: a connection "
                     "the input chose could send its credentials to another Task's host"});
    } else if (a == nullptr || !a->is_string()) {
      out.push_back({apath,
                     "is required: a connection of riposte.yaml connections: "
                     "(riposte:connection/NAME or arn:aws:events:REGION:ACCOUNT:connection/NAME)"});
    } else if (auto name = actions::connectionName(std::string(a->get_string())); !name) {
      out.push_back({apath,
                     "must be arn:aws:events:REGION:ACCOUNT:connection/NAME or "
                     "riposte:connection/NAME"});
    } else if (cfg.connections->find(*name) == nullptr) {
      std::vector<std::string> known;
      for (const auto& [k, _] : cfg.connections->all()) known.push_back(k);
      out.push_back({apath, config::unknownMessage("connection", *name, known) +
                                " (riposte.yaml connections:)"});
    }
    // The URL.
    auto fixedOrigin = [](std::string_view url) {
      std::size_t scheme = url.starts_with("https://") ? 8 : url.starts_with("http://") ? 7 : 0;
      if (scheme == 0) return false;
      const std::size_t slash = url.find('/', scheme);
      const std::size_t brace = url.find_first_of("{?#@", scheme);
      return slash != std::string_view::npos && slash > scheme &&
             (brace == std::string_view::npos || brace > slash);
    };
    if (const json::value* e = params->if_contains("ApiEndpoint"); e && e->is_string()) {
      std::string_view url = e->get_string();
      if (url.starts_with("{%")) {
        out.push_back({joinPath(ppath, "ApiEndpoint"),
                       "must be a literal URL: a JSONata expression could take the host from "
                       "finding data"});
      } else if (!url.starts_with("https://") && !url.starts_with("http://")) {
        out.push_back({joinPath(ppath, "ApiEndpoint"), "must be an http:// or https:// URL"});
      }
    } else if (const json::value* d = params->if_contains("ApiEndpoint.$")) {
      std::string_view x = d->is_string() ? d->get_string() : std::string_view();
      constexpr std::string_view kFormat = "States.Format('";
      bool ok = x.starts_with(kFormat) && fixedOrigin(x.substr(kFormat.size()));
      if (!ok) {
        out.push_back({joinPath(ppath, "ApiEndpoint.$"),
                       "the URL may not come from the input (finding data could choose the host "
                       "the connection's credentials go to): write the URL, or "
                       "States.Format('https://host/path/{}', …) so that only the path and "
                       "query follow the input"});
      }
    } else {
      out.push_back({ppath, "ApiEndpoint is required"});
    }
  }
}

void loadPlaybook(const fs::path& path, const std::string& rel, const Checkers& checkers,
                  Config& cfg, std::vector<Problem>& problems) {
  std::string name = path.filename().string();
  name = name.substr(0, name.find(".asl."));
  auto text = readFile(path);
  if (!text) {
    problems.push_back(Problem{rel, {}, "", "cannot read the file"});
    return;
  }
  auto doc = endsWith(rel, ".json") ? config::readJson(*text, rel, problems)
                                    : config::readYaml(*text, rel, problems);
  if (!doc) return;
  const std::size_t at = problems.size();
  for (const auto& d : asl::validate(doc->value, checkers.known_resource))
    problems.push_back(doc->locate(config::Problem{d.path, d.message}));
  {
    Problems http;
    httpTaskProblems(doc->value, "", cfg, http);
    for (const auto& p : http) problems.push_back(doc->locate(p));
  }
  unsetProblems(*doc, problems, at);
  Playbook pb;
  pb.name = name;
  pb.file = rel;
  pb.definition_json = json::serialize(doc->value);
  pb.definition = std::move(doc->value);
  cfg.playbooks[name] = std::move(pb);
}

// A rule's name → where it is ("rules/a.yaml:3"), for the names of every rule file.
using RuleNames = std::map<std::string, std::string>;

void loadRuleItems(config::Document& document, const std::string& rel, Config& cfg,
                   RuleNames& names, std::vector<Problem>& problems);

void loadRules(const fs::path& path, const std::string& rel, Config& cfg, RuleNames& names,
               std::vector<Problem>& problems) {
  auto doc = readDocument(path, rel, problems);
  if (!doc) return;
  const std::size_t at = problems.size();
  loadRuleItems(*doc, rel, cfg, names, problems);
  unsetProblems(*doc, problems, at);
}

void loadRuleItems(config::Document& document, const std::string& rel, Config& cfg,
                   RuleNames& names, std::vector<Problem>& problems) {
  config::Document* doc = &document;
  // One rule, a list of rules, or {rules: [...]}: each with its path in the file.
  struct Item {
    std::string path;
    json::value* value;
    config::Node* node;
  };
  std::vector<Item> items;
  json::value& v = doc->value;
  if (v.is_null()) return;  // an empty file
  auto listItems = [&](json::value& list, config::Node& node, const std::string& base) {
    auto& a = list.get_array();
    if (node.items.size() < a.size()) node.items.resize(a.size());
    for (std::size_t i = 0; i < a.size(); ++i)
      items.push_back(Item{config::indexPath(base, i), &a[i], &node.items[i]});
  };
  if (v.is_array()) {
    listItems(v, doc->root, "");
  } else if (v.is_object() && v.get_object().contains("rules") &&
             !v.get_object().contains("name")) {
    json::value& list = v.get_object()["rules"];
    config::Node* node = doc->root.member("rules");
    const std::size_t other = v.get_object().size() - 1;
    if (other > 0) {
      for (const auto& kv : v.get_object()) {
        if (kv.key() == "rules") continue;
        problems.push_back(doc->locate(config::Problem{
            std::string(kv.key()), config::unknownMessage("key", std::string(kv.key()), {"rules"}),
            true}));
      }
    }
    if (!list.is_array() || node == nullptr) {
      problems.push_back(doc->locate(config::Problem{"rules", "must be a list of rules"}));
      return;
    }
    listItems(list, *node, "rules");
  } else {
    items.push_back(Item{"", &v, &doc->root});
  }
  const Schema schema = ruleSchema();
  for (const auto& item : items) {
    const std::size_t before = problems.size();
    if (!item.value->is_object()) {
      problems.push_back(doc->locate(config::Problem{item.path, "a rule must be a mapping"}));
      continue;
    }
    checkAt(schema, *doc, *item.value, *item.node, item.path, problems);
    if (problems.size() != before) continue;
    const json::object& o = item.value->get_object();
    Rule r;
    r.file = rel;
    r.name = str(o, "name");
    r.line = doc->locate(config::joinPath(item.path, "name")).line;
    r.description = str(o, "description");
    r.enabled = boolean(o, "enabled", true);
    r.dry_run = boolean(o, "dry_run", false);
    if (const json::value* ol = o.if_contains("on_limit"); ol != nullptr && ol->is_string())
      r.on_limit = policy::onLimitFromName(ol->get_string());
    r.playbook = str(o, "playbook");
    const json::value& pat = o.at("event_pattern");
    if (pat.is_string()) {
      r.pattern_json = std::string(pat.get_string());
      r.pattern = parseJson(r.pattern_json).value_or(json::value(nullptr));
    } else {
      r.pattern = pat;
      r.pattern_json = json::serialize(pat);
    }
    // Across files: the name is unique, the playbook exists.
    bool ok = true;
    if (auto other = names.find(r.name); other != names.end()) {
      problems.push_back(doc->locate(
          config::Problem{config::joinPath(item.path, "name"),
                          "duplicate rule name '" + r.name + "' (also in " + other->second + ")"}));
      ok = false;
    } else {
      names.emplace(r.name, rel + ":" + std::to_string(r.line));
    }
    if (!r.playbook.empty() && !cfg.playbooks.count(r.playbook)) {
      std::vector<std::string> known;
      for (const auto& [k, _] : cfg.playbooks) known.push_back(k);
      problems.push_back(
          doc->locate(config::Problem{config::joinPath(item.path, "playbook"),
                                      config::unknownMessage("playbook", r.playbook, known)}));
      ok = false;
    }
    if (const auto* ra = obj(o, "require_approval")) {
      if (auto bad = requireApprovalProblem(*ra, cfg)) {
        problems.push_back(
            doc->locate(config::Problem{config::joinPath(item.path, "require_approval"), *bad}));
        ok = false;
      } else {
        r.require_approval = *ra;
      }
    }
    if (ok) cfg.rules.push_back(std::move(r));
  }
}

// The typed policies, from the checked policies/*.yaml documents; the problems across files
// (a suppression name used twice, a section set in two files). Problems within one file were
// reported by policiesDirectory's parser.
void buildPolicies(const std::vector<config::Document>& docs, Config& cfg,
                   std::vector<Problem>& problems) {
  std::map<std::string, std::string> once;  // limits, breaker, scope: section → its file
  // Suppressions synced to GuardDuty need the `guardduty` section's detector.
  std::vector<std::pair<const config::Document*, std::string>> archived;
  for (const auto& doc : docs) {
    const json::object* o = doc.value.if_object();
    if (o == nullptr) continue;
    for (const auto& [key, value] : *o) {
      const std::string section(key);
      if (section == "suppressions") {
        auto parsed = policy::parseSuppressions(value, section, policy::Origin::kConfig, 0);
        for (std::size_t k = 0; k < parsed.suppressions.size(); ++k) {
          auto& s = parsed.suppressions[k];
          if (auto other = cfg.suppression_files.find(s.name);
              other != cfg.suppression_files.end()) {
            problems.push_back(doc.locate(config::Problem{
                config::indexPath(section, parsed.indexes[k]) + ".name",
                "duplicate suppression name '" + s.name + "' (also in " + other->second + ")"}));
            continue;
          }
          cfg.suppression_files[s.name] = doc.file;
          if (s.guardduty_archive)
            archived.emplace_back(&doc,
                                  config::indexPath(section, parsed.indexes[k]) + ".guardduty");
          cfg.suppressions.push_back(std::move(s));
        }
        continue;
      }
      if (section == "threat_intel") {
        // Threat-intelligence lists (policy/threat_config.h): the lists of every file add up
        // (names unique across files); `publish` is set once.
        std::vector<policy::Problem> found;  // reported by the per-file check
        auto ti = policy::parseThreatIntel(value, found);
        for (auto& l : ti.lists) {
          auto& have = cfg.threat_intel.lists;
          if (std::any_of(have.begin(), have.end(),
                          [&](const auto& x) { return x.name == l.name; })) {
            // The entry's index in this file, for its position.
            std::string at = "threat_intel.lists";
            const auto& items = value.get_object().at("lists").get_array();
            for (std::size_t i = 0; i < items.size(); ++i) {
              const auto* n =
                  items[i].is_object() ? items[i].get_object().if_contains("name") : nullptr;
              if (n && n->is_string() && n->get_string() == l.name) {
                at = config::indexPath(at, i) + ".name";
                break;
              }
            }
            problems.push_back(doc.locate(
                config::Problem{at, "duplicate list name '" + l.name +
                                        "' (another policies file has a list of that name)"}));
            continue;
          }
          have.push_back(std::move(l));
        }
        if (ti.publish) {
          if (auto it = once.find("threat_intel.publish"); it != once.end()) {
            problems.push_back(doc.locate(
                config::Problem{"threat_intel.publish",
                                "'threat_intel.publish' is already set in " + it->second, true}));
          } else {
            once["threat_intel.publish"] = doc.file;
            cfg.threat_intel.publish = std::move(ti.publish);
          }
        }
        continue;
      }
      if (section != "limits" && section != "breaker" && section != "scope" &&
          section != "guardduty")
        continue;
      // Blast-radius guard rails (policy/limits.h) and the GuardDuty detector
      // (policy/guardduty_filter.h): each section once in the directory.
      if (auto it = once.find(section); it != once.end()) {
        problems.push_back(doc.locate(
            config::Problem{section, "'" + section + "' is already set in " + it->second, true}));
        continue;
      }
      once[section] = doc.file;
      std::vector<policy::Problem> found;  // reported by the per-file check
      if (section == "limits") {
        cfg.guard_rails.limits = policy::parseLimits(value, found);
      } else if (section == "breaker") {
        cfg.guard_rails.breaker = policy::parseBreaker(value, found);
      } else if (section == "guardduty") {
        cfg.guardduty = policy::parseGuardDutySettings(value, found);
      } else {
        cfg.guard_rails.scope = policy::parseScope(value, found);
      }
    }
  }
  if (!once.count("guardduty")) {
    for (const auto& [doc, at] : archived) {
      problems.push_back(doc->locate(config::Problem{
          at,
          "archive needs the GuardDuty detector its filter is made on: a policies file's "
          "`guardduty: {detector_id: …}` section"}));
    }
  }
}

// Every file of a registered directory: read, ${VAR}s checked, the module's parser's problems
// located; the documents kept in cfg.directories.
void loadDirectory(const fs::path& root, const config::DirectoryParser& parser, Config& cfg,
                   std::vector<Problem>& problems) {
  auto& docs = cfg.directories[parser.dir];
  for (const auto& p : listFiles(root / parser.dir, parser.suffixes)) {
    const std::string rel = parser.dir + "/" + p.filename().string();
    auto doc = readDocument(p, rel, problems);
    if (!doc) continue;
    const std::size_t at = problems.size();
    if (parser.parse)
      for (const auto& pr : parser.parse(doc->value)) problems.push_back(doc->locate(pr));
    unsetProblems(*doc, problems, at);
    docs.push_back(std::move(*doc));
  }
}

}  // namespace

Result<Config> loadConfig(const std::string& dir, const Checkers& checkers,
                          std::vector<Problem>& problems) {
  Config cfg;
  cfg.dir = dir;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    problems.push_back(Problem{dir, {}, "", "configuration directory not found"});
    return fail("InvalidConfig", problems.back().str());
  }
  const fs::path root(dir);
  const std::size_t first = problems.size();
  static const config::Registry kNone;
  const config::Registry& registry = checkers.registry ? *checkers.registry : kNone;

  // riposte.yaml (absent: every default)
  std::optional<config::Document> settings_doc;
  if (fs::exists(root / "riposte.yaml", ec)) {
    settings_doc = readDocument(root / "riposte.yaml", "riposte.yaml", problems);
    if (settings_doc) {
      const std::size_t at = problems.size();
      if (settings_doc->value.is_null()) settings_doc->value = json::object();
      if (!settings_doc->value.is_object()) {
        problems.push_back(settings_doc->locate(config::Problem{"", "must be a mapping"}));
      } else {
        checkAt(settingsSchema(registry), *settings_doc, settings_doc->value, settings_doc->root,
                "", problems);
        unsetProblems(*settings_doc, problems, at);
        readSettings(settings_doc->value.get_object(), cfg);
      }
    }
  }
  if (cfg.settings.empty()) {
    // The defaults, as a file with no key would have them.
    json::value defaults = json::object();
    config::Node node;
    Problems none;
    config::check(settingsSchema(registry), defaults, node, "", none);
    readSettings(defaults.get_object(), cfg);
  }

  for (const auto& p : listFiles(root / "playbooks", {".asl.json", ".asl.yaml", ".asl.yml"}))
    loadPlaybook(p, "playbooks/" + p.filename().string(), checkers, cfg, problems);
  if (settings_doc && settings_doc->value.is_object())
    applyPlaybookSettings(*settings_doc, cfg, problems);

  RuleNames rule_names;
  for (const auto& p : listFiles(root / "rules", {".yaml", ".yml", ".json"}))
    loadRules(p, "rules/" + p.filename().string(), cfg, rule_names, problems);

  loadDirectory(root, policiesDirectory(), cfg, problems);
  buildPolicies(cfg.directories["policies"], cfg, problems);
  for (const auto& d : registry.directories()) {
    if (d.dir == "policies") continue;
    loadDirectory(root, d, cfg, problems);
  }

  // In file order and, within a file, by position.
  std::stable_sort(problems.begin() + static_cast<long>(first), problems.end(),
                   [](const Problem& a, const Problem& b) {
                     if (a.file != b.file) return a.file < b.file;
                     if (a.at.line != b.at.line) return a.at.line < b.at.line;
                     return a.at.column < b.at.column;
                   });
  if (problems.size() > first) return fail("InvalidConfig", problems[first].str());
  return cfg;
}

std::string referenceMarkdown(const config::Registry& registry) {
  const config::Schema settings = settingsSchema(registry);
  const config::Schema rule = ruleSchema();
  std::string others;
  for (const auto& d : registry.directories()) {
    if (d.dir == "policies") continue;
    others += "`" + d.dir + "/*" + (d.suffixes.empty() ? std::string() : d.suffixes.front()) +
              "`: " + d.doc + ". ";
  }
  std::string md =
      "Generated from the schemas `riposte validate` and `serve` check (src/config/reference.h); "
      "a key not listed here is an error. Types: a duration is digits and a unit, repeated "
      "(`250ms`, `30s`, `5m`, `1h30m`, `2d`); a bool is `true` or `false` (or exactly that "
      "text from a `${VAR}`); an integer or bool may come from a `${VAR}`; `<name>` stands for "
      "any key of a map.\n\n";
  md += config::renderReference({
      {"riposte.yaml", "", &settings},
      {"rules/*.yaml (each rule)", "A file holds one rule, a list of rules, or `{rules: [...]}`.",
       &rule},
      {"policies/*.yaml",
       "Suppressions, blast-radius limits, the breaker, the scope and threat-intelligence lists "
       "(src/policy/schema.h). Each section is optional and given once across the files, but "
       "`threat_intel`'s lists, which add up.",
       &policy::policiesSchema()},
  });
  if (!others.empty()) {
    md += "\n#### Other files\n\n" + others +
          "Their sections are parsed by the modules that own them, each problem with its file, "
          "line and column; they are described in their own sections of this README.\n";
  }
  return md;
}

}  // namespace riposte::engine
