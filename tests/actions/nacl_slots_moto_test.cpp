// blockIp's managed rule-number range against moto: allocation inside the range, the record of
// riposte's entries on the ACL, eviction of the least recently used riposte entry (never
// another's), the WAF fallback when the range is full, and allocation under concurrency.
#include <gtest/gtest.h>

#include <thread>

#include "actions/registry.h"
#include "core/clock.h"
#include "support/aws_fixtures.h"
#include "support/moto_server.h"

namespace riposte::actions {
namespace {

using riposte::testing::AwsFixtures;
using riposte::testing::Ec2Env;

class NaclSlotsTest : public riposte::testing::MotoTest {
 protected:
  void SetUp() override {
    MotoTest::SetUp();
    if (HasFatalFailure()) return;
    fx_ = std::make_unique<AwsFixtures>(client());
    env_ = fx_->makeEc2Env();
    acl_id_ = std::string(fx_->naclOfSubnet(env_.subnet_id).at("networkAclId").as_string());
    ctx_.incident_id = "inc-slots";
    ctx_.region = "us-east-1";
    ctx_.aws = &client();
    ctx_.clock = &clock_;
  }
  Result<ActionOutcome> block(const std::string& ip, json::object extra = {}) {
    json::object in{{"subnetId", env_.subnet_id},
                    {"ip", ip},
                    {"ruleRange", json::object{{"first", 10}, {"last", 12}}},
                    {"ttlSeconds", 60}};
    for (auto& [k, v] : extra) in[k] = v;
    return Registry::builtins().find("aws.ec2.blockIp")->run(in, ctx_);
  }
  // Ingress rule number → CIDR.
  std::map<int, std::string> ingress() {
    std::map<int, std::string> out;
    json::value acl = fx_->naclOfSubnet(env_.subnet_id);
    for (const auto& e : acl.at("entrySet").as_array()) {
      if (e.at("egress") == "true") continue;
      int n = std::stoi(std::string(e.at("ruleNumber").as_string()));
      if (n < 32767) out[n] = std::string(e.at("cidrBlock").as_string());
    }
    return out;
  }
  std::map<std::string, std::string> aclTags() {
    std::map<std::string, std::string> out;
    json::value acl = fx_->naclOfSubnet(env_.subnet_id);
    if (auto* t = acl.as_object().if_contains("tagSet"); t && t->is_array()) {
      for (const auto& x : t->as_array())
        out[std::string(x.at("key").as_string())] = std::string(x.at("value").as_string());
    }
    return out;
  }
  void foreignDeny(int n, const std::string& cidr) {
    fx_->query("ec2", "CreateNetworkAclEntry",
               {{"NetworkAclId", acl_id_},
                {"RuleNumber", std::to_string(n)},
                {"Protocol", "-1"},
                {"RuleAction", "deny"},
                {"Egress", "false"},
                {"CidrBlock", cidr}});
  }

  std::unique_ptr<AwsFixtures> fx_;
  Ec2Env env_;
  std::string acl_id_;
  ManualClock clock_;
  ActionContext ctx_;
};

TEST_F(NaclSlotsTest, AllocatesInsideTheRangeAndRecordsEachEntry) {
  foreignDeny(10, "192.0.2.10/32");  // someone else's entry inside the range: skipped
  auto a = block("198.51.100.1");
  ASSERT_TRUE(a) << a.error().str();
  EXPECT_EQ(a->output.at("ruleNumber").as_int64(), 11);
  EXPECT_EQ(a->output.at("ruleRange"), (json::object{{"first", 10}, {"last", 12}}));
  auto tags = aclTags();
  ASSERT_TRUE(tags.count("riposte:nacl-rule:11"));
  EXPECT_EQ(tags["riposte:nacl-rule:11"].rfind("198.51.100.1/32 1700000000", 0), 0u)
      << tags["riposte:nacl-rule:11"];
  EXPECT_NE(tags["riposte:nacl-rule:11"].find("inc-slots"), std::string::npos);
  EXPECT_FALSE(tags.count("riposte:nacl-rule:10"));
  // Idempotent: the same address again changes nothing.
  auto again = block("198.51.100.1");
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->changed);
  // The undo removes the entry and its record, nothing else.
  auto un =
      Registry::builtins().find("aws.ec2.unblockIp")->run(undoInput(a->output, a->before), ctx_);
  ASSERT_TRUE(un) << un.error().str();
  EXPECT_EQ(ingress().count(11), 0u);
  EXPECT_EQ(ingress().at(10), "192.0.2.10/32");
  EXPECT_FALSE(aclTags().count("riposte:nacl-rule:11"));
}

TEST_F(NaclSlotsTest, FullRangeEvictsTheUnusedRiposteEntryNeverAnothers) {
  foreignDeny(10, "192.0.2.10/32");
  ASSERT_TRUE(block("198.51.100.1"));  // → 11 at t0
  clock_.advance(std::chrono::seconds(30));
  ASSERT_TRUE(block("198.51.100.2"));  // → 12 at t0+30
  // A tag that names another address than the entry does not make the entry riposte's.
  fx_->query("ec2", "CreateTags",
             {{"ResourceId.1", acl_id_},
              {"Tag.1.Key", "riposte:nacl-rule:10"},
              {"Tag.1.Value", "192.0.2.99/32 1 inc-forged"}});
  ASSERT_EQ(ingress().size(), 4u);  // with the default allow at 100

  // Range full, both riposte entries younger than the TTL (60 s): refused, never a silent skip.
  clock_.advance(std::chrono::seconds(20));
  auto young = block("198.51.100.3");
  ASSERT_FALSE(young);
  EXPECT_EQ(young.error().code, "NetworkAclFull");
  EXPECT_NE(young.error().message.find("10-12"), std::string::npos) << young.error().message;

  // Past the TTL of the first: it is evicted (the oldest), the foreign entry at 10 stays.
  clock_.advance(std::chrono::seconds(20));  // t0+70: 11 is 70 s old, 12 is 40 s old
  auto c = block("198.51.100.3");
  ASSERT_TRUE(c) << c.error().str();
  EXPECT_EQ(c->output.at("ruleNumber").as_int64(), 11);
  EXPECT_EQ(c->output.at("evicted").at("cidr"), "198.51.100.1/32");
  EXPECT_EQ(c->output.at("evicted").at("incidentId"), "inc-slots");
  auto now = ingress();
  EXPECT_EQ(now.at(10), "192.0.2.10/32");
  EXPECT_EQ(now.at(11), "198.51.100.3/32");
  EXPECT_EQ(now.at(12), "198.51.100.2/32");
  EXPECT_EQ(aclTags()["riposte:nacl-rule:11"].rfind("198.51.100.3/32 ", 0), 0u);
  // The evicted incident's undo finds nothing of its own any more and deletes nothing.
  auto un = Registry::builtins()
                .find("aws.ec2.unblockIp")
                ->run(
                    json::object{
                        {"networkAclId", acl_id_}, {"ruleNumber", 11}, {"cidr", "198.51.100.1/32"}},
                    ctx_);
  ASSERT_TRUE(un);
  EXPECT_FALSE(un->changed);
  EXPECT_EQ(ingress().at(11), "198.51.100.3/32");
}

TEST_F(NaclSlotsTest, EvictionTakesTheLeastRecentlyUsedEntryNotTheOldest) {
  const json::object range{{"ruleRange", json::object{{"first", 10}, {"last", 13}}}};
  // Someone else's entry at 13, with a forged, ancient record naming another address: never
  // riposte's, never evicted, however "unused" its tag claims it is.
  foreignDeny(13, "192.0.2.13/32");
  fx_->query("ec2", "CreateTags",
             {{"ResourceId.1", acl_id_},
              {"Tag.1.Key", "riposte:nacl-rule:13"},
              {"Tag.1.Value", "192.0.2.99/32 1 1 inc-forged"}});
  const int64_t t0 = clock_.nowMillis() / 1000;
  ASSERT_TRUE(block("198.51.100.1", range));  // → 10 at t0
  clock_.advance(std::chrono::seconds(10));
  ASSERT_TRUE(block("198.51.100.2", range));  // → 11 at t0+10
  clock_.advance(std::chrono::seconds(10));
  ASSERT_TRUE(block("198.51.100.3", range));  // → 12 at t0+20
  EXPECT_EQ(aclTags()["riposte:nacl-rule:10"],
            "198.51.100.1/32 " + std::to_string(t0) + " " + std::to_string(t0) + " inc-slots");

  // t0+70: a new finding about .1 blocks it again: nothing changes in the ACL, but its last
  // use is now.
  clock_.advance(std::chrono::seconds(50));
  ctx_.incident_id = "inc-second";
  auto again = block("198.51.100.1", range);
  ASSERT_TRUE(again) << again.error().str();
  EXPECT_FALSE(again->changed);
  EXPECT_EQ(again->output.at("ruleNumber").as_int64(), 10);
  EXPECT_TRUE(again->output.as_object().contains("lastUsedAt")) << toJson(again->output);
  EXPECT_NE(again->summary.find("last use recorded"), std::string::npos) << again->summary;
  // Created by the first incident, used last at t0+70.
  EXPECT_EQ(aclTags()["riposte:nacl-rule:10"],
            "198.51.100.1/32 " + std::to_string(t0) + " " + std::to_string(t0 + 70) + " inc-slots");

  // t0+90: the range is full. By creation .1 (t0) would go; by last use it is the freshest
  // (20 s, under the 60 s TTL), and .2 (unused for 80 s) is the least recently used.
  clock_.advance(std::chrono::seconds(20));
  auto d = block("198.51.100.4", range);
  ASSERT_TRUE(d) << d.error().str();
  EXPECT_EQ(d->output.at("ruleNumber").as_int64(), 11);
  EXPECT_EQ(d->output.at("evicted").at("cidr"), "198.51.100.2/32");
  EXPECT_EQ(d->output.at("evicted").at("lastUsedAt").as_string(),
            formatIso8601Millis((t0 + 10) * 1000, false));
  EXPECT_NE(d->summary.find("least recently used"), std::string::npos) << d->summary;
  auto now = ingress();
  EXPECT_EQ(now.at(10), "198.51.100.1/32");
  EXPECT_EQ(now.at(11), "198.51.100.4/32");
  EXPECT_EQ(now.at(12), "198.51.100.3/32");
  EXPECT_EQ(now.at(13), "192.0.2.13/32");

  // t0+100: full again; .3 (unused since t0+20) goes next, still not the foreign entry.
  clock_.advance(std::chrono::seconds(10));
  auto e = block("198.51.100.5", range);
  ASSERT_TRUE(e) << e.error().str();
  EXPECT_EQ(e->output.at("evicted").at("cidr"), "198.51.100.3/32");
  EXPECT_EQ(ingress().at(13), "192.0.2.13/32");

  // Dry run: a repeat block plans, and records no use.
  ctx_.dry_run = true;
  clock_.advance(std::chrono::seconds(10));
  const std::string before = aclTags()["riposte:nacl-rule:10"];
  auto dry = block("198.51.100.1", range);
  ASSERT_TRUE(dry);
  EXPECT_EQ(aclTags()["riposte:nacl-rule:10"], before);
}

TEST_F(NaclSlotsTest, RecordsWithoutALastUseCountAsUsedWhenCreated) {
  // The record format before the last use was kept: "<cidr> <created> <incident>".
  foreignDeny(10, "198.51.100.1/32");
  const int64_t t0 = clock_.nowMillis() / 1000;
  fx_->query("ec2", "CreateTags",
             {{"ResourceId.1", acl_id_},
              {"Tag.1.Key", "riposte:nacl-rule:10"},
              {"Tag.1.Value", "198.51.100.1/32 " + std::to_string(t0 - 100) + " inc-old"}});
  ASSERT_TRUE(block("198.51.100.2"));  // → 11
  ASSERT_TRUE(block("198.51.100.3"));  // → 12
  auto r = block("198.51.100.4");      // full: the old record (used 100 s ago) is evictable
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(r->output.at("ruleNumber").as_int64(), 10);
  EXPECT_EQ(r->output.at("evicted").at("incidentId"), "inc-old");
  EXPECT_EQ(r->output.at("evicted").at("lastUsedAt").as_string(),
            formatIso8601Millis((t0 - 100) * 1000, false));
}

TEST_F(NaclSlotsTest, FullRangeFallsBackToTheWafIpSet) {
  aws::Call c{.service = "wafv2",
              .region = "us-east-1",
              .action = "AWSWAF_20190729.CreateIPSet",
              .body = {{"Name", "riposte-blocklist"},
                       {"Scope", "REGIONAL"},
                       {"IPAddressVersion", "IPV4"},
                       {"Addresses", json::array{}}}};
  ASSERT_TRUE(client().jsonRpc(c));
  for (int n : {10, 11, 12}) foreignDeny(n, "192.0.2." + std::to_string(n) + "/32");
  auto r = block("198.51.100.9", {{"wafIpSetName", "riposte-blocklist"}});
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(r->output.at("fallback"), "wafv2");
  EXPECT_EQ(ingress().size(), 4u);  // 10-12 and the default allow: nothing touched
  EXPECT_EQ(ingress().count(13), 0u);
  aws::Call list{.service = "wafv2",
                 .region = "us-east-1",
                 .action = "AWSWAF_20190729.ListIPSets",
                 .body = {{"Scope", "REGIONAL"}}};
  auto sets = client().jsonRpc(list);
  ASSERT_TRUE(sets);
  aws::Call get{.service = "wafv2",
                .region = "us-east-1",
                .action = "AWSWAF_20190729.GetIPSet",
                .body = {{"Name", "riposte-blocklist"},
                         {"Scope", "REGIONAL"},
                         {"Id", sets->at("IPSets").as_array()[0].at("Id")}}};
  auto set = client().jsonRpc(get);
  ASSERT_TRUE(set);
  EXPECT_EQ(set->at("IPSet").at("Addresses"), json::array{"198.51.100.9/32"});
}

TEST_F(NaclSlotsTest, ConcurrentBlocksGetDistinctSlotsInTheRange) {
  constexpr int kThreads = 6;
  std::vector<Result<ActionOutcome>> results(kThreads, fail("NotRun", ""));
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      ActionContext ctx = ctx_;
      json::object in{{"subnetId", env_.subnet_id},
                      {"ip", "203.0.113." + std::to_string(i + 1)},
                      {"ruleRange", json::object{{"first", 20}, {"last", 25}}}};
      results[i] = Registry::builtins().find("aws.ec2.blockIp")->run(in, ctx);
    });
  }
  for (auto& t : threads) t.join();
  std::set<int64_t> numbers;
  for (int i = 0; i < kThreads; ++i) {
    ASSERT_TRUE(results[i]) << i << ": " << results[i].error().str();
    numbers.insert(results[i]->output.at("ruleNumber").as_int64());
  }
  EXPECT_EQ(numbers, (std::set<int64_t>{20, 21, 22, 23, 24, 25}));
  auto now = ingress();
  auto tags = aclTags();
  for (int n = 20; n <= 25; ++n) {
    ASSERT_TRUE(now.count(n)) << n;
    EXPECT_EQ(tags["riposte:nacl-rule:" + std::to_string(n)].rfind(now[n] + " ", 0), 0u) << n;
  }
}

TEST_F(NaclSlotsTest, BadRangeIsRejected) {
  auto r = Registry::builtins()
               .find("aws.ec2.blockIp")
               ->run(json::object{{"subnetId", env_.subnet_id},
                                  {"ip", "198.51.100.1"},
                                  {"ruleRange", json::object{{"first", 12}, {"last", 10}}}},
                     ctx_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "InvalidInput");
  EXPECT_TRUE(ingress().size() == 1u);  // only the default allow at 100
}

}  // namespace
}  // namespace riposte::actions
