// The STS-backed credential sources against moto: web identity (EKS IRSA) from the
// environment and from a profile, and profiles that assume a role (source_profile, role
// chaining, a profile that is its own source, credential_source). moto answers
// AssumeRoleWithWebIdentity unsigned (it routes it by its Action) and GetCallerIdentity with
// the assumed role's account.
#include <gtest/gtest.h>

#include "aws/credential_chain.h"
#include "aws/credentials_env.h"
#include "aws/sts.h"
#include "support/http_recorder.h"
#include "support/moto_server.h"

namespace riposte::aws {
namespace {

int64_t realNowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

RetryPolicy twoAttempts() {
  RetryPolicy p;
  p.max_attempts = 2;
  p.base_delay = std::chrono::milliseconds(20);
  return p;
}

class StsCredentialsTest : public riposte::testing::MotoTest {
 protected:
  void SetUp() override {
    MotoTest::SetUp();
    // Drops the test/test keys MotoTest puts in the environment (they would win the chain);
    // AWS_ENDPOINT_URL stays: every STS call goes to moto.
    env_ = std::make_unique<CredentialsEnv>(/*keep_endpoint=*/true);
    opts.clock = &clock;
    opts.retry.max_attempts = 2;
  }
  void TearDown() override { env_.reset(); }

  CredentialsEnv& env() { return *env_; }

  // GetCallerIdentity signed with `provider`'s credentials.
  Result<XmlDocument> whoAmI(std::shared_ptr<CredentialsProvider> provider) {
    Client c(std::move(provider), twoAttempts());
    const std::string ep = moto().endpoint();
    c.setEndpointResolver([ep](std::string_view, std::string_view) { return ep; });
    return c.query({.service = "sts", .region = "us-east-1", .action = "GetCallerIdentity"});
  }

  ManualClock clock{realNowMillis()};
  CredentialSourceOptions opts;
  std::unique_ptr<CredentialsEnv> env_;
};

TEST_F(StsCredentialsTest, WebIdentityFromTheEnvironmentAsEksIrsaSetsIt) {
  const std::string token = env().home.write("eks.amazonaws.com/serviceaccount/token",
                                             "eyJhbGciOiJSUzI1NiJ9.e30.first-token\n");
  env().env.set("AWS_WEB_IDENTITY_TOKEN_FILE", token);
  env().env.set("AWS_ROLE_ARN", "arn:aws:iam::222222222222:role/irsa-responder");
  env().env.set("AWS_ROLE_SESSION_NAME", "riposte-pod");
  env().env.set("AWS_REGION", "eu-west-1");
  auto p = resolveCredentialsChain(opts);
  ASSERT_TRUE(p) << p.error().str();
  EXPECT_EQ((*p)->describe(),
            "web identity (role arn:aws:iam::222222222222:role/irsa-responder, "
            "token file " +
                token + ", from AWS_WEB_IDENTITY_TOKEN_FILE)");
  auto first = (*p)->get();
  ASSERT_TRUE(first) << first.error().str();
  EXPECT_EQ(first->access_key_id.rfind("ASIA", 0), 0u);
  EXPECT_FALSE(first->session_token.empty());
  auto who = whoAmI(*p);
  ASSERT_TRUE(who) << who.error().str();
  EXPECT_EQ(who->text("GetCallerIdentityResult/Account"), "222222222222");
  EXPECT_EQ(who->text("GetCallerIdentityResult/Arn"),
            "arn:aws:sts::222222222222:assumed-role/irsa-responder/riposte-pod");

  // The token rotates; the credentials are assumed again, with the new token, before expiry.
  env().home.write("eks.amazonaws.com/serviceaccount/token", "eyJhbGciOiJSUzI1NiJ9.e30.second");
  clock.advance(std::chrono::minutes(50));
  EXPECT_EQ((*p)->get()->access_key_id, first->access_key_id);
  clock.advance(std::chrono::minutes(6));
  auto second = (*p)->get();
  ASSERT_TRUE(second) << second.error().str();
  EXPECT_NE(second->access_key_id, first->access_key_id);
}

TEST_F(StsCredentialsTest, WebIdentityWinsOverContainerCredentials) {
  riposte::testing::HttpRecorder agent;
  env().env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", agent.endpoint() + "/v1/credentials");
  env().env.set("AWS_WEB_IDENTITY_TOKEN_FILE", env().home.write("token", "jwt"));
  env().env.set("AWS_ROLE_ARN", "arn:aws:iam::222222222222:role/irsa");
  auto p = resolveCredentialsChain(opts);
  ASSERT_TRUE(p) << p.error().str();
  EXPECT_EQ((*p)->describe().rfind("web identity (", 0), 0u);
  EXPECT_TRUE(agent.requests().empty());
}

TEST_F(StsCredentialsTest, AnEmptyTokenFileIsAnError) {
  const std::string token = env().home.write("token", "\n");
  env().env.set("AWS_WEB_IDENTITY_TOKEN_FILE", token);
  env().env.set("AWS_ROLE_ARN", "arn:aws:iam::222222222222:role/irsa");
  auto p = resolveCredentialsChain(opts);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().message,
            "web identity (role arn:aws:iam::222222222222:role/irsa, token "
            "file " +
                token +
                ", from AWS_WEB_IDENTITY_TOKEN_FILE): the web identity "
                "token file " +
                token + " is empty");
}

TEST_F(StsCredentialsTest, ProfilesAssumeRolesFromSourceProfilesAndChain) {
  const std::string creds = env().home.write(
      ".aws/credentials", "[base]\naws_access_key_id = test\naws_secret_access_key = test\n");
  env().home.write(".aws/config",
                   "[profile responder]\nrole_arn = arn:aws:iam::333333333333:role/responder\n"
                   "source_profile = base\nrole_session_name = riposte-test\n"
                   "external_id = ext-1\nduration_seconds = 3600\n"
                   "[profile chained]\nrole_arn = arn:aws:iam::444444444444:role/second\n"
                   "source_profile = responder\nrole_session_name = second-hop\n");
  env().env.set("AWS_PROFILE", "responder");
  auto p = resolveCredentialsChain(opts);
  ASSERT_TRUE(p) << p.error().str();
  EXPECT_EQ((*p)->describe(),
            "profile \"responder\": role arn:aws:iam::333333333333:role/responder from profile "
            "\"base\" (static keys in " +
                creds + ")");
  auto who = whoAmI(*p);
  ASSERT_TRUE(who) << who.error().str();
  EXPECT_EQ(who->text("GetCallerIdentityResult/Arn"),
            "arn:aws:sts::333333333333:assumed-role/responder/riposte-test");

  env().env.set("AWS_PROFILE", "chained");
  auto chained = resolveCredentialsChain(opts);
  ASSERT_TRUE(chained) << chained.error().str();
  EXPECT_EQ((*chained)->describe(),
            "profile \"chained\": role arn:aws:iam::444444444444:role/second from profile "
            "\"responder\": role arn:aws:iam::333333333333:role/responder from profile \"base\" "
            "(static keys in " +
                creds + ")");
  auto who2 = whoAmI(*chained);
  ASSERT_TRUE(who2) << who2.error().str();
  EXPECT_EQ(who2->text("GetCallerIdentityResult/Arn"),
            "arn:aws:sts::444444444444:assumed-role/second/second-hop");
  const std::string key = (*chained)->get()->access_key_id;
  clock.advance(std::chrono::minutes(56));
  auto renewed = whoAmI(*chained);  // both hops assumed again
  ASSERT_TRUE(renewed) << renewed.error().str();
  EXPECT_EQ(renewed->text("GetCallerIdentityResult/Account"), "444444444444");
  EXPECT_NE((*chained)->get()->access_key_id, key);
}

TEST_F(StsCredentialsTest, AProfileMayBeItsOwnSourceOrTakeTheEnvironmentOrAWebIdentity) {
  env().home.write(".aws/config",
                   "[profile self]\nrole_arn = arn:aws:iam::555555555555:role/self\n"
                   "source_profile = self\naws_access_key_id = test\n"
                   "aws_secret_access_key = test\n"
                   "[profile envrole]\nrole_arn = arn:aws:iam::666666666666:role/env\n"
                   "credential_source = Environment\n"
                   "[profile irsa]\nrole_arn = arn:aws:iam::777777777777:role/irsa\n"
                   "web_identity_token_file = ~/token\nrole_session_name = from-profile\n");
  env().home.write("token", "jwt-from-profile");
  env().env.set("AWS_ACCESS_KEY_ID", "test");
  env().env.set("AWS_SECRET_ACCESS_KEY", "test");
  auto cfg = loadSharedConfig();
  ASSERT_TRUE(cfg) << cfg.error().str();
  for (auto [profile, account] :
       {std::pair{"self", "555555555555"}, {"envrole", "666666666666"}, {"irsa", "777777777777"}}) {
    auto p = profileCredentials(*cfg, profile, opts);
    ASSERT_TRUE(p) << profile << ": " << p.error().str();
    ASSERT_TRUE(*p) << profile;
    auto who = whoAmI(*p);
    ASSERT_TRUE(who) << profile << ": " << who.error().str();
    EXPECT_EQ(who->text("GetCallerIdentityResult/Account"), account) << profile;
  }
}

}  // namespace
}  // namespace riposte::aws
