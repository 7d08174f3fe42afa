#include "actions/connection.h"

#include <cctype>

#include "core/json.h"
#include "core/text.h"

namespace riposte::actions {

std::string_view authName(Connection::Auth a) {
  switch (a) {
    case Connection::Auth::kApiKey:
      return "api_key";
    case Connection::Auth::kBasic:
      return "basic";
    case Connection::Auth::kOAuthClientCredentials:
      return "oauth_client_credentials";
  }
  return "api_key";
}

std::optional<std::string> connectionName(std::string_view arn) {
  auto validName = [](std::string_view n) {
    if (n.empty() || n.size() > 64) return false;
    for (char c : n) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_')
        return false;
    }
    return true;
  };
  constexpr std::string_view kRiposte = "riposte:connection/";
  if (arn.starts_with(kRiposte)) {
    std::string_view n = arn.substr(kRiposte.size());
    if (!validName(n)) return std::nullopt;
    return std::string(n);
  }
  // arn:aws:events:REGION:ACCOUNT:connection/NAME[/ID]
  constexpr std::string_view kArn = "arn:aws:events:";
  if (!arn.starts_with(kArn)) return std::nullopt;
  std::string_view rest = arn.substr(kArn.size());
  for (int i = 0; i < 2; ++i) {  // region, account
    auto colon = rest.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    rest.remove_prefix(colon + 1);
  }
  constexpr std::string_view kRes = "connection/";
  if (!rest.starts_with(kRes)) return std::nullopt;
  rest.remove_prefix(kRes.size());
  std::string_view n = rest.substr(0, rest.find('/'));
  if (!validName(n)) return std::nullopt;
  return std::string(n);
}

void Connections::add(Connection c) {
  std::string n = c.name;
  by_name_[std::move(n)] = std::move(c);
}

const Connection* Connections::find(std::string_view name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &it->second;
}

const Connection* Connections::resolve(std::string_view arn) const {
  auto n = connectionName(arn);
  return n ? find(*n) : nullptr;
}

std::string formEncode(std::string_view s) {
  return text::percentEncode(s);
}

std::string base64(std::string_view s) {
  return text::base64Encode(s);
}

namespace {

void setHeader(aws::HttpRequest& req, const std::string& name, std::string value) {
  auto same = [&](const std::pair<std::string, std::string>& h) {
    if (h.first.size() != name.size()) return false;
    for (std::size_t i = 0; i < name.size(); ++i) {
      if (std::tolower(static_cast<unsigned char>(h.first[i])) !=
          std::tolower(static_cast<unsigned char>(name[i])))
        return false;
    }
    return true;
  };
  std::erase_if(req.headers, same);
  req.headers.emplace_back(name, std::move(value));
}

}  // namespace

void Connections::forgetToken(std::string_view name) const {
  std::lock_guard lock(mu_);
  if (auto it = tokens_.find(name); it != tokens_.end()) tokens_.erase(it);
}

Result<void> Connections::authorize(const Connection& c, aws::HttpRequest& req,
                                    aws::HttpTransport& http, const Clock& clock) const {
  switch (c.auth) {
    case Connection::Auth::kApiKey:
      setHeader(req, c.header, c.value);
      return {};
    case Connection::Auth::kBasic:
      setHeader(req, "Authorization", "Basic " + base64(c.username + ":" + c.password));
      return {};
    case Connection::Auth::kOAuthClientCredentials:
      break;
  }
  const int64_t now = clock.nowMillis();
  {
    std::lock_guard lock(mu_);
    if (auto it = tokens_.find(c.name); it != tokens_.end() && it->second.expires_ms > now) {
      setHeader(req, "Authorization", "Bearer " + it->second.access_token);
      return {};
    }
  }
  aws::HttpRequest t;
  t.method = "POST";
  t.url = c.token_url;
  t.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
               {"Accept", "application/json"},
               {"Authorization",
                "Basic " + base64(formEncode(c.client_id) + ":" + formEncode(c.client_secret))}};
  t.body = "grant_type=client_credentials";
  if (!c.scope.empty()) t.body += "&scope=" + formEncode(c.scope);
  auto r = http.send(t);
  if (!r) {
    return fail("States.Http.Socket", "connection " + c.name +
                                          ": the OAuth token endpoint cannot be reached (" +
                                          r.error().message + ")");
  }
  if (r->status < 200 || r->status > 299) {
    return fail("riposte.ConnectionAuth", "connection " + c.name +
                                              ": the OAuth token endpoint answered HTTP " +
                                              std::to_string(r->status));
  }
  auto body = parseJson(r->body);
  const json::value* tok =
      body && body->is_object() ? body->as_object().if_contains("access_token") : nullptr;
  if (tok == nullptr || !tok->is_string() || tok->as_string().empty()) {
    return fail("riposte.ConnectionAuth", "connection " + c.name +
                                              ": the OAuth token endpoint's answer holds no "
                                              "access_token");
  }
  int64_t expires_in = 3600;
  if (const json::value* e = body->as_object().if_contains("expires_in")) {
    if (auto n = asNumber(*e)) expires_in = static_cast<int64_t>(*n);
  }
  Token token{std::string(tok->as_string()), now + (expires_in - 60) * 1000};
  setHeader(req, "Authorization", "Bearer " + token.access_token);
  std::lock_guard lock(mu_);
  tokens_[c.name] = std::move(token);
  return {};
}

}  // namespace riposte::actions
