// Every undo a document names is one release performs: for every action whose descriptor
// names an undo, the engine runs a playbook with it against moto, the incident is released,
// and AWS itself shows the state back as it was (the engine path: rule → incident → execution
// → action record → Engine::release → the undo's record). Every call both make is also checked
// against the policy `riposte iam-policy` generates for the playbook (support/iam_calls.h).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <set>

#include "engine/engine.h"
#include "runbook/iam_policy.h"
#include "sources/ingest.h"
#include "support/aws_fixtures.h"
#include "support/findings.h"
#include "support/iam_calls.h"
#include "support/moto_server.h"

namespace riposte::engine {
namespace {

namespace fs = std::filesystem;
using riposte::testing::AwsFixtures;

constexpr const char* kAccount = "123456789012";

json::value strings(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

// One undoable action: the Task's Parameters, and how AWS shows what it changes.
struct UndoCase {
  json::object parameters;
  std::function<json::value()> state;
  std::string note;  // what the state leaves out, and why (the descriptor says so too)
};

class ReleaseMotoTest : public riposte::testing::MotoTest {
 protected:
  void SetUp() override {
    MotoTest::SetUp();
    if (HasFatalFailure()) return;
    fx_ = std::make_unique<AwsFixtures>(client());
    dir_ = fs::temp_directory_path() / ("riposte-release-" + std::to_string(::getpid()));
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
  void TearDown() override { fs::remove_all(dir_); }

  // ----- AWS state, as reads show it

  json::value instanceState(const std::string& id) {
    json::value inst = fx_->describeInstance(id);
    json::object tags;
    for (const auto& [k, v] : fx_->instanceTags(id))
      if (k.rfind("riposte:", 0) == 0) tags[k] = v;
    json::object enis;
    for (auto [eni, groups] : fx_->eniGroupIds(id)) {
      std::sort(groups.begin(), groups.end());
      enis[eni] = strings(groups);
    }
    auto groups = fx_->instanceGroupIds(id);
    std::sort(groups.begin(), groups.end());
    return json::object{{"groups", strings(groups)},
                        {"interfaces", enis},
                        {"riposteTags", tags},
                        {"terminationProtection", fx_->terminationProtected(id)},
                        {"instanceProfile", fx_->associatedProfileArn(id)}};
  }

  std::string wafIpSet(const std::string& name) {
    aws::Call c{.service = "wafv2",
                .region = "us-east-1",
                .action = "AWSWAF_20190729.CreateIPSet",
                .body = {{"Name", name},
                         {"Scope", "REGIONAL"},
                         {"IPAddressVersion", "IPV4"},
                         {"Addresses", json::array{"192.0.2.1/32"}}}};
    auto r = client().jsonRpc(c);
    EXPECT_TRUE(r) << r.error().str();
    return r ? std::string(r->at("Summary").at("Id").as_string()) : "";
  }
  json::value wafAddresses(const std::string& name, const std::string& id) {
    aws::Call c{.service = "wafv2",
                .region = "us-east-1",
                .action = "AWSWAF_20190729.GetIPSet",
                .body = {{"Name", name}, {"Scope", "REGIONAL"}, {"Id", id}}};
    auto r = client().jsonRpc(c);
    EXPECT_TRUE(r) << r.error().str();
    std::vector<std::string> out;
    if (r)
      for (const auto& a : r->at("IPSet").at("Addresses").as_array())
        out.emplace_back(a.as_string());
    std::sort(out.begin(), out.end());
    return strings(out);
  }

  json::value userPolicies(const std::string& user) {
    auto r = fx_->query("iam", "ListUserPolicies", {{"UserName", user}});
    std::vector<std::string> names;
    const json::value* m = findPath(r, "ListUserPoliciesResult.PolicyNames");
    const json::value* members = m && m->is_object() ? m->as_object().if_contains("member") : m;
    if (members && members->is_string()) names.emplace_back(members->as_string());
    if (members && members->is_array())
      for (const auto& x : members->as_array()) names.emplace_back(x.as_string());
    std::sort(names.begin(), names.end());
    return strings(names);
  }

  // The ACTIVE Security Hub findings riposte imported (archived ones are kept by Security
  // Hub, so "back as it was" is: none active).
  json::value activeRiposteFindings() {
    std::vector<std::string> ids;
    for (const auto& f : fx_->getFindings()) {
      const std::string id = stringAt(f, "Id").value_or("");
      if (id.find(":riposte/incident/") != std::string::npos &&
          stringAt(f, "RecordState").value_or("") == "ACTIVE")
        ids.push_back(id);
    }
    std::sort(ids.begin(), ids.end());
    return strings(ids);
  }

  // ----- the case of each undoable action

  UndoCase caseFor(const std::string& action) {
    if (action == "aws.ec2.isolateInstance") {
      const std::string vpc = fx_->createVpc();
      const std::string subnet = fx_->createSubnet(vpc);
      const std::string profile = fx_->createInstanceProfile("isolate-profile");
      const std::string id = fx_->runInstance(
          subnet, {fx_->createSecurityGroup(vpc, "web"), fx_->createSecurityGroup(vpc, "app")}, {},
          profile);
      return {{{"instanceId", id}}, [this, id] { return instanceState(id); }, ""};
    }
    if (action == "aws.ec2.blockIp") {
      auto env = fx_->makeEc2Env();
      const std::string subnet = env.subnet_id;
      return {{{"instanceId", env.instance_id}, {"ip", "198.51.100.7"}},
              [this, subnet] { return fx_->naclOfSubnet(subnet).at("entrySet"); },
              ""};
    }
    if (action == "aws.wafv2.blockIp") {
      const std::string id = wafIpSet("release-blocklist");
      return {{{"ipSetName", "release-blocklist"}, {"ip", "198.51.100.7"}},
              [this, id] { return wafAddresses("release-blocklist", id); },
              ""};
    }
    if (action == "aws.iam.disableAccessKey") {
      const std::string user = fx_->createUser("erin");
      const std::string key = fx_->createAccessKey(user);
      return {{{"userName", user}, {"accessKeyId", key}},
              [this, user] {
                json::object o;
                for (const auto& [k, s] : fx_->accessKeyStatuses(user)) o[k] = s;
                return json::value(o);
              },
              ""};
    }
    if (action == "aws.iam.revokeSessions") {
      const std::string user = fx_->createUser("frank");
      return {{{"userName", user}}, [this, user] { return userPolicies(user); }, ""};
    }
    if (action == "aws.ec2.stopInstance") {
      auto env = fx_->makeEc2Env();
      const std::string id = env.instance_id;
      auto state = [this, id] {
        std::string s(fx_->describeInstance(id).at("instanceState").at("name").as_string());
        // moto reports a started instance "pending", then "running" on the next read.
        return json::value(s == "pending" ? "running" : s);
      };
      state();
      return {{{"instanceId", id}}, state, ""};
    }
    if (action == "aws.iam.suspendUser") {
      const std::string user = fx_->createUser("grace");
      fx_->query("iam", "CreateLoginProfile",
                 {{"UserName", user}, {"Password", "Sup3r-Secret!pw"}});
      return {{{"userName", user}},
              [this, user] { return userPolicies(user); },
              "the console password is deleted and not put back (an administrator sets it "
              "again), as the descriptor's undo note says"};
    }
    if (action == "aws.securityhub.importFindings") {
      fx_->enableSecurityHub();
      return {{{"incidentId.$", "$.riposte.incidentId"}, {"finding.$", "$.detail"}},
              [this] { return activeRiposteFindings(); },
              "Security Hub keeps the finding, archived: it cannot delete findings"};
    }
    return {};
  }

  std::unique_ptr<AwsFixtures> fx_;
  fs::path dir_;
  std::shared_ptr<riposte::testing::RecordingTransport> rec_;
  std::shared_ptr<aws::Client> engine_client_;
  ManualClock clock_{1'800'000'000'000};
  actions::Registry registry_ = actions::Registry::builtins();
};

TEST_F(ReleaseMotoTest, ReleaseUndoesEveryActionThatNamesAnUndo) {
  int n = 0, undoable = 0;
  for (const auto& name : registry_.names()) {
    const actions::Descriptor& d = registry_.find(name)->descriptor();
    if (d.undo.empty()) continue;
    ++undoable;
    SCOPED_TRACE(name + " (undone by " + d.undo + ")");
    ASSERT_TRUE(moto().reset());
    rec_->clear();
    UndoCase c = caseFor(name);
    ASSERT_TRUE(c.state) << name << " names an undo but this test has no case for it";
    if (name == "aws.iam.suspendUser") {
      EXPECT_NE(d.undo_note.find("password"), std::string::npos) << d.undo_note;
    }
    const json::value before = c.state();

    // A rule that fires on the finding, and a playbook of one Task: the action.
    Config cfg;
    cfg.store_url = "sqlite://" + (dir_ / ("r" + std::to_string(++n) + ".db")).string();
    Playbook pb;
    pb.name = "act";
    pb.definition =
        json::object{{"StartAt", "Act"},
                     {"States", json::object{{"Act", json::object{{"Type", "Task"},
                                                                  {"Resource", "riposte:" + name},
                                                                  {"Parameters", c.parameters},
                                                                  {"End", true}}}}}};
    pb.definition_json = toJson(pb.definition);
    cfg.playbooks["act"] = pb;
    Rule rule;
    rule.name = "any-finding";
    rule.playbook = "act";
    rule.pattern_json = R"({"source":["aws.guardduty"]})";
    cfg.rules = {rule};
    auto policy = runbook::iamPolicyFor(cfg, registry_);
    ASSERT_TRUE(policy) << policy.error().message;

    auto store = store::openStore(cfg.store_url);
    ASSERT_TRUE(store) << store.error().str();
    EngineOptions opt;
    opt.background = false;
    opt.worker_id = "release-test";
    Engine engine(cfg, std::move(*store), engine_client_, clock_, opt);
    ASSERT_TRUE(engine.start());
    riposte::testing::FindingSpec spec;
    spec.id = "finding-" + std::to_string(n);
    json::value event = riposte::testing::guardDutyEvent(spec);
    event.as_object()["id"] = "event-" + std::to_string(n);
    auto evs = sources::parseEventsBody(toJson(event), clock_);
    ASSERT_TRUE(evs) << evs.error().str();
    ASSERT_TRUE(engine.ingest(*evs, "test"));
    ASSERT_TRUE(engine.drain());

    auto incidents = engine.store().listIncidents(10, 0);
    ASSERT_TRUE(incidents && incidents->size() == 1u);
    const std::string incident = incidents->front().id;
    auto acts = engine.store().actionsForIncident(incident);
    ASSERT_TRUE(acts && acts->size() == 1u);
    ASSERT_EQ(acts->front().status, "succeeded")
        << acts->front().error_code << ": " << acts->front().error_message;
    const json::value during = c.state();
    EXPECT_NE(toJson(during), toJson(before)) << "the action changed nothing AWS shows";

    auto released = engine.release(incident);
    ASSERT_TRUE(released) << released.error().str();
    EXPECT_EQ(released->at("status"), "released") << toJson(*released);
    EXPECT_TRUE(released->at("failed").as_array().empty()) << toJson(*released);
    ASSERT_EQ(released->at("released").as_array().size(), 1u) << toJson(*released);
    EXPECT_EQ(released->at("released").as_array()[0].at("undo"), json::value(d.undo));
    EXPECT_EQ(toJson(c.state()), toJson(before))
        << "after release AWS shows " << toJson(c.state()) << ", before the action "
        << toJson(before) << (c.note.empty() ? "" : " (left out: " + c.note + ")");
    // The undo is recorded as an action of the incident and is itself never undone.
    auto after = engine.store().actionsForIncident(incident);
    ASSERT_TRUE(after);
    EXPECT_EQ(after->size(), 2u);
    auto again = engine.release(incident);
    ASSERT_TRUE(again);
    EXPECT_TRUE(again->at("released").as_array().empty()) << toJson(*again);

    // Every call of the action and of its undo is one the generated policy allows.
    auto apis =
        riposte::testing::expectEveryCallAllowed(rec_->requests(), policy->document, kAccount,
                                                 riposte::testing::motoIamLookup(*fx_, kAccount));
    EXPECT_FALSE(apis.empty());
    engine.stop();
  }
  EXPECT_GE(undoable, 8);
}

}  // namespace
}  // namespace riposte::engine
