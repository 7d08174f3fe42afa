// The shared config / credentials file format, as the AWS SDKs read it.
#include "aws/shared_config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "aws/credentials_env.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace riposte::aws {
namespace {

std::string value(const SharedConfig& cfg, const std::string& profile, const std::string& key) {
  const ConfigSection* p = cfg.profile(profile);
  if (!p) return "<no profile>";
  const ProfileSetting* s = p->find(key);
  return s ? s->value : "<unset>";
}

Result<SharedConfig> parse(const std::string& config, const std::string& credentials = "") {
  SharedConfig cfg;
  if (auto r = parseSharedFile(config, "config", SharedFileKind::kConfig, cfg); !r) {
    return fail(r.error());
  }
  if (auto r = parseSharedFile(credentials, "credentials", SharedFileKind::kCredentials, cfg); !r) {
    return fail(r.error());
  }
  return cfg;
}

TEST(SharedConfig, SectionNamesDifferBetweenTheTwoFiles) {
  auto cfg = parse(
      "[default]\nregion = eu-west-1\n"
      "[profile dev]\nregion = eu-central-1\n"
      "[ops]\nregion = us-west-2\n"  // not a profile in the config file
      "[sso-session corp]\nsso_region = eu-west-1\n"
      "[services local]\nsts =\n  endpoint_url = http://127.0.0.1:1\n",
      "[ops2]\naws_access_key_id = AKIAOPS\n"
      "[profile nope]\naws_access_key_id = AKIANOPE\n");  // not a profile in credentials
  ASSERT_TRUE(cfg) << cfg.error().str();
  EXPECT_EQ(value(*cfg, "default", "region"), "eu-west-1");
  EXPECT_EQ(value(*cfg, "dev", "region"), "eu-central-1");
  EXPECT_EQ(value(*cfg, "ops", "region"), "<no profile>");
  EXPECT_EQ(value(*cfg, "ops2", "aws_access_key_id"), "AKIAOPS");
  EXPECT_EQ(cfg->profile("nope"), nullptr);
  EXPECT_EQ(cfg->profile("profile nope"), nullptr);
  ASSERT_NE(cfg->ssoSession("corp"), nullptr);
  EXPECT_EQ(cfg->ssoSession("corp")->find("sso_region")->value, "eu-west-1");
  EXPECT_EQ(cfg->profile("local"), nullptr);
  EXPECT_EQ(cfg->profiles.size(), 3u);  // default, dev, ops2
}

TEST(SharedConfig, TheCredentialsFileWinsAndProfileDefaultWinsOverDefault) {
  auto cfg = parse(
      "[profile default]\nregion = from-profile-default\n"
      "[default]\nregion = from-default\noutput = json\n"
      "[profile dev]\naws_access_key_id = AKIACONFIG\nregion = eu-west-1\n",
      "[dev]\naws_access_key_id = AKIACREDS\n");
  ASSERT_TRUE(cfg) << cfg.error().str();
  EXPECT_EQ(value(*cfg, "default", "region"), "from-profile-default");
  EXPECT_EQ(value(*cfg, "default", "output"), "<unset>");  // [default] is ignored entirely
  EXPECT_EQ(value(*cfg, "dev", "aws_access_key_id"), "AKIACREDS");
  EXPECT_EQ(value(*cfg, "dev", "region"), "eu-west-1");
  EXPECT_EQ(cfg->profile("dev")->find("aws_access_key_id")->file, "credentials");
  EXPECT_EQ(cfg->profile("dev")->find("aws_access_key_id")->line, 2);
}

TEST(SharedConfig, CommentsContinuationsAndSubSettings) {
  auto cfg = parse(
      "# a comment\n"
      "; another\n"
      "[profile  dev ]   ; trailing comment\n"
      "Region=eu-west-1 # inline comment\n"
      "credential_process = /bin/tool --url=https://x/#frag\n"
      "s3 =\n"
      "  max_concurrent_requests = 20\n"
      "  addressing_style = path\n"
      "\r\n"
      "role_session_name = a;b\n"
      "[profile repeated]\nregion = one\n[profile repeated]\nregion = two\n");
  ASSERT_TRUE(cfg) << cfg.error().str();
  EXPECT_EQ(value(*cfg, "dev", "region"), "eu-west-1");
  EXPECT_EQ(value(*cfg, "dev", "credential_process"), "/bin/tool --url=https://x/#frag");
  EXPECT_EQ(value(*cfg, "dev", "s3"), "\nmax_concurrent_requests = 20\naddressing_style = path");
  EXPECT_EQ(value(*cfg, "dev", "role_session_name"), "a;b");
  EXPECT_EQ(value(*cfg, "repeated", "region"), "two");
}

TEST(SharedConfig, ErrorsNameTheFileAndLine) {
  auto error = [](const std::string& text) {
    auto cfg = parse(text);
    EXPECT_FALSE(cfg) << text;
    return cfg ? std::string() : cfg.error().code + ": " + cfg.error().message;
  };
  EXPECT_EQ(error("region = eu-west-1\n"),
            "InvalidSharedConfig: config:1: a setting before any [section]");
  EXPECT_EQ(error("[default]\nregion = x\njust words\n"),
            "InvalidSharedConfig: config:3: expected [section] or `setting = value`");
  EXPECT_EQ(error("[default\n"), "InvalidSharedConfig: config:1: a section header without ]");
  EXPECT_EQ(error("[default] x\n"), "InvalidSharedConfig: config:1: text after the section header");
  EXPECT_EQ(error("[]\n"), "InvalidSharedConfig: config:1: an empty section name");
  EXPECT_EQ(error("[profile]\n"), "InvalidSharedConfig: config:1: [profile] without a name");
  EXPECT_EQ(error("[default]\n= x\n"), "InvalidSharedConfig: config:2: a setting without a name");
  EXPECT_EQ(error("  indented = x\n"),
            "InvalidSharedConfig: config:1: an indented line outside any section");
  EXPECT_EQ(error("[default]\n  indented = x\n"),
            "InvalidSharedConfig: config:2: an indented line that continues no setting");
}

TEST(SharedConfig, LoadsTheFilesTheEnvironmentNames) {
  CredentialsEnv env;
  auto none = loadSharedConfig();  // neither default file exists: empty, no error
  ASSERT_TRUE(none) << none.error().str();
  EXPECT_TRUE(none->profiles.empty());
  EXPECT_EQ(none->config_file, env.home.path() + "/.aws/config");
  EXPECT_EQ(none->credentials_file, env.home.path() + "/.aws/credentials");

  env.home.write("custom/config", "[profile x]\nregion = eu-west-1\n");
  env.env.set("AWS_CONFIG_FILE", "~/custom/config");
  auto custom = loadSharedConfig();
  ASSERT_TRUE(custom) << custom.error().str();
  EXPECT_EQ(custom->config_file, env.home.path() + "/custom/config");
  EXPECT_EQ(value(*custom, "x", "region"), "eu-west-1");

  env.home.write(".aws/credentials", "[x]\n??\n");
  auto broken = loadSharedConfig();
  ASSERT_FALSE(broken);
  EXPECT_EQ(broken.error().message, env.home.path() +
                                        "/.aws/credentials:2: expected [section] or `setting = "
                                        "value`");
}

// The fuzz target's seed corpus, through its entry point (it aborts on a broken invariant).
TEST(SharedConfig, FuzzCorpusReplays) {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(std::string(RIPOSTE_SOURCE_DIR) +
                                                           "/fuzz/aws/corpus/fuzz_shared_config")) {
    std::ifstream in(e.path(), std::ios::binary);
    const std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(data.data()), data.size());
    ++n;
  }
  EXPECT_GE(n, 7);
}

}  // namespace
}  // namespace riposte::aws
