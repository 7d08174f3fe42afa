#include "aws/credential_chain.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <vector>

#include "aws/sts.h"
#include "core/log.h"
#include "core/text.h"

namespace riposte::aws {
namespace {

std::string envOrEmpty(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

std::string expandHome(const std::string& path) {
  if (path.rfind("~/", 0) == 0 && !homeDirectory().empty()) return homeDirectory() + path.substr(1);
  return path;
}

std::string at(const ProfileSetting& s) {
  return s.file + ":" + std::to_string(s.line);
}

std::string quoted(const std::string& s) {
  return "\"" + s + "\"";
}

std::shared_ptr<CredentialsProvider> refreshing(std::unique_ptr<CredentialsSource> source,
                                                const CredentialSourceOptions& opts) {
  return std::make_shared<RefreshingCredentialsProvider>(std::move(source), opts.clock,
                                                         opts.timing);
}

std::string sessionName(const CredentialSourceOptions& opts) {
  const Clock& clock = opts.clock ? *opts.clock : SystemClock::instance();
  return "riposte-" + std::to_string(clock.nowMillis());
}

class ProfileResolver {
 public:
  ProfileResolver(const SharedConfig& cfg, const CredentialSourceOptions& opts)
      : cfg_(cfg), opts_(opts) {}

  Result<std::shared_ptr<CredentialsProvider>> resolve(const std::string& name) {
    const ConfigSection* p = cfg_.profile(name);
    if (!p) return fail("InvalidCredentialsConfig", "profile " + quoted(name) + " not found");
    if (p->has("role_arn")) return assumeRole(*p);
    if (p->has("sso_session") || p->has("sso_start_url")) return sso(*p);
    if (hasStaticKeys(*p)) return staticKeys(*p);
    if (p->has("credential_process")) return process(*p);
    return std::shared_ptr<CredentialsProvider>();
  }

 private:
  Error error(const ConfigSection& p, const std::string& why) const {
    return Error("InvalidCredentialsConfig", "profile " + quoted(p.name) + ": " + why);
  }

  static bool hasStaticKeys(const ConfigSection& p) {
    return p.has("aws_access_key_id") || p.has("aws_secret_access_key");
  }

  Result<std::shared_ptr<CredentialsProvider>> staticKeys(const ConfigSection& p) const {
    const ProfileSetting* id = p.find("aws_access_key_id");
    const ProfileSetting* secret = p.find("aws_secret_access_key");
    if (!id || id->value.empty()) {
      return fail(error(p, "aws_secret_access_key without aws_access_key_id (" +
                               at(secret ? *secret : *id) + ")"));
    }
    if (!secret || secret->value.empty()) {
      return fail(error(p, "aws_access_key_id without aws_secret_access_key (" + at(*id) + ")"));
    }
    Credentials c{id->value, secret->value, ""};
    if (const ProfileSetting* token = p.find("aws_session_token")) c.session_token = token->value;
    return std::shared_ptr<CredentialsProvider>(std::make_shared<StaticCredentialsProvider>(
        std::move(c), "profile " + quoted(p.name) + " (static keys in " + id->file + ")"));
  }

  Result<std::shared_ptr<CredentialsProvider>> process(const ConfigSection& p) const {
    const ProfileSetting* cmd = p.find("credential_process");
    auto words = splitCommandLine(cmd->value);
    if (!words) {
      return fail(error(p, "credential_process (" + at(*cmd) + "): " + words.error().message));
    }
    return refreshing(
        std::make_unique<ProcessSource>(
            cmd->value,
            "profile " + quoted(p.name) + " (credential_process " + words->front() + ")",
            opts_.process_timeout),
        opts_);
  }

  Result<std::shared_ptr<CredentialsProvider>> sso(const ConfigSection& p) const {
    SsoSettings s;
    s.profile = p.name;
    auto value = [&](const ConfigSection& sec, const char* key) {
      const ProfileSetting* v = sec.find(key);
      return v ? v->value : std::string();
    };
    if (const ProfileSetting* session = p.find("sso_session")) {
      const ConfigSection* sec = cfg_.ssoSession(session->value);
      if (!sec) {
        return fail(error(p, "sso_session " + quoted(session->value) +
                                 " not found (no [sso-session " + session->value + "] in " +
                                 cfg_.config_file + ")"));
      }
      s.session_name = session->value;
      s.start_url = value(*sec, "sso_start_url");
      s.region = value(*sec, "sso_region");
      for (const char* key : {"sso_start_url", "sso_region"}) {
        if (p.has(key) && value(p, key) != value(*sec, key)) {
          return fail(error(p, std::string(key) + " differs from the one of sso-session " +
                                   quoted(session->value)));
        }
      }
    } else {
      s.start_url = value(p, "sso_start_url");
      s.region = value(p, "sso_region");
    }
    s.account_id = value(p, "sso_account_id");
    s.role_name = value(p, "sso_role_name");
    std::string missing;
    for (auto [key, v] : {std::pair{"sso_start_url", &s.start_url},
                          {"sso_region", &s.region},
                          {"sso_account_id", &s.account_id},
                          {"sso_role_name", &s.role_name}}) {
      if (v->empty()) missing += std::string(missing.empty() ? "" : ", ") + key;
    }
    if (!missing.empty()) return fail(error(p, "IAM Identity Center settings missing: " + missing));
    return refreshing(std::make_unique<SsoSource>(std::move(s), opts_), opts_);
  }

  Result<int> durationSeconds(const ConfigSection& p) const {
    const ProfileSetting* d = p.find("duration_seconds");
    if (!d) return 0;
    char* end = nullptr;
    const long n = std::strtol(d->value.c_str(), &end, 10);
    if (d->value.empty() || *end != '\0' || n < 900 || n > 43200) {
      return fail(error(p, "duration_seconds must be 900 to 43200, not " + quoted(d->value) + " (" +
                               at(*d) + ")"));
    }
    return static_cast<int>(n);
  }

  Result<std::shared_ptr<CredentialsProvider>> assumeRole(const ConfigSection& p) {
    const ProfileSetting* role = p.find("role_arn");
    if (role->value.empty()) return fail(error(p, "role_arn is empty (" + at(*role) + ")"));
    if (const ProfileSetting* mfa = p.find("mfa_serial")) {
      return fail(error(
          p, "mfa_serial (" + at(*mfa) + ") needs an MFA code, which riposte cannot prompt for"));
    }
    auto duration = durationSeconds(p);
    if (!duration) return fail(duration.error());
    const ProfileSetting* region = p.find("region");
    const std::string sts_region = stsRegion(region ? region->value : "");
    const ProfileSetting* session = p.find("role_session_name");
    const std::string session_name = session ? session->value : sessionName(opts_);
    const bool has_source = p.has("source_profile"), has_cs = p.has("credential_source");

    if (const ProfileSetting* token = p.find("web_identity_token_file")) {
      if (has_source || has_cs) {
        return fail(error(p,
                          "web_identity_token_file cannot be combined with source_profile "
                          "or credential_source"));
      }
      WebIdentitySettings w;
      w.role_arn = role->value;
      w.token_file = expandHome(token->value);
      w.session_name = session_name;
      w.duration_seconds = *duration;
      w.region = sts_region;
      w.origin = "profile " + quoted(p.name);
      return refreshing(std::make_unique<WebIdentitySource>(std::move(w), opts_), opts_);
    }
    if (has_source == has_cs) {
      return fail(error(p, "role_arn needs exactly one of source_profile or credential_source"));
    }

    std::shared_ptr<CredentialsProvider> base;
    std::string from;
    if (has_cs) {
      const std::string cs = p.find("credential_source")->value;
      if (cs == "Environment") {
        base = refreshing(std::make_unique<EnvironmentSource>(), opts_);
      } else if (cs == "Ec2InstanceMetadata") {
        auto imds = ImdsSource::fromEnvironment(opts_);
        if (!imds) return fail(error(p, imds.error().message));
        base = refreshing(std::move(*imds), opts_);
      } else if (cs == "EcsContainer") {
        auto container = ContainerSource::fromEnvironment(opts_);
        if (!container)
          return fail(error(p, "credential_source EcsContainer: " + container.error().message));
        base = refreshing(std::move(*container), opts_);
      } else {
        return fail(error(p,
                          "credential_source must be Environment, Ec2InstanceMetadata or "
                          "EcsContainer, not " +
                              quoted(cs) + " (" + at(*p.find("credential_source")) + ")"));
      }
    } else {
      const std::string sp = p.find("source_profile")->value;
      const ConfigSection* src = cfg_.profile(sp);
      if (sp == p.name) {
        if (!hasStaticKeys(p)) {
          return fail(error(p,
                            "source_profile names the profile itself, which has no static "
                            "keys"));
        }
        auto s = staticKeys(p);
        if (!s) return fail(s.error());
        base = *s;
      } else if (std::find(visiting_.begin(), visiting_.end(), sp) != visiting_.end()) {
        std::string cycle;
        for (const auto& v : visiting_) cycle += quoted(v) + " → ";
        return fail(
            error(p, "source_profile cycle: " + cycle + quoted(p.name) + " → " + quoted(sp)));
      } else if (!src) {
        return fail(error(p, "source_profile " + quoted(sp) + " not found"));
      } else if (hasStaticKeys(*src)) {
        auto s = staticKeys(*src);
        if (!s) return fail(s.error());
        base = *s;
      } else {
        visiting_.push_back(p.name);
        auto s = resolve(sp);
        visiting_.pop_back();
        if (!s) return fail(s.error());
        if (!*s) return fail(error(p, "source_profile " + quoted(sp) + " holds no credentials"));
        base = *s;
      }
    }

    auto client = std::make_shared<Client>(base, opts_.retry, opts_.transport);
    if (opts_.clock) client->setClock(opts_.clock);
    AssumeRoleRequest req;
    req.role_arn = role->value;
    req.session_name = session_name;
    if (const ProfileSetting* ext = p.find("external_id")) req.external_id = ext->value;
    if (*duration > 0) req.duration_seconds = *duration;
    req.region = sts_region;
    return refreshing(
        std::make_unique<AssumeRoleSource>(
            client, req,
            "profile " + quoted(p.name) + ": role " + role->value + " from " + base->describe()),
        opts_);
  }

  const SharedConfig& cfg_;
  const CredentialSourceOptions& opts_;
  std::vector<std::string> visiting_;  // role_arn profiles on the way to this one
};

// Fetches the provider's first credentials and logs which source it is.
Result<std::shared_ptr<CredentialsProvider>> first(std::shared_ptr<CredentialsProvider> p) {
  if (auto c = p->get(); !c) return fail(c.error());
  logInfo("aws credentials resolved", {{"source", p->describe()}});
  return p;
}

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& s : parts) out += (out.empty() ? "" : "; ") + s;
  return out;
}

}  // namespace

Result<std::shared_ptr<CredentialsProvider>> profileCredentials(
    const SharedConfig& cfg, const std::string& name, const CredentialSourceOptions& opts) {
  return ProfileResolver(cfg, opts).resolve(name);
}

Result<std::shared_ptr<CredentialsProvider>> resolveCredentialsChain(
    const CredentialSourceOptions& opts) {
  std::vector<std::string> tried;

  // 1. Environment.
  if (!envOrEmpty("AWS_ACCESS_KEY_ID").empty() || !envOrEmpty("AWS_SECRET_ACCESS_KEY").empty()) {
    return first(refreshing(std::make_unique<EnvironmentSource>(), opts));
  }
  tried.push_back("environment: AWS_ACCESS_KEY_ID is not set");

  // 2. The shared files.
  const std::string explicit_profile = envOrEmpty("AWS_PROFILE");
  const std::string profile = explicit_profile.empty() ? "default" : explicit_profile;
  auto cfg = loadSharedConfig();
  if (!cfg) return fail(cfg.error());
  const std::string files =
      (cfg->config_file.empty() ? std::string("(no HOME)") : cfg->config_file) + " and " +
      (cfg->credentials_file.empty() ? std::string("(no HOME)") : cfg->credentials_file);
  if (cfg->profile(profile)) {
    auto p = profileCredentials(*cfg, profile, opts);
    if (!p) return fail(p.error());
    if (*p) return first(*p);
    if (!explicit_profile.empty()) {
      return fail("InvalidCredentialsConfig",
                  "profile \"" + profile + "\" (AWS_PROFILE) holds no credentials");
    }
    tried.push_back("profile \"default\": holds no credentials");
  } else if (!explicit_profile.empty()) {
    return fail("InvalidCredentialsConfig",
                "profile \"" + profile + "\" (AWS_PROFILE) not found in " + files);
  } else {
    tried.push_back("profile \"default\": not in " + files);
  }

  // 3. Web identity.
  const std::string token_file = envOrEmpty("AWS_WEB_IDENTITY_TOKEN_FILE");
  const std::string role_arn = envOrEmpty("AWS_ROLE_ARN");
  if (!token_file.empty() || !role_arn.empty()) {
    if (token_file.empty() || role_arn.empty()) {
      return fail(
          "InvalidCredentialsConfig",
          std::string("web identity: ") +
              (token_file.empty() ? "AWS_ROLE_ARN is set but AWS_WEB_IDENTITY_TOKEN_FILE is not"
                                  : "AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not"));
    }
    WebIdentitySettings w;
    w.role_arn = role_arn;
    w.token_file = token_file;
    w.session_name = envOrEmpty("AWS_ROLE_SESSION_NAME");
    if (w.session_name.empty()) w.session_name = sessionName(opts);
    w.region = stsRegion();
    w.origin = "AWS_WEB_IDENTITY_TOKEN_FILE";
    return first(refreshing(std::make_unique<WebIdentitySource>(std::move(w), opts), opts));
  }
  tried.push_back("web identity: AWS_WEB_IDENTITY_TOKEN_FILE is not set");

  // 4. Container credentials.
  if (!envOrEmpty("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI").empty() ||
      !envOrEmpty("AWS_CONTAINER_CREDENTIALS_FULL_URI").empty()) {
    auto container = ContainerSource::fromEnvironment(opts);
    if (!container) return fail(container.error());
    return first(refreshing(std::move(*container), opts));
  }
  tried.push_back("container: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and _FULL_URI are not set");

  // 5. EC2 instance metadata.
  const std::string disabled = text::asciiLower(envOrEmpty("AWS_EC2_METADATA_DISABLED"));
  if (disabled != "" && disabled != "true" && disabled != "false") {
    return fail("InvalidCredentialsConfig",
                "AWS_EC2_METADATA_DISABLED must be true or false, not " +
                    envOrEmpty("AWS_EC2_METADATA_DISABLED"));
  }
  if (disabled == "true") {
    tried.push_back("EC2 instance metadata: disabled by AWS_EC2_METADATA_DISABLED");
    return fail("MissingCredentials", "no AWS credentials found; tried " + join(tried));
  }
  auto imds = ImdsSource::fromEnvironment(opts);
  if (!imds) return fail(imds.error());
  auto provider = refreshing(std::move(*imds), opts);
  auto got = first(provider);
  if (!got && envOrEmpty("AWS_EC2_METADATA_SERVICE_ENDPOINT").empty() &&
      got.error().code == "TransportError") {
    // Not on EC2 (nothing answers at the link-local address): nothing was configured at all.
    tried.push_back(got.error().message);
    return fail("MissingCredentials", "no AWS credentials found; tried " + join(tried));
  }
  return got;
}

}  // namespace riposte::aws
