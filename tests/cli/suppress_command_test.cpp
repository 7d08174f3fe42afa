// cli/suppress_command.h: the flags of `riposte suppress` as the POST /v1/suppressions body
// (the command itself runs end to end in tests/integration/test_suppress.py).
#include "cli/suppress_command.h"

#include <gtest/gtest.h>

#include "engine/suppressions.h"
#include "store/store.h"

namespace riposte::cli {
namespace {

TEST(SuppressCommand, NamesDerivedFromATypeAreSuppressionNames) {
  EXPECT_EQ(nameForType("Recon:EC2/PortProbeUnprotectedPort"),
            "recon-ec2-portprobeunprotectedport");
  EXPECT_EQ(nameForType("Recon:EC2/*"), "recon-ec2-all");
  EXPECT_EQ(nameForType("Backdoor:EC2/C&CActivity.B!DNS"), "backdoor-ec2-c-cactivity.b-dns");
  std::string longest =
      nameForType("UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS");
  EXPECT_LE(longest.size(), 56u);
  EXPECT_TRUE(policy::checkSuppressionName(longest)) << longest;
}

TEST(SuppressCommand, ATypeBecomesAGuardDutyPatternAndTheFlagsAScope) {
  SuppressArgs a;
  a.types = {"Recon:EC2/Portscan", "Recon:IAMUser/*"};
  a.resources = {"i-0123456789abcdef0"};
  a.accounts = {"111122223333"};
  a.tags = {"Environment=pentest"};
  a.for_duration = "7d";
  a.reason = "pentest";
  a.name = "pentest";
  auto b = suppressionBody(a);
  ASSERT_TRUE(b) << b.error().str();
  EXPECT_EQ(json::serialize(b->at("match")),
            R"({"pattern":{"source":["aws.guardduty"],"detail":{"type":["Recon:EC2/Portscan",)"
            R"({"prefix":"Recon:IAMUser/"}]}},"scope":{"accounts":["111122223333"],)"
            R"("resource_ids":["i-0123456789abcdef0"],"tags":{"Environment":"pentest"}}})");
  EXPECT_EQ(b->at("expires"), "7d");
  EXPECT_FALSE(b->contains("owner"));

  // The body is what the API takes: the store keeps it the same way.
  auto store = store::openStore("sqlite::memory:");
  ASSERT_TRUE(store);
  engine::Config cfg;
  auto s = engine::createSuppression(**store, cfg, *b, "alice via cli", 1'000);
  ASSERT_TRUE(s) << s.error().str();
  EXPECT_EQ(s->owner, "alice via cli");
  EXPECT_EQ(*s->expires_ms, 1'000 + 7 * 86'400'000LL);
  EXPECT_EQ(s->scope.tags.size(), 1u);
}

TEST(SuppressCommand, MissingOrConflictingFlagsAreNamed) {
  SuppressArgs a;
  a.reason = "r";
  a.for_duration = "1d";
  auto e = suppressionBody(a);
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message.find("--type T"), std::string::npos);
  a.types = {"Recon:EC2/Portscan"};
  a.pattern = R"({"source":["x"]})";
  EXPECT_FALSE(suppressionBody(a));
  a.pattern.clear();
  a.for_duration.clear();
  e = suppressionBody(a);
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message.find("--no-expiry"), std::string::npos) << e.error().message;
  a.no_expiry = true;
  EXPECT_TRUE(suppressionBody(a));
  EXPECT_EQ(suppressionBody(a)->at("name"), "recon-ec2-portscan");
  EXPECT_FALSE(suppressionBody(a)->contains("expires"));
  a.until = "2027-01-01T00:00:00Z";
  EXPECT_FALSE(suppressionBody(a));  // two expiries
  a.until.clear();
  a.tags = {"novalue"};
  e = suppressionBody(a);
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message.find("--tag 'novalue'"), std::string::npos);
  a.tags.clear();
  a.types = {"Recon:EC2/Portscan", "Recon:EC2/Portscan2"};
  e = suppressionBody(a);
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message.find("--name"), std::string::npos);
  a.types.clear();
  a.pattern = "{not json";
  e = suppressionBody(a);
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message.find("--pattern is not JSON"), std::string::npos);
}

}  // namespace
}  // namespace riposte::cli
