// Threat intelligence in the engine loop (engine/threat_feeds.h, policy/threat_intel.h), with
// fake actions, a real SQLite store and a manual clock: events are matched with
// riposte.threatIntel (a rule on it fires for a listed address only, a forged member is
// dropped, the stored body is unchanged), the playbook's input carries it for a Choice, and
// an action that blocks an address refuses a trusted one (ResourceProtected, catchable,
// recorded in the timeline and the audit log), or any while a trusted list is unread.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>

#include "engine/engine.h"
#include "sources/ingest.h"
#include "support/findings.h"

namespace riposte::engine {
namespace {

namespace fs = std::filesystem;

// A fake aws.ec2.blockIp: same descriptor facts the engine reads (contain, blocks "ip").
class FakeBlockIp final : public actions::Action {
 public:
  explicit FakeBlockIp(std::atomic<int>& calls) : calls_(calls) {
    desc_.name = "aws.ec2.blockIp";
    desc_.description = "fake";
    desc_.role = actions::Role::kContain;
    desc_.blocked_address = "ip";
  }
  const actions::Descriptor& descriptor() const override { return desc_; }
  Result<actions::ActionOutcome> run(const json::value& input,
                                     actions::ActionContext& ctx) const override {
    ++calls_;
    actions::ActionOutcome o;
    o.changed = !ctx.dry_run;
    o.output = json::object{{"cidr", std::string(input.at("ip").as_string()) + "/32"}};
    o.summary = "blocked";
    return o;
  }

 private:
  actions::Descriptor desc_;
  std::atomic<int>& calls_;
};

// Blocks the remote address of a finding the malicious lists know; a trusted one is caught.
constexpr const char* kBlockPlaybook = R"({"StartAt":"Known","States":{
  "Known":{"Type":"Choice","Choices":[
    {"Variable":"$.riposte.threatIntel.malicious[0]","IsPresent":true,"Next":"Block"}],
    "Default":"Unknown"},
  "Block":{"Type":"Task","Resource":"riposte:aws.ec2.blockIp",
    "Parameters":{"ip.$":"$.riposte.remoteIp"},"ResultPath":"$.block",
    "Catch":[{"ErrorEquals":["ResourceProtected"],"ResultPath":"$.refused","Next":"Protected"}],
    "End":true},
  "Protected":{"Type":"Pass","Result":"trusted","ResultPath":"$.outcome","End":true},
  "Unknown":{"Type":"Pass","Result":"not listed","ResultPath":"$.outcome","End":true}}})";

class ThreatIntelEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("riposte-intel-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "lists");
    write("lists/tor.txt", "198.51.100.0/24\n203.0.113.7\n");
    write("lists/corp.txt", "203.0.113.7\n");
  }
  void TearDown() override {
    engine_.reset();
    fs::remove_all(dir_);
  }
  void write(const std::string& rel, const std::string& text) { std::ofstream(dir_ / rel) << text; }

  Config config(const std::string& rule_pattern, const char* playbook) {
    Config c;
    c.dir = dir_.string();
    Playbook pb;
    pb.name = "block";
    pb.definition = *parseJson(playbook);
    pb.definition_json = playbook;
    c.playbooks["block"] = pb;
    Rule r;
    r.name = "known-bad";
    r.playbook = "block";
    r.pattern_json = rule_pattern;
    c.rules = {r};
    auto list = [](const char* name, policy::Verdict v, const char* source) {
      policy::ThreatListConfig l;
      l.name = name;
      l.verdict = v;
      l.source = *policy::parseListSource(source);
      return l;
    };
    c.threat_intel.lists = {list("tor-exits", policy::Verdict::kMalicious, "lists/tor.txt"),
                            list("corp-egress", policy::Verdict::kTrusted, "lists/corp.txt")};
    return c;
  }

  void open(Config c) {
    engine_.reset();
    auto store = store::openStore("sqlite://" + (dir_ / "r.db").string());
    ASSERT_TRUE(store) << store.error().str();
    EngineOptions opt;
    opt.background = false;
    opt.worker_id = "test";
    engine_ = std::make_unique<Engine>(std::move(c), std::move(*store), nullptr, clock_, opt);
    actions::Registry reg;
    ASSERT_TRUE(reg.add(std::make_shared<FakeBlockIp>(block_calls_)));
    engine_->setRegistry(std::move(reg));
    ASSERT_TRUE(engine_->start());
  }

  void send(const json::value& event) {
    auto evs = sources::parseEventsBody(json::serialize(event), clock_);
    ASSERT_TRUE(evs) << evs.error().str();
    ASSERT_TRUE(engine_->ingest(*evs, "test"));
  }
  json::value finding(const std::string& remote_ip, const std::string& id) {
    testing::FindingSpec spec;
    spec.remote_ip = remote_ip;
    spec.id = id;
    spec.instance_id = "i-" + id;
    json::value ev = testing::guardDutyEvent(spec);
    ev.as_object()["id"] = "ev-" + id;  // one EventBridge event each
    return ev;
  }
  std::vector<store::IncidentRecord> incidents() {
    return engine_->store().listIncidents(100, 0).value();
  }
  // The only execution of the incident on `instance`.
  store::ExecutionRecord executionOf(const std::string& instance) {
    for (const auto& inc : incidents()) {
      if (inc.resource_id != instance) continue;
      auto x = engine_->store().executionsForIncident(inc.id).value();
      EXPECT_EQ(x.size(), 1u);
      if (!x.empty()) return x.front();
    }
    ADD_FAILURE() << "no execution for " << instance;
    return {};
  }

  fs::path dir_;
  ManualClock clock_{1'800'000'000'000};
  std::atomic<int> block_calls_{0};
  std::unique_ptr<Engine> engine_;
};

TEST_F(ThreatIntelEngineTest, ARuleOnThreatIntelFiresForAListedAddressOnly) {
  open(config(
      R"({"source":["aws.guardduty"],"riposte":{"threatIntel":{"malicious":["tor-exits"]}}})",
      kBlockPlaybook));
  send(finding("198.51.100.9", "listed"));
  send(finding("192.0.2.10", "unlisted"));
  // A forged member: the event claims the lists itself; it is dropped before matching.
  json::value forged = finding("192.0.2.11", "forged");
  forged.as_object()["riposte"] =
      json::object{{"threatIntel", json::object{{"malicious", json::array{"tor-exits"}},
                                                {"trusted", json::array{}}}}};
  send(forged);
  ASSERT_TRUE(engine_->drain());

  auto incs = incidents();
  ASSERT_EQ(incs.size(), 1u);
  EXPECT_EQ(incs[0].resource_id, "i-listed");
  EXPECT_EQ(block_calls_, 1);
  const auto metrics = engine_->renderMetrics();
  EXPECT_NE(metrics.find(R"(riposte_events_matched_total{rule="known-bad"} 1)"), std::string::npos)
      << metrics;

  // The playbook saw what the rule matched on: $.riposte.threatIntel, for its Choice.
  auto x = executionOf("i-listed");
  EXPECT_EQ(x.status, "SUCCEEDED") << x.error << " " << x.cause;
  auto input = parseJson(x.input).value();
  EXPECT_EQ(json::serialize(input.at("riposte").at("threatIntel")),
            R"({"malicious":["tor-exits"],"trusted":[]})");
  auto out = parseJson(x.output).value();
  EXPECT_EQ(out.at("block").at("cidr").as_string(), "198.51.100.9/32");

  // The stored body is the event as it came, forged member and all.
  const std::string forged_id(forged.at("id").as_string());
  auto stored = engine_->store().getEvent(forged_id).value();
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->status, "processed");
  auto body = parseJson(stored->body).value();
  EXPECT_EQ(body.at("riposte").at("threatIntel").at("malicious").as_array().size(), 1u);
  auto listed = engine_->store()
                    .getEvent(std::string(finding("198.51.100.9", "listed").at("id").as_string()))
                    .value();
  ASSERT_TRUE(listed);
  EXPECT_EQ(parseJson(listed->body).value().as_object().count("riposte"), 0u);
}

TEST_F(ThreatIntelEngineTest, ATrustedAddressIsNeverBlockedWhateverThePlaybookSays) {
  // 203.0.113.7 is in both lists: the rule fires on the malicious one, the playbook asks to
  // block it, and the trusted list refuses.
  open(config(
      R"({"source":["aws.guardduty"],"riposte":{"threatIntel":{"malicious":["tor-exits"]}}})",
      kBlockPlaybook));
  send(finding("203.0.113.7", "both"));
  ASSERT_TRUE(engine_->drain());
  EXPECT_EQ(block_calls_, 0);
  auto x = executionOf("i-both");
  ASSERT_EQ(x.status, "SUCCEEDED") << x.error << " " << x.cause;  // caught by the playbook
  auto out = parseJson(x.output).value();
  EXPECT_EQ(out.at("outcome").as_string(), "trusted");
  EXPECT_EQ(out.at("refused").at("Error").as_string(), "ResourceProtected");
  EXPECT_NE(std::string(out.at("refused").at("Cause").as_string())
                .find("203.0.113.7 is in the trusted list corp-egress"),
            std::string::npos)
      << out;
  EXPECT_EQ(json::serialize(parseJson(x.input).value().at("riposte").at("threatIntel")),
            R"({"malicious":["tor-exits"],"trusted":["corp-egress"]})");

  // The refusal is on the timeline and in the audit log.
  auto acts = engine_->store().actionsForIncident(x.incident_id).value();
  ASSERT_EQ(acts.size(), 1u);
  EXPECT_EQ(acts[0].status, "failed");
  EXPECT_EQ(acts[0].error_code, "ResourceProtected");
  auto audit = engine_->store().readAudit(0, 1000).value();
  bool audited = false;
  for (const auto& a : audit) {
    if (a.kind == "action.finished" && a.json.find("ResourceProtected") != std::string::npos)
      audited = true;
  }
  EXPECT_TRUE(audited);
  EXPECT_NE(
      engine_->renderMetrics().find(
          R"(riposte_threat_trusted_refusals_total{action="aws.ec2.blockIp",code="ResourceProtected"} 1)"),
      std::string::npos);
}

TEST_F(ThreatIntelEngineTest, NothingIsBlockedWhileATrustedListCannotBeRead) {
  fs::remove(dir_ / "lists/corp.txt");
  open(config(
      R"({"source":["aws.guardduty"],"riposte":{"threatIntel":{"malicious":["tor-exits"]}}})",
      kBlockPlaybook));
  send(finding("198.51.100.20", "unread"));
  ASSERT_TRUE(engine_->drain());
  EXPECT_EQ(block_calls_, 0);
  auto x = executionOf("i-unread");
  EXPECT_EQ(x.status, "FAILED");
  EXPECT_EQ(x.error, "riposte.TrustedListUnavailable");
  EXPECT_NE(x.cause.find("corp-egress could not be read yet"), std::string::npos) << x.cause;

  // Once it can be read (its retry is due a minute later), blocking works again.
  write("lists/corp.txt", "203.0.113.7\n");
  clock_.advance(std::chrono::minutes(1));
  engine_->threatFeeds().refresh();
  send(finding("198.51.100.21", "readable"));
  ASSERT_TRUE(engine_->drain());
  EXPECT_EQ(block_calls_, 1);
  EXPECT_EQ(executionOf("i-readable").status, "SUCCEEDED");
}

// Direct AWS calls that deny addresses (actions::blockingSdkCalls()), and a block wider than
// a trusted address, each caught and recorded in the output.
constexpr const char* kDirectPlaybook = R"({"StartAt":"Wide","States":{
  "Wide":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:ec2:createNetworkAclEntry",
    "Parameters":{"NetworkAclId":"acl-1","RuleNumber":90,"Protocol":"-1","RuleAction":"deny",
      "Egress":false,"CidrBlock":"203.0.0.0/16"},
    "Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.wide","Next":"Narrow"}],"Next":"Narrow"},
  "Narrow":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:ec2:replaceNetworkAclEntry",
    "Parameters":{"NetworkAclId":"acl-1","RuleNumber":91,"Protocol":"-1","RuleAction":"deny",
      "Egress":true,"CidrBlock":"203.0.113.7/32"},
    "Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.narrow","Next":"Allow"}],"Next":"Allow"},
  "Allow":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:ec2:createNetworkAclEntry",
    "Parameters":{"NetworkAclId":"acl-1","RuleNumber":92,"Protocol":"-1","RuleAction":"allow",
      "Egress":false,"CidrBlock":"203.0.0.0/16"},
    "Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.allow","Next":"Other"}],"Next":"Other"},
  "Other":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:ec2:createNetworkAclEntry",
    "Parameters":{"NetworkAclId":"acl-1","RuleNumber":93,"Protocol":"-1","RuleAction":"deny",
      "Egress":false,"CidrBlock":"192.0.2.0/24"},
    "Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.other","Next":"BuiltinWide"}],
    "Next":"BuiltinWide"},
  "BuiltinWide":{"Type":"Task","Resource":"riposte:aws.ec2.blockIp",
    "Parameters":{"ip":"203.0.113.0/24"},"ResultPath":"$.builtinResult",
    "Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.builtin","Next":"Done"}],"Next":"Done"},
  "Done":{"Type":"Succeed"}}})";

TEST_F(ThreatIntelEngineTest, DirectCallsAndWideBlocksThatOverlapATrustedAddressAreRefused) {
  open(config(R"({"source":["aws.guardduty"]})", kDirectPlaybook));
  send(finding("192.0.2.99", "direct"));
  ASSERT_TRUE(engine_->drain());
  auto x = executionOf("i-direct");
  ASSERT_EQ(x.status, "SUCCEEDED") << x.error << " " << x.cause;
  auto out = parseJson(x.output).value();
  auto error = [&](const char* state) {
    const json::object& o = out.as_object();
    return o.contains(state) ? std::string(o.at(state).at("Error").as_string()) : std::string();
  };
  auto cause = [&](const char* state) {
    return std::string(out.at(state).at("Cause").as_string());
  };
  // Blocking 203.0.0.0/16 would block 203.0.113.7, which corp-egress trusts.
  EXPECT_EQ(error("wide"), "ResourceProtected");
  EXPECT_NE(cause("wide").find("203.0.0.0/16 overlaps the trusted list corp-egress"),
            std::string::npos)
      << cause("wide");
  EXPECT_EQ(error("narrow"), "ResourceProtected");
  EXPECT_NE(cause("narrow").find("203.0.113.7 is in the trusted list corp-egress"),
            std::string::npos)
      << cause("narrow");
  // An allow entry and a deny of an untrusted range are not refused (they reach the call,
  // which fails here for want of an AWS client).
  EXPECT_NE(error("allow"), "ResourceProtected");
  EXPECT_FALSE(error("allow").empty());
  EXPECT_NE(error("other"), "ResourceProtected");
  EXPECT_FALSE(error("other").empty());
  // A built-in asked to block a range around a trusted address is refused too.
  EXPECT_EQ(error("builtin"), "ResourceProtected");
  EXPECT_NE(cause("builtin").find("203.0.113.0/24 overlaps the trusted list corp-egress"),
            std::string::npos)
      << cause("builtin");
  EXPECT_EQ(block_calls_, 0);

  // Recorded and counted like the built-ins' refusals.
  auto acts = engine_->store().actionsForIncident(x.incident_id).value();
  ASSERT_EQ(acts.size(), 5u);
  EXPECT_EQ(acts[0].action, "arn:aws:states:::aws-sdk:ec2:createNetworkAclEntry");
  EXPECT_EQ(acts[0].status, "failed");
  EXPECT_EQ(acts[0].error_code, "ResourceProtected");
  const auto metrics = engine_->renderMetrics();
  EXPECT_NE(
      metrics.find(
          R"(riposte_threat_trusted_refusals_total{action="arn:aws:states:::aws-sdk:ec2:createNetworkAclEntry",code="ResourceProtected"} 1)"),
      std::string::npos)
      << metrics;
  EXPECT_NE(
      metrics.find(
          R"(riposte_threat_trusted_refusals_total{action="arn:aws:states:::aws-sdk:ec2:replaceNetworkAclEntry",code="ResourceProtected"} 1)"),
      std::string::npos);
}

TEST_F(ThreatIntelEngineTest, DirectDenyEntriesWaitForAnUnreadTrustedList) {
  fs::remove(dir_ / "lists/corp.txt");
  open(config(R"({"source":["aws.guardduty"]})", kDirectPlaybook));
  send(finding("192.0.2.98", "unread-direct"));
  ASSERT_TRUE(engine_->drain());
  auto x = executionOf("i-unread-direct");
  ASSERT_EQ(x.status, "SUCCEEDED") << x.error << " " << x.cause;
  auto out = parseJson(x.output).value();
  for (const char* state : {"wide", "narrow", "other", "builtin"}) {
    EXPECT_EQ(out.at(state).at("Error").as_string(), "riposte.TrustedListUnavailable") << state;
  }
  EXPECT_NE(std::string(out.at("other").at("Cause").as_string()).find("192.0.2.0/24"),
            std::string::npos);
  // An allow entry blocks nothing: it is not held back.
  EXPECT_NE(out.at("allow").at("Error").as_string(), "riposte.TrustedListUnavailable");
}

TEST_F(ThreatIntelEngineTest, AReloadReadsNewListsBeforeTheNewRulesMatch) {
  Config c =
      config(R"({"source":["aws.guardduty"],"riposte":{"threatIntel":{"malicious":["c2"]}}})",
             kBlockPlaybook);
  open(c);
  send(finding("192.0.2.50", "before"));
  ASSERT_TRUE(engine_->drain());
  EXPECT_TRUE(incidents().empty());
  write("lists/c2.txt", "192.0.2.0/24\n");
  policy::ThreatListConfig c2;
  c2.name = "c2";
  c2.source = *policy::parseListSource("lists/c2.txt");
  c.threat_intel.lists.push_back(c2);
  ASSERT_TRUE(engine_->reload(c));
  send(finding("192.0.2.51", "after"));
  ASSERT_TRUE(engine_->drain());
  ASSERT_EQ(incidents().size(), 1u);
  EXPECT_EQ(incidents()[0].resource_id, "i-after");
}

TEST_F(ThreatIntelEngineTest, ThePolicyViewShowsEachListsSizeAgeAndLastFetch) {
  fs::remove(dir_ / "lists/corp.txt");
  open(config(R"({"source":["aws.guardduty"]})", kBlockPlaybook));
  clock_.advance(std::chrono::seconds(90));
  auto v = engine_->policyView();
  ASSERT_TRUE(v) << v.error().str();
  const auto& lists = v->at("threatIntel").at("lists").as_array();
  ASSERT_EQ(lists.size(), 2u);
  EXPECT_EQ(lists[0].at("name").as_string(), "tor-exits");
  EXPECT_EQ(lists[0].at("entries").as_uint64(), 2u);
  EXPECT_EQ(lists[0].at("ageSeconds").as_int64(), 90);
  EXPECT_EQ(lists[0].at("lastResult").as_string(), "ok");
  EXPECT_EQ(lists[0].at("loaded").as_bool(), true);
  EXPECT_EQ(lists[1].at("name").as_string(), "corp-egress");
  EXPECT_EQ(lists[1].at("loaded").as_bool(), false);
  EXPECT_EQ(lists[1].at("lastResult").as_string(), "failed");
  EXPECT_TRUE(lists[1].at("ageSeconds").is_null());
  EXPECT_NE(std::string(lists[1].at("lastError").as_string()).find("cannot read"),
            std::string::npos);
  EXPECT_TRUE(v->at("threatIntel").at("publish").is_null());
  const auto metrics = engine_->renderMetrics();
  EXPECT_NE(metrics.find(R"(riposte_threat_list_age_seconds{list="tor-exits"} 90)"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find(R"(riposte_threat_list_loaded{list="corp-egress"} 0)"), std::string::npos)
      << metrics;
}

}  // namespace
}  // namespace riposte::engine
