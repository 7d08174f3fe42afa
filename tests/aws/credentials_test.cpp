// The credential providers and the chain, each source against what it reads: files written
// to a temporary HOME, processes, and loopback servers (support/http_recorder.h) that speak the
// documented protocols of IMDSv2, the ECS / EKS container endpoints and the SSO portal
// (moto has no SSO portal API). STS sources are tested against moto in sts_moto_test.cpp.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <future>
#include <map>
#include <thread>

#include "aws/client.h"
#include "aws/credential_chain.h"
#include "aws/credentials_env.h"
#include "core/log.h"
#include "support/http_recorder.h"

namespace riposte::aws {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;
using testing::HttpRecorder;
using testing::RecordedRequest;
using testing::ScriptedResponse;

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

RetryPolicy oneAttempt() {
  RetryPolicy p;
  p.max_attempts = 1;
  return p;
}

// ---------------------------------------------------------------------------------------------
// The refreshing cache

struct SourceState {
  std::chrono::milliseconds lifetime = minutes(60);
  std::atomic<int> calls{0}, active{0}, max_active{0};
  std::atomic<bool> fail_next{false};
  std::function<void(int)> gate;  // called with the call's number before it answers
};

// Hands out {AKIDn, SECRETn, TOKENn} for its n-th call (failed ones count), expiring
// `lifetime` after the fetch.
class CountingSource final : public CredentialsSource {
 public:
  CountingSource(std::shared_ptr<SourceState> s, const Clock& clock) : s_(s), clock_(clock) {}
  Result<ExpiringCredentials> fetch() override {
    const int active = ++s_->active;
    int seen = s_->max_active;
    while (active > seen && !s_->max_active.compare_exchange_weak(seen, active)) {
    }
    const int n = s_->calls + 1;
    if (s_->gate) s_->gate(n);
    ++s_->calls;
    --s_->active;
    if (s_->fail_next.exchange(false)) return fail("Throttling", "Rate exceeded");
    const std::string i = std::to_string(n);
    return ExpiringCredentials{{"AKID" + i, "SECRET" + i, "TOKEN" + i},
                               clock_.now() + s_->lifetime};
  }
  std::string describe() const override { return "test source"; }

 private:
  std::shared_ptr<SourceState> s_;
  const Clock& clock_;
};

struct RefreshTest : ::testing::Test {
  ManualClock clock;
  std::shared_ptr<SourceState> state = std::make_shared<SourceState>();
  RefreshingCredentialsProvider provider{std::make_unique<CountingSource>(state, clock), &clock};
};

TEST_F(RefreshTest, FetchesOnceWhileFresh) {
  for (int i = 0; i < 3; ++i) {
    auto c = provider.get();
    ASSERT_TRUE(c) << c.error().str();
    EXPECT_EQ(c->access_key_id, "AKID1");
  }
  clock.advance(minutes(54));  // 6 minutes left: still fresh
  EXPECT_EQ(provider.get()->access_key_id, "AKID1");
  EXPECT_EQ(provider.fetches(), 1);
  EXPECT_EQ(provider.describe(), "test source");
}

TEST_F(RefreshTest, RefreshesInThePrefetchWindow) {
  ASSERT_TRUE(provider.get());
  clock.advance(minutes(56));  // 4 minutes left
  auto c = provider.get();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->access_key_id, "AKID2");
  EXPECT_EQ(c->session_token, "TOKEN2");
  EXPECT_EQ(provider.fetches(), 2);
  EXPECT_EQ(*provider.expiration(), clock.now() + minutes(60));
}

TEST_F(RefreshTest, AFailedPrefetchKeepsTheCurrentSetAndRetriesLater) {
  ASSERT_TRUE(provider.get());
  clock.advance(minutes(56));
  state->fail_next = true;
  auto c = provider.get();
  ASSERT_TRUE(c) << c.error().str();
  EXPECT_EQ(c->access_key_id, "AKID1");  // still valid for 4 minutes
  EXPECT_EQ(provider.get()->access_key_id, "AKID1");
  EXPECT_EQ(provider.fetches(), 2);  // no new attempt within 30 s
  clock.advance(seconds(31));
  EXPECT_EQ(provider.get()->access_key_id, "AKID3");  // the third call's set
  EXPECT_EQ(provider.fetches(), 3);
}

TEST_F(RefreshTest, AFailedRefreshInTheStaleWindowIsAnError) {
  ASSERT_TRUE(provider.get());
  clock.advance(seconds(60 * 59 + 30));  // 30 s left
  state->fail_next = true;
  auto c = provider.get();
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, "Throttling");
  EXPECT_EQ(c.error().message, "test source: Rate exceeded");
  EXPECT_FALSE(contains(c.error().str(), "SECRET"));
  EXPECT_EQ(provider.get()->access_key_id, "AKID3");  // the next call fetches again
}

TEST_F(RefreshTest, CredentialsThatAlreadyExpiredAreRefused) {
  state->lifetime = std::chrono::milliseconds(-1000);
  auto c = provider.get();
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, "ExpiredCredentials");
  EXPECT_TRUE(contains(c.error().message, "test source: the credentials it returned expired at"));
}

TEST_F(RefreshTest, OneRefreshAtATimeWithTheCurrentSetServedMeanwhile) {
  ASSERT_EQ(provider.get()->access_key_id, "AKID1");
  // Prefetch window: the caller that fetches blocks; another caller is served the current set.
  clock.advance(minutes(56));
  std::promise<void> entered2, release2;
  std::shared_future<void> go2 = release2.get_future().share();
  std::promise<void> entered3, release3;
  std::shared_future<void> go3 = release3.get_future().share();
  state->gate = [&](int n) {
    if (n == 2) {
      entered2.set_value();
      go2.wait();
    }
    if (n == 3) {
      entered3.set_value();
      go3.wait();
    }
  };
  Result<Credentials> a = fail("", "");
  std::thread ta([&] { a = provider.get(); });
  entered2.get_future().wait();
  auto b = provider.get();  // does not wait for the fetch in flight
  ASSERT_TRUE(b);
  EXPECT_EQ(b->access_key_id, "AKID1");
  release2.set_value();
  ta.join();
  ASSERT_TRUE(a);
  EXPECT_EQ(a->access_key_id, "AKID2");

  // Stale window: every caller waits for the one fetch and gets the new set.
  clock.advance(seconds(60 * 59 + 30));
  Result<Credentials> c = fail("", ""), d = fail("", "");
  std::thread tc([&] { c = provider.get(); });
  entered3.get_future().wait();
  std::thread td([&] { d = provider.get(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // let td reach the wait
  release3.set_value();
  tc.join();
  td.join();
  ASSERT_TRUE(c);
  ASSERT_TRUE(d);
  EXPECT_EQ(c->access_key_id, "AKID3");
  EXPECT_EQ(d->access_key_id, "AKID3");
  EXPECT_EQ(state->calls, 3);
  EXPECT_EQ(state->max_active, 1);
}

TEST_F(RefreshTest, EverySetIsConsistentUnderConcurrentRefreshes) {
  state->lifetime = minutes(10);  // refreshed every few minutes of the simulated clock
  std::atomic<bool> stop{false};
  std::atomic<int> mixed{0}, errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      while (!stop) {
        auto c = provider.get();
        if (!c) {
          ++errors;
          continue;
        }
        const std::string n = c->access_key_id.substr(4);
        if (c->secret_access_key != "SECRET" + n || c->session_token != "TOKEN" + n) ++mixed;
      }
    });
  }
  for (int i = 0; i < 200; ++i) {
    clock.advance(seconds(30));
    ASSERT_TRUE(provider.get());
  }
  stop = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(mixed, 0);
  EXPECT_EQ(errors, 0);
  EXPECT_GT(state->calls, 10);
  EXPECT_EQ(state->max_active, 1);
}

// The client asks the provider for each request and signs with that one set.
TEST_F(RefreshTest, TheClientSignsEachRequestWithTheCurrentSet) {
  HttpRecorder rec;
  rec.respond(200, "<R/>", "text/xml");
  auto shared = std::make_shared<RefreshingCredentialsProvider>(
      std::make_unique<CountingSource>(state, clock), &clock);
  Client client(shared, oneAttempt());
  client.setClock(&clock);
  const std::string ep = rec.endpoint();
  client.setEndpointResolver([ep](std::string_view, std::string_view) { return ep; });
  ASSERT_TRUE(client.query({.service = "ec2", .region = "us-east-1", .action = "DescribeVpcs"}));
  clock.advance(minutes(56));
  ASSERT_TRUE(client.query({.service = "ec2", .region = "us-east-1", .action = "DescribeVpcs"}));
  auto reqs = rec.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_TRUE(contains(reqs[0].header("authorization"), "Credential=AKID1/"));
  EXPECT_EQ(reqs[0].header("x-amz-security-token"), "TOKEN1");
  EXPECT_TRUE(contains(reqs[1].header("authorization"), "Credential=AKID2/"));
  EXPECT_EQ(reqs[1].header("x-amz-security-token"), "TOKEN2");
}

TEST(ClientCredentials, UnsignedCallsNeedNoCredentialsAndSignedOnesFailWithout) {
  HttpRecorder rec;
  rec.respond(200, "<R/>", "text/xml");
  Client client(std::shared_ptr<CredentialsProvider>(), oneAttempt());
  const std::string ep = rec.endpoint();
  client.setEndpointResolver([ep](std::string_view, std::string_view) { return ep; });
  auto unsigned_call = client.query({.service = "sts",
                                     .region = "us-east-1",
                                     .action = "AssumeRoleWithWebIdentity",
                                     .sign = false});
  ASSERT_TRUE(unsigned_call) << unsigned_call.error().str();
  auto signed_call = client.query({.service = "ec2", .region = "us-east-1", .action = "X"});
  ASSERT_FALSE(signed_call);
  EXPECT_EQ(signed_call.error().code, "MissingCredentials");
  auto reqs = rec.requests();
  ASSERT_EQ(reqs.size(), 1u);  // the signed call was never sent
  EXPECT_FALSE(reqs[0].hasHeader("authorization"));
  EXPECT_FALSE(reqs[0].hasHeader("x-amz-date"));
}

// ---------------------------------------------------------------------------------------------
// Environment and shared-file profiles

struct ChainTest : ::testing::Test {
  CredentialsEnv env;
  ManualClock clock;
  CredentialSourceOptions opts;
  void SetUp() override {
    opts.clock = &clock;
    opts.retry.max_attempts = 1;
  }
  std::string write(const std::string& relative, const std::string& text) {
    return env.home.write(relative, text);
  }
};

TEST_F(ChainTest, Environment) {
  env.env.set("AWS_ACCESS_KEY_ID", "AKIAENV");
  env.env.set("AWS_SECRET_ACCESS_KEY", "env-secret");
  env.env.set("AWS_SESSION_TOKEN", "env-token");
  auto p = resolveCredentialsChain(opts);
  ASSERT_TRUE(p) << p.error().str();
  EXPECT_EQ((*p)->describe(), "environment (AWS_ACCESS_KEY_ID)");
  auto c = (*p)->get();
  EXPECT_EQ(c->access_key_id, "AKIAENV");
  EXPECT_EQ(c->secret_access_key, "env-secret");
  EXPECT_EQ(c->session_token, "env-token");
}

TEST_F(ChainTest, TheSourceIsLoggedNeverTheSecret) {
  setupLogging("info", "json");
  env.env.set("AWS_ACCESS_KEY_ID", "AKIAENV");
  env.env.set("AWS_SECRET_ACCESS_KEY", "env-secret-value");
  ::testing::internal::CaptureStderr();
  auto p = resolveCredentialsChain(opts);
  const std::string log = ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(p) << p.error().str();
  EXPECT_TRUE(contains(
      log, R"x("msg":"aws credentials resolved","source":"environment (AWS_ACCESS_KEY_ID)")x"))
      << log;
  EXPECT_FALSE(contains(log, "env-secret-value"));
}

TEST_F(ChainTest, EnvironmentWithAnExpirationIsReadAgainBeforeIt) {
  env.env.set("AWS_ACCESS_KEY_ID", "AKIA1");
  env.env.set("AWS_SECRET_ACCESS_KEY", "s1");
  env.env.set("AWS_CREDENTIAL_EXPIRATION", formatIso8601(clock.now() + minutes(30), false));
  auto p = resolveCredentialsChain(opts);
  ASSERT_TRUE(p) << p.error().str();
  env.env.set("AWS_ACCESS_KEY_ID", "AKIA2");
  env.env.set("AWS_SECRET_ACCESS_KEY", "s2");
  env.env.set("AWS_CREDENTIAL_EXPIRATION", formatIso8601(clock.now() + minutes(90), false));
  EXPECT_EQ((*p)->get()->access_key_id, "AKIA1");
  clock.advance(minutes(26));
  EXPECT_EQ((*p)->get()->access_key_id, "AKIA2");

  env.env.set("AWS_CREDENTIAL_EXPIRATION", "tomorrow");
  auto bad = resolveCredentialsChain(opts);
  ASSERT_FALSE(bad);
  EXPECT_TRUE(contains(bad.error().message, "AWS_CREDENTIAL_EXPIRATION is not an RFC 3339 time"));
}

TEST_F(ChainTest, HalfTheEnvironmentIsAnError) {
  env.env.set("AWS_ACCESS_KEY_ID", "AKIAENV");
  write(".aws/credentials", "[default]\naws_access_key_id = AKIAFILE\naws_secret_access_key = f\n");
  auto p = resolveCredentialsChain(opts);
  ASSERT_FALSE(p);  // not a fall-through to the profile
  EXPECT_EQ(p.error().code, "MissingCredentials");
  EXPECT_EQ(p.error().message,
            "environment (AWS_ACCESS_KEY_ID): AWS_ACCESS_KEY_ID is set but "
            "AWS_SECRET_ACCESS_KEY is not");
}

TEST_F(ChainTest, EnvironmentWinsOverAProfile) {
  env.env.set("AWS_ACCESS_KEY_ID", "AKIAENV");
  env.env.set("AWS_SECRET_ACCESS_KEY", "env-secret");
  write(".aws/credentials", "[default]\naws_access_key_id = AKIAFILE\naws_secret_access_key = f\n");
  env.env.set("AWS_PROFILE", "default");
  auto p = resolveCredentialsChain(opts);
  ASSERT_TRUE(p) << p.error().str();
  EXPECT_EQ((*p)->get()->access_key_id, "AKIAENV");
}

TEST_F(ChainTest, StaticKeysOfTheDefaultProfile) {
  const std::string path = write(".aws/credentials",
                                 "[default]\naws_access_key_id = AKIAFILE\n"
                                 "aws_secret_access_key = file-secret\n");
  auto p = resolveCredentialsChain(opts);
  ASSERT_TRUE(p) << p.error().str();
  EXPECT_EQ((*p)->describe(), "profile \"default\" (static keys in " + path + ")");
  auto c = (*p)->get();
  EXPECT_EQ(c->access_key_id, "AKIAFILE");
  EXPECT_EQ(c->secret_access_key, "file-secret");
  EXPECT_TRUE(c->session_token.empty());
}

TEST_F(ChainTest, AwsProfileSelectsAProfileAcrossBothFiles) {
  write(".aws/config",
        "[default]\nregion = eu-west-1\n"
        "[profile dev]\naws_access_key_id = AKIACONFIG\naws_secret_access_key = c\n");
  write(".aws/credentials", "[dev]\naws_access_key_id = AKIADEV\naws_secret_access_key = d\n");
  env.env.set("AWS_PROFILE", "dev");
  auto p = resolveCredentialsChain(opts);
  ASSERT_TRUE(p) << p.error().str();
  EXPECT_EQ((*p)->get()->access_key_id, "AKIADEV");  // the credentials file wins
}

TEST_F(ChainTest, FilesNamedByTheirVariables) {
  const std::string cfg = write("elsewhere/cfg", "[profile x]\nregion = eu-west-1\n");
  const std::string creds =
      write("elsewhere/creds", "[x]\naws_access_key_id = AKIAX\naws_secret_access_key = x\n");
  env.env.set("AWS_CONFIG_FILE", cfg);
  env.env.set("AWS_SHARED_CREDENTIALS_FILE", creds);
  env.env.set("AWS_PROFILE", "x");
  auto p = resolveCredentialsChain(opts);
  ASSERT_TRUE(p) << p.error().str();
  EXPECT_EQ((*p)->get()->access_key_id, "AKIAX");

  env.env.set("AWS_SHARED_CREDENTIALS_FILE", env.home.path() + "/missing");
  auto missing = resolveCredentialsChain(opts);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, "InvalidSharedConfig");
  EXPECT_EQ(missing.error().message, env.home.path() +
                                         "/missing: does not exist (named by "
                                         "AWS_SHARED_CREDENTIALS_FILE)");
}

TEST_F(ChainTest, AProfileNamedByAwsProfileMustExistAndHoldCredentials) {
  write(".aws/config", "[profile empty]\nregion = eu-west-1\n");
  env.env.set("AWS_PROFILE", "nope");
  auto p = resolveCredentialsChain(opts);
  ASSERT_FALSE(p);
  EXPECT_TRUE(contains(p.error().message, "profile \"nope\" (AWS_PROFILE) not found in "));
  env.env.set("AWS_PROFILE", "empty");
  p = resolveCredentialsChain(opts);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().message, "profile \"empty\" (AWS_PROFILE) holds no credentials");
}

TEST_F(ChainTest, ProfileErrorsNameTheProfileAndTheReason) {
  write(".aws/config",
        "[profile norole]\nrole_arn = arn:aws:iam::1:role/r\n"
        "[profile both]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = base\n"
        "credential_source = Environment\n"
        "[profile lost]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = y\n"
        "[profile a]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = b\n"
        "[profile b]\nrole_arn = arn:aws:iam::1:role/b\nsource_profile = a\n"
        "[profile mfa]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = base\n"
        "mfa_serial = arn:aws:iam::1:mfa/me\n"
        "[profile badsource]\nrole_arn = arn:aws:iam::1:role/r\ncredential_source = Laptop\n"
        "[profile long]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = base\n"
        "duration_seconds = 99999\n"
        "[profile half]\naws_access_key_id = AKIAHALF\n"
        "[profile self]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = self\n"
        "[profile ssohalf]\nsso_session = nowhere\n"
        "[profile proc]\ncredential_process = \"unterminated\n");
  write(".aws/credentials", "[base]\naws_access_key_id = AKIABASE\naws_secret_access_key = b\n");
  const std::string cfg = env.home.path() + "/.aws/config";
  auto reason = [&](const std::string& profile) {
    env.env.set("AWS_PROFILE", profile);
    auto p = resolveCredentialsChain(opts);
    EXPECT_FALSE(p) << profile;
    return p ? std::string() : p.error().message;
  };
  EXPECT_EQ(reason("norole"),
            "profile \"norole\": role_arn needs exactly one of source_profile or "
            "credential_source");
  EXPECT_EQ(reason("both"),
            "profile \"both\": role_arn needs exactly one of source_profile or "
            "credential_source");
  EXPECT_EQ(reason("lost"), "profile \"lost\": source_profile \"y\" not found");
  EXPECT_EQ(reason("a"), "profile \"b\": source_profile cycle: \"a\" → \"b\" → \"a\"");
  EXPECT_EQ(reason("mfa"), "profile \"mfa\": mfa_serial (" + cfg +
                               ":19) needs an MFA code, which riposte cannot prompt for");
  EXPECT_EQ(reason("badsource"),
            "profile \"badsource\": credential_source must be Environment, "
            "Ec2InstanceMetadata or EcsContainer, not \"Laptop\" (" +
                cfg + ":22)");
  EXPECT_EQ(reason("long"),
            "profile \"long\": duration_seconds must be 900 to 43200, not "
            "\"99999\" (" +
                cfg + ":26)");
  EXPECT_EQ(reason("half"),
            "profile \"half\": aws_access_key_id without aws_secret_access_key (" + cfg + ":28)");
  EXPECT_EQ(reason("self"),
            "profile \"self\": source_profile names the profile itself, which has no static "
            "keys");
  EXPECT_EQ(reason("ssohalf"),
            "profile \"ssohalf\": sso_session \"nowhere\" not found (no "
            "[sso-session nowhere] in " +
                cfg + ")");
  EXPECT_EQ(reason("proc"),
            "profile \"proc\": credential_process (" + cfg + ":35): unterminated \"");
}

TEST_F(ChainTest, ProfileWinsOverWebIdentity) {
  write(".aws/credentials", "[default]\naws_access_key_id = AKIAFILE\naws_secret_access_key = f\n");
  env.env.set("AWS_WEB_IDENTITY_TOKEN_FILE", env.home.path() + "/no-such-token");
  env.env.set("AWS_ROLE_ARN", "arn:aws:iam::111122223333:role/irsa");
  auto p = resolveCredentialsChain(opts);
  ASSERT_TRUE(p) << p.error().str();
  EXPECT_EQ((*p)->get()->access_key_id, "AKIAFILE");
}

TEST_F(ChainTest, HalfAWebIdentityIsAnError) {
  env.env.set("AWS_ROLE_ARN", "arn:aws:iam::111122223333:role/irsa");
  auto p = resolveCredentialsChain(opts);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().message,
            "web identity: AWS_ROLE_ARN is set but AWS_WEB_IDENTITY_TOKEN_FILE is not");
}

TEST_F(ChainTest, NothingConfiguredSaysWhatWasLookedAt) {
  write(".aws/config", "[default]\nregion = eu-west-1\n");
  auto p = resolveCredentialsChain(opts);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, "MissingCredentials");
  EXPECT_EQ(p.error().message,
            "no AWS credentials found; tried environment: AWS_ACCESS_KEY_ID is not set; "
            "profile \"default\": holds no credentials; web identity: "
            "AWS_WEB_IDENTITY_TOKEN_FILE is not set; container: "
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and _FULL_URI are not set; EC2 instance "
            "metadata: disabled by AWS_EC2_METADATA_DISABLED");
  env.env.set("AWS_EC2_METADATA_DISABLED", "maybe");
  p = resolveCredentialsChain(opts);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().message, "AWS_EC2_METADATA_DISABLED must be true or false, not maybe");
}

// ---------------------------------------------------------------------------------------------
// credential_process

struct ProcessTest : ChainTest {
  // A script printing `json` and counting its runs in <home>/runs.
  std::string script(const std::string& name, const std::string& body) {
    return env.home.write(name, "#!/bin/sh\n" + body, std::filesystem::perms::owner_all);
  }
  void useProcess(const std::string& command) {
    write(".aws/config", "[default]\ncredential_process = " + command + "\n");
  }
  int runs() const {
    std::ifstream in(env.home.path() + "/runs");
    std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return static_cast<int>(s.size());
  }
};

TEST_F(ProcessTest, CredentialsFromAProcessAreRefreshedBeforeTheirExpiration) {
  const std::string exp = formatIso8601(clock.now() + minutes(60), false);
  const std::string path = script("bin dir/creds.sh",
                                  "printf x >> \"$HOME/runs\"\n"
                                  "[ \"$1\" = 'arg one' ] || exit 9\n"
                                  "echo '{\"Version\": 1, \"AccessKeyId\": \"AKIAPROC\", "
                                  "\"SecretAccessKey\": \"proc-secret\", \"SessionToken\": "
                                  "\"proc-token\", \"Expiration\": \"" +
                                      exp + "\"}'\n");
  useProcess("\"" + path + "\" 'arg one'");
  auto p = resolveCredentialsChain(opts);
  ASSERT_TRUE(p) << p.error().str();
  EXPECT_EQ((*p)->describe(), "profile \"default\" (credential_process " + path + ")");
  auto c = (*p)->get();
  EXPECT_EQ(c->access_key_id, "AKIAPROC");
  EXPECT_EQ(c->secret_access_key, "proc-secret");
  EXPECT_EQ(c->session_token, "proc-token");
  EXPECT_EQ(runs(), 1);
  clock.advance(minutes(50));
  ASSERT_TRUE((*p)->get());
  EXPECT_EQ(runs(), 1);
  clock.advance(minutes(6));
  ASSERT_TRUE((*p)->get());  // 4 minutes left: run again
  EXPECT_EQ(runs(), 2);
}

TEST_F(ProcessTest, WithoutExpirationTheProcessRunsOnce) {
  const std::string path =
      script("creds.sh",
             "printf x >> \"$HOME/runs\"\n"
             "echo '{\"Version\": 1, \"AccessKeyId\": \"AKIA1\", \"SecretAccessKey\": \"s\"}'\n");
  useProcess(path);
  auto p = resolveCredentialsChain(opts);
  ASSERT_TRUE(p) << p.error().str();
  clock.advance(std::chrono::hours(24 * 30));
  ASSERT_TRUE((*p)->get());
  EXPECT_EQ(runs(), 1);
  EXPECT_TRUE((*p)->get()->session_token.empty());
}

TEST_F(ProcessTest, AFailingProcessOrGarbageIsAnErrorThatDoesNotQuoteTheOutput) {
  auto errorOf = [&](const std::string& body) {
    useProcess(script("creds.sh", body));
    auto p = resolveCredentialsChain(opts);
    EXPECT_FALSE(p) << body;
    return p ? std::string() : p.error().message;
  };
  const std::string prefix =
      "profile \"default\" (credential_process " + env.home.path() + "/creds.sh): ";
  const std::string script_path = env.home.path() + "/creds.sh";
  EXPECT_EQ(errorOf("echo SUPERSECRET; exit 3\n"), prefix + script_path + " exited with status 3");
  std::string garbage = errorOf("echo 'AccessKeyId=AKIA SecretAccessKey=SUPERSECRET'\n");
  EXPECT_EQ(garbage, prefix + script_path +
                         " did not print a JSON object (its output is not shown: it may hold "
                         "secrets)");
  EXPECT_FALSE(contains(garbage, "SUPERSECRET"));
  EXPECT_EQ(errorOf("echo '{\"Version\": 2, \"AccessKeyId\": \"A\", \"SecretAccessKey\": "
                    "\"SUPERSECRET\"}'\n"),
            prefix + script_path + " printed no \"Version\": 1 (the only version of the format)");
  EXPECT_EQ(errorOf("echo '{\"Version\": 1, \"AccessKeyId\": \"A\"}'\n"),
            prefix + script_path + " printed no SecretAccessKey string");
  EXPECT_EQ(errorOf("echo '{\"Version\": 1, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"s\", "
                    "\"Expiration\": \"soon\"}'\n"),
            prefix + script_path + " printed Expiration is not an RFC 3339 time");
  useProcess(env.home.path() + "/absent");
  auto absent = resolveCredentialsChain(opts);
  ASSERT_FALSE(absent);
  EXPECT_TRUE(contains(absent.error().message, "cannot run " + env.home.path() + "/absent"));
}

TEST_F(ProcessTest, AProcessThatHangsIsKilled) {
  opts.process_timeout = std::chrono::milliseconds(300);
  useProcess(script("creds.sh", "exec sleep 30\n"));
  const auto start = std::chrono::steady_clock::now();
  auto p = resolveCredentialsChain(opts);
  ASSERT_FALSE(p);
  EXPECT_TRUE(contains(p.error().message, "did not finish within 300 ms"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(10));
  // One that closes its stdout and then hangs is killed too.
  useProcess(script("creds.sh", "exec >&-\nexec sleep 30\n"));
  auto closed = resolveCredentialsChain(opts);
  ASSERT_FALSE(closed);
  EXPECT_TRUE(contains(closed.error().message, "did not finish within 300 ms"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(20));
}

TEST(CommandLine, SplitsAsAShellWouldWithoutRunningOne) {
  auto w = splitCommandLine(R"(/bin/tool --a 'b c' "d \"e\" $f" g\ h '' x"y"z)");
  ASSERT_TRUE(w) << w.error().str();
  EXPECT_EQ(*w,
            (std::vector<std::string>{"/bin/tool", "--a", "b c", "d \"e\" $f", "g h", "", "xyz"}));
  EXPECT_FALSE(splitCommandLine("  "));
  EXPECT_FALSE(splitCommandLine("a 'b"));
  EXPECT_FALSE(splitCommandLine("a \\"));
}

// ---------------------------------------------------------------------------------------------
// IAM Identity Center: a local double of the SSO portal's GetRoleCredentials that checks each
// request against the SSO Portal API reference (GET /federation/credentials with the
// account_id and role_name query parameters and the x-amz-sso_bearer_token header, unsigned).

std::map<std::string, std::string> queryOf(const std::string& target) {
  std::map<std::string, std::string> q;
  auto qm = target.find('?');
  if (qm == std::string::npos) return q;
  std::string rest = target.substr(qm + 1);
  size_t pos = 0;
  while (pos <= rest.size()) {
    size_t amp = rest.find('&', pos);
    if (amp == std::string::npos) amp = rest.size();
    std::string kv = rest.substr(pos, amp - pos);
    auto eq = kv.find('=');
    q[kv.substr(0, eq)] = eq == std::string::npos ? "" : kv.substr(eq + 1);
    pos = amp + 1;
  }
  return q;
}

struct SsoTest : ChainTest {
  HttpRecorder portal;
  int64_t expiration_ms = 0;
  void SetUp() override {
    ChainTest::SetUp();
    env.env.set("AWS_ENDPOINT_URL_SSO", portal.endpoint());
    expiration_ms = clock.nowMillis() + 3600 * 1000;
    portal.handle([this](const RecordedRequest& r) -> ScriptedResponse {
      auto q = queryOf(r.target);
      const std::string path = r.target.substr(0, r.target.find('?'));
      if (r.method != "GET" || path != "/federation/credentials" || q["account_id"].empty() ||
          q["role_name"].empty() || !r.hasHeader("x-amz-sso_bearer_token")) {
        return {400,
                R"({"message":"not a GetRoleCredentials request"})",
                "application/json",
                {{"x-amzn-ErrorType", "InvalidRequestException"}}};
      }
      if (r.header("x-amz-sso_bearer_token") != "sso-access-token") {
        return {401,
                R"({"message":"Session token not found or invalid"})",
                "application/json",
                {{"x-amzn-ErrorType", "UnauthorizedException"}}};
      }
      return {200, R"({"roleCredentials":{"accessKeyId":"ASIASSO","secretAccessKey":"sso-secret",)"
                   R"("sessionToken":"sso-session-token","expiration":)" +
                       std::to_string(expiration_ms) + "}}"};
    });
  }
  void cacheToken(const std::string& file, const std::string& token, SystemTime expires) {
    write(".aws/sso/cache/" + file + ".json",
          R"({"startUrl":"https://my-sso-portal.awsapps.com/start","region":"eu-west-1",)"
          R"("accessToken":")" +
              token + R"(","expiresAt":")" + formatIso8601(expires, false) + "\"}");
  }
};

constexpr const char* kSessionSha1 = "b03ceb4eafccab4c1e4aa4eab83513efcbda5e0f";   // "riposte-sso"
constexpr const char* kStartUrlSha1 = "c7aaaf71fcc8777ae2475525ed049d39fe16c484";  // the start URL

TEST_F(SsoTest, SsoSessionProfileWithACachedToken) {
  write(".aws/config",
        "[profile admin]\nsso_session = riposte-sso\nsso_account_id = 111122223333\n"
        "sso_role_name = Responder\n"
        "[sso-session riposte-sso]\nsso_start_url = https://my-sso-portal.awsapps.com/start\n"
        "sso_region = eu-west-1\n");
  cacheToken(kSessionSha1, "sso-access-token", clock.now() + std::chrono::hours(8));
  env.env.set("AWS_PROFILE", "admin");
  auto p = resolveCredentialsChain(opts);
  ASSERT_TRUE(p) << p.error().str();
  EXPECT_EQ((*p)->describe(),
            "profile \"admin\" (IAM Identity Center: account 111122223333, role Responder)");
  auto c = (*p)->get();
  EXPECT_EQ(c->access_key_id, "ASIASSO");
  EXPECT_EQ(c->secret_access_key, "sso-secret");
  EXPECT_EQ(c->session_token, "sso-session-token");
  auto reqs = portal.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].target, "/federation/credentials?account_id=111122223333&role_name=Responder");
  EXPECT_FALSE(reqs[0].hasHeader("authorization"));  // authtype none
  auto rp = std::dynamic_pointer_cast<RefreshingCredentialsProvider>(*p);
  ASSERT_TRUE(rp);
  EXPECT_EQ(*rp->expiration(), SystemTime(std::chrono::milliseconds(expiration_ms)));
}

TEST_F(SsoTest, LegacyProfileKeysTheCacheByStartUrl) {
  write(".aws/config",
        "[profile legacy]\nsso_start_url = https://my-sso-portal.awsapps.com/start\n"
        "sso_region = eu-west-1\nsso_account_id = 111122223333\nsso_role_name = Responder\n");
  cacheToken(kStartUrlSha1, "sso-access-token", clock.now() + std::chrono::hours(8));
  env.env.set("AWS_PROFILE", "legacy");
  auto p = resolveCredentialsChain(opts);
  ASSERT_TRUE(p) << p.error().str();
  EXPECT_EQ((*p)->get()->access_key_id, "ASIASSO");
}

TEST_F(SsoTest, AnExpiredMissingOrRefusedTokenIsAnError) {
  write(".aws/config",
        "[profile admin]\nsso_session = riposte-sso\nsso_account_id = 111122223333\n"
        "sso_role_name = Responder\n"
        "[sso-session riposte-sso]\nsso_start_url = https://my-sso-portal.awsapps.com/start\n"
        "sso_region = eu-west-1\n");
  env.env.set("AWS_PROFILE", "admin");
  const std::string cache = env.home.path() + "/.aws/sso/cache/" + kSessionSha1 + ".json";
  auto missing = resolveCredentialsChain(opts);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, "SsoTokenMissing");
  EXPECT_TRUE(contains(missing.error().message, "no cached SSO token at " + cache +
                                                    ": run `aws sso login --sso-session "
                                                    "riposte-sso`"));
  cacheToken(kSessionSha1, "sso-access-token", clock.now() - minutes(1));
  auto expired = resolveCredentialsChain(opts);
  ASSERT_FALSE(expired);
  EXPECT_EQ(expired.error().code, "SsoTokenExpired");
  EXPECT_TRUE(portal.requests().empty());  // an expired token is not sent
  cacheToken(kSessionSha1, "stolen-token", clock.now() + std::chrono::hours(1));
  auto refused = resolveCredentialsChain(opts);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "UnauthorizedException");
  EXPECT_TRUE(contains(refused.error().message, "Session token not found or invalid"));
  EXPECT_FALSE(contains(refused.error().message, "stolen-token"));
}

// ---------------------------------------------------------------------------------------------
// Container credentials: a local server speaking the ECS / EKS Pod Identity protocol (GET the
// URI, Authorization header when the agent hands out a token, JSON with Expiration).

struct ContainerTest : ChainTest {
  HttpRecorder agent;
  std::string expected_token;  // empty: no Authorization expected (ECS relative URI)
  void SetUp() override {
    ChainTest::SetUp();
    opts.ecs_endpoint = agent.endpoint();
    agent.handle([this](const RecordedRequest& r) -> ScriptedResponse {
      if (r.method != "GET") return {405, "{}"};
      if (r.header("authorization") != expected_token) {
        return {401, R"({"code":"AccessDeniedException","message":"invalid token"})"};
      }
      return {200, R"({"AccessKeyId":"ASIACONTAINER","SecretAccessKey":"c-secret",)"
                   R"("Token":"c-token","AccountId":"111122223333","Expiration":")" +
                       formatIso8601(clock.now() + std::chrono::hours(6), false) + "\"}"};
    });
  }
};

TEST_F(ContainerTest, EcsRelativeUri) {
  env.env.set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/task-1234");
  auto p = resolveCredentialsChain(opts);
  ASSERT_TRUE(p) << p.error().str();
  EXPECT_EQ((*p)->describe(),
            "container credentials (" + agent.endpoint() + "/v2/credentials/task-1234)");
  auto c = (*p)->get();
  EXPECT_EQ(c->access_key_id, "ASIACONTAINER");
  EXPECT_EQ(c->session_token, "c-token");
  auto reqs = agent.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].target, "/v2/credentials/task-1234");
  EXPECT_FALSE(reqs[0].hasHeader("authorization"));
}

TEST_F(ContainerTest, EksPodIdentityFullUriWithATokenFile) {
  expected_token = "pod-identity-token";
  env.env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", agent.endpoint() + "/v1/credentials");
  env.env.set("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
              write("eks-pod-identity-token", "pod-identity-token\n"));
  env.env.set("AWS_CONTAINER_AUTHORIZATION_TOKEN", "the file wins");
  auto p = resolveCredentialsChain(opts);
  ASSERT_TRUE(p) << p.error().str();
  EXPECT_EQ((*p)->get()->access_key_id, "ASIACONTAINER");
  ASSERT_EQ(agent.requests().size(), 1u);
  EXPECT_EQ(agent.requests()[0].header("authorization"), "pod-identity-token");
}

TEST_F(ContainerTest, AWrongTokenIsRefused) {
  expected_token = "right-token";
  env.env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", agent.endpoint() + "/v1/credentials");
  env.env.set("AWS_CONTAINER_AUTHORIZATION_TOKEN", "wrong-token");
  auto p = resolveCredentialsChain(opts);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, "AccessDenied");
  EXPECT_EQ(p.error().message, "container credentials (" + agent.endpoint() +
                                   "/v1/credentials): HTTP 401 AccessDeniedException invalid "
                                   "token");
  EXPECT_FALSE(contains(p.error().message, "wrong-token"));
}

TEST_F(ContainerTest, AFullUriToAnotherHostOverHttpIsNotAsked) {
  env.env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://192.0.2.10/creds");
  auto p = resolveCredentialsChain(opts);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().message,
            "AWS_CONTAINER_CREDENTIALS_FULL_URI http://192.0.2.10/creds is not allowed: it "
            "must be https, or http to a loopback address, 169.254.170.2, 169.254.170.23 or "
            "[fd00:ec2::23]");
}

TEST(ContainerUrl, AllowedHosts) {
  for (const char* ok : {"https://creds.example.com/x", "http://127.0.0.1:8080/x",
                         "http://127.1.2.3/x", "http://localhost/x", "http://[::1]:9/x",
                         "http://169.254.170.2/v2/credentials/x", "http://169.254.170.23/v1/x",
                         "http://[fd00:ec2::23]/v1/credentials", "http://[fd00:0ec2:0::23]/x"}) {
    EXPECT_TRUE(allowedContainerUrl(ok)) << ok;
  }
  for (const char* bad : {"http://creds.example.com/x", "http://169.254.169.254/x",
                          "http://10.0.0.1/x", "http://[fd00:ec2::254]/x", "ftp://127.0.0.1/x",
                          "http://127.0.0.1.evil.com/x", "127.0.0.1/x", "http:///x"}) {
    EXPECT_FALSE(allowedContainerUrl(bad)) << bad;
  }
}

TEST_F(ContainerTest, ContainerWinsOverInstanceMetadata) {
  HttpRecorder imds;
  env.env.set("AWS_EC2_METADATA_DISABLED", std::nullopt);
  env.env.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.endpoint());
  env.env.set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/task");
  auto p = resolveCredentialsChain(opts);
  ASSERT_TRUE(p) << p.error().str();
  EXPECT_EQ((*p)->get()->access_key_id, "ASIACONTAINER");
  EXPECT_TRUE(imds.requests().empty());
}

// ---------------------------------------------------------------------------------------------
// EC2 instance metadata: a local server speaking IMDSv2 (session token by PUT, then every GET
// must carry it), or only IMDSv1 (no token), which riposte must refuse.

struct ImdsTest : ChainTest {
  HttpRecorder imds;
  bool v1_only = false;
  void SetUp() override {
    ChainTest::SetUp();
    env.env.set("AWS_EC2_METADATA_DISABLED", std::nullopt);
    env.env.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.endpoint() + "/");
    imds.handle([this](const RecordedRequest& r) -> ScriptedResponse {
      if (r.target == "/latest/api/token") {
        if (v1_only || r.method != "PUT") return {v1_only ? 403 : 405, "", "text/plain"};
        if (r.header("x-aws-ec2-metadata-token-ttl-seconds").empty()) {
          return {400, "", "text/plain"};
        }
        return {200, "imds-session-token", "text/plain"};
      }
      if (r.method != "GET") return {405, "", "text/plain"};
      if (!v1_only && r.header("x-aws-ec2-metadata-token") != "imds-session-token") {
        return {401, "", "text/plain"};
      }
      if (r.target == "/latest/meta-data/iam/security-credentials/") {
        return {200, "riposte-responder", "text/plain"};
      }
      if (r.target == "/latest/meta-data/iam/security-credentials/riposte-responder") {
        return {200,
                R"({"Code":"Success","LastUpdated":"2026-12-01T00:00:00Z",)"
                R"("Type":"AWS-HMAC","AccessKeyId":"ASIAIMDS","SecretAccessKey":"i-secret",)"
                R"("Token":"i-token","Expiration":")" +
                    formatIso8601(clock.now() + std::chrono::hours(6), false) + "\"}",
                "text/plain"};
      }
      return {404, "", "text/plain"};
    });
  }
};

TEST_F(ImdsTest, InstanceRoleByImdsV2) {
  auto p = resolveCredentialsChain(opts);
  ASSERT_TRUE(p) << p.error().str();
  EXPECT_EQ((*p)->describe(),
            "EC2 instance metadata (IMDSv2 at " + imds.endpoint() + ", role riposte-responder)");
  auto c = (*p)->get();
  EXPECT_EQ(c->access_key_id, "ASIAIMDS");
  EXPECT_EQ(c->secret_access_key, "i-secret");
  EXPECT_EQ(c->session_token, "i-token");
  auto reqs = imds.requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[0].method, "PUT");
  EXPECT_EQ(reqs[0].header("x-aws-ec2-metadata-token-ttl-seconds"), "21600");
  EXPECT_EQ(reqs[1].target, "/latest/meta-data/iam/security-credentials/");
  EXPECT_EQ(reqs[2].target, "/latest/meta-data/iam/security-credentials/riposte-responder");
  // Refreshed before it expires: a new token, then the document again.
  clock.advance(std::chrono::hours(6) - minutes(4));
  ASSERT_TRUE((*p)->get());
  EXPECT_EQ(imds.requests().size(), 6u);
}

TEST_F(ImdsTest, AnImdsV1OnlyServerIsRefused) {
  v1_only = true;
  auto p = resolveCredentialsChain(opts);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, "ImdsTokenRefused");
  EXPECT_TRUE(contains(p.error().message,
                       "answered HTTP 403; riposte uses IMDSv2 only and does "
                       "not fall back to IMDSv1"));
  auto reqs = imds.requests();
  ASSERT_EQ(reqs.size(), 1u);  // no token-less GET after the refused PUT
  EXPECT_EQ(reqs[0].method, "PUT");
}

TEST_F(ImdsTest, DisabledMeansNotAsked) {
  env.env.set("AWS_EC2_METADATA_DISABLED", "TRUE");
  auto p = resolveCredentialsChain(opts);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, "MissingCredentials");
  EXPECT_TRUE(imds.requests().empty());
}

TEST_F(ImdsTest, SettingsThatCannotBeReadAreErrors) {
  env.env.set("AWS_METADATA_SERVICE_TIMEOUT", "fast");
  auto p = resolveCredentialsChain(opts);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().message,
            "AWS_METADATA_SERVICE_TIMEOUT must be a number of seconds, not fast");
  env.env.set("AWS_METADATA_SERVICE_TIMEOUT", "2");
  env.env.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", std::nullopt);
  env.env.set("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "IPv5");
  p = resolveCredentialsChain(opts);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().message,
            "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE must be IPv4 or IPv6, not ipv5");
  EXPECT_TRUE(imds.requests().empty());
}

TEST_F(ImdsTest, AProfileMayTakeItsSourceCredentialsFromImds) {
  // credential_source = Ec2InstanceMetadata resolves IMDS for the base credentials; the
  // AssumeRole itself is tested against moto (sts_moto_test.cpp). Here: the base is IMDS.
  write(".aws/config",
        "[profile responder]\nrole_arn = arn:aws:iam::222222222222:role/r\n"
        "credential_source = Ec2InstanceMetadata\n");
  auto cfg = loadSharedConfig();
  ASSERT_TRUE(cfg) << cfg.error().str();
  auto p = profileCredentials(*cfg, "responder", opts);
  ASSERT_TRUE(p) << p.error().str();
  EXPECT_EQ((*p)->describe(),
            "profile \"responder\": role arn:aws:iam::222222222222:role/r from EC2 instance "
            "metadata (IMDSv2 at " +
                imds.endpoint() + ")");
}

}  // namespace
}  // namespace riposte::aws
