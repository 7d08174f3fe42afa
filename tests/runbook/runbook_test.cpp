// The generated runbook (issue 6): content checks in both formats, the wording of every
// pattern operator, the diagrams, and the staleness check of docs/runbook.md.
#include "runbook/runbook.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "asl/asl.h"
#include "cli/coverage_command.h"
#include "pattern/pattern.h"
#include "runbook/iam_policy.h"
#include "sources/samples.h"

namespace riposte::runbook {
namespace {

using engine::Checkers;
using engine::Config;
using engine::Playbook;
using engine::Problem;
using engine::Rule;

namespace fs = std::filesystem;

const std::string kSourceDir = RIPOSTE_SOURCE_DIR;

json::value parse(const std::string& text) {
  auto v = parseJson(text);
  EXPECT_TRUE(v) << (v ? "" : v.error().message);
  return v ? *v : json::value();
}

Checkers checkers(const actions::Registry& registry) {
  Checkers c;
  c.known_resource = [&registry](std::string_view r) { return registry.find(r) != nullptr; };
  return c;
}

Config loadDefault(const actions::Registry& registry) {
  std::vector<Problem> problems;
  auto cfg = engine::loadConfig(kSourceDir + "/config/default", checkers(registry), problems);
  for (const auto& p : problems) ADD_FAILURE() << p.str();
  EXPECT_TRUE(cfg) << (cfg ? "" : cfg.error().message);
  return cfg ? *cfg : Config{};
}

std::string render(const Config& cfg, const actions::Registry& registry, RunbookFormat f) {
  RunbookMeta meta;
  meta.date = "2026-11-23";
  meta.config_label = "config/default";
  auto r = renderRunbook(cfg, registry, f, meta);
  EXPECT_TRUE(r) << (r ? "" : r.error().message);
  return r ? *r : "";
}

RunbookMeta metaFor(const std::string& date) {
  RunbookMeta m;
  m.date = date;
  return m;
}

std::size_t count(const std::string& hay, const std::string& needle) {
  std::size_t n = 0;
  for (auto p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

// Every state name of a definition, nested ones too.
void stateNames(const json::value& def, std::vector<std::string>& out) {
  const auto& states = def.at("States").as_object();
  for (const auto& kv : states) {
    out.emplace_back(kv.key());
    const auto& s = kv.value().as_object();
    if (auto* b = s.if_contains("Branches"))
      for (const auto& br : b->as_array()) stateNames(br, out);
    if (auto* p = s.if_contains("ItemProcessor")) stateNames(*p, out);
  }
}

// Transitions of a definition (Next, each Choice rule, Default, each Catch), nested too.
std::size_t transitions(const json::value& def) {
  std::size_t n = 0;
  for (const auto& kv : def.at("States").as_object()) {
    const auto& s = kv.value().as_object();
    if (s.contains("Next")) ++n;
    if (s.contains("Default")) ++n;
    if (auto* c = s.if_contains("Choices")) n += c->as_array().size();
    if (auto* c = s.if_contains("Catch")) n += c->as_array().size();
    if (auto* b = s.if_contains("Branches"))
      for (const auto& br : b->as_array()) n += transitions(br);
    if (auto* p = s.if_contains("ItemProcessor")) n += transitions(*p);
  }
  return n;
}

// Checks that every element opened is closed in order (void elements and <x/> excepted).
// Returns "" or the first problem.
std::string checkBalanced(const std::string& html, std::size_t* svg_count = nullptr) {
  static const std::set<std::string> kVoid = {"meta", "br", "hr", "img", "link", "input"};
  std::vector<std::string> stack;
  std::size_t svgs = 0;
  for (std::size_t i = html.find('<'); i != std::string::npos; i = html.find('<', i + 1)) {
    if (html.compare(i, 2, "<!") == 0) continue;
    std::size_t end = html.find('>', i);
    if (end == std::string::npos) return "unterminated tag at " + std::to_string(i);
    std::string tag = html.substr(i + 1, end - i - 1);
    bool closing = !tag.empty() && tag[0] == '/';
    bool self = !tag.empty() && tag.back() == '/';
    std::string name;
    for (std::size_t k = closing ? 1 : 0; k < tag.size(); ++k) {
      char c = tag[k];
      if (std::isalnum(static_cast<unsigned char>(c)) || c == '-') {
        name += c;
      } else {
        break;
      }
    }
    if (name.empty()) return "bad tag '" + tag + "'";
    if (closing) {
      if (stack.empty() || stack.back() != name)
        return "</" + name + "> closes " + (stack.empty() ? "nothing" : "<" + stack.back() + ">");
      stack.pop_back();
    } else if (!self && !kVoid.count(name)) {
      if (name == "svg") ++svgs;
      stack.push_back(name);
    }
    // Text must not hold a raw '<' (it is escaped): the next '<' starts a tag.
  }
  if (svg_count) *svg_count = svgs;
  if (!stack.empty()) return "<" + stack.back() + "> is never closed";
  return "";
}

// ---------------------------------------------------------------- the shipped configuration

class DefaultRunbook : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_ = actions::Registry::builtins();
    cfg_ = loadDefault(registry_);
    md_ = render(cfg_, registry_, RunbookFormat::Markdown);
    html_ = render(cfg_, registry_, RunbookFormat::Html);
  }
  actions::Registry registry_ = actions::Registry::builtins();
  Config cfg_;
  std::string md_, html_;
};

TEST_F(DefaultRunbook, NamesEveryRuleStateActionAndPermissionInBothFormats) {
  ASSERT_EQ(cfg_.rules.size(), 4u);
  ASSERT_EQ(cfg_.playbooks.size(), 4u);
  std::set<std::string> used_actions;
  for (const std::string* doc : {&md_, &html_}) {
    for (const auto& r : cfg_.rules) EXPECT_NE(doc->find(r.name), std::string::npos) << r.name;
    for (const auto& [name, pb] : cfg_.playbooks) {
      EXPECT_NE(doc->find(name), std::string::npos) << name;
      std::vector<std::string> states;
      stateNames(pb.definition, states);
      for (const auto& s : states) EXPECT_NE(doc->find(s), std::string::npos) << s;
      for (const auto& kv : pb.definition.at("States").as_object()) {
        const auto& s = kv.value().as_object();
        if (s.at("Type").as_string() != "Task") continue;
        std::string resource(s.at("Resource").as_string());
        EXPECT_NE(doc->find(resource), std::string::npos) << resource;
        const auto* a = registry_.find(resource);
        ASSERT_NE(a, nullptr) << resource;
        used_actions.insert(std::string(a->name()));
        const json::value* params = s.if_contains("Parameters");
        for (const auto& p :
             actions::permissionsFor(a->descriptor(), params ? params->if_object() : nullptr))
          EXPECT_NE(doc->find(p.action), std::string::npos) << p.action;
      }
    }
  }
  EXPECT_EQ(
      used_actions,
      (std::set<std::string>{"approval", "aws.ec2.snapshotVolumes", "aws.ec2.isolateInstance",
                             "aws.ec2.blockIp", "aws.sns.publish", "aws.securityhub.importFindings",
                             "aws.iam.disableAccessKey", "aws.iam.revokeSessions"}));
}

TEST_F(DefaultRunbook, HasTheSectionsOfTheSeedTemplate) {
  for (const char* h :
       {"## 1. Overview", "## 2. Incident response procedures", "## 3. Playbooks",
        "## 4. Response actions used", "## 5. Notifications", "## 6. Integration with SIEM",
        "## 7. Safety settings", "## 8. Suppressions", "## 9. Coverage", "## 10. IAM permissions",
        "## 11. Review and update"}) {
    EXPECT_NE(md_.find(h), std::string::npos) << h;
  }
  for (const char* h :
       {"**Trigger**", "**Automated response**", "**Notification**", "**SIEM integration**"}) {
    EXPECT_EQ(count(md_, h), cfg_.rules.size()) << h;
  }
  // The triggers in words, as the issue writes them.
  EXPECT_NE(md_.find("GuardDuty findings where resourceType is \"Instance\", instanceId starts "
                     "with \"i-\", instanceState is neither \"terminated\" nor "
                     "\"shutting-down\" and severity ≥ 7."),
            std::string::npos);
  EXPECT_NE(md_.find("4 ≤ severity < 7"), std::string::npos);
  EXPECT_NE(md_.find("severity < 4 and id is present"), std::string::npos);
  // Undo of each containment action, from the action's descriptor.
  EXPECT_NE(md_.find("Undo: release runs riposte:aws.ec2.releaseInstance, which "),
            std::string::npos);
  EXPECT_NE(md_.find("Undo: release runs riposte:aws.ec2.unblockIp, which "), std::string::npos);
  EXPECT_NE(md_.find("Undo: release runs riposte:aws.securityhub.archiveFindings, which "),
            std::string::npos);
  // Safety settings as written (not as expanded from this test's environment).
  EXPECT_NE(md_.find("**Dry run**: `false` (environment variable `RIPOSTE_DRY_RUN` overrides it)"),
            std::string::npos);
  EXPECT_NE(md_.find("`riposte:protected=true`"), std::string::npos);
  EXPECT_NE(md_.find("sends an alert to the SNS topic of `notifications.sns_topic_arn` in "
                     "riposte.yaml: the value of the environment variable "
                     "`RIPOSTE_SNS_TOPIC_ARN`, no default."),
            std::string::npos);
  // Review: version and date.
  auto version = configVersion(cfg_);
  ASSERT_TRUE(version);
  EXPECT_EQ(version->rfind("sha256:", 0), 0u);
  EXPECT_EQ(version->size(), 7u + 64u);
  EXPECT_NE(md_.find("Configuration version: `" + *version + "`"), std::string::npos);
  EXPECT_NE(md_.find("Date: 2026-11-23"), std::string::npos);
  EXPECT_NE(md_.find("next review by 2027-02-23"), std::string::npos);
  // The rule without a playbook records only.
  EXPECT_NE(md_.find("**Automated response**: none."), std::string::npos);
}

TEST_F(DefaultRunbook, StepsAreInExecutionOrderWithCatchRetryAndChoiceInWords) {
  const auto& pb = cfg_.playbooks.at("contain-ec2-instance");
  EXPECT_EQ(
      executionOrder(pb.definition),
      (std::vector<std::string>{"Begin", "SnapshotVolumes", "IsolateInstance", "HasAttackerIp",
                                "BlockAttackerIp", "Notify", "LogToSecurityHub",
                                "ContainmentComplete", "ContainmentFailed", "Contained"}));
  // In the document the steps appear in that order.
  std::size_t at = md_.find("### guardduty-ec2-high");
  ASSERT_NE(at, std::string::npos);
  for (const char* s :
       {"1. **Begin** (Pass)", "2. **SnapshotVolumes** (Task)", "3. **IsolateInstance** (Task)",
        "4. **HasAttackerIp** (Choice)", "5. **BlockAttackerIp** (Task)", "6. **Notify** (Task)",
        "7. **LogToSecurityHub** (Task)", "8. **ContainmentComplete** (Choice)",
        "9. **ContainmentFailed** (Fail)", "10. **Contained** (Pass)"}) {
    auto p = md_.find(s, at);
    ASSERT_NE(p, std::string::npos) << s;
    at = p;
  }
  EXPECT_NE(md_.find("On any error (States.ALL): stores the error at "
                     "$.results.isolateInstanceError and continues at **HasAttackerIp**."),
            std::string::npos);
  EXPECT_NE(md_.find("If $.riposte.remoteIp is present and $.riposte.remoteIp is a string → "
                     "**BlockAttackerIp**"),
            std::string::npos);
  EXPECT_NE(md_.find("Otherwise (Default) → **Notify**"), std::string::npos);
  EXPECT_NE(md_.find("Ends the execution as failed with error `ContainmentFailed`"),
            std::string::npos);
  EXPECT_NE(md_.find("`instanceId` ← `$.detail.resource.instanceDetails.instanceId` (from the "
                     "finding)"),
            std::string::npos);
}

// Section 8 is the policy `riposte iam-policy` prints, with the topic as written (the document
// does not depend on this process' environment).
TEST_F(DefaultRunbook, IamSectionIsThePolicyIamPolicyPrints) {
  auto opts = iamPolicyOptionsFor(cfg_);
  ASSERT_TRUE(opts) << opts.error().message;
  IamPolicyOptions o = std::move(*opts);
  o.notify_topic_arn = "${RIPOSTE_SNS_TOPIC_ARN}";
  auto calls = engineCalls(cfg_, o.notify_topic_arn);
  ASSERT_TRUE(calls) << calls.error().message;
  o.engine_calls = std::move(*calls);
  std::map<std::string, json::value> playbooks;
  for (const auto& [name, pb] : cfg_.playbooks) playbooks[name] = pb.definition;
  auto want = iamPolicyFor(playbooks, registry_, o);
  ASSERT_TRUE(want) << want.error().message;
  auto start = md_.find("```json\n{\n  \"Version\": \"2012-10-17\"");
  ASSERT_NE(start, std::string::npos);
  start += 8;
  auto policy = parse(md_.substr(start, md_.find("```", start) - start));
  EXPECT_EQ(toJson(policy), toJson(want->document));
  EXPECT_NE(md_.find("`${RIPOSTE_SNS_TOPIC_ARN}` stands for the value of "
                     "`notifications.sns_topic_arn`"),
            std::string::npos);
  // With the topic unset in riposte.yaml, the section says why there is no policy.
  Config unset = cfg_;
  unset.dir.clear();
  unset.settings.erase("notifications");
  unset.sns_topic_arn.clear();
  RunbookMeta meta;
  meta.date = "2026-11-23";
  auto doc = renderRunbook(unset, registry_, RunbookFormat::Markdown, meta);
  ASSERT_TRUE(doc) << doc.error().message;
  EXPECT_NE(doc->find("refuses this configuration: playbook contain-access-key, state Notify "
                      "publishes to $.riposte.notify.snsTopicArn, but "
                      "notifications.sns\\_topic\\_arn is not set"),
            std::string::npos);
}

// A password in a URL setting (a sink's, the store's) never reaches the runbook.
TEST_F(DefaultRunbook, PasswordsInUrlsAreHidden) {
  Config c = cfg_;
  c.dir.clear();
  c.settings["sinks"] = json::array{json::object{
      {"type", "splunk_hec"},
      {"name", "hec"},
      {"url", "https://admin:Sup3rSecretPW@splunk.example:8088/services/collector"}}};
  c.store_url = "postgresql://riposte:Pg5ecretPW@db:5432/riposte?password=Pg5ecretPW";
  c.settings["store"] = c.store_url;
  RunbookMeta meta;
  meta.date = "2026-11-23";
  for (auto f : {RunbookFormat::Markdown, RunbookFormat::Html}) {
    auto doc = renderRunbook(c, registry_, f, meta);
    ASSERT_TRUE(doc) << doc.error().message;
    EXPECT_EQ(doc->find("Sup3rSecretPW"), std::string::npos);
    EXPECT_EQ(doc->find("Pg5ecretPW"), std::string::npos);
    EXPECT_NE(doc->find("splunk.example"), std::string::npos);
  }
}

// Every step lists the calls its action makes for that step: blockIp's WAF fallback only when
// the step names a WAF IP set.
TEST_F(DefaultRunbook, StepsListTheCallsOfTheirActionForThatStep) {
  EXPECT_NE(md_.find("AWS calls (IAM permissions): `ec2:DescribeInstances`, "
                     "`ec2:DescribeNetworkAcls`, `ec2:CreateNetworkAclEntry`, `ec2:CreateTags`, "
                     "`ec2:DeleteNetworkAclEntry`\n"),
            std::string::npos);
  EXPECT_EQ(md_.find("wafv2:"), std::string::npos);
}

TEST_F(DefaultRunbook, MermaidHasOneNodePerStateAndOneEdgePerTransition) {
  for (const auto& [name, pb] : cfg_.playbooks) {
    std::string m = mermaidDiagram(pb.definition);
    ASSERT_EQ(m.rfind("flowchart TD\n", 0), 0u);
    std::vector<std::string> states;
    stateNames(pb.definition, states);
    std::regex node(R"re(^\s+n\d+(\[|\{|\(\[)")re");
    std::size_t nodes = 0, edges = 0;
    std::istringstream in(m);
    for (std::string l; std::getline(in, l);) {
      if (std::regex_search(l, node)) ++nodes;
      if (l.find(" --> ") != std::string::npos || l.find(" -->|") != std::string::npos) ++edges;
    }
    EXPECT_EQ(nodes, states.size()) << name << "\n" << m;
    EXPECT_EQ(edges, transitions(pb.definition)) << name << "\n" << m;
    for (const auto& s : states) EXPECT_NE(m.find("\"" + s + "<br/>"), std::string::npos) << s;
    // The diagram is embedded in the Markdown document.
    EXPECT_NE(md_.find("```mermaid\n" + m + "```"), std::string::npos) << name;
  }
  std::string m = mermaidDiagram(cfg_.playbooks.at("contain-ec2-instance").definition);
  EXPECT_NE(m.find("-->|\"Catch: States.ALL\"|"), std::string::npos);
  EXPECT_NE(m.find("-->|\"Default\"|"), std::string::npos);
  EXPECT_NE(m.find("n3{\"HasAttackerIp<br/>Choice\"}"), std::string::npos);
  EXPECT_NE(m.find("([\"ContainmentFailed<br/>Fail: ContainmentFailed\"])"), std::string::npos);
}

TEST_F(DefaultRunbook, HtmlIsBalancedWithOneSvgPerPlaybook) {
  std::size_t svgs = 0;
  EXPECT_EQ(checkBalanced(html_, &svgs), "");
  EXPECT_EQ(svgs, cfg_.playbooks.size());
  EXPECT_EQ(html_.rfind("<!DOCTYPE html>\n<html lang=\"en\">", 0), 0u);
  EXPECT_NE(html_.find("<meta charset=\"utf-8\">"), std::string::npos);
  EXPECT_NE(html_.find("4 ≤ severity &lt; 7"), std::string::npos);
  // Every state is a box with its name; Choice, Default and Catch edges are labelled.
  std::string svg = svgDiagram(cfg_.playbooks.at("contain-ec2-instance").definition);
  EXPECT_EQ(checkBalanced(svg), "");
  EXPECT_EQ(count(svg, "<rect x="), 10u + 7u);  // 9 states + 6 labelled edges (2 Choice,
                                                // 2 Default, 2 Catch)
  EXPECT_EQ(count(svg, "<polyline"),
            transitions(cfg_.playbooks.at("contain-ec2-instance").definition));
  for (const char* label : {">Default</text>", ">Catch: States.ALL</text>",
                            ">$.riposte.remoteIp is present an…</text>"}) {
    EXPECT_NE(svg.find(label), std::string::npos) << label;
  }
  EXPECT_NE(html_.find(svg), std::string::npos);
}

TEST_F(DefaultRunbook, SvgLayersFollowTheFlow) {
  // Each box's y grows along the execution order; long edges go round the states between.
  std::string svg = svgDiagram(cfg_.playbooks.at("contain-ec2-instance").definition);
  std::regex box(R"re(<title>(\w+) \((\w+)\)</title><rect x="([\d.]+)" y="([\d.]+)")re");
  std::map<std::string, double> y;
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), box); it != std::sregex_iterator();
       ++it) {
    y[(*it)[1]] = std::stod((*it)[4]);
  }
  ASSERT_EQ(y.size(), 10u);
  EXPECT_LT(y["Begin"], y["IsolateInstance"]);
  EXPECT_LT(y["HasAttackerIp"], y["BlockAttackerIp"]);
  EXPECT_LT(y["BlockAttackerIp"], y["Notify"]);
  EXPECT_EQ(y["ContainmentFailed"], y["Contained"]);
}

// ---------------------------------------------------------------- every pattern operator

std::string words(const std::string& pattern) {
  return describePattern(parse(pattern));
}

TEST(RunbookPattern, ExactValuesAndSubjects) {
  EXPECT_EQ(words(R"({"source":["aws.guardduty"],"detail-type":["GuardDuty Finding"]})"),
            "All GuardDuty findings.");
  EXPECT_EQ(words(R"({"source":["aws.guardduty"],"detail-type":["GuardDuty Finding"],
                      "detail":{"type":["Recon:EC2/PortProbeUnprotectedPort"]}})"),
            "GuardDuty findings where type is \"Recon:EC2/PortProbeUnprotectedPort\".");
  EXPECT_EQ(
      words(R"({"source":["aws.securityhub"],"detail-type":["Security Hub Findings - Imported"]})"),
      "All Security Hub findings.");
  EXPECT_EQ(words(R"({"source":["my.app","other.app"],"detail":{"n":[1,2,3]}})"),
            "Events from \"my.app\" or \"other.app\" where n is one of 1, 2 or 3.");
  EXPECT_EQ(words(R"({"detail":{"a":["x","y"],"b":[true],"c":[null]}})"),
            "Events where a is \"x\" or \"y\", b is true and c is null.");
}

TEST(RunbookPattern, StringOperators) {
  EXPECT_EQ(words(R"({"detail":{"type":[{"prefix":"UnauthorizedAccess:EC2/"}]}})"),
            "Events where type starts with \"UnauthorizedAccess:EC2/\".");
  EXPECT_EQ(words(R"({"f":[{"prefix":{"equals-ignore-case":"ab"}}]})"),
            "Events where f starts with \"ab\" (ignoring case).");
  EXPECT_EQ(words(R"({"f":[{"suffix":".png"}]})"), "Events where f ends with \".png\".");
  EXPECT_EQ(words(R"({"f":[{"suffix":{"equals-ignore-case":".PNG"}}]})"),
            "Events where f ends with \".PNG\" (ignoring case).");
  EXPECT_EQ(words(R"({"f":[{"equals-ignore-case":"Alice"}]})"),
            "Events where f equals \"Alice\" ignoring case.");
  EXPECT_EQ(words(R"({"detail":{"type":[{"wildcard":"UnauthorizedAccess:EC2/*"}]}})"),
            "Events where type matches the wildcard \"UnauthorizedAccess:EC2/*\".");
  EXPECT_EQ(words(R"({"f":["a",{"prefix":"b"}]})"),
            "Events where f is \"a\" or f starts with \"b\".");
}

TEST(RunbookPattern, AnythingButForms) {
  EXPECT_EQ(words(R"({"f":[{"anything-but":"x"}]})"), "Events where f is anything but \"x\".");
  EXPECT_EQ(words(R"({"f":[{"anything-but":["x","y"]}]})"),
            "Events where f is neither \"x\" nor \"y\".");
  EXPECT_EQ(words(R"({"f":[{"anything-but":[1,2,3]}]})"), "Events where f is none of 1, 2 or 3.");
  EXPECT_EQ(words(R"({"f":[{"anything-but":{"prefix":"tmp-"}}]})"),
            "Events where f does not start with \"tmp-\".");
  EXPECT_EQ(words(R"({"f":[{"anything-but":{"suffix":[".a",".b"]}}]})"),
            "Events where f ends with none of \".a\" or \".b\".");
  EXPECT_EQ(words(R"({"f":[{"anything-but":{"equals-ignore-case":"root"}}]})"),
            "Events where f is not \"root\" in any letter case.");
  EXPECT_EQ(words(R"({"f":[{"anything-but":{"wildcard":"*.test"}}]})"),
            "Events where f does not match the wildcard \"*.test\".");
}

TEST(RunbookPattern, NumericExistsCidrAndNesting) {
  EXPECT_EQ(words(R"({"detail":{"severity":[{"numeric":[">=",7]}]}})"),
            "Events where severity ≥ 7.");
  EXPECT_EQ(words(R"({"detail":{"severity":[{"numeric":[">=",4,"<",7]}]}})"),
            "Events where 4 ≤ severity < 7.");
  EXPECT_EQ(words(R"({"x":[{"numeric":[">",0.5,"<=",8.25]}]})"), "Events where 0.5 < x ≤ 8.25.");
  EXPECT_EQ(words(R"({"x":[{"numeric":["=",3]}]})"), "Events where x = 3.");
  EXPECT_EQ(words(R"({"x":[{"numeric":["<",4]}]})"), "Events where x < 4.");
  EXPECT_EQ(words(R"({"x":[{"numeric":["<=",4]}]})"), "Events where x ≤ 4.");
  EXPECT_EQ(words(R"({"x":[{"exists":true}]})"), "Events where x is present.");
  EXPECT_EQ(words(R"({"x":[{"exists":false}]})"), "Events where x is absent.");
  EXPECT_EQ(words(R"({"ip":[{"cidr":"10.0.0.0/8"}]})"),
            "Events where ip is an IP address in \"10.0.0.0/8\".");
  // Full paths in the condition list.
  auto lines = describePatternConditions(parse(
      R"({"detail":{"resource":{"resourceType":["Instance"]},"severity":[{"numeric":[">",8]}]}})"));
  EXPECT_EQ(lines, (std::vector<std::string>{"detail.resource.resourceType is \"Instance\"",
                                             "detail.severity > 8"}));
}

TEST(RunbookPattern, OrAlternatives) {
  const char* p = R"({"source":["aws.guardduty"],"detail-type":["GuardDuty Finding"],
    "detail":{"$or":[{"severity":[{"numeric":[">=",7]}]},
                     {"type":[{"prefix":"Backdoor:"}],"resource":{"resourceType":["Instance"]}}]}})";
  EXPECT_EQ(words(p),
            "GuardDuty findings where either severity ≥ 7 or (type starts with \"Backdoor:\" and "
            "resourceType is \"Instance\").");
  EXPECT_EQ(describePatternConditions(parse(p)),
            (std::vector<std::string>{
                "source is \"aws.guardduty\"", "detail-type is \"GuardDuty Finding\"",
                "any one of:", "  detail.severity ≥ 7",
                "  alternative 1, all of:", "    detail.type starts with \"Backdoor:\"",
                "    detail.resource.resourceType is \"Instance\""}));
}

// ---------------------------------------------------------------- playbooks in words

TEST(RunbookPlaybook, ChoiceOperatorsInWords) {
  EXPECT_EQ(describeChoiceRule(parse(R"({"Variable":"$.a","StringEquals":"x","Next":"N"})")),
            "$.a is \"x\"");
  EXPECT_EQ(describeChoiceRule(parse(R"({"Variable":"$.n","NumericGreaterThanEquals":7})")),
            "$.n ≥ 7");
  EXPECT_EQ(describeChoiceRule(parse(R"({"Variable":"$.n","NumericLessThanPath":"$.max"})")),
            "$.n < $.max");
  EXPECT_EQ(describeChoiceRule(parse(R"({"Not":{"Variable":"$.b","BooleanEquals":true}})")),
            "not ($.b is true)");
  EXPECT_EQ(describeChoiceRule(parse(R"({"Or":[{"Variable":"$.a","IsNull":true},
      {"And":[{"Variable":"$.t","TimestampLessThan":"2026-01-01T00:00:00Z"},
              {"Variable":"$.s","StringMatches":"i-*"}]}]})")),
            "$.a is null or ($.t is before \"2026-01-01T00:00:00Z\" and $.s matches the pattern "
            "\"i-*\")");
  EXPECT_EQ(describeChoiceRule(parse(R"({"Variable":"$.x","IsPresent":false})")), "$.x is absent");
}

// A playbook with Retry, Wait, a loop (a back edge), Parallel and Map, an aws-sdk call.
const char* kRich = R"json({
  "StartAt": "Snapshot",
  "States": {
    "Snapshot": {"Type": "Task", "Resource": "riposte:aws.ec2.snapshotVolumes",
      "Parameters": {"instanceId.$": "$.detail.resource.instanceDetails.instanceId"},
      "Retry": [{"ErrorEquals": ["Throttling"], "IntervalSeconds": 2, "MaxAttempts": 4,
                 "BackoffRate": 1.5, "MaxDelaySeconds": 30, "JitterStrategy": "FULL"}],
      "Next": "Stop"},
    "Stop": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:ec2:stopInstances",
      "Parameters": {"InstanceIds.$": "States.Array($.id)"}, "ResultPath": null, "Next": "Check"},
    "Check": {"Type": "Choice", "Choices": [{"Variable": "$.done", "BooleanEquals": true,
      "Next": "Fanout"}], "Default": "Pause"},
    "Pause": {"Type": "Wait", "Seconds": 30, "Next": "Check"},
    "Fanout": {"Type": "Parallel", "Branches": [
        {"StartAt": "Keys", "States": {"Keys": {"Type": "Task",
           "Resource": "riposte:aws.iam.disableAccessKey", "End": true}}},
        {"StartAt": "Each", "States": {"Each": {"Type": "Map", "ItemsPath": "$.users",
           "MaxConcurrency": 2, "ItemProcessor": {"StartAt": "Revoke", "States": {
             "Revoke": {"Type": "Task", "Resource": "riposte:aws.iam.revokeSessions",
                        "End": true}}}, "End": true}}}],
      "Next": "Done"},
    "Done": {"Type": "Succeed"}
  }
})json";

TEST(RunbookPlaybook, RichPlaybookInBothFormats) {
  auto registry = actions::Registry::builtins();
  Config cfg;
  Playbook pb;
  pb.name = "rich";
  pb.file = "playbooks/rich.asl.json";
  pb.definition = parse(kRich);
  ASSERT_TRUE(asl::validate(pb.definition, [&](std::string_view r) {
                return registry.find(r) != nullptr || r.rfind("arn:aws:states:::", 0) == 0;
              }).empty());
  cfg.playbooks["rich"] = pb;
  Rule r;
  r.name = "iam-compromise";
  r.file = "rules/iam.yaml";
  r.pattern = parse(R"({"source":["aws.guardduty"],"detail":{"type":[{"wildcard":"*IAMUser*"}]}})");
  r.pattern_json = toJson(r.pattern);
  r.playbook = "rich";
  cfg.rules.push_back(r);

  EXPECT_EQ(executionOrder(pb.definition),
            (std::vector<std::string>{"Snapshot", "Stop", "Check", "Fanout", "Pause", "Done"}));
  RunbookMeta meta{
      .date = "2026-02-28", .config_version = "", .config_label = "inline", .command = ""};
  auto md = renderRunbook(cfg, registry, RunbookFormat::Markdown, meta);
  ASSERT_TRUE(md) << md.error().message;
  for (const char* s :
       {"Retry: on Throttling: retried up to 4 times, first after 2 s, each wait ×1.5 the "
        "previous, at most 30 s apart, with full jitter.",
        "Calls the AWS API ec2 StopInstances directly", "`ec2:StopInstances`",
        "Discards its result (keeps its input).", "Waits 30 s.", "Runs 2 branches at the same time",
        "Branch 1:", "**Keys** (Task)",
        "For each item of `$.users` (at most 2 at a time), runs:", "**Revoke** (Task)",
        "Ends the execution successfully.", "not undone: snapshots are evidence",
        "`iam:UpdateAccessKey`", "`iam:PutRolePolicy`", "next review by 2026-05-28",
        "GuardDuty events where type matches the wildcard \"\\*IAMUser\\*\""}) {
    EXPECT_NE(md->find(s), std::string::npos) << s;
  }
  // Undo permissions of disableAccessKey/revokeSessions come from their undo actions:
  // enableAccessKey needs nothing more; restoreSessions deletes what revokeSessions put.
  std::set<std::string> need, undo;
  auto policy = iamPolicyFor(cfg, registry);
  ASSERT_TRUE(policy) << policy.error().message;
  for (const auto& t : policy->tasks) {
    for (const auto& p : t.permissions) need.insert(p.action);
    for (const auto& p : t.undo_permissions) undo.insert(p.action);
  }
  EXPECT_TRUE(need.count("ec2:StopInstances"));
  std::set<std::string> extra;
  std::set_difference(undo.begin(), undo.end(), need.begin(), need.end(),
                      std::inserter(extra, extra.end()));
  EXPECT_EQ(extra, (std::set<std::string>{"iam:DeleteRolePolicy", "iam:DeleteUserPolicy"}));

  // Mermaid: nested states in subgraphs; one edge per transition.
  std::string m = mermaidDiagram(pb.definition);
  std::vector<std::string> states;
  stateNames(pb.definition, states);
  EXPECT_EQ(states.size(), 9u);
  EXPECT_EQ(count(m, " -->"), transitions(pb.definition));
  EXPECT_EQ(count(m, "subgraph "), 3u);
  for (const auto& s : states) EXPECT_NE(m.find("\"" + s + "<br/>"), std::string::npos) << s;

  auto html = renderRunbook(cfg, registry, RunbookFormat::Html, meta);
  ASSERT_TRUE(html);
  std::size_t svgs = 0;
  EXPECT_EQ(checkBalanced(*html, &svgs), "");
  EXPECT_EQ(svgs, 1u);
  // The loop Pause → Check is drawn (round the side), with every other edge.
  std::string svg = svgDiagram(pb.definition);
  EXPECT_EQ(count(svg, "<polyline"), 6u);
  EXPECT_NE(svg.find("<title>Pause → Check</title>"), std::string::npos);
}

TEST(Runbook, RejectsABadDateAndIsDeterministic) {
  auto registry = actions::Registry::builtins();
  Config cfg;
  EXPECT_FALSE(renderRunbook(cfg, registry, RunbookFormat::Markdown, metaFor("23/11/2026")));
  EXPECT_FALSE(renderRunbook(cfg, registry, RunbookFormat::Markdown, metaFor("")));
  auto a = renderRunbook(cfg, registry, RunbookFormat::Markdown, metaFor("2026-11-23"));
  auto b = renderRunbook(cfg, registry, RunbookFormat::Markdown, metaFor("2026-11-23"));
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*a, *b);
  EXPECT_NE(a->find("0 rules (0 enabled), 0 playbooks, 0 response actions."), std::string::npos);
}

TEST(Runbook, ConfigVersionChangesWithAnyConfigFile) {
  fs::path dir = fs::temp_directory_path() / ("riposte-runbook-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "rules");
  auto write = [&](const fs::path& p, const std::string& s) { std::ofstream(p) << s; };
  write(dir / "riposte.yaml", "safety:\n  dry_run: true\n");
  write(dir / "rules" / "a.yaml", "name: a\n");
  Config cfg;
  cfg.dir = dir.string();
  auto v1 = configVersion(cfg);
  write(dir / "rules" / "a.yaml", "name: b\n");
  auto v2 = configVersion(cfg);
  write(dir / "rules" / "notes.txt", "not config");
  auto v3 = configVersion(cfg);
  ASSERT_TRUE(v1 && v2 && v3);
  EXPECT_NE(*v1, *v2);
  EXPECT_EQ(*v2, *v3);
  // Dry run on by default is said so.
  auto md = renderRunbook(cfg, actions::Registry::builtins(), RunbookFormat::Markdown,
                          metaFor("2026-11-23"));
  ASSERT_TRUE(md);
  EXPECT_NE(md->find("**Dry run**: `true`. On by default"), std::string::npos);
  fs::remove_all(dir);
}

TEST(Runbook, SaysWhichPlaybooksAlwaysRunDry) {
  auto registry = actions::Registry::builtins();
  Config cfg = loadDefault(registry);
  ASSERT_TRUE(cfg.playbooks.count("contain-ec2-instance"));
  const std::string before = render(cfg, registry, RunbookFormat::Markdown);
  EXPECT_EQ(before.find("always runs dry"), std::string::npos);
  cfg.playbooks["contain-ec2-instance"].dry_run = true;  // playbooks: {…: {dry_run: true}}
  const std::string md = render(cfg, registry, RunbookFormat::Markdown);
  // In the playbook's section, in the rule that runs it, in the summary and the safety settings.
  EXPECT_NE(md.find("Always a dry run (`playbooks.contain-ec2-instance.dry_run: true` in "
                    "`riposte.yaml`): every action plans and records what it would do and "
                    "changes nothing."),
            std::string::npos);
  EXPECT_NE(md.find("dry run: its playbook `contain-ec2-instance` always runs dry"),
            std::string::npos);
  EXPECT_NE(md.find("| `guardduty-ec2-high` |"), std::string::npos);
  EXPECT_NE(md.find("enabled (dry run)"), std::string::npos);
  EXPECT_EQ(before.find("enabled (dry run)"), std::string::npos);
  EXPECT_NE(md.find("playbooks: `contain-ec2-instance`."), std::string::npos);
  const std::string html = render(cfg, registry, RunbookFormat::Html);
  EXPECT_NE(html.find("always runs dry"), std::string::npos);
}

TEST(Runbook, SaysEveryThreatListAndWhatIsPublishedInWords) {
  auto registry = actions::Registry::builtins();
  Config cfg = loadDefault(registry);
  EXPECT_EQ(render(cfg, registry, RunbookFormat::Markdown).find("Threat intelligence"),
            std::string::npos);  // nothing configured, nothing said
  policy::Problems problems;
  cfg.threat_intel = policy::parseThreatIntel(parse(R"({
    "lists": [
      {"name": "tor-exits", "verdict": "malicious", "source": "https://feeds.example.com/tor.txt",
       "refresh": "30m"},
      {"name": "corp-egress", "verdict": "trusted", "source": "s3://secops/egress.csv",
       "format": "csv", "csv": {"column": "ip"}, "description": "Our NAT gateways."}],
    "publish": {"location": "s3://secops/riposte/blocked.txt",
                "detector_id": "12abc34d567e8fa901bc2d34e56789f0"}})"),
                                              problems);
  ASSERT_TRUE(problems.empty());
  const std::string md = render(cfg, registry, RunbookFormat::Markdown);
  EXPECT_NE(md.find("### Threat intelligence"), std::string::npos);
  EXPECT_NE(md.find("**tor-exits**: malicious list tor-exits: https://feeds.example.com/tor.txt "
                    "(GuardDuty TXT, at most 250000 entries), read again every 30m with a "
                    "conditional request."),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("**corp-egress**: trusted list corp-egress: the S3 object "
                    "s3://secops/egress.csv (CSV, column \"ip\", at most 250000 entries), read "
                    "again every 1h with a conditional request. Our NAT gateways."),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("Trusted addresses (`corp-egress`) are never blocked"), std::string::npos);
  EXPECT_NE(md.find("Publishing: the addresses riposte blocks are kept in "
                    "s3://secops/riposte/blocked.txt (GuardDuty TXT) and GuardDuty detector "
                    "12abc34d567e8fa901bc2d34e56789f0 reads them as the threat intel set "
                    "\"riposte-blocked\", active"),
            std::string::npos)
      << md;
  const std::string html = render(cfg, registry, RunbookFormat::Html);
  EXPECT_NE(html.find("Threat intelligence"), std::string::npos);
}

TEST(Runbook, MalformedInputIsDescribedNotFatal) {
  // renderRunbook is public: a config that skipped validation must not crash it.
  auto registry = actions::Registry::builtins();
  Config cfg;
  for (const char* def :
       {"[]", "{}", R"({"StartAt":"A","States":[]})",
        R"({"StartAt":"A","States":{"A":{"Type":"Task","Resource":"riposte:nope","Next":"Z"},
            "B":{"Type":"Choice","Choices":[1,{"Next":"A"}]},"C":"x"}})"}) {
    Playbook pb;
    pb.name = std::string("p") + std::to_string(cfg.playbooks.size());
    pb.definition = parse(def);
    cfg.playbooks[pb.name] = pb;
  }
  Rule r;
  r.name = "odd";
  r.pattern = parse(R"({"a":"not-an-array","b":[{}],"c":[{"numeric":[]}],"$or":[1]})");
  r.playbook = "p3";
  cfg.rules.push_back(r);
  for (auto f : {RunbookFormat::Markdown, RunbookFormat::Html}) {
    auto doc = renderRunbook(cfg, registry, f, metaFor("2026-11-23"));
    ASSERT_TRUE(doc);
    EXPECT_NE(doc->find("riposte:nope, which is not a registered action"), std::string::npos);
  }
}

// ---------------------------------------------------------------- suppressions and coverage

TEST(RunbookPolicy, EverySuppressionInWordsAndTheTypesNoRuleHandles) {
  auto registry = actions::Registry::builtins();
  Config cfg = loadDefault(registry);
  policy::Problems problems;
  auto s = policy::parseSuppression(*parseJson(R"j({"name":"pentest-q4",
      "reason":"Scheduled penetration test (CHG-1234)","owner":"secops@example.com",
      "expires":"2026-12-31T00:00:00Z",
      "match":{"pattern":{"source":["aws.guardduty"],"detail":{"type":["Backdoor:EC2/Spambot"]}},
               "scope":{"accounts":["111122223333"]}}})j"),
                                    "s", policy::Origin::kConfig, 0, problems);
  ASSERT_TRUE(s) << s.error().str();
  auto all = policy::parseSuppression(*parseJson(R"j({"name":"no-portscans",
      "reason":"our own scanner","owner":"netops",
      "match":{"pattern":{"detail":{"type":["Recon:EC2/Portscan"]}}}})j"),
                                      "s", policy::Origin::kConfig, 0, problems);
  ASSERT_TRUE(all) << all.error().str();
  cfg.suppressions = {*s, *all};
  cfg.suppression_files = {{"pentest-q4", "policies/pentest.yaml"},
                           {"no-portscans", "policies/scanners.yaml"}};
  const auto catalogue = cli::guardDutyCatalogue();
  RunbookMeta meta = metaFor("2026-11-23");
  meta.catalogue = &catalogue;
  auto md = renderRunbook(cfg, registry, RunbookFormat::Markdown, meta);
  ASSERT_TRUE(md) << md.error().message;
  for (const char* want : {
           "**pentest-q4** (`policies/pentest.yaml`): GuardDuty events where type is "
           "\"Backdoor:EC2/Spambot\", in account 111122223333.",
           "Reason: Scheduled penetration test (CHG-1234)",
           "Owner: secops@example.com",
           "Applies until 2026-12-31T00:00:00.000Z.",
           "**no-portscans** (`policies/scanners.yaml`)",
           "Applies until deleted (no expiry).",
           "| `Recon:EC2/Portscan` | EC2 | suppressed by no-portscans |",
           "| `Impact:S3/MaliciousIPCaller` | S3 | no enabled rule matches it |",
       }) {
    EXPECT_NE(md->find(want), std::string::npos)
        << want << "\nin:\n"
        << md->substr(md->find("## 8."), md->find("## 10.") - md->find("## 8."));
  }
  // A scoped suppression silences some resources only: the type stays handled.
  EXPECT_EQ(md->find("| `Backdoor:EC2/Spambot` |"), std::string::npos);
  EXPECT_NE(md->find("Of the " + std::to_string(sources::sampleTypes().size()) +
                     " GuardDuty finding types riposte knows"),
            std::string::npos);
  auto html = renderRunbook(cfg, registry, RunbookFormat::Html, meta);
  ASSERT_TRUE(html);
  EXPECT_NE(html->find("suppressed by no-portscans"), std::string::npos);

  // Without a catalogue the section says so; without suppressions, that there are none.
  cfg.suppressions.clear();
  auto bare = renderRunbook(cfg, registry, RunbookFormat::Markdown, metaFor("2026-11-23"));
  ASSERT_TRUE(bare);
  EXPECT_NE(bare->find("The configuration defines no suppression."), std::string::npos);
  EXPECT_NE(bare->find("was not computed"), std::string::npos);
}

// Every limit, the breaker and the scope of policies/*.yaml, in words (issue 11, "Visible
// everywhere"): the shipped ones, and a set with a share cap, a scope and a rule's on_limit.
TEST(Runbook, SaysTheGuardRailsInWords) {
  auto registry = actions::Registry::builtins();
  Config cfg = loadDefault(registry);
  std::string md = render(cfg, registry, RunbookFormat::Markdown);
  EXPECT_NE(md.find("### Blast-radius limits, circuit breaker and scope"), std::string::npos);
  EXPECT_NE(md.find("- **Limit** `contain-per-account`: at most 10 containment actions (role "
                    "`contain`) in any 10 minutes, counted per account."),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("When full: on\\_limit approve: the action waits for a person's approval "
                    "(any approver of approvals.groups"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("- **Circuit breaker**: opens when more than 20 executions attempt a "
                    "destructive action within 10 minutes."),
            std::string::npos);
  EXPECT_NE(md.find("`riposte breaker close --reason '…'` or `POST /v1/breaker/close`"),
            std::string::npos);
  EXPECT_NE(md.find("the playbooks here use `aws.ec2.blockIp`, `aws.ec2.isolateInstance`, "
                    "`aws.iam.disableAccessKey`, `aws.iam.revokeSessions`"),
            std::string::npos);
  EXPECT_NE(md.find("- **Scope**: none."), std::string::npos);

  std::vector<policy::Problem> problems;
  cfg.guard_rails.limits = policy::parseLimits(
      parse(R"([{"name":"share","role":"contain","per":["account","region"],"max_percent":5,
                 "window":"1h","on_limit":"fail"},
                {"name":"isolations","action":"aws.ec2.isolateInstance","per":"global","max":1,
                 "window":"1d","on_limit":"dry_run"}])"),
      problems);
  cfg.guard_rails.breaker.reset();
  cfg.guard_rails.scope = policy::parseScope(
      parse(R"({"allow":{"accounts":["123456789012"],"tags":{"env":["prod","stage"]}},
                "deny":{"resource_ids":["i-0keep"],"vpcs":["vpc-1"]}})"),
      problems);
  ASSERT_TRUE(problems.empty()) << problems[0].path << ": " << problems[0].message;
  for (auto& r : cfg.rules)
    if (r.name == "guardduty-ec2-high") r.on_limit = policy::OnLimit::kFail;
  md = render(cfg, registry, RunbookFormat::Markdown);
  EXPECT_NE(md.find("- **Limit** `share`: containment actions (role `contain`) on at most 5 % "
                    "of the running instances in any 1 hour, counted per account and region (the "
                    "running instances are counted with DescribeInstances and kept 5 minutes; "
                    "when they cannot be counted the action does not act)."),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("When full: on\\_limit fail: the step fails with riposte.LimitExceeded"),
            std::string::npos);
  EXPECT_NE(md.find("- **Limit** `isolations`: at most 1 `aws.ec2.isolateInstance` actions in "
                    "any 1 day, counted once for all accounts and regions."),
            std::string::npos);
  EXPECT_NE(md.find("- **No circuit breaker**: a misfiring detector is not paused."),
            std::string::npos);
  EXPECT_NE(md.find("Rules with their own on\\_limit (it replaces the limit's and the breaker's "
                    "for their executions): `guardduty-ec2-high (fail)`"),
            std::string::npos);
  EXPECT_NE(md.find("  - **Only**: accounts `123456789012`; tag `env` = `prod`, `stage` (a "
                    "resource must be in every list given; of the tags, one is enough)."),
            std::string::npos);
  EXPECT_NE(md.find("  - **Never**: VPCs `vpc-1`; resource ids `i-0keep` (a resource matching "
                    "any of them is refused)."),
            std::string::npos);
  EXPECT_NE(md.find("What cannot be read refuses the action (fail closed)"), std::string::npos);
  cfg.guard_rails = {};
  md = render(cfg, registry, RunbookFormat::Markdown);
  EXPECT_NE(md.find("- **No limit**: nothing bounds how many resources a burst of findings "
                    "contains."),
            std::string::npos);
  const std::string html = render(cfg, registry, RunbookFormat::Html);
  EXPECT_NE(html.find("Blast-radius limits, circuit breaker and scope"), std::string::npos);
}

// ---------------------------------------------------------------- docs/runbook.md is current

TEST(RunbookFile, DocsRunbookMdIsCurrent) {
  auto registry = actions::Registry::builtins();
  Config cfg = loadDefault(registry);
  const fs::path file = fs::path(kSourceDir) / "docs" / "runbook.md";
  std::ifstream in(file, std::ios::binary);
  ASSERT_TRUE(in) << "docs/runbook.md is missing: run `build/bin/riposte docs --config "
                     "config/default -o docs/runbook.md --date YYYY-MM-DD`";
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string committed = ss.str();
  // The date is the committed document's own (its review date), so the check never depends on
  // today's date or on git.
  std::smatch m;
  std::string date = "YYYY-MM-DD";
  if (std::regex_search(committed, m, std::regex(R"(\n- Date: (\d{4}-\d{2}-\d{2})\n)")))
    date = m[1];
  RunbookMeta meta;
  meta.date = date;
  meta.config_label = "config/default";
  meta.command = "riposte docs --config config/default -o docs/runbook.md --date " + date;
  const auto catalogue = cli::guardDutyCatalogue();  // what `riposte docs` gives
  meta.catalogue = &catalogue;
  auto fresh = renderRunbook(cfg, registry, RunbookFormat::Markdown, meta);
  ASSERT_TRUE(fresh) << fresh.error().message;
  if (*fresh != committed) {
    // Leave the fresh one beside the build for a diff.
    std::ofstream(fs::temp_directory_path() / "runbook.fresh.md", std::ios::binary) << *fresh;
  }
  ASSERT_TRUE(*fresh == committed)
      << "docs/runbook.md is stale: run `build/bin/riposte docs --config config/default -o "
         "docs/runbook.md --date "
      << date << "` (or today's date for a new review); fresh copy in "
      << (fs::temp_directory_path() / "runbook.fresh.md").string();
}

}  // namespace
}  // namespace riposte::runbook
