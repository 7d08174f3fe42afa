// The policy `riposte iam-policy --config config/default` prints allows every AWS call the
// shipped playbooks and their release make, and nothing the issue calls an escalation path.
// The engine runs the playbooks against moto with a client that records each request; each
// request is turned into the IAM checks AWS makes for it (support/iam_calls.h: the operation's
// resource types from the Service Authorization Reference, with the ids of the request) and
// evaluated against the generated document with IAM's rules (support/iam_evaluator.h). moto
// does not implement `iam simulate-custom-policy` (no SimulateCustomPolicy in moto 5), so this
// is the equivalent check the issue asks for.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <set>

#include "asl/asl.h"
#include "engine/engine.h"
#include "pattern/pattern.h"
#include "runbook/iam_policy.h"
#include "sources/ingest.h"
#include "support/aws_fixtures.h"
#include "support/findings.h"
#include "support/iam_calls.h"
#include "support/moto_server.h"

namespace riposte::runbook {
namespace {

namespace fs = std::filesystem;
using riposte::testing::AwsFixtures;
using riposte::testing::IamDecision;

constexpr const char* kAccount = "123456789012";

engine::Checkers checkers(const actions::Registry& registry) {
  engine::Checkers c;
  c.known_resource = [&registry](std::string_view r) { return registry.find(r) != nullptr; };
  return c;
}

class ShippedPolicyMotoTest : public riposte::testing::MotoTest {
 protected:
  void SetUp() override {
    MotoTest::SetUp();
    if (HasFatalFailure()) return;
    fx_ = std::make_unique<AwsFixtures>(client());
    dir_ = fs::temp_directory_path() / ("riposte-policy-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    rec_ = std::make_shared<riposte::testing::RecordingTransport>(aws::makeCurlTransport());
    aws::RetryPolicy retry;
    retry.max_attempts = 2;
    retry.base_delay = std::chrono::milliseconds(20);
    engine_client_ =
        std::make_shared<aws::Client>(aws::Credentials{"test", "test", ""}, retry, rec_);
    const std::string ep = moto().endpoint();
    engine_client_->setEndpointResolver([ep](std::string_view, std::string_view) { return ep; });
  }
  void TearDown() override {
    engine_.reset();
    unsetenv("RIPOSTE_SNS_TOPIC_ARN");
    fs::remove_all(dir_);
  }

  engine::Config loadShipped(const std::string& topic) {
    setenv("RIPOSTE_SNS_TOPIC_ARN", topic.c_str(), 1);
    std::vector<engine::Problem> problems;
    auto cfg = engine::loadConfig(std::string(RIPOSTE_SOURCE_DIR) + "/config/default",
                                  checkers(registry_), problems);
    for (const auto& p : problems) ADD_FAILURE() << p.str();
    EXPECT_TRUE(cfg) << (cfg ? "" : cfg.error().message);
    return cfg ? *cfg : engine::Config{};
  }

  void startEngine(engine::Config cfg) {
    cfg.store_url = "sqlite://" + (dir_ / "r.db").string();
    auto store = store::openStore(cfg.store_url);
    ASSERT_TRUE(store) << store.error().str();
    engine::EngineOptions opt;
    opt.background = false;
    opt.worker_id = "policy-test";
    engine_ = std::make_unique<engine::Engine>(std::move(cfg), std::move(*store), engine_client_,
                                               clock_, opt);
    ASSERT_TRUE(engine_->start());
  }

  void send(json::value event, const std::string& id) {
    event.as_object()["id"] = id;
    auto evs = sources::parseEventsBody(toJson(event), clock_);
    ASSERT_TRUE(evs) << evs.error().str();
    ASSERT_TRUE(engine_->ingest(*evs, "test"));
  }

  // incident id → its status, for every incident.
  std::map<std::string, std::string> incidents() {
    std::map<std::string, std::string> out;
    auto list = engine_->store().listIncidents(100, 0);
    EXPECT_TRUE(list);
    if (list)
      for (const auto& i : *list) out[i.id] = i.status;
    return out;
  }

  riposte::testing::IamLookup lookup() { return riposte::testing::motoIamLookup(*fx_, kAccount); }

  std::unique_ptr<AwsFixtures> fx_;
  fs::path dir_;
  std::shared_ptr<riposte::testing::RecordingTransport> rec_;
  std::shared_ptr<aws::Client> engine_client_;
  ManualClock clock_{1'800'000'000'000};
  actions::Registry registry_ = actions::Registry::builtins();
  std::unique_ptr<engine::Engine> engine_;
};

TEST_F(ShippedPolicyMotoTest, EveryCallOfTheShippedPlaybooksAndTheirReleaseIsAllowed) {
  // An instance with an instance profile (release re-associates it: iam:PassRole), a user with
  // an access key, the alert topic and Security Hub.
  const std::string vpc = fx_->createVpc();
  const std::string subnet = fx_->createSubnet(vpc);
  const std::string web = fx_->createSecurityGroup(vpc, "web-sg");
  const std::string app = fx_->createSecurityGroup(vpc, "app-sg");
  const std::string profile = fx_->createInstanceProfile("web-profile");
  const std::string instance = fx_->runInstance(subnet, {web, app}, {}, profile);
  const std::string user = fx_->createUser("alice");
  const std::string key = fx_->createAccessKey(user);
  const std::string topic = fx_->createTopic("security-alerts");
  fx_->enableSecurityHub();

  engine::Config cfg = loadShipped(topic);
  auto policy = iamPolicyFor(cfg, registry_);
  ASSERT_TRUE(policy) << policy.error().message;
  startEngine(cfg);
  ASSERT_FALSE(HasFatalFailure());

  riposte::testing::FindingSpec high;
  high.instance_id = instance;
  high.severity = 8;
  json::value ec2_high = riposte::testing::guardDutyEvent(high);
  ec2_high.at("detail").at("resource").at("instanceDetails").as_object()["instanceState"] =
      "running";
  send(ec2_high, "ev-ec2-high");

  riposte::testing::FindingSpec key_spec;
  key_spec.type = "UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom";
  key_spec.id = "key-finding-1";
  json::value key_event = riposte::testing::guardDutyEvent(key_spec);
  key_event.at("detail").as_object()["resource"] =
      json::object{{"resourceType", "AccessKey"},
                   {"accessKeyDetails", json::object{{"accessKeyId", key},
                                                     {"principalId", "AIDAEXAMPLE"},
                                                     {"userName", user},
                                                     {"userType", "IAMUser"}}}};
  send(key_event, "ev-access-key");

  riposte::testing::FindingSpec medium;
  medium.instance_id = instance;
  medium.severity = 5;
  medium.id = "medium-finding-1";
  medium.type = "Recon:EC2/PortProbeUnprotectedPort";
  send(riposte::testing::guardDutyEvent(medium), "ev-ec2-medium");

  ASSERT_TRUE(engine_->drain());
  std::multiset<std::string> statuses;
  for (const auto& [id, status] : incidents()) statuses.insert(status);
  EXPECT_EQ(statuses, (std::multiset<std::string>{"contained", "contained", "notified"}));
  for (const auto& [id, status] : incidents()) {
    auto r = engine_->release(id);
    ASSERT_TRUE(r) << r.error().str();
    EXPECT_TRUE(r->at("failed").as_array().empty()) << toJson(*r);
  }
  EXPECT_EQ(fx_->associatedProfileArn(instance), profile);  // release re-associated it
  EXPECT_EQ(fx_->accessKeyStatuses(user)[key], "Active");

  const auto apis = riposte::testing::expectEveryCallAllowed(rec_->requests(), policy->document,
                                                             kAccount, lookup());
  // The calls that matter were made (and so checked).
  for (const char* api :
       {"ec2:ModifyNetworkInterfaceAttribute", "ec2:CreateSecurityGroup", "ec2:CreateSnapshot",
        "ec2:CreateNetworkAclEntry", "ec2:DisassociateIamInstanceProfile",
        "ec2:AssociateIamInstanceProfile", "ec2:DeleteNetworkAclEntry", "iam:UpdateAccessKey",
        "iam:PutUserPolicy", "iam:DeleteUserPolicy", "sns:Publish",
        "securityhub:BatchImportFindings", "securityhub:GetFindings"}) {
    EXPECT_TRUE(apis.count(api)) << api << " was not called";
  }

  // Without the undo permissions, release's calls are not allowed.
  auto no_undo = iamPolicyFor(cfg, registry_, /*include_undo=*/false);
  ASSERT_TRUE(no_undo);
  bool denied = false;
  for (const auto& r : rec_->requests()) {
    auto call = riposte::testing::authorizationOf(r, kAccount, lookup());
    if (!call || call->api != "ec2:AssociateIamInstanceProfile") continue;
    for (const auto& c : call->checks)
      denied |= riposte::testing::evaluateIam(no_undo->document, c) != IamDecision::kAllow;
  }
  EXPECT_TRUE(denied);
}

}  // namespace
}  // namespace riposte::runbook
