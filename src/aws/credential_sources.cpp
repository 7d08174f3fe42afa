#include "aws/credential_sources.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "aws/shared_config.h"
#include "aws/sts.h"
#include "core/digest.h"
#include "core/json.h"
#include "core/text.h"

extern char** environ;

namespace riposte::aws {
namespace {

constexpr size_t kMaxProcessOutput = 64 * 1024;
constexpr size_t kMaxMetadataBytes = 64 * 1024;

std::string envOrEmpty(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

std::string trimmed(std::string s) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && space(s.back())) s.pop_back();
  size_t i = 0;
  while (i < s.size() && space(s[i])) ++i;
  return s.substr(i);
}

Result<std::string> readTextFile(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return fail("InvalidCredentialsConfig",
                what + " " + path + ": " + (errno ? std::strerror(errno) : "cannot be read"));
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::optional<std::string> stringField(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_string()) return std::nullopt;
  return std::string(it->value().as_string());
}

// {"AccessKeyId", "SecretAccessKey", <token_key>, "Expiration"} as IMDS, the container
// endpoints and credential_process print them. `need_expiration`: no Expiration is an error.
Result<ExpiringCredentials> credentialsFromDocument(const json::value& doc,
                                                    const std::string& token_key,
                                                    bool need_expiration) {
  if (!doc.is_object()) return fail("MalformedResponse", "the credentials are not a JSON object");
  const json::object& o = doc.as_object();
  ExpiringCredentials out;
  auto id = stringField(o, "AccessKeyId");
  auto secret = stringField(o, "SecretAccessKey");
  if (!id || id->empty()) return fail("MalformedResponse", "no AccessKeyId string");
  if (!secret || secret->empty()) return fail("MalformedResponse", "no SecretAccessKey string");
  out.credentials.access_key_id = *id;
  out.credentials.secret_access_key = *secret;
  if (o.contains(token_key)) {
    auto token = stringField(o, token_key);
    if (!token) return fail("MalformedResponse", token_key + " is not a string");
    out.credentials.session_token = *token;
  }
  if (o.contains("Expiration")) {
    auto exp = stringField(o, "Expiration");
    int64_t ms = 0;
    if (!exp || !parseIso8601(*exp, ms)) {
      return fail("MalformedResponse", "Expiration is not an RFC 3339 time");
    }
    out.expiration = SystemTime(std::chrono::milliseconds(ms));
  } else if (need_expiration) {
    return fail("MalformedResponse", "no Expiration");
  }
  return out;
}

std::shared_ptr<HttpTransport> metadataTransport(const CredentialSourceOptions& opts,
                                                 std::chrono::milliseconds timeout) {
  if (opts.metadata_transport) return opts.metadata_transport;
  CurlOptions c;
  c.connect_timeout = timeout;
  c.total_timeout = timeout * 2;
  c.max_response_bytes = kMaxMetadataBytes;
  c.use_proxy = false;
  return makeCurlTransport(c);
}

std::shared_ptr<Client> anonymousClient(const CredentialSourceOptions& opts) {
  auto c =
      std::make_shared<Client>(std::shared_ptr<CredentialsProvider>(), opts.retry, opts.transport);
  if (opts.clock) c->setClock(opts.clock);
  return c;
}

// Sends `req` up to `attempts` times while the transport fails or the status is 5xx.
Result<HttpResponse> sendWithAttempts(HttpTransport& transport, const HttpRequest& req,
                                      int attempts) {
  Result<HttpResponse> r = fail("TransportError", "not sent");
  for (int i = 1; i <= attempts; ++i) {
    r = transport.send(req);
    if (r && r->status < 500) return r;
    if (i < attempts) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return r;
}

// Parses an IPv4 or IPv6 literal (brackets removed) into bytes; false when it is neither.
bool parseIp(const std::string& host, unsigned char out[16], bool& v6) {
  in_addr a4{};
  if (inet_pton(AF_INET, host.c_str(), &a4) == 1) {
    std::memcpy(out, &a4, 4);
    v6 = false;
    return true;
  }
  in6_addr a6{};
  if (inet_pton(AF_INET6, host.c_str(), &a6) == 1) {
    std::memcpy(out, &a6, 16);
    v6 = true;
    return true;
  }
  return false;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Environment

Result<ExpiringCredentials> EnvironmentSource::fetch() {
  auto c = credentialsFromEnvironment();
  if (!c) return fail(c.error());
  ExpiringCredentials out{std::move(*c), std::nullopt};
  if (std::string exp = envOrEmpty("AWS_CREDENTIAL_EXPIRATION"); !exp.empty()) {
    int64_t ms = 0;
    if (!parseIso8601(exp, ms)) {
      return fail("InvalidCredentialsConfig",
                  "AWS_CREDENTIAL_EXPIRATION is not an RFC 3339 time: " + exp);
    }
    out.expiration = SystemTime(std::chrono::milliseconds(ms));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// credential_process

Result<std::vector<std::string>> splitCommandLine(const std::string& command) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  for (size_t i = 0; i < command.size(); ++i) {
    const char c = command[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
    } else if (c == '\'') {
      in_word = true;
      const size_t close = command.find('\'', i + 1);
      if (close == std::string::npos) return fail("InvalidCredentialsConfig", "unterminated '");
      word += command.substr(i + 1, close - i - 1);
      i = close;
    } else if (c == '"') {
      in_word = true;
      size_t j = i + 1;
      for (; j < command.size() && command[j] != '"'; ++j) {
        if (command[j] == '\\' && j + 1 < command.size() &&
            std::strchr("$`\"\\\n", command[j + 1]) != nullptr) {
          ++j;
        }
        word += command[j];
      }
      if (j >= command.size()) return fail("InvalidCredentialsConfig", "unterminated \"");
      i = j;
    } else if (c == '\\') {
      if (i + 1 >= command.size()) return fail("InvalidCredentialsConfig", "a trailing \\");
      in_word = true;
      word += command[++i];
    } else {
      in_word = true;
      word += c;
    }
  }
  if (in_word) words.push_back(std::move(word));
  if (words.empty()) return fail("InvalidCredentialsConfig", "an empty command");
  return words;
}

ProcessSource::ProcessSource(std::string command, std::string description,
                             std::chrono::milliseconds timeout)
    : command_(std::move(command)), description_(std::move(description)), timeout_(timeout) {}

Result<ExpiringCredentials> ProcessSource::fetch() {
  auto words = splitCommandLine(command_);
  if (!words) return fail(words.error());
  const std::string& program = words->front();
  std::vector<char*> argv;
  for (auto& w : *words) argv.push_back(w.data());
  argv.push_back(nullptr);

  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) {
    return fail("CredentialProcessError", std::string("pipe: ") + std::strerror(errno));
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, program.c_str(), &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(out[1]);
  if (rc != 0) {
    ::close(out[0]);
    return fail("CredentialProcessError", "cannot run " + program + ": " + std::strerror(rc));
  }

  std::string output;
  bool too_long = false, timed_out = false;
  const auto deadline = std::chrono::steady_clock::now() + timeout_;
  char buf[4096];
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{out[0], POLLIN, 0};
    const int pr = ::poll(&p, 1, static_cast<int>(left.count()));
    if (pr < 0 && errno == EINTR) continue;
    if (pr <= 0) {
      timed_out = pr == 0;
      break;
    }
    const ssize_t n = ::read(out[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    output.append(buf, static_cast<size_t>(n));
    if (output.size() > kMaxProcessOutput) {
      too_long = true;
      break;
    }
  }
  ::close(out[0]);
  int status = 0;
  // Its stdout is closed; it still has until the deadline to exit (it may have closed stdout
  // early and hung).
  while (!timed_out && !too_long) {
    const pid_t w = ::waitpid(pid, &status, WNOHANG);
    if (w == pid || (w < 0 && errno != EINTR)) break;
    if (std::chrono::steady_clock::now() >= deadline) {
      timed_out = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (timed_out || too_long) {
    ::kill(pid, SIGKILL);
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  if (timed_out) {
    return fail("CredentialProcessError",
                program + " did not finish within " + std::to_string(timeout_.count()) + " ms");
  }
  if (too_long) {
    return fail("CredentialProcessError",
                program + " printed more than " + std::to_string(kMaxProcessOutput) + " bytes");
  }
  if (WIFSIGNALED(status)) {
    return fail("CredentialProcessError",
                program + " was killed by signal " + std::to_string(WTERMSIG(status)));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return fail("CredentialProcessError",
                program + " exited with status " + std::to_string(WEXITSTATUS(status)));
  }
  auto doc = parseJson(output, 8);
  if (!doc || !doc->is_object()) {
    return fail("CredentialProcessError",
                program +
                    " did not print a JSON object (its output is not shown: it may hold "
                    "secrets)");
  }
  const json::object& o = doc->as_object();
  auto version = o.find("Version");
  if (version == o.end() || !version->value().is_int64() || version->value().as_int64() != 1) {
    return fail("CredentialProcessError",
                program + " printed no \"Version\": 1 (the only version of the format)");
  }
  auto creds = credentialsFromDocument(*doc, "SessionToken", false);
  if (!creds) {
    return fail("CredentialProcessError", program + " printed " + creds.error().message);
  }
  return creds;
}

// ---------------------------------------------------------------------------------------------
// IAM Identity Center

SsoSource::SsoSource(SsoSettings settings, const CredentialSourceOptions& opts)
    : s_(std::move(settings)),
      clock_(opts.clock ? opts.clock : &SystemClock::instance()),
      portal_(anonymousClient(opts)) {}

std::string SsoSource::describe() const {
  return "profile \"" + s_.profile + "\" (IAM Identity Center: account " + s_.account_id +
         ", role " + s_.role_name + ")";
}

std::string SsoSource::tokenPath() const {
  const std::string home = homeDirectory();
  return (home.empty() ? std::string("~") : home) + "/.aws/sso/cache/" +
         sha1Hex(s_.session_name.empty() ? s_.start_url : s_.session_name) + ".json";
}

Result<ExpiringCredentials> SsoSource::fetch() {
  const std::string login = s_.session_name.empty()
                                ? "aws sso login --profile " + s_.profile
                                : "aws sso login --sso-session " + s_.session_name;
  if (homeDirectory().empty()) {
    return fail("InvalidCredentialsConfig", "HOME is not set: no SSO token cache to read");
  }
  const std::string path = tokenPath();
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return fail("SsoTokenMissing", "no cached SSO token at " + path + ": run `" + login + "`");
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  auto doc = parseJson(ss.str(), 8);
  if (!doc || !doc->is_object()) {
    return fail("SsoTokenInvalid", "the SSO token cache " + path + " is not a JSON object");
  }
  auto token = stringField(doc->as_object(), "accessToken");
  auto expires = stringField(doc->as_object(), "expiresAt");
  if (!token || token->empty() || !expires) {
    return fail("SsoTokenInvalid",
                "the SSO token cache " + path + " has no accessToken and expiresAt");
  }
  std::string exp = *expires;
  if (exp.size() > 3 && exp.compare(exp.size() - 3, 3, "UTC") == 0)
    exp.replace(exp.size() - 3, 3, "Z");
  int64_t ms = 0;
  if (!parseIso8601(exp, ms)) {
    return fail("SsoTokenInvalid", "the SSO token cache " + path + ": expiresAt is not a time");
  }
  if (clock_->nowMillis() >= ms) {
    return fail("SsoTokenExpired",
                "the SSO token in " + path + " expired at " + *expires + ": run `" + login + "`");
  }
  Call call;
  call.service = "sso";
  call.region = s_.region;
  call.action = "GetRoleCredentials";
  call.method = "GET";
  call.path = "/federation/credentials";
  call.query = {{"account_id", s_.account_id}, {"role_name", s_.role_name}};
  call.headers = {{"x-amz-sso_bearer_token", *token}};
  call.sign = false;
  auto r = portal_->restJson(call);
  if (!r) return fail(r.error().code, "GetRoleCredentials: " + r.error().message);
  const json::value* rc = findPath(*r, "roleCredentials");
  if (!rc || !rc->is_object()) {
    return fail("MalformedResponse", "GetRoleCredentials: no roleCredentials in the response");
  }
  const json::object& o = rc->as_object();
  ExpiringCredentials out;
  auto id = stringField(o, "accessKeyId");
  auto secret = stringField(o, "secretAccessKey");
  auto session = stringField(o, "sessionToken");
  auto expiration = o.find("expiration");
  if (!id || id->empty() || !secret || secret->empty() || !session || expiration == o.end() ||
      !asNumber(expiration->value())) {
    return fail("MalformedResponse",
                "GetRoleCredentials: roleCredentials lacks accessKeyId, secretAccessKey, "
                "sessionToken or expiration");
  }
  out.credentials = Credentials{*id, *secret, *session};
  out.expiration =
      SystemTime(std::chrono::milliseconds(static_cast<int64_t>(*asNumber(expiration->value()))));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Web identity

WebIdentitySource::WebIdentitySource(WebIdentitySettings settings,
                                     const CredentialSourceOptions& opts)
    : s_(std::move(settings)), sts_(anonymousClient(opts)) {}

std::string WebIdentitySource::describe() const {
  return "web identity (role " + s_.role_arn + ", token file " + s_.token_file + ", from " +
         s_.origin + ")";
}

Result<ExpiringCredentials> WebIdentitySource::fetch() {
  auto text = readTextFile(s_.token_file, "the web identity token file");
  if (!text) return fail(text.error());
  std::string token = trimmed(std::move(*text));
  if (token.empty()) {
    return fail("InvalidCredentialsConfig",
                "the web identity token file " + s_.token_file + " is empty");
  }
  WebIdentityRequest req;
  req.role_arn = s_.role_arn;
  req.session_name = s_.session_name;
  req.web_identity_token = std::move(token);
  req.duration_seconds = s_.duration_seconds;
  req.region = s_.region;
  auto t = assumeRoleWithWebIdentity(*sts_, req);
  if (!t) return fail(t.error());
  return ExpiringCredentials{std::move(t->credentials), t->expiration};
}

// ---------------------------------------------------------------------------------------------
// Containers

bool allowedContainerUrl(const std::string& url) {
  const auto sep = url.find("://");
  if (sep == std::string::npos) return false;
  const std::string scheme = text::asciiLower(url.substr(0, sep));
  std::string authority = url.substr(sep + 3);
  authority = authority.substr(0, authority.find_first_of("/?#"));
  if (auto at = authority.rfind('@'); at != std::string::npos) authority.erase(0, at + 1);
  std::string host;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string::npos) return false;
    host = authority.substr(1, close - 1);
  } else {
    host = authority.substr(0, authority.find(':'));
  }
  if (host.empty()) return false;
  if (scheme == "https") return true;
  if (scheme != "http") return false;
  if (text::asciiLower(host) == "localhost") return true;
  unsigned char ip[16];
  bool v6 = false;
  if (!parseIp(host, ip, v6)) return false;
  if (!v6) {
    if (ip[0] == 127) return true;
    return ip[0] == 169 && ip[1] == 254 && ip[2] == 170 && (ip[3] == 2 || ip[3] == 23);
  }
  static const unsigned char kLoopback[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  static const unsigned char kEks[16] = {0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0, 0,
                                         0,    0,    0,    0,    0, 0, 0, 0x23};  // fd00:ec2::23
  return std::memcmp(ip, kLoopback, 16) == 0 || std::memcmp(ip, kEks, 16) == 0;
}

Result<std::unique_ptr<ContainerSource>> ContainerSource::fromEnvironment(
    const CredentialSourceOptions& opts) {
  std::string url;
  if (std::string rel = envOrEmpty("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"); !rel.empty()) {
    if (rel.front() != '/') {
      return fail("InvalidCredentialsConfig",
                  "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI must start with /: " + rel);
    }
    std::string base = opts.ecs_endpoint;
    while (!base.empty() && base.back() == '/') base.pop_back();
    url = base + rel;
  } else if (std::string full = envOrEmpty("AWS_CONTAINER_CREDENTIALS_FULL_URI"); !full.empty()) {
    if (!allowedContainerUrl(full)) {
      return fail("InvalidCredentialsConfig",
                  "AWS_CONTAINER_CREDENTIALS_FULL_URI " + full +
                      " is not allowed: it must be https, or http to a loopback address, "
                      "169.254.170.2, 169.254.170.23 or [fd00:ec2::23]");
    }
    url = full;
  } else {
    return fail("MissingCredentials",
                "neither AWS_CONTAINER_CREDENTIALS_RELATIVE_URI nor "
                "AWS_CONTAINER_CREDENTIALS_FULL_URI is set");
  }
  // botocore's container fetcher: 2 s timeout, 3 attempts.
  return std::unique_ptr<ContainerSource>(
      new ContainerSource(url, metadataTransport(opts, std::chrono::seconds(2)), 3));
}

Result<ExpiringCredentials> ContainerSource::fetch() {
  std::string token;
  if (std::string file = envOrEmpty("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"); !file.empty()) {
    auto text = readTextFile(file, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
    if (!text) return fail(text.error());
    token = trimmed(std::move(*text));
  } else {
    token = envOrEmpty("AWS_CONTAINER_AUTHORIZATION_TOKEN");
  }
  if (token.find_first_of("\r\n") != std::string::npos) {
    return fail("InvalidCredentialsConfig", "the container authorization token holds a line break");
  }
  HttpRequest req;
  req.method = "GET";
  req.url = url_;
  req.headers = {{"Accept", "application/json"}};
  if (!token.empty()) req.headers.emplace_back("Authorization", token);
  auto resp = sendWithAttempts(*transport_, req, attempts_);
  if (!resp) return fail(resp.error());
  if (resp->status != 200) {
    std::string detail;
    if (auto body = parseJson(resp->body, 8); body && body->is_object()) {
      for (const char* key : {"code", "Code", "message", "Message"}) {
        if (auto v = stringField(body->as_object(), key)) detail += " " + *v;
      }
    }
    return fail(resp->status == 401 || resp->status == 403 ? "AccessDenied" : "CredentialsError",
                "HTTP " + std::to_string(resp->status) + detail);
  }
  auto doc = parseJson(resp->body, 8);
  if (!doc) return fail("MalformedResponse", "the response is not JSON");
  return credentialsFromDocument(*doc, "Token", true);
}

// ---------------------------------------------------------------------------------------------
// EC2 instance metadata (IMDSv2)

Result<std::unique_ptr<ImdsSource>> ImdsSource::fromEnvironment(
    const CredentialSourceOptions& opts) {
  std::string endpoint = envOrEmpty("AWS_EC2_METADATA_SERVICE_ENDPOINT");
  if (endpoint.empty()) {
    const std::string mode = text::asciiLower(envOrEmpty("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE"));
    if (mode.empty() || mode == "ipv4") {
      endpoint = "http://169.254.169.254";
    } else if (mode == "ipv6") {
      endpoint = "http://[fd00:ec2::254]";
    } else {
      return fail("InvalidCredentialsConfig",
                  "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE must be IPv4 or IPv6, not " + mode);
    }
  }
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  double timeout_s = 1;
  if (std::string t = envOrEmpty("AWS_METADATA_SERVICE_TIMEOUT"); !t.empty()) {
    char* end = nullptr;
    timeout_s = std::strtod(t.c_str(), &end);
    if (end == t.c_str() || *end != '\0' || !(timeout_s > 0) || timeout_s > 3600) {
      return fail("InvalidCredentialsConfig",
                  "AWS_METADATA_SERVICE_TIMEOUT must be a number of seconds, not " + t);
    }
  }
  int attempts = 1;
  if (std::string a = envOrEmpty("AWS_METADATA_SERVICE_NUM_ATTEMPTS"); !a.empty()) {
    char* end = nullptr;
    const long n = std::strtol(a.c_str(), &end, 10);
    if (end == a.c_str() || *end != '\0' || n < 1 || n > 10) {
      return fail("InvalidCredentialsConfig",
                  "AWS_METADATA_SERVICE_NUM_ATTEMPTS must be 1 to 10, not " + a);
    }
    attempts = static_cast<int>(n);
  }
  const auto timeout = std::chrono::milliseconds(std::llround(timeout_s * 1000));
  return std::unique_ptr<ImdsSource>(
      new ImdsSource(endpoint, metadataTransport(opts, timeout), attempts));
}

std::string ImdsSource::describe() const {
  std::lock_guard lock(mu_);
  return "EC2 instance metadata (IMDSv2 at " + endpoint_ +
         (role_.empty() ? std::string() : ", role " + role_) + ")";
}

Result<HttpResponse> ImdsSource::send(HttpRequest req) const {
  auto r = sendWithAttempts(*transport_, req, attempts_);
  if (!r) return fail(r.error().code, "IMDS at " + endpoint_ + ": " + r.error().message);
  return r;
}

Result<ExpiringCredentials> ImdsSource::fetch() {
  HttpRequest put;
  put.method = "PUT";
  put.url = endpoint_ + "/latest/api/token";
  put.headers = {{"X-aws-ec2-metadata-token-ttl-seconds", "21600"}};
  auto tok = send(put);
  if (!tok) return fail(tok.error());
  if (tok->status != 200 || trimmed(tok->body).empty()) {
    return fail("ImdsTokenRefused",
                "the IMDSv2 session token request (PUT /latest/api/token) was answered HTTP " +
                    std::to_string(tok->status) +
                    "; riposte uses IMDSv2 only and does not fall back to IMDSv1");
  }
  const std::string token = trimmed(tok->body);
  auto get = [&](const std::string& path) {
    HttpRequest r;
    r.method = "GET";
    r.url = endpoint_ + path;
    r.headers = {{"X-aws-ec2-metadata-token", token}};
    return send(r);
  };
  const std::string base = "/latest/meta-data/iam/security-credentials/";
  auto list = get(base);
  if (!list) return fail(list.error());
  if (list->status == 404) {
    return fail("MissingCredentials", "no IAM role is attached to this instance");
  }
  if (list->status != 200) {
    return fail("CredentialsError",
                "GET " + base + " answered HTTP " + std::to_string(list->status));
  }
  std::string role = trimmed(list->body);
  role = role.substr(0, role.find('\n'));
  if (role.empty() || role.find_first_of("/?#% ") != std::string::npos) {
    return fail("MalformedResponse", "GET " + base + " did not name one role");
  }
  {
    std::lock_guard lock(mu_);
    role_ = role;
  }
  auto doc_resp = get(base + role);
  if (!doc_resp) return fail(doc_resp.error());
  if (doc_resp->status != 200) {
    return fail("CredentialsError",
                "GET " + base + role + " answered HTTP " + std::to_string(doc_resp->status));
  }
  auto doc = parseJson(doc_resp->body, 8);
  if (!doc || !doc->is_object()) {
    return fail("MalformedResponse", "the credentials of role " + role + " are not JSON");
  }
  if (auto code = stringField(doc->as_object(), "Code"); !code || *code != "Success") {
    return fail("CredentialsError",
                "the credentials of role " + role + " have Code " + (code ? *code : "(none)"));
  }
  auto creds = credentialsFromDocument(*doc, "Token", true);
  if (!creds) return fail(creds.error().code, "role " + role + ": " + creds.error().message);
  return creds;
}

std::string stsRegion(const std::string& profile_region) {
  if (std::string r = envOrEmpty("AWS_REGION"); !r.empty()) return r;
  if (std::string r = envOrEmpty("AWS_DEFAULT_REGION"); !r.empty()) return r;
  if (!profile_region.empty()) return profile_region;
  return "us-east-1";
}

}  // namespace riposte::aws
